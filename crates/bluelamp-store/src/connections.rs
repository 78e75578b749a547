//! Accounts' connections to other networks and the posts sent there (migration
//! 0026).

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

pub const CONNECTED: &str = "connected";
pub const RECONNECT: &str = "reconnect-needed";
pub const REVOKED: &str = "revoked";

#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub id: i64,
    pub force_id: ForceId,
    pub account_id: AccountId,
    pub network: String,
    pub service_url: String,
    pub identifier: String,
    /// The account's id there (a DID on Bluesky).
    pub remote_id: String,
    #[serde(skip)]
    pub sealed_secret: Option<String>,
    /// connected, reconnect-needed or revoked.
    pub status: String,
    pub last_error: Option<String>,
    #[serde(skip)]
    pub inbound_cursor: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, force_id, account_id, network, service_url, identifier, remote_id, \
    sealed_secret, status, last_error, inbound_cursor, created_at, updated_at";

fn connection_from(row: &AnyRow) -> Result<Connection> {
    Ok(Connection {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        account_id: AccountId(row.try_get("account_id")?),
        network: row.try_get("network")?,
        service_url: row.try_get("service_url")?,
        identifier: row.try_get("identifier")?,
        remote_id: row.try_get("remote_id")?,
        sealed_secret: row.try_get("sealed_secret")?,
        status: row.try_get("status")?,
        last_error: row.try_get("last_error")?,
        inbound_cursor: row.try_get("inbound_cursor")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Connect (or reconnect) an account to a network.
#[allow(clippy::too_many_arguments)]
pub async fn upsert(
    conn: &mut AnyConnection,
    force: ForceId,
    account: AccountId,
    network: &str,
    service_url: &str,
    identifier: &str,
    remote_id: &str,
    sealed_secret: &str,
) -> Result<Connection> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO channel_connections (force_id, account_id, network, service_url, identifier, \
         remote_id, sealed_secret, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (account_id, network) DO UPDATE SET service_url = $4, identifier = $5, \
         remote_id = $6, sealed_secret = $7, status = $8, last_error = NULL, updated_at = $9",
    )
    .bind(force.0)
    .bind(account.0)
    .bind(network)
    .bind(service_url)
    .bind(identifier)
    .bind(remote_id)
    .bind(sealed_secret)
    .bind(CONNECTED)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for_account(conn, account, network)
        .await?
        .ok_or(StoreError::NotFound("connection"))
}

pub async fn for_account(
    conn: &mut AnyConnection,
    account: AccountId,
    network: &str,
) -> Result<Option<Connection>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channel_connections WHERE account_id = $1 AND network = $2"
    ))
    .bind(account.0)
    .bind(network)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(connection_from).transpose()
}

/// Every connection in working order, for the follower snapshot.
pub async fn connected(conn: &mut AnyConnection) -> Result<Vec<Connection>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channel_connections WHERE status = 'connected' ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(connection_from).collect()
}

pub async fn all_for_account(
    conn: &mut AnyConnection,
    account: AccountId,
) -> Result<Vec<Connection>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channel_connections WHERE account_id = $1 ORDER BY network"
    ))
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(connection_from).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Connection> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channel_connections WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("connection"))?;
    connection_from(&row)
}

/// Change a connection's status (revoking also forgets its credential).
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    let forget = status == REVOKED;
    sqlx::query(
        "UPDATE channel_connections SET status = $1, last_error = $2, updated_at = $3, \
         sealed_secret = CASE WHEN $4 THEN NULL ELSE sealed_secret END WHERE id = $5",
    )
    .bind(status)
    .bind(error)
    .bind(now_text())
    .bind(forget)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_cursor(conn: &mut AnyConnection, id: i64, cursor: &str) -> Result<()> {
    sqlx::query("UPDATE channel_connections SET inbound_cursor = $1 WHERE id = $2")
        .bind(cursor)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One post on one network.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelPost {
    pub id: i64,
    pub post_id: i64,
    #[serde(skip)]
    pub connection_id: i64,
    pub network: String,
    /// queued, sent, failed or removed.
    pub status: String,
    pub remote_uri: Option<String>,
    #[serde(skip)]
    pub remote_cid: Option<String>,
    /// Where people see it there.
    pub remote_url: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: String,
}

const POST_COLUMNS: &str =
    "id, post_id, connection_id, network, status, remote_uri, remote_cid, remote_url, last_error, updated_at";

fn channel_post_from(row: &AnyRow) -> Result<ChannelPost> {
    Ok(ChannelPost {
        id: row.try_get("id")?,
        post_id: row.try_get("post_id")?,
        connection_id: row.try_get("connection_id")?,
        network: row.try_get("network")?,
        status: row.try_get("status")?,
        remote_uri: row.try_get("remote_uri")?,
        remote_cid: row.try_get("remote_cid")?,
        remote_url: row.try_get("remote_url")?,
        last_error: row.try_get("last_error")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Queue a post for a connection; `None` when it already was (never twice).
pub async fn queue_post(
    conn: &mut AnyConnection,
    post_id: i64,
    connection: &Connection,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO channel_posts (post_id, connection_id, network, status, updated_at) \
         VALUES ($1, $2, $3, 'queued', $4) ON CONFLICT (post_id, connection_id) DO NOTHING RETURNING id",
    )
    .bind(post_id)
    .bind(connection.id)
    .bind(&connection.network)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub async fn channel_post(conn: &mut AnyConnection, id: i64) -> Result<ChannelPost> {
    let row = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM channel_posts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("channel post"))?;
    channel_post_from(&row)
}

pub async fn for_post(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<ChannelPost>> {
    let rows = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM channel_posts WHERE post_id = $1 ORDER BY network"
    ))
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(channel_post_from).collect()
}

/// The post of ours at `remote_uri` on a network, if any (a reply to it is to us).
pub async fn by_remote_uri(
    conn: &mut AnyConnection,
    remote_uri: &str,
) -> Result<Option<ChannelPost>> {
    let row = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM channel_posts WHERE remote_uri = $1"
    ))
    .bind(remote_uri)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(channel_post_from).transpose()
}

/// Record what became of a channel post.
pub async fn record(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    remote: Option<(&str, &str, &str)>,
    error: Option<&str>,
) -> Result<()> {
    let (uri, cid, url) = match remote {
        Some((uri, cid, url)) => (Some(uri), Some(cid), Some(url)),
        None => (None, None, None),
    };
    sqlx::query(
        "UPDATE channel_posts SET status = $1, remote_uri = COALESCE($2, remote_uri), \
         remote_cid = COALESCE($3, remote_cid), remote_url = COALESCE($4, remote_url), \
         last_error = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(status)
    .bind(uri)
    .bind(cid)
    .bind(url)
    .bind(error)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The connection's posts still waiting to go (queued).
pub async fn waiting(conn: &mut AnyConnection, connection_id: i64) -> Result<Vec<ChannelPost>> {
    let rows = sqlx::query(&format!(
        "SELECT {POST_COLUMNS} FROM channel_posts WHERE connection_id = $1 AND status = 'queued' ORDER BY id"
    ))
    .bind(connection_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(channel_post_from).collect()
}

/// The live connection on `network` whose identity there is `identifier` (a
/// Bluesky handle that is a domain name served by Bluelamp).
pub async fn by_identifier(
    conn: &mut AnyConnection,
    network: &str,
    identifier: &str,
) -> Result<Option<Connection>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM channel_connections WHERE network = $1 AND identifier = $2 AND status <> $3"
    ))
    .bind(network)
    .bind(identifier)
    .bind(REVOKED)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(connection_from).transpose()
}

/// Replace a connection's sealed credential (a network renewed its token).
pub async fn set_secret(conn: &mut AnyConnection, id: i64, sealed_secret: &str) -> Result<()> {
    sqlx::query("UPDATE channel_connections SET sealed_secret = $1, updated_at = $2 WHERE id = $3")
        .bind(sealed_secret)
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An OAuth authorisation in progress.
#[derive(Debug, Clone)]
pub struct Grant {
    pub force_id: ForceId,
    pub account_id: AccountId,
    pub network: String,
    pub verifier: String,
    pub started_by: bluelamp_domain::UserId,
    pub created_at: String,
}

pub async fn start_grant(conn: &mut AnyConnection, state: &str, grant: &Grant) -> Result<()> {
    sqlx::query(
        "INSERT INTO connector_grants (state, force_id, account_id, network, verifier, started_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(state)
    .bind(grant.force_id.0)
    .bind(grant.account_id.0)
    .bind(&grant.network)
    .bind(&grant.verifier)
    .bind(grant.started_by.0)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Take (and remove: it is used once) the grant for `state`.
pub async fn take_grant(conn: &mut AnyConnection, state: &str) -> Result<Option<Grant>> {
    let row = sqlx::query(
        "DELETE FROM connector_grants WHERE state = $1 \
         RETURNING force_id, account_id, network, verifier, started_by, created_at",
    )
    .bind(state)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Grant {
        force_id: ForceId(row.try_get("force_id")?),
        account_id: AccountId(row.try_get("account_id")?),
        network: row.try_get("network")?,
        verifier: row.try_get("verifier")?,
        started_by: bluelamp_domain::UserId(row.try_get("started_by")?),
        created_at: row.try_get("created_at")?,
    }))
}

/// Takes a slot for one write by `connection_id` under `limits` at `now` (Unix
/// seconds): records it and returns `None`, or returns when a slot frees without
/// recording anything. The connection's row is updated first so that, on
/// PostgreSQL, two servers pacing the same account take turns (the row lock is
/// held to the end of the transaction); SQLite has one writer anyway.
pub async fn take_write_slot(
    conn: &mut AnyConnection,
    connection_id: i64,
    now: i64,
    limits: &[bluelamp_domain::pacing::Limit],
) -> Result<Option<i64>> {
    use bluelamp_domain::pacing;
    sqlx::query("UPDATE channel_connections SET updated_at = updated_at WHERE id = $1")
        .bind(connection_id)
        .execute(&mut *conn)
        .await?;
    let horizon = pacing::horizon(limits);
    sqlx::query("DELETE FROM connector_writes WHERE connection_id = $1 AND at_unix <= $2")
        .bind(connection_id)
        .bind(now - horizon)
        .execute(&mut *conn)
        .await?;
    let mut marks = Vec::with_capacity(limits.len());
    for limit in limits {
        // The limit's mark: its max-th newest write in the window (index only).
        let mark: Option<i64> = sqlx::query(
            "SELECT at_unix FROM connector_writes WHERE connection_id = $1 AND at_unix > $2 \
             ORDER BY at_unix DESC LIMIT 1 OFFSET $3",
        )
        .bind(connection_id)
        .bind(now - limit.seconds)
        .bind(i64::from(limit.max) - 1)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get::<i64, _>(0))
        .transpose()?;
        marks.push((*limit, mark));
    }
    if let Some(at) = pacing::next_slot_from_marks(&marks, now) {
        return Ok(Some(at));
    }
    sqlx::query("INSERT INTO connector_writes (connection_id, at_unix) VALUES ($1, $2)")
        .bind(connection_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(None)
}
