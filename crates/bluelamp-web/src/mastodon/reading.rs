//! Reading from an app: the officer's account, timelines and notifications,
//! paged as Mastodon pages (`max_id`, `since_id`, `min_id`, `limit`, `Link`).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use bluelamp_domain::AccountId;
use bluelamp_services::client_apps::reading::{self as service, Timeline};
use bluelamp_services::client_apps::StatusView;
use bluelamp_store::paging::IdWindow;
use serde_json::Value;

use super::{entities, path_id, scoped, ClientResult, ClientStaff};
use crate::AppState;

/// Paging as clients send it; ids that are not numbers are ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Paging {
    #[serde(default)]
    max_id: Option<String>,
    #[serde(default)]
    since_id: Option<String>,
    #[serde(default)]
    min_id: Option<String>,
    #[serde(default)]
    limit: Option<String>,
}

impl Paging {
    /// The id window asked for; a value that is not a number is refused (an
    /// empty one means none).
    pub fn window(&self, default_limit: i64, most: i64) -> Result<IdWindow, super::ClientError> {
        fn number(name: &str, value: &Option<String>) -> Result<Option<i64>, super::ClientError> {
            match value.as_deref() {
                None | Some("") => Ok(None),
                Some(text) => text.parse::<i64>().map(Some).map_err(|_| {
                    super::ClientError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        format!("{name} must be a number"),
                    )
                }),
            }
        }
        Ok(IdWindow {
            max_id: number("max_id", &self.max_id)?,
            since_id: number("since_id", &self.since_id)?,
            min_id: number("min_id", &self.min_id)?,
            limit: number("limit", &self.limit)?
                .unwrap_or(default_limit)
                .clamp(1, most),
        })
    }
}

/// The `Link` header of a page: older items (`next`) and newer ones (`prev`).
pub fn link_header(state: &AppState, path: &str, ids: &[i64], limit: i64) -> Option<HeaderValue> {
    let (newest, oldest) = (ids.first()?, ids.last()?);
    let base = entities::base(state);
    HeaderValue::from_str(&format!(
        "<{base}{path}?limit={limit}&max_id={oldest}>; rel=\"next\", <{base}{path}?limit={limit}&min_id={newest}>; rel=\"prev\""
    ))
    .ok()
}

/// Statuses in Mastodon's shape, each with its account's counts.
pub async fn render(
    state: &AppState,
    views: &[StatusView],
) -> Result<Vec<Value>, super::ClientError> {
    let authors = service::authors(&state.store, views).await?;
    Ok(views
        .iter()
        .filter_map(|view| {
            authors
                .get(&view.account.id)
                .map(|author| entities::status(state, view, author))
        })
        .collect())
}

async fn page(
    state: &AppState,
    staff: &ClientStaff,
    which: Timeline,
    paging: &Paging,
    path: &str,
) -> ClientResult {
    let staff = scoped(&staff.0, "read:statuses")?;
    let window = paging.window(20, 40)?;
    let views = service::timeline(&state.store, &staff, which, &window).await?;
    let ids: Vec<i64> = views.iter().map(|v| v.post.id).collect();
    let mut response = axum::Json(render(state, &views).await?).into_response();
    if let Some(link) = link_header(state, path, &ids, window.limit) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

pub async fn home(
    State(state): State<AppState>,
    staff: ClientStaff,
    Query(paging): Query<Paging>,
) -> ClientResult {
    page(
        &state,
        &staff,
        Timeline::Home,
        &paging,
        "/api/v1/timelines/home",
    )
    .await
}

pub async fn public(
    State(state): State<AppState>,
    staff: ClientStaff,
    Query(paging): Query<Paging>,
) -> ClientResult {
    page(
        &state,
        &staff,
        Timeline::Public,
        &paging,
        "/api/v1/timelines/public",
    )
    .await
}

pub async fn account_statuses(
    State(state): State<AppState>,
    staff: ClientStaff,
    Path(id): Path<String>,
    Query(paging): Query<Paging>,
) -> ClientResult {
    let id = path_id(&id)?;
    let path = format!("/api/v1/accounts/{id}/statuses");
    page(
        &state,
        &staff,
        Timeline::Account(AccountId(id)),
        &paging,
        &path,
    )
    .await
}

pub async fn verify_credentials(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
) -> ClientResult {
    let staff = scoped(&staff, "read:accounts")?;
    let view = service::credentials(&state.store, &staff).await?;
    super::ok(entities::account(&state, &view, true))
}

/// A Mastodon Account for the force's account `id` (used by the JSON API's
/// account route for tokens issued to apps).
pub async fn account_json(
    state: &AppState,
    staff: &bluelamp_services::Staff,
    id: AccountId,
) -> Result<Value, super::ClientError> {
    let staff = scoped(staff, "read:accounts")?;
    let view = service::account(&state.store, &staff, id).await?;
    Ok(entities::account(state, &view, false))
}

pub async fn notifications(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Query(paging): Query<Paging>,
) -> ClientResult {
    let staff = scoped(&staff, "read:notifications")?;
    let window = paging.window(15, 30)?;
    let messages = service::notifications(&state.store, &staff, &window).await?;
    let handle = match staff.app_account {
        Some(_) => Some(
            service::credentials(&state.store, &staff)
                .await?
                .account
                .handle,
        ),
        None => None,
    };
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let body: Vec<Value> = messages
        .iter()
        .map(|m| entities::notification(m, handle.as_deref()))
        .collect();
    let mut response = axum::Json(body).into_response();
    if let Some(link) = link_header(&state, "/api/v1/notifications", &ids, window.limit) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

pub async fn notification(
    State(state): State<AppState>,
    ClientStaff(staff): ClientStaff,
    Path(id): Path<String>,
) -> ClientResult {
    let staff = scoped(&staff, "read:notifications")?;
    let message = service::notification(&state.store, &staff, path_id(&id)?).await?;
    super::ok(entities::notification(&message, None))
}
