//! E-mail subscribers and the durable mail outbox.
//!
//! A subscriber row is personal data and holds only what delivery needs: the
//! address, what it follows (one account or the whole force), immediate or digest,
//! its state and timestamps. Confirmation tokens are stored as SHA-256 hashes only.
//! Erasure deletes the row and every outbox message addressed to it.
//!
//! The outbox is written in the same transaction as the change that causes a
//! message (a subscription, a post going public), so a crash neither loses nor
//! doubles mail. Senders claim due messages with a lease, like the job table.

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Backend, Result, StoreError};

/// Subscriber states.
pub const PENDING: &str = "pending";
pub const CONFIRMED: &str = "confirmed";
pub const UNSUBSCRIBED: &str = "unsubscribed";
pub const SUSPENDED: &str = "suspended";

#[derive(Debug, Clone, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub force_id: ForceId,
    /// `None`: every account of the force.
    pub account_id: Option<AccountId>,
    pub email: String,
    /// `immediate` or `digest`.
    pub mode: String,
    pub status: String,
    #[serde(skip)]
    pub confirm_token_hash: Option<String>,
    pub confirm_expires_at: Option<String>,
    #[serde(skip)]
    pub confirm_sends: i64,
    #[serde(skip)]
    pub confirm_window_start: Option<String>,
    pub bounce_count: i64,
    pub last_digest_at: Option<String>,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub updated_at: String,
    /// Postcode districts followed ("LL29,LL22"); `None`: everything.
    pub areas: Option<String>,
    /// Topics followed ("incidents,appeals"); `None`: all of them.
    pub topics: Option<String>,
    /// An area the subscriber drew: a GeoJSON Polygon, validated when stored.
    pub area_geojson: Option<String>,
}

const SUBSCRIBER_COLUMNS: &str = "id, force_id, account_id, email, mode, status, \
    confirm_token_hash, confirm_expires_at, confirm_sends, confirm_window_start, bounce_count, \
    last_digest_at, created_at, confirmed_at, updated_at, areas, topics, area_geojson";

fn subscriber_from(row: &AnyRow) -> Result<Subscriber> {
    Ok(Subscriber {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        account_id: row.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        email: row.try_get("email")?,
        mode: row.try_get("mode")?,
        status: row.try_get("status")?,
        confirm_token_hash: row.try_get("confirm_token_hash")?,
        confirm_expires_at: row.try_get("confirm_expires_at")?,
        confirm_sends: row.try_get("confirm_sends")?,
        confirm_window_start: row.try_get("confirm_window_start")?,
        bounce_count: row.try_get("bounce_count")?,
        last_digest_at: row.try_get("last_digest_at")?,
        created_at: row.try_get("created_at")?,
        confirmed_at: row.try_get("confirmed_at")?,
        updated_at: row.try_get("updated_at")?,
        areas: row.try_get("areas")?,
        topics: row.try_get("topics")?,
        area_geojson: row.try_get("area_geojson")?,
    })
}

/// What a subscriber follows: postcode districts, topics and a drawn area
/// (`None` for each: no narrowing by it).
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertFilter<'a> {
    pub areas: Option<&'a str>,
    pub topics: Option<&'a str>,
    pub area_geojson: Option<&'a str>,
}

/// Follow only what `filter` says.
pub async fn set_filter(conn: &mut AnyConnection, id: i64, filter: AlertFilter<'_>) -> Result<()> {
    sqlx::query("UPDATE subscribers SET areas = $1, topics = $2, area_geojson = $3 WHERE id = $4")
        .bind(filter.areas)
        .bind(filter.topics)
        .bind(filter.area_geojson)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The row for this address and scope, whatever its state.
pub async fn find(
    conn: &mut AnyConnection,
    force: ForceId,
    account: Option<AccountId>,
    email: &str,
) -> Result<Option<Subscriber>> {
    let row = match account {
        Some(account) => {
            sqlx::query(&format!(
                "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers \
                 WHERE force_id = $1 AND account_id = $2 AND email = $3"
            ))
            .bind(force.0)
            .bind(account.0)
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers \
                 WHERE force_id = $1 AND account_id IS NULL AND email = $2"
            ))
            .bind(force.0)
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    row.as_ref().map(subscriber_from).transpose()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Subscriber>> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(subscriber_from).transpose()
}

pub async fn by_confirm_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<Subscriber>> {
    let row = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE confirm_token_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(subscriber_from).transpose()
}

/// A new subscription waiting for its confirmation.
pub struct NewSubscriber<'a> {
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub email: &'a str,
    pub mode: &'a str,
    pub confirm_token_hash: &'a str,
    pub confirm_expires_at: &'a str,
}

pub async fn insert_pending(
    conn: &mut AnyConnection,
    new: &NewSubscriber<'_>,
) -> Result<Subscriber> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "INSERT INTO subscribers (force_id, account_id, email, mode, status, confirm_token_hash, \
         confirm_expires_at, confirm_sends, confirm_window_start, bounce_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, 0, $8, $8) RETURNING {SUBSCRIBER_COLUMNS}"
    ))
    .bind(new.force_id.0)
    .bind(new.account_id.map(|a| a.0))
    .bind(new.email)
    .bind(new.mode)
    .bind(PENDING)
    .bind(new.confirm_token_hash)
    .bind(new.confirm_expires_at)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::conflict_if_unique(e, "this address is already subscribed"))?;
    subscriber_from(&row)
}

/// Give a pending (or lapsed) subscription a fresh confirmation token. The
/// throttle counters are the caller's to decide.
pub async fn renew_confirmation(
    conn: &mut AnyConnection,
    id: i64,
    mode: &str,
    confirm_token_hash: &str,
    confirm_expires_at: &str,
    confirm_sends: i64,
    confirm_window_start: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE subscribers SET status = $1, mode = $2, confirm_token_hash = $3, \
         confirm_expires_at = $4, confirm_sends = $5, confirm_window_start = $6, updated_at = $7 \
         WHERE id = $8",
    )
    .bind(PENDING)
    .bind(mode)
    .bind(confirm_token_hash)
    .bind(confirm_expires_at)
    .bind(confirm_sends)
    .bind(confirm_window_start)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Count a mail a subscribe request caused without changing the subscription.
pub async fn count_confirm_send(
    conn: &mut AnyConnection,
    id: i64,
    confirm_sends: i64,
    confirm_window_start: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE subscribers SET confirm_sends = $1, confirm_window_start = $2 WHERE id = $3",
    )
    .bind(confirm_sends)
    .bind(confirm_window_start)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Mark a subscription confirmed. The token hash stays so that a second click
/// on the same link can be told "already confirmed" rather than "unknown link".
pub async fn confirm(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "UPDATE subscribers SET status = $1, confirmed_at = $2, bounce_count = 0, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(CONFIRMED)
    .bind(&now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Change the delivery choice of a live subscription.
pub async fn set_mode(conn: &mut AnyConnection, id: i64, mode: &str) -> Result<()> {
    sqlx::query("UPDATE subscribers SET mode = $1, updated_at = $2 WHERE id = $3")
        .bind(mode)
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_status(conn: &mut AnyConnection, id: i64, status: &str) -> Result<()> {
    sqlx::query("UPDATE subscribers SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Count one bounce; returns the new count.
pub async fn add_bounce(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE subscribers SET bounce_count = bounce_count + 1, updated_at = $1 WHERE id = $2 \
         RETURNING bounce_count",
    )
    .bind(now_text())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(row.try_get("bounce_count")?),
        None => Err(StoreError::NotFound("subscriber")),
    }
}

/// A delivery went through: bounces count only when they come in a row.
pub async fn clear_bounces(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE subscribers SET bounce_count = 0 WHERE id = $1 AND bounce_count <> 0")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every subscriber of a force, for export.
pub async fn list_for_force(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE force_id = $1 ORDER BY id"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(subscriber_from).collect()
}

/// The subscriptions of one address within a force.
pub async fn by_email(
    conn: &mut AnyConnection,
    force: ForceId,
    email: &str,
) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE force_id = $1 AND email = $2 ORDER BY id"
    ))
    .bind(force.0)
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(subscriber_from).collect()
}

/// Confirmed immediate subscribers who should hear of a post on `account`.
pub async fn immediate_recipients(
    conn: &mut AnyConnection,
    force: ForceId,
    account: AccountId,
) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE force_id = $1 AND status = $2 \
         AND mode = 'immediate' AND (account_id IS NULL OR account_id = $3) ORDER BY id"
    ))
    .bind(force.0)
    .bind(CONFIRMED)
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(subscriber_from).collect()
}

/// Confirmed digest subscribers who have had no digest yet, or whose last one
/// went out at or before `before`.
pub async fn digest_due(conn: &mut AnyConnection, before: &str) -> Result<Vec<Subscriber>> {
    let rows = sqlx::query(&format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM subscribers WHERE status = $1 AND mode = 'digest' \
         AND (last_digest_at IS NULL OR last_digest_at <= $2) ORDER BY id"
    ))
    .bind(CONFIRMED)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(subscriber_from).collect()
}

pub async fn set_last_digest(conn: &mut AnyConnection, id: i64, at: &str) -> Result<()> {
    sqlx::query("UPDATE subscribers SET last_digest_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A public post as a digest lists it.
#[derive(Debug, Clone)]
pub struct DigestPost {
    pub id: i64,
    pub account_id: AccountId,
    pub body: String,
    pub published_at: String,
    /// What it is linked to (incident, appeal, case), for area alerts.
    pub link_kind: Option<String>,
    pub link_ref: Option<String>,
}

/// Posts made public in `(since, until]` on `account`, or on any account of the
/// force, oldest first.
pub async fn published_between(
    conn: &mut AnyConnection,
    force: ForceId,
    account: Option<AccountId>,
    since: &str,
    until: &str,
    limit: i64,
) -> Result<Vec<DigestPost>> {
    let rows = sqlx::query(
        "SELECT id, account_id, body, published_at, link_kind, link_ref FROM posts WHERE force_id = $1 \
         AND ($2 = 0 OR account_id = $3) AND status = 'published' AND deleted_at IS NULL \
         AND published_at > $4 AND published_at <= $5 ORDER BY published_at, id LIMIT $6",
    )
    .bind(force.0)
    .bind(i64::from(account.is_some()))
    .bind(account.map(|a| a.0).unwrap_or(0))
    .bind(since)
    .bind(until)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DigestPost {
                id: row.try_get("id")?,
                account_id: AccountId(row.try_get("account_id")?),
                body: row.try_get("body")?,
                published_at: row.try_get("published_at")?,
                link_kind: row.try_get("link_kind")?,
                link_ref: row.try_get("link_ref")?,
            })
        })
        .collect()
}

/// Delete subscribers and every outbox message addressed to them.
pub async fn erase(conn: &mut AnyConnection, ids: &[i64]) -> Result<()> {
    for id in ids {
        sqlx::query("DELETE FROM mail_outbox WHERE subscriber_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM subscribers WHERE id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Remove an address from any outbox message not tied to a subscriber row.
pub async fn scrub_outbox_address(conn: &mut AnyConnection, email: &str) -> Result<u64> {
    let done =
        sqlx::query("DELETE FROM mail_outbox WHERE to_address = $1 AND subscriber_id IS NULL")
            .bind(email)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected())
}

/// How many rows in the database still hold this address (subscribers and
/// outbox), so erasure can be checked.
pub async fn rows_holding_address(conn: &mut AnyConnection, email: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM subscribers WHERE email = $1) \
         + (SELECT COUNT(*) FROM mail_outbox WHERE to_address = $1 OR text_body LIKE $2) AS n",
    )
    .bind(email)
    .bind(format!("%{email}%"))
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// The server's key for deriving unsubscribe links, created on first use from
/// `fresh` (a random secret the caller made).
pub async fn mail_key(conn: &mut AnyConnection, name: &str, fresh: &str) -> Result<String> {
    sqlx::query(
        "INSERT INTO mail_keys (name, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT secret FROM mail_keys WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("secret")?)
}

/// The key, if it was ever created (read paths must not create it).
pub async fn existing_mail_key(conn: &mut AnyConnection, name: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT secret FROM mail_keys WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("secret")).transpose()?)
}

/// Outbox states.
pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const BOUNCED: &str = "bounced";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Serialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub subscriber_id: Option<i64>,
    /// `confirm`, `post` or `digest`.
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub list_unsubscribe: Option<String>,
    pub status: String,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub sent_at: Option<String>,
    pub failed_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

const OUTBOX_COLUMNS: &str = "id, subscriber_id, kind, to_address, subject, text_body, html_body, \
    list_unsubscribe, status, run_at, attempts, max_attempts, sent_at, failed_at, last_error, created_at";

fn message_from(row: &AnyRow) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: row.try_get("id")?,
        subscriber_id: row.try_get("subscriber_id")?,
        kind: row.try_get("kind")?,
        to_address: row.try_get("to_address")?,
        subject: row.try_get("subject")?,
        text_body: row.try_get("text_body")?,
        html_body: row.try_get("html_body")?,
        list_unsubscribe: row.try_get("list_unsubscribe")?,
        status: row.try_get("status")?,
        run_at: row.try_get("run_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        sent_at: row.try_get("sent_at")?,
        failed_at: row.try_get("failed_at")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A message to queue.
pub struct NewMessage<'a> {
    pub subscriber_id: Option<i64>,
    pub kind: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub list_unsubscribe: Option<&'a str>,
    pub run_at: &'a str,
    pub max_attempts: i64,
    /// A second message with the same key is never queued (e.g. one per
    /// subscriber and post).
    pub dedupe_key: Option<&'a str>,
}

/// Queue a message; `None` when its dedupe key was already used.
pub async fn enqueue(conn: &mut AnyConnection, message: &NewMessage<'_>) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO mail_outbox (subscriber_id, kind, to_address, subject, text_body, html_body, \
         list_unsubscribe, status, run_at, attempts, max_attempts, created_at, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $12) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(message.subscriber_id)
    .bind(message.kind)
    .bind(message.to_address)
    .bind(message.subject)
    .bind(message.text_body)
    .bind(message.html_body)
    .bind(message.list_unsubscribe)
    .bind(QUEUED)
    .bind(message.run_at)
    .bind(message.max_attempts)
    .bind(now_text())
    .bind(message.dedupe_key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Claim up to `limit` due messages for `lease_seconds`; each claim counts an
/// attempt. A sender that dies leaves its messages to be claimed again when the
/// lease runs out.
pub async fn claim_due(
    conn: &mut AnyConnection,
    backend: Backend,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<OutboxMessage>> {
    let queue = crate::leased_queue::Queue {
        table: "mail_outbox",
        pending: "status = 'queued'",
        returning: OUTBOX_COLUMNS,
    };
    let rows = crate::leased_queue::claim(conn, backend, &queue, limit, lease_seconds).await?;
    let mut claimed = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// Delivered. The bodies (which carry links with secrets) are no longer needed,
/// so they are cleared; the row stays as a record that mail went out.
pub async fn mark_sent(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET status = $1, sent_at = $2, locked_until = NULL, last_error = NULL, \
         text_body = '', html_body = '', list_unsubscribe = NULL WHERE id = $3",
    )
    .bind(SENT)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A transient failure: try again at `run_at`.
pub async fn retry_at(conn: &mut AnyConnection, id: i64, error: &str, run_at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET last_error = $1, run_at = $2, locked_until = NULL WHERE id = $3",
    )
    .bind(error)
    .bind(run_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The end of a message that will not be delivered: `bounced`, `failed` or
/// `cancelled`.
pub async fn finish_undelivered(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    error: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET status = $1, last_error = $2, failed_at = $3, locked_until = NULL \
         WHERE id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Cancel every queued message to a subscriber (unsubscribed or suspended).
pub async fn cancel_queued_for(
    conn: &mut AnyConnection,
    subscriber: i64,
    reason: &str,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE mail_outbox SET status = $1, last_error = $2, failed_at = $3, locked_until = NULL \
         WHERE subscriber_id = $4 AND status = $5",
    )
    .bind(CANCELLED)
    .bind(reason)
    .bind(now_text())
    .bind(subscriber)
    .bind(QUEUED)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

pub async fn message(conn: &mut AnyConnection, id: i64) -> Result<Option<OutboxMessage>> {
    let row = sqlx::query(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM mail_outbox WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(message_from).transpose()
}

/// Every outbox message, oldest first (tests and operations).
pub async fn all_messages(conn: &mut AnyConnection) -> Result<Vec<OutboxMessage>> {
    let rows = sqlx::query(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM mail_outbox ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(message_from).collect()
}
