//! A live incident's public page (`/forces/{code}/incidents/{reference}`): its
//! published updates, newest first, a map of the area and the closures drawn from
//! the geometry alone (SVG: no tile server, no JavaScript), its own feeds, and a
//! live stream that tells an open page to refresh its updates without reloading.
//! The page is plain HTML that works on refresh; the stream is an addition.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bluelamp_services::inbox::sla::LocalClock;
use bluelamp_services::incidents;
use bytes::Bytes;
use maud::html;

use super::cache::Cached;
use super::feeds::{self, Collection, Format};
use super::{cached, feed_links, feed_nav, http_date, post_article, serve};
use crate::error::PageError;
use crate::layout;
use crate::AppState;

/// How often an open page's stream looks for a new update. Polling the store
/// (one indexed read) works the same across server processes and backends.
const LIVE_POLL: Duration = Duration::from_secs(2);

/// The live page shows this many of the newest updates (a phone on a mobile
/// network during an incident should not load hundreds); the rest are one link
/// away on the full record, and the map always draws every update's facts.
pub const LIVE_PAGE_UPDATES: usize = 40;

pub async fn page(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let key = format!("incident:{code}:{reference}");
    let document = cached(&state, key, || build_page(&state, &code, &reference, false)).await?;
    Ok(serve(&headers, &document))
}

/// Every update, oldest included: the incident's full public record.
pub async fn all_updates(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let key = format!("incident-all:{code}:{reference}");
    let document = cached(&state, key, || build_page(&state, &code, &reference, true)).await?;
    Ok(serve(&headers, &document))
}

async fn build_page(
    state: &AppState,
    code: &str,
    reference: &str,
    all: bool,
) -> Result<Cached, PageError> {
    let view = incidents::public(&state.store, code, reference).await?;
    let shown = if all {
        view.updates.len()
    } else {
        LIVE_PAGE_UPDATES
    };
    let earlier = view.updates.len().saturating_sub(shown);
    let listing = bluelamp_services::public::listing_of(
        &state.store,
        view.force.clone(),
        view.updates
            .iter()
            .take(shown)
            .map(|(p, _)| p.clone())
            .collect(),
    )
    .await?;
    let (force, found) = (&view.force, &view.incident);
    let clock = LocalClock::new(&force.time_zone, None);
    let path = format!("/forces/{}/incidents/{}", force.code, found.reference);
    let newest = view.updates.first().map_or(0, |(p, _)| p.id);
    let content = html! {
        p.incident-status {
            @if found.status == "closed" {
                strong { "Closed" } " · this page stays as the record"
                @if let Some(at) = &found.closed_at { " · closed " (clock.display(at)) }
            } @else {
                strong { "Live incident" } " · " (found.severity) " · last updated " (clock.display(&found.updated_at))
            }
        }
        p { "Area: " (found.area) }
        @if let Some(summary) = &found.summary { div.callout { p { strong { "Summary: " } (summary) } } }
        (super::incident_map::map(&view))
        (feed_nav(&path))
        section aria-labelledby="updates-heading" {
            h2 id="updates-heading" { "Updates" }
            div id="updates" data-live=(format!("{path}/live")) data-newest=(newest) aria-live="polite" {
                @for post in &listing.posts {
                    (post_article(force, post, listing.account_of(post), &listing.media_of(post.id), true))
                }
                @if listing.posts.is_empty() { p { "No updates yet." } }
            }
            @if earlier > 0 {
                p { a href=(format!("{path}/updates")) { "Earlier updates (" (earlier) " more): the full record" } }
            }
        }
        script src="/assets/incident.js" defer {}
    };
    let title = format!("{} ({})", found.title, found.reference);
    let html =
        layout::page_with_head(&title, None, feed_links(&path, &title), content).into_string();
    Ok(Cached::new(
        Bytes::from(html),
        "text/html; charset=utf-8",
        http_date(&found.updated_at),
    ))
}

pub async fn feed(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, PageError> {
    let key = format!("incident-feed:{code}:{reference}:{}", format.extension());
    let document = cached(&state, key, || async {
        let view = incidents::public(&state.store, &code, &reference).await?;
        let listing = bluelamp_services::public::listing_of(
            &state.store,
            view.force.clone(),
            view.updates.iter().map(|(p, _)| p.clone()).collect(),
        )
        .await?;
        let path = format!("incidents/{}", view.incident.reference);
        let subject = feeds::FeedSubject {
            force: &listing.force,
            account: None,
            base: &state.config.public_base_url,
            collection: Some(Collection {
                path: &path,
                title: &view.incident.title,
            }),
        };
        let body = feeds::render(format, &subject, &listing.posts, &listing.accounts);
        Ok(Cached::new(
            Bytes::from(body),
            format.content_type(),
            http_date(&view.incident.updated_at),
        ))
    })
    .await?;
    Ok(serve(&headers, &document))
}

/// Server-sent events: `update` (data: the newest update's id) whenever a new update
/// is published, from whichever server process published it.
pub async fn live(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let view = incidents::public(&state.store, &code, &reference).await?;
    let (force, reference) = (view.force.id, view.incident.reference.clone());
    let mut last = view.updates.first().map(|(p, _)| p.id);
    let store = state.store.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(4);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(LIVE_POLL).await;
            if tx.is_closed() {
                return;
            }
            let Ok(newest) = incidents::newest_public_update(&store, force, &reference).await
            else {
                continue;
            };
            if newest != last {
                last = newest;
                let event = Event::default()
                    .event("update")
                    .data(newest.unwrap_or(0).to_string());
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
        }
    });
    Ok(Sse::new(tokio_stream::wrappers::ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}
