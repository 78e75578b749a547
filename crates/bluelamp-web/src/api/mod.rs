//! The JSON API under `/api/v1`. Errors are `{"error": code, "detail": message}`;
//! bad JSON answers 400 naming the field; bodies over the limit answer 413.

pub mod analytics;
pub mod appeals;
pub mod cases;
pub mod connections;
pub(crate) mod extract;
pub mod forces;
pub mod inbox;
pub mod inbox_replies;
pub mod notifications;
pub mod referrals;
pub mod subscriptions;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bluelamp_domain::{AccountId, UserId};
use bluelamp_services as services;
use bluelamp_store::audit::AuditFilter;
use serde::Deserialize;
use serde_json::{json, Value};

pub use extract::ApiJson;

use crate::auth::ApiStaff;
use crate::error::{ApiError, WebError};
use crate::AppState;

type ApiResult = Result<Response, ApiError>;

fn ok(value: impl serde::Serialize) -> ApiResult {
    Ok(Json(value).into_response())
}

/// Postcode districts given as a JSON list: each item must be one district
/// (a blank or a list inside an item is refused), joined for the services.
fn district_list(items: &[String]) -> Result<String, ApiError> {
    for item in items {
        let parsed = bluelamp_domain::incident::parse_districts(item)
            .map_err(|e| ApiError::from(services::ServiceError::Invalid(e)))?;
        if parsed.len() != 1 {
            return Err(
                services::ServiceError::Invalid(bluelamp_domain::Invalid::new(
                    "districts",
                    format!("each item is one postcode district such as LL29, not \"{item}\""),
                ))
                .into(),
            );
        }
    }
    Ok(items.join(","))
}

fn created(value: impl serde::Serialize) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

pub async fn not_found() -> ApiError {
    ApiError(WebError::not_found("API endpoint"))
}

pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

pub async fn me(ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(json!({
        "username": staff.username,
        "display_name": staff.display_name,
        "role": staff.role,
        "force_id": staff.force_id,
        "scopes": staff.scopes,
    }))
}

pub async fn list_forces(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(services::forces::list_forces(&state.store, &staff).await?)
}

pub async fn add_force(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<services::forces::AddForce>,
) -> ApiResult {
    created(services::forces::add_force(&state.store, &staff, &input).await?)
}

pub async fn list_users(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(services::users::list_users(&state.store, &staff).await?)
}

pub async fn add_user(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<services::users::AddUser>,
) -> ApiResult {
    created(services::users::add_user(&state.store, &staff, &input).await?)
}

pub async fn disable_user(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(services::users::set_disabled(&state.store, &staff, UserId(id), true).await?)
}

pub async fn enable_user(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    ok(services::users::set_disabled(&state.store, &staff, UserId(id), false).await?)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainedInput {
    trained: bool,
}

pub async fn set_safeguarding_trained(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<TrainedInput>,
) -> ApiResult {
    ok(
        services::users::set_safeguarding_trained(&state.store, &staff, UserId(id), input.trained)
            .await?,
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyInput {
    on_duty: bool,
}

pub async fn set_duty(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<DutyInput>,
) -> ApiResult {
    ok(services::users::set_on_duty(&state.store, &staff, input.on_duty).await?)
}

pub async fn list_accounts(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    ok(services::accounts::list_accounts(&state.store, &staff).await?)
}

pub async fn add_account(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<services::accounts::AddAccount>,
) -> ApiResult {
    created(services::accounts::add_account(&state.store, &staff, &input).await?)
}

pub async fn get_account(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let (account, members) =
        services::accounts::get_account(&state.store, &staff, AccountId(id)).await?;
    // The same path is Mastodon's "account by id" for client apps: the answer
    // carries Mastodon's Account fields too, beside Bluelamp's own two.
    let mut body = crate::mastodon::reading::account_json(&state, &staff, AccountId(id))
        .await
        .unwrap_or_else(|_| json!({}));
    body["account"] = json!(account);
    body["members"] = json!(members);
    ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwayReply {
    text: String,
}

/// Set (or, with empty text, remove) the account's out-of-hours auto-reply.
pub async fn set_away_reply(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<AwayReply>,
) -> ApiResult {
    let saved =
        services::accounts::set_away_reply(&state.store, &staff, AccountId(id), &input.text)
            .await?;
    ok(json!({"away_reply": saved}))
}

/// An account's approval steps (empty: any member who may approve).
pub async fn approval_steps(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let steps = services::posts::approval_steps(&state.store, &staff, AccountId(id)).await?;
    ok(json!({"steps": steps}))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSteps {
    steps: Vec<services::posts::StepInput>,
}

/// Replace an account's approval steps.
pub async fn set_approval_steps(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ApprovalSteps>,
) -> ApiResult {
    let steps =
        services::posts::set_approval_steps(&state.store, &staff, AccountId(id), &input.steps)
            .await?;
    ok(json!({"steps": steps}))
}

pub async fn set_member(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<services::accounts::SetMember>,
) -> ApiResult {
    ok(services::accounts::set_member(&state.store, &staff, AccountId(id), &input).await?)
}

/// Compose a post. Accepted posts answer 201 with the post and the check's report;
/// a post the check refuses is kept but answers 422 with the findings.
pub async fn create_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<services::posts::Compose>,
) -> ApiResult {
    let submitted = services::posts::compose(
        &state.store,
        &state.governance,
        &staff,
        AccountId(id),
        &input,
    )
    .await?;
    state.public_changed();
    submitted_response(&submitted, json!({}))
}

/// A submitted post as the API answers it: 201, or 422 with the check's reasons
/// when it was refused (the post is kept, never shown). `extra` keys are added
/// (an incident update's or an appeal's own fields).
fn submitted_response(
    submitted: &services::posts::Submitted,
    extra: serde_json::Value,
) -> ApiResult {
    let status = if submitted.post.status == bluelamp_domain::PostStatus::Refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::CREATED
    };
    let mut body = serde_json::to_value(submitted).unwrap_or_default();
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        body["error"] = json!("refused");
        body["detail"] = json!(refusal_detail(&submitted.report));
    }
    Ok((status, Json(body)).into_response())
}

fn refusal_detail(report: &bluelamp_governance::Report) -> String {
    let reasons: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == bluelamp_governance::Severity::Refuse)
        .map(|f| f.message.clone())
        .collect();
    format!(
        "The governance check refused this post; it was kept but not published. {}",
        reasons.join(" ")
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueQuery {
    pub status: Option<String>,
}

pub async fn list_posts(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<QueueQuery>,
) -> ApiResult {
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(bluelamp_domain::PostStatus::parse(text).ok_or_else(|| {
            ApiError(WebError::bad_request(
                "status must be one of pending, scheduled, published, refused, rejected, deleted",
            ))
        })?),
    };
    match status {
        Some(status) => ok(services::posts::queue(&state.store, &staff, status).await?),
        None => ok(services::posts::mine(&state.store, &staff).await?),
    }
}

pub async fn get_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    let detail = services::posts::detail(&state.store, &staff, id).await?;
    ok(detail)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    pub version: i64,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

pub async fn approve_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Approve>,
) -> ApiResult {
    let post = services::posts::approve(
        &state.store,
        &state.governance,
        &staff,
        id,
        input.version,
        input.text.as_deref(),
        input.reason.as_deref(),
    )
    .await?;
    state.public_changed();
    ok(post)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub reason: String,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// A published post the check should have stopped: recorded as feedback.
pub async fn report_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Report>,
) -> ApiResult {
    let feedback = services::governance_feedback::report(
        &state.store,
        &staff,
        id,
        &input.reason,
        &input.categories,
    )
    .await?;
    created(json!({ "feedback": feedback }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    pub version: i64,
    pub reason: String,
}

/// Write a refused or rejected post again (its author): checked afresh, it goes
/// where a new post would.
pub async fn resubmit_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Edit>,
) -> ApiResult {
    let submitted = services::posts::resubmit(
        &state.store,
        &state.governance,
        &staff,
        id,
        input.version,
        &input.text,
    )
    .await?;
    state.public_changed();
    submitted_response(&submitted, json!({}))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    version: i64,
    reason: String,
    #[serde(default)]
    waiver: Option<String>,
}

/// Send a refused post to a supervisor with the author's reason.
pub async fn escalate_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Escalate>,
) -> ApiResult {
    let post = services::posts::escalate(
        &state.store,
        &staff,
        id,
        input.version,
        &input.reason,
        input.waiver.as_deref(),
    )
    .await?;
    ok(post)
}

pub async fn reject_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Reject>,
) -> ApiResult {
    let post =
        services::posts::reject(&state.store, &staff, id, input.version, &input.reason).await?;
    state.public_changed();
    ok(post)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    pub version: i64,
    pub text: String,
}

pub async fn edit_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Edit>,
) -> ApiResult {
    let post = services::posts::edit(
        &state.store,
        &state.governance,
        &staff,
        id,
        input.version,
        &input.text,
    )
    .await?;
    state.public_changed();
    if post.proposed_edit.is_some() {
        // Accepted, not applied: the edit waits for a supervisor's approval.
        return Ok((StatusCode::ACCEPTED, Json(post)).into_response());
    }
    ok(post)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delete {
    pub version: i64,
    #[serde(default)]
    pub reason: String,
}

pub async fn delete_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<Delete>,
) -> ApiResult {
    let post =
        services::posts::delete(&state.store, &staff, id, input.version, &input.reason).await?;
    state.public_changed();
    ok(post)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The force account that shares (boosts) the post.
    pub account_id: i64,
}

/// Share a published post of another account of the force from `account_id`:
/// 201 when shared now, 200 when it already was (nothing new is sent).
pub async fn share_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ShareRequest>,
) -> ApiResult {
    let shared =
        services::federation::share(&state.store, &staff, AccountId(input.account_id), id).await?;
    let status = if shared.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(shared)).into_response())
}

/// Stop sharing: `{"unshared": true}`, or `false` when it was not shared.
pub async fn unshare_post(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<ShareRequest>,
) -> ApiResult {
    let unshared =
        services::federation::unshare(&state.store, &staff, AccountId(input.account_id), id)
            .await?;
    ok(json!({ "unshared": unshared }))
}

pub async fn pause_scheduling(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> ApiResult {
    services::posts::set_scheduling_paused(&state.store, &staff, true).await?;
    ok(json!({"paused": true}))
}

pub async fn resume_scheduling(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
) -> ApiResult {
    services::posts::set_scheduling_paused(&state.store, &staff, false).await?;
    ok(json!({"paused": false}))
}

pub async fn policy_status(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    let (policy, acknowledged_at) = services::policy::status(&state.store, &staff).await?;
    ok(json!({"current": policy, "acknowledged_at": acknowledged_at}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishPolicy {
    pub title: String,
    pub body: String,
}

pub async fn publish_policy(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<PublishPolicy>,
) -> ApiResult {
    created(services::policy::publish(&state.store, &staff, &input.title, &input.body).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledge {
    pub version: i64,
}

pub async fn acknowledge_policy(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<Acknowledge>,
) -> ApiResult {
    let policy = services::policy::acknowledge(&state.store, &staff, input.version).await?;
    ok(json!({"acknowledged_version": policy.version}))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub limit: Option<i64>,
    pub before_id: Option<i64>,
}

impl AuditQuery {
    pub fn into_filter(self) -> AuditFilter {
        let nonempty = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        AuditFilter {
            chain: None,
            from: nonempty(self.from),
            to: nonempty(self.to),
            action_prefix: nonempty(self.action),
            actor_label: nonempty(self.actor),
            limit: self.limit.unwrap_or(100),
            before_id: self.before_id,
        }
    }
}

pub async fn audit(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Query(query): Query<AuditQuery>,
) -> ApiResult {
    ok(services::audit::view(&state.store, &staff, query.into_filter()).await?)
}

pub async fn list_tokens(State(state): State<AppState>, ApiStaff(staff): ApiStaff) -> ApiResult {
    let user = staff.user_id.ok_or(ApiError(WebError::not_found("user")))?;
    let mut conn = state
        .store
        .read()
        .await
        .map_err(services::ServiceError::from)?;
    ok(bluelamp_store::tokens::list_for_user(&mut conn, user)
        .await
        .map_err(services::ServiceError::from)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    ApiJson(input): ApiJson<NewToken>,
) -> ApiResult {
    let (secret, token) =
        services::auth::create_api_token(&state.store, &staff, &input.name, &input.scopes).await?;
    let mut value: Value = serde_json::to_value(token).unwrap_or_default();
    value["token"] = Value::String(secret);
    created(value)
}

pub async fn revoke_token(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(id): Path<i64>,
) -> ApiResult {
    services::auth::revoke_api_token(&state.store, &staff, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The governance check on a draft: `{"text", "context", "media", "channels"}` in,
/// `{"decision", "findings"}` out. Text that is not UTF-8 is refused with 400.
///
/// A staff caller's draft is checked with their force's rules and pre-election
/// setting (the same engine compose uses).
pub async fn check(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    body: axum::body::Bytes,
) -> ApiResult {
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError(WebError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the request body is not valid UTF-8",
        ))
    })?;
    let draft = bluelamp_governance::parse_request(text).map_err(|error| {
        ApiError(WebError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            error.to_string(),
        ))
    })?;
    // How long the text is on each chosen network, for the compose box's counters.
    let lengths: Vec<serde_json::Value> = draft
        .channels
        .iter()
        .filter_map(|&channel| {
            let (length, limit) = bluelamp_governance::length::measure(&draft.text, channel)?;
            Some(json!({"channel": channel.as_str(), "length": length, "limit": limit}))
        })
        .collect();
    let report =
        services::force_rules::check_draft(&state.store, &state.governance, &staff, draft).await?;
    let mut body = serde_json::to_value(&report).unwrap_or_default();
    body["lengths"] = json!(lengths);
    ok(body)
}
