//! Answering inbox messages through the API: a reply (a post, checked and
//! approved like any other) and the force's canned replies.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use bluelamp_domain::AccountId;
use bluelamp_services::inbox::replies;
use serde::Deserialize;
use serde_json::json;

use super::{created, ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    text: String,
    #[serde(default)]
    account_id: Option<i64>,
}

/// 201 with the post (published or waiting for approval), the check's report and,
/// for a network Bluelamp does not post to itself, what the connector must send;
/// 422 when the check refuses the reply (kept, never sent).
pub async fn reply(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Reply>,
) -> ApiResult {
    let outcome = replies::reply(
        &state.store,
        &state.governance,
        &staff,
        id,
        &input.text,
        input.account_id.map(AccountId),
    )
    .await?;
    state.public_changed();
    let refused = outcome.post.status == bluelamp_domain::PostStatus::Refused;
    let mut body = serde_json::to_value(&outcome).unwrap_or_default();
    if refused {
        body["error"] = json!("refused");
        body["detail"] = json!(bluelamp_services::client_apps::statuses::refused_message(
            &outcome.report
        ));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response());
    }
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn canned_list(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(replies::canned_replies(&state.store, &staff).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCanned {
    title: String,
    text: String,
}

pub async fn canned_add(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewCanned>,
) -> ApiResult {
    created(replies::add_canned(&state.store, &staff, &input.title, &input.text).await?)
}

/// A canned reply with its variables filled in from one message.
pub async fn canned_for(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path((id, canned)): Path<(i64, i64)>,
) -> ApiResult {
    ok(json!({"text": replies::canned_for(&state.store, &staff, canned, id).await?}))
}
