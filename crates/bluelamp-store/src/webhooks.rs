//! A force's webhook (migration 0019).

use bluelamp_domain::ForceId;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// The force's webhook URL and signing secret, if it has one.
pub async fn get(conn: &mut AnyConnection, force: ForceId) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT url, secret FROM force_webhooks WHERE force_id = $1")
        .bind(force.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| Ok((r.try_get("url")?, r.try_get("secret")?)))
        .transpose()
}

pub async fn set(conn: &mut AnyConnection, force: ForceId, url: &str, secret: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO force_webhooks (force_id, url, secret, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (force_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
         created_at = excluded.created_at",
    )
    .bind(force.0)
    .bind(url)
    .bind(secret)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn clear(conn: &mut AnyConnection, force: ForceId) -> Result<bool> {
    let done = sqlx::query("DELETE FROM force_webhooks WHERE force_id = $1")
        .bind(force.0)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
