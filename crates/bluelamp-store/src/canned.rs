//! Canned replies (migration 0016).

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Canned {
    pub id: i64,
    pub force_id: ForceId,
    pub title: String,
    pub text: String,
    pub created_at: String,
}

fn canned_from(row: &AnyRow) -> Result<Canned> {
    Ok(Canned {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        title: row.try_get("title")?,
        text: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(
    conn: &mut AnyConnection,
    force: ForceId,
    title: &str,
    text: &str,
    by: Option<UserId>,
) -> Result<Canned> {
    let row = sqlx::query(
        "INSERT INTO canned_replies (force_id, title, body, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id, force_id, title, body, created_at",
    )
    .bind(force.0)
    .bind(title)
    .bind(text)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    canned_from(&row)
}

pub async fn list(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Canned>> {
    let rows = sqlx::query(
        "SELECT id, force_id, title, body, created_at FROM canned_replies WHERE force_id = $1 \
         ORDER BY title, id LIMIT 500",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(canned_from).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Canned>> {
    let row = sqlx::query(
        "SELECT id, force_id, title, body, created_at FROM canned_replies WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(canned_from).transpose()
}
