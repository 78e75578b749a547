//! The labelled corpus of drafts (`corpus/governance/*.jsonl`, format in
//! `corpus/governance/LABELLING.md`) and the aggregate evaluation of an engine on it.
//!
//! [`Evaluation`] keeps counts only. It is how the blind split is scored: nothing in it
//! can print a draft's text or id.

use std::collections::HashSet;

use bluelamp_judgement::corpus::{parse_jsonl_numbered, CorpusError};
use bluelamp_judgement::report::{BinaryCounts, DecisionMatrix, LabelTable};

use crate::engine::{DuplicateLookup, Engine};
use crate::model::{draft_from_value, Category, Decision, Draft, Report, Severity};

/// The categories a writer labels (length and duplicates are the platform's to count).
pub const LABELLED: [Category; 9] = [
    Category::VictimIdentity,
    Category::ChildIdentity,
    Category::Contempt,
    Category::PersonalData,
    Category::Operational,
    Category::Political,
    Category::Tone,
    Category::Accessibility,
    Category::EmergencyAdvice,
];

/// One labelled draft.
#[derive(Debug, Clone)]
pub struct LabelledDraft {
    pub id: String,
    pub draft: Draft,
    pub decision: Decision,
    pub categories: Vec<Category>,
    /// How many other accounts recently posted the same text (for duplicate rules).
    pub duplicates: u32,
}

/// Reads a corpus file. A malformed line, an unknown category or decision, or an id
/// used twice is an error naming the line.
pub fn parse_corpus(text: &str) -> Result<Vec<LabelledDraft>, CorpusError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    // Line by line, so that the first bad line in the file is the one named.
    for (i, raw) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line = i + 1;
        let err = |message: String| CorpusError { line, message };
        let value: serde_json::Value = parse_jsonl_numbered(raw)
            .map_err(|e| err(e.message))?
            .pop()
            .map(|(_, v)| v)
            .ok_or_else(|| err("empty line".into()))?;
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| err("`id` must be a non-empty string".into()))?
            .to_string();
        if !seen.insert(id.clone()) {
            return Err(err(format!("the id `{id}` is used twice")));
        }
        let expect = value
            .get("expect")
            .ok_or_else(|| err("`expect` is missing".into()))?;
        let decision: Decision =
            serde_json::from_value(expect.get("decision").cloned().unwrap_or_default())
                .map_err(|_| err("`expect.decision` must be publish, hold or refuse".into()))?;
        let names: Vec<String> =
            serde_json::from_value(expect.get("categories").cloned().unwrap_or_default())
                .map_err(|_| err("`expect.categories` must be a list of category ids".into()))?;
        let mut categories = Vec::with_capacity(names.len());
        for n in names {
            let c = Category::parse(&n).ok_or_else(|| err(format!("unknown category `{n}`")))?;
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
        let duplicates = value
            .get("duplicates")
            .and_then(|d| d.as_u64())
            .unwrap_or(0) as u32;
        let draft = draft_from_value(value).map_err(|e| err(e.to_string()))?;
        out.push(LabelledDraft {
            id,
            draft,
            decision,
            categories,
            duplicates,
        });
    }
    Ok(out)
}

/// A fixed answer to the duplicate question, from the corpus record.
pub struct Fixed(pub u32);
impl DuplicateLookup for Fixed {
    fn accounts_recently_posting(&self, _key: &str) -> u32 {
        self.0
    }
}

/// What an engine did on a corpus, in aggregate.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub drafts: usize,
    pub categories: LabelTable,
    pub decisions: DecisionMatrix,
}

const DECISIONS: [&str; 3] = ["publish", "hold", "refuse"];

impl Evaluation {
    pub fn new() -> Evaluation {
        Evaluation {
            drafts: 0,
            categories: LabelTable::default(),
            decisions: DecisionMatrix::new(&DECISIONS),
        }
    }

    /// Adds one draft's gold labels and what the check said.
    pub fn add(&mut self, gold: &LabelledDraft, decision: Decision, found: &[Category]) {
        let all: Vec<&str> = LABELLED.iter().map(|c| c.as_str()).collect();
        let g: Vec<&str> = gold.categories.iter().map(|c| c.as_str()).collect();
        let p: Vec<&str> = found.iter().map(|c| c.as_str()).collect();
        self.categories.add(&all, &g, &p);
        self.decisions
            .add(gold.decision.as_str(), decision.as_str());
        self.drafts += 1;
    }

    /// Drafts whose gold decision is hold or refuse that the check held or refused.
    pub fn stopped(&self) -> (usize, usize) {
        let mut stopped = 0;
        let mut total = 0;
        for g in ["hold", "refuse"] {
            total += self.decisions.gold_total(g);
            stopped += self.decisions.count(g, "hold") + self.decisions.count(g, "refuse");
        }
        (stopped, total)
    }

    pub fn clean(&self) -> usize {
        self.decisions.gold_total("publish")
    }
    pub fn clean_held(&self) -> usize {
        self.decisions.count("publish", "hold")
    }
    pub fn clean_refused(&self) -> usize {
        self.decisions.count("publish", "refuse")
    }
    pub fn category(&self, c: Category) -> BinaryCounts {
        self.categories.get(c.as_str())
    }

    /// The floors of the judgement issue, each as (what, measured, floor, holds).
    pub fn floors(&self) -> Vec<(String, f64, f64, bool)> {
        let mut out = Vec::new();
        let (s, t) = self.stopped();
        let share = if t == 0 { 1.0 } else { s as f64 / t as f64 };
        out.push((
            "hold or refuse on gold hold/refuse".to_string(),
            share,
            0.95,
            share >= 0.95,
        ));
        for c in LABELLED {
            let floor = match c {
                Category::VictimIdentity | Category::ChildIdentity | Category::Contempt => 0.95,
                _ => 0.90,
            };
            let r = self.category(c).recall();
            out.push((format!("recall {}", c.as_str()), r, floor, r >= floor));
        }
        let f1 = self.category(Category::PersonalData).f1();
        out.push(("F1 personal-data".into(), f1, 0.90, f1 >= 0.90));
        let refused = self.clean_refused() as f64;
        out.push(("clean drafts refused".into(), refused, 0.0, refused == 0.0));
        let held = self.clean_held() as f64 / self.clean().max(1) as f64;
        out.push((
            "share of clean drafts held (at most)".into(),
            held,
            0.03,
            held <= 0.03,
        ));
        out
    }

    /// The aggregate report: counts only, never a draft.
    pub fn markdown(&self) -> String {
        let (s, t) = self.stopped();
        let mut out = format!(
            "{} drafts, {} labelled publish.\n\nCategories:\n\n{}\nDecisions:\n\n{}\n",
            self.drafts,
            self.clean(),
            self.categories.markdown(),
            self.decisions.markdown()
        );
        out.push_str(&format!(
            "Held or refused {s} of {t} drafts that must be stopped ({:.1}%); clean drafts held {} of {} ({:.1}%), refused {}.\n",
            100.0 * s as f64 / t.max(1) as f64,
            self.clean_held(),
            self.clean(),
            100.0 * self.clean_held() as f64 / self.clean().max(1) as f64,
            self.clean_refused()
        ));
        out.push_str("\n| floor | measured | required | holds |\n| --- | ---: | ---: | --- |\n");
        for (what, got, floor, ok) in self.floors() {
            out.push_str(&format!(
                "| {what} | {got:.3} | {floor:.3} | {} |\n",
                if ok { "yes" } else { "NO" }
            ));
        }
        out
    }
}

impl Default for Evaluation {
    fn default() -> Self {
        Evaluation::new()
    }
}

/// Runs `engine` on every draft and counts.
pub fn evaluate(engine: &Engine, drafts: &[LabelledDraft]) -> Evaluation {
    let mut e = Evaluation::new();
    for d in drafts {
        let report = engine.check(&d.draft, &Fixed(d.duplicates));
        e.add(d, judged_decision(&report), &report.categories());
    }
    e
}

/// The decision the labelled categories lead to. Writers do not label length or
/// duplicates (the platform counts those exactly, and its own tests cover them), so a
/// draft refused only for being too long for a channel its writer picked is scored by
/// what the judgement said about its content.
pub fn judged_decision(report: &Report) -> Decision {
    match report
        .findings
        .iter()
        .filter(|f| LABELLED.contains(&f.category))
        .map(|f| f.severity)
        .max()
    {
        Some(Severity::Refuse) => Decision::Refuse,
        Some(Severity::Hold) => Decision::Hold,
        _ => Decision::Publish,
    }
}
