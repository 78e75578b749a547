//! Triage of one message: the labels that fire, the primary, urgency, priority, and the
//! words that decided each, so staff can trust or overrule it.

use bluelamp_judgement::{codec, Feature, LinearModel, ModelError};
use serde::Serialize;

use crate::category::{Category, Channel, Priority};
use crate::features::{is_bare_cry_for_help, message_features, SCHEMA};

/// The model's outputs, in the order of the weights file: the eleven categories in
/// precedence order, then `urgent`.
pub const LABELS: [&str; 12] = [
    "emergency",
    "safeguarding",
    "crime-report",
    "intelligence",
    "abuse",
    "complaint",
    "rumour",
    "question",
    "praise",
    "spam",
    "other",
    URGENT,
];
pub const URGENT: &str = "urgent";
const URGENT_INDEX: usize = 11;
/// How far past its (low, recall-first) threshold an emergency or safeguarding logit
/// must be to lead as the primary. Chosen in cross-validation on the training split:
/// primary agreement rose from 0.15 at 0 to 0.54 at 4 and 0.59 at 6, with emergencies
/// still flagged and urgent either way.
const PRIMARY_MARGIN: f32 = 5.0;

/// The weights built into the binary, produced by `bluelamp triage train`.
const BUILTIN_WEIGHTS: &[u8] = include_bytes!("../data/model.bin");

/// The words in the message that weighed most for one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub category: Category,
    /// Byte offsets into the message text.
    pub start: usize,
    pub end: usize,
    pub words: String,
}

/// What triage decided about a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Triage {
    /// Every category that applies, in precedence order (never empty).
    pub labels: Vec<Category>,
    pub primary: Category,
    pub urgent: bool,
    pub priority: Priority,
    /// For the primary category and any urgent one: the words that decided it.
    pub evidence: Vec<Evidence>,
    /// Why, in one line, when a fixed rule rather than the model decided.
    pub rule: Option<&'static str>,
}

/// Triage with a model. Cheap to share: it holds only the weights.
#[derive(Debug, Clone)]
pub struct Triager {
    model: LinearModel,
}

impl Triager {
    /// The model built into the binary.
    pub fn builtin() -> Result<Triager, ModelError> {
        Triager::from_bytes(BUILTIN_WEIGHTS)
    }

    /// A weights file, refused when damaged or trained for other features or labels.
    pub fn from_bytes(bytes: &[u8]) -> Result<Triager, ModelError> {
        Ok(Triager {
            model: codec::decode(bytes, SCHEMA, &LABELS)?,
        })
    }

    pub fn from_model(model: LinearModel) -> Triager {
        Triager { model }
    }

    pub fn model(&self) -> &LinearModel {
        &self.model
    }

    /// Triage one message. `channel` is `None` when the caller does not know it.
    pub fn triage(&self, text: &str, channel: Option<Channel>) -> Triage {
        let mut features = Vec::with_capacity(64 + text.len() * 4);
        let mut logits = Vec::with_capacity(LABELS.len());
        let mut t = self.triage_with(text, channel, &mut features, &mut logits);
        for c in t.labels.clone() {
            if c == t.primary
                || matches!(
                    c,
                    Category::Emergency | Category::Safeguarding | Category::Abuse
                )
            {
                t.evidence.extend(self.evidence(text, &features, c));
            }
        }
        t
    }

    /// The decision alone (no evidence), reusing the caller's buffers: for streams
    /// such as `bluelamp triage --jsonl`, where nobody reads the words.
    pub fn triage_with(
        &self,
        text: &str,
        channel: Option<Channel>,
        features: &mut Vec<Feature>,
        logits: &mut Vec<f32>,
    ) -> Triage {
        message_features(&self.model.featurizer, text, channel, features);
        self.model.logits_into(features, logits);
        let fired = self.model.fired(logits);
        let mut labels: Vec<Category> = Category::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| fired[*i])
            .map(|(_, c)| c)
            .collect();
        // The guide defines `other` as "anything else": writers give it beside another
        // category on one message in twenty. When `other` and another category (any
        // but the two that fire "just in case") both fire and the other category is
        // further past its threshold, `other` is dropped.
        let margin = |c: &Category| logits[*c as usize] - self.model.thresholds[*c as usize];
        let other = margin(&Category::Other);
        if labels.contains(&Category::Other) {
            let rival = labels
                .iter()
                .filter(|c| {
                    !matches!(
                        c,
                        Category::Other | Category::Emergency | Category::Safeguarding
                    )
                })
                .map(margin)
                .fold(f32::NEG_INFINITY, f32::max);
            if rival > other {
                labels.retain(|c| *c != Category::Other);
            }
        }
        let mut rule = None;
        // The guide: a bare cry for help is an emergency unless something says it is
        // not. That is kept as a rule so no weighting can ever let it through.
        if is_bare_cry_for_help(text) && !labels.contains(&Category::Emergency) {
            labels.insert(0, Category::Emergency);
            rule = Some("a bare cry for help is treated as an emergency");
        }
        if labels.is_empty() {
            // Nothing is sure: the category the model leans to most.
            let best = (0..Category::ALL.len())
                .max_by(|a, b| {
                    (logits[*a] - self.model.thresholds[*a])
                        .total_cmp(&(logits[*b] - self.model.thresholds[*b]))
                })
                .unwrap_or(Category::ALL.len() - 1);
            labels.push(Category::ALL[best]);
        }
        labels.sort();
        let primary = if rule.is_some() {
            Category::Emergency
        } else {
            self.primary(&labels, logits)
        };
        let urgent = fired[URGENT_INDEX]
            || labels.contains(&Category::Emergency)
            || labels.contains(&Category::Safeguarding);
        let priority = Priority::of(&labels, urgent);
        Triage {
            labels,
            primary,
            urgent,
            priority,
            evidence: Vec::new(),
            rule,
        }
    }

    /// The label staff act on first: the first of the labels in the guide's precedence.
    /// Emergency and safeguarding fire at a low threshold (a miss costs far more than a
    /// look), so many messages carry them "just in case"; they lead only when the model
    /// is clearly past that threshold, else the next label leads and they stay flagged.
    fn primary(&self, labels: &[Category], logits: &[f32]) -> Category {
        let sure = |c: &Category| {
            let i = *c as usize;
            !matches!(c, Category::Emergency | Category::Safeguarding)
                || logits[i] - self.model.thresholds[i] >= PRIMARY_MARGIN
        };
        labels
            .iter()
            .copied()
            .find(sure)
            .or_else(|| labels.first().copied())
            .unwrap_or(Category::Other)
    }

    fn evidence(&self, text: &str, features: &[Feature], category: Category) -> Option<Evidence> {
        let label = Category::ALL.iter().position(|c| *c == category)?;
        let top: Vec<(u32, u32, f32)> = self
            .model
            .explain(features, label, 8)
            .into_iter()
            .filter(|(s, e, _)| {
                text.get(*s as usize..*e as usize)
                    .is_some_and(|w| !w.split_whitespace().all(is_function_word))
            })
            .take(3)
            .collect();
        let (start, end) = top.first().map(|(s, e, _)| (*s as usize, *e as usize))?;
        let words = top
            .iter()
            .filter_map(|(s, e, _)| text.get(*s as usize..*e as usize))
            .map(|w| format!("\u{201c}{w}\u{201d}"))
            .collect::<Vec<_>>()
            .join(", ");
        Some(Evidence {
            category,
            start,
            end,
            words,
        })
    }
}

/// English and Welsh words too common to explain anything to staff.
fn is_function_word(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by",
        "from", "as", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "do",
        "does", "did", "have", "has", "had", "we", "you", "he", "she", "they", "i", "me", "my",
        "our", "your", "his", "her", "their", "them", "us", "so", "if", "there", "here", "will",
        "would", "can", "could", "just", "up", "out", "about", "y", "yr", "yn", "ar", "o", "mae",
        "wedi", "ac", "ei", "eu", "i'r", "a'r",
    ];
    let w: String = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase();
    w.is_empty() || WORDS.contains(&w.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triager() -> Triager {
        Triager::builtin().expect("data/model.bin decodes")
    }

    #[test]
    fn a_bare_cry_for_help_is_always_an_emergency() {
        let t = triager().triage("help", Some(Channel::X));
        assert_eq!(t.primary, Category::Emergency);
        assert!(t.urgent);
        assert_eq!(t.priority, Priority::Critical);
    }

    #[test]
    fn every_message_gets_at_least_one_label_and_a_consistent_primary() {
        let t = triager();
        for text in [
            "",
            "🙂",
            "ok",
            "Thank you so much to the officers who came out last night",
            "x".repeat(5000).as_str(),
        ] {
            let r = t.triage(text, None);
            assert!(!r.labels.is_empty(), "{text:?}");
            assert!(r.labels.contains(&r.primary));
            for e in &r.evidence {
                assert!(
                    text.get(e.start..e.end).is_some(),
                    "evidence spans lie in the text"
                );
            }
        }
    }

    #[test]
    fn damaged_or_foreign_weights_are_refused() {
        let mut bytes = BUILTIN_WEIGHTS.to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        assert!(Triager::from_bytes(&bytes).is_err());
        assert!(Triager::from_bytes(b"nope").is_err());
    }
}
