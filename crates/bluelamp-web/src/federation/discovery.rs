//! Read-only federation endpoints: WebFinger, NodeInfo, host-meta, actor
//! documents (content-negotiated with the HTML profile), collections and Notes.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_domain::PostStatus;
use bluelamp_federation::build::create_activity;
use bluelamp_federation::protocol::discovery::{
    host_meta as host_meta_xml, nodeinfo as nodeinfo_doc, nodeinfo_links, parse_webfinger_resource,
    webfinger as webfinger_doc, NodeStats, JRD_JSON, NODEINFO_2_1_CONTENT_TYPE, XRD_XML,
};
use bluelamp_federation::protocol::outbound::{ordered_collection, ordered_collection_page};
use bluelamp_federation::protocol::{wants_activity_json, ACTIVITY_JSON};
use bluelamp_store::federation as fed;
use bluelamp_store::{accounts, forces, posts, StoreError};
use serde::Deserialize;

use super::documents::{actor, actor_urls, note};
use super::{base_url, force_for_host, internal};
use crate::error::{ApiError, WebError};
use crate::AppState;

fn json_as(content_type: &'static str, value: &impl serde::Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        Err(error) => ApiError(internal(error)).into_response(),
    }
}

fn activity_json(value: &impl serde::Serialize) -> Response {
    let mut response = json_as(ACTIVITY_JSON, value);
    // The same URL answers HTML or JSON: caches must keep them apart.
    response
        .headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    response
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(wants_activity_json)
}

async fn account_on_host(
    state: &AppState,
    headers: &HeaderMap,
    handle: &str,
) -> Result<(forces::Force, accounts::Account), WebError> {
    let force = force_for_host(state, headers).await?;
    let mut conn = state.store.read().await.map_err(internal)?;
    match accounts::by_handle(&mut conn, force.id, handle).await {
        Ok(account) => Ok((force, account)),
        Err(StoreError::NotFound(_)) => Err(WebError::not_found("actor")),
        Err(other) => Err(internal(other)),
    }
}

#[derive(Deserialize)]
pub struct WebFingerQuery {
    resource: Option<String>,
}

pub async fn webfinger(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WebFingerQuery>,
) -> Result<Response, ApiError> {
    let resource = query
        .resource
        .ok_or_else(|| WebError::bad_request("resource is required"))?;
    let force = force_for_host(&state, &headers).await?;
    let handle = parse_webfinger_resource(&resource, &force.domain)
        .ok_or_else(|| WebError::not_found("account"))?;
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    let urls = actor_urls(&base_url(&state, &force), &force, &account);
    let acct = format!("{}@{}", account.handle, force.domain);
    let mut response = json_as(JRD_JSON, &webfinger_doc(&acct, &urls.id, &urls.profile));
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    Ok(response)
}

pub async fn host_meta(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let force = force_for_host(&state, &headers).await?;
    Ok((
        [(header::CONTENT_TYPE, XRD_XML)],
        host_meta_xml(&base_url(&state, &force)),
    )
        .into_response())
}

pub async fn nodeinfo_index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let force = force_for_host(&state, &headers).await?;
    Ok(json_as(
        "application/json",
        &nodeinfo_links(&base_url(&state, &force)),
    ))
}

pub async fn nodeinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let force = force_for_host(&state, &headers).await?;
    let mut conn = state.store.read().await.map_err(internal)?;
    let list = accounts::list(&mut conn, force.id)
        .await
        .map_err(internal)?;
    let mut local_posts = 0u64;
    for account in &list {
        let n = posts::count_public(&mut conn, account.id)
            .await
            .map_err(internal)?;
        local_posts += u64::try_from(n).unwrap_or(0);
    }
    let stats = NodeStats {
        node_name: force.name.clone(),
        users_total: list.len() as u64,
        active_month: list.len() as u64,
        active_halfyear: list.len() as u64,
        local_posts,
    };
    let doc = nodeinfo_doc(&stats, env!("CARGO_PKG_VERSION"), None);
    Ok(json_as(NODEINFO_2_1_CONTENT_TYPE, &doc))
}

/// `/users/{handle}`: the actor for ActivityPub clients, the profile page for
/// everyone else.
pub async fn actor_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, ApiError> {
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    if !wants_json(&headers) {
        let profile = format!("/forces/{}/accounts/{}", force.code, account.handle);
        return Ok(Redirect::to(&profile).into_response());
    }
    Ok(activity_json(&actor(&state, &force, &account).await?))
}

pub async fn followers(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, ApiError> {
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    let mut conn = state.store.read().await.map_err(internal)?;
    let count = fed::follower_count(&mut conn, account.id)
        .await
        .map_err(internal)?;
    let urls = actor_urls(&base_url(&state, &force), &force, &account);
    // The count only: who follows a police account is not published.
    Ok(activity_json(&ordered_collection(
        &urls.followers,
        u64::try_from(count).unwrap_or(0),
        None,
    )))
}

pub async fn following(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, ApiError> {
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    let urls = actor_urls(&base_url(&state, &force), &force, &account);
    Ok(activity_json(&ordered_collection(&urls.following, 0, None)))
}

/// How many activities one outbox page holds.
const OUTBOX_PAGE: i64 = 20;

#[derive(Deserialize)]
pub struct OutboxQuery {
    page: Option<bool>,
    before: Option<i64>,
}

/// The outbox: the collection (count and first page) and, with `?page=true`,
/// pages of the account's public posts as `Create` activities, newest first,
/// so a server that meets the account shows its recent posts.
pub async fn outbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
    Query(query): Query<OutboxQuery>,
) -> Result<Response, ApiError> {
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    let base = base_url(&state, &force);
    let urls = actor_urls(&base, &force, &account);
    let mut conn = state.store.read().await.map_err(internal)?;
    if query.page != Some(true) {
        let count = posts::count_public(&mut conn, account.id)
            .await
            .map_err(internal)?;
        let first = format!("{}?page=true", urls.outbox);
        return Ok(activity_json(&ordered_collection(
            &urls.outbox,
            u64::try_from(count).unwrap_or(0),
            Some(&first),
        )));
    }
    let page = posts::public_page(
        &mut conn,
        force.id,
        Some(account.id),
        query.before,
        OUTBOX_PAGE,
    )
    .await
    .map_err(internal)?;
    let mut items = Vec::with_capacity(page.len());
    for post in page.iter().filter(|p| p.status == PostStatus::Published) {
        let document = note(&mut conn, &base, &force, &account, post).await?;
        items.push(create_activity(&urls, &post.id.to_string(), document));
    }
    let id = match query.before {
        Some(before) => format!("{}?page=true&before={before}", urls.outbox),
        None => format!("{}?page=true", urls.outbox),
    };
    let next = (page.len() as i64 == OUTBOX_PAGE)
        .then(|| {
            page.last()
                .map(|p| format!("{}?page=true&before={}", urls.outbox, p.id))
        })
        .flatten();
    Ok(activity_json(&ordered_collection_page(
        &id,
        &urls.outbox,
        items,
        next.as_deref(),
        None,
    )))
}

/// `/users/{handle}/posts/{id}`: the Note, or the public post page.
pub async fn note_document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let (force, account) = account_on_host(&state, &headers, &handle).await?;
    let mut conn = state.store.read().await.map_err(internal)?;
    let post = match posts::get(&mut conn, id).await {
        Ok(post) if post.account_id == account.id => post,
        Ok(_) | Err(StoreError::NotFound(_)) => return Err(WebError::not_found("post").into()),
        Err(other) => return Err(internal(other).into()),
    };
    match post.status {
        PostStatus::Published => {}
        PostStatus::Deleted => {
            return Ok((StatusCode::GONE, "This post was deleted.").into_response());
        }
        _ => return Err(WebError::not_found("post").into()),
    }
    if !wants_json(&headers) {
        return Ok(
            Redirect::to(&format!("/forces/{}/posts/{}", force.code, post.id)).into_response(),
        );
    }
    let note = note(
        &mut conn,
        &base_url(&state, &force),
        &force,
        &account,
        &post,
    )
    .await?;
    Ok(activity_json(&note))
}
