//! Spans a network marks up in a post's text (Bluesky's "facets"): links,
//! mentions and hashtags, with their offsets in UTF-8 bytes, end exclusive, as the
//! AT Protocol counts them (not characters: "Grüße 👋" is 13 bytes).

/// What a span is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpanKind {
    Link(String),
    /// A handle without its `@`, to be resolved to the account's id.
    Mention(String),
    /// A tag without its `#`.
    Tag(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub byte_start: usize,
    pub byte_end: usize,
    pub kind: SpanKind,
}

/// Punctuation that ends a sentence rather than a link, handle or tag.
fn trailing(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '"' | '\'' | '…'
    )
}

fn starts_word(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || c == '(' || c == '[')
}

/// The end of the run of characters from `start` that `keep` accepts, with
/// sentence punctuation taken off the end.
fn run_end(text: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut end = start;
    for (i, c) in text[start..].char_indices() {
        if !keep(c) {
            break;
        }
        end = start + i + c.len_utf8();
    }
    while end > start {
        let Some(last) = text[start..end].chars().next_back() else {
            break;
        };
        if !trailing(last) {
            break;
        }
        end -= last.len_utf8();
    }
    end
}

/// Every link, mention and hashtag in `text`, in order.
pub fn spans(text: &str) -> Vec<Span> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        if (rest.starts_with("https://") || rest.starts_with("http://")) && starts_word(text, i) {
            let end = run_end(text, i, |c| !c.is_whitespace());
            let url = &text[i..end];
            if url
                .split("://")
                .nth(1)
                .is_some_and(|host| host.contains('.'))
            {
                found.push(Span {
                    byte_start: i,
                    byte_end: end,
                    kind: SpanKind::Link(url.to_string()),
                });
                i = end;
                continue;
            }
        } else if c == '@' && starts_word(text, i) {
            let end = run_end(text, i + 1, |c| {
                c.is_ascii_alphanumeric() || c == '.' || c == '-'
            });
            let handle = &text[i + 1..end];
            if handle.contains('.') && !handle.starts_with('.') && handle.len() <= 253 {
                found.push(Span {
                    byte_start: i,
                    byte_end: end,
                    kind: SpanKind::Mention(handle.to_ascii_lowercase()),
                });
                i = end;
                continue;
            }
        } else if c == '#' && starts_word(text, i) {
            let end = run_end(text, i + 1, |c| c.is_alphanumeric() || c == '_');
            let tag = &text[i + 1..end];
            if !tag.is_empty()
                && !tag.chars().all(|c| c.is_ascii_digit())
                && tag.chars().count() <= 64
            {
                found.push(Span {
                    byte_start: i,
                    byte_end: end,
                    kind: SpanKind::Tag(tag.to_string()),
                });
                i = end;
                continue;
            }
        }
        i += c.len_utf8();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_utf8_bytes_and_sentence_punctuation_is_left_out() {
        let text = "Grüße 👋 @bob.test, see https://example.com/bluelamp. #RoadSafety #2026 #Diogel_Ffyrdd!";
        let found = spans(text);
        assert_eq!(
            found[0],
            Span {
                byte_start: 13,
                byte_end: 22,
                kind: SpanKind::Mention("bob.test".into())
            }
        );
        assert_eq!(
            &text[found[1].byte_start..found[1].byte_end],
            "https://example.com/bluelamp"
        );
        assert_eq!(found[1].byte_start, 28);
        assert_eq!(found[2].kind, SpanKind::Tag("RoadSafety".into()));
        assert_eq!(
            found[3].kind,
            SpanKind::Tag("Diogel_Ffyrdd".into()),
            "a number alone is not a tag"
        );
        assert_eq!(found.len(), 4);
    }

    #[test]
    fn e_mail_addresses_and_bare_words_are_not_marked() {
        assert!(spans("write to comms@police.example or @nobody").is_empty());
        assert!(spans("a#b and x@y.z").is_empty());
        assert_eq!(
            spans("(see https://a.example/x)")[0].kind,
            SpanKind::Link("https://a.example/x".into())
        );
    }
}
