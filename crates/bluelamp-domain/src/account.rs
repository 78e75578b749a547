//! Public accounts: what the public sees and follows, and who may post as them.

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// The kind of a public account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// One officer's own account, under the force's governance.
    Personal,
    /// The force itself.
    Corporate,
    /// A unit such as the helicopter or the roads policing team.
    Unit,
    /// Several members (e.g. chief officers); each post is signed with its author's initials.
    Collective,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [
        AccountKind::Personal,
        AccountKind::Corporate,
        AccountKind::Unit,
        AccountKind::Collective,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Personal => "personal",
            AccountKind::Corporate => "corporate",
            AccountKind::Unit => "unit",
            AccountKind::Collective => "collective",
        }
    }

    pub fn parse(text: &str) -> Result<AccountKind, Invalid> {
        AccountKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "kind",
                    format!("unknown account kind '{text}'; expected personal, corporate, unit or collective"),
                )
            })
    }
}

/// An account handle, unique within a force: 1 to 30 characters, lower-case
/// letters, digits and `_`, starting with a letter. Those are the characters every
/// fediverse server accepts in `@handle@domain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Handle(String);

impl Handle {
    pub fn parse(text: &str) -> Result<Handle, Invalid> {
        let handle = text.trim().trim_start_matches('@').to_lowercase();
        let ok = (1..=30).contains(&handle.len())
            && handle.starts_with(|c: char| c.is_ascii_lowercase())
            && handle
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Handle(handle))
        } else {
            Err(Invalid::new(
                "handle",
                "must be 1 to 30 letters, digits or '_', starting with a letter",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a member may do with an account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MembershipPermissions {
    /// May draft and submit posts.
    pub post: bool,
    /// Advice-only drafts go out at once; anything held still waits for approval.
    pub post_without_approval: bool,
    /// May approve other members' held posts.
    pub approve: bool,
}

/// A member's signature on a collective account, e.g. `ACC MJ`: 1 to 20
/// characters of letters, digits, spaces, `.` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Signature(String);

impl Signature {
    pub fn parse(text: &str) -> Result<Signature, Invalid> {
        let signature = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let ok = (1..=20).contains(&signature.chars().count())
            && signature
                .chars()
                .all(|c| c.is_alphanumeric() || " .-".contains(c));
        if ok {
            Ok(Signature(signature))
        } else {
            Err(Invalid::new(
                "signature",
                "must be 1 to 20 letters, digits, spaces, '.' or '-' (for example \"ACC MJ\")",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The post text as it appears publicly: "ACC MJ: ...".
    pub fn sign(&self, text: &str) -> String {
        format!("{}: {}", self.0, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_fediverse_safe() {
        assert_eq!(Handle::parse("@PCSmith_1").unwrap().as_str(), "pcsmith_1");
        assert!(Handle::parse("1pc").is_err());
        assert!(Handle::parse("pc.smith").is_err());
        assert!(Handle::parse("").is_err());
    }

    #[test]
    fn signatures_prefix_the_post() {
        let signature = Signature::parse("  ACC   MJ ").unwrap();
        assert_eq!(signature.sign("Thank you all"), "ACC MJ: Thank you all");
        assert!(Signature::parse("<script>").is_err());
    }
}
