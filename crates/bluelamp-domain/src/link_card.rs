//! A link card: the title, description and picture a page offers for previews
//! (Open Graph `og:*` tags, else `<title>` and `<meta name="description">`).
//!
//! Networks without server-side previews (Bluesky) show a card only if the
//! poster attaches one, so the connector fetches the page and reads its head.
//! This reads only the `<head>`-style tags it needs from at most the bytes it is
//! given; it is not an HTML parser and never executes or follows anything.

/// The most of a card's title and description kept (Bluesky clips longer ones).
pub const MAX_TITLE: usize = 300;
pub const MAX_DESCRIPTION: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkCard {
    pub title: String,
    pub description: String,
    /// The picture's address as the page gives it (maybe relative).
    pub image: Option<String>,
}

/// The card `html` offers, or `None` when it offers no title at all.
pub fn from_html(html: &str) -> Option<LinkCard> {
    let mut og_title = None;
    let mut og_description = None;
    let mut description = None;
    let mut image = None;
    let mut rest = html;
    while let Some(at) = find_ci(rest, "<meta") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[at + 5..tag_end];
        let key = attribute(tag, "property").or_else(|| attribute(tag, "name"));
        if let (Some(key), Some(content)) = (key, attribute(tag, "content")) {
            match key.to_ascii_lowercase().as_str() {
                "og:title" => og_title = og_title.or(Some(content)),
                "og:description" => og_description = og_description.or(Some(content)),
                "description" => description = description.or(Some(content)),
                "og:image" | "og:image:url" => image = image.or(Some(content)),
                _ => {}
            }
        }
        rest = &rest[tag_end.min(rest.len())..];
    }
    let title = og_title.or_else(|| title_element(html))?;
    let title = clip(&decode(&title), MAX_TITLE);
    if title.is_empty() {
        return None;
    }
    Some(LinkCard {
        title,
        description: clip(
            &decode(&og_description.or(description).unwrap_or_default()),
            MAX_DESCRIPTION,
        ),
        image: image.map(|i| decode(&i)).filter(|i| !i.is_empty()),
    })
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// The value of `name="…"`, `name='…'` or `name=…` inside a tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = find_ci(&tag[from..], name) {
        let start = from + found;
        let before_ok = start == 0 || tag.as_bytes()[start - 1].is_ascii_whitespace();
        let after = tag[start + name.len()..].trim_start();
        from = start + name.len();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value = after[1..].trim_start();
        let quote = value.chars().next()?;
        return Some(if quote == '"' || quote == '\'' {
            value[1..]
                .split(quote)
                .next()
                .unwrap_or_default()
                .to_string()
        } else {
            value
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or_default()
                .to_string()
        });
    }
    None
}

fn title_element(html: &str) -> Option<String> {
    let open = find_ci(html, "<title")?;
    let body = &html[open..];
    let start = body.find('>')? + 1;
    let end = find_ci(&body[start..], "</title")?;
    Some(body[start..start + end].trim().to_string())
}

/// Character references a page head commonly uses; others stay as written.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';').filter(|s| *s <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let name = &tail[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max - 1).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_graph_tags_make_the_card() {
        let html = r#"<html><head><title>ignored</title>
            <meta property="og:title" content="Appeal: Tom &amp; Ann&#39;s bikes">
            <META name='description' content='fallback'>
            <meta content="Two bikes taken from a shed." property="og:description"/>
            <meta property=og:image content=https://police.example/media/7>
            </head><body>…</body></html>"#;
        assert_eq!(
            from_html(html),
            Some(LinkCard {
                title: "Appeal: Tom & Ann's bikes".into(),
                description: "Two bikes taken from a shed.".into(),
                image: Some("https://police.example/media/7".into()),
            })
        );
    }

    #[test]
    fn the_title_element_and_description_are_the_fallback() {
        let html = "<head><TITLE>\n  Road closed\n</TITLE><meta name=\"description\" content=\"A470 shut\"></head>";
        let card = from_html(html).unwrap_or_default();
        assert_eq!(card.title, "Road closed");
        assert_eq!(card.description, "A470 shut");
        assert_eq!(card.image, None);
    }

    #[test]
    fn no_title_no_card_and_odd_input_never_panics() {
        assert_eq!(from_html("<p>hello</p>"), None);
        assert_eq!(from_html("<title></title>"), None);
        for odd in [
            "<meta",
            "<meta property=",
            "<meta property=\"og:title\" content=\"",
            "&#xFFFFFFFF;<title>&",
            "<title>é&;",
        ] {
            let _ = from_html(odd);
        }
        let long = format!("<title>{}</title>", "x".repeat(5000));
        assert_eq!(
            from_html(&long).map(|c| c.title.chars().count()),
            Some(MAX_TITLE)
        );
    }
}
