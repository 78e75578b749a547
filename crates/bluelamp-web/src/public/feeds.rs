//! Atom, RSS 2.0 and JSON Feed documents for an account or a whole force.
//! Entry ids are tag URIs built from the force's domain and the post id, so they
//! never change across restarts or moves of the server.

use atom_syndication as atom;
use bluelamp_store::accounts::Account;
use bluelamp_store::forces::Force;
use bluelamp_store::posts::Post;
use serde_json::json;

/// The feed formats we publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "atom" => Some(Format::Atom),
            "rss" => Some(Format::Rss),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Atom => "atom",
            Format::Rss => "rss",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What a feed is about.
pub struct FeedSubject<'a> {
    pub force: &'a Force,
    pub account: Option<&'a Account>,
    pub base: &'a str,
    /// A force-wide collection instead (the latest appeals, one incident's updates).
    pub collection: Option<Collection<'a>>,
}

/// A collection of a force's posts with its own page: `path` follows
/// `/forces/{code}/` ("appeals", "incidents/NWP-1").
#[derive(Clone, Copy)]
pub struct Collection<'a> {
    pub path: &'a str,
    pub title: &'a str,
}

impl FeedSubject<'_> {
    fn title(&self) -> String {
        if let Some(collection) = self.collection {
            return format!("{} ({})", collection.title, self.force.name);
        }
        match self.account {
            Some(account) => format!("{} ({})", account.display_name, self.force.name),
            None => self.force.name.clone(),
        }
    }

    fn page_url(&self) -> String {
        if let Some(collection) = self.collection {
            return format!(
                "{}/forces/{}/{}",
                self.base, self.force.code, collection.path
            );
        }
        match self.account {
            Some(account) => format!(
                "{}/forces/{}/accounts/{}",
                self.base, self.force.code, account.handle
            ),
            None => format!("{}/forces/{}", self.base, self.force.code),
        }
    }

    fn feed_url(&self, format: Format) -> String {
        format!("{}/feed.{}", self.page_url(), format.extension())
    }

    fn id(&self) -> String {
        let year = self.force.created_at.get(..4).unwrap_or("2026");
        if let Some(collection) = self.collection {
            return format!(
                "tag:{},{year}:{}",
                host(&self.force.domain),
                collection.path
            );
        }
        match self.account {
            Some(account) => format!(
                "tag:{},{year}:accounts/{}",
                host(&self.force.domain),
                account.handle
            ),
            None => format!("tag:{},{year}:force", host(&self.force.domain)),
        }
    }

    fn entry_id(&self, post: &Post) -> String {
        let year = self.force.created_at.get(..4).unwrap_or("2026");
        format!("tag:{},{year}:posts/{}", host(&self.force.domain), post.id)
    }

    fn post_url(&self, post: &Post) -> String {
        format!("{}/forces/{}/posts/{}", self.base, self.force.code, post.id)
    }
}

/// A tag URI's authority is a host name without a port.
fn host(domain: &str) -> &str {
    domain.split(':').next().unwrap_or(domain)
}

/// A short title for an entry: the first line, cut at a word near 80 characters.
pub fn entry_title(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= 80 {
        return line.to_string();
    }
    let cut: String = line.chars().take(80).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{cut}…")
}

fn rfc2822(stored: &str) -> String {
    time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc2822)
                .ok()
        })
        .unwrap_or_default()
}

fn fixed(stored: &str) -> atom::FixedDateTime {
    atom::FixedDateTime::parse_from_rfc3339(stored).unwrap_or_default()
}

fn author_name<'a>(post: &Post, accounts: &'a [Account]) -> &'a str {
    accounts
        .iter()
        .find(|a| a.id == post.account_id)
        .map(|a| a.display_name.as_str())
        .unwrap_or("")
}

/// Render the feed. `posts` are the public posts, newest first.
pub fn render(
    format: Format,
    subject: &FeedSubject<'_>,
    posts: &[Post],
    accounts: &[Account],
) -> String {
    let updated = posts
        .first()
        .map(|p| p.public_date().to_string())
        .unwrap_or_else(|| subject.force.created_at.clone());
    match format {
        Format::Atom => {
            let entries = posts
                .iter()
                .map(|post| atom::Entry {
                    id: subject.entry_id(post),
                    title: atom::Text::plain(entry_title(&post.body)),
                    updated: fixed(post.updated_at.as_deref().unwrap_or(post.public_date())),
                    published: Some(fixed(post.public_date())),
                    authors: vec![atom::Person {
                        name: author_name(post, accounts).to_string(),
                        ..Default::default()
                    }],
                    links: vec![atom::Link {
                        href: subject.post_url(post),
                        rel: "alternate".into(),
                        mime_type: Some("text/html".into()),
                        ..Default::default()
                    }],
                    content: Some(atom::Content {
                        value: Some(post.body.clone()),
                        content_type: Some("text".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
                .collect::<Vec<_>>();
            let feed = atom::Feed {
                id: subject.id(),
                title: atom::Text::plain(subject.title()),
                updated: fixed(&updated),
                links: vec![
                    atom::Link {
                        href: subject.feed_url(Format::Atom),
                        rel: "self".into(),
                        mime_type: Some("application/atom+xml".into()),
                        ..Default::default()
                    },
                    atom::Link {
                        href: subject.page_url(),
                        rel: "alternate".into(),
                        mime_type: Some("text/html".into()),
                        ..Default::default()
                    },
                ],
                entries,
                ..Default::default()
            };
            feed.to_string()
        }
        Format::Rss => {
            let items = posts
                .iter()
                .map(|post| rss::Item {
                    title: Some(entry_title(&post.body)),
                    link: Some(subject.post_url(post)),
                    description: Some(post.body.clone()),
                    guid: Some(rss::Guid {
                        value: subject.entry_id(post),
                        permalink: false,
                    }),
                    pub_date: Some(rfc2822(post.public_date())),
                    ..Default::default()
                })
                .collect::<Vec<_>>();
            let channel = rss::Channel {
                title: subject.title(),
                link: subject.page_url(),
                description: format!("Posts from {}", subject.title()),
                language: Some("en-gb".into()),
                last_build_date: Some(rfc2822(&updated)),
                items,
                ..Default::default()
            };
            channel.to_string()
        }
        Format::Json => {
            let items = posts
                .iter()
                .map(|post| {
                    json!({
                        "id": subject.entry_id(post),
                        "url": subject.post_url(post),
                        "title": entry_title(&post.body),
                        "content_text": post.body,
                        "date_published": post.public_date(),
                        "date_modified": post.updated_at.as_deref().unwrap_or(post.public_date()),
                        "authors": [{"name": author_name(post, accounts)}],
                    })
                })
                .collect::<Vec<_>>();
            json!({
                "version": "https://jsonfeed.org/version/1.1",
                "title": subject.title(),
                "home_page_url": subject.page_url(),
                "feed_url": subject.feed_url(Format::Json),
                "language": "en-GB",
                "items": items,
            })
            .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cut_at_a_word() {
        assert_eq!(entry_title("Short one\nsecond line"), "Short one");
        let long = "word ".repeat(30);
        let title = entry_title(&long);
        assert!(title.ends_with('…') && title.chars().count() <= 81);
    }

    #[test]
    fn rss_dates_are_rfc_2822() {
        assert_eq!(
            rfc2822("2026-11-21T10:00:00.000Z"),
            "Sat, 21 Nov 2026 10:00:00 +0000"
        );
    }
}
