//! Appeals for information (migration 0021). The appeal's public text is published
//! as a post linked to it; this row keeps what the appeal page and feed show.

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Appeal {
    pub id: i64,
    pub force_id: ForceId,
    pub reference: String,
    pub title: String,
    pub what_happened: String,
    pub happened_at: Option<String>,
    pub place: String,
    /// How to respond: a list of "999", "101", "online", "crimestoppers".
    pub respond: Vec<String>,
    pub status: String,
    pub account_id: AccountId,
    pub post_id: Option<i64>,
    pub case_reference: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Postcode districts it concerns, comma-separated: whom area alerts reach.
    pub districts: String,
}

const COLUMNS: &str =
    "id, force_id, reference, title, what_happened, happened_at, place, respond, \
    status, account_id, post_id, case_reference, created_at, updated_at, districts";

fn from_row(r: &AnyRow) -> Result<Appeal> {
    let respond: String = r.try_get("respond")?;
    Ok(Appeal {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        what_happened: r.try_get("what_happened")?,
        happened_at: r.try_get("happened_at")?,
        place: r.try_get("place")?,
        respond: serde_json::from_str(&respond).unwrap_or_default(),
        status: r.try_get("status")?,
        account_id: AccountId(r.try_get("account_id")?),
        post_id: r.try_get("post_id")?,
        case_reference: r.try_get("case_reference")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        districts: r.try_get("districts")?,
    })
}

pub struct NewAppeal<'a> {
    pub force_id: ForceId,
    pub reference: &'a str,
    pub title: &'a str,
    pub what_happened: &'a str,
    pub happened_at: Option<&'a str>,
    pub place: &'a str,
    pub respond: &'a [String],
    pub account_id: AccountId,
    pub case_reference: Option<&'a str>,
    pub districts: &'a str,
}

/// `None` when the reference is already used in the force.
pub async fn insert(conn: &mut AnyConnection, n: &NewAppeal<'_>) -> Result<Option<Appeal>> {
    let now = now_text();
    let respond = serde_json::to_string(n.respond).unwrap_or_else(|_| "[]".into());
    let row = sqlx::query(&format!(
        "INSERT INTO appeals (force_id, reference, title, what_happened, happened_at, place, respond, \
         status, account_id, case_reference, created_at, updated_at, districts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10, $10, $11) \
         ON CONFLICT (force_id, reference) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(n.force_id.0)
    .bind(n.reference)
    .bind(n.title)
    .bind(n.what_happened)
    .bind(n.happened_at)
    .bind(n.place)
    .bind(respond)
    .bind(n.account_id.0)
    .bind(n.case_reference)
    .bind(&now)
    .bind(n.districts)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn set_post(conn: &mut AnyConnection, id: i64, post: i64) -> Result<()> {
    sqlx::query("UPDATE appeals SET post_id = $1 WHERE id = $2")
        .bind(post)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_status(conn: &mut AnyConnection, id: i64, status: &str) -> Result<()> {
    sqlx::query("UPDATE appeals SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Appeal>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM appeals WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_reference(
    conn: &mut AnyConnection,
    force: ForceId,
    reference: &str,
) -> Result<Option<Appeal>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM appeals WHERE force_id = $1 AND reference = $2"
    ))
    .bind(force.0)
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A force's appeals, newest first; only those in `status` when given.
pub async fn list(
    conn: &mut AnyConnection,
    force: ForceId,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Appeal>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM appeals WHERE force_id = $1 AND ($2 IS NULL OR status = $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(force.0)
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Undo an appeal whose post could not be written (no post yet, so nothing public).
pub async fn delete_unpublished(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM appeals WHERE id = $1 AND post_id IS NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
