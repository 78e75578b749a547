//! What clients ask on start: the instance (v1 and v2, with every key they
//! parse and the limits as this server really counts them) and small endpoints
//! that answer sensibly with nothing to say (emojis, filters, markers...).

use axum::extract::State;
use axum::response::Response;
use bluelamp_services::client_apps::statuses::{
    MAX_DESCRIPTION_CHARS, MAX_STATUS_CHARS, URL_CHARS,
};
use serde_json::{json, Value};

use super::{entities::base, ClientResult, ClientStaff};
use crate::AppState;

/// The Mastodon API version these answers follow, and ours after it (clients
/// read the first part to pick endpoints).
pub fn version() -> String {
    format!("4.3.0 (compatible; Bluelamp {})", env!("CARGO_PKG_VERSION"))
}

fn host(state: &AppState) -> String {
    let base = base(state);
    base.split_once("://")
        .map(|(_, rest)| rest.to_string())
        .unwrap_or(base)
}

fn limits() -> Value {
    let media = bluelamp_media::Limits::default();
    json!({
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "statuses": {
            "max_characters": MAX_STATUS_CHARS,
            // Every link counts as this many characters, however long.
            "characters_reserved_per_url": URL_CHARS,
            "max_media_attachments": bluelamp_services::posts::MAX_IMAGES,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"],
            "image_size_limit": media.max_image_bytes,
            "image_matrix_limit": media.max_image_pixels,
            "video_size_limit": media.max_video_bytes,
            "video_frame_rate_limit": 60,
            "video_matrix_limit": 8_294_400,
            "description_limit": MAX_DESCRIPTION_CHARS,
        },
        "polls": {
            // Polls are not offered: a police force does not run opinion polls.
            "max_options": 0,
            "max_characters_per_option": 0,
            "min_expiration": 0,
            "max_expiration": 0,
        },
        "translation": {"enabled": false},
    })
}

const DESCRIPTION: &str =
    "Bluelamp: a police force's social media, published through a governance check.";

pub async fn v1(State(state): State<AppState>) -> ClientResult {
    let base = base(&state);
    let streaming = base.replacen("http", "ws", 1);
    let configuration = limits();
    super::ok(json!({
        "uri": host(&state),
        "title": state.config.site_name,
        "short_description": DESCRIPTION,
        "description": DESCRIPTION,
        "email": "",
        "version": version(),
        "urls": {"streaming_api": streaming},
        "stats": {"user_count": 0, "status_count": 0, "domain_count": 0},
        "thumbnail": null,
        "languages": ["en", "cy"],
        "registrations": false,
        "approval_required": true,
        "invites_enabled": false,
        "configuration": configuration,
        "contact_account": null,
        "rules": [],
    }))
}

pub async fn v2(State(state): State<AppState>) -> ClientResult {
    let base = base(&state);
    let mut configuration = limits();
    configuration["urls"] = json!({"streaming": base.replacen("http", "ws", 1)});
    configuration["vapid"] = json!({"public_key": ""});
    super::ok(json!({
        "domain": host(&state),
        "title": state.config.site_name,
        "version": version(),
        "source_url": "https://github.com/bluelamp/bluelamp",
        "description": DESCRIPTION,
        "usage": {"users": {"active_month": 0}},
        "thumbnail": {"url": format!("{base}/assets/app.css")},
        "icon": [],
        "languages": ["en", "cy"],
        "configuration": configuration,
        "registrations": {"enabled": false, "approval_required": true, "message": "Staff accounts are created by the force's administrators."},
        "api_versions": {"mastodon": 2},
        "contact": {"email": "", "account": null},
        "rules": [],
    }))
}

/// Custom emojis, filters, lists, announcements: none here.
pub async fn empty_list() -> Response {
    axum::response::IntoResponse::into_response(axum::Json(json!([])))
}
/// Reading positions are not kept: an empty set, for reading and saving alike.
pub async fn markers(ClientStaff(_staff): ClientStaff) -> ClientResult {
    super::ok(json!({}))
}

pub async fn preferences(ClientStaff(_staff): ClientStaff) -> ClientResult {
    super::ok(json!({
        "posting:default:visibility": "public",
        "posting:default:sensitive": false,
        "posting:default:language": "en",
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    }))
}
