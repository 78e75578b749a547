//! The blind split (`corpus/governance/blind.jsonl`): drafts by independent writers
//! that nobody tuning the check reads. This test scores the whole check (rules and the
//! learned model) on it and prints aggregate figures only — per-category precision
//! and recall, the decision matrix, the floors — never a draft.
//!
//! `the_issue_floors_hold` enforces the judgement issue's floors. They are not met
//! yet, so it is ignored with that reason (run it with `--ignored` to see how far
//! off); `no_regression_below_the_measured_level` guards what the committed model does
//! reach, so a change that makes the check worse on unseen drafts fails.

use bluelamp_governance::corpus::{evaluate, parse_corpus, Evaluation};
use bluelamp_governance::Engine;

fn blind() -> Evaluation {
    let path = format!(
        "{}/../../corpus/governance/blind.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let drafts = parse_corpus(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        drafts.len() >= 800,
        "the blind split holds {} drafts",
        drafts.len()
    );
    let engine = Engine::try_builtin().expect("the built-in check loads");
    let evaluation = evaluate(&engine, &drafts);
    println!(
        "\nBlind split, rules and model:\n\n{}",
        evaluation.markdown()
    );
    evaluation
}

#[test]
#[ignore = "the judgement issue's floors are not met yet on the blind split; figures in BENCHMARKS.md"]
fn the_issue_floors_hold() {
    let evaluation = blind();
    let failed: Vec<String> = evaluation
        .floors()
        .into_iter()
        .filter(|f| !f.3)
        .map(|(what, got, floor, _)| format!("{what}: {got:.3} (floor {floor:.3})"))
        .collect();
    assert!(failed.is_empty(), "floors not met:\n{}", failed.join("\n"));
}

#[test]
fn no_regression_below_the_measured_level() {
    let evaluation = blind();
    let (stopped, total) = evaluation.stopped();
    let stop_rate = stopped as f64 / total as f64;
    let held = evaluation.clean_held() as f64 / evaluation.clean() as f64;
    // The committed model's blind figures (BENCHMARKS.md), less a small margin.
    assert!(
        stop_rate >= STOP_AT_LEAST,
        "stops {stop_rate:.3} of the drafts that must be stopped"
    );
    assert!(held <= HELD_AT_MOST, "holds {held:.3} of the clean drafts");
    assert_eq!(
        evaluation.clean_refused(),
        0,
        "no clean draft is ever refused (the learned model never refuses; the rules must not)"
    );
}

// Measured 2026-12-01 with the committed model (bagged, 2^17 buckets; BENCHMARKS.md):
// stops 0.904 of the must-stop drafts, holds 0.098 of the clean ones, refuses none.
const STOP_AT_LEAST: f64 = 0.88;
const HELD_AT_MOST: f64 = 0.11;
