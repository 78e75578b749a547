//! `/api/v1/analytics/…` and `/api/v1/campaigns`: the same figures the staff
//! dashboards draw, as JSON, read from the roll-ups.

use axum::extract::{Path, Query, State};
use bluelamp_domain::UserId;
use bluelamp_services::analytics::campaigns::{self, NewCampaignInput};
use bluelamp_services::analytics::dashboards;
use serde::Deserialize;

use super::{created, ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

/// A period of local days; blank: the last 30.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

async fn period(
    state: &AppState,
    staff: &bluelamp_services::Staff,
    q: &PeriodQuery,
) -> Result<bluelamp_services::analytics::Period, crate::error::ApiError> {
    Ok(dashboards::period_for(&state.store, staff, q.from.as_deref(), q.to.as_deref()).await?)
}

pub async fn audience(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let p = period(&state, &staff, &q).await?;
    ok(dashboards::audience(&state.store, &staff, p).await?)
}

pub async fn national(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let p = period(&state, &staff, &q).await?;
    ok(dashboards::national(&state.store, &staff, p).await?)
}

pub async fn responses(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let p = period(&state, &staff, &q).await?;
    ok(dashboards::responses(&state.store, &staff, p).await?)
}

pub async fn amplifiers(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(account): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let p = period(&state, &staff, &q).await?;
    ok(dashboards::amplification(&state.store, &staff, account, p).await?)
}

pub async fn post_amplifiers(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(post): Path<i64>,
) -> ApiResult {
    ok(dashboards::post_amplification(&state.store, &staff, post).await?)
}

pub async fn style(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(user): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult {
    let p = period(&state, &staff, &q).await?;
    ok(dashboards::style(&state.store, &staff, UserId(user), p).await?)
}

pub async fn list_campaigns(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(campaigns::list(&state.store, &staff).await?)
}

pub async fn create_campaign(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewCampaignInput>,
) -> ApiResult {
    created(campaigns::create(&state.store, &staff, &input).await?)
}

pub async fn campaign(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(campaigns::view(&state.store, &staff, id).await?)
}

pub async fn join_campaign(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(campaigns::join(&state.store, &staff, id).await?)
}
