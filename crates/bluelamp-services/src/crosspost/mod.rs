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

use std::future::Future;
use std::pin::Pin;

use bluelamp_domain::{AccountId, Action, Role};
use bluelamp_store::connections::{self as store, ChannelPost, Connection};
use bluelamp_store::{accounts, audit, jobs, media, posts, AnyConnection, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::runner::JobOutcome;
use crate::{ServiceError, ServiceResult, Staff};
pub use sealed::SealingKey;

/// The networks with a connector.
pub const NETWORKS: [&str; 1] = ["bluesky"];
pub const SEND_JOB: &str = "crosspost";
pub const DELETE_JOB: &str = "crosspost_delete";
pub const INBOUND_JOB: &str = "crosspost_inbound";
pub const CORRECT_JOB: &str = "crosspost_correct";
/// How often a connection is asked for new replies and mentions.
pub const INBOUND_EVERY_SECONDS: i64 = 10;
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
    /// BCP 47, e.g. `en` (a Welsh force's posts may say `cy`).
    pub lang: String,
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
}

/// The connectors this process has, and the key that opens their credentials.
pub trait Networks: Send + Sync {
    fn network(&self, name: &str) -> Option<&dyn Network>;
    fn sealing_key(&self) -> &SealingKey;
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
    let service_url = check_service_url(service_url)?;
    let identifier = crate::error::required_text("identifier", identifier, 253)?;
    let secret = crate::error::required_text("secret", secret, 200)?;
    let found = {
        let mut conn = store.read().await?;
        crate::accounts::account_in_force(&mut conn, staff, account).await?
    };
    let credentials = Credentials {
        service_url: service_url.to_string(),
        identifier: identifier.to_string(),
        secret: secret.to_string(),
    };
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
    jobs::enqueue(
        &mut tx,
        INBOUND_JOB,
        &json!({"connection": saved.id}),
        &bluelamp_store::now_text(),
        Some(&format!("inbound:{}:{}", saved.id, saved.updated_at)),
        1_000_000,
    )
    .await?;
    // Posts that waited for a reconnection go now.
    for waiting in store::waiting(&mut tx, saved.id).await? {
        jobs::run_now(&mut tx, &format!("crosspost:{}", waiting.id)).await?;
    }
    let mut draft = entry(staff, "account.connect", "account", account.0);
    draft.after = Some(json!({"network": network, "service": service_url, "identity": identity.name, "remote_id": identity.remote_id}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(saved)
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
        if connection.status == store::REVOKED
            || !post.channels.iter().any(|c| *c == connection.network)
        {
            continue;
        }
        if let Some(id) = store::queue_post(conn, post.id, &connection).await? {
            jobs::enqueue(
                conn,
                SEND_JOB,
                &json!({"channel_post": id}),
                &bluelamp_store::now_text(),
                Some(&format!("crosspost:{id}")),
                12,
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

fn open(networks: &dyn Networks, connection: &Connection) -> Option<Credentials> {
    let secret = networks
        .sealing_key()
        .open(connection.sealed_secret.as_deref()?)?;
    Some(Credentials {
        service_url: connection.service_url.clone(),
        identifier: connection.identifier.clone(),
        secret,
    })
}

/// A network said our credential no longer works: show "reconnect needed".
async fn needs_reconnect(store: &Store, connection: &Connection, why: &str) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    store::set_status(&mut tx, connection.id, store::RECONNECT, Some(why)).await?;
    audit::append(
        &mut tx,
        bluelamp_domain::AuditDraft {
            force_id: Some(connection.force_id),
            actor_label: "connector".into(),
            action: "account.connection-failed".into(),
            target_type: "account".into(),
            target_id: connection.account_id.0.to_string(),
            after: Some(json!({"network": connection.network, "error": why}).to_string()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn record(
    store: &Store,
    id: i64,
    status: &str,
    remote: Option<&Remote>,
    error: Option<&str>,
) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    store::record(
        &mut tx,
        id,
        status,
        remote.map(|r| (r.uri.as_str(), r.cid.as_str(), r.url.as_str())),
        error,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turn a network's answer into the value, or the job's outcome when there is
/// none, recording it on the row: refused for good → failed (why shown); a
/// credential that stopped working → the connection shows "reconnect needed" and
/// the post waits (nothing lost); rate limited → wait until the network's reset;
/// unavailable → an error, retried with the runner's backoff.
async fn settle<T>(
    store: &Store,
    channel: &ChannelPost,
    connection: &Connection,
    result: Result<T, NetError>,
) -> ServiceResult<Result<T, JobOutcome>> {
    let later = |seconds: i64| {
        JobOutcome::Postpone(bluelamp_store::format_time(
            bluelamp_store::clock::now() + time::Duration::seconds(seconds),
        ))
    };
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(NetError::Refused(why)) => {
            record(store, channel.id, "failed", None, Some(&why)).await?;
            Ok(Err(JobOutcome::Done))
        }
        Err(NetError::Auth(why)) => {
            needs_reconnect(store, connection, &why).await?;
            let note = format!("waiting: reconnect the account ({why})");
            record(store, channel.id, &channel.status, None, Some(&note)).await?;
            Ok(Err(later(RECONNECT_WAIT_SECONDS)))
        }
        Err(NetError::Unavailable(why, Some(reset))) => {
            record(store, channel.id, &channel.status, None, Some(&why)).await?;
            Ok(Err(later(
                (reset - bluelamp_store::clock::now_unix()).clamp(1, 24 * 3600),
            )))
        }
        Err(NetError::Unavailable(why, None)) => {
            record(store, channel.id, &channel.status, None, Some(&why)).await?;
            Err(ServiceError::Internal(format!(
                "{} unavailable: {why}",
                connection.network
            )))
        }
    }
}

/// Where `post` sits in a thread on `connection`'s network: the post it replies
/// to there (parent) and that thread's first post (root), when its parent here
/// went there too.
async fn thread_of(
    conn: &mut AnyConnection,
    post: &posts::Post,
    connection: &Connection,
) -> ServiceResult<Option<(RemoteRef, RemoteRef)>> {
    let remote_of = |channels: Vec<ChannelPost>| {
        channels
            .into_iter()
            .find(|c| c.connection_id == connection.id && c.status == "sent")
            .and_then(|c| {
                Some(RemoteRef {
                    uri: c.remote_uri?,
                    cid: c.remote_cid?,
                })
            })
    };
    let Some(parent_id) = post.reply_to_post_id else {
        return Ok(None);
    };
    let Some(parent) = remote_of(store::for_post(conn, parent_id).await?) else {
        return Ok(None);
    };
    // The root: the earliest post up the chain that is there too.
    let mut root = parent.clone();
    let mut next = posts::get(conn, parent_id).await?.reply_to_post_id;
    for _ in 0..50 {
        let Some(id) = next else { break };
        if let Some(found) = remote_of(store::for_post(conn, id).await?) {
            root = found;
        }
        next = posts::get(conn, id).await?.reply_to_post_id;
    }
    Ok(Some((root, parent)))
}

/// What a job needs to send: the row, the connection, the post as the network
/// receives it, and the opened credential (`None`: the job is settled).
async fn prepare(
    store: &Store,
    networks: &dyn Networks,
    id: i64,
) -> ServiceResult<Option<(ChannelPost, Connection, posts::Post, Outgoing, Credentials)>> {
    let (channel, connection, post, images, reply) = {
        let mut conn = store.read().await?;
        let channel = store::channel_post(&mut conn, id).await?;
        let connection = store::get(&mut conn, channel.connection_id).await?;
        let post = posts::get(&mut conn, channel.post_id).await?;
        let images = media::for_post(&mut conn, post.id).await?;
        let reply = thread_of(&mut conn, &post, &connection).await?;
        (channel, connection, post, images, reply)
    };
    if post.status != bluelamp_domain::PostStatus::Published {
        return Ok(None);
    }
    let Some(credentials) = open(networks, &connection) else {
        let why = "the account is not connected (reconnect it)";
        record(store, channel.id, "failed", None, Some(why)).await?;
        return Ok(None);
    };
    let outgoing = Outgoing {
        post_id: post.id,
        text: post.body.clone(),
        images: images
            .into_iter()
            .filter(|m| m.kind == "image")
            .map(|m| OutImage {
                storage_key: m.storage_key,
                content_type: m.content_type,
                alt: m.alt,
                byte_size: m.byte_size,
                width: m.width,
                height: m.height,
            })
            .collect(),
        lang: "en".into(),
        created_at: post
            .published_at
            .clone()
            .unwrap_or_else(bluelamp_store::now_text),
        key_offset: 0,
        reply,
    };
    Ok(Some((channel, connection, post, outgoing, credentials)))
}

fn connector<'a>(
    networks: &'a dyn Networks,
    connection: &Connection,
) -> ServiceResult<&'a dyn Network> {
    networks
        .network(&connection.network)
        .ok_or_else(|| ServiceError::Internal(format!("no connector for {}", connection.network)))
}

/// The job: send one post to one network.
pub async fn send(
    store: &Store,
    networks: &dyn Networks,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let id = job.payload["channel_post"].as_i64().unwrap_or_default();
    let Some((channel, connection, _, outgoing, credentials)) =
        prepare(store, networks, id).await?
    else {
        return Ok(JobOutcome::Done);
    };
    if channel.status == "sent" {
        return Ok(JobOutcome::Done);
    }
    let network = connector(networks, &connection)?;
    let result = network
        .publish(&credentials, &connection.remote_id, &outgoing)
        .await;
    match settle(store, &channel, &connection, result).await? {
        Ok(remote) => {
            record(store, channel.id, "sent", Some(&remote), None).await?;
            Ok(JobOutcome::Done)
        }
        Err(outcome) => Ok(outcome),
    }
}

/// The most a correction reply carries of the edited text.
const CORRECTION_CHARS: usize = 280;

/// The job: a post edited here is corrected there. Bluesky has no edit, so the
/// correction goes out as a reply to the original ("Correction: …"), threaded
/// under it; the original stays, as a newspaper's would.
pub async fn correct(
    store: &Store,
    networks: &dyn Networks,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let id = job.payload["channel_post"].as_i64().unwrap_or_default();
    let version = job.payload["version"].as_i64().unwrap_or_default();
    let Some((channel, connection, post, mut outgoing, credentials)) =
        prepare(store, networks, id).await?
    else {
        return Ok(JobOutcome::Done);
    };
    let (Some(uri), Some(cid)) = (channel.remote_uri.clone(), channel.remote_cid.clone()) else {
        // Not there yet: the send job carries the edited text itself.
        return Ok(JobOutcome::Done);
    };
    let original = RemoteRef { uri, cid };
    let root = outgoing
        .reply
        .as_ref()
        .map_or(original.clone(), |(root, _)| root.clone());
    let mut text: String = post.body.chars().take(CORRECTION_CHARS).collect();
    if post.body.chars().count() > CORRECTION_CHARS {
        text.push('…');
    }
    outgoing.text = format!("Correction: {text}");
    outgoing.images.clear();
    outgoing.key_offset = version.max(1);
    outgoing.reply = Some((root, original));
    let network = connector(networks, &connection)?;
    let result = network
        .publish(&credentials, &connection.remote_id, &outgoing)
        .await;
    match settle(store, &channel, &connection, result).await? {
        Ok(_) => Ok(JobOutcome::Done),
        Err(outcome) => Ok(outcome),
    }
}

/// In the editing transaction: each network the post reached gets a correction.
pub(crate) async fn on_edited(conn: &mut AnyConnection, post: &posts::Post) -> ServiceResult<()> {
    for channel in store::for_post(conn, post.id).await? {
        if channel.status == "sent" {
            jobs::enqueue(
                conn,
                CORRECT_JOB,
                &json!({"channel_post": channel.id, "version": post.version}),
                &bluelamp_store::now_text(),
                Some(&format!(
                    "crosspost-correct:{}:{}",
                    channel.id, post.version
                )),
                12,
            )
            .await?;
        }
    }
    Ok(())
}

/// The job: remove a deleted post from one network.
pub async fn remove(
    store: &Store,
    networks: &dyn Networks,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let id = job.payload["channel_post"].as_i64().unwrap_or_default();
    let (channel, connection) = {
        let mut conn = store.read().await?;
        let channel = store::channel_post(&mut conn, id).await?;
        let connection = store::get(&mut conn, channel.connection_id).await?;
        (channel, connection)
    };
    let (Some(uri), Some(network), Some(credentials)) = (
        channel.remote_uri.clone(),
        networks.network(&connection.network),
        open(networks, &connection),
    ) else {
        // Never sent, or no way to reach it: nothing there to remove.
        record(store, channel.id, "removed", None, None).await?;
        return Ok(JobOutcome::Done);
    };
    let result = network
        .delete(&credentials, &connection.remote_id, &uri)
        .await;
    match settle(store, &channel, &connection, result).await? {
        Ok(()) => {
            record(store, channel.id, "removed", None, None).await?;
            Ok(JobOutcome::Done)
        }
        Err(outcome) => Ok(outcome),
    }
}

/// The recurring job: fetch new replies, mentions and quotes and deliver them to
/// the inbox; the cursor is kept after they are stored, so a restart neither
/// loses nor repeats any (the inbox also keeps each network id once).
pub async fn inbound(
    store: &Store,
    networks: &dyn Networks,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let id = job.payload["connection"].as_i64().unwrap_or_default();
    let connection = {
        let mut conn = store.read().await?;
        store::get(&mut conn, id).await?
    };
    if connection.status == store::REVOKED {
        return Ok(JobOutcome::Done);
    }
    let again = bluelamp_store::format_time(
        bluelamp_store::clock::now() + time::Duration::seconds(INBOUND_EVERY_SECONDS),
    );
    let (Some(network), Some(credentials)) = (
        networks.network(&connection.network),
        open(networks, &connection),
    ) else {
        return Ok(JobOutcome::Postpone(again));
    };
    if connection.status == store::RECONNECT {
        return Ok(JobOutcome::Postpone(again));
    }
    let page = match network
        .inbound(&credentials, connection.inbound_cursor.as_deref())
        .await
    {
        Ok(page) => page,
        Err(NetError::Auth(why)) => {
            needs_reconnect(store, &connection, &why).await?;
            return Ok(JobOutcome::Postpone(again));
        }
        Err(error) => {
            tracing::warn!(
                connection = connection.id,
                "inbound from {} failed: {error}",
                connection.network
            );
            return Ok(JobOutcome::Postpone(again));
        }
    };
    if !page.items.is_empty() {
        let messages: Vec<crate::inbox::ingest::Inbound> = page
            .items
            .iter()
            .map(|item| crate::inbox::ingest::Inbound {
                channel: connection.network.clone(),
                external_id: item.uri.clone(),
                author: crate::inbox::ingest::Author {
                    handle: item.author_handle.clone(),
                    name: item.author_name.clone(),
                    url: item.author_url.clone(),
                },
                text: item.text.clone(),
                media: Vec::new(),
                reply_to: item.reply_to.clone(),
                conversation: item.root.clone(),
                sent_at: Some(item.sent_at.clone()),
                account_id: Some(connection.account_id.0),
            })
            .collect();
        crate::inbox::ingest::ingest(store, connection.force_id, &messages).await?;
    }
    if let Some(cursor) = &page.cursor {
        let mut tx = store.write().await?;
        store::set_cursor(&mut tx, connection.id, cursor).await?;
        tx.commit().await?;
    }
    Ok(JobOutcome::Postpone(again))
}

/// The account a connection belongs to, for pages.
pub async fn account_handle(
    conn: &mut AnyConnection,
    connection: &Connection,
) -> ServiceResult<String> {
    Ok(accounts::get(conn, connection.account_id).await?.handle)
}
