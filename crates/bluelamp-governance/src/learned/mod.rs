//! The learned half of the check: a linear model trained in the repository from the
//! labelled corpus (`corpus/governance/`), whose weights (`data/model.bin`) are built
//! into the binary. Nothing is downloaded at run time.
//!
//! The rules keep what they do well and stay deterministic (names, numbers, plates,
//! the case's legal status, length; every must-refuse case). The model reads the same
//! draft, *and what the rules found*, and raises recall on phrasing no rule has seen:
//! when it is confident that a category applies and no rule of that category fired,
//! it adds a finding of its own (rule `learned-<category>`), pointing at the words that
//! weighed most. A learned finding never refuses: at most it holds the draft for a
//! supervisor, because only a person may decide what the law forbids outright.

mod features;
pub mod training;

pub use crate::rules::Signals;
pub use features::{draft_features, SCHEMA};

use bluelamp_judgement::codec;
use bluelamp_judgement::{Feature, LinearModel, ModelError};

use crate::model::{Category, Finding, Severity};

/// The model's outputs, in the order of the weights file: one per category a writer
/// labels, and `review`, which says "a supervisor should see this" whatever the
/// category (it catches drafts whose trouble the category outputs only half see).
pub const LABELS: [&str; 10] = [
    "victim-identity",
    "child-identity",
    "contempt",
    "personal-data",
    "operational",
    "political",
    "tone",
    "accessibility",
    "emergency-advice",
    REVIEW,
];

pub const REVIEW: &str = "review";

/// The weights built into the binary, produced by `bluelamp governance train`.
pub(crate) const BUILTIN_WEIGHTS: &[u8] = include_bytes!("../../data/model.bin");

/// A decoded model, ready to score drafts.
#[derive(Debug)]
pub struct Learned {
    pub(crate) model: LinearModel,
}

impl Learned {
    /// Reads a weights file, refusing one that is damaged or was trained for other
    /// features or other labels.
    pub fn from_bytes(bytes: &[u8]) -> Result<Learned, ModelError> {
        Ok(Learned {
            model: codec::decode(bytes, SCHEMA, &LABELS)?,
        })
    }

    pub(crate) fn builtin() -> Result<Learned, ModelError> {
        Learned::from_bytes(BUILTIN_WEIGHTS)
    }

    pub fn model(&self) -> &LinearModel {
        &self.model
    }
}

/// What the model adds to a report: (category, rule id, span, words that decided it).
pub(crate) struct LearnedFinding {
    pub rule: String,
    pub start: usize,
    pub end: usize,
    pub words: String,
}

/// Scores a draft whose rule findings are in `rules`, returning the findings the model
/// adds. `features` is the draft's feature vector (see [`draft_features`]).
pub(crate) fn judge(
    learned: &Learned,
    text: &str,
    features: &[Feature],
    rules: &[Finding],
    force_own: &dyn Fn(&str) -> bool,
) -> Vec<LearnedFinding> {
    let model = &learned.model;
    let logits = model.logits(features);
    let fired = model.fired(&logits);
    let found: Vec<Category> = rules.iter().map(|f| f.category).collect();
    let mut out = Vec::new();
    let mut holds_added = false;
    for (i, label) in LABELS.iter().enumerate().take(LABELS.len() - 1) {
        let Some(category) = Category::parse(label) else {
            continue;
        };
        if !fired[i] || found.contains(&category) {
            continue;
        }
        if let Some(f) = finding(model, text, features, i, category, force_own) {
            holds_added |= !matches!(
                category,
                Category::Accessibility | Category::EmergencyAdvice
            );
            out.push(f);
        }
    }
    // "A supervisor should see this", with nothing yet holding the draft: hold it under
    // the category the model leans to most among those that hold.
    let review = LABELS.len() - 1;
    let already_held = rules.iter().any(|f| f.severity >= Severity::Hold);
    if fired[review] && !already_held && !holds_added {
        let best = (0..review - 2)
            .filter_map(|i| Category::parse(LABELS[i]).map(|c| (i, c)))
            .max_by(|a, b| {
                (logits[a.0] - model.thresholds[a.0])
                    .total_cmp(&(logits[b.0] - model.thresholds[b.0]))
            });
        if let Some((i, category)) = best {
            let mut f = finding(model, text, features, i, category, force_own)
                .or_else(|| finding(model, text, features, review, category, force_own));
            if let Some(f) = f.as_mut() {
                f.rule = format!("learned-{}", category.as_str());
            }
            out.extend(f);
        }
    }
    out
}

fn finding(
    model: &LinearModel,
    text: &str,
    features: &[Feature],
    label: usize,
    category: Category,
    force_own: &dyn Fn(&str) -> bool,
) -> Option<LearnedFinding> {
    // The strongest spans, leaving out little words that carry no meaning of their
    // own ("the", "do"): they weigh in every post and explain nothing to its author.
    let top: Vec<(u32, u32, f32)> = model
        .explain(features, label, 12)
        .into_iter()
        .filter(|(s, e, _)| {
            text.get(*s as usize..*e as usize)
                .is_some_and(|w| !w.split_whitespace().all(is_function_word) && !force_own(w))
        })
        .take(3)
        .collect();
    let words: Vec<String> = top
        .iter()
        .filter_map(|(s, e, _)| text.get(*s as usize..*e as usize))
        .map(|w| format!("\u{201c}{w}\u{201d}"))
        .collect();
    // Every learned finding points at words in the draft. With none to point at (the
    // context alone leaned that way, or only the force's own numbers did) there is
    // nothing for the author to change, so there is no finding.
    let (start, end) = top.first().map(|(s, e, _)| (*s as usize, *e as usize))?;
    Some(LearnedFinding {
        rule: format!("learned-{}", category.as_str()),
        start,
        end,
        words: words.join(", "),
    })
}

/// English and Welsh words too common to explain anything.
fn is_function_word(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by",
        "from", "as", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that",
        "these", "those", "do", "does", "did", "have", "has", "had", "we", "you", "he", "she",
        "they", "i", "me", "my", "our", "your", "his", "her", "their", "them", "us", "so", "if",
        "not", "no", "some", "all", "any", "there", "here", "will", "would", "can", "could",
        "just", "up", "out", "about", "into", "over", "after", "y", "yr", "a'r", "i'r", "yn", "ar",
        "am", "o", "mae", "wedi", "ac", "ei", "eu",
    ];
    let w: String = word
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
        .to_lowercase();
    w.is_empty() || WORDS.contains(&w.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_weights_decode() {
        let learned = Learned::builtin().expect("data/model.bin decodes");
        assert_eq!(learned.model.labels.len(), LABELS.len());
    }

    #[test]
    fn damaged_or_foreign_weights_are_refused_with_a_reason() {
        let mut bytes = BUILTIN_WEIGHTS.to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        let e = Learned::from_bytes(&bytes).expect_err("damaged");
        assert!(e.to_string().contains("damaged"), "{e}");
        let e = Learned::from_bytes(b"not a model").expect_err("foreign");
        assert!(e.to_string().contains("not a Bluelamp model"), "{e}");
    }
}
