//! Finding links in text the way the networks do, closely enough to count length exactly.
//!
//! X counts every link as 23 characters, including bare domains like `www.met.police.uk`;
//! Mastodon does the same but only for links with `http://` or `https://`. What counts as
//! a link follows the public twitter-text behaviour: a host of dot-separated labels, each
//! at most 63 characters once IDNA-encoded, ending in a known top-level domain (any
//! alphabetic one after an explicit protocol).

/// A link found in the text: byte span.
pub(crate) type Span = (usize, usize);

/// Generic top-level domains accepted without a protocol. Two-letter country codes are
/// accepted by shape. The list covers what appears in UK public-sector posts; a rare
/// gTLD without `https://` is counted by its characters, which only under-counts.
const GTLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "aero",
    "coop",
    "museum",
    "mobi",
    "asia",
    "tel",
    "travel",
    "jobs",
    "cat",
    "app",
    "dev",
    "xyz",
    "online",
    "site",
    "tech",
    "store",
    "shop",
    "blog",
    "news",
    "club",
    "live",
    "life",
    "world",
    "today",
    "social",
    "email",
    "link",
    "page",
    "website",
    "space",
    "top",
    "london",
    "wales",
    "cymru",
    "scot",
    "police",
    "help",
    "support",
    "community",
    "services",
    "agency",
    "charity",
    "foundation",
    "media",
    "digital",
    "network",
    "group",
    "global",
    "energy",
];

fn is_label_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

fn invalid_preceding(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c,
            '@' | '$' | '#' | '＠' | '＃' | '.' | '-' | '_' | '/' | ':'
        )
}

/// Finds links. With `without_protocol`, bare domains count too (X's behaviour).
pub(crate) fn find_urls(text: &str, without_protocol: bool) -> Vec<Span> {
    let mut out = Vec::new();
    // Every link has a dot in its host; most sentences without one need no scan.
    if !text.contains('.') {
        return out;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Only consider starts at a character boundary that follows an acceptable
        // character; everything else is skipped quickly.
        let b = bytes[i];
        let could_start = b == b'h' || b == b'H' || (without_protocol && b.is_ascii_alphanumeric());
        if !could_start {
            i += 1;
            continue;
        }
        let prev_ok = text[..i]
            .chars()
            .next_back()
            .is_none_or(|p| !invalid_preceding(p));
        if !prev_ok {
            i += 1;
            continue;
        }
        if let Some(end) = match_protocol_url(text, i) {
            out.push((i, end));
            i = end;
            continue;
        }
        if without_protocol && bytes[i].is_ascii_alphanumeric() {
            // Cheap test first: a bare link is a run of host characters containing a dot.
            let run = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
                .count();
            let has_dot = bytes[i..i + run].contains(&b'.');
            if let Some(end) = has_dot.then(|| match_bare_url(text, i)).flatten() {
                out.push((i, end));
                i = end;
                continue;
            }
            // Skip the rest of this word: a bare URL can only start at a word start.
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80) {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

fn match_protocol_url(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    let plen = if starts_with_ci(rest, "https://") {
        8
    } else if starts_with_ci(rest, "http://") {
        7
    } else {
        return None;
    };
    let host_start = i + plen;
    let host_end = scan_host(text, host_start, false);
    let host = text[host_start..host_end].trim_end_matches('.');
    let host_end = host_start + host.len();
    if !valid_host(host, true) {
        return None;
    }
    Some(scan_port_and_path(text, host_end))
}

fn match_bare_url(text: &str, i: usize) -> Option<usize> {
    let host_end = scan_host(text, i, true);
    let host = text[i..host_end].trim_end_matches('.');
    let host_end = i + host.len();
    if !host.contains('.') || !valid_host(host, false) {
        return None;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("").to_ascii_lowercase();
    let followed_by_slash = text[host_end..].starts_with('/');
    if tld.len() == 2 && labels.len() < 3 && !followed_by_slash && tld != "co" && tld != "tv" {
        // "police.uk" alone is not a link to twitter-text; "www.police.uk" and
        // "police.uk/x" are.
        return None;
    }
    // An e-mail address is not a link.
    if text[host_end..].starts_with('@') {
        return None;
    }
    Some(scan_port_and_path(text, host_end))
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn scan_host(text: &str, start: usize, ascii_only: bool) -> usize {
    let mut end = start;
    for (off, c) in text[start..].char_indices() {
        let ok = if ascii_only {
            c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
        } else {
            is_label_char(c) || c == '.'
        };
        if !ok {
            break;
        }
        end = start + off + c.len_utf8();
    }
    end
}

fn valid_host(host: &str, with_protocol: bool) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
        return false;
    }
    for l in &labels {
        if l.starts_with('-') || l.ends_with('-') {
            return false;
        }
        let encoded_len = if l.is_ascii() {
            l.len()
        } else {
            match punycode_len(l) {
                Some(n) => n + 4,
                None => return false,
            }
        };
        if encoded_len > 63 {
            return false;
        }
    }
    let tld = labels[labels.len() - 1];
    if !tld.chars().all(char::is_alphabetic) || tld.chars().count() < 2 {
        return false;
    }
    if with_protocol {
        return true;
    }
    let tld = tld.to_ascii_lowercase();
    tld.len() == 2 || GTLDS.contains(&tld.as_str())
}

fn scan_port_and_path(text: &str, mut end: usize) -> usize {
    let rest = &text[end..];
    if let Some(port) = rest.strip_prefix(':') {
        let digits = port.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    let rest = &text[end..];
    if !(rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('#')) {
        return end;
    }
    let mut path_end = end;
    let mut depth: i32 = 0;
    for (off, c) in rest.char_indices() {
        if c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '“' | '”' | '‘' | '’' | '«' | '»')
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
        {
            break;
        }
        if c == '(' {
            depth += 1;
        } else if c == ')' {
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        path_end = end + off + c.len_utf8();
    }
    // Sentence punctuation after a link is not part of it.
    let path = text[end..path_end].trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*']);
    end + path.len()
}

/// The length of a label's Punycode encoding (RFC 3492), without the `xn--` prefix.
/// Only the length matters for the 63-character rule, so the digits are counted, not
/// kept. Returns `None` on arithmetic overflow (absurd inputs).
pub(crate) fn punycode_len(label: &str) -> Option<usize> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let input: Vec<u32> = label
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| c as u32)
        .collect();
    let basic = input.iter().filter(|&&c| c < 0x80).count();
    let mut out = basic + usize::from(basic > 0);
    let mut n: u32 = 0x80;
    let mut delta: u32 = 0;
    let mut bias: u32 = 72;
    let mut h = basic as u32;
    let total = input.len() as u32;
    let adapt = |mut delta: u32, numpoints: u32, first: bool| -> u32 {
        delta = if first { delta / DAMP } else { delta / 2 };
        delta += delta / numpoints;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (((BASE - TMIN + 1) * delta) / (delta + SKEW))
    };
    while h < total {
        let m = *input.iter().filter(|&&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(h + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out += 1;
                bias = adapt(delta, h + 1, h == basic as u32);
                delta = 0;
                h += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(t: &str) -> Vec<&str> {
        find_urls(t, true)
            .into_iter()
            .map(|(s, e)| &t[s..e])
            .collect()
    }

    #[test]
    fn finds_links_with_and_without_protocol() {
        assert_eq!(urls("Hi http://test.co"), vec!["http://test.co"]);
        assert_eq!(
            urls("Report at www.met.police.uk/ro/report today."),
            vec!["www.met.police.uk/ro/report"]
        );
        assert_eq!(
            urls("see bbc.co.uk, and example.com."),
            vec!["bbc.co.uk", "example.com"]
        );
    }

    #[test]
    fn ignores_email_addresses_abbreviations_and_bare_cctlds() {
        assert!(urls("mail jo@example.com").is_empty());
        assert!(urls("e.g. this, i.e. that, 10.30am").is_empty());
        assert!(urls("police.uk alone").is_empty());
    }

    #[test]
    fn keeps_balanced_parentheses_and_drops_trailing_punctuation() {
        assert_eq!(
            urls("(see https://en.wikipedia.org/wiki/Foo_(bar)), ok"),
            vec!["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
    }

    #[test]
    fn rejects_labels_longer_than_63() {
        let long = format!("{}.com", "a".repeat(64));
        assert!(urls(&long).is_empty());
        let ok = format!("{}.com", "a".repeat(63));
        assert_eq!(urls(&ok).len(), 1);
    }

    #[test]
    fn punycode_lengths_match_known_encodings() {
        // bücher -> bcher-kva
        assert_eq!(punycode_len("bücher"), Some(9));
        // münchen -> mnchen-3ya
        assert_eq!(punycode_len("münchen"), Some(10));
        // 例え -> r8jz45g
        assert_eq!(punycode_len("例え"), Some(7));
    }
}
