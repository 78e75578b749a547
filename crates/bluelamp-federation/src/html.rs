//! HTML in both directions.
//!
//! Outbound: our posts are plain text; [`render_text`] escapes it and turns URLs,
//! `#hashtags` and resolved `@user@domain` mentions into the links Mastodon itself
//! produces, so other servers show them as native links, tags and mentions.
//!
//! Inbound: [`sanitize`] keeps Mastodon's allowlist (paragraphs, line breaks, links,
//! spans with microformat classes, simple inline formatting) and removes everything
//! else: scripts, event handlers, `javascript:` links, styles, images.

use std::collections::HashSet;
use std::sync::OnceLock;

/// A mention we know how to link: `acct` is `user@domain` (as typed, without `@`),
/// `href` the actor id found through WebFinger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub acct: String,
    pub href: String,
}

/// How to render one post.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// Our domain, so that `@user` without a domain means a local account.
    pub local_domain: &'a str,
    /// Prefix for hashtag links, e.g. `https://force.example/tags/`.
    pub hashtag_base: &'a str,
    /// Mentions resolved by the caller; unresolved `@user@domain` stay plain text.
    pub mentions: &'a [Mention],
}

/// A rendered post: the HTML and what it links, for the `tag` list and addressing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rendered {
    pub html: String,
    /// Hashtags without `#`, in order of first use, deduplicated case-insensitively.
    pub hashtags: Vec<String>,
    /// Mentions that were linked, deduplicated.
    pub mentions: Vec<Mention>,
}

enum Token<'t> {
    Text(&'t str),
    Url(&'t str),
    Hashtag(&'t str),
    Mention {
        user: &'t str,
        domain: Option<&'t str>,
    },
}

/// Escapes the text and links URLs, hashtags and resolved mentions. Blank lines
/// separate paragraphs; single newlines become `<br>`.
pub fn render_text(text: &str, ctx: &RenderContext<'_>) -> Rendered {
    let text = text.replace("\r\n", "\n");
    let mut out = Rendered::default();
    let mut seen_tags = HashSet::new();
    let paragraphs = text
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty());
    for paragraph in paragraphs {
        out.html.push_str("<p>");
        for token in tokenize(paragraph) {
            match token {
                Token::Text(t) => push_text(&mut out.html, t),
                Token::Url(u) => {
                    out.html.push_str("<a href=\"");
                    push_escaped(&mut out.html, u);
                    out.html
                        .push_str("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
                    push_escaped(&mut out.html, u);
                    out.html.push_str("</a>");
                }
                Token::Hashtag(tag) => {
                    if seen_tags.insert(tag.to_lowercase()) {
                        out.hashtags.push(tag.to_owned());
                    }
                    out.html.push_str("<a href=\"");
                    push_escaped(&mut out.html, ctx.hashtag_base);
                    push_escaped(&mut out.html, &tag.to_lowercase());
                    out.html
                        .push_str("\" class=\"mention hashtag\" rel=\"tag\">#<span>");
                    push_escaped(&mut out.html, tag);
                    out.html.push_str("</span></a>");
                }
                Token::Mention {
                    user,
                    domain: typed,
                } => {
                    let domain = typed.unwrap_or(ctx.local_domain);
                    let found = ctx.mentions.iter().find(|m| {
                        m.acct.split_once('@').is_some_and(|(u, d)| {
                            u.eq_ignore_ascii_case(user) && d.eq_ignore_ascii_case(domain)
                        })
                    });
                    match found {
                        Some(m) => {
                            if !out.mentions.contains(m) {
                                out.mentions.push(m.clone());
                            }
                            out.html.push_str("<span class=\"h-card\"><a href=\"");
                            push_escaped(&mut out.html, &m.href);
                            out.html.push_str("\" class=\"u-url mention\">@<span>");
                            push_escaped(&mut out.html, user);
                            out.html.push_str("</span></a></span>");
                        }
                        None => {
                            out.html.push('@');
                            push_escaped(&mut out.html, user);
                            if let Some(d) = typed {
                                out.html.push('@');
                                push_escaped(&mut out.html, d);
                            }
                        }
                    }
                }
            }
        }
        out.html.push_str("</p>");
    }
    out
}

/// The `@user@domain` mentions in a text, for the caller to resolve through
/// WebFinger before rendering. Bare `@user` comes back with `None` for the domain.
pub fn extract_mentions(text: &str) -> Vec<(String, Option<String>)> {
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    for token in tokenize(text) {
        if let Token::Mention { user, domain } = token {
            let item = (user.to_owned(), domain.map(str::to_owned));
            if !found.contains(&item) {
                found.push(item);
            }
        }
    }
    found
}

fn push_text(out: &mut String, text: &str) {
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        push_escaped(out, first);
    }
    for line in lines {
        out.push_str("<br>");
        push_escaped(out, line);
    }
}

/// Escapes for both text and double-quoted attribute values.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let mut prev: Option<char> = None;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        let at_boundary = prev.is_none_or(|p| !is_word(p) && p != '/' && p != '&' && p != '@');
        let matched = if at_boundary {
            match_url(rest)
                .map(|n| (n, Token::Url(&rest[..n])))
                .or_else(|| match_hashtag(rest).map(|n| (n, Token::Hashtag(&rest[1..n]))))
                .or_else(|| match_mention(rest))
        } else {
            None
        };
        match matched {
            Some((len, token)) => {
                if text_start < i {
                    tokens.push(Token::Text(&text[text_start..i]));
                }
                tokens.push(token);
                i += len;
                text_start = i;
                prev = text[..i].chars().next_back();
            }
            None => {
                i += c.len_utf8();
                prev = Some(c);
            }
        }
    }
    if text_start < text.len() {
        tokens.push(Token::Text(&text[text_start..]));
    }
    tokens
}

/// Length of an `http(s)://` URL at the start of `s`, without trailing punctuation
/// (a closing parenthesis stays only if the URL opened one).
fn match_url(s: &str) -> Option<usize> {
    let lower = s.get(..8)?.to_ascii_lowercase();
    if !lower.starts_with("http://") && !lower.starts_with("https://") {
        return None;
    }
    let mut end = s
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(s.len());
    loop {
        let candidate = &s[..end];
        let last = candidate.chars().next_back()?;
        let trim = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' => true,
            ')' => candidate.matches('(').count() < candidate.matches(')').count(),
            _ => false,
        };
        if !trim {
            break;
        }
        end -= last.len_utf8();
    }
    let url = url::Url::parse(&s[..end]).ok()?;
    url.host_str()?;
    Some(end)
}

/// Length of `#tag` at the start of `s`; a tag needs at least one non-digit so
/// `#1` (issue numbers, rankings) stays text.
fn match_hashtag(s: &str) -> Option<usize> {
    let body = s.strip_prefix('#')?;
    let len: usize = body
        .chars()
        .take_while(|&c| is_word(c))
        .map(char::len_utf8)
        .sum();
    let tag = &body[..len];
    (len > 0 && tag.chars().any(|c| !c.is_ascii_digit())).then_some(len + 1)
}

fn match_mention(s: &str) -> Option<(usize, Token<'_>)> {
    let body = s.strip_prefix('@')?;
    let user_len: usize = body
        .chars()
        .take_while(|&c| c.is_ascii_alphanumeric() || c == '_')
        .map(char::len_utf8)
        .sum();
    if user_len == 0 {
        return None;
    }
    let user = &body[..user_len];
    let after = &body[user_len..];
    if let Some(domain_part) = after.strip_prefix('@') {
        let mut len: usize = domain_part
            .chars()
            .take_while(|&c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':')
            .map(char::len_utf8)
            .sum();
        while len > 0 && matches!(domain_part.as_bytes()[len - 1], b'.' | b'-' | b':') {
            len -= 1;
        }
        let domain = &domain_part[..len];
        if domain.contains('.') || domain.starts_with("localhost") {
            return Some((
                1 + user_len + 1 + len,
                Token::Mention {
                    user,
                    domain: Some(domain),
                },
            ));
        }
    }
    Some((1 + user_len, Token::Mention { user, domain: None }))
}

const ALLOWED_CLASS_PREFIXES: &[&str] = &["h-", "p-", "u-", "dt-", "e-"];
const ALLOWED_CLASSES: &[&str] = &["mention", "hashtag", "ellipsis", "invisible"];

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static SANITIZER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut b = ammonia::Builder::empty();
        b.tags(HashSet::from([
            "p",
            "br",
            "span",
            "a",
            "del",
            "s",
            "pre",
            "blockquote",
            "code",
            "b",
            "strong",
            "u",
            "i",
            "em",
            "ul",
            "ol",
            "li",
        ]))
        .add_tag_attributes("a", ["href", "class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("ol", ["start", "reversed"])
        .url_schemes(HashSet::from(["http", "https"]))
        // Remote links are someone else's: never pass our referrer or a window handle,
        // never lend them our reputation.
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(|_element, attribute, value| {
            if attribute != "class" {
                return Some(value.into());
            }
            let kept: Vec<&str> = value
                .split_whitespace()
                .filter(|class| {
                    ALLOWED_CLASSES.contains(class)
                        || ALLOWED_CLASS_PREFIXES.iter().any(|p| class.starts_with(p))
                })
                .collect();
            (!kept.is_empty()).then(|| kept.join(" ").into())
        });
        b
    })
}

/// Cleans remote HTML for storage and display (see the module doc for what stays).
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// Plain text of remote HTML, for notifications, search and triage: paragraphs and
/// line breaks become newlines, every tag is dropped, entities are decoded.
pub fn to_plain_text(html: &str) -> String {
    let with_breaks = html
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .replace("</p>", "\n\n");
    let stripped = ammonia::Builder::empty().clean(&with_breaks).to_string();
    stripped
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(mentions: &[Mention]) -> RenderContext<'_> {
        RenderContext {
            local_domain: "police.example",
            hashtag_base: "https://police.example/tags/",
            mentions,
        }
    }

    #[test]
    fn text_is_escaped_and_linked() {
        let mentions = [Mention {
            acct: "alice@social.example".into(),
            href: "https://social.example/users/alice".into(),
        }];
        let r = render_text(
            "Road closed <b>now</b> & see https://police.example/roads. #Traffic #1 @alice@social.example @bob@nowhere.example\n\nStay safe",
            &ctx(&mentions),
        );
        assert!(r.html.starts_with("<p>Road closed &lt;b&gt;now&lt;/b&gt; &amp; see <a href=\"https://police.example/roads\""), "{}", r.html);
        assert!(
            r.html.contains(">https://police.example/roads</a>. "),
            "{}",
            r.html
        );
        assert!(r.html.contains("<a href=\"https://police.example/tags/traffic\" class=\"mention hashtag\" rel=\"tag\">#<span>Traffic</span></a> #1 "), "{}", r.html);
        assert!(r.html.contains("<span class=\"h-card\"><a href=\"https://social.example/users/alice\" class=\"u-url mention\">@<span>alice</span></a></span>"));
        assert!(
            r.html.contains(" @bob@nowhere.example</p><p>Stay safe</p>"),
            "{}",
            r.html
        );
        assert_eq!(r.hashtags, vec!["Traffic"]);
        assert_eq!(r.mentions, mentions);
    }

    #[test]
    fn newlines_and_parentheses() {
        let r = render_text("a\nb (see https://x.example/a_(b)) end", &ctx(&[]));
        assert!(
            r.html
                .starts_with("<p>a<br>b (see <a href=\"https://x.example/a_(b)\""),
            "{}",
            r.html
        );
        assert!(r.html.ends_with("</a>) end</p>"), "{}", r.html);
        assert_eq!(render_text("", &ctx(&[])).html, "");
        assert_eq!(
            render_text("mail me@x.example", &ctx(&[])).html,
            "<p>mail me@x.example</p>"
        );
    }

    #[test]
    fn mentions_are_extracted() {
        assert_eq!(
            extract_mentions("hi @a@b.example and @c, again @a@b.example."),
            vec![("a".into(), Some("b.example".into())), ("c".into(), None)]
        );
    }

    #[test]
    fn plain_text_of_html() {
        assert_eq!(
            to_plain_text("<p>Hi &amp; <a href=\"x\">bye</a></p><p>a<br>b</p>"),
            "Hi & bye\n\na\nb"
        );
    }
}
