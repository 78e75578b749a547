//! The triage vocabulary: categories, their precedence and the priority that follows.

use serde::{Deserialize, Serialize};

/// What a message is about, from the desk's point of view. The order of the variants is
/// the precedence of `LABELLING.md`: a message's primary category is the first of its
/// labels in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Emergency,
    Safeguarding,
    CrimeReport,
    Intelligence,
    Abuse,
    Complaint,
    Rumour,
    Question,
    Praise,
    Spam,
    Other,
}

impl Category {
    /// Every category, in precedence order.
    pub const ALL: [Category; 11] = [
        Category::Emergency,
        Category::Safeguarding,
        Category::CrimeReport,
        Category::Intelligence,
        Category::Abuse,
        Category::Complaint,
        Category::Rumour,
        Category::Question,
        Category::Praise,
        Category::Spam,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Emergency => "emergency",
            Category::Safeguarding => "safeguarding",
            Category::CrimeReport => "crime-report",
            Category::Intelligence => "intelligence",
            Category::Abuse => "abuse",
            Category::Complaint => "complaint",
            Category::Rumour => "rumour",
            Category::Question => "question",
            Category::Praise => "praise",
            Category::Spam => "spam",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The label staff see in the inbox.
    pub fn title(self) -> &'static str {
        match self {
            Category::Emergency => "Emergency",
            Category::Safeguarding => "Safeguarding",
            Category::CrimeReport => "Crime report",
            Category::Intelligence => "Intelligence",
            Category::Abuse => "Abuse",
            Category::Complaint => "Complaint",
            Category::Rumour => "Rumour",
            Category::Question => "Question",
            Category::Praise => "Praise",
            Category::Spam => "Spam",
            Category::Other => "Other",
        }
    }

    /// The first of `labels` in precedence order.
    pub fn primary_of(labels: &[Category]) -> Option<Category> {
        labels.iter().min().copied()
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How soon a person should look, derived from the labels (`LABELLING.md`, "Priority").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    Critical,
    High,
    Normal,
    Low,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    pub fn of(labels: &[Category], urgent: bool) -> Priority {
        if labels.contains(&Category::Emergency) {
            Priority::Critical
        } else if urgent || labels.contains(&Category::Safeguarding) {
            Priority::High
        } else if labels
            .iter()
            .any(|c| !matches!(c, Category::Praise | Category::Spam | Category::Other))
        {
            Priority::Normal
        } else {
            Priority::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Where a message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Fediverse,
    Bluesky,
    X,
    Facebook,
    Email,
    Web,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Fediverse,
        Channel::Bluesky,
        Channel::X,
        Channel::Facebook,
        Channel::Email,
        Channel::Web,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Fediverse => "fediverse",
            Channel::Bluesky => "bluesky",
            Channel::X => "x",
            Channel::Facebook => "facebook",
            Channel::Email => "email",
            Channel::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_follows_the_guide_precedence() {
        let labels = [
            Category::Question,
            Category::Complaint,
            Category::CrimeReport,
        ];
        assert_eq!(Category::primary_of(&labels), Some(Category::CrimeReport));
        assert_eq!(Category::primary_of(&[]), None);
    }

    #[test]
    fn priority_follows_the_labels() {
        assert_eq!(
            Priority::of(&[Category::Praise, Category::Emergency], false),
            Priority::Critical
        );
        assert_eq!(
            Priority::of(&[Category::Safeguarding], false),
            Priority::High
        );
        assert_eq!(
            Priority::of(&[Category::Intelligence], true),
            Priority::High
        );
        assert_eq!(Priority::of(&[Category::Question], false), Priority::Normal);
        assert_eq!(
            Priority::of(&[Category::Praise, Category::Other], false),
            Priority::Low
        );
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("Emergency"), None);
    }
}
