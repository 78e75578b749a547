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
