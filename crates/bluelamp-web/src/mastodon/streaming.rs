//! The streaming API for the officer's notifications, so apps show new replies
//! live: server-sent events (`GET /api/v1/streaming/user`) or a WebSocket
//! (`GET /api/v1/streaming?stream=user`, Mastodon's `{"stream","event","payload"}`
//! frames).
//!
//! Each stream looks for new notifications every two seconds, with the same
//! query an app's refresh makes. That works across server processes on both
//! storage backends without another notification channel; a few hundred
//! officers' phones cost a few hundred indexed queries a minute.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bluelamp_services::client_apps::reading as service;
use bluelamp_services::Staff;
use bluelamp_store::paging::IdWindow;
use serde_json::{json, Value};

use super::{entities, scoped, ClientError, ClientStaff};
use crate::AppState;

const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Default, serde::Deserialize)]
pub struct StreamQuery {
    #[serde(default)]
    stream: Option<String>,
}

pub async fn health() -> &'static str {
    "OK"
}

/// Notifications newer than `after`, oldest first, and the newest id seen.
async fn newer(
    state: &AppState,
    staff: &Staff,
    after: i64,
) -> Result<(Vec<Value>, i64), ClientError> {
    let window = IdWindow {
        min_id: Some(after),
        limit: 30,
        ..IdWindow::default()
    };
    let mut messages = service::notifications(&state.store, staff, &window).await?;
    messages.reverse();
    let newest = messages.last().map_or(after, |m| m.id);
    Ok((
        messages
            .iter()
            .map(|m| entities::notification(m, None))
            .collect(),
        newest,
    ))
}

async fn newest_id(state: &AppState, staff: &Staff) -> Result<i64, ClientError> {
    let window = IdWindow {
        limit: 1,
        ..IdWindow::default()
    };
    Ok(service::notifications(&state.store, staff, &window)
        .await?
        .first()
        .map_or(0, |m| m.id))
}

pub async fn stream(
    State(state): State<AppState>,
    mut parts: Parts,
    Query(query): Query<StreamQuery>,
) -> Response {
    let ClientStaff(staff) = match ClientStaff::from_request_parts(&mut parts, &state).await {
        Ok(staff) => staff,
        Err(error) => return error.into_response(),
    };
    let staff = match scoped(&staff, "read:notifications") {
        Ok(staff) => staff,
        Err(error) => return error.into_response(),
    };
    let path = parts.uri.path().trim_end_matches('/');
    let stream = query
        .stream
        .as_deref()
        .unwrap_or(if path.ends_with("/streaming") {
            ""
        } else {
            "user"
        });
    let websocket = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !websocket && !matches!(stream, "user" | "user:notification") {
        return ClientError::new(StatusCode::BAD_REQUEST, "Unknown stream type").into_response();
    }
    let start = match newest_id(&state, &staff).await {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    if websocket {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => upgrade
                .on_upgrade(move |socket| websocket_loop(socket, state, staff, start))
                .into_response(),
            Err(rejection) => rejection.into_response(),
        };
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(16);
    tokio::spawn(async move {
        let mut after = start;
        loop {
            tokio::time::sleep(POLL).await;
            let Ok((items, newest)) = newer(&state, &staff, after).await else {
                return;
            };
            after = newest;
            for item in items {
                let event = Event::default()
                    .event("notification")
                    .data(item.to_string());
                if tx.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            if tx.is_closed() {
                return;
            }
        }
    });
    Sse::new(tokio_stream::wrappers::ReceiverStream::new(rx))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// Mastodon's WebSocket protocol: frames of `{"stream": [...], "event",
/// "payload"}` where the payload is the JSON text of the entity. A client may
/// also (re)subscribe with `{"type": "subscribe", "stream": "user"}`.
async fn websocket_loop(mut socket: WebSocket, state: AppState, staff: Staff, start: i64) {
    let mut after = start;
    let mut ticker = tokio::time::interval(POLL);
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                match incoming {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(Message::Text(text))) => {
                        let wanted: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                        let stream = wanted["stream"].as_str().unwrap_or_default();
                        if wanted["type"] == "subscribe" && !matches!(stream, "user" | "user:notification") {
                            let refusal = json!({"error": "Unknown stream type", "status": 400});
                            if socket.send(Message::Text(refusal.to_string().into())).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(Ok(_)) => {}
                }
            }
            _ = ticker.tick() => {
                let Ok((items, newest)) = newer(&state, &staff, after).await else { return };
                after = newest;
                for item in items {
                    let frame = json!({"stream": ["user"], "event": "notification", "payload": item.to_string()});
                    if socket.send(Message::Text(frame.to_string().into())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
