//! The weights file: how a trained [`LinearModel`] is committed to the repository and
//! built into the binary.
//!
//! Layout (little-endian): the magic `BLJM`, a format version, the featurizer settings,
//! the feature schema, the labels and their thresholds, one quantisation scale per
//! label, then every bucket with a non-zero weight (the gap from the previous bucket as
//! a varint, then one integer per label), and last a hash of everything before it.
//! Version 3 stores each weight as a zig-zag varint in steps of 1/255 of its label's
//! largest weight, so nearly every weight takes one byte (the triage model trained on
//! 8,040 messages: 2.26 MB at 1/2047, 1.3 MB at 1/255). The rounding, at most 0.2% of
//! the largest weight, moves a logit by far less than the training noise. Version 2 (a fixed `i16` per weight, steps of 1/32767) is still read.
//!
//! Reading checks everything, and a file that fails any check is an error that says
//! what is wrong: a server must refuse to start rather than check drafts with no model
//! or with a model whose features mean something else.

use crate::features::{hash_bytes, Featurizer};
use crate::linear::LinearModel;

const MAGIC: &[u8; 4] = b"BLJM";
/// 2: non-text features count with a fixed value rather than scaled with the text.
/// 3: weights as zig-zag varints (same features as 2, so both are read).
const VERSION: u16 = 3;
const OLDEST_READ: u16 = 2;
/// Version 3's quantisation: the largest weight of a label is this many steps.
const STEPS: f32 = 255.0;
/// Buckets whose weights are all at most this many steps from zero are not written.
const PRUNE_STEPS: i32 = 1;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("the weights file is not a Bluelamp model (it does not start with BLJM)")]
    NotAModel,
    #[error("the weights file has format version {0}; this build reads versions {OLDEST_READ} to {VERSION}")]
    Version(u16),
    #[error("the weights file is damaged (its checksum does not match its contents)")]
    Checksum,
    #[error("the weights file is damaged: {0}")]
    Corrupt(String),
    #[error("the weights file was trained for {found}; this build needs {expected}")]
    Mismatch { expected: String, found: String },
}

struct Writer(Vec<u8>);
impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        let b = &s.as_bytes()[..s.len().min(255)];
        self.u8(b.len() as u8);
        self.0.extend_from_slice(b);
    }
    fn varint(&mut self, mut v: u32) {
        while v >= 0x80 {
            self.u8((v as u8) | 0x80);
            v >>= 7;
        }
        self.u8(v as u8);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}
impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ModelError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| ModelError::Corrupt(format!("it ends early, at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn str(&mut self) -> Result<String, ModelError> {
        let n = self.u8()? as usize;
        String::from_utf8(self.take(n)?.to_vec())
            .map_err(|_| ModelError::Corrupt("a name is not UTF-8".into()))
    }
    fn varint(&mut self) -> Result<u32, ModelError> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(v)
                    .map_err(|_| ModelError::Corrupt("a number overflows".into()));
            }
        }
        Err(ModelError::Corrupt("a number is too long".into()))
    }
}

/// The file's bytes for a model.
pub fn encode(model: &LinearModel) -> Vec<u8> {
    let l = model.labels.len();
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(MAGIC);
    w.u16(VERSION);
    w.u8(model.featurizer.bits as u8);
    w.u8(model.featurizer.char_min as u8);
    w.u8(model.featurizer.char_max as u8);
    w.str(&model.schema);
    w.u16(l as u16);
    for label in &model.labels {
        w.str(label);
    }
    for t in &model.thresholds {
        w.f32(*t);
    }
    let mut scales = vec![0.0f32; l];
    for (i, x) in model.weights.iter().enumerate() {
        scales[i % l.max(1)] = scales[i % l.max(1)].max(x.abs());
    }
    for s in scales.iter_mut() {
        *s = if *s > 0.0 { *s / STEPS } else { 1.0 };
        w.f32(*s);
    }
    let rows: Vec<(usize, Vec<i32>)> = model
        .weights
        .chunks(l.max(1))
        .enumerate()
        .filter_map(|(b, row)| {
            let q: Vec<i32> = row
                .iter()
                .zip(&scales)
                .map(|(x, s)| (x / s).round().clamp(-STEPS, STEPS) as i32)
                .collect();
            // A bucket whose every weight is within one step of zero is left out
            // (read as zero): it moves a logit by less than the rounding of the rest,
            // and such buckets (features seen once or twice in training) are most of
            // the file.
            q.iter().any(|v| v.abs() > PRUNE_STEPS).then_some((b, q))
        })
        .collect();
    w.u32(rows.len() as u32);
    let mut last = 0usize;
    for (b, q) in rows {
        w.varint((b - last) as u32);
        last = b;
        for v in q {
            w.varint(((v << 1) ^ (v >> 31)) as u32);
        }
    }
    let sum = hash_bytes(0xc0de, &w.0);
    w.0.extend_from_slice(&sum.to_le_bytes());
    w.0
}

/// Reads a weights file, checking that it is whole and that it was trained for
/// `schema` with exactly `labels` (in this order).
pub fn decode(bytes: &[u8], schema: &str, labels: &[&str]) -> Result<LinearModel, ModelError> {
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(ModelError::NotAModel);
    }
    if bytes.len() < 14 {
        return Err(ModelError::Corrupt("it is too short".into()));
    }
    let mut r = Reader { bytes, at: 4 };
    let version = r.u16()?;
    if !(OLDEST_READ..=VERSION).contains(&version) {
        return Err(ModelError::Version(version));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut stored = [0u8; 8];
    stored.copy_from_slice(sum);
    if hash_bytes(0xc0de, body) != u64::from_le_bytes(stored) {
        return Err(ModelError::Checksum);
    }
    let mut r = Reader { bytes: body, at: 6 };
    let featurizer = Featurizer {
        bits: u32::from(r.u8()?),
        char_min: u32::from(r.u8()?),
        char_max: u32::from(r.u8()?),
    };
    if !(8..=24).contains(&featurizer.bits) || featurizer.char_min > featurizer.char_max {
        return Err(ModelError::Corrupt(
            "its feature settings are out of range".into(),
        ));
    }
    let found_schema = r.str()?;
    let l = r.u16()? as usize;
    let mut found_labels = Vec::with_capacity(l);
    for _ in 0..l {
        found_labels.push(r.str()?);
    }
    if found_schema != schema
        || found_labels
            .iter()
            .map(String::as_str)
            .ne(labels.iter().copied())
    {
        return Err(ModelError::Mismatch {
            expected: format!("{schema} [{}]", labels.join(", ")),
            found: format!("{found_schema} [{}]", found_labels.join(", ")),
        });
    }
    let mut thresholds = Vec::with_capacity(l);
    for _ in 0..l {
        thresholds.push(r.f32()?);
    }
    let mut scales = Vec::with_capacity(l);
    for _ in 0..l {
        scales.push(r.f32()?);
    }
    let mut model = LinearModel::zeroed(featurizer, schema, found_labels);
    model.thresholds = thresholds;
    let rows = r.u32()? as usize;
    let buckets = featurizer.buckets() as usize;
    if rows > buckets {
        return Err(ModelError::Corrupt(
            "it lists more rows than there are buckets".into(),
        ));
    }
    let mut bucket = 0usize;
    for i in 0..rows {
        let gap = r.varint()? as usize;
        if i > 0 && gap == 0 {
            return Err(ModelError::Corrupt("a bucket is listed twice".into()));
        }
        bucket += gap;
        if bucket >= buckets {
            return Err(ModelError::Corrupt(format!(
                "bucket {bucket} is out of range"
            )));
        }
        for (k, s) in scales.iter().enumerate() {
            let q = if version == 2 {
                let b = r.take(2)?;
                i32::from(i16::from_le_bytes([b[0], b[1]]))
            } else {
                let z = r.varint()?;
                ((z >> 1) as i32) ^ -((z & 1) as i32)
            };
            if q.unsigned_abs() > STEPS as u32 && version > 2 {
                return Err(ModelError::Corrupt(format!(
                    "a weight of bucket {bucket} is out of range"
                )));
            }
            model.weights[bucket * l + k] = q as f32 * s;
        }
    }
    if r.at != body.len() {
        return Err(ModelError::Corrupt(
            "it has bytes after the last row".into(),
        ));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> LinearModel {
        let f = Featurizer {
            bits: 10,
            char_min: 3,
            char_max: 4,
        };
        let mut m = LinearModel::zeroed(f, "test-v1", vec!["a".into(), "b".into()]);
        m.weights[7 * 2] = 1.5;
        m.weights[7 * 2 + 1] = -0.25;
        m.weights[900 * 2 + 1] = 0.75;
        m.thresholds = vec![0.1, -0.2];
        m
    }

    #[test]
    fn a_model_round_trips_within_quantisation() {
        let m = model();
        let back = decode(&encode(&m), "test-v1", &["a", "b"]).expect("decodes");
        assert_eq!(back.thresholds, m.thresholds);
        for (x, y) in m.weights.iter().zip(&back.weights) {
            // Within half a step of 1/255 of the label's largest weight.
            assert!((x - y).abs() <= 1.5 / 255.0 / 2.0 + 1e-6, "{x} {y}");
        }
    }

    #[test]
    fn buckets_within_one_step_of_zero_are_left_out() {
        let mut m = model();
        // One step of label a is 1.5 / 255; this bucket's weights are one step at most.
        m.weights[300 * 2] = 1.5 / 255.0;
        m.weights[300 * 2 + 1] = -0.75 / 255.0;
        let small = encode(&m).len();
        let back = decode(&encode(&m), "test-v1", &["a", "b"]).expect("decodes");
        assert_eq!(back.weights[300 * 2], 0.0);
        assert_eq!(back.weights[300 * 2 + 1], 0.0);
        assert_eq!(small, encode(&model()).len(), "the bucket costs nothing");
        // Two steps are kept.
        m.weights[300 * 2] = 3.0 / 255.0;
        let back = decode(&encode(&m), "test-v1", &["a", "b"]).expect("decodes");
        assert!(back.weights[300 * 2] > 0.0);
    }

    #[test]
    fn every_damage_is_a_clear_error() {
        let bytes = encode(&model());
        assert_eq!(
            decode(b"PK\x03\x04", "test-v1", &["a", "b"]),
            Err(ModelError::NotAModel)
        );
        let mut flipped = bytes.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 1;
        assert_eq!(
            decode(&flipped, "test-v1", &["a", "b"]),
            Err(ModelError::Checksum)
        );
        let cut = &bytes[..bytes.len() - 3];
        assert!(decode(cut, "test-v1", &["a", "b"]).is_err());
        let e = decode(&bytes, "test-v2", &["a", "b"]).expect_err("schema differs");
        assert!(e.to_string().contains("test-v2"), "{e}");
        assert!(matches!(
            decode(&bytes, "test-v1", &["a"]),
            Err(ModelError::Mismatch { .. })
        ));
        let mut v2 = bytes.clone();
        v2[4] = 9;
        assert_eq!(
            decode(&v2, "test-v1", &["a", "b"]),
            Err(ModelError::Version(9))
        );
    }
}
