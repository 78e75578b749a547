//! `POST /users/{handle}/inbox` and the shared `POST /inbox`.
//!
//! In order: body size (413, by the route's body limit), the force by `Host`
//! and the local actor (404), [`parse_activity`] (400 with the reason), the
//! signature (draft-cavage `Signature`, or RFC 9421 `Signature-Input` +
//! `Signature`; 401 when missing), the signer's key from the cache or fetched
//! (and fetched again once when the cached key fails, for key rotation), the
//! signature itself (401), the key's owner against the activity's actor (401),
//! then `services::federation::receive_batch`, which processes each activity id
//! once.
//!
//! Storing is group-committed: verified activities queue for one writer task
//! that stores whatever has gathered in one transaction (each activity in its
//! own savepoint) and then answers each request. Under load a batch holds
//! hundreds of activities for one commit; alone, an activity is stored at once.
//! A sender gets 202 only after its activity is durable.
//!
//! Keys and actors are fetched with a signed GET, as the addressed account (the
//! force's corporate account for the shared inbox): servers in "authorized
//! fetch" mode (Mastodon's secure mode, GoToSocial) refuse unsigned ones.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_federation::fetch::{fetch_actor, fetch_key};
use bluelamp_federation::message_signatures::{
    is_message_signature, message_signature_of, verify_message_signature, MessageSignature,
    RequestParts,
};
use bluelamp_federation::signatures::{
    check_key_owner, key_owner, signature_of, verify_parsed, SignatureError, SignatureHeader,
    MAX_CLOCK_SKEW,
};
use bluelamp_federation::{parse_activity, PublicKey};
use bluelamp_services::federation::{receive_batch, InboundItem, Received, RemoteActorInfo};
use bluelamp_services::{ServiceError, ServiceResult};
use bluelamp_store::{accounts, Store, StoreError};
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use bluelamp_domain::AccountId;
use bluelamp_federation::build::ActorUrls;
use bluelamp_federation::Signer;
use bluelamp_store::forces;

use super::{base_url, force_for_host, lock, signer};
use crate::error::WebError;
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

/// A use case's error, answered as everywhere else in the web layer
/// ([`WebError::from`]): the status by kind, and for internal failures a
/// generic text (the cause is logged, never sent to the remote server).
fn refuse(error: ServiceError) -> Response {
    let error = WebError::from(error);
    answer(error.status, error.detail)
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
    let force = match force_for_host(state, headers).await {
        Ok(force) => force,
        Err(error) if error.status == StatusCode::NOT_FOUND => {
            return answer(StatusCode::NOT_FOUND, "no force is served at this host")
        }
        // Already logged by `internal`, and its text is generic.
        Err(error) => return answer(error.status, error.detail),
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
                Err(error) => return refuse(error.into()),
            }
        }
    };
    let activity = match parse_activity(body) {
        Ok(activity) => activity,
        Err(error) => return answer(StatusCode::BAD_REQUEST, error.to_string()),
    };
    let signature = match RequestSignature::of(headers) {
        Ok(signature) => signature,
        Err(error) => return answer(StatusCode::UNAUTHORIZED, error.to_string()),
    };
    // Per remote host, before the (costly) signature check. The host is the one
    // the key id names: unverified yet, but a forger can only spend that host's
    // budget, and real servers simply retry after a 429.
    let remote_host = signature
        .key_id()
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '#', '?']).next())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !state.federation.inbox_limiter.allow(&remote_host) {
        let mut response = answer(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many activities from {remote_host}; retry shortly"),
        );
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
        return response;
    }
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let fetch_as = FetchAs {
        force: &force,
        account: addressed_to,
    };
    let key = match verified_key(state, &signature, path, headers, body, &fetch_as).await {
        Ok(key) => key,
        Err(reason) => return answer(StatusCode::UNAUTHORIZED, reason),
    };
    if let Err(error) = check_key_owner(signature.key_id(), Some(&key.owner), &activity.actor) {
        return answer(StatusCode::UNAUTHORIZED, error.to_string());
    }
    let mut actor = key.actor.clone();
    if actor.inbox.is_none() && matches!(activity.kind.name(), "Follow" | "Create") {
        // The key came from a separate key document: the Follow's Accept needs
        // the actor's inbox, and a message its author's name.
        actor = fetch_actor_info(state, &activity.actor, &fetch_as)
            .await
            .unwrap_or_default();
    }
    let activity_id = activity.id.clone();
    let item = InboundItem {
        force_id: force.id,
        addressed_to,
        activity,
        actor,
    };
    match store_inbound(state, item).await {
        Ok(
            Received::Processed | Received::Duplicate | Received::Blocked | Received::Ignored(_),
        ) => StatusCode::ACCEPTED.into_response(),
        Err(error) => {
            tracing::debug!("inbox: {activity_id} was not stored: {error}");
            refuse(error)
        }
    }
}

/// A request's signature: draft-cavage (`Signature: keyId=…`, what Mastodon
/// sends) or RFC 9421 (`Signature-Input` + `Signature`, what Fedify sends first).
enum RequestSignature {
    Cavage(SignatureHeader),
    Message(MessageSignature),
}

impl RequestSignature {
    fn of(headers: &HeaderMap) -> Result<RequestSignature, SignatureError> {
        if is_message_signature(headers) {
            message_signature_of(headers).map(RequestSignature::Message)
        } else {
            signature_of(headers).map(RequestSignature::Cavage)
        }
    }

    fn key_id(&self) -> &str {
        match self {
            RequestSignature::Cavage(signature) => &signature.key_id,
            RequestSignature::Message(signature) => &signature.key_id,
        }
    }
}

/// The key that verifies this request: the cached one, else fetched; a cached
/// key that fails is fetched once more (the actor may have rotated it).
async fn verified_key(
    state: &AppState,
    signature: &RequestSignature,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    fetch_as: &FetchAs<'_>,
) -> Result<Arc<CachedKey>, String> {
    let verify = |key: &CachedKey| match signature {
        RequestSignature::Cavage(signature) => verify_parsed(
            signature,
            "POST",
            path,
            headers,
            Some(body),
            &key.key,
            SystemTime::now(),
            MAX_CLOCK_SKEW,
        ),
        RequestSignature::Message(signature) => verify_message_signature(
            signature,
            &RequestParts {
                method: "POST",
                // How senders reach us (a TLS proxy in front shows us plain HTTP).
                scheme: &state.config.federation_scheme,
                path_and_query: path,
                body: Some(body),
            },
            headers,
            &key.key,
            SystemTime::now(),
            MAX_CLOCK_SKEW,
        ),
    };
    let cached = lock(&state.federation.keys)
        .get(signature.key_id())
        .filter(|k| k.fetched.elapsed() < KEY_TTL)
        .cloned();
    if let Some(key) = cached {
        match verify(&key) {
            Ok(()) => return Ok(key),
            Err(SignatureError::BadSignature) => {}
            Err(other) => return Err(other.to_string()),
        }
    }
    let key = match fetch_remote_key(state, signature.key_id(), fetch_as).await {
        Ok(key) => key,
        Err(detail) => {
            // Why the fetch failed (DNS, connection, what the server answered)
            // is for our log: the sender only learns that it failed.
            tracing::info!(key.id = %signature.key_id(), "inbox: key fetch failed: {detail}");
            return Err(format!(
                "the signing key {} could not be fetched or read",
                signature.key_id()
            ));
        }
    };
    verify(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// Whose key signs our fetches of remote documents: the account the activity
/// was addressed to, or (shared inbox) the force's corporate account.
pub(crate) struct FetchAs<'a> {
    pub force: &'a forces::Force,
    pub account: Option<AccountId>,
}

/// Servers in "authorized fetch" (secure) mode answer only signed GETs, so every
/// fetch is signed as one of our actors; with no usable key we fetch unsigned.
async fn fetch_signer(state: &AppState, fetch_as: &FetchAs<'_>) -> Option<Arc<Signer>> {
    let account = {
        let mut conn = state.store.read().await.ok()?;
        match fetch_as.account {
            Some(id) => accounts::get(&mut conn, id).await.ok()?,
            None => {
                let all = accounts::list(&mut conn, fetch_as.force.id).await.ok()?;
                let corporate = all
                    .iter()
                    .position(|a| a.kind == bluelamp_domain::AccountKind::Corporate);
                all.into_iter().nth(corporate.unwrap_or(0))?
            }
        }
    };
    let urls = ActorUrls::new(&base_url(state, fetch_as.force), &account.handle);
    signer(state, account.id, &urls.key_id).await.ok()
}

async fn fetch_remote_key(
    state: &AppState,
    key_id: &str,
    fetch_as: &FetchAs<'_>,
) -> Result<Arc<CachedKey>, String> {
    let client = state
        .federation
        .client
        .as_ref()
        .ok_or("no HTTP client for federation")?;
    let signer = fetch_signer(state, fetch_as).await;
    let signer = signer.as_deref();
    // Usually the key is a fragment of the actor document: one fetch gives the
    // key and the actor's inbox and name.
    let fetched = match fetch_actor(client, key_owner(key_id), signer).await {
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
            let key = fetch_key(client, key_id, signer)
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

async fn fetch_actor_info(
    state: &AppState,
    actor_id: &str,
    fetch_as: &FetchAs<'_>,
) -> Option<RemoteActorInfo> {
    let client = state.federation.client.as_ref()?;
    let signer = fetch_signer(state, fetch_as).await;
    let actor = fetch_actor(client, actor_id, signer.as_deref())
        .await
        .ok()?;
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

/// At most this many activities share one transaction.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<ServiceResult<Received>>;

/// The sending half of the group-commit writer (see the module docs).
pub(crate) struct InboundWriter(mpsc::Sender<(InboundItem, Reply)>);

/// Queue a verified activity for the writer and wait until it is stored.
async fn store_inbound(state: &AppState, item: InboundItem) -> ServiceResult<Received> {
    let writer = state.federation.inbound_writer.get_or_init(|| {
        // Bounded: when storage falls behind, senders wait here (and time out
        // and retry later) instead of piling up in memory.
        let (sender, receiver) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(write_batches(state.store.clone(), receiver));
        InboundWriter(sender)
    });
    let (reply, answer) = oneshot::channel();
    let unavailable = || ServiceError::Internal("the inbox writer stopped".into());
    writer
        .0
        .send((item, reply))
        .await
        .map_err(|_| unavailable())?;
    answer.await.map_err(|_| unavailable())?
}

async fn write_batches(store: Store, mut queue: mpsc::Receiver<(InboundItem, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (items, replies): (Vec<InboundItem>, Vec<Reply>) = batch.drain(..).unzip();
        match receive_batch(&store, &items).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // The requester may have gone (timed out); its activity is
                    // stored all the same, and a retry is a duplicate.
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                tracing::warn!("inbox: a batch of {} failed: {error}", items.len());
                for reply in replies {
                    let _ = reply.send(Err(ServiceError::Internal(error.to_string())));
                }
            }
        }
    }
}
