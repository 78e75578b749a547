//! Outbound activities and their durable, leased delivery queue.

use bluelamp_domain::AccountId;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Backend, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Outbound {
    pub id: i64,
    pub account_id: AccountId,
    pub kind: String,
    pub post_id: Option<i64>,
    pub post_version: Option<i64>,
    pub follow_id: Option<String>,
    pub target_actor: Option<String>,
    pub body: Option<String>,
    /// For an Announce or its Undo: the share it is about.
    pub share_id: Option<i64>,
}

pub struct NewOutbound<'a> {
    pub account_id: AccountId,
    pub kind: &'a str,
    pub post_id: Option<i64>,
    pub post_version: Option<i64>,
    pub follow_id: Option<&'a str>,
    pub target_actor: Option<&'a str>,
    /// One row per key: a repeated hook call adds nothing.
    pub dedupe_key: &'a str,
}

/// Add an outbound activity; `None` if its dedupe key was already used.
pub async fn insert_outbound(conn: &mut AnyConnection, o: &NewOutbound<'_>) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO outbound_activities (account_id, kind, post_id, post_version, follow_id, \
         target_actor, dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(o.account_id.0)
    .bind(o.kind)
    .bind(o.post_id)
    .bind(o.post_version)
    .bind(o.follow_id)
    .bind(o.target_actor)
    .bind(o.dedupe_key)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

pub async fn outbound(conn: &mut AnyConnection, id: i64) -> Result<Outbound> {
    let r = sqlx::query(
        "SELECT id, account_id, kind, post_id, post_version, follow_id, target_actor, body, \
         share_id FROM outbound_activities WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(crate::StoreError::NotFound("outbound activity"))?;
    Ok(Outbound {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        kind: r.try_get("kind")?,
        post_id: r.try_get("post_id")?,
        post_version: r.try_get("post_version")?,
        follow_id: r.try_get("follow_id")?,
        target_actor: r.try_get("target_actor")?,
        body: r.try_get("body")?,
        share_id: r.try_get("share_id")?,
    })
}

/// Name the share an Announce (or Undo) outbound row is about, in the same
/// transaction that inserted it.
pub async fn set_outbound_share(conn: &mut AnyConnection, id: i64, share_id: i64) -> Result<()> {
    sqlx::query("UPDATE outbound_activities SET share_id = $1 WHERE id = $2")
        .bind(share_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Store the built body once; whoever stored first wins (read it back).
pub async fn set_outbound_body(conn: &mut AnyConnection, id: i64, body: &str) -> Result<()> {
    sqlx::query("UPDATE outbound_activities SET body = $1 WHERE id = $2 AND body IS NULL")
        .bind(body)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where an account's activities go: each follower's shared inbox when it has
/// one, else its own inbox, once each.
pub async fn delivery_targets(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT COALESCE(NULLIF(shared_inbox, ''), inbox) AS target FROM followers \
         WHERE account_id = $1 ORDER BY target",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("target")?)).collect()
}

/// Queue one delivery; a second row for the same (activity, inbox) is ignored.
pub async fn enqueue_delivery(
    conn: &mut AnyConnection,
    outbound_id: i64,
    inbox: &str,
    host: &str,
) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "INSERT INTO deliveries (outbound_id, inbox, host, run_at, created_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (outbound_id, inbox) DO NOTHING",
    )
    .bind(outbound_id)
    .bind(inbox)
    .bind(host)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub outbound_id: i64,
    pub account_id: AccountId,
    pub inbox: String,
    pub host: String,
    pub attempts: i64,
    pub status: String,
    pub last_error: Option<String>,
}

fn delivery_from(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        outbound_id: r.try_get("outbound_id")?,
        account_id: AccountId(r.try_get("account_id")?),
        inbox: r.try_get("inbox")?,
        host: r.try_get("host")?,
        attempts: r.try_get("attempts")?,
        status: r.try_get("status")?,
        last_error: r.try_get("last_error")?,
    })
}

/// Claim up to `limit` due deliveries for `lease_seconds`; each claim counts an
/// attempt. A worker that dies leaves its rows to be claimed again when the lease
/// ends, so a delivery survives a crash (at-least-once; receivers dedupe by id).
pub async fn claim_deliveries(
    conn: &mut AnyConnection,
    backend: Backend,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<Delivery>> {
    let queue = crate::leased_queue::Queue {
        table: "deliveries",
        pending: "status = 'queued'",
        returning: "id, outbound_id, inbox, host, attempts, status, last_error, \
            (SELECT account_id FROM outbound_activities o WHERE o.id = deliveries.outbound_id) AS account_id",
    };
    let rows = crate::leased_queue::claim(conn, backend, &queue, limit, lease_seconds).await?;
    rows.iter().map(delivery_from).collect()
}

/// Free every delivery lease. Only for a store one process owns (embedded
/// SQLite) when that process starts: any lease still held is a dead worker's.
pub async fn release_delivery_leases(conn: &mut AnyConnection) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET locked_until = NULL          WHERE status = 'queued' AND locked_until IS NOT NULL",
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// What happened to one claimed delivery.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Delivered {
        status: i64,
    },
    /// Try again at `run_at`; `counted: false` puts it back without using an
    /// attempt (the host's circuit breaker was open).
    Retry {
        run_at: String,
        status: Option<i64>,
        error: String,
        counted: bool,
    },
    Failed {
        status: Option<i64>,
        error: String,
    },
}

pub async fn record_delivery(
    conn: &mut AnyConnection,
    id: i64,
    result: &DeliveryResult,
) -> Result<()> {
    match result {
        DeliveryResult::Delivered { status } => {
            sqlx::query(
                "UPDATE deliveries SET status = 'delivered', delivered_at = $1, last_status = $2, \
                 locked_until = NULL WHERE id = $3",
            )
            .bind(now_text())
            .bind(*status)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        DeliveryResult::Retry {
            run_at,
            status,
            error,
            counted,
        } => {
            sqlx::query(
                "UPDATE deliveries SET run_at = $1, last_status = $2, last_error = $3, \
                 locked_until = NULL, attempts = attempts - $4 WHERE id = $5",
            )
            .bind(run_at)
            .bind(*status)
            .bind(error)
            .bind(if *counted { 0i64 } else { 1i64 })
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        DeliveryResult::Failed { status, error } => {
            sqlx::query(
                "UPDATE deliveries SET status = 'failed', last_status = $1, last_error = $2, \
                 locked_until = NULL WHERE id = $3",
            )
            .bind(*status)
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Deliveries of one outbound activity, for tests and the operations page.
pub async fn deliveries_of(conn: &mut AnyConnection, outbound_id: i64) -> Result<Vec<Delivery>> {
    let rows = sqlx::query(
        "SELECT d.id, d.outbound_id, o.account_id, d.inbox, d.host, d.attempts, d.status, \
         d.last_error FROM deliveries d JOIN outbound_activities o ON o.id = d.outbound_id \
         WHERE d.outbound_id = $1 ORDER BY d.id",
    )
    .bind(outbound_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(delivery_from).collect()
}

/// `(queued, delivered, failed)` over all deliveries.
pub async fn delivery_counts(conn: &mut AnyConnection) -> Result<(i64, i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS q, \
         COALESCE(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END), 0) AS d, \
         COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS f FROM deliveries",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("q")?, row.try_get("d")?, row.try_get("f")?))
}
