//! Whether the post reaches people: accessibility, a route to report, each channel's
//! length limit, corporate duplication, hidden characters and the force's own terms.

use super::Ctx;
use crate::engine::{duplicate_key, key_of_normalised, DuplicateLookup, Emitter, Engine};
use crate::length::{self, BLUESKY_BYTES, BLUESKY_GRAPHEMES, FACEBOOK_LIMIT, MASTODON_LIMIT};
use crate::model::Channel;
use crate::normalise::{HiddenKind, Normalised};
use crate::urls::find_urls;
use std::collections::HashSet;
use std::sync::OnceLock;

const HASHTAG_WORDS: &str = include_str!("../../data/hashtag_words.txt");

fn hashtag_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        HASHTAG_WORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect()
    })
}

/// Splits an all-lower-case tag into known words, if it can be ("knifecrimeawareness" ->
/// ["knife", "crime", "awareness"]). Dynamic programming over prefixes; tags are short.
fn segment(tag: &str) -> Option<Vec<&str>> {
    let words = hashtag_words();
    let n = tag.len();
    if n > 60 || !tag.is_ascii() {
        return None;
    }
    // best[i]: a split of tag[..i] with the fewest words.
    let mut best: Vec<Option<Vec<usize>>> = vec![None; n + 1];
    best[0] = Some(Vec::new());
    for i in 1..=n {
        for j in i.saturating_sub(14)..i {
            if let Some(prev) = &best[j] {
                let w = &tag[j..i];
                let ok = words.contains(w) || w.chars().all(|c| c.is_ascii_digit());
                if ok && best[i].as_ref().is_none_or(|b| b.len() > prev.len() + 1) {
                    let mut v = prev.clone();
                    v.push(i);
                    best[i] = Some(v);
                }
            }
        }
    }
    let cuts = best[n].clone()?;
    let mut out = Vec::new();
    let mut s = 0;
    for c in cuts {
        out.push(&tag[s..c]);
        s = c;
    }
    Some(out)
}

pub(crate) fn accessibility(
    engine: &Engine,
    ctx: &Ctx<'_>,
    norm: &Normalised,
    out: &mut Emitter<'_>,
) {
    let text = ctx.text;
    for (i, m) in ctx.draft.media.iter().enumerate() {
        let alt = m.alt.as_deref().map(str::trim).unwrap_or("");
        let placeholder = alt.is_empty()
            || [
                "image",
                "photo",
                "picture",
                "img",
                "pic",
                "alt",
                "screenshot",
                "untitled",
            ]
            .contains(&alt.to_ascii_lowercase().as_str())
            || alt.to_ascii_lowercase().ends_with(".jpg")
            || alt.to_ascii_lowercase().ends_with(".png");
        if placeholder {
            out.emit_orig("missing-alt-text", 0, 0, &(i + 1).to_string(), None, None);
        }
    }
    for c in engine
        .core
        .pats
        .hashtag
        .captures_iter(if ctx.has_hash { text } else { "" })
    {
        let (Some(all), Some(tag)) = (c.get(0), c.get(1)) else {
            continue;
        };
        let t = tag.as_str();
        let lower = t.chars().all(|c| !c.is_ascii_uppercase());
        let upper = t.chars().all(|c| !c.is_ascii_lowercase());
        if !(lower || upper) || t.len() < 7 {
            continue;
        }
        let lc = t.to_ascii_lowercase();
        // Long tags that no dictionary split explains are still almost always several
        // words run together (few English words reach 16 letters).
        let parts = segment(&lc).or_else(|| (lc.len() >= 16).then(|| vec![lc.as_str()]));
        if let Some(parts) = parts.filter(|p| p.len() >= 2 || lc.len() >= 16) {
            let camel: String = parts
                .iter()
                .map(|p| {
                    let mut cs = p.chars();
                    cs.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                        .unwrap_or_default()
                })
                .collect();
            out.emit_with(
                "hashtag-case",
                all.start(),
                all.end(),
                all.as_str(),
                format!("Write it as #{camel}."),
            );
        }
    }
    // Link-only: nothing but links, mentions and hashtags.
    let urls = find_urls(text, true);
    if !urls.is_empty() {
        let mut rest = String::new();
        let mut pos = 0;
        for &(s, e) in &urls {
            rest.push_str(&text[pos..s]);
            pos = e;
        }
        rest.push_str(&text[pos..]);
        let words = rest
            .split_whitespace()
            .filter(|w| {
                !w.starts_with('@') && !w.starts_with('#') && w.chars().any(char::is_alphanumeric)
            })
            .count();
        if words == 0 {
            let (s, e) = urls[0];
            out.emit("link-only", s, e, &text[s..e]);
        }
    }
    // Hidden characters, grouped into runs so one trick is one finding.
    let mut runs: Vec<(HiddenKind, usize, usize, usize)> = Vec::new();
    for h in &norm.hidden {
        match runs.last_mut() {
            Some(last) if last.0 == h.kind && h.start <= last.2 + 8 => {
                last.2 = h.end;
                last.3 += 1;
            }
            _ => runs.push((h.kind, h.start, h.end, 1)),
        }
    }
    let orig = &ctx.draft.text;
    for (kind, s, e, n) in runs {
        let plural = if n == 1 { "" } else { "s" };
        match kind {
            HiddenKind::ZeroWidth => out.emit_orig(
                "hidden-characters",
                s,
                e,
                &format!("{n} zero-width or invisible character{plural}"),
                None,
                None,
            ),
            HiddenKind::Bidi => out.emit_orig(
                "hidden-characters",
                s,
                e,
                &format!("{n} text-direction override{plural}"),
                None,
                None,
            ),
            HiddenKind::Control => out.emit_orig(
                "hidden-characters",
                s,
                e,
                &format!("{n} control character{plural}"),
                None,
                None,
            ),
            HiddenKind::Homoglyph => {
                let words = orig.get(s..e).unwrap_or("");
                let (ws, we) = widen_to_word(orig, s, e);
                let word = orig.get(ws..we).unwrap_or(words);
                out.emit_orig("disguised-letters", ws, we, word, None, None);
            }
            HiddenKind::Styled => {
                let (ws, we) = widen_to_word(orig, s, e);
                out.emit_orig(
                    "styled-text",
                    ws,
                    we,
                    orig.get(ws..we).unwrap_or(""),
                    None,
                    None,
                );
            }
        }
    }
}

fn widen_to_word(s: &str, start: usize, end: usize) -> (usize, usize) {
    let ws = s[..start]
        .char_indices()
        .rev()
        .take(64)
        .take_while(|(_, c)| !c.is_whitespace())
        .last()
        .map_or(start, |(i, _)| i);
    let we = s[end..]
        .char_indices()
        .take(64)
        .find(|(_, c)| c.is_whitespace())
        .map_or(s.len(), |(i, _)| end + i);
    (ws, we)
}

pub(crate) fn emergency_advice(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let text = ctx.text;
    let lex = &ctx.lex;
    let invitation = lex.get("invitation").find(text);
    // A post the author marked as an appeal needs a route, unless it is the closing
    // update ("found safe, thank you for sharing").
    let lower = text.to_ascii_lowercase();
    let closing = [
        "found safe",
        "been found",
        "been located",
        "thank you for sharing",
        "thanks for sharing",
        "been identified",
        "no longer",
        "traced",
    ]
    .iter()
    .any(|w| lower.contains(w));
    if invitation.is_none() && (!ctx.appeal || closing) {
        return;
    }
    let has_route = lex.get("reporting_route").is_match(text)
        || !find_urls(text, true).is_empty()
        || (ctx.digits >= 10 && engine.core.pats.phone.is_match(text))
        || (ctx.has_at && engine.core.pats.email.is_match(text));
    if has_route {
        return;
    }
    let mut head = text.len().min(60);
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let (s, e) = invitation.map_or((0, head), |m| (m.start(), m.end()));
    let e = if e <= text.len() && text.is_char_boundary(e) {
        e
    } else {
        s
    };
    out.emit("no-reporting-route", s, e, &text[s..e]);
}

pub(crate) fn length(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    let orig = ctx.draft.text.as_str();
    let mut seen = HashSet::new();
    for &ch in &ctx.draft.channels {
        if !seen.insert(ch) {
            continue;
        }
        let over: Option<(String, usize)> = match ch {
            Channel::X => {
                let r = length::twitter_weighted_length(orig, &engine.twitter);
                (r.weighted_length > engine.twitter.max_weighted_tweet_length).then(|| {
                    // The overflow offset is into the NFC text; it is exact when NFC did
                    // not change the text, which is the usual case.
                    let at = r
                        .overflow_at
                        .filter(|&a| {
                            a <= orig.len()
                                && orig.is_char_boundary(a)
                                && unicode_normalization::is_nfc(orig)
                        })
                        .unwrap_or(0);
                    (
                        format!(
                            "Too long for X: {} of {} (links count as 23, emoji as 2).",
                            r.weighted_length, engine.twitter.max_weighted_tweet_length
                        ),
                        at,
                    )
                })
            }
            Channel::Fediverse => {
                let n = length::mastodon_length(orig);
                (n > MASTODON_LIMIT).then(|| (format!("Too long for Mastodon and the fediverse: {n} of {MASTODON_LIMIT} characters (links count as 23)."), 0))
            }
            Channel::Bluesky => {
                let (g, b) = length::bluesky_lengths(orig);
                if g > BLUESKY_GRAPHEMES {
                    Some((
                        format!("Too long for Bluesky: {g} of {BLUESKY_GRAPHEMES} characters."),
                        0,
                    ))
                } else if b > BLUESKY_BYTES {
                    Some((format!("Too long for Bluesky: {b} of {BLUESKY_BYTES} bytes (emoji and accented letters take several)."), 0))
                } else {
                    None
                }
            }
            Channel::Facebook => {
                let n = orig.chars().count();
                (n > FACEBOOK_LIMIT).then(|| {
                    (
                        format!("Too long for Facebook: {n} of {FACEBOOK_LIMIT} characters."),
                        0,
                    )
                })
            }
            Channel::Email => None,
        };
        if let Some((msg, at)) = over {
            out.emit_orig("over-limit", at, orig.len(), &msg, None, Some(ch));
        }
    }
}

pub(crate) fn duplicates(
    engine: &Engine,
    ctx: &Ctx<'_>,
    out: &mut Emitter<'_>,
    lookup: &dyn DuplicateLookup,
) {
    if !lookup.is_active()
        || !out.enabled("duplicate-corporate-text")
        || ctx.draft.text.trim().is_empty()
    {
        return;
    }
    // The check's folded text is the same text `duplicate_key` folds (for drafts within
    // the content limit), so the key is built from it without folding again.
    let key = if ctx.text.len() == ctx.draft.text.len()
        || ctx.draft.text.len() <= crate::engine::MAX_CONTENT
    {
        key_of_normalised(ctx.text)
    } else {
        duplicate_key(&ctx.draft.text)
    };
    let n = lookup.accounts_recently_posting(&key);
    if n >= engine.duplicate_threshold {
        out.emit_orig(
            "duplicate-corporate-text",
            0,
            ctx.draft.text.len(),
            &n.to_string(),
            None,
            None,
        );
    }
}

pub(crate) fn force_terms(engine: &Engine, ctx: &Ctx<'_>, out: &mut Emitter<'_>) {
    for (re, id) in &engine.force.blocked {
        for m in re.find_iter(ctx.text) {
            out.emit(id, m.start(), m.end(), &ctx.text[m.start()..m.end()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_multi_word_hashtags() {
        assert_eq!(
            segment("knifecrimeawareness"),
            Some(vec!["knife", "crime", "awareness"])
        );
        assert_eq!(segment("police"), Some(vec!["police"]));
        assert_eq!(segment("xqzzy"), None);
    }
}
