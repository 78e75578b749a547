//! Feedback on the governance check from use: labelled examples for its next
//! training round (see migration 0011).

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// Why a post became an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedbackKind {
    /// A supervisor approved a post the check held: the check was too strict.
    ApprovedHeld,
    /// Someone reported a published post the check should have stopped.
    Reported,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::ApprovedHeld => "approved-held",
            FeedbackKind::Reported => "reported",
        }
    }
}

/// One recorded piece of feedback.
#[derive(Debug, Clone, Serialize)]
pub struct Feedback {
    pub id: i64,
    pub force_id: ForceId,
    pub post_id: i64,
    pub kind: FeedbackKind,
    pub reason: String,
    /// The categories the reporter says apply (empty for an approval).
    pub categories: Vec<String>,
    /// What the check decided when the post was written.
    pub check_decision: String,
    /// The post as the check read it, in the corpus format (text, context, media,
    /// channels).
    pub draft: serde_json::Value,
    pub user_id: Option<UserId>,
    pub user_label: String,
    pub created_at: String,
}

/// What to record.
pub struct NewFeedback<'a> {
    pub force_id: ForceId,
    pub post_id: i64,
    pub kind: FeedbackKind,
    pub reason: &'a str,
    pub categories: &'a [String],
    pub check_decision: &'a str,
    pub draft: &'a serde_json::Value,
    pub user_id: Option<UserId>,
    pub user_label: &'a str,
}

fn from_row(row: &AnyRow) -> Result<Feedback> {
    let kind: String = row.try_get("kind")?;
    let categories: String = row.try_get("categories")?;
    let draft: String = row.try_get("draft")?;
    Ok(Feedback {
        id: row.try_get("id")?,
        force_id: ForceId(row.try_get("force_id")?),
        post_id: row.try_get("post_id")?,
        kind: if kind == "reported" {
            FeedbackKind::Reported
        } else {
            FeedbackKind::ApprovedHeld
        },
        reason: row.try_get("reason")?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        check_decision: row.try_get("check_decision")?,
        draft: serde_json::from_str(&draft).unwrap_or(serde_json::Value::Null),
        user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        user_label: row.try_get("user_label")?,
        created_at: row.try_get("created_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, new: NewFeedback<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO governance_feedback (force_id, post_id, kind, reason, categories, \
         check_decision, draft, user_id, user_label, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.force_id.0)
    .bind(new.post_id)
    .bind(new.kind.as_str())
    .bind(new.reason)
    .bind(serde_json::to_string(new.categories).unwrap_or_else(|_| "[]".into()))
    .bind(new.check_decision)
    .bind(new.draft.to_string())
    .bind(new.user_id.map(|u| u.0))
    .bind(new.user_label)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Every piece of feedback, oldest first; only one force's when given.
pub async fn list(conn: &mut AnyConnection, force: Option<ForceId>) -> Result<Vec<Feedback>> {
    let rows = sqlx::query(
        "SELECT id, force_id, post_id, kind, reason, categories, check_decision, draft, \
         user_id, user_label, created_at FROM governance_feedback \
         WHERE ($1 = 0 OR force_id = $1) ORDER BY id",
    )
    .bind(force.map_or(0, |f| f.0))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}
