//! The labelled development corpus (`corpus/dev.jsonl`), which the deterministic rules
//! were written from: a regression guard for the rules alone (the learned scoring is
//! measured on the independent writers' blind split, `tests/blind.rs`). Per-category
//! precision and recall, printed, and these floors enforced:
//! - no `refuse` on any draft labelled `publish`;
//! - recall >= 0.9 on victim-identity, child-identity and contempt;
//! - at most 5% of drafts labelled `publish` held.
//!
//! Run with `--nocapture` to see the table; set `GOV_CORPUS_VERBOSE=1` to list every
//! draft where the check and the label disagree.

use bluelamp_governance::{parse_request, Category, Decision, DuplicateLookup, Engine};
use std::collections::{BTreeMap, BTreeSet};

struct Fixed(u32);
impl DuplicateLookup for Fixed {
    fn accounts_recently_posting(&self, _key: &str) -> u32 {
        self.0
    }
}

struct Row {
    id: String,
    text: String,
    expected_decision: Decision,
    expected: BTreeSet<Category>,
    got_decision: Decision,
    got: BTreeSet<Category>,
}

fn evaluate() -> Vec<Row> {
    let path = format!("{}/corpus/dev.jsonl", env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let engine = Engine::builtin_rules_only().expect("the built-in rules load");
    let mut rows = Vec::new();
    for (i, line) in data
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let draft = parse_request(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let dup = v["duplicates"].as_u64().unwrap_or(0) as u32;
        let report = engine.check(&draft, &Fixed(dup));
        let expected_decision: Decision =
            serde_json::from_value(v["expect"]["decision"].clone()).expect("expect.decision");
        let expected: BTreeSet<Category> =
            serde_json::from_value(v["expect"]["categories"].clone()).expect("expect.categories");
        rows.push(Row {
            id: v["id"].as_str().unwrap_or("?").to_string(),
            text: draft.text.clone(),
            expected_decision,
            expected,
            got_decision: report.decision,
            got: report.categories().into_iter().collect(),
        });
    }
    rows
}

#[test]
fn corpus_precision_recall_and_floors() {
    let rows = evaluate();
    assert!(
        rows.len() >= 300,
        "the corpus must hold at least 300 drafts, has {}",
        rows.len()
    );
    let mut table: BTreeMap<Category, (usize, usize, usize)> = BTreeMap::new();
    for r in &rows {
        for c in Category::ALL {
            let e = r.expected.contains(&c);
            let g = r.got.contains(&c);
            let t = table.entry(c).or_default();
            match (e, g) {
                (true, true) => t.0 += 1,
                (false, true) => t.1 += 1,
                (true, false) => t.2 += 1,
                _ => {}
            }
        }
    }
    let clean: Vec<&Row> = rows
        .iter()
        .filter(|r| r.expected_decision == Decision::Publish)
        .collect();
    let clean_refused: Vec<&&Row> = clean
        .iter()
        .filter(|r| r.got_decision == Decision::Refuse)
        .collect();
    let clean_held = clean
        .iter()
        .filter(|r| r.got_decision == Decision::Hold)
        .count();
    let decisions_right = rows
        .iter()
        .filter(|r| r.got_decision == r.expected_decision)
        .count();

    println!(
        "\ngovernance corpus: {} drafts, {} labelled publish",
        rows.len(),
        clean.len()
    );
    println!(
        "{:<22} {:>5} {:>5} {:>5} {:>9} {:>7}",
        "category", "tp", "fp", "fn", "precision", "recall"
    );
    for (c, (tp, fp, fn_)) in &table {
        let p = if tp + fp == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fp) as f64
        };
        let rc = if tp + fn_ == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fn_) as f64
        };
        println!(
            "{:<22} {:>5} {:>5} {:>5} {:>9.3} {:>7.3}",
            c.as_str(),
            tp,
            fp,
            fn_,
            p,
            rc
        );
    }
    println!(
        "decisions right: {decisions_right}/{} ; publish-labelled drafts held: {clean_held}/{} ({:.1}%), refused: {}",
        rows.len(),
        clean.len(),
        100.0 * clean_held as f64 / clean.len().max(1) as f64,
        clean_refused.len()
    );
    if std::env::var("GOV_CORPUS_VERBOSE").is_ok() {
        for r in &rows {
            if r.got != r.expected || r.got_decision != r.expected_decision {
                println!(
                    "MISMATCH {} expected {:?} {:?} got {:?} {:?}\n    {}",
                    r.id, r.expected_decision, r.expected, r.got_decision, r.got, r.text
                );
            }
        }
    }

    assert!(
        clean_refused.is_empty(),
        "refused drafts labelled publish: {:?}",
        clean_refused.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    for c in [
        Category::VictimIdentity,
        Category::ChildIdentity,
        Category::Contempt,
    ] {
        let (tp, _, fn_) = table.get(&c).copied().unwrap_or_default();
        let recall = tp as f64 / (tp + fn_).max(1) as f64;
        assert!(
            recall >= 0.9,
            "recall on {c} is {recall:.3}, below the 0.9 floor"
        );
    }
    // A regression guard beyond the floors: the rules were written against
    // this corpus, so any category slipping below 0.9 here means a change broke it.
    for (c, (tp, fp, fn_)) in &table {
        let p = *tp as f64 / (tp + fp).max(1) as f64;
        let rc = *tp as f64 / (tp + fn_).max(1) as f64;
        assert!(
            p >= 0.9 && rc >= 0.9,
            "{c}: precision {p:.3}, recall {rc:.3} (regression?)"
        );
    }
    assert!(
        decisions_right as f64 >= 0.95 * rows.len() as f64,
        "only {decisions_right}/{} decisions right (regression?)",
        rows.len()
    );
    let held_share = clean_held as f64 / clean.len().max(1) as f64;
    assert!(
        held_share <= 0.05,
        "{:.1}% of publish-labelled drafts held (max 5%)",
        held_share * 100.0
    );
}
