//! Aggregate figures: the only way a blind split is ever looked at. Nothing here takes
//! or prints an example's text or id.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts for one label: true/false positives and negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinaryCounts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl BinaryCounts {
    pub fn add(&mut self, gold: bool, predicted: bool) {
        match (gold, predicted) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    /// Precision; 1.0 when nothing was predicted (no false alarms).
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// Recall; 1.0 when there was nothing to find.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn support(&self) -> usize {
        self.tp + self.fn_
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Per-label counts in a stable order.
#[derive(Debug, Clone, Default)]
pub struct LabelTable(pub BTreeMap<String, BinaryCounts>);

impl LabelTable {
    /// Records one example: the labels it has and the labels predicted for it, out of
    /// `all` labels.
    pub fn add(&mut self, all: &[&str], gold: &[&str], predicted: &[&str]) {
        for label in all {
            self.0
                .entry((*label).to_string())
                .or_default()
                .add(gold.contains(label), predicted.contains(label));
        }
    }

    pub fn get(&self, label: &str) -> BinaryCounts {
        self.0.get(label).copied().unwrap_or_default()
    }

    /// The unweighted mean F1 over labels that occur in the gold labels.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<f64> = self
            .0
            .values()
            .filter(|c| c.support() > 0)
            .map(BinaryCounts::f1)
            .collect();
        if present.is_empty() {
            0.0
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        }
    }

    /// A Markdown table: label, support, tp, fp, fn, precision, recall, F1.
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| label | support | tp | fp | fn | precision | recall | F1 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for (label, c) in &self.0 {
            let _ = writeln!(
                s,
                "| {label} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |",
                c.support(),
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            );
        }
        s
    }
}

/// Gold decision by predicted decision, for an ordered set of decisions.
#[derive(Debug, Clone)]
pub struct DecisionMatrix {
    pub names: Vec<String>,
    pub counts: Vec<Vec<usize>>,
}

impl DecisionMatrix {
    pub fn new(names: &[&str]) -> DecisionMatrix {
        DecisionMatrix {
            names: names.iter().map(|s| s.to_string()).collect(),
            counts: vec![vec![0; names.len()]; names.len()],
        }
    }

    pub fn add(&mut self, gold: &str, predicted: &str) {
        let g = self.names.iter().position(|n| n == gold);
        let p = self.names.iter().position(|n| n == predicted);
        if let (Some(g), Some(p)) = (g, p) {
            self.counts[g][p] += 1;
        }
    }

    pub fn count(&self, gold: &str, predicted: &str) -> usize {
        let g = self.names.iter().position(|n| n == gold);
        let p = self.names.iter().position(|n| n == predicted);
        match (g, p) {
            (Some(g), Some(p)) => self.counts[g][p],
            _ => 0,
        }
    }

    pub fn gold_total(&self, gold: &str) -> usize {
        self.names.iter().map(|p| self.count(gold, p)).sum()
    }

    pub fn markdown(&self) -> String {
        let mut s = String::from("| gold \\ check |");
        for n in &self.names {
            let _ = write!(s, " {n} |");
        }
        s.push_str("\n| --- |");
        for _ in &self.names {
            s.push_str(" ---: |");
        }
        s.push('\n');
        for (g, row) in self.names.iter().zip(&self.counts) {
            let _ = write!(s, "| {g} |");
            for c in row {
                let _ = write!(s, " {c} |");
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ratios() {
        let mut t = LabelTable::default();
        let all = ["a", "b"];
        t.add(&all, &["a"], &["a"]);
        t.add(&all, &["a"], &[]);
        t.add(&all, &[], &["a", "b"]);
        let a = t.get("a");
        assert_eq!((a.tp, a.fp, a.fn_, a.tn), (1, 1, 1, 0));
        assert!((a.f1() - 0.5).abs() < 1e-9);
        // "b" never occurs in gold: left out of the macro mean.
        assert!((t.macro_f1() - 0.5).abs() < 1e-9);
        assert!(t.markdown().contains("| a | 2 | 1 | 1 | 1 |"));
        let mut m = DecisionMatrix::new(&["publish", "hold"]);
        m.add("hold", "publish");
        m.add("hold", "hold");
        m.add("nonsense", "hold");
        assert_eq!(m.count("hold", "publish"), 1);
        assert_eq!(m.gold_total("hold"), 2);
    }
}
