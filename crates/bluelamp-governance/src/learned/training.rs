//! Training the learned scoring from the corpus: `bluelamp governance train`.
//!
//! 1. The rules-only engine checks every training draft; its findings become features
//!    beside the draft's words and context ([`super::draft_features`]).
//! 2. Five-fold cross-validation on the training split gives every draft a score from a
//!    model that never saw it. Each output's threshold is set on those scores: high
//!    recall for the categories the law cares most about, the best F2 for the others.
//! 3. The full engine (rules plus the fold's model) is evaluated on each held-out fold,
//!    so the report shows what the combination does on drafts it was not trained on.
//! 4. A final model is trained on every training draft with those thresholds.
//!
//! The blind split is not an input here and must never become one.

use bluelamp_judgement::linear::{self, threshold_for_f_beta, threshold_for_recall, Example};
use bluelamp_judgement::{split, Featurizer, LinearModel, TrainOptions};
use std::sync::Arc;

use super::{draft_features, Learned, LABELS, REVIEW, SCHEMA};
use crate::corpus::{Evaluation, Fixed, LabelledDraft};
use crate::engine::Engine;
use crate::model::{Category, Decision};

/// The result of a training run.
pub struct Trained {
    pub model: LinearModel,
    /// The combination (rules + model) on cross-validation folds of the training split.
    pub cross_validation: Evaluation,
    /// The rules alone on the same drafts, for comparison.
    pub rules_alone: Evaluation,
}

/// Per output, how its threshold is chosen: a recall to reach, or best F-beta.
fn target(label: &str) -> Target {
    match label {
        "victim-identity" | "child-identity" | "contempt" => Target::Recall(0.97),
        REVIEW => Target::Recall(0.95),
        "accessibility" | "emergency-advice" => Target::FBeta(1.0),
        _ => Target::FBeta(2.0),
    }
}

enum Target {
    Recall(f64),
    FBeta(f64),
}

fn gold(d: &LabelledDraft) -> Vec<bool> {
    LABELS
        .iter()
        .map(|l| {
            if *l == REVIEW {
                d.decision != Decision::Publish
            } else {
                Category::parse(l).is_some_and(|c| d.categories.contains(&c))
            }
        })
        .collect()
}

/// Options for [`train`]; the defaults are what the committed weights were made with.
#[derive(Clone)]
pub struct Options {
    pub featurizer: Featurizer,
    pub train: TrainOptions,
    pub folds: u32,
}

impl Default for Options {
    fn default() -> Options {
        let mut train = TrainOptions::default();
        // Misses cost more than false alarms on the categories a supervisor must see.
        train.positive_weight = LABELS
            .iter()
            .map(|l| match *l {
                "victim-identity" | "child-identity" | "contempt" => 3.0,
                "accessibility" | "emergency-advice" => 1.5,
                _ => 2.0,
            })
            .collect();
        Options {
            featurizer: Featurizer::default(),
            train,
            folds: 5,
        }
    }
}

/// Trains on `drafts` (the training split). `rules` is the rules-only engine.
pub fn train(rules: &Engine, drafts: &[LabelledDraft], options: &Options) -> Trained {
    let examples: Vec<Example> = drafts
        .iter()
        .map(|d| {
            let report = rules.check(&d.draft, &Fixed(d.duplicates));
            Example {
                features: draft_features(&options.featurizer, &d.draft, &report),
                labels: gold(d),
            }
        })
        .collect();
    let labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let folds: Vec<u32> = drafts
        .iter()
        .map(|d| split::fold_of(&d.id, options.folds))
        .collect();

    // Out-of-fold logits for every draft, and each fold's model.
    let mut oof: Vec<Vec<f32>> = vec![Vec::new(); drafts.len()];
    let mut fold_models = Vec::new();
    for k in 0..options.folds {
        let train_set: Vec<&Example> = examples
            .iter()
            .zip(&folds)
            .filter(|(_, f)| **f != k)
            .map(|(e, _)| e)
            .collect();
        let model = train_refs(options, &labels, &train_set);
        for (i, e) in examples.iter().enumerate() {
            if folds[i] == k {
                oof[i] = model.logits(&e.features);
            }
        }
        fold_models.push(model);
    }
    let thresholds: Vec<f32> = (0..LABELS.len())
        .map(|l| {
            let scored: Vec<(f32, bool)> = examples
                .iter()
                .zip(&oof)
                .map(|(e, z)| (z[l], e.labels[l]))
                .collect();
            match target(LABELS[l]) {
                Target::Recall(r) => threshold_for_recall(&scored, r),
                Target::FBeta(b) => threshold_for_f_beta(&scored, b),
            }
        })
        .collect();

    let mut cross_validation = Evaluation::new();
    let mut rules_alone = Evaluation::new();
    for (k, mut model) in fold_models.into_iter().enumerate() {
        model.thresholds = thresholds.clone();
        let engine = rules_clone(rules).with_model(Arc::new(Learned { model }));
        for (i, d) in drafts.iter().enumerate() {
            if folds[i] == k as u32 {
                let r = engine.check(&d.draft, &Fixed(d.duplicates));
                cross_validation.add(d, r.decision, &r.categories());
                let r = rules.check(&d.draft, &Fixed(d.duplicates));
                rules_alone.add(d, r.decision, &r.categories());
            }
        }
    }

    let all: Vec<&Example> = examples.iter().collect();
    let mut model = train_refs(options, &labels, &all);
    model.thresholds = thresholds;
    Trained {
        model,
        cross_validation,
        rules_alone,
    }
}

fn train_refs(options: &Options, labels: &[String], examples: &[&Example]) -> LinearModel {
    // `linear::train` takes owned examples; borrow-friendly copies are cheap next to
    // training itself.
    let owned: Vec<Example> = examples
        .iter()
        .map(|e| Example {
            features: e.features.clone(),
            labels: e.labels.clone(),
        })
        .collect();
    linear::train(options.featurizer, SCHEMA, labels.to_vec(), &owned, &options.train)
}

fn rules_clone(rules: &Engine) -> Engine {
    rules.clone()
}
