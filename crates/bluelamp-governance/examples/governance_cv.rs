//! Out-of-fold figures of the governance training method on the TRAINING split only:
//!
//! ```sh
//! cargo run --release -p bluelamp-governance --example governance_cv -- [by=writer] [epochs=12] ...
//! ```
//!
//! Runs [`training::train`] (rules-only engine, five-fold cross-validation on
//! `corpus/governance/train/`, thresholds set there) and prints what its
//! cross-validation measured: the share of must-stop drafts held or refused, the share
//! of clean drafts held or refused, and every category's recall. `by=writer` deals whole
//! writers into folds. Other `key=value` arguments override [`training::Options`]. The
//! blind split is never an input.

use bluelamp_governance::corpus::{parse_corpus, Evaluation, Fixed, LABELLED};
use bluelamp_governance::learned::training::{self, Options};
use bluelamp_governance::learned::Learned;
use bluelamp_governance::Engine;
use bluelamp_judgement::codec;
use bluelamp_judgement::split::FoldBy;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/governance/train");
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("part-") && n.ends_with(".jsonl"))
        })
        .collect();
    names.sort();
    let mut text = String::new();
    for p in &names {
        text.push_str(&std::fs::read_to_string(p)?);
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    let drafts = parse_corpus(&text)?;
    let mut options = Options::default();
    for arg in std::env::args().skip(1) {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {arg}"))?;
        apply(&mut options, key, value)?;
    }
    let rules = Engine::builtin_rules_only()?;
    let started = std::time::Instant::now();
    let trained = training::train(&rules, &drafts, &options);
    println!(
        "{} drafts, folds by {:?}, {:.1} s",
        drafts.len(),
        options.fold_by,
        started.elapsed().as_secs_f64()
    );
    print("rules alone", &trained.rules_alone);
    print("rules + model (out of fold)", &trained.cross_validation);

    // Scoring speed of the final model inside the whole check, one thread, every
    // training draft cut or padded to 280 characters, three passes.
    let learned = Learned::from_bytes(&codec::encode(&trained.model))?;
    let engine = rules.with_model(Arc::new(learned));
    let padded: Vec<_> = drafts
        .iter()
        .map(|d| {
            let mut draft = d.draft.clone();
            draft.text = draft.text.chars().cycle().take(280).collect();
            draft
        })
        .collect();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        for d in &padded {
            std::hint::black_box(engine.check(d, &Fixed(0)));
        }
    }
    let per_second = (3 * padded.len()) as f64 / started.elapsed().as_secs_f64();
    println!("THROUGHPUT {per_second:.0} checks/s on one thread (280-char drafts)");
    Ok(())
}

fn print(title: &str, e: &Evaluation) {
    let (stopped, total) = e.stopped();
    println!("## {title}");
    println!(
        "{:<18} {:>6} {:>6} {:>6} {:>5}",
        "category", "P", "R", "F1", "n"
    );
    for c in LABELLED {
        let b = e.category(c);
        println!(
            "{:<18} {:>6.3} {:>6.3} {:>6.3} {:>5}",
            c.as_str(),
            b.precision(),
            b.recall(),
            b.f1(),
            b.support()
        );
    }
    println!(
        "SUMMARY stopped {:.4} ({stopped}/{total}) clean-held {:.4} ({}/{}) clean-refused {} min-recall {:.3}",
        stopped as f64 / total.max(1) as f64,
        e.clean_held() as f64 / e.clean().max(1) as f64,
        e.clean_held(),
        e.clean(),
        e.clean_refused(),
        LABELLED
            .iter()
            .map(|c| e.category(*c).recall())
            .fold(1.0, f64::min)
    );
}

fn apply(o: &mut Options, key: &str, value: &str) -> Result<(), Box<dyn std::error::Error>> {
    match key {
        "by" => {
            o.fold_by = match value {
                "writer" => FoldBy::Writer,
                "id" => FoldBy::Id,
                _ => return Err(format!("by={value}: id or writer").into()),
            }
        }
        "epochs" => o.train.epochs = value.parse()?,
        "lr" => o.train.learning_rate = value.parse()?,
        "l2" => o.train.l2 = value.parse()?,
        "bags" => o.train.bags = value.parse()?,
        "bits" => o.featurizer.bits = value.parse()?,
        "char_min" => o.featurizer.char_min = value.parse()?,
        "char_max" => o.featurizer.char_max = value.parse()?,
        "stop_rate" => o.stop_rate = value.parse()?,
        "category_beta" => o.category_beta = Some(value.parse()?),
        _ => return Err(format!("unknown option {key}").into()),
    }
    Ok(())
}
