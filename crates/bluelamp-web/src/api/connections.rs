//! `/api/v1/accounts/{id}/connections` and `/api/v1/posts/{id}/channels`: an
//! account's identities on other networks (credentials go in, never come out),
//! and where a post went on each.

use axum::extract::{Path, State};
use bluelamp_domain::AccountId;
use bluelamp_services::crosspost;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

pub async fn list(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let found = crosspost::connections(&state.store, &staff, AccountId(id)).await?;
    ok(json!({"connections": found}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    /// The account's server, e.g. https://bsky.social.
    service: String,
    /// Its handle (or DID) there.
    identifier: String,
    /// An app password made for Bluelamp.
    secret: String,
}

pub async fn connect(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((id, network)): Path<(i64, String)>,
    ApiJson(input): ApiJson<Connect>,
) -> ApiResult {
    let saved = crosspost::connect(
        &state.store,
        &staff,
        state.networks.as_ref(),
        AccountId(id),
        &network,
        &input.service,
        &input.identifier,
        &input.secret,
    )
    .await?;
    ok(saved)
}

pub async fn disconnect(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((id, network)): Path<(i64, String)>,
) -> ApiResult {
    let removed = crosspost::disconnect(&state.store, &staff, AccountId(id), &network).await?;
    ok(json!({"disconnected": removed}))
}

pub async fn post_channels(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(json!({"channels": crosspost::post_channels(&state.store, &staff, id).await?}))
}

/// `/.well-known/atproto-did` on a host that is an account's Bluesky handle
/// (the force's own domain, or a name under it): the account's DID, as plain
/// text, so Bluesky verifies the handle by the domain the force serves.
pub async fn atproto_did(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or_default().to_string();
    let found = match state.store.read().await {
        Ok(mut conn) => bluelamp_store::connections::by_identifier(&mut conn, "bluesky", &host)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    match found {
        Some(connection) if connection.remote_id.starts_with("did:") => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            connection.remote_id,
        )
            .into_response(),
        _ => (
            axum::http::StatusCode::NOT_FOUND,
            "no Bluesky account has this name",
        )
            .into_response(),
    }
}
