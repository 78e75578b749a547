//! Counting a draft's length exactly as each network counts it.
//!
//! - X: twitter-text v3 weighted length. The text is NFC-normalised; code points in the
//!   configured ranges weigh 100, others 200 (scale 100); every link weighs 23; with emoji
//!   parsing on, a whole emoji sequence (ZWJ families, flags, keycaps, skin tones) weighs
//!   200 once. The configuration is the published `v3.json`, embedded.
//! - Mastodon: grapheme clusters, links (with protocol) as 23, `@user@domain` as `@user`.
//! - Bluesky: at most 300 grapheme clusters and 3000 UTF-8 bytes.

use crate::urls::find_urls;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// twitter-text's configuration format (`config/v3.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TwitterConfig {
    pub max_weighted_tweet_length: u32,
    pub scale: u32,
    pub default_weight: u32,
    #[serde(default)]
    pub emoji_parsing_enabled: bool,
    #[serde(default = "default_url_length")]
    pub transformed_url_length: u32,
    #[serde(default)]
    pub ranges: Vec<WeightRange>,
}

fn default_url_length() -> u32 {
    23
}

#[derive(Debug, Clone, Deserialize)]
pub struct WeightRange {
    pub start: u32,
    pub end: u32,
    pub weight: u32,
}

const V3_JSON: &str = include_str!("../data/twitter-v3.json");

impl TwitterConfig {
    /// The v3 configuration X uses today (embedded copy of `v3.json`).
    pub fn v3() -> TwitterConfig {
        // The embedded file is part of this crate and checked by a unit test.
        serde_json::from_str(V3_JSON).unwrap_or_else(|_| TwitterConfig::fallback_v3())
    }

    /// The same numbers as `v3.json`, for the impossible case that the embedded file
    /// does not parse.
    fn fallback_v3() -> TwitterConfig {
        TwitterConfig {
            max_weighted_tweet_length: 280,
            scale: 100,
            default_weight: 200,
            emoji_parsing_enabled: true,
            transformed_url_length: 23,
            ranges: vec![
                WeightRange {
                    start: 0,
                    end: 4351,
                    weight: 100,
                },
                WeightRange {
                    start: 8192,
                    end: 8205,
                    weight: 100,
                },
                WeightRange {
                    start: 8208,
                    end: 8223,
                    weight: 100,
                },
                WeightRange {
                    start: 8242,
                    end: 8247,
                    weight: 100,
                },
            ],
        }
    }

    fn weight(&self, c: char) -> u32 {
        let cp = c as u32;
        self.ranges
            .iter()
            .find(|r| r.start <= cp && cp <= r.end)
            .map_or(self.default_weight, |r| r.weight)
    }
}

/// The result of counting for X.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwitterLength {
    pub weighted_length: u32,
    /// Byte offset (into the NFC text) of the first character past the limit, if any.
    pub overflow_at: Option<usize>,
}

/// twitter-text `parseTweet(...).weightedLength` for `text` under `config`.
pub fn twitter_weighted_length(text: &str, config: &TwitterConfig) -> TwitterLength {
    // NFC is the identity on ASCII and on most real text: skip the copy when it is.
    let nfc: std::borrow::Cow<'_, str> = if text.is_ascii() || unicode_normalization::is_nfc(text) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfc().collect())
    };
    let nfc: &str = &nfc;
    let urls = find_urls(nfc, true);
    let scale = config.scale.max(1);
    let mut counter = Counter {
        limit: u64::from(config.max_weighted_tweet_length.saturating_mul(scale)),
        total: 0,
        overflow_at: None,
    };
    let ascii_weight = config.weight('a');
    let uniform_ascii = (0u8..0x80).all(|b| config.weight(char::from(b)) == ascii_weight);
    let mut pos = 0;
    for &(s, e) in urls.iter().chain(std::iter::once(&(nfc.len(), nfc.len()))) {
        let seg = &nfc[pos..s];
        if uniform_ascii && seg.is_ascii() {
            // Every ASCII character is its own cluster, all of the same weight.
            counter.add_run(ascii_weight, pos, seg.len());
        } else {
            for (off, g) in seg.grapheme_indices(true) {
                let at = pos + off;
                if config.emoji_parsing_enabled && is_emoji_cluster(g) {
                    counter.add(config.default_weight, at);
                } else {
                    for c in g.chars() {
                        counter.add(config.weight(c), at);
                    }
                }
            }
        }
        if e > s {
            counter.add(config.transformed_url_length.saturating_mul(scale), s);
        }
        pos = e;
    }
    TwitterLength {
        weighted_length: (counter.total / u64::from(scale)) as u32,
        overflow_at: counter.overflow_at,
    }
}

/// Running weighted total, remembering where it first went over the limit.
struct Counter {
    limit: u64,
    total: u64,
    overflow_at: Option<usize>,
}

impl Counter {
    fn add(&mut self, w: u32, at: usize) {
        self.total += u64::from(w);
        if self.overflow_at.is_none() && self.total > self.limit {
            self.overflow_at = Some(at);
        }
    }

    /// `n` one-byte characters of weight `w` starting at byte `at`.
    fn add_run(&mut self, w: u32, at: usize, n: usize) {
        let before = self.total;
        self.total += u64::from(w) * n as u64;
        if self.overflow_at.is_none() && self.total > self.limit && w > 0 {
            let fit = self.limit.saturating_sub(before) / u64::from(w);
            self.overflow_at = Some(at + fit as usize);
        }
    }
}

fn is_pictographic(c: char) -> bool {
    matches!(c as u32,
        0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x21AA | 0x231A..=0x23FF
        | 0x24C2 | 0x25AA..=0x25FE | 0x2600..=0x27BF | 0x2934 | 0x2935 | 0x2B00..=0x2BFF
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x1F000..=0x1FAFF)
}

/// Whether a grapheme cluster is an emoji (sequence) that X counts once.
fn is_emoji_cluster(g: &str) -> bool {
    let mut chars = g.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let multi = chars.next().is_some();
    if !multi {
        // A lone symbol below U+1100 (© ®) is text presentation and weighs as text.
        return is_pictographic(first) && (first as u32) >= 0x1100;
    }
    g.chars().any(|c| {
        is_pictographic(c)
            || c == '\u{20E3}'
            || c == '\u{FE0F}'
            || (0x1F3FB..=0x1F3FF).contains(&(c as u32))
    })
}

/// Mastodon's countable length: graphemes, links as 23, `@user@domain` as `@user`.
pub fn mastodon_length(text: &str) -> usize {
    let urls = find_urls(text, false);
    let mut count = 0;
    let mut pos = 0;
    for &(s, e) in urls
        .iter()
        .chain(std::iter::once(&(text.len(), text.len())))
    {
        count += count_without_mention_domains(&text[pos..s]);
        if e > s {
            count += 23;
        }
        pos = e;
    }
    count
}

/// Grapheme clusters, with a fast path for ASCII (one per byte, except CR LF).
fn graphemes(s: &str) -> usize {
    if s.is_ascii() {
        s.len() - s.matches("\r\n").count()
    } else {
        s.graphemes(true).count()
    }
}

/// Graphemes of `seg`, where the `@domain` part of each `@user@domain` is not counted.
fn count_without_mention_domains(seg: &str) -> usize {
    let mut count = 0;
    let mut rest = seg;
    while let Some(at) = rest.find('@') {
        count += graphemes(&rest[..at]);
        let after = &rest[at + 1..];
        let user_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.' || *b == b'-')
            .count();
        let user = after[..user_len].trim_end_matches(['.', '-']);
        let after_user = &after[user.len()..];
        if !user.is_empty() {
            if let Some(domain_part) = after_user.strip_prefix('@') {
                let dom_len = domain_part
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-')
                    .count();
                let domain = domain_part[..dom_len].trim_end_matches(['.', '-']);
                if domain.contains('.') {
                    count += 1 + user.chars().count();
                    rest = &domain_part[domain.len()..];
                    continue;
                }
            }
        }
        count += 1;
        rest = after;
    }
    count + graphemes(rest)
}

/// Bluesky counts grapheme clusters and bytes.
pub fn bluesky_lengths(text: &str) -> (usize, usize) {
    (graphemes(text), text.len())
}

/// How long `text` is on `channel` by that network's own counting, and its limit:
/// what a compose box shows as the officer types. `None` for e-mail (no limit).
pub fn measure(text: &str, channel: crate::Channel) -> Option<(usize, usize)> {
    use crate::Channel;
    match channel {
        Channel::Fediverse => Some((mastodon_length(text), MASTODON_LIMIT)),
        Channel::Bluesky => Some((bluesky_lengths(text).0, BLUESKY_GRAPHEMES)),
        Channel::X => {
            let config = TwitterConfig::v3();
            let measured = twitter_weighted_length(text, &config);
            Some((
                measured.weighted_length as usize,
                config.max_weighted_tweet_length as usize,
            ))
        }
        Channel::Facebook => Some((text.chars().count(), FACEBOOK_LIMIT)),
        Channel::Email => None,
    }
}

pub const MASTODON_LIMIT: usize = 500;
pub const BLUESKY_GRAPHEMES: usize = 300;
pub const BLUESKY_BYTES: usize = 3000;
/// Facebook's documented limit for a post.
pub const FACEBOOK_LIMIT: usize = 63_206;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_v3_configuration_parses() {
        let c: TwitterConfig = serde_json::from_str(V3_JSON).expect("v3.json parses");
        assert_eq!(c.max_weighted_tweet_length, 280);
        assert!(c.emoji_parsing_enabled);
        assert_eq!(c.ranges.len(), 4);
    }

    #[test]
    fn twitter_counts_links_as_23_and_emoji_as_2() {
        let c = TwitterConfig::v3();
        assert_eq!(
            twitter_weighted_length("Hi http://test.co", &c).weighted_length,
            26
        );
        assert_eq!(
            twitter_weighted_length("👨\u{200D}👩\u{200D}👧", &c).weighted_length,
            2
        );
        assert_eq!(twitter_weighted_length("", &c).weighted_length, 0);
    }

    #[test]
    fn overflow_points_at_the_281st_character() {
        let c = TwitterConfig::v3();
        let t = "x".repeat(285);
        let r = twitter_weighted_length(&t, &c);
        assert_eq!(r.weighted_length, 285);
        assert_eq!(r.overflow_at, Some(280));
    }

    #[test]
    fn mastodon_shortens_links_and_remote_mentions() {
        assert_eq!(mastodon_length("hi @alice@example.social"), 9);
        let url = format!("https://example.com/{}", "a".repeat(100));
        assert_eq!(mastodon_length(&url), 23);
        // Bare domains are not links on Mastodon.
        assert_eq!(mastodon_length("example.com"), 11);
        assert_eq!(mastodon_length("mail me@ or @ alone"), 19);
    }

    #[test]
    fn bluesky_counts_graphemes_and_bytes() {
        assert_eq!(bluesky_lengths("e\u{0301}👍🏽"), (2, 11));
    }
}
