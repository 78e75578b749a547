//! The reach of the remote accounts that amplify ours: queued when one is first
//! counted, looked up by the reach job, read beside the amplifiers.

use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// Queue an amplifier for a lookup (no change when it is known or queued).
pub async fn queue(conn: &mut AnyConnection, actor_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO remote_reach (actor_id) VALUES ($1) ON CONFLICT (actor_id) DO NOTHING",
    )
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Up to `limit` amplifiers waiting for a lookup.
pub async fn waiting(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT actor_id FROM remote_reach WHERE fetched_at IS NULL ORDER BY actor_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("actor_id")?)).collect()
}

/// What the lookup found: a follower count, or `None` when the server would
/// not say (it is not asked again).
pub async fn record(
    conn: &mut AnyConnection,
    actor_id: &str,
    followers: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE remote_reach SET followers = $1, fetched_at = $2 WHERE actor_id = $3")
        .bind(followers)
        .bind(now_text())
        .bind(actor_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
