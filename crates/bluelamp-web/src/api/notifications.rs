//! `/api/v1/staff-notifications`: the caller's notifications, and marking them read.

use axum::extract::State;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;
use bluelamp_services::staff_notifications;

pub async fn list(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    let items = staff_notifications::list(&state.store, &staff).await?;
    let unread = items.iter().filter(|n| n.read_at.is_none()).count();
    ok(json!({"unread": unread, "items": items}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// One notification; absent: all of them.
    #[serde(default)]
    id: Option<i64>,
}

pub async fn mark_read(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<MarkRead>,
) -> ApiResult {
    let changed = staff_notifications::mark_read(&state.store, &staff, input.id).await?;
    ok(json!({"changed": changed}))
}
