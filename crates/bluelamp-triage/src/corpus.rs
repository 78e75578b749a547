//! The triage corpus (`corpus/triage/`, format in its `LABELLING.md`) and the aggregate
//! evaluation every score of it prints. The evaluation never keeps a message's text:
//! what it is given for the blind split can only come out as counts.

use bluelamp_judgement::corpus::parse_jsonl_numbered;
use bluelamp_judgement::report::{BinaryCounts, LabelTable};
use bluelamp_judgement::CorpusError;
use serde::{Deserialize, Serialize};

use crate::category::{Category, Channel};
use crate::triager::Triage;

/// One labelled message as it is stored in the corpus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelledMessage {
    pub id: String,
    pub channel: Channel,
    pub text: String,
    pub labels: Vec<Category>,
    pub primary: Category,
    pub urgent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Reads a corpus file, refusing (with the line) a malformed record, a record with no
/// labels, a primary that is not one of its labels, an emergency or safeguarding
/// message not marked urgent, and a repeated id.
pub fn parse_corpus(text: &str) -> Result<Vec<LabelledMessage>, CorpusError> {
    let rows: Vec<(usize, LabelledMessage)> = parse_jsonl_numbered(text)?;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, mut m) in rows {
        let fail = |message: String| CorpusError { line, message };
        if m.id.trim().is_empty() {
            return Err(fail("the id is empty".into()));
        }
        if !seen.insert(m.id.clone()) {
            return Err(fail(format!("the id {} appears twice", m.id)));
        }
        if m.labels.is_empty() {
            return Err(fail("a message needs at least one label".into()));
        }
        if !m.labels.contains(&m.primary) {
            return Err(fail(format!(
                "the primary {} is not one of its labels",
                m.primary
            )));
        }
        m.labels.sort();
        m.labels.dedup();
        if (m.labels.contains(&Category::Emergency) || m.labels.contains(&Category::Safeguarding))
            && !m.urgent
        {
            return Err(fail(
                "emergency and safeguarding messages are urgent by definition".into(),
            ));
        }
        out.push(m);
    }
    Ok(out)
}

/// Aggregate figures for a set of messages: per category, urgency, primary accuracy.
#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    pub categories: LabelTable,
    pub urgent: BinaryCounts,
    pub primary_right: usize,
    pub messages: usize,
}

/// A floor of the inbox issue and whether it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Floor {
    pub name: &'static str,
    pub value: f64,
    pub floor: f64,
}

impl Floor {
    pub fn holds(&self) -> bool {
        self.value + 1e-9 >= self.floor
    }
}

impl Evaluation {
    pub fn new() -> Evaluation {
        Evaluation::default()
    }

    pub fn add(&mut self, gold: &LabelledMessage, predicted: &Triage) {
        let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        let g: Vec<&str> = gold.labels.iter().map(|c| c.as_str()).collect();
        let p: Vec<&str> = predicted.labels.iter().map(|c| c.as_str()).collect();
        self.categories.add(&names, &g, &p);
        self.urgent.add(gold.urgent, predicted.urgent);
        self.messages += 1;
        if gold.primary == predicted.primary {
            self.primary_right += 1;
        }
    }

    pub fn get(&self, c: Category) -> BinaryCounts {
        self.categories.get(c.as_str())
    }

    /// The floors of the inbox issue, each with its measured value.
    pub fn floors(&self) -> Vec<Floor> {
        vec![
            Floor {
                name: "emergency recall",
                value: self.get(Category::Emergency).recall(),
                floor: 1.0,
            },
            Floor {
                name: "safeguarding recall",
                value: self.get(Category::Safeguarding).recall(),
                floor: 0.95,
            },
            Floor {
                name: "urgent recall",
                value: self.urgent.recall(),
                floor: 0.97,
            },
            Floor {
                name: "macro-F1 (11 categories)",
                value: self.categories.macro_f1(),
                floor: 0.85,
            },
            Floor {
                name: "abuse F1",
                value: self.get(Category::Abuse).f1(),
                floor: 0.85,
            },
        ]
    }

    /// The whole aggregate report in Markdown: the floors, every category, urgency.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "{} messages\n\n| floor | measured | required | holds |\n| --- | --- | --- | --- |\n",
            self.messages
        );
        for f in self.floors() {
            s.push_str(&format!(
                "| {} | {:.3} | {:.2} | {} |\n",
                f.name,
                f.value,
                f.floor,
                if f.holds() { "yes" } else { "**no**" }
            ));
        }
        s.push('\n');
        s.push_str(&self.categories.markdown());
        s.push_str(&format!(
            "\nurgent: precision {:.3}, recall {:.3}, F1 {:.3} (support {})\nprimary right: {:.3} ({}/{})\n",
            self.urgent.precision(),
            self.urgent.recall(),
            self.urgent.f1(),
            self.urgent.support(),
            self.primary_right as f64 / self.messages.max(1) as f64,
            self.primary_right,
            self.messages
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_records_are_refused_with_their_line() {
        let ok = r#"{"id":"a-1","channel":"x","text":"hi","labels":["other"],"primary":"other","urgent":false}"#;
        assert_eq!(parse_corpus(ok).expect("parses").len(), 1);
        let cases = [
            (
                r#"{"id":"a-2","channel":"x","text":"hi","labels":[],"primary":"other","urgent":false}"#,
                "at least one",
            ),
            (
                r#"{"id":"a-2","channel":"x","text":"hi","labels":["praise"],"primary":"other","urgent":false}"#,
                "not one of",
            ),
            (
                r#"{"id":"a-2","channel":"x","text":"help","labels":["emergency"],"primary":"emergency","urgent":false}"#,
                "urgent",
            ),
            (
                r#"{"id":"a-2","channel":"telex","text":"hi","labels":["other"],"primary":"other","urgent":false}"#,
                "telex",
            ),
            (
                r#"{"id":"a-1","channel":"x","text":"hi","labels":["other"],"primary":"other","urgent":false}"#,
                "twice",
            ),
        ];
        for (line, why) in cases {
            let e = parse_corpus(&format!("{ok}\n{line}\n")).expect_err(why);
            assert_eq!(e.line, 2, "{why}");
            assert!(e.message.contains(why), "{} / {why}", e.message);
        }
    }
}
