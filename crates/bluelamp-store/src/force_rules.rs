//! A force's governance rule files, every saved version kept.

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

/// Who saved a version, and when (the text is read separately: it can be long).
#[derive(Debug, Clone, Serialize)]
pub struct RulesVersion {
    pub version: i64,
    pub saved_by: Option<UserId>,
    pub saved_by_label: String,
    pub saved_at: String,
}

/// One saved version with its text.
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    #[serde(flatten)]
    pub meta: RulesVersion,
    pub rules: String,
}

fn version_from(row: &AnyRow) -> Result<RulesVersion> {
    Ok(RulesVersion {
        version: row.try_get("version")?,
        saved_by: row.try_get::<Option<i64>, _>("saved_by")?.map(UserId),
        saved_by_label: row.try_get("saved_by_label")?,
        saved_at: row.try_get("saved_at")?,
    })
}

/// The number of the version in force, or `None` while the force uses the
/// built-in rules only. One indexed lookup: cheap enough to ask on every check.
pub async fn current_version(conn: &mut AnyConnection, force: ForceId) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT version FROM force_rules WHERE force_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(force.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| row.try_get("version").map_err(StoreError::from))
        .transpose()
}

/// One version of the force's rules, with its text.
pub async fn get(conn: &mut AnyConnection, force: ForceId, version: i64) -> Result<Rules> {
    let row = sqlx::query(
        "SELECT version, rules, saved_by, saved_by_label, saved_at FROM force_rules \
         WHERE force_id = $1 AND version = $2",
    )
    .bind(force.0)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("rules version"))?;
    Ok(Rules {
        meta: version_from(&row)?,
        rules: row.try_get("rules")?,
    })
}

/// Every saved version, newest first.
pub async fn history(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<RulesVersion>> {
    let rows = sqlx::query(
        "SELECT version, saved_by, saved_by_label, saved_at FROM force_rules \
         WHERE force_id = $1 ORDER BY version DESC",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(version_from).collect()
}

/// Save a new version numbered one past the newest. Two saves racing for the
/// same number meet the unique key: the second answers a conflict, never a fork.
pub async fn insert(
    conn: &mut AnyConnection,
    force: ForceId,
    rules: &str,
    saved_by: Option<UserId>,
    saved_by_label: &str,
) -> Result<RulesVersion> {
    let next = current_version(conn, force).await?.unwrap_or(0) + 1;
    let row = sqlx::query(
        "INSERT INTO force_rules (force_id, version, rules, saved_by, saved_by_label, saved_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING version, saved_by, saved_by_label, saved_at",
    )
    .bind(force.0)
    .bind(next)
    .bind(rules)
    .bind(saved_by.map(|u| u.0))
    .bind(saved_by_label)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(
            e,
            "someone else saved the force's rules at the same moment; reload them and try again"
                .to_string(),
        )
    })?;
    version_from(&row)
}
