//! Approval chains per account and the approvals given on posts (migration 0025).

use bluelamp_domain::{AccountId, ApprovalStep, GivenApproval, UserId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result, StoreError};

/// An account's chain, in order; empty when it has none of its own.
pub async fn steps(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<ApprovalStep>> {
    let rows = sqlx::query(
        "SELECT name, needs_all, approvers FROM approval_steps WHERE account_id = $1 ORDER BY position",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let approvers: String = row.try_get("approvers")?;
            Ok(ApprovalStep {
                name: row.try_get("name")?,
                needs_all: get_bool(row, "needs_all")?,
                approvers: serde_json::from_str(&approvers)
                    .map_err(|e| StoreError::Corrupt(format!("approval step approvers: {e}")))?,
            })
        })
        .collect()
}

/// Replace an account's chain (validated by the caller).
pub async fn replace_steps(
    conn: &mut AnyConnection,
    account: AccountId,
    steps: &[ApprovalStep],
) -> Result<()> {
    sqlx::query("DELETE FROM approval_steps WHERE account_id = $1")
        .bind(account.0)
        .execute(&mut *conn)
        .await?;
    for (position, step) in steps.iter().enumerate() {
        sqlx::query(
            "INSERT INTO approval_steps (account_id, position, name, needs_all, approvers) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account.0)
        .bind(position as i64)
        .bind(step.name.trim())
        .bind(step.needs_all)
        .bind(serde_json::to_string(&step.approvers).unwrap_or_else(|_| "[]".into()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// One approval as shown on the review page.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub step: usize,
    pub user_id: UserId,
    pub rationale: Option<String>,
    pub created_at: String,
}

/// The approvals a post has, in the order given.
pub async fn given(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<Approval>> {
    let rows = sqlx::query(
        "SELECT step, user_id, rationale, created_at FROM post_approvals WHERE post_id = $1 ORDER BY id",
    )
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Approval {
                step: row.try_get::<i64, _>("step")? as usize,
                user_id: UserId(row.try_get("user_id")?),
                rationale: row.try_get("rationale")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

impl Approval {
    pub fn as_given(&self) -> GivenApproval {
        GivenApproval {
            step: self.step,
            user: self.user_id,
        }
    }
}

/// Record an approval; a second approval by the same person is a conflict.
pub async fn record(
    conn: &mut AnyConnection,
    post_id: i64,
    step: usize,
    user: UserId,
    rationale: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO post_approvals (post_id, step, user_id, rationale, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(post_id)
    .bind(step as i64)
    .bind(user.0)
    .bind(rationale)
    .bind(now_text())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(e, "You have already approved this post at an earlier step.")
    })?;
    Ok(())
}

/// Forget a post's approvals: its words changed, and an approval is of words.
pub async fn clear(conn: &mut AnyConnection, post_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM post_approvals WHERE post_id = $1")
        .bind(post_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
