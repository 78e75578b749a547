//! Bluelamp's things in Mastodon's shapes: Account, Status, MediaAttachment,
//! ScheduledStatus, Notification. Ids are numeric strings (clients compare them by
//! length, then as text); times are RFC 3339 UTC with milliseconds.

use bluelamp_services::client_apps::reading::AccountView;
use bluelamp_services::client_apps::{StatusView, MESSAGE_ID_BASE};
use bluelamp_store::{inbox, media, posts};
use serde_json::{json, Value};

use crate::AppState;

/// The base URL the server is reached at (scheme and host, no slash).
pub fn base(state: &AppState) -> String {
    state
        .config
        .public_base_url
        .trim_end_matches('/')
        .to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Plain text as the HTML Mastodon's clients render: paragraphs and line breaks.
pub fn html_of(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>")))
        .collect()
}

pub fn account(state: &AppState, view: &AccountView, with_source: bool) -> Value {
    let account = &view.account;
    let base = base(state);
    let url = format!("{base}/users/{}", account.handle);
    let avatar = account
        .avatar_url
        .clone()
        .unwrap_or_else(|| format!("{base}/assets/app.css#avatar-missing"));
    let mut value = json!({
        "id": account.id.0.to_string(),
        "username": account.handle,
        "acct": account.handle,
        "url": url,
        "uri": url,
        "display_name": account.display_name,
        "note": html_of(&account.bio),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "locked": false,
        "fields": [],
        "emojis": [],
        "bot": false,
        "group": account.kind == bluelamp_domain::AccountKind::Collective,
        "discoverable": true,
        "noindex": false,
        "created_at": account.created_at,
        "last_status_at": null,
        "statuses_count": view.statuses,
        "followers_count": view.followers,
        "following_count": 0,
    });
    if with_source {
        value["source"] = json!({
            "privacy": "public",
            "sensitive": false,
            "language": "en",
            "note": account.bio,
            "fields": [],
            "follow_requests_count": 0,
        });
    }
    value
}

pub fn media(state: &AppState, item: &media::Media) -> Value {
    let base = base(state);
    let kind = if item.kind == "video" {
        "video"
    } else {
        "image"
    };
    let preview = if item.kind == "video" {
        format!("{base}/media/{}", item.id)
    } else {
        format!("{base}/media/{}/thumbnail", item.id)
    };
    let original = match (item.width, item.height) {
        (Some(w), Some(h)) if h > 0 => json!({
            "width": w, "height": h, "size": format!("{w}x{h}"), "aspect": w as f64 / h as f64,
        }),
        _ => json!({}),
    };
    json!({
        "id": item.id.to_string(),
        "type": kind,
        "url": format!("{base}/media/{}", item.id),
        "preview_url": preview,
        "remote_url": null,
        "text_url": null,
        "meta": {"original": original},
        "description": (!item.alt.is_empty()).then_some(&item.alt),
        "blurhash": null,
    })
}

fn post_url(state: &AppState, view: &StatusView) -> String {
    format!(
        "{}/users/{}/posts/{}",
        base(state),
        view.account.handle,
        view.post.id
    )
}

pub fn status(state: &AppState, view: &StatusView, account: &AccountView) -> Value {
    let post: &posts::Post = &view.post;
    let deleted = post.status == bluelamp_domain::PostStatus::Deleted;
    let url = post_url(state, view);
    json!({
        "id": post.id.to_string(),
        "uri": url,
        "url": url,
        "created_at": post.public_date(),
        "account": self::account(state, account, false),
        "content": if deleted { String::new() } else { html_of(&post.body) },
        "text": post.body,
        "visibility": "public",
        "sensitive": post.content_warning.is_some(),
        "spoiler_text": post.content_warning.clone().unwrap_or_default(),
        "media_attachments": view.media.iter().map(|m| media(state, m)).collect::<Vec<_>>(),
        "application": {"name": "Bluelamp", "website": null},
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": post.reply_to_post_id.map(|id| id.to_string()),
        "in_reply_to_account_id": view.reply_to_account.map(|a| a.0.to_string()),
        "reblog": null,
        "poll": null,
        "card": null,
        "language": null,
        "edited_at": (post.version > 1).then(|| post.updated_at.clone()).flatten(),
        "favourited": false,
        "reblogged": false,
        "muted": false,
        "bookmarked": false,
        "pinned": false,
        "filtered": [],
    })
}

/// A scheduled post as a ScheduledStatus (its `scheduled_at` key tells clients
/// apart from a Status).
pub fn scheduled(state: &AppState, view: &StatusView) -> Value {
    let post = &view.post;
    json!({
        "id": post.id.to_string(),
        "scheduled_at": post.scheduled_at,
        "params": {
            "text": post.text,
            "media_ids": view.media.iter().map(|m| m.id.to_string()).collect::<Vec<_>>(),
            "sensitive": post.content_warning.is_some(),
            "spoiler_text": post.content_warning,
            "visibility": "public",
            "in_reply_to_id": post.reply_to_post_id.map(|id| id.to_string()),
            "language": null,
            "application_id": null,
            "scheduled_at": null,
            "idempotency": null,
            "with_rate_limit": false,
            "poll": null,
        },
        "media_attachments": view.media.iter().map(|m| media(state, m)).collect::<Vec<_>>(),
    })
}

/// A member of the public as an Account (they are not on this server).
fn sender(message: &inbox::Message) -> Value {
    let handle = message.author_handle.trim_start_matches('@');
    let url = message.author_url.clone().unwrap_or_default();
    json!({
        "id": (MESSAGE_ID_BASE + message.id).to_string(),
        "username": handle.split('@').next().unwrap_or(handle),
        "acct": handle,
        "url": url,
        "uri": url,
        "display_name": message.author_name.clone().unwrap_or_else(|| handle.to_string()),
        "note": "",
        "avatar": "",
        "avatar_static": "",
        "header": "",
        "header_static": "",
        "locked": false,
        "fields": [],
        "emojis": [],
        "bot": false,
        "group": false,
        "discoverable": null,
        "noindex": null,
        "created_at": message.sent_at,
        "last_status_at": null,
        "statuses_count": 0,
        "followers_count": 0,
        "following_count": 0,
    })
}

/// A reply or mention from the inbox as a Notification of type `mention`.
pub fn notification(message: &inbox::Message, addressed_to: Option<&str>) -> Value {
    let account = sender(message);
    let mention = addressed_to
        .map(|handle| json!([{"id": "0", "username": handle, "acct": handle, "url": ""}]));
    json!({
        "id": message.id.to_string(),
        "type": "mention",
        "created_at": message.received_at,
        "account": account,
        "status": {
            "id": (MESSAGE_ID_BASE + message.id).to_string(),
            "uri": message.author_url.clone().unwrap_or_default(),
            "url": message.author_url,
            "created_at": message.sent_at,
            "account": account,
            "content": html_of(&message.body),
            "visibility": "public",
            "sensitive": false,
            "spoiler_text": "",
            "media_attachments": [],
            "application": null,
            "mentions": mention.unwrap_or_else(|| json!([])),
            "tags": [],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "in_reply_to_id": null,
            "in_reply_to_account_id": null,
            "reblog": null,
            "poll": null,
            "card": null,
            "language": null,
            "text": null,
            "edited_at": null,
            "favourited": false,
            "reblogged": false,
            "muted": false,
            "bookmarked": false,
            "pinned": false,
            "filtered": [],
        },
        "report": null,
    })
}
