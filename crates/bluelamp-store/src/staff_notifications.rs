//! Staff notifications (migration 0024): what a person is told, and whether they
//! have read it.

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    /// post-waiting, post-approved, post-rejected, post-published.
    pub kind: String,
    pub post_id: Option<i64>,
    /// An inbox message it is about (an emergency, a safeguarding message).
    pub message_id: Option<i64>,
    pub text: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

fn from_row(r: &AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        post_id: r.try_get("post_id")?,
        message_id: r.try_get("message_id")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
        read_at: r.try_get("read_at")?,
    })
}

pub struct NewNotification<'a> {
    pub force_id: ForceId,
    pub user_id: UserId,
    pub kind: &'a str,
    pub post_id: Option<i64>,
    pub message_id: Option<i64>,
    pub text: &'a str,
    /// The same key twice tells nobody twice.
    pub dedupe_key: &'a str,
}

/// Store one; `false` when its key was already used.
pub async fn insert(conn: &mut AnyConnection, n: &NewNotification<'_>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO staff_notifications (force_id, user_id, kind, post_id, message_id, text, \
         dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(n.force_id.0)
    .bind(n.user_id.0)
    .bind(n.kind)
    .bind(n.post_id)
    .bind(n.message_id)
    .bind(n.text)
    .bind(n.dedupe_key)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How many `user` has not read.
pub async fn unread(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM staff_notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user.0)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// The newest `limit`, unread first.
pub async fn list(conn: &mut AnyConnection, user: UserId, limit: i64) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, kind, post_id, message_id, text, created_at, read_at FROM staff_notifications \
         WHERE user_id = $1 ORDER BY (read_at IS NULL) DESC, id DESC LIMIT $2",
    )
    .bind(user.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Mark `user`'s notifications read: one (`Some(id)`) or all. How many changed.
pub async fn mark_read(conn: &mut AnyConnection, user: UserId, id: Option<i64>) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE staff_notifications SET read_at = $1 \
         WHERE user_id = $2 AND read_at IS NULL AND ($3 = 0 OR id = $4)",
    )
    .bind(now_text())
    .bind(user.0)
    .bind(i64::from(id.is_some()))
    .bind(id.unwrap_or(0))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
