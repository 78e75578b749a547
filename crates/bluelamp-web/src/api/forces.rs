//! A force's own settings and governance rules, for its force administrators:
//! `PATCH /api/v1/forces/{code}`, `GET`/`PUT /api/v1/forces/{code}/rules`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bluelamp_services::force_rules::{self, SaveRulesError};
use bluelamp_services::forces;
use serde::Deserialize;
use serde_json::json;

use crate::api::ApiJson;
use crate::auth::ApiStaff;
use crate::error::ApiError;
use crate::AppState;

/// Change the force's pre-election period, TOTP requirement, time zone or logo.
pub async fn change_settings(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
    ApiJson(changes): ApiJson<forces::ForceChanges>,
) -> Result<Response, ApiError> {
    let force = forces::change_settings(&state.store, &staff, Some(&code), &changes).await?;
    // The logo shows on the public pages: let them show the change at once.
    state.public_changed();
    Ok(Json(force).into_response())
}

pub async fn get_rules(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let view = force_rules::view(&state.store, &staff, Some(&code)).await?;
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveRules {
    /// The rule file, TOML.
    pub rules: String,
    /// The version the editor read (0 when the force had none); a newer save
    /// since then answers 409. Absent: save regardless.
    #[serde(default)]
    pub based_on: Option<i64>,
}

/// Save a new version of the force's rules. A file the engine refuses answers
/// 400 with the line, column and field at fault.
pub async fn put_rules(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<SaveRules>,
) -> Result<Response, ApiError> {
    match force_rules::save(
        &state.store,
        &state.governance,
        &staff,
        Some(&code),
        &input.rules,
        input.based_on,
    )
    .await
    {
        Ok(saved) => Ok(Json(saved).into_response()),
        Err(SaveRulesError::Service(error)) => Err(error.into()),
        Err(SaveRulesError::Rules(error)) => Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error": "invalid_rules",
                "detail": error.to_string(),
                "line": error.line,
                "column": error.column,
                "field": error.field,
            })),
        )
            .into_response()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    url: String,
}

/// The force's webhook address (never its secret).
pub async fn get_webhook(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    // No webhook is "not found", like any resource that is not there (or was deleted).
    let url = bluelamp_services::webhooks::url(&state.store, &staff, &code)
        .await?
        .ok_or(bluelamp_services::ServiceError::NotFound("webhook"))?;
    Ok(Json(json!({"url": url})).into_response())
}

/// Set the force's webhook; the answer carries the signing secret, once.
pub async fn set_webhook(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<Webhook>,
) -> Result<Response, ApiError> {
    let secret = bluelamp_services::webhooks::set(&state.store, &staff, &code, &input.url).await?;
    Ok(Json(json!({"url": input.url.trim(), "secret": secret, "signature_header": bluelamp_services::webhooks::SIGNATURE_HEADER})).into_response())
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let removed = bluelamp_services::webhooks::clear(&state.store, &staff, &code).await?;
    Ok(Json(json!({"removed": removed})).into_response())
}
