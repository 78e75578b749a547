//! The fediverse side of the web layer: discovery and actor documents
//! ([`discovery`]), the inboxes with signature checks ([`inbox`]), the delivery
//! worker that drains the durable queue ([`worker`]) and the staff inbox page
//! ([`staff`]). Protocol work is in `bluelamp-federation`; what changes in the
//! store is decided in `bluelamp_services::federation`.
//!
//! Which force a request is for comes from its `Host` header, matched against
//! the forces' `domain` column (host, plus port when not the default), so each
//! force's actors live on its own domain: `{scheme}://{domain}/users/{handle}`.
//! The scheme is `federation_scheme` (https; http only in loopback tests).

pub mod discovery;
pub mod documents;
pub mod inbox;
pub mod mentions;
pub mod staff;
pub mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use bluelamp_domain::AccountId;
use bluelamp_federation::signatures::{generate_keypair, Signer};
use bluelamp_federation::{ClientOptions, HttpClient};
use bluelamp_store::federation as fed;
use bluelamp_store::forces;

use crate::error::WebError;
use crate::AppState;

/// Caches and the HTTP client shared by the inbox and the delivery worker.
pub struct FederationState {
    /// `None` only if the TLS backend failed to initialise (logged at start).
    pub client: Option<HttpClient>,
    /// Remote keys by key id, with what the actor document said (see inbox).
    pub(crate) keys: Mutex<HashMap<String, Arc<inbox::CachedKey>>>,
    /// Our key pairs by account. An async lock: the first request for an account
    /// generates its key (about 0.5 s) while any others for it wait, once.
    actor_keys: tokio::sync::Mutex<HashMap<AccountId, Arc<fed::ActorKey>>>,
    /// Parsed private keys by key id (parsing a PEM is not free).
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    /// The inbox's group-commit writer, started on the first inbound activity.
    pub(crate) inbound_writer: std::sync::OnceLock<inbox::InboundWriter>,
    /// Per remote host token buckets for the inboxes.
    pub(crate) inbox_limiter: HostRateLimiter,
    /// Forces by domain, briefly cached: every inbound request asks.
    forces_by_domain: Mutex<HashMap<String, (std::time::Instant, forces::Force)>>,
}

impl FederationState {
    pub fn new(allow_loopback: bool, inbox_per_host_per_second: u32) -> FederationState {
        let mut options = ClientOptions::new(concat!(
            "Bluelamp/",
            env!("CARGO_PKG_VERSION"),
            " (ActivityPub; +https://codeberg.org/bluelamp)"
        ));
        options.allow_loopback = allow_loopback;
        let client = match HttpClient::new(&options) {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!("federation HTTP client unavailable: {error}");
                None
            }
        };
        FederationState {
            client,
            keys: Mutex::new(HashMap::new()),
            actor_keys: tokio::sync::Mutex::new(HashMap::new()),
            signers: Mutex::new(HashMap::new()),
            inbound_writer: std::sync::OnceLock::new(),
            inbox_limiter: HostRateLimiter::new(inbox_per_host_per_second),
            forces_by_domain: Mutex::new(HashMap::new()),
        }
    }
}

/// `scheme://domain` of a force.
pub fn base_url(state: &AppState, force: &forces::Force) -> String {
    format!("{}://{}", state.config.federation_scheme, force.domain)
}

/// How long a force looked up by domain is reused. Short: a renamed domain or
/// a changed setting shows within seconds, while a busy inbox asks the database
/// once per interval instead of twice per activity.
const FORCE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The force whose domain is this request's `Host`.
pub async fn force_for_host(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<forces::Force, WebError> {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if let Some((at, force)) = lock(&state.federation.forces_by_domain).get(&host) {
        if at.elapsed() < FORCE_CACHE_TTL {
            return Ok(force.clone());
        }
    }
    let mut conn = state.store.read().await.map_err(internal)?;
    let id = fed::force_id_by_domain(&mut conn, &host)
        .await
        .map_err(internal)?
        .ok_or_else(|| WebError::not_found("force"))?;
    let force = forces::get(&mut conn, id).await.map_err(internal)?;
    let mut cache = lock(&state.federation.forces_by_domain);
    if cache.len() > 1_000 {
        // Only real force domains are cached, so this is a bound, not a policy.
        cache.clear();
    }
    cache.insert(host, (std::time::Instant::now(), force.clone()));
    Ok(force)
}

pub(crate) fn internal(error: impl std::fmt::Display) -> WebError {
    tracing::warn!("federation: {error}");
    WebError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side.",
    )
}

/// An account's key pair, generated and stored on first use.
pub async fn actor_key(
    state: &AppState,
    account: AccountId,
) -> Result<Arc<fed::ActorKey>, WebError> {
    let mut keys = state.federation.actor_keys.lock().await;
    if let Some(key) = keys.get(&account) {
        return Ok(key.clone());
    }
    let stored = {
        let mut conn = state.store.read().await.map_err(internal)?;
        fed::actor_key(&mut conn, account).await.map_err(internal)?
    };
    let key = match stored {
        Some(key) => key,
        None => {
            // RSA-2048 generation is CPU work of about half a second: keep it off
            // the async threads. It happens once per account, ever.
            let (private_pem, public_pem) = tokio::task::spawn_blocking(generate_keypair)
                .await
                .map_err(internal)?
                .map_err(internal)?;
            bluelamp_services::federation::save_actor_key(
                &state.store,
                account,
                &private_pem,
                &public_pem,
            )
            .await
            .map_err(internal)?
        }
    };
    let key = Arc::new(key);
    keys.insert(account, key.clone());
    Ok(key)
}

/// The signer for an account under a key id (the id depends on the domain).
pub async fn signer(
    state: &AppState,
    account: AccountId,
    key_id: &str,
) -> Result<Arc<Signer>, WebError> {
    if let Some(signer) = lock(&state.federation.signers).get(key_id) {
        return Ok(signer.clone());
    }
    let key = actor_key(state, account).await?;
    let signer = Arc::new(Signer::from_pem(key_id, &key.private_pem).map_err(internal)?);
    lock(&state.federation.signers).insert(key_id.to_owned(), signer.clone());
    Ok(signer)
}

/// A poisoned cache lock only means another request panicked mid-insert; the
/// map is still usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A token bucket per remote host: `rate` tokens a second, holding at most ten
/// seconds' worth, so a server catching up after an outage gets its burst and
/// a runaway one is slowed without touching anyone else. The shared keyed
/// limiter (crate::rate_limit), in memory and per process: a limit to protect
/// this machine, not an accounting record.
pub(crate) struct HostRateLimiter(crate::rate_limit::KeyedLimiter<String>);

impl HostRateLimiter {
    pub(crate) fn new(per_second: u32) -> HostRateLimiter {
        let rate = per_second.max(1);
        HostRateLimiter(crate::rate_limit::KeyedLimiter::new(
            rate.saturating_mul(10),
            f64::from(rate),
        ))
    }

    /// Take one token for `host`; `false` when its bucket is empty.
    pub(crate) fn allow(&self, host: &str) -> bool {
        self.0.allow(host)
    }
}

#[cfg(test)]
mod tests {
    use super::HostRateLimiter;

    #[test]
    fn a_host_gets_its_burst_then_is_refused_while_others_are_not() {
        let limiter = HostRateLimiter::new(1);
        for n in 0..10 {
            assert!(
                limiter.allow("busy.example"),
                "request {n} is within the burst"
            );
        }
        assert!(!limiter.allow("busy.example"));
        assert!(limiter.allow("quiet.example"));
    }
}
