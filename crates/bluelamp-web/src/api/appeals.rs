//! `/api/v1/appeals`, `/api/v1/tips` and `/api/v1/evidence`: appeals, the tips the
//! public send, and their evidence with its custody log and bundle.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use bluelamp_domain::AccountId;
use bluelamp_media::LocalMediaStore;
use bluelamp_services::appeals::{self, NewAppealInput};
use bluelamp_services::posts::MediaRef;
use bluelamp_services::tips;
use serde::Deserialize;
use serde_json::json;

use super::{ok, submitted_response, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    reference: String,
    title: String,
    what_happened: String,
    #[serde(default)]
    happened_at: Option<String>,
    place: String,
    respond: Vec<String>,
    account_id: i64,
    #[serde(default)]
    case_reference: Option<String>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    media: Vec<MediaRef>,
    #[serde(default)]
    districts: Vec<String>,
}

pub async fn list(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(appeals::list(&state.store, &staff).await?)
}

pub async fn create(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewAppeal>,
) -> ApiResult {
    let districts = super::district_list(&input.districts)?;
    let (appeal, submitted) = appeals::create(
        &state.store,
        &state.governance,
        &staff,
        &NewAppealInput {
            reference: &input.reference,
            title: &input.title,
            what_happened: &input.what_happened,
            happened_at: input.happened_at.as_deref(),
            place: &input.place,
            respond: &input.respond,
            account_id: AccountId(input.account_id),
            case_reference: input.case_reference.as_deref(),
            channels: &input.channels,
            media: &input.media,
            districts: &districts,
        },
    )
    .await?;
    state.public_changed();
    submitted_response(&submitted, json!({"appeal": appeal}))
}

pub async fn get(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
) -> ApiResult {
    let view = appeals::get(&state.store, &staff, &reference).await?;
    ok(json!({"appeal": view.appeal, "post": view.post, "removals": view.removals}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStatus {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
    ApiJson(input): ApiJson<NewStatus>,
) -> ApiResult {
    let appeal = appeals::set_status(&state.store, &staff, &reference, &input.status).await?;
    state.public_changed();
    ok(appeal)
}

pub async fn remove_images(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
) -> ApiResult {
    let removals = appeals::remove_images(&state.store, &staff, &reference).await?;
    state.public_changed();
    ok(json!({"removals": removals}))
}

#[derive(Deserialize)]
pub struct TipFilter {
    #[serde(default)]
    status: Option<String>,
}

pub async fn tips(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(filter): Query<TipFilter>,
) -> ApiResult {
    ok(tips::list(&state.store, &staff, filter.status.as_deref()).await?)
}

pub async fn tip(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let view = tips::get(&state.store, &staff, id).await?;
    ok(json!({
        "tip": view.tip,
        "appeal": view.appeal_reference,
        "evidence": view.evidence.iter().map(|(item, custody)| json!({"item": item, "custody": custody})).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    status: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    case_reference: Option<String>,
}

pub async fn decide(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Decision>,
) -> ApiResult {
    tips::decide(
        &state.store,
        &staff,
        id,
        &input.status,
        input.reason.as_deref(),
        input.case_reference.as_deref(),
    )
    .await?;
    ok(json!({"id": id, "status": input.status}))
}

pub(crate) fn evidence_store(state: &AppState) -> LocalMediaStore {
    LocalMediaStore::new(state.config.evidence_dir())
}

pub async fn bundle(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let bundle = tips::bundle(&state.store, &evidence_store(&state), &staff, id).await?;
    Ok(crate::staff::tips::bundle_response(id, bundle))
}

pub async fn evidence(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let (item, path) = tips::download(&state.store, &evidence_store(&state), &staff, id).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        crate::error::WebError::from(bluelamp_services::ServiceError::Internal(e.to_string()))
    })?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, item.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    tips::safe_name(&item.filename)
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
