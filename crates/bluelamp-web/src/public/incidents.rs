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
use bluelamp_domain::incident::{self, Fact, Point};
use bluelamp_services::inbox::sla::LocalClock;
use bluelamp_services::incidents::{self, IncidentView};
use bytes::Bytes;
use maud::{html, Markup};

use super::cache::Cached;
use super::feeds::{self, Collection, Format};
use super::{cached, feed_links, feed_nav, http_date, post_article, serve};
use crate::error::PageError;
use crate::layout;
use crate::AppState;

/// How often an open page's stream looks for a new update. Polling the store
/// (one indexed read) works the same across server processes and backends.
const LIVE_POLL: Duration = Duration::from_secs(2);

pub async fn page(
    State(state): State<AppState>,
    Path((code, reference)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let key = format!("incident:{code}:{reference}");
    let document = cached(&state, key, || build_page(&state, &code, &reference)).await?;
    Ok(serve(&headers, &document))
}

async fn build_page(state: &AppState, code: &str, reference: &str) -> Result<Cached, PageError> {
    let view = incidents::public(&state.store, code, reference).await?;
    let listing = bluelamp_services::public::listing_of(
        &state.store,
        view.force.clone(),
        view.updates.iter().map(|(p, _)| p.clone()).collect(),
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
        (map(&view))
        (feed_nav(&path))
        section aria-labelledby="updates-heading" {
            h2 id="updates-heading" { "Updates" }
            div id="updates" data-live=(format!("{path}/live")) data-newest=(newest) aria-live="polite" {
                @for post in &listing.posts {
                    (post_article(force, post, listing.account_of(post), &listing.media_of(post.id), true))
                }
                @if listing.posts.is_empty() { p { "No updates yet." } }
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

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const PAD: f64 = 24.0;

/// The area and the closures and diversions of the updates shown, drawn to fit.
fn map(view: &IncidentView) -> Markup {
    let area: Vec<Vec<Point>> = view
        .incident
        .area_geojson
        .as_deref()
        .and_then(|g| serde_json::from_str(g).ok())
        .and_then(|g| incident::polygon(&g).ok())
        .unwrap_or_default();
    let facts = view.facts();
    let lines: Vec<(&Fact, Vec<Point>)> = facts
        .iter()
        .filter_map(|f| Some((f, incident::line_string(f.line()?).ok()?)))
        .collect();
    let all: Vec<Point> = area
        .iter()
        .flatten()
        .chain(lines.iter().flat_map(|(_, l)| l))
        .copied()
        .collect();
    if all.is_empty() {
        return html! {};
    }
    let project = projection(&all);
    let path_of = |points: &[Point]| -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (x, y) = project(*p);
                format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let closures = lines
        .iter()
        .filter(|(f, _)| matches!(f, Fact::RoadClosure { .. }))
        .count();
    let diversions = lines.len() - closures;
    let description = format!(
        "Map of the {} area{}{}.",
        view.incident.area,
        if closures > 0 {
            format!(", with {closures} road closure(s) in red")
        } else {
            String::new()
        },
        if diversions > 0 {
            format!(" and {diversions} diversion(s) in blue")
        } else {
            String::new()
        },
    );
    html! {
        figure.incident-map {
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby="map-title map-desc" width="100%" {
                title id="map-title" { "Incident map" }
                desc id="map-desc" { (description) }
                rect x="0" y="0" width=(WIDTH) height=(HEIGHT) fill="#f4f6f8" {}
                @for ring in &area {
                    path d=(format!("{} Z", path_of(ring))) fill="#fde7c8" stroke="#b35c00" stroke-width="2" {}
                }
                @for (fact, line) in &lines {
                    @if matches!(fact, Fact::RoadClosure { .. }) {
                        path d=(path_of(line)) fill="none" stroke="#c00000" stroke-width="6" stroke-linecap="round" {}
                    } @else {
                        path d=(path_of(line)) fill="none" stroke="#0050a0" stroke-width="4" stroke-dasharray="10 6" {}
                    }
                }
            }
            figcaption { (description) " Drawn from the incident's own geometry; it is not a street map." }
        }
    }
}

/// Longitude and latitude to the map's pixels: an equirectangular projection with
/// the longitude scaled by the cosine of the middle latitude (right for a town).
fn projection(points: &[Point]) -> impl Fn(Point) -> (f64, f64) {
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(lon, lat) in points {
        min_lon = min_lon.min(lon);
        max_lon = max_lon.max(lon);
        min_lat = min_lat.min(lat);
        max_lat = max_lat.max(lat);
    }
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    let span_x = ((max_lon - min_lon) * k).max(1e-6);
    let span_y = (max_lat - min_lat).max(1e-6);
    let scale = ((WIDTH - 2.0 * PAD) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
    // Centre the drawing in the frame.
    let off_x = (WIDTH - span_x * scale) / 2.0;
    let off_y = (HEIGHT - span_y * scale) / 2.0;
    move |(lon, lat)| {
        (
            off_x + (lon - min_lon) * k * scale,
            off_y + (max_lat - lat) * scale,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawing_fits_the_frame() {
        let points = [(-3.60, 53.30), (-3.50, 53.27)];
        let project = projection(&points);
        for p in points {
            let (x, y) = project(p);
            assert!((PAD - 0.01..=WIDTH - PAD + 0.01).contains(&x), "x {x}");
            assert!((0.0..=HEIGHT).contains(&y), "y {y}");
        }
        // North is up: the northern point is higher on the map.
        assert!(project(points[0]).1 < project(points[1]).1);
    }
}
