//! `/api/v1/inbound` (connectors deliver messages) and `/api/v1/inbox/…` (staff read
//! and handle them). Handlers extract, call one use case, render.

use axum::extract::{Path, Query, State};
use bluelamp_domain::{AccountId, UserId};
use bluelamp_services::inbox::{handling, ingest};
use bluelamp_store::inbox::Filter;
use serde::Deserialize;
use serde_json::json;

use super::{ok, ApiJson, ApiResult};
use crate::auth::ApiStaff;
use crate::AppState;

/// The largest `POST /api/v1/inbound` body: a full batch of long messages.
pub const MAX_INBOUND_BODY: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub messages: Vec<ingest::Inbound>,
}

/// A batch from a connector. 200 with one outcome per message, in order: created,
/// duplicate (already here: the same channel and external id) or invalid (with the
/// field); every created or duplicate message is committed before this answers.
pub async fn deliver(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<Delivery>,
) -> ApiResult {
    let outcomes = ingest::deliver(&state.store, &staff, &input.messages).await?;
    crate::staff::announce_urgent(&state, staff.force_id, &outcomes);
    let count = |s: &str| outcomes.iter().filter(|o| o.status == s).count();
    ok(json!({
        "created": count("created"),
        "duplicates": count("duplicate"),
        "invalid": count("invalid"),
        "results": outcomes,
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    category: Option<String>,
    priority: Option<String>,
    channel: Option<String>,
    status: Option<String>,
    assignee: Option<i64>,
    team: Option<String>,
    account: Option<i64>,
    /// `true`: only hidden messages (the review queue).
    hidden: Option<bool>,
    before: Option<i64>,
    limit: Option<i64>,
}

impl ListQuery {
    pub(crate) fn filter(self) -> Filter {
        let some = |v: Option<String>| v.filter(|s| !s.is_empty());
        Filter {
            category: some(self.category),
            priority: some(self.priority),
            channel: some(self.channel),
            status: some(self.status),
            assignee_id: self.assignee.map(UserId),
            team: some(self.team),
            account_id: self.account.map(AccountId),
            hidden: self.hidden,
            author_handle: None,
            limit: self.limit.unwrap_or(100),
            before: self.before,
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<ListQuery>,
) -> ApiResult {
    ok(handling::list(&state.store, &staff, &query.filter()).await?)
}

pub async fn get(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(handling::get(&state.store, &staff, id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    #[serde(default)]
    assignee: Option<i64>,
    #[serde(default)]
    team: Option<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Assign>,
) -> ApiResult {
    handling::assign(
        &state.store,
        &staff,
        id,
        input.assignee.map(UserId),
        input.team.as_deref(),
    )
    .await?;
    ok(json!({"assigned": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    status: String,
}

pub async fn status(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Status>,
) -> ApiResult {
    handling::set_status(&state.store, &staff, id, &input.status).await?;
    ok(json!({"status": input.status}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Note>,
) -> ApiResult {
    handling::note(&state.store, &staff, id, &input.text).await?;
    ok(json!({"noted": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    reason: String,
}

pub async fn hide(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Reason>,
) -> ApiResult {
    handling::hide(&state.store, &staff, id, &input.reason).await?;
    ok(json!({"hidden": id}))
}

pub async fn restore(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Reason>,
) -> ApiResult {
    handling::restore(&state.store, &staff, id, &input.reason).await?;
    ok(json!({"restored": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrule {
    labels: Vec<String>,
    #[serde(default)]
    urgent: bool,
}

pub async fn overrule(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Overrule>,
) -> ApiResult {
    handling::overrule(&state.store, &staff, id, &input.labels, input.urgent).await?;
    ok(json!({"overruled": id}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    team: String,
}

pub async fn hand_over(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<HandOver>,
) -> ApiResult {
    let moved = handling::hand_over(&state.store, &staff, &input.team).await?;
    ok(json!({"handed_over": moved, "team": input.team.trim()}))
}

pub async fn rumours(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(bluelamp_services::inbox::rumours::list(&state.store, &staff).await?)
}

pub async fn rumour(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(bluelamp_services::inbox::rumours::get(&state.store, &staff, id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    post_id: i64,
}

/// Answers every message of a rumour with one published post; returns the replies
/// for the connectors to send, one per message on its own channel.
pub async fn answer_rumour(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Answer>,
) -> ApiResult {
    ok(bluelamp_services::inbox::rumours::answer_all(
        &state.store,
        &state.governance,
        &staff,
        id,
        input.post_id,
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mute {
    reason: String,
    #[serde(default)]
    block: bool,
}

/// Mute (or block) the sender of a message.
pub async fn mute(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Mute>,
) -> ApiResult {
    ok(handling::mute(&state.store, &staff, id, input.block, &input.reason).await?)
}

pub async fn unmute(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(json!({"was_muted": handling::unmute(&state.store, &staff, id).await?}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redact {
    words: String,
    reason: String,
}

/// Irreversibly remove personal data from a message (force administrators).
pub async fn redact(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Redact>,
) -> ApiResult {
    let places = handling::redact(&state.store, &staff, id, &input.words, &input.reason).await?;
    ok(json!({"redacted": places}))
}

/// Export a structured incident record of the message (recorded on it).
pub async fn incident_record(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(handling::incident_record(&state.store, &staff, id, &state.config.public_base_url).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentReference {
    reference: String,
}

/// The command-and-control system's reference for the incident (the link back).
pub async fn incident_reference(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<IncidentReference>,
) -> ApiResult {
    handling::set_incident_reference(&state.store, &staff, id, &input.reference).await?;
    ok(json!({"reference": input.reference.trim()}))
}

/// Link the message to a case (a blank reference unlinks): replies to it are
/// checked in the case's light.
pub async fn link_case(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<IncidentReference>,
) -> ApiResult {
    handling::link_case(&state.store, &staff, id, &input.reference).await?;
    ok(json!({"case": Some(input.reference.trim()).filter(|r| !r.is_empty())}))
}
