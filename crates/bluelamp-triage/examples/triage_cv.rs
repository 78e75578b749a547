//! Out-of-fold figures of the triage training method on the TRAINING split only:
//!
//! ```sh
//! cargo run --release -p bluelamp-triage --example triage_cv -- [by=writer] [epochs=12] ...
//! ```
//!
//! Runs [`training::train`] (which cross-validates on the training split and sets the
//! thresholds there) and prints what its cross-validation measured. `by=writer` deals
//! whole writers into folds, so every held-out fold is writers the model never saw.
//! Other `key=value` arguments override [`training::Options`] for experiments. The
//! blind split is never an input: this reads `corpus/triage/train/` alone.

use bluelamp_judgement::split::FoldBy;
use bluelamp_triage::training::{self, Options};
use bluelamp_triage::{parse_corpus, Category, Triager};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/triage/train");
    let mut parts: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    parts.sort();
    let mut text = String::new();
    for p in &parts {
        text.push_str(&std::fs::read_to_string(p)?);
    }
    let messages = parse_corpus(&text)?;
    let mut options = Options::default();
    for arg in std::env::args().skip(1) {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {arg}"))?;
        apply(&mut options, key, value)?;
    }
    let started = std::time::Instant::now();
    let trained = training::train(&messages, &options);
    let cv = &trained.cross_validation;
    println!(
        "{} messages, folds by {:?}, {:.1} s",
        messages.len(),
        options.fold_by,
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<14} {:>6} {:>6} {:>6} {:>5}",
        "category", "P", "R", "F1", "n"
    );
    for c in Category::ALL {
        let b = cv.get(c);
        println!(
            "{:<14} {:>6.3} {:>6.3} {:>6.3} {:>5}",
            c.as_str(),
            b.precision(),
            b.recall(),
            b.f1(),
            b.support()
        );
    }
    let u = cv.urgent;
    println!(
        "{:<14} {:>6.3} {:>6.3} {:>6.3} {:>5}",
        "urgent",
        u.precision(),
        u.recall(),
        u.f1(),
        u.support()
    );
    println!(
        "SUMMARY macro-F1 {:.4} abuse-F1 {:.4} emergency R {:.3} P {:.3} safeguarding R {:.3} P {:.3} urgent R {:.3} P {:.3} primary {:.3}",
        cv.categories.macro_f1(),
        cv.get(Category::Abuse).f1(),
        cv.get(Category::Emergency).recall(),
        cv.get(Category::Emergency).precision(),
        cv.get(Category::Safeguarding).recall(),
        cv.get(Category::Safeguarding).precision(),
        u.recall(),
        u.precision(),
        cv.primary_right as f64 / cv.messages.max(1) as f64
    );

    // Scoring time of the final model per message, one thread, with evidence, as the
    // inbox calls it.
    let triager = Triager::from_model(trained.model);
    let mut times: Vec<f64> = Vec::with_capacity(messages.len() * 3);
    for _ in 0..3 {
        for m in &messages {
            let started = std::time::Instant::now();
            std::hint::black_box(triager.triage(&m.text, Some(m.channel)));
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!("LATENCY p50 {:.4} ms p99 {:.4} ms", at(0.5), at(0.99));
    Ok(())
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
        "pos" => {
            let v: f32 = value.parse()?;
            for (w, l) in o
                .train
                .positive_weight
                .iter_mut()
                .zip(bluelamp_triage::triager::LABELS)
            {
                if !matches!(l, "emergency" | "safeguarding" | "urgent") {
                    *w = v;
                }
            }
        }
        "bits" => o.featurizer.bits = value.parse()?,
        "char_min" => o.featurizer.char_min = value.parse()?,
        "char_max" => o.featurizer.char_max = value.parse()?,
        "beta" => o.beta = value.parse()?,
        "margin" => o.margin = value.parse()?,
        "emergency_recall" => o.emergency_recall = value.parse()?,
        "safeguarding_recall" => o.safeguarding_recall = value.parse()?,
        "urgent_recall" => o.urgent_recall = value.parse()?,
        _ => return Err(format!("unknown option {key}").into()),
    }
    Ok(())
}
