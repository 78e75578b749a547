//! The cross-posting jobs on the one runner: send a post, correct it after an
//! edit, remove it after a deletion, and fetch replies and mentions for the inbox.
//! Each records what became of the post on its row; a network's refusal is
//! settled here, once, into what the job does next.

use bluelamp_store::connections::{self as store, ChannelPost, Connection};
use bluelamp_store::{accounts, audit, jobs, media, posts, AnyConnection, Store};
use serde_json::json;

use super::*;
use crate::runner::JobOutcome;
use crate::{ServiceError, ServiceResult};

pub(crate) fn open(networks: &dyn Networks, connection: &Connection) -> Option<Credentials> {
    let secret = networks
        .sealing_key()
        .open(connection.sealed_secret.as_deref()?)?;
    Some(Credentials::new(
        &connection.service_url,
        &connection.identifier,
        &secret,
    ))
}

/// Keep a credential the network renewed during a call (sealed, as ever).
async fn keep_renewed(
    store: &Store,
    networks: &dyn Networks,
    connection: &Connection,
    credentials: &Credentials,
) -> ServiceResult<()> {
    if let Some(renewed) = credentials.take_renewed() {
        let sealed = networks
            .sealing_key()
            .seal(&renewed)
            .ok_or_else(|| ServiceError::Internal("sealing a credential failed".into()))?;
        let mut tx = store.write().await?;
        store::set_secret(&mut tx, connection.id, &sealed).await?;
        tx.commit().await?;
    }
    Ok(())
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
            let mut tx = store.write().await?;
            store::record(&mut tx, channel.id, "failed", None, Some(&why)).await?;
            crate::staff_notifications::on_failed(
                &mut tx,
                channel.post_id,
                Some(&connection.network),
                &why,
            )
            .await?;
            tx.commit().await?;
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

/// Paces a write by `connection` under its network's limits: `None` to go now
/// (the slot is taken), else the job waits for the first free slot.
async fn pace(
    store: &Store,
    networks: &dyn Networks,
    connection: &Connection,
) -> ServiceResult<Option<JobOutcome>> {
    let limits = networks.limits(&connection.network);
    if limits.is_empty() {
        return Ok(None);
    }
    let mut tx = store.write().await?;
    let wait = store::take_write_slot(
        &mut tx,
        connection.id,
        bluelamp_store::clock::now_unix(),
        &limits,
    )
    .await?;
    tx.commit().await?;
    Ok(wait.map(|at| {
        JobOutcome::Postpone(bluelamp_store::format_time(
            time::OffsetDateTime::from_unix_timestamp(at)
                .unwrap_or_else(|_| bluelamp_store::clock::now()),
        ))
    }))
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
        langs: bluelamp_domain::language::of_text(&post.body),
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
    if let Some(wait) = pace(store, networks, &connection).await? {
        let note = format!("waiting: paced under {}'s rate limits", connection.network);
        record(store, channel.id, &channel.status, None, Some(&note)).await?;
        return Ok(wait);
    }
    let result = network
        .publish(&credentials, &connection.remote_id, &outgoing)
        .await;
    keep_renewed(store, networks, &connection, &credentials).await?;
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
    if let Some(wait) = pace(store, networks, &connection).await? {
        return Ok(wait);
    }
    let result = network
        .publish(&credentials, &connection.remote_id, &outgoing)
        .await;
    keep_renewed(store, networks, &connection, &credentials).await?;
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
    // Not paced: taking something down (an appeal's photo once the person is
    // found) must not wait behind a burst of posts; a 429 is still honoured.
    let result = network
        .delete(&credentials, &connection.remote_id, &uri)
        .await;
    keep_renewed(store, networks, &connection, &credentials).await?;
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
    let page = network
        .inbound(&credentials, connection.inbound_cursor.as_deref())
        .await;
    keep_renewed(store, networks, &connection, &credentials).await?;
    let page = match page {
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

/// In the job's failure transaction, when a send job has used its last try (the
/// network answered 5xx or not at all for more than a day): the row shows it
/// failed and why, and the author is told. The row stays, so nothing is lost.
pub(crate) async fn on_gave_up(
    tx: &mut AnyConnection,
    job: &jobs::Job,
    error: &str,
) -> ServiceResult<()> {
    let id = job.payload["channel_post"].as_i64().unwrap_or_default();
    let channel = store::channel_post(tx, id).await?;
    if channel.status == "sent" {
        return Ok(());
    }
    let why = format!("gave up after {} tries: {error}", job.attempts);
    store::record(tx, channel.id, "failed", None, Some(&why)).await?;
    crate::staff_notifications::on_failed(tx, channel.post_id, Some(&channel.network), &why)
        .await?;
    Ok(())
}
