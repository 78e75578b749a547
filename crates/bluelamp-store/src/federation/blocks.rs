//! Actors and domains a force has blocked.

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub kind: String,
    pub target: String,
    pub created_at: String,
}

pub async fn insert_block(
    conn: &mut AnyConnection,
    force: ForceId,
    kind: &str,
    target: &str,
    by: Option<UserId>,
) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO remote_blocks (force_id, kind, target, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id, target) DO NOTHING RETURNING id",
    )
    .bind(force.0)
    .bind(kind)
    .bind(target)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

pub async fn blocks(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Block>> {
    let rows = sqlx::query(
        "SELECT kind, target, created_at FROM remote_blocks WHERE force_id = $1 ORDER BY id",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Block {
                kind: r.try_get("kind")?,
                target: r.try_get("target")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Is `actor_id` blocked by the force by name? (Domain blocks also cover
/// subdomains; the caller matches [`blocks`] of kind `domain` for those.)
pub async fn is_actor_blocked(
    conn: &mut AnyConnection,
    force: ForceId,
    actor_id: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS hit FROM remote_blocks WHERE force_id = $1 AND kind = 'actor' AND target = $2 \
         LIMIT 1",
    )
    .bind(force.0)
    .bind(actor_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// The force's blocked domains (lower case).
pub async fn blocked_domains(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT LOWER(target) AS target FROM remote_blocks WHERE force_id = $1 AND kind = 'domain'",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("target")?)).collect()
}
