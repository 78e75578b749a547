//! A linear model with one output per label (one-vs-rest logistic regression) over
//! hashed features, and its training.
//!
//! Why linear: it trains in seconds from a few thousand examples on two cores, it
//! scores a post in microseconds, its weights are small enough to commit and build
//! into the binary, and every decision decomposes exactly into per-feature
//! contributions, which is how a finding points at the words that decided it.

use crate::features::{Feature, Featurizer};

/// A trained model. Weights are feature-major (`bucket * labels + label`) so that one
/// feature's weights for every label sit in one cache line.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub featurizer: Featurizer,
    /// What the caller's features mean (for example `governance-v1`); a model is
    /// refused by code that builds its features differently.
    pub schema: String,
    pub labels: Vec<String>,
    pub weights: Vec<f32>,
    /// Per label: a logit at or above this fires the label.
    pub thresholds: Vec<f32>,
}

/// How a model is trained. The defaults suit a few thousand short texts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    /// Per label: how much a positive example counts against a negative one. Rare
    /// labels whose misses are costly (a victim identified) get more.
    pub positive_weight: Vec<f32>,
    pub seed: u64,
    /// Train this many models on different shuffles and keep the mean of their
    /// weights. A mean of linear models is one linear model, so scoring costs nothing
    /// more; training costs `bags` times as much.
    pub bags: u32,
    /// A feature found in fewer than this many training examples keeps weight zero
    /// (1: every feature learns). A weight learnt from one example mostly remembers
    /// that example; leaving it out also keeps the weights file small.
    pub min_count: u32,
}

impl Default for TrainOptions {
    fn default() -> TrainOptions {
        TrainOptions {
            epochs: 12,
            learning_rate: 0.3,
            l2: 1e-6,
            positive_weight: Vec::new(),
            seed: 7,
            bags: 1,
            min_count: 1,
        }
    }
}

/// One training example: its features and, per label, whether it applies.
pub struct Example {
    pub features: Vec<Feature>,
    pub labels: Vec<bool>,
}

#[inline]
fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Features are binary with repeats. The text's features are scaled together to unit
/// length, so that a long post does not outvote a short one by its length alone; the
/// others (the bias, context, signals: `start == end`) keep a fixed value, so that a
/// short post's context does not weigh more than a long one's.
struct Scale {
    text: f32,
}

/// The value of a non-text feature.
const TOKEN_VALUE: f32 = 0.25;

impl Scale {
    #[inline]
    fn of(features: &[Feature]) -> Scale {
        let n = features.iter().filter(|f| f.start != f.end).count();
        Scale {
            text: 1.0 / (n.max(1) as f32).sqrt(),
        }
    }

    #[inline]
    fn value(&self, f: &Feature) -> f32 {
        if f.start == f.end {
            TOKEN_VALUE
        } else {
            self.text
        }
    }
}

impl LinearModel {
    /// An untrained model (every weight zero, every threshold 0).
    pub fn zeroed(featurizer: Featurizer, schema: &str, labels: Vec<String>) -> LinearModel {
        let n = featurizer.buckets() as usize * labels.len();
        LinearModel {
            featurizer,
            schema: schema.to_string(),
            thresholds: vec![0.0; labels.len()],
            labels,
            weights: vec![0.0; n],
        }
    }

    pub fn label_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    /// The logit of every label for these features, into `out` (cleared first).
    pub fn logits_into(&self, features: &[Feature], out: &mut Vec<f32>) {
        let l = self.labels.len();
        out.clear();
        out.resize(l, 0.0);
        let scale = Scale::of(features);
        let buckets = self.featurizer.buckets();
        for f in features {
            if f.bucket >= buckets {
                continue;
            }
            let v = scale.value(f);
            let row = &self.weights[f.bucket as usize * l..f.bucket as usize * l + l];
            for (o, w) in out.iter_mut().zip(row) {
                *o += w * v;
            }
        }
    }

    pub fn logits(&self, features: &[Feature]) -> Vec<f32> {
        let mut out = Vec::new();
        self.logits_into(features, &mut out);
        out
    }

    /// Which labels fire for these logits.
    pub fn fired(&self, logits: &[f32]) -> Vec<bool> {
        logits
            .iter()
            .zip(&self.thresholds)
            .map(|(z, t)| z >= t)
            .collect()
    }

    /// The text spans that pushed `label` up the most, strongest first: each span's
    /// summed contribution, spans that overlap merged. Non-text features are left out:
    /// they explain nothing to the person who wrote the text.
    pub fn explain(&self, features: &[Feature], label: usize, top: usize) -> Vec<(u32, u32, f32)> {
        let l = self.labels.len();
        let scale = Scale::of(features);
        let mut spans: Vec<(u32, u32, f32)> = Vec::new();
        for f in features {
            if f.start == f.end || f.bucket >= self.featurizer.buckets() {
                continue;
            }
            let w = self.weights[f.bucket as usize * l + label] * scale.value(f);
            match spans.iter_mut().find(|s| s.0 == f.start && s.1 == f.end) {
                Some(s) => s.2 += w,
                None => spans.push((f.start, f.end, w)),
            }
        }
        // Word pairs and single words overlap; keep the stronger of overlapping spans.
        spans.sort_by(|a, b| b.2.total_cmp(&a.2));
        let mut kept: Vec<(u32, u32, f32)> = Vec::new();
        for s in spans {
            if s.2 <= 0.0 || kept.len() >= top {
                break;
            }
            if kept.iter().all(|k| s.1 <= k.0 || s.0 >= k.1) {
                kept.push(s);
            }
        }
        kept
    }
}

/// A small deterministic generator for the training order (no `rand` dependency for a
/// shuffle).
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Trains one logistic output per label with AdaGrad (with `bags`, several, averaged).
/// Deterministic: the same examples and options give the same weights, bit for bit, on
/// any machine.
pub fn train(
    featurizer: Featurizer,
    schema: &str,
    labels: Vec<String>,
    examples: &[Example],
    options: &TrainOptions,
) -> LinearModel {
    let bags = options.bags.max(1);
    let learns = learning_buckets(&featurizer, examples, options.min_count);
    let mut model = train_one(
        featurizer,
        schema,
        labels.clone(),
        examples,
        options,
        options.seed,
        &learns,
    );
    for bag in 1..bags {
        let seed = options
            .seed
            .wrapping_add(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(u64::from(bag)));
        let other = train_one(
            featurizer,
            schema,
            labels.clone(),
            examples,
            options,
            seed,
            &learns,
        );
        for (w, o) in model.weights.iter_mut().zip(&other.weights) {
            *w += o;
        }
    }
    if bags > 1 {
        let n = bags as f32;
        model.weights.iter_mut().for_each(|w| *w /= n);
    }
    model
}

/// Per bucket: whether its weights learn, i.e. whether at least `min_count` examples
/// have the feature (counted once per example).
fn learning_buckets(featurizer: &Featurizer, examples: &[Example], min_count: u32) -> Vec<bool> {
    let buckets = featurizer.buckets() as usize;
    if min_count <= 1 {
        return vec![true; buckets];
    }
    let mut count = vec![0u32; buckets];
    let mut seen: Vec<u32> = Vec::new();
    for ex in examples {
        seen.clear();
        seen.extend(ex.features.iter().map(|f| f.bucket));
        seen.sort_unstable();
        seen.dedup();
        for b in &seen {
            if let Some(c) = count.get_mut(*b as usize) {
                *c += 1;
            }
        }
    }
    count.into_iter().map(|c| c >= min_count).collect()
}

fn train_one(
    featurizer: Featurizer,
    schema: &str,
    labels: Vec<String>,
    examples: &[Example],
    options: &TrainOptions,
    seed: u64,
    learns: &[bool],
) -> LinearModel {
    let mut model = LinearModel::zeroed(featurizer, schema, labels);
    let l = model.labels.len();
    let mut grad_sq = vec![1e-8f32; model.weights.len()];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut rng = XorShift(seed | 1);
    let mut logits = Vec::with_capacity(l);
    let mut g = vec![0.0f32; l];
    for _ in 0..options.epochs {
        for i in (1..order.len()).rev() {
            let j = (rng.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for &e in &order {
            let ex = &examples[e];
            model.logits_into(&ex.features, &mut logits);
            for k in 0..l {
                let y = ex.labels.get(k).copied().unwrap_or(false);
                let weight = if y {
                    options.positive_weight.get(k).copied().unwrap_or(1.0)
                } else {
                    1.0
                };
                g[k] = (sigmoid(logits[k]) - if y { 1.0 } else { 0.0 }) * weight;
            }
            let scale = Scale::of(&ex.features);
            for f in &ex.features {
                if !learns.get(f.bucket as usize).copied().unwrap_or(false) {
                    continue;
                }
                let v = scale.value(f);
                let base = f.bucket as usize * l;
                for k in 0..l {
                    let w = &mut model.weights[base + k];
                    let grad = g[k] * v + options.l2 * *w;
                    grad_sq[base + k] += grad * grad;
                    *w -= options.learning_rate * grad / grad_sq[base + k].sqrt();
                }
            }
        }
    }
    model
}

/// The highest threshold that still catches at least `min_recall` of the positives,
/// given out-of-sample logits. With no positives, a threshold nothing reaches.
pub fn threshold_for_recall(scored: &[(f32, bool)], min_recall: f64) -> f32 {
    let mut pos: Vec<f32> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    if pos.is_empty() {
        return f32::INFINITY;
    }
    pos.sort_by(f32::total_cmp);
    let may_miss = ((1.0 - min_recall) * pos.len() as f64).floor() as usize;
    pos[may_miss.min(pos.len() - 1)]
}

/// The threshold with the best F-beta on out-of-sample logits (beta > 1 favours recall).
pub fn threshold_for_f_beta(scored: &[(f32, bool)], beta: f64) -> f32 {
    let mut s: Vec<(f32, bool)> = scored.to_vec();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = s.iter().filter(|x| x.1).count() as f64;
    if positives == 0.0 {
        return f32::INFINITY;
    }
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let mut best = (f64::MIN, f32::INFINITY);
    let b2 = beta * beta;
    for (i, (z, y)) in s.iter().enumerate() {
        if *y {
            tp += 1.0
        } else {
            fp += 1.0
        }
        // Only cut between distinct scores.
        if s.get(i + 1).is_some_and(|n| n.0 == *z) {
            continue;
        }
        let precision = tp / (tp + fp);
        let recall = tp / positives;
        let f = if tp == 0.0 {
            0.0
        } else {
            (1.0 + b2) * precision * recall / (b2 * precision + recall)
        };
        if f > best.0 {
            best = (f, *z);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(f: &Featurizer, text: &str, labels: &[bool]) -> Example {
        let mut features = Vec::new();
        f.bias(&mut features);
        f.text(text, &[], &mut features);
        Example {
            features,
            labels: labels.to_vec(),
        }
    }

    #[test]
    fn it_learns_a_separable_toy_problem_and_explains_it() {
        let f = Featurizer {
            bits: 12,
            char_min: 3,
            char_max: 4,
        };
        let rude = [
            "you absolute idiot",
            "what an idiot driver",
            "idiot parked here again",
        ];
        let kind = [
            "thank you all",
            "lovely morning in town",
            "well done to the team",
        ];
        let mut ex = Vec::new();
        for t in rude {
            ex.push(example(&f, t, &[true]));
        }
        for t in kind {
            ex.push(example(&f, t, &[false]));
        }
        let m = train(f, "toy", vec!["rude".into()], &ex, &TrainOptions::default());
        let mut probe = Vec::new();
        f.bias(&mut probe);
        let text = "another idiot on the bypass";
        f.text(text, &[], &mut probe);
        assert!(m.logits(&probe)[0] > 0.0);
        let top = m.explain(&probe, 0, 1);
        let (s, e, _) = top[0];
        assert!(text[s as usize..e as usize].contains("idiot"), "{top:?}");
        let mut nice = Vec::new();
        f.bias(&mut nice);
        f.text("thank you team", &[], &mut nice);
        assert!(m.logits(&nice)[0] < 0.0);
    }

    #[test]
    fn training_is_deterministic() {
        let f = Featurizer {
            bits: 10,
            char_min: 0,
            char_max: 0,
        };
        let ex = vec![example(&f, "a b", &[true]), example(&f, "c d", &[false])];
        let a = train(f, "t", vec!["x".into()], &ex, &TrainOptions::default());
        let b = train(f, "t", vec!["x".into()], &ex, &TrainOptions::default());
        assert_eq!(a, b);
    }

    #[test]
    fn bagging_averages_models_of_different_shuffles() {
        let f = Featurizer {
            bits: 10,
            char_min: 0,
            char_max: 0,
        };
        let ex = vec![
            example(&f, "a b", &[true]),
            example(&f, "c d", &[false]),
            example(&f, "a d", &[true]),
        ];
        let one = TrainOptions::default();
        let bagged = TrainOptions {
            bags: 3,
            ..TrainOptions::default()
        };
        let a = train(f, "t", vec!["x".into()], &ex, &one);
        let b = train(f, "t", vec!["x".into()], &ex, &bagged);
        assert_ne!(a.weights, b.weights, "other shuffles change the mean");
        assert_eq!(b, train(f, "t", vec!["x".into()], &ex, &bagged));
        let p = example(&f, "a", &[true]);
        assert!(b.logits(&p.features)[0] > 0.0);
    }

    #[test]
    fn features_rarer_than_min_count_keep_weight_zero() {
        let f = Featurizer {
            bits: 10,
            char_min: 0,
            char_max: 0,
        };
        let ex = vec![
            example(&f, "often rare", &[true]),
            example(&f, "often", &[true]),
            example(&f, "calm", &[false]),
            example(&f, "calm", &[false]),
        ];
        let options = TrainOptions {
            min_count: 2,
            ..TrainOptions::default()
        };
        let m = train(f, "t", vec!["x".into()], &ex, &options);
        let weight_of = |text: &str| {
            let mut fs = Vec::new();
            f.text(text, &[], &mut fs);
            m.weights[fs[0].bucket as usize]
        };
        assert_eq!(weight_of("rare"), 0.0, "seen once: not learnt");
        assert!(weight_of("often") > 0.0);
        assert!(weight_of("calm") < 0.0);
    }

    #[test]
    fn thresholds_meet_their_recall() {
        let scored: Vec<(f32, bool)> = (0..100).map(|i| (i as f32, i % 2 == 0)).collect();
        let t = threshold_for_recall(&scored, 0.9);
        let caught = scored.iter().filter(|s| s.1 && s.0 >= t).count();
        assert!(caught >= 45, "{caught}");
        assert_eq!(threshold_for_recall(&[(1.0, false)], 0.9), f32::INFINITY);
        let t = threshold_for_f_beta(&[(3.0, true), (2.0, true), (1.0, false)], 1.0);
        assert_eq!(t, 2.0);
    }
}
