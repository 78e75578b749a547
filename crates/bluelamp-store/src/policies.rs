//! Versioned social-media policies and their acknowledgements.

use bluelamp_domain::policy::CurrentPolicy;
use bluelamp_domain::{ForceId, PolicyId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub id: PolicyId,
    pub force_id: ForceId,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub published_at: String,
    pub published_by: UserId,
}

impl Policy {
    pub fn as_current(&self) -> CurrentPolicy {
        CurrentPolicy {
            id: self.id,
            version: self.version,
        }
    }
}

const COLUMNS: &str = "id, force_id, version, title, body, published_at, published_by";

fn policy_from(row: &AnyRow) -> Result<Policy> {
    Ok(Policy {
        id: PolicyId(row.try_get("id")?),
        force_id: ForceId(row.try_get("force_id")?),
        version: row.try_get("version")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        published_at: row.try_get("published_at")?,
        published_by: UserId(row.try_get("published_by")?),
    })
}

/// Publish the next version of a force's policy.
pub async fn publish(
    conn: &mut AnyConnection,
    force: ForceId,
    title: &str,
    body: &str,
    by: UserId,
) -> Result<Policy> {
    let next: i64 =
        sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM policies WHERE force_id = $1")
            .bind(force.0)
            .fetch_one(&mut *conn)
            .await?
            .try_get("v")?;
    let row = sqlx::query(&format!(
        "INSERT INTO policies (force_id, version, title, body, published_at, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(force.0)
    .bind(next)
    .bind(title)
    .bind(body)
    .bind(now_text())
    .bind(by.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(
            e,
            "another policy version was published at the same moment; try again",
        )
    })?;
    policy_from(&row)
}

pub async fn current(conn: &mut AnyConnection, force: ForceId) -> Result<Option<Policy>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM policies WHERE force_id = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(force.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(policy_from).transpose()
}

pub async fn list(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Policy>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM policies WHERE force_id = $1 ORDER BY version DESC"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(policy_from).collect()
}

/// When the user acknowledged this policy, if they have.
pub async fn acknowledged_at(
    conn: &mut AnyConnection,
    policy: PolicyId,
    user: UserId,
) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT acknowledged_at FROM policy_acknowledgements WHERE policy_id = $1 AND user_id = $2",
    )
    .bind(policy.0)
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.try_get("acknowledged_at")).transpose()?)
}

/// Record an acknowledgement; acknowledging twice keeps the first time.
pub async fn acknowledge(conn: &mut AnyConnection, policy: PolicyId, user: UserId) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO policy_acknowledgements (policy_id, user_id, acknowledged_at) \
         VALUES ($1, $2, $3) ON CONFLICT (policy_id, user_id) DO NOTHING",
    )
    .bind(policy.0)
    .bind(user.0)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of the force's active staff have acknowledged a policy version.
pub async fn acknowledgement_count(conn: &mut AnyConnection, policy: PolicyId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM policy_acknowledgements WHERE policy_id = $1")
        .bind(policy.0)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}
