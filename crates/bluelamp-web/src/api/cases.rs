//! `/api/v1/cases` and `/api/v1/incidents`: cases with their status journal and
//! people, and live incidents with their structured updates.

use axum::extract::{Path, State};
use bluelamp_domain::AccountId;
use bluelamp_services::cases::{self, StatusChange};
use bluelamp_services::incidents::{self, NewUpdate, OpenIncident};
use serde::Deserialize;
use serde_json::json;

use super::{created, ok, submitted_response, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    reference: String,
    title: String,
    #[serde(default)]
    sexual_offence: bool,
}

pub async fn list(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(cases::list(&state.store, &staff).await?)
}

pub async fn create(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewCase>,
) -> ApiResult {
    let case = cases::create(
        &state.store,
        &staff,
        &input.reference,
        &input.title,
        input.sexual_offence,
    )
    .await?;
    created(case)
}

pub async fn get(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
) -> ApiResult {
    ok(cases::get(&state.store, &staff, &reference).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    name: String,
    role: String,
    #[serde(default)]
    age: Option<i64>,
}

pub async fn add_person(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
    ApiJson(input): ApiJson<NewPerson>,
) -> ApiResult {
    let id = cases::add_person(
        &state.store,
        &staff,
        &reference,
        &input.name,
        &input.role,
        input.age,
    )
    .await?;
    created(json!({"id": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStatus {
    status: String,
    #[serde(default)]
    court: Option<String>,
    #[serde(default)]
    court_date: Option<String>,
    #[serde(default)]
    reason: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
    ApiJson(input): ApiJson<NewStatus>,
) -> ApiResult {
    let case = cases::set_status(
        &state.store,
        &staff,
        &reference,
        &StatusChange {
            status: &input.status,
            court: input.court.as_deref(),
            court_date: input.court_date.as_deref(),
            reason: &input.reason,
        },
    )
    .await?;
    ok(case)
}

pub async fn hanging(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    let found = cases::hanging(&state.store, &staff).await?;
    ok(found
        .into_iter()
        .map(|(case, why)| json!({"reference": case.reference, "title": case.title, "status": case.status, "why": why}))
        .collect::<Vec<_>>())
}

/// The follow-ups the caller is asked to publish (cases they posted about that
/// have moved on), with the pre-filled text.
pub async fn follow_ups(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    let owed = cases::follow_ups_owed(&state.store, &staff).await?;
    ok(owed
        .into_iter()
        .map(|(case, text)| json!({"reference": case.reference, "title": case.title, "status": case.status, "follow_up": text}))
        .collect::<Vec<_>>())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    reference: String,
    title: String,
    area: String,
    #[serde(default)]
    area_geojson: Option<serde_json::Value>,
    severity: String,
    account_id: i64,
    #[serde(default)]
    districts: Vec<String>,
    /// Other accounts that share every update.
    #[serde(default)]
    also_speaking: Vec<i64>,
}

pub async fn incidents(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(incidents::list(&state.store, &staff).await?)
}

pub async fn open_incident(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewIncident>,
) -> ApiResult {
    let districts = super::district_list(&input.districts)?;
    let geojson = input
        .area_geojson
        .filter(|g| !g.is_null())
        .map(|g| g.to_string());
    let found = incidents::open(
        &state.store,
        &staff,
        &OpenIncident {
            reference: &input.reference,
            title: &input.title,
            area: &input.area,
            area_geojson: geojson.as_deref(),
            severity: &input.severity,
            account_id: AccountId(input.account_id),
            districts: &districts,
            also_speaking: &input
                .also_speaking
                .iter()
                .copied()
                .map(AccountId)
                .collect::<Vec<_>>(),
        },
    )
    .await?;
    created(found)
}

pub async fn incident(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
) -> ApiResult {
    let view = incidents::get(&state.store, &staff, &reference).await?;
    ok(json!({
        "incident": view.incident,
        "updates": view.updates.iter().map(|(post, facts)| json!({"post": post, "facts": facts})).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIncidentUpdate {
    #[serde(default)]
    text: String,
    #[serde(default)]
    facts: Option<serde_json::Value>,
    #[serde(default)]
    channels: Vec<String>,
}

pub async fn post_update(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
    ApiJson(input): ApiJson<NewIncidentUpdate>,
) -> ApiResult {
    let facts = input.facts.unwrap_or_else(|| json!([]));
    let submitted = incidents::post_update(
        &state.store,
        &state.governance,
        &staff,
        &reference,
        &NewUpdate {
            text: &input.text,
            facts: &facts,
            channels: &input.channels,
        },
    )
    .await?;
    state.public_changed();
    submitted_response(&submitted, json!({"incident": reference}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseIncident {
    summary: String,
    #[serde(default)]
    channels: Vec<String>,
}

pub async fn close_incident(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(reference): Path<String>,
    ApiJson(input): ApiJson<CloseIncident>,
) -> ApiResult {
    let submitted = incidents::close(
        &state.store,
        &state.governance,
        &staff,
        &reference,
        &input.summary,
        &input.channels,
    )
    .await?;
    state.public_changed();
    submitted_response(&submitted, json!({"incident": reference}))
}
