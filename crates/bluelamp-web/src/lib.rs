//! Bluelamp's HTTP layer: the staff web UI (server-rendered, works without
//! JavaScript), the public pages, the JSON API under `/api/v1`, health checks and
//! Prometheus metrics.
//!
//! Handlers are thin: extract and check the request, call one use case from
//! `bluelamp-services`, render. Nothing here writes SQL or decides a business rule.

pub mod api;
pub mod auth;
pub mod client_addr;
pub mod connectors;
pub mod error;
pub mod federation;
pub mod intake;
pub mod layout;
pub mod mastodon;
pub mod metrics;
pub mod public;
pub mod rate_limit;
pub mod router;
pub mod staff;
pub mod uploads;
pub mod webhooks;
pub mod workers;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bluelamp_store::Store;

pub use client_addr::TrustedProxies;
pub use router::router;

/// Settings the web layer needs; the binary fills them from its configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (leave on unless the server is reached over plain HTTP
    /// from somewhere other than this machine).
    pub cookie_secure: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// The name shown in the page header and the TOTP issuer.
    pub site_name: String,
    /// The public address of this server (no trailing slash), for absolute links
    /// in feeds, OpenGraph metadata and e-mail.
    pub public_base_url: String,
    /// Where uploaded media are kept.
    pub media_dir: std::path::PathBuf,
    /// `https` in production; `http` only for loopback interop tests. Actor ids
    /// are `{federation_scheme}://{force domain}/users/{handle}`.
    pub federation_scheme: String,
    /// TEST ONLY: let federation fetch from and deliver to loopback addresses
    /// and `localhost` (private ranges stay refused). Never in production.
    pub federation_allow_loopback: bool,
    /// Inbound activities per second accepted from one remote host, with a burst
    /// of ten times as many; more is answered 429 with `Retry-After`.
    pub federation_inbox_per_host_per_second: u32,
    /// How long a rendered public page or feed is served before it is rebuilt.
    /// Changes clear it at once (across processes on PostgreSQL), so this only
    /// bounds how stale a page can be when a notification is lost.
    pub public_cache_fresh_for: Duration,
    /// The signing key and folder for audit checkpoints, which the job worker
    /// writes on a timer; `None` leaves checkpoint jobs to another process.
    pub audit_checkpoints: Option<bluelamp_services::audit::checkpoints::CheckpointSettings>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see
    /// [`client_addr`]); empty means the socket peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// The bearer token `/metrics` asks for; `None` keeps `/metrics` switched
    /// off (404), so nothing about the server's traffic is public by default.
    pub metrics_token: Option<String>,
    /// Web Push services staff browsers may subscribe through besides the major
    /// browsers' own (host, host:port or origin); the server posts only there.
    pub push_services: Vec<String>,
    /// The key that seals network credentials (Bluesky app passwords) at rest;
    /// the binary keeps it in a file outside the database. The default is a fresh
    /// random key, which a restart forgets (tests).
    pub connector_key: bluelamp_services::crosspost::SealingKey,
    /// How long a network session (Bluesky's, from an app password) is reused
    /// before signing in again; a revoked password shows within this time.
    pub connector_session_reuse: Duration,
    /// Bluelamp's app registration with X (OAuth 2 with PKCE); an empty client
    /// id leaves X unconnectable, saying so.
    pub x_client_id: String,
    /// X's API (`https://api.x.com`) and authorisation page; tests point them at
    /// a local stand-in.
    pub x_api_base: String,
    pub x_authorize_url: String,
    /// Per network, the rate limits cross-posts are paced under in place of what
    /// the network documents (`domain::pacing::documented`): a force on a lower
    /// paid tier of X sets its tier's limits here.
    pub crosspost_limits: std::collections::BTreeMap<String, Vec<bluelamp_domain::pacing::Limit>>,
}

impl WebConfig {
    /// Where evidence from the public is kept, beside the media folder but apart
    /// from it: nothing there is ever served to the public.
    pub fn evidence_dir(&self) -> std::path::PathBuf {
        match self.media_dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("evidence"),
            _ => std::path::PathBuf::from("evidence"),
        }
    }

    /// Served over HTTPS: the public address is `https://`, or cookies are
    /// `Secure` (which only works over HTTPS). Then responses carry HSTS.
    pub fn served_over_https(&self) -> bool {
        self.public_base_url.starts_with("https://") || self.cookie_secure
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            cookie_secure: true,
            body_limit: 1024 * 1024,
            site_name: "Bluelamp".into(),
            public_base_url: "http://127.0.0.1:8080".into(),
            media_dir: std::path::PathBuf::from("./bluelamp-data/media"),
            federation_scheme: "https".into(),
            federation_allow_loopback: false,
            federation_inbox_per_host_per_second: 300,
            public_cache_fresh_for: public::cache::FRESH_FOR,
            audit_checkpoints: None,
            trusted_proxies: TrustedProxies::default(),
            metrics_token: None,
            push_services: Vec::new(),
            connector_session_reuse: connectors::bluesky::SESSION_REUSE,
            x_client_id: String::new(),
            x_api_base: "https://api.x.com".into(),
            x_authorize_url: "https://x.com/i/oauth2/authorize".into(),
            crosspost_limits: Default::default(),
            connector_key: bluelamp_services::crosspost::SealingKey::generate()
                .unwrap_or_else(|| bluelamp_services::crosspost::SealingKey::from_bytes([7; 32])),
        }
    }
}

/// Failed login steps one client address may make per five minutes.
pub const LOGIN_FAILURES_PER_WINDOW: u32 = 30;

/// What every handler can reach. One shared allocation: the router clones the
/// state for every request, and cloning (then dropping) a dozen `Arc`s per request
/// made two cores fight over their reference counts on the hot public reads.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
    /// The governance check: the built-in rule set compiled once, and each
    /// force's own rules compiled once per saved version.
    pub governance: Arc<bluelamp_services::force_rules::ForceEngines>,
    /// Failed logins and wrong second-factor codes per client address. Only
    /// failures spend it, so officers sharing one address (a station, a proxy)
    /// are never refused for logging in correctly.
    pub login_failures: Arc<rate_limit::KeyedLimiter<IpAddr>>,
    /// Client-app registrations per address: registering needs no login.
    pub app_registrations: Arc<rate_limit::KeyedLimiter<IpAddr>>,
    /// Rendered feeds and profile pages, kept for a moment (see public::cache).
    pub public_cache: Arc<public::cache::PublicCache>,
    /// The federation HTTP client and key caches.
    pub federation: Arc<federation::FederationState>,
    /// Urgent arrivals, by force id: the staff inbox's live alerts listen here. Fed
    /// by this process's own deliveries and, on PostgreSQL, by every other process.
    pub inbox_alerts: Arc<tokio::sync::broadcast::Sender<String>>,
    /// The network connectors (Bluesky…), shared with the job runner.
    pub networks: Arc<connectors::HttpNetworks>,
    pub started: Instant,
}

impl AppState {
    /// The state with the governance engines a server loaded at start.
    pub fn with_governance(
        self,
        governance: bluelamp_services::force_rules::ForceEngines,
    ) -> AppState {
        let mut shared = Arc::unwrap_or_clone(self.0);
        shared.governance = Arc::new(governance);
        AppState(Arc::new(shared))
    }

    pub fn new(store: Store, config: WebConfig) -> AppState {
        let public_cache = Arc::new(public::cache::PublicCache::new(
            config.public_cache_fresh_for,
        ));
        let networks = Arc::new(connectors::HttpNetworks::new(
            config.media_dir.clone(),
            config.connector_key.clone(),
            connectors::NetworkSettings {
                session_reuse: config.connector_session_reuse,
                x_app: connectors::x::XApp {
                    client_id: config.x_client_id.clone(),
                    api_base: config.x_api_base.clone(),
                    authorize_url: config.x_authorize_url.clone(),
                    redirect_uri: format!(
                        "{}/staff/connections/x/callback",
                        config.public_base_url.trim_end_matches('/')
                    ),
                },
                allow_loopback: config.federation_allow_loopback,
                limits: config.crosspost_limits.clone(),
            },
        ));
        AppState(Arc::new(Shared {
            store,
            networks,
            federation: Arc::new(federation::FederationState::new(
                config.federation_allow_loopback,
                config.federation_inbox_per_host_per_second,
            )),
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::new()),
            governance: Arc::new(bluelamp_services::force_rules::ForceEngines::default()),
            public_cache,
            // Thirty failures per address per five minutes: generous for a
            // station sharing one address, slow for a password sprayer.
            login_failures: Arc::new(rate_limit::KeyedLimiter::per_window(
                LOGIN_FAILURES_PER_WINDOW,
                300,
            )),
            // Thirty an hour: an office setting up everyone's phone at once fits.
            app_registrations: Arc::new(rate_limit::KeyedLimiter::per_window(30, 3600)),
            inbox_alerts: Arc::new(tokio::sync::broadcast::channel(64).0),
            started: Instant::now(),
        }))
    }
}

impl AppState {
    /// Something public changed in this process: drop cached pages and feeds so
    /// the change shows at once. (Changes made elsewhere, such as by the scheduler,
    /// show when the cache entry expires, within a second.)
    pub fn public_changed(&self) {
        self.public_cache.clear();
    }
}

/// Serve until `shutdown` completes, then finish in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Other server processes on the same PostgreSQL announce their changes.
    let changes =
        public::cache::listen_for_changes(state.store.clone(), state.public_cache.clone());
    let alerts = staff::inbox_alerts_from_other_processes(&state);
    let app = router(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    for task in [changes, alerts].into_iter().flatten() {
        task.abort();
    }
    served
}
