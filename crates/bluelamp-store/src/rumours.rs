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

/// Clusters of the force sharing at least one band key with the given bands (a
/// whole batch's, looked up together), oldest first.
/// Serialises rumour clustering for one force until the transaction ends. On SQLite
/// the store's single writer already does; on PostgreSQL two connectors' batches
/// commit side by side, and each would found its own cluster for the same new claim
/// without seeing the other's. A transaction-scoped advisory lock (keyed by this
/// table's purpose and the force) makes the second batch wait for the first's commit,
/// then find its clusters.
pub async fn lock_for_clustering(conn: &mut AnyConnection, force: ForceId) -> Result<()> {
    if crate::Params::of(conn) == crate::Params::Numbered {
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(RUMOUR_LOCK_CLASS)
            .bind(force.0 as i32)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The advisory-lock class of rumour clustering ("rumo" in ASCII).
const RUMOUR_LOCK_CLASS: i32 = 0x7275_6d6f;

pub async fn candidates(
    conn: &mut AnyConnection,
    force: ForceId,
    bands: &[String],
) -> Result<Vec<Cluster>> {
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Bounded statements, whatever the batch: SQLite and PostgreSQL both cap the
    // number of parameters.
    for chunk in bands.chunks(BANDS_PER_LOOKUP) {
        let params = crate::Params::of(conn);
        let sql = format!(
            "SELECT {COLUMNS} FROM rumour_clusters WHERE id IN \
             (SELECT cluster_id FROM rumour_bands WHERE force_id = {} AND band_key IN ({}))",
            params.nth(1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(force.0);
        for band in chunk {
            query = query.bind(band);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let cluster = from_row(&row)?;
            if seen.insert(cluster.id) {
                found.push(cluster);
            }
        }
    }
    found.sort_by_key(|c| c.id);
    Ok(found)
}

/// Band keys per lookup statement.
const BANDS_PER_LOOKUP: usize = 900;

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
    if !bands.is_empty() {
        let rows: Vec<String> = (0..bands.len())
            .map(|i| format!("($1, $2, ${})", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO rumour_bands (force_id, cluster_id, band_key) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(force.0).bind(id);
        for band in bands {
            query = query.bind(band);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(id)
}

/// `added` more messages in the cluster; returns its new size.
pub async fn grow(conn: &mut AnyConnection, cluster: i64, added: i64) -> Result<i64> {
    let row = sqlx::query(
        "UPDATE rumour_clusters SET size = size + $1, last_seen = $2 WHERE id = $3 RETURNING size",
    )
    .bind(added)
    .bind(now_text())
    .bind(cluster)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("size")?)
}

/// Messages per statement when filing them under a cluster.
const IDS_PER_UPDATE: usize = 500;

pub async fn set_messages_cluster(
    conn: &mut AnyConnection,
    cluster: i64,
    messages: &[i64],
) -> Result<()> {
    for chunk in messages.chunks(IDS_PER_UPDATE) {
        let params = crate::Params::of(conn);
        let sql = format!(
            "UPDATE inbox_messages SET cluster_id = {} WHERE id IN ({})",
            params.nth(1),
            params.list(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(cluster);
        for id in chunk {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
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
