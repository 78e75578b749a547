//! The durable job table: side effects (scheduled publishing, e-mail) written in
//! the same transaction as the change that causes them, so a crash neither loses
//! nor doubles them. Workers claim due jobs with a lease; a job whose worker died
//! becomes due again when its lease runs out.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Backend, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}

fn job_from(row: &AnyRow) -> Result<Job> {
    let payload: String = row.try_get("payload")?;
    Ok(Job {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        run_at: row.try_get("run_at")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        last_error: row.try_get("last_error")?,
    })
}

const COLUMNS: &str = "id, kind, payload, run_at, attempts, max_attempts, last_error";

/// Enqueue a job. With a `dedupe_key`, a second enqueue of the same key while the
/// first is not finished is a no-op (returns `None`).
pub async fn enqueue(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
    run_at: &str,
    dedupe_key: Option<&str>,
    max_attempts: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(kind)
    .bind(payload.to_string())
    .bind(dedupe_key)
    .bind(run_at)
    .bind(max_attempts)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?)
}

/// Claim up to `limit` due jobs for `lease_seconds`. Each claim counts an attempt.
pub async fn claim_due(
    conn: &mut AnyConnection,
    backend: Backend,
    limit: i64,
    lease_seconds: i64,
) -> Result<Vec<Job>> {
    let queue = crate::leased_queue::Queue {
        table: "jobs",
        pending: "done_at IS NULL AND failed_at IS NULL",
        returning: COLUMNS,
    };
    let rows = crate::leased_queue::claim(conn, backend, &queue, limit, lease_seconds).await?;
    rows.iter().map(job_from).collect()
}

pub async fn complete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET done_at = $1, locked_until = NULL, dedupe_key = NULL WHERE id = $2",
    )
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Record a failure: try again at `retry_at`, or give up for good when `None`.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    error: &str,
    retry_at: Option<&str>,
) -> Result<()> {
    match retry_at {
        Some(at) => {
            sqlx::query(
                "UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL WHERE id = $3",
            )
            .bind(error)
            .bind(at)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE jobs SET last_error = $1, failed_at = $2, locked_until = NULL, dedupe_key = NULL WHERE id = $3",
            )
            .bind(error)
            .bind(now_text())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Put a claimed job back without counting the attempt (e.g. scheduling is paused).
pub async fn postpone(conn: &mut AnyConnection, id: i64, run_at: &str) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET run_at = $1, locked_until = NULL, attempts = attempts - 1 WHERE id = $2",
    )
    .bind(run_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Jobs not yet finished, for tests and the operations page.
pub async fn pending(conn: &mut AnyConnection) -> Result<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE done_at IS NULL AND failed_at IS NULL ORDER BY id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(job_from).collect()
}

/// When the unfinished job with `dedupe_key` runs next (for "next try" on pages).
pub async fn next_run(conn: &mut AnyConnection, dedupe_key: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT run_at FROM jobs WHERE dedupe_key = $1 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(dedupe_key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| sqlx::Row::try_get(&r, "run_at")).transpose()?)
}

/// Bring the unfinished job with `dedupe_key` forward to now (a post that waited
/// for its account to be reconnected goes as soon as it is).
pub async fn run_now(conn: &mut AnyConnection, dedupe_key: &str) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET run_at = $1 WHERE dedupe_key = $2 AND done_at IS NULL AND failed_at IS NULL",
    )
    .bind(now_text())
    .bind(dedupe_key)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
