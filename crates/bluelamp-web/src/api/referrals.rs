//! `/api/v1/partners` and `/api/v1/referrals`: partner agencies and safeguarding
//! referrals. Partners see only their own referrals.

use axum::extract::{Path, State};
use bluelamp_services::referrals::{self, NewReferralInput};
use serde::Deserialize;
use serde_json::json;

use super::{created, ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgency {
    name: String,
    contact: String,
}

pub async fn agencies(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(referrals::agencies(&state.store, &staff).await?)
}

pub async fn add_agency(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewAgency>,
) -> ApiResult {
    let id = referrals::add_agency(&state.store, &staff, &input.name, &input.contact).await?;
    created(json!({"id": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    username: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<NewMember>,
) -> ApiResult {
    referrals::add_member(&state.store, &staff, id, &input.username).await?;
    ok(json!({"agency": id, "member": input.username}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    message_id: i64,
    agency_id: i64,
    shared: String,
    lawful_basis: String,
    consent: String,
    reasoning: String,
}

pub async fn create(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewReferral>,
) -> ApiResult {
    let id = referrals::create(
        &state.store,
        &staff,
        &NewReferralInput {
            message_id: input.message_id,
            agency_id: input.agency_id,
            shared: &input.shared,
            lawful_basis: &input.lawful_basis,
            consent: &input.consent,
            reasoning: &input.reasoning,
        },
    )
    .await?;
    created(json!({"id": id}))
}

pub async fn list(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(referrals::list(&state.store, &staff).await?)
}

pub async fn get(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let (referral, updates) = referrals::get(&state.store, &staff, id).await?;
    ok(json!({"referral": referral, "updates": updates}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    status: String,
    #[serde(default)]
    note: String,
}

pub async fn update(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<UpdateInput>,
) -> ApiResult {
    referrals::update(&state.store, &staff, id, &input.status, &input.note).await?;
    ok(json!({"referral": id, "status": input.status}))
}
