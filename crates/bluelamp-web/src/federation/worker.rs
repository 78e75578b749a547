//! The delivery worker: drains the `deliveries` table. Rows are claimed with a
//! lease, sent concurrently (at most [`PER_HOST`] at a time to one host and
//! [`IN_FLIGHT`] in all), and their outcomes written back in batches. A row
//! whose worker died is claimed again when its lease ends, so every delivery
//! survives a crash; it is then sent again with the same activity id, which
//! receivers deduplicate.
//!
//! A per-host circuit breaker stops hammering a dead server: after
//! [`BREAKER_THRESHOLD`] failures in a row its deliveries wait
//! [`BREAKER_COOLDOWN`] without spending an attempt.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bluelamp_federation::build::ActorUrls;
use bluelamp_federation::delivery::{backoff, deliver, with_jitter, DeliveryError};
use bluelamp_federation::limits::DELIVERY_TIMEOUT;
use bluelamp_federation::signatures::Signer;
use bluelamp_services::federation as services;
use bluelamp_store::federation::{self as fed, Delivery, DeliveryResult};
use bluelamp_store::{accounts, forces};
use tokio::sync::{mpsc, Semaphore};

use bluelamp_services::runner::{Queue, Round};

use super::{base_url, lock, signer};
use crate::AppState;

pub const PER_HOST: usize = 4;
pub const IN_FLIGHT: usize = 256;
pub const BREAKER_THRESHOLD: u32 = 10;
pub const BREAKER_COOLDOWN: Duration = Duration::from_secs(60);
const LEASE_SECONDS: i64 = 120;
const IDLE_POLL: Duration = Duration::from_millis(200);

#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

struct Shared {
    state: AppState,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    breakers: Mutex<HashMap<String, Breaker>>,
    bodies: Mutex<HashMap<i64, Arc<Vec<u8>>>>,
    results: mpsc::Sender<(i64, DeliveryResult)>,
}

/// The `deliveries` table as a queue of the one runner. Sends run concurrently
/// beyond a round: a round claims as many rows as there is room in flight for,
/// starts their sends and returns; outcomes are written back in batches by a
/// recorder task.
pub struct DeliveryQueue {
    shared: Arc<Shared>,
    in_flight: Arc<Semaphore>,
    recorder: tokio::task::JoinHandle<()>,
}

impl DeliveryQueue {
    /// Release what a dead run of this process claimed (SQLite) and start the
    /// recorder.
    pub async fn start(state: AppState) -> DeliveryQueue {
        match services::recover_deliveries_after_restart(&state.store).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(
                "{released} deliveries claimed before a crash or restart are sent again now"
            ),
            Err(error) => tracing::warn!("could not release old delivery leases: {error}"),
        }
        let (results, received) = mpsc::channel(4096);
        let recorder = tokio::spawn(record(state.clone(), received));
        DeliveryQueue {
            shared: Arc::new(Shared {
                state,
                hosts: Mutex::new(HashMap::new()),
                breakers: Mutex::new(HashMap::new()),
                bodies: Mutex::new(HashMap::new()),
                results,
            }),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            recorder,
        }
    }
}

impl Drop for DeliveryQueue {
    fn drop(&mut self) {
        self.recorder.abort();
    }
}

impl Queue for DeliveryQueue {
    fn kind(&self) -> &'static str {
        "deliveries"
    }

    fn idle(&self) -> Duration {
        IDLE_POLL
    }

    fn run_due(&self) -> Round<'_> {
        Box::pin(async move {
            // Wait for room in flight, then claim as many rows as fit.
            if self.in_flight.available_permits() == 0 {
                if let Ok(permit) = self.in_flight.clone().acquire_owned().await {
                    drop(permit);
                }
            }
            let room = self.in_flight.available_permits().max(1);
            let limit = i64::try_from(room.min(500)).unwrap_or(500);
            let claimed =
                services::claim_deliveries(&self.shared.state.store, limit, LEASE_SECONDS)
                    .await
                    .map_err(|e| format!("claiming deliveries failed: {e}"))?;
            let count = claimed.len();
            for delivery in claimed {
                let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                    break;
                };
                let shared = self.shared.clone();
                tokio::spawn(async move {
                    let id = delivery.id;
                    let result = attempt(&shared, delivery).await;
                    let _ = shared.results.send((id, result)).await;
                    drop(permit);
                });
            }
            Ok(count)
        })
    }
}

/// Write outcomes in batches: whatever has arrived, up to 1,000, in one commit.
async fn record(state: AppState, mut received: mpsc::Receiver<(i64, DeliveryResult)>) {
    while let Some(first) = received.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1000 {
            match received.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        if let Err(error) = services::record_deliveries(&state.store, &batch).await {
            // The rows stay leased and are retried after the lease: at least once.
            tracing::warn!(
                "recording {} delivery outcomes failed: {error}",
                batch.len()
            );
        }
    }
}

fn later(delay: Duration) -> String {
    let at = time::OffsetDateTime::now_utc()
        + time::Duration::milliseconds(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2));
    bluelamp_store::format_time(at)
}

fn jitter_unit(seed: i64) -> f64 {
    // Spread retries without a random number generator: the row id and the clock
    // are different enough across rows.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from((nanos ^ (seed as u32).wrapping_mul(2_654_435_761)) % 1000) / 1000.0
}

async fn attempt(shared: &Shared, delivery: Delivery) -> DeliveryResult {
    let host = delivery.host.clone();
    if let Some(until) = lock(&shared.breakers).get(&host).and_then(|b| b.open_until) {
        if until > Instant::now() {
            return DeliveryResult::Retry {
                run_at: later(until - Instant::now()),
                status: None,
                error: format!("circuit open for {host}"),
                counted: false,
            };
        }
    }
    let prepared = prepare(shared, &delivery).await;
    let (body, signer) = match prepared {
        Ok(ready) => ready,
        Err(error) => {
            return DeliveryResult::Retry {
                run_at: later(Duration::from_secs(60)),
                status: None,
                error,
                counted: true,
            }
        }
    };
    let Some(client) = shared.state.federation.client.as_ref() else {
        return DeliveryResult::Retry {
            run_at: later(Duration::from_secs(300)),
            status: None,
            error: "no HTTP client".into(),
            counted: false,
        };
    };
    let gate = lock(&shared.hosts)
        .entry(host.clone())
        .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST)))
        .clone();
    let Ok(_host_permit) = gate.acquire().await else {
        return DeliveryResult::Retry {
            run_at: later(Duration::from_secs(5)),
            status: None,
            error: "host gate closed".into(),
            counted: false,
        };
    };
    let outcome = deliver(client, &delivery.inbox, &body, &signer, DELIVERY_TIMEOUT).await;
    let mut breakers = lock(&shared.breakers);
    let breaker = breakers.entry(host).or_default();
    match outcome {
        Ok(status) => {
            *breaker = Breaker::default();
            DeliveryResult::Delivered {
                status: i64::from(status),
            }
        }
        Err(error) => {
            let status = error.status().map(i64::from);
            if let DeliveryError::Retryable { retry_after, .. } = &error {
                breaker.failures += 1;
                if breaker.failures >= BREAKER_THRESHOLD {
                    breaker.open_until = Some(Instant::now() + BREAKER_COOLDOWN);
                }
                let retry = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
                if let Some(wait) = backoff(retry) {
                    let wait = with_jitter(wait, jitter_unit(delivery.id))
                        .max(retry_after.unwrap_or_default());
                    return DeliveryResult::Retry {
                        run_at: later(wait),
                        status,
                        error: error.to_string(),
                        counted: true,
                    };
                }
            }
            DeliveryResult::Failed {
                status,
                error: error.to_string(),
            }
        }
    }
}

/// The activity's bytes (built once and stored) and the account's signer.
async fn prepare(
    shared: &Shared,
    delivery: &Delivery,
) -> Result<(Arc<Vec<u8>>, Arc<Signer>), String> {
    let state = &shared.state;
    let cached = lock(&shared.bodies).get(&delivery.outbound_id).cloned();
    let body = match cached {
        Some(body) => body,
        None => {
            let outbound = {
                let mut conn = state.store.read().await.map_err(|e| e.to_string())?;
                fed::outbound(&mut conn, delivery.outbound_id)
                    .await
                    .map_err(|e| e.to_string())?
            };
            let text = match outbound.body.clone() {
                Some(text) => text,
                None => {
                    let built = super::documents::outbound_body(state, &outbound)
                        .await
                        .map_err(|e| e.detail)?;
                    services::save_outbound_body(&state.store, outbound.id, &built)
                        .await
                        .map_err(|e| e.to_string())?
                }
            };
            let body = Arc::new(text.into_bytes());
            let mut bodies = lock(&shared.bodies);
            if bodies.len() > 1000 {
                bodies.clear();
            }
            bodies.insert(delivery.outbound_id, body.clone());
            body
        }
    };
    let (force, account) = {
        let mut conn = state.store.read().await.map_err(|e| e.to_string())?;
        let account = accounts::get(&mut conn, delivery.account_id)
            .await
            .map_err(|e| e.to_string())?;
        let force = forces::get(&mut conn, account.force_id)
            .await
            .map_err(|e| e.to_string())?;
        (force, account)
    };
    let urls = ActorUrls::new(&base_url(state, &force), &account.handle);
    let signer = signer(state, account.id, &urls.key_id)
        .await
        .map_err(|e| e.detail)?;
    Ok((body, signer))
}
