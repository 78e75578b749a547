//! `POST /users/{handle}/inbox` and the shared `POST /inbox`.
//!
//! In order: body size (413, by the route's body limit), the force by `Host`
//! and the local actor (404), [`parse_activity`] (400 with the reason), the
//! `Signature` (401 when missing), the signer's key from the cache or fetched
//! (and fetched again once when the cached key fails, for key rotation), the
//! signature itself (401), the key's owner against the activity's actor (401),
//! then `services::federation::receive`, which processes each activity id once.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_federation::fetch::{fetch_actor, fetch_key};
use bluelamp_federation::signatures::{
    check_key_owner, key_owner, signature_of, verify_parsed, SignatureError, SignatureHeader,
    MAX_CLOCK_SKEW,
};
use bluelamp_federation::{parse_activity, PublicKey};
use bluelamp_services::federation::{receive, Received, RemoteActorInfo};
use bluelamp_services::ServiceError;
use bluelamp_store::{accounts, StoreError};
use bytes::Bytes;

use super::{force_for_host, lock};
use crate::AppState;

/// How long a fetched key is trusted before it is fetched again.
const KEY_TTL: Duration = Duration::from_secs(24 * 3600);

/// A remote key and what its actor document said about the actor.
pub struct CachedKey {
    pub owner: String,
    pub key: PublicKey,
    pub actor: RemoteActorInfo,
    fetched: Instant,
}

fn answer(status: StatusCode, reason: impl Into<String>) -> Response {
    let reason = reason.into();
    if status.is_client_error() {
        tracing::debug!(%status, "inbox refused an activity: {reason}");
    }
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        reason,
    )
        .into_response()
}

pub async fn user_inbox(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_inbox(&state, Some(&handle), &uri, &headers, &body).await
}

pub async fn shared_inbox(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_inbox(&state, None, &uri, &headers, &body).await
}

async fn handle_inbox(
    state: &AppState,
    handle: Option<&str>,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let Ok(force) = force_for_host(state, headers).await else {
        return answer(StatusCode::NOT_FOUND, "no force is served at this host");
    };
    let addressed_to = match handle {
        None => None,
        Some(handle) => {
            let found = match state.store.read().await {
                Ok(mut conn) => accounts::by_handle(&mut conn, force.id, handle).await,
                Err(error) => Err(error),
            };
            match found {
                Ok(account) => Some(account.id),
                Err(StoreError::NotFound(_)) => {
                    return answer(StatusCode::NOT_FOUND, "no such actor here")
                }
                Err(error) => return answer(StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
            }
        }
    };
    let activity = match parse_activity(body) {
        Ok(activity) => activity,
        Err(error) => return answer(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let signature = match signature_of(headers) {
        Ok(signature) => signature,
        Err(error) => return answer(StatusCode::UNAUTHORIZED, error.to_string()),
    };
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let key = match verified_key(state, &signature, path, headers, body).await {
        Ok(key) => key,
        Err(reason) => return answer(StatusCode::UNAUTHORIZED, reason),
    };
    if let Err(error) = check_key_owner(&signature.key_id, Some(&key.owner), &activity.actor) {
        return answer(StatusCode::UNAUTHORIZED, error.to_string());
    }
    let mut actor = key.actor.clone();
    if actor.inbox.is_none() && matches!(activity.kind.name(), "Follow" | "Create") {
        // The key came from a separate key document: the Follow's Accept needs
        // the actor's inbox, and a message its author's name.
        actor = fetch_actor_info(state, &activity.actor)
            .await
            .unwrap_or_default();
    }
    match receive(&state.store, force.id, addressed_to, &activity, &actor).await {
        Ok(
            Received::Processed | Received::Duplicate | Received::Blocked | Received::Ignored(_),
        ) => StatusCode::ACCEPTED.into_response(),
        Err(ServiceError::NotFound(what)) => {
            answer(StatusCode::NOT_FOUND, format!("{what} not found"))
        }
        Err(ServiceError::Forbidden(reason)) => answer(StatusCode::UNAUTHORIZED, reason),
        Err(ServiceError::Conflict(reason)) => answer(StatusCode::BAD_REQUEST, reason),
        Err(error) => {
            tracing::warn!("inbox: storing {} failed: {error}", activity.id);
            answer(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

/// The key that verifies this request: the cached one, else fetched; a cached
/// key that fails is fetched once more (the actor may have rotated it).
async fn verified_key(
    state: &AppState,
    signature: &SignatureHeader,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Arc<CachedKey>, String> {
    let verify = |key: &CachedKey| {
        verify_parsed(
            signature,
            "POST",
            path,
            headers,
            Some(body),
            &key.key,
            SystemTime::now(),
            MAX_CLOCK_SKEW,
        )
    };
    let cached = lock(&state.federation.keys)
        .get(&signature.key_id)
        .filter(|k| k.fetched.elapsed() < KEY_TTL)
        .cloned();
    if let Some(key) = cached {
        match verify(&key) {
            Ok(()) => return Ok(key),
            Err(SignatureError::BadSignature) => {}
            Err(other) => return Err(other.to_string()),
        }
    }
    let key = fetch_remote_key(state, &signature.key_id).await?;
    verify(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

async fn fetch_remote_key(state: &AppState, key_id: &str) -> Result<Arc<CachedKey>, String> {
    let client = state
        .federation
        .client
        .as_ref()
        .ok_or("no HTTP client for federation")?;
    // Usually the key is a fragment of the actor document: one fetch gives the
    // key and the actor's inbox and name.
    let fetched = match fetch_actor(client, key_owner(key_id), None).await {
        Ok(actor) if actor.public_key.id == key_id => CachedKey {
            owner: actor.public_key.owner.clone(),
            key: PublicKey::from_pem(&actor.public_key.pem).map_err(|e| e.to_string())?,
            actor: RemoteActorInfo {
                inbox: Some(actor.inbox.clone()),
                shared_inbox: actor.shared_inbox.clone(),
                name: actor
                    .actor
                    .name
                    .clone()
                    .or(actor.preferred_username.clone()),
            },
            fetched: Instant::now(),
        },
        _ => {
            let key = fetch_key(client, key_id, None)
                .await
                .map_err(|e| format!("could not fetch key {key_id}: {e}"))?;
            CachedKey {
                key: PublicKey::from_pem(&key.pem).map_err(|e| e.to_string())?,
                owner: key.owner,
                actor: RemoteActorInfo::default(),
                fetched: Instant::now(),
            }
        }
    };
    let fetched = Arc::new(fetched);
    let mut keys = lock(&state.federation.keys);
    if keys.len() > 50_000 {
        // A crude bound on memory; keys are fetched again as needed.
        keys.clear();
    }
    keys.insert(key_id.to_owned(), fetched.clone());
    Ok(fetched)
}

async fn fetch_actor_info(state: &AppState, actor_id: &str) -> Option<RemoteActorInfo> {
    let client = state.federation.client.as_ref()?;
    let actor = fetch_actor(client, actor_id, None).await.ok()?;
    Some(RemoteActorInfo {
        inbox: Some(actor.inbox.clone()),
        shared_inbox: actor.shared_inbox.clone(),
        name: actor
            .actor
            .name
            .clone()
            .or(actor.preferred_username.clone()),
    })
}
