//! Grouping messages that ask about or spread the same claim ("is the town centre on
//! fire?", "heard the town centre is burning") as they stream in, so an officer
//! answers the claim once.
//!
//! Near-duplicate detection by MinHash over a message's content words (lower-cased,
//! common words dropped, a light stem): the share of equal signature slots estimates
//! the Jaccard similarity of the word sets. Signatures are cut into bands; two
//! messages that agree on a whole band are candidates, and a candidate joins a
//! cluster when its estimated similarity reaches [`JOIN_SIMILARITY`]. The bands are
//! what a store indexes, so finding candidates is a lookup, not a scan.

use bluelamp_judgement::features::hash_bytes;

/// Signature slots, and how they are cut into bands.
pub const SLOTS: usize = 32;
pub const BANDS: usize = 16;
const ROWS: usize = SLOTS / BANDS;

/// Estimated word-set similarity at which a message joins a cluster.
pub const JOIN_SIMILARITY: f64 = 0.4;

/// Words too common to say what a claim is about (English and Welsh).
const COMMON: &[&str] = &[
    "the", "a", "an", "and", "or", "but", "is", "are", "was", "were", "be", "been", "it", "its",
    "this", "that", "there", "here", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "as", "i", "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "his", "her",
    "do", "does", "did", "have", "has", "had", "any", "anyone", "someone", "what", "whats",
    "going", "just", "so", "if", "not", "no", "yes", "can", "could", "will", "would", "should",
    "about", "all", "some", "know", "does", "please", "pls", "plz", "police", "u", "im", "ive",
    "true", "really", "hear", "heard", "saying", "say", "says", "said", "people", "being",
    "anybody", "tell", "us", "now", "right", "get", "got", "yn", "y", "yr", "ar", "mae", "o",
];

/// A message's MinHash signature; `None` when it has too few content words to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SLOTS]);

fn stem(word: &str) -> &str {
    for suffix in ["ing", "ed", "es", "s"] {
        if word.len() > suffix.len() + 3 {
            if let Some(stripped) = word.strip_suffix(suffix) {
                return stripped;
            }
        }
    }
    word
}

/// The content words of a message, lower-cased and stemmed, without repeats.
pub fn content_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()) && !w.starts_with("http"))
        .map(|w| stem(&w).to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

impl Signature {
    /// Needs at least two content words: one word alone ("fire?") is too little to
    /// group by.
    pub fn of(text: &str) -> Option<Signature> {
        let words = content_words(text);
        if words.len() < 2 {
            return None;
        }
        let mut slots = [u32::MAX; SLOTS];
        for w in &words {
            for (i, slot) in slots.iter_mut().enumerate() {
                let h = hash_bytes(0x5eed_0000 + i as u64, w.as_bytes()) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        Some(Signature(slots))
    }

    /// The estimated Jaccard similarity of two messages' word sets.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let same = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        same as f64 / SLOTS as f64
    }

    /// The band keys a store indexes (one string per band).
    pub fn bands(&self) -> Vec<String> {
        (0..BANDS)
            .map(|b| {
                let mut h = b as u64;
                for r in 0..ROWS {
                    h = bluelamp_judgement::features::mix(h, u64::from(self.0[b * ROWS + r]));
                }
                format!("{b:02}{h:016x}")
            })
            .collect()
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|v| format!("{v:08x}")).collect()
    }

    pub fn from_hex(text: &str) -> Option<Signature> {
        if text.len() != SLOTS * 8 || !text.is_ascii() {
            return None;
        }
        let mut slots = [0u32; SLOTS];
        for (i, slot) in slots.iter_mut().enumerate() {
            *slot = u32::from_str_radix(&text[i * 8..i * 8 + 8], 16).ok()?;
        }
        Some(Signature(slots))
    }
}

/// Where a message of a batch goes: into a cluster the index already had (by its
/// position), or a cluster it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Joined(usize),
    Started(usize),
}

/// Clusters by their band keys, in memory: a batch of messages is clustered against
/// the stored clusters its bands touch (loaded once) and against the clusters the
/// batch itself starts, so a storm costs one lookup per batch, not one per message.
/// A cluster is compared by its founding signature, as the store keeps it.
#[derive(Debug, Default)]
pub struct BandIndex {
    signatures: Vec<Signature>,
    by_band: std::collections::HashMap<String, Vec<usize>>,
}

impl BandIndex {
    /// Adds a cluster with this founding signature; returns its position.
    pub fn add(&mut self, signature: Signature) -> usize {
        let position = self.signatures.len();
        for band in signature.bands() {
            self.by_band.entry(band).or_default().push(position);
        }
        self.signatures.push(signature);
        position
    }

    /// The most similar cluster sharing a band, at or above [`JOIN_SIMILARITY`]
    /// (the earliest on a tie), or a new cluster founded by this signature.
    pub fn place(&mut self, signature: &Signature) -> Placement {
        let mut best: Option<(usize, f64)> = None;
        for band in signature.bands() {
            for &c in self
                .by_band
                .get(&band)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let s = self.signatures[c].similarity(signature);
                let better = match best {
                    None => true,
                    Some((b, bs)) => s > bs || (s == bs && c < b),
                };
                if s >= JOIN_SIMILARITY && better {
                    best = Some((c, s));
                }
            }
        }
        match best {
            Some((c, _)) => Placement::Joined(c),
            None => Placement::Started(self.add(signature.clone())),
        }
    }

    pub fn len(&self) -> usize {
        self.signatures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_index_joins_the_same_claim_and_starts_a_cluster_for_another() {
        let mut index = BandIndex::default();
        let stored = index.add(sig(
            "Is it true the town centre is on fire? Riots in the town centre?",
        ));
        assert_eq!(
            index.place(&sig(
                "heard the town centre is on fire, riots kicking off in town centre??"
            )),
            Placement::Joined(stored)
        );
        let bypass = sig("Is the bypass open again after the crash this morning?");
        let started = index.place(&bypass);
        assert_eq!(started, Placement::Started(1));
        assert_eq!(
            index.place(&sig(
                "bypass open again after the crash this morning or not"
            )),
            Placement::Joined(1)
        );
        assert_eq!(index.len(), 2);
    }

    fn sig(t: &str) -> Signature {
        Signature::of(t).expect("enough words")
    }

    #[test]
    fn the_same_claim_in_other_words_is_similar_and_another_claim_is_not() {
        let a = sig("Is it true the town centre is on fire? Riots in the town centre?");
        let b = sig("heard the town centre is on fire, riots kicking off in town centre??");
        let c = sig("Is the bypass open again after the crash this morning?");
        assert!(a.similarity(&b) >= JOIN_SIMILARITY, "{}", a.similarity(&b));
        assert!(a.similarity(&c) < JOIN_SIMILARITY, "{}", a.similarity(&c));
        assert!(
            a.bands().iter().any(|k| b.bands().contains(k)),
            "they share a band"
        );
    }

    #[test]
    fn signatures_round_trip_and_tiny_messages_have_none() {
        let a = sig("riot town centre tonight");
        assert_eq!(Signature::from_hex(&a.to_hex()), Some(a));
        assert!(Signature::of("fire?").is_none());
        assert!(Signature::of("🙏🙏").is_none());
        assert!(Signature::from_hex("zz").is_none());
    }
}
