//! Hashed n-gram features. A text becomes a bag of feature buckets: its words, its
//! word pairs and the character n-grams inside each word, each hashed into one of
//! `2^bits` buckets ("the hashing trick": no vocabulary to store or to go stale).
//!
//! Before hashing, letters are lower-cased and every digit becomes `0`, so that
//! "07700 900123" and "01492 511000" look alike, as do "aged 14" and "aged 15". Every
//! text feature keeps the byte span of the word(s) it came from in the original text,
//! so a score can be explained by pointing at the words that decided it.
//!
//! Callers add their own non-text features ([`Featurizer::token`]): the governance check
//! adds the draft's context and the deterministic rules' findings; triage adds the
//! channel. A *tag* ([`Featurizer::text`]'s `tags`) adds a second copy of every word and
//! word pair prefixed by the tag, so the model can learn that a word matters only in a
//! context ("guilty" while proceedings are active).

/// One feature occurrence: its bucket and the bytes of the original text it came from
/// (`start == end` for a feature that is not from the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub bucket: u32,
    pub start: u32,
    pub end: u32,
}

/// Turns text into features. Its settings are part of a model's identity: a model
/// trained with one featurizer is refused by another ([`crate::codec`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Featurizer {
    /// log2 of the number of buckets.
    pub bits: u32,
    /// Character n-gram lengths, inclusive; `(0, 0)` for none.
    pub char_min: u32,
    pub char_max: u32,
}

impl Default for Featurizer {
    fn default() -> Featurizer {
        Featurizer {
            bits: 18,
            char_min: 3,
            char_max: 5,
        }
    }
}

const SEED_WORD: u64 = 0x77;
const SEED_PAIR: u64 = 0x7070;
const SEED_CHAR: u64 = 0xc4a2;
const SEED_TOKEN: u64 = 0x70c3;
const SEED_BIAS: u64 = 0xb1a5;

/// The hash every part of this crate uses (a multiply–rotate hash in the style of
/// FxHash: fast, and good enough for bucketing and for splitting).
#[inline]
pub fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// Hashes bytes with a seed; stable across platforms and releases (weights depend on it).
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(0, seed);
    for &b in bytes {
        h = mix(h, u64::from(b));
    }
    // A final avalanche so that the low bits (used for buckets) depend on every byte.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

#[inline]
fn finish(h: u64) -> u64 {
    let h = h ^ (h >> 33);
    let h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 29)
}

/// A word of the normalised text: its folded characters and its span in the original.
struct Word {
    from: usize,
    to: usize,
    start: u32,
    end: u32,
    hash: u64,
}

fn fold(c: char) -> Option<u32> {
    if c.is_ascii_digit() || c.is_numeric() {
        return Some('0' as u32);
    }
    if c.is_ascii_alphabetic() {
        return Some(c.to_ascii_lowercase() as u32);
    }
    if c.is_alphabetic() {
        return Some(c.to_lowercase().next().unwrap_or(c) as u32);
    }
    None
}

/// Characters that join letters inside one word: "don't", "f***", "o'clock", "sh1t".
fn joins(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '*' | '-')
}

impl Featurizer {
    pub fn buckets(&self) -> u32 {
        1 << self.bits
    }

    #[inline]
    fn bucket(&self, h: u64) -> u32 {
        (finish(h) & u64::from(self.buckets() - 1)) as u32
    }

    /// The always-on feature that lets every label learn its prior.
    pub fn bias(&self, out: &mut Vec<Feature>) {
        out.push(Feature {
            bucket: self.bucket(mix(SEED_BIAS, 1)),
            start: 0,
            end: 0,
        });
    }

    /// A feature that is not from the text (context, a rule that fired, a channel).
    pub fn token(&self, token: &str, out: &mut Vec<Feature>) {
        out.push(Feature {
            bucket: self.bucket(hash_bytes(SEED_TOKEN, token.as_bytes())),
            start: 0,
            end: 0,
        });
    }

    /// A feature made of two parts ("rule" and a rule id, a signal and its context),
    /// hashed as if joined by `&` but without building the string.
    pub fn token_pair(&self, a: &str, b: &str, out: &mut Vec<Feature>) {
        let mut h = mix(0, SEED_TOKEN);
        for &byte in a.as_bytes().iter().chain(b"&").chain(b.as_bytes()) {
            h = mix(h, u64::from(byte));
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        out.push(Feature {
            bucket: self.bucket(h ^ (h >> 33)),
            start: 0,
            end: 0,
        });
    }

    /// Adds the text's words, word pairs and character n-grams; with each tag, a tagged
    /// copy of every word and word pair too.
    pub fn text(&self, text: &str, tags: &[&str], out: &mut Vec<Feature>) {
        let tag_seeds: Vec<u64> = tags
            .iter()
            .map(|t| hash_bytes(SEED_TOKEN ^ 0x7a9, t.as_bytes()))
            .collect();
        let mut codes: Vec<u32> = Vec::with_capacity(text.len() + 2);
        let mut words: Vec<Word> = Vec::new();
        let mut current: Option<(usize, usize)> = None; // (code index, byte start)
        let mut last_end = 0usize;
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let folded = fold(c).or_else(|| {
                // A joiner counts only between two word characters.
                let inside = current.is_some()
                    && joins(c)
                    && chars
                        .peek()
                        .is_some_and(|&(_, n)| fold(n).is_some() || n == '*');
                inside.then_some(if c == '\u{2019}' {
                    '\'' as u32
                } else {
                    c as u32
                })
            });
            match (folded, current) {
                (Some(code), None) => {
                    current = Some((codes.len(), at));
                    codes.push(code);
                    last_end = at + c.len_utf8();
                }
                (Some(code), Some(_)) => {
                    codes.push(code);
                    last_end = at + c.len_utf8();
                }
                (None, Some((from, start))) => {
                    words.push(self.word(&codes, from, start, last_end));
                    current = None;
                }
                (None, None) => {}
            }
        }
        if let Some((from, start)) = current {
            words.push(self.word(&codes, from, start, last_end));
        }
        for (i, w) in words.iter().enumerate() {
            out.push(Feature {
                bucket: self.bucket(mix(SEED_WORD, w.hash)),
                start: w.start,
                end: w.end,
            });
            for seed in &tag_seeds {
                out.push(Feature {
                    bucket: self.bucket(mix(mix(*seed, SEED_WORD), w.hash)),
                    start: w.start,
                    end: w.end,
                });
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &words[p]) {
                let pair = mix(mix(SEED_PAIR, prev.hash), w.hash);
                out.push(Feature {
                    bucket: self.bucket(pair),
                    start: prev.start,
                    end: w.end,
                });
                for seed in &tag_seeds {
                    out.push(Feature {
                        bucket: self.bucket(mix(*seed, pair)),
                        start: prev.start,
                        end: w.end,
                    });
                }
            }
            self.char_grams(&codes[w.from..w.to], w, out);
        }
    }

    fn word(&self, codes: &[u32], from: usize, start: usize, end: usize) -> Word {
        let to = codes.len();
        let mut h = SEED_WORD;
        for &c in &codes[from..to] {
            h = mix(h, u64::from(c));
        }
        Word {
            from,
            to,
            start: start as u32,
            end: end as u32,
            hash: h,
        }
    }

    /// Character n-grams of the word padded with a boundary mark at each end, so that
    /// prefixes and suffixes ("-ing", "un-") are features of their own.
    fn char_grams(&self, word: &[u32], w: &Word, out: &mut Vec<Feature>) {
        if self.char_min == 0 {
            return;
        }
        const EDGE: u32 = 1;
        let len = word.len() + 2;
        let at = |i: usize| -> u32 {
            if i == 0 || i == len - 1 {
                EDGE
            } else {
                word[i - 1]
            }
        };
        for n in self.char_min as usize..=self.char_max as usize {
            if n > len || (n == len && n > self.char_min as usize) {
                // The whole padded word is already the word feature's job; one
                // n-gram covering it is enough.
                continue;
            }
            for s in 0..=len - n {
                let mut h = mix(SEED_CHAR, n as u64);
                for i in s..s + n {
                    h = mix(h, u64::from(at(i)));
                }
                out.push(Feature {
                    bucket: self.bucket(h),
                    start: w.start,
                    end: w.end,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(f: &Featurizer, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        f.text(text, &[], &mut out);
        let mut b: Vec<u32> = out.iter().map(|f| f.bucket).collect();
        b.sort_unstable();
        b
    }

    #[test]
    fn case_and_digits_fold() {
        let f = Featurizer::default();
        assert_eq!(
            buckets(&f, "Call 07700 900123"),
            buckets(&f, "call 01492 511000")
        );
        assert_ne!(buckets(&f, "call 101"), buckets(&f, "call 1011"));
    }

    #[test]
    fn spans_point_at_the_original_words() {
        let f = Featurizer::default();
        let text = "Thé  THUG’s van";
        let mut out = Vec::new();
        f.text(text, &[], &mut out);
        let words: Vec<&str> = out
            .iter()
            .map(|x| &text[x.start as usize..x.end as usize])
            .collect();
        assert!(words.contains(&"THUG’s"), "{words:?}");
        assert!(words.contains(&"Thé  THUG’s"), "{words:?}");
        assert!(out.iter().all(|x| x.bucket < f.buckets()));
    }

    #[test]
    fn tags_add_copies_and_tokens_have_no_span() {
        let f = Featurizer::default();
        let mut plain = Vec::new();
        f.text("guilty as charged", &[], &mut plain);
        let mut tagged = Vec::new();
        f.text("guilty as charged", &["active"], &mut tagged);
        assert_eq!(tagged.len(), plain.len() + 5); // 3 words + 2 pairs
        let mut t = Vec::new();
        f.token("case=charged", &mut t);
        assert_eq!((t[0].start, t[0].end), (0, 0));
    }

    #[test]
    fn a_pair_hashes_like_the_joined_token() {
        let f = Featurizer::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        f.token("rule=insult", &mut a);
        f.token_pair("rule=insult", "", &mut b);
        assert_ne!(a, b, "the separator is part of the pair");
        let (mut c, mut d) = (Vec::new(), Vec::new());
        f.token("phone&case=none", &mut c);
        f.token_pair("phone", "case=none", &mut d);
        assert_eq!(c, d);
    }

    #[test]
    fn odd_text_never_panics() {
        let f = Featurizer::default();
        for text in [
            "", "'", "**", "a", "😀😀", "f*** off", "-a-", "\u{301}x", "ŵŷ 12",
        ] {
            let mut out = Vec::new();
            f.text(text, &["x"], &mut out);
            for x in &out {
                assert!(
                    text.is_char_boundary(x.start as usize)
                        && text.is_char_boundary(x.end as usize)
                );
            }
        }
    }
}
