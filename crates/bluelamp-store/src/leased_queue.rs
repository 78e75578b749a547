//! What the three durable queues (scheduled `jobs`, the `mail_outbox` and the
//! federation `deliveries`) share: claiming due rows under a lease.
//!
//! A claim sets `locked_until` and counts an attempt in one statement, so a
//! worker that dies leaves its rows to be claimed again when the lease ends
//! (at least once; each queue's consumer is idempotent or deduplicated).
//! On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several servers share a table;
//! SQLite has one writer at a time, so the plain subquery is already exclusive.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::{format_time, now_text, Backend, Result};

/// One queue table: its name, what makes a row still pending, and the columns a
/// claim returns. All three are ours (never user input).
pub(crate) struct Queue {
    pub table: &'static str,
    pub pending: &'static str,
    pub returning: &'static str,
}

/// Claim up to `limit` rows that are pending, due (`run_at <= now`) and not
/// leased, oldest first, for `lease_seconds`.
pub(crate) async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    queue: &Queue,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<AnyRow>> {
    let now = now_text();
    let lease = format_time(crate::clock::now() + time::Duration::seconds(lease_seconds));
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let Queue {
        table,
        pending,
        returning,
    } = queue;
    let rows = sqlx::query(&format!(
        "UPDATE {table} SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
           SELECT id FROM {table} WHERE {pending} AND run_at <= $2 \
           AND (locked_until IS NULL OR locked_until <= $2) ORDER BY run_at, id LIMIT $3{lock}) \
         RETURNING {returning}"
    ))
    .bind(lease)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows)
}
