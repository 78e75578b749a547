//! Cross-posting to the networks where the public already are (Bluesky today):
//! an account connected to its identity there, its credential sealed outside the
//! database; each published post that names the network gets a channel-post row
//! and a durable job, created in the publishing transaction; the job sends it
//! (never twice: the record key is derived from the post, so a retry after a crash
//! finds the first copy), records where it is, and deletion follows the post.
//! Replies and mentions there come back through the inbox's one ingestion path.
//!
//! The network calls are behind [`Network`], implemented by the web layer (it
//! owns HTTP): one implementation per network.

pub mod sealed;
mod work;

use std::future::Future;
use std::pin::Pin;

use bluelamp_domain::{AccountId, Action, Role};
use bluelamp_store::connections::{self as store, ChannelPost, Connection};
use bluelamp_store::{audit, jobs, posts, AnyConnection, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};
pub use sealed::SealingKey;
pub use work::{account_handle, correct, inbound, remove, send};
pub(crate) use work::{on_edited, on_gave_up, open};

/// The networks with a connector.
pub const NETWORKS: [&str; 3] = ["bluesky", "x", "facebook"];
pub const SEND_JOB: &str = "crosspost";
pub const DELETE_JOB: &str = "crosspost_delete";
pub const INBOUND_JOB: &str = "crosspost_inbound";
pub const CORRECT_JOB: &str = "crosspost_correct";
/// How often a connection is asked for new replies and mentions.
pub const INBOUND_EVERY_SECONDS: i64 = 10;
/// How many times a post is tried on a network that answers 5xx or not at all:
/// with the runner's backoff (10 s doubling, at most 6 h between tries) that is
/// about 29 hours of outage before the channel shows it failed. Waiting out a
/// rate limit or a reconnection does not use a try.
pub const SEND_TRIES: i64 = 16;
/// How long a post waits for its account to be reconnected before looking again.
pub const RECONNECT_WAIT_SECONDS: i64 = 300;

pub type Fut<'a, T> = Pin<Box<dyn Future<Output = Result<T, NetError>> + Send + 'a>>;

/// What a network said when it did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// The credential no longer works: the account must be reconnected.
    #[error("the network refused our credentials: {0}")]
    Auth(String),
    /// The network will never accept this (too long, an image it refuses).
    #[error("the network refused it: {0}")]
    Refused(String),
    /// Try again later (5xx, a refused connection, 429 until the given unix time).
    #[error("the network is unavailable: {0}")]
    Unavailable(String, Option<i64>),
}

/// Where an account lives on a network and its credential (opened for one call).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub service_url: String,
    pub identifier: String,
    pub secret: String,
    /// A network that renewed the credential (X rotates its refresh token on
    /// every renewal) leaves the new one here; the job seals and keeps it.
    pub renewed: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl Credentials {
    pub fn new(service_url: &str, identifier: &str, secret: &str) -> Credentials {
        Credentials {
            service_url: service_url.to_string(),
            identifier: identifier.to_string(),
            secret: secret.to_string(),
            renewed: Default::default(),
        }
    }

    /// The renewed credential, if the network renewed it during a call.
    pub fn take_renewed(&self) -> Option<String> {
        self.renewed.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Who the credential signs in as.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The stable id there (a DID on Bluesky).
    pub remote_id: String,
    /// The name people know (a handle).
    pub name: String,
}

/// An image to send, by its key in the media store.
#[derive(Debug, Clone)]
pub struct OutImage {
    pub storage_key: String,
    pub content_type: String,
    pub alt: String,
    pub byte_size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// A post as a network receives it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub post_id: i64,
    pub text: String,
    pub images: Vec<OutImage>,
    /// BCP 47 tags, most-used first, from the text (`domain::language`): `en`,
    /// `cy`, or both for a bilingual post.
    pub langs: Vec<&'static str>,
    /// RFC 3339, when it was published here.
    pub created_at: String,
    /// Added to the record key's time: the same post (or correction) always
    /// names the same record there, so sending twice finds the first copy.
    pub key_offset: i64,
    /// The thread it belongs to there: (root, parent).
    pub reply: Option<(RemoteRef, RemoteRef)>,
}

/// A post on a network, strongly referenced (address and content hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    pub uri: String,
    pub cid: String,
}

/// Where the post is on the network.
#[derive(Debug, Clone)]
pub struct Remote {
    pub uri: String,
    pub cid: String,
    /// A page people can open.
    pub url: String,
}

/// A reply, mention or quote of the account, from the network.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub uri: String,
    pub author_handle: String,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
    pub text: String,
    /// The post it answers (ours or another), and its thread's first post.
    pub reply_to: Option<String>,
    pub root: Option<String>,
    pub sent_at: String,
}

/// New items since `cursor`, oldest first, and the cursor to keep.
#[derive(Debug, Clone, Default)]
pub struct InboundPage {
    pub items: Vec<Incoming>,
    pub cursor: Option<String>,
}

/// One network's connector.
pub trait Network: Send + Sync {
    fn verify<'a>(&'a self, credentials: &'a Credentials) -> Fut<'a, Identity>;
    fn publish<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
        post: &'a Outgoing,
    ) -> Fut<'a, Remote>;
    fn delete<'a>(
        &'a self,
        credentials: &'a Credentials,
        remote_id: &'a str,
        uri: &'a str,
    ) -> Fut<'a, ()>;
    fn inbound<'a>(
        &'a self,
        credentials: &'a Credentials,
        cursor: Option<&'a str>,
    ) -> Fut<'a, InboundPage>;

    /// How many follow the account there, for the audience snapshot; `None`
    /// when the connector cannot tell.
    fn followers<'a>(
        &'a self,
        _credentials: &'a Credentials,
        _remote_id: &'a str,
    ) -> Fut<'a, Option<i64>> {
        Box::pin(async { Ok(None) })
    }

    /// For a network connected by OAuth (X): where to send the administrator
    /// to authorise Bluelamp, with `state` and the PKCE `challenge`; `None` for a
    /// network connected with a credential typed in.
    fn authorize_url(&self, _state: &str, _challenge: &str) -> Option<String> {
        None
    }

    /// Exchange an authorisation code (and the PKCE verifier) for the
    /// credential to keep.
    fn exchange<'a>(&'a self, _code: &'a str, _verifier: &'a str) -> Fut<'a, Credentials> {
        Box::pin(async {
            Err(NetError::Refused(
                "this network is connected with a credential, not by authorisation".into(),
            ))
        })
    }
}

/// The connectors this process has, and the key that opens their credentials.
pub trait Networks: Send + Sync {
    fn network(&self, name: &str) -> Option<&dyn Network>;
    fn sealing_key(&self) -> &SealingKey;

    /// The rate limits one account's writes to `network` are paced under: what
    /// the network documents, unless the server's configuration says otherwise
    /// (a lower paid tier on X, say).
    fn limits(&self, network: &str) -> Vec<bluelamp_domain::pacing::Limit> {
        bluelamp_domain::pacing::documented(network).to_vec()
    }
}

fn unsupported(network: &str) -> ServiceError {
    ServiceError::Invalid(bluelamp_domain::Invalid::new(
        "network",
        format!(
            "'{network}' is not a network Bluelamp connects to; choose from {}",
            NETWORKS.join(", ")
        ),
    ))
}

/// Where a network's accounts live when the administrator names no server.
pub fn default_service(network: &str) -> &'static str {
    match network {
        "facebook" => "https://graph.facebook.com",
        "x" => "https://api.x.com",
        _ => "https://bsky.social",
    }
}

fn require_admin(staff: &Staff) -> ServiceResult<()> {
    staff.authorize(Action::ConfigureForce)?;
    staff.require_scope("admin")?;
    if !matches!(staff.role, Role::ForceAdmin | Role::ServerAdmin) {
        return Err(ServiceError::Forbidden(
            "Only a force administrator connects accounts to other networks.".into(),
        ));
    }
    Ok(())
}

fn check_service_url(url: &str) -> ServiceResult<&str> {
    let url = url.trim().trim_end_matches('/');
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 300
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !ok {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "service",
            "give the address of the account's server, e.g. https://bsky.social",
        )));
    }
    Ok(url)
}

/// Connect an account to its identity on `network`: the credential is tried
/// first (a wrong one is refused, nothing stored), then sealed and kept; audited.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    store: &Store,
    staff: &Staff,
    networks: &dyn Networks,
    account: AccountId,
    network: &str,
    service_url: &str,
    identifier: &str,
    secret: &str,
) -> ServiceResult<Connection> {
    require_admin(staff)?;
    let connector = networks
        .network(network)
        .ok_or_else(|| unsupported(network))?;
    if network == "x" {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "network",
            "X is connected by authorisation, not a typed credential: use \"Connect X\" on the account's page",
        )));
    }
    let service_url = match service_url.trim() {
        "" => default_service(network),
        given => given,
    };
    let service_url = check_service_url(service_url)?;
    let identifier = crate::error::required_text("identifier", identifier, 253)?;
    let secret = crate::error::required_text("secret", secret, 2000)?;
    let found = {
        let mut conn = store.read().await?;
        crate::accounts::account_in_force(&mut conn, staff, account).await?
    };
    let credentials = Credentials::new(service_url, identifier, secret);
    // Network work before the transaction: a slow server never holds the writer.
    let identity = match connector.verify(&credentials).await {
        Ok(identity) => identity,
        Err(error) => {
            let mut tx = store.write().await?;
            let mut draft = entry(staff, "account.connect-failed", "account", account.0);
            draft.after = Some(json!({"network": network, "service": service_url, "identifier": identifier, "error": error.to_string()}).to_string());
            audit::append(&mut tx, draft).await?;
            tx.commit().await?;
            return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "secret",
                format!("could not sign in to {network} as {identifier}: {error}"),
            )));
        }
    };
    let sealed = networks
        .sealing_key()
        .seal(secret)
        .ok_or_else(|| ServiceError::Internal("sealing a credential failed".into()))?;
    let mut tx = store.write().await?;
    let saved = store::upsert(
        &mut tx,
        found.force_id,
        account,
        network,
        service_url,
        &identity.name,
        &identity.remote_id,
        &sealed,
    )
    .await?;
    start_inbound(&mut tx, &saved).await?;
    let mut draft = entry(staff, "account.connect", "account", account.0);
    draft.after = Some(json!({"network": network, "service": service_url, "identity": identity.name, "remote_id": identity.remote_id}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Start (or restart) fetching the connection's replies and mentions for the
/// inbox, and send at once the posts that waited for it.
async fn start_inbound(tx: &mut AnyConnection, saved: &Connection) -> ServiceResult<()> {
    jobs::enqueue(
        tx,
        INBOUND_JOB,
        &json!({"connection": saved.id}),
        &bluelamp_store::now_text(),
        Some(&format!("inbound:{}:{}", saved.id, saved.updated_at)),
        1_000_000,
    )
    .await?;
    for waiting in store::waiting(tx, saved.id).await? {
        jobs::run_now(tx, &format!("crosspost:{}", waiting.id)).await?;
    }
    Ok(())
}

/// Disconnect: the credential is forgotten at once; posts already there stay.
pub async fn disconnect(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    network: &str,
) -> ServiceResult<bool> {
    require_admin(staff)?;
    if !NETWORKS.contains(&network) {
        return Err(unsupported(network));
    }
    let mut tx = store.write().await?;
    crate::accounts::account_in_force(&mut tx, staff, account).await?;
    let Some(found) = store::for_account(&mut tx, account, network).await? else {
        return Ok(false);
    };
    store::set_status(&mut tx, found.id, store::REVOKED, None).await?;
    let mut draft = entry(staff, "account.disconnect", "account", account.0);
    draft.after = Some(json!({"network": network}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(true)
}

/// The account's connections (credentials never included).
pub async fn connections(
    store: &Store,
    staff: &Staff,
    account: AccountId,
) -> ServiceResult<Vec<Connection>> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    crate::accounts::account_in_force(&mut conn, staff, account).await?;
    Ok(store::all_for_account(&mut conn, account).await?)
}

/// The networks a post on `account` can go to besides the fediverse and e-mail.
pub async fn connected_networks(
    conn: &mut AnyConnection,
    account: AccountId,
) -> ServiceResult<Vec<String>> {
    Ok(store::all_for_account(conn, account)
        .await?
        .into_iter()
        .filter(|c| c.status != store::REVOKED)
        .map(|c| c.network)
        .collect())
}

/// What became of a post on each network.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelStatus {
    #[serde(flatten)]
    pub channel: ChannelPost,
    /// When it will be tried again, while it waits after a failure.
    pub next_try: Option<String>,
}

pub async fn post_channels(
    store: &Store,
    staff: &Staff,
    post_id: i64,
) -> ServiceResult<Vec<ChannelStatus>> {
    staff.authorize(Action::ViewAccounts)?;
    let mut conn = store.read().await?;
    let post = posts::get(&mut conn, post_id)
        .await
        .map_err(|_| ServiceError::NotFound("post"))?;
    staff
        .force_in_scope(post.force_id)
        .map_err(|_| ServiceError::NotFound("post"))?;
    let mut out = Vec::new();
    for channel in store::for_post(&mut conn, post_id).await? {
        let next_try = if channel.status == "queued" && channel.last_error.is_some() {
            jobs::next_run(&mut conn, &format!("crosspost:{}", channel.id)).await?
        } else {
            None
        };
        out.push(ChannelStatus { channel, next_try });
    }
    Ok(out)
}

/// In the publishing transaction: queue the post for each connected network it
/// names (a job per network, never a network call here).
pub(crate) async fn on_published(
    conn: &mut AnyConnection,
    post: &posts::Post,
) -> ServiceResult<()> {
    for connection in store::all_for_account(conn, post.account_id).await? {
        if connection.status == store::REVOKED || !post.channels.contains(&connection.network) {
            continue;
        }
        if let Some(id) = store::queue_post(conn, post.id, &connection).await? {
            jobs::enqueue(
                conn,
                SEND_JOB,
                &json!({"channel_post": id}),
                &bluelamp_store::now_text(),
                Some(&format!("crosspost:{id}")),
                SEND_TRIES,
            )
            .await?;
        }
    }
    Ok(())
}

/// In the deletion transaction: remove the post from every network it reached.
pub(crate) async fn on_deleted(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    for channel in store::for_post(conn, post.id).await? {
        if channel.status == "sent" || channel.status == "queued" {
            jobs::enqueue(
                conn,
                DELETE_JOB,
                &json!({"channel_post": channel.id}),
                &bluelamp_store::now_text(),
                Some(&format!("crosspost-delete:{}", channel.id)),
                12,
            )
            .await?;
        }
    }
    Ok(())
}

/// How long an authorisation may take before its state is refused.
const GRANT_MINUTES: i64 = 15;

/// Start connecting an account by OAuth (X, with PKCE): where to send the
/// administrator's browser. The verifier stays here; the state comes back.
pub async fn start_authorization(
    store: &Store,
    staff: &Staff,
    networks: &dyn Networks,
    account: AccountId,
    network: &str,
) -> ServiceResult<String> {
    require_admin(staff)?;
    let connector = networks
        .network(network)
        .ok_or_else(|| unsupported(network))?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let state = crate::auth::random_token(16);
    let verifier = crate::auth::random_token(32);
    let challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let url = connector.authorize_url(&state, &challenge).ok_or_else(|| {
        ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "network",
            format!("{network} is connected with a credential typed in, not by authorisation (or its app is not configured on this server)"),
        ))
    })?;
    let mut tx = store.write().await?;
    let found = crate::accounts::account_in_force(&mut tx, staff, account).await?;
    store::start_grant(
        &mut tx,
        &state,
        &store::Grant {
            force_id: found.force_id,
            account_id: account,
            network: network.to_string(),
            verifier,
            started_by: user,
            created_at: String::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

/// The network sent the administrator back with `code` for `state`: exchange it
/// for the credential, check who it is, seal and keep it; audited. A state not
/// ours, used before, too old, or started by someone else is refused.
pub async fn finish_authorization(
    store: &Store,
    staff: &Staff,
    networks: &dyn Networks,
    state: &str,
    code: &str,
) -> ServiceResult<Connection> {
    require_admin(staff)?;
    let grant = {
        let mut tx = store.write().await?;
        let grant = store::take_grant(&mut tx, state.trim()).await?;
        tx.commit().await?;
        grant
    };
    let refused = || {
        ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "state",
            "this authorisation is unknown, already used or expired: start connecting again",
        ))
    };
    let grant = grant.ok_or_else(refused)?;
    let too_old = bluelamp_store::format_time(
        bluelamp_store::clock::now() - time::Duration::minutes(GRANT_MINUTES),
    );
    if grant.created_at < too_old || Some(grant.started_by) != staff.user_id {
        return Err(refused());
    }
    let connector = networks
        .network(&grant.network)
        .ok_or_else(|| unsupported(&grant.network))?;
    let credentials = connector
        .exchange(code.trim(), &grant.verifier)
        .await
        .map_err(|e| {
            ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "code",
                format!("{} refused the authorisation: {e}", grant.network),
            ))
        })?;
    let identity = connector.verify(&credentials).await.map_err(|e| {
        ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "code",
            format!("could not sign in to {}: {e}", grant.network),
        ))
    })?;
    let secret = credentials
        .take_renewed()
        .unwrap_or(credentials.secret.clone());
    let sealed = networks
        .sealing_key()
        .seal(&secret)
        .ok_or_else(|| ServiceError::Internal("sealing a credential failed".into()))?;
    let mut tx = store.write().await?;
    crate::accounts::account_in_force(&mut tx, staff, grant.account_id).await?;
    let saved = store::upsert(
        &mut tx,
        grant.force_id,
        grant.account_id,
        &grant.network,
        &credentials.service_url,
        &identity.name,
        &identity.remote_id,
        &sealed,
    )
    .await?;
    start_inbound(&mut tx, &saved).await?;
    let mut draft = entry(staff, "account.connect", "account", grant.account_id.0);
    draft.after = Some(json!({"network": grant.network, "identity": identity.name, "remote_id": identity.remote_id, "by": "authorisation"}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(saved)
}
