//! Live incidents and their structured updates (migration 0021). Each update is
//! published as a post linked to the incident; this table keeps its typed facts.

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: i64,
    pub force_id: ForceId,
    pub reference: String,
    pub title: String,
    pub area: String,
    /// A GeoJSON geometry (Polygon or MultiPolygon), validated when stored.
    pub area_geojson: Option<String>,
    pub severity: String,
    pub status: String,
    pub account_id: AccountId,
    pub summary: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    /// Postcode districts it touches, comma-separated: whom area alerts reach.
    pub districts: String,
    /// The other accounts that speak for it: each shares every published update.
    pub also_speaking: Vec<AccountId>,
}

const COLUMNS: &str = "id, force_id, reference, title, area, area_geojson, severity, status, \
    account_id, summary, created_at, updated_at, closed_at, districts, also_speaking";

fn from_row(r: &AnyRow) -> Result<Incident> {
    Ok(Incident {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        area: r.try_get("area")?,
        area_geojson: r.try_get("area_geojson")?,
        severity: r.try_get("severity")?,
        status: r.try_get("status")?,
        account_id: AccountId(r.try_get("account_id")?),
        summary: r.try_get("summary")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        closed_at: r.try_get("closed_at")?,
        districts: r.try_get("districts")?,
        also_speaking: r
            .try_get::<String, _>("also_speaking")?
            .split(',')
            .filter_map(|id| id.parse().ok().map(AccountId))
            .collect(),
    })
}

pub struct NewIncident<'a> {
    pub force_id: ForceId,
    pub reference: &'a str,
    pub title: &'a str,
    pub area: &'a str,
    pub area_geojson: Option<&'a str>,
    pub severity: &'a str,
    pub account_id: AccountId,
    pub districts: &'a str,
    pub also_speaking: &'a [AccountId],
}

/// `None` when the reference is taken in the force.
pub async fn insert(conn: &mut AnyConnection, n: &NewIncident<'_>) -> Result<Option<Incident>> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "INSERT INTO incidents (force_id, reference, title, area, area_geojson, severity, status, \
         account_id, created_at, updated_at, districts, also_speaking) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8, $9, $10) \
         ON CONFLICT (force_id, reference) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(n.force_id.0)
    .bind(n.reference)
    .bind(n.title)
    .bind(n.area)
    .bind(n.area_geojson)
    .bind(n.severity)
    .bind(n.account_id.0)
    .bind(&now)
    .bind(n.districts)
    .bind(
        n.also_speaking
            .iter()
            .map(|a| a.0.to_string())
            .collect::<Vec<_>>()
            .join(","),
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_reference(
    conn: &mut AnyConnection,
    force: ForceId,
    reference: &str,
) -> Result<Option<Incident>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE force_id = $1 AND reference = $2"
    ))
    .bind(force.0)
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection, force: ForceId, limit: i64) -> Result<Vec<Incident>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM incidents WHERE force_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn close(conn: &mut AnyConnection, id: i64, summary: &str) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "UPDATE incidents SET status = 'closed', summary = $1, closed_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(summary)
    .bind(&now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn touch(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub id: i64,
    pub post_id: i64,
    /// The typed facts as JSON: `[{"type": "road-closure", ...}, ...]`.
    pub facts: serde_json::Value,
    pub created_at: String,
}

pub async fn add_update(
    conn: &mut AnyConnection,
    incident: i64,
    post: i64,
    facts: &serde_json::Value,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO incident_updates (incident_id, post_id, facts, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(incident)
    .bind(post)
    .bind(facts.to_string())
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// An incident's updates, oldest first.
pub async fn updates(conn: &mut AnyConnection, incident: i64) -> Result<Vec<Update>> {
    let rows = sqlx::query(
        "SELECT id, post_id, facts, created_at FROM incident_updates WHERE incident_id = $1 ORDER BY id",
    )
    .bind(incident)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let facts: String = r.try_get("facts")?;
            Ok(Update {
                id: r.try_get("id")?,
                post_id: r.try_get("post_id")?,
                facts: serde_json::from_str(&facts).unwrap_or(serde_json::Value::Null),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
