//! The e-mail subscriber list for force administrators: export (a subject access
//! request, or moving to another system) and erasure on request. Both are audited
//! with counts only, never addresses.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bluelamp_services::subscriptions as service;
use serde::Deserialize;
use serde_json::json;

use crate::api::ApiJson;
use crate::auth::ApiStaff;
use crate::error::ApiError;
use crate::AppState;

/// `GET /api/v1/subscribers`: every subscriber of the caller's force.
pub async fn export(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> Result<Response, ApiError> {
    let subscribers = service::export(&state.store, &staff).await?;
    Ok(Json(json!({ "count": subscribers.len(), "subscribers": subscribers })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    pub email: String,
}

/// `POST /api/v1/subscribers/erase` with `{"email": "..."}`: remove the address
/// and every subscription and queued message it has in the caller's force.
pub async fn erase(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<EraseRequest>,
) -> Result<Response, ApiError> {
    let removed = service::erase(&state.store, &staff, &input.email).await?;
    Ok(Json(json!({ "removed": removed })).into_response())
}
