//! Rumour clusters (migration 0013).

use bluelamp_domain::ForceId;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    pub id: i64,
    pub force_id: ForceId,
    #[serde(skip)]
    pub signature: String,
    /// The first message's text, as a sample of the claim.
    pub sample: String,
    pub size: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub answer_post_id: Option<i64>,
    pub answered_at: Option<String>,
}

const COLUMNS: &str =
    "id, force_id, signature, sample, size, first_seen, last_seen, answer_post_id, answered_at";

fn from_row(r: &AnyRow) -> Result<Cluster> {
    Ok(Cluster {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        signature: r.try_get("signature")?,
        sample: r.try_get("sample")?,
        size: r.try_get("size")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        answer_post_id: r.try_get("answer_post_id")?,
        answered_at: r.try_get("answered_at")?,
    })
}

/// Clusters of the force sharing at least one band key with a new message (one
/// query for all the bands).
pub async fn candidates(
    conn: &mut AnyConnection,
    force: ForceId,
    bands: &[String],
) -> Result<Vec<Cluster>> {
    if bands.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..bands.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM rumour_clusters WHERE id IN \
         (SELECT cluster_id FROM rumour_bands WHERE force_id = $1 AND band_key IN ({}))",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(force.0);
    for band in bands {
        query = query.bind(band);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(from_row).collect()
}

pub async fn create(
    conn: &mut AnyConnection,
    force: ForceId,
    signature: &str,
    bands: &[String],
    sample: &str,
) -> Result<i64> {
    let now = now_text();
    let row = sqlx::query(
        "INSERT INTO rumour_clusters (force_id, signature, sample, size, first_seen, last_seen) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(force.0)
    .bind(signature)
    .bind(sample)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    for band in bands {
        sqlx::query(
            "INSERT INTO rumour_bands (force_id, band_key, cluster_id) VALUES ($1, $2, $3)",
        )
        .bind(force.0)
        .bind(band)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// One more message in the cluster; returns its new size.
pub async fn grow(conn: &mut AnyConnection, cluster: i64) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE rumour_clusters SET size = size + 1, last_seen = $1 WHERE id = $2 RETURNING size",
    )
    .bind(now_text())
    .bind(cluster)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("size")?)
}

pub async fn set_message_cluster(
    conn: &mut AnyConnection,
    message: i64,
    cluster: i64,
) -> Result<()> {
    sqlx::query("UPDATE inbox_messages SET cluster_id = $1 WHERE id = $2")
        .bind(cluster)
        .bind(message)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The force's clusters, largest first.
pub async fn list(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Cluster>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM rumour_clusters WHERE force_id = $1 ORDER BY size DESC, id DESC LIMIT 200"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Cluster>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM rumour_clusters WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The ids of the cluster's messages, oldest first.
pub async fn member_ids(conn: &mut AnyConnection, cluster: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT id FROM inbox_messages WHERE cluster_id = $1 ORDER BY id")
        .bind(cluster)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get("id").map_err(Into::into))
        .collect()
}

pub async fn set_answer(conn: &mut AnyConnection, cluster: i64, post: i64) -> Result<()> {
    sqlx::query("UPDATE rumour_clusters SET answer_post_id = $1, answered_at = $2 WHERE id = $3")
        .bind(post)
        .bind(now_text())
        .bind(cluster)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
