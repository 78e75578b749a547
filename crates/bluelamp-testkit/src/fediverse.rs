//! Pretend fediverse servers for the federation tests: each [`FakeHost`] is an
//! HTTP listener on `127.0.0.1` and a random port (so a separate host as far as
//! the delivery worker's per-host limits and circuit breaker go) that records
//! every POST to an inbox. A host can answer after a delay, or never answer
//! at all (it accepts the connection, then sleeps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::routing::post;
use axum::Router;
use bluelamp_domain::AccountId;
use bluelamp_store::Store;
use serde_json::Value;

/// One POST a fake host received.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How a fake host behaves.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Record the POST and answer 202 after this long.
    Answer(Duration),
    /// Accept connections and never answer (and never read): a hung server.
    Hang,
}

/// A pretend remote server with any number of actors, each with its own inbox at
/// `/users/{name}/inbox`, and a shared inbox at `/inbox`.
pub struct FakeHost {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Connections accepted (only counted for [`Behaviour::Hang`]).
    pub connections: Arc<Mutex<usize>>,
}

#[derive(Clone)]
struct HostState {
    delay: Duration,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn inbox(
    State(state): State<HostState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (axum::http::StatusCode, &'static str) {
    // Record first, then take the time: what a slow server that has already
    // stored the activity looks like when the sender dies before the answer.
    state.received.lock().unwrap().push(Received {
        path: uri.path().to_string(),
        headers,
        body: body.to_vec(),
    });
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    (axum::http::StatusCode::ACCEPTED, "")
}

impl FakeHost {
    pub async fn start(behaviour: Behaviour) -> FakeHost {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        match behaviour {
            Behaviour::Answer(delay) => {
                let app = Router::new()
                    .route("/users/{name}/inbox", post(inbox))
                    .route("/inbox", post(inbox))
                    .with_state(HostState {
                        delay,
                        received: received.clone(),
                    });
                tokio::spawn(async move {
                    axum::serve(listener, app).await.unwrap();
                });
            }
            Behaviour::Hang => {
                let counted = connections.clone();
                tokio::spawn(async move {
                    let mut held = Vec::new();
                    while let Ok((socket, _)) = listener.accept().await {
                        *counted.lock().unwrap() += 1;
                        held.push(socket); // never read, never answered, never closed
                    }
                });
            }
        }
        FakeHost {
            base,
            received,
            connections,
        }
    }

    /// `127.0.0.1:PORT`, the host name deliveries to this server are keyed by.
    pub fn host(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    pub fn inbox(&self, name: &str) -> String {
        format!("{}/users/{name}/inbox", self.base)
    }

    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }

    /// Make `name` on this host a follower of `account` (as an accepted Follow
    /// would), with its own inbox and, when `shared` is set, the shared inbox.
    pub async fn add_follower(&self, store: &Store, account: AccountId, name: &str, shared: bool) {
        let mut tx = store.write().await.unwrap();
        let actor = self.actor(name);
        bluelamp_store::federation::upsert_follower(
            &mut tx,
            account,
            &actor,
            &self.inbox(name),
            shared.then(|| self.shared_inbox()).as_deref(),
            &format!("{actor}/follows/1"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Every received activity of `kind` whose object is `object_id`.
    pub fn activities_about(&self, kind: &str, object_id: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| {
                let v = r.json();
                v["type"] == kind && (v["object"]["id"] == object_id || v["object"] == object_id)
            })
            .cloned()
            .collect()
    }
}

/// A [`crate::Client`] for a server started some other way (the real binary).
pub fn client_for(base: &str) -> crate::Client {
    crate::Client {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: base.to_string(),
        cookies: std::sync::Mutex::new(std::collections::HashMap::new()),
    }
}
