//! Shares (boosts) of posts by our accounts.

use bluelamp_domain::{AccountId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Share {
    pub id: i64,
    pub account_id: AccountId,
    pub post_id: i64,
    pub shared_by: Option<UserId>,
    pub created_at: String,
    pub undone_at: Option<String>,
}

fn share_from(r: &AnyRow) -> Result<Share> {
    Ok(Share {
        id: r.try_get("id")?,
        account_id: AccountId(r.try_get("account_id")?),
        post_id: r.try_get("post_id")?,
        shared_by: r.try_get::<Option<i64>, _>("shared_by")?.map(UserId),
        created_at: r.try_get("created_at")?,
        undone_at: r.try_get("undone_at")?,
    })
}

const SHARE_COLUMNS: &str = "id, account_id, post_id, shared_by, created_at, undone_at";

/// The share of `post` by `account` in effect, if any.
pub async fn active_share(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
) -> Result<Option<Share>> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE account_id = $1 AND post_id = $2 \
         AND undone_at IS NULL"
    ))
    .bind(account.0)
    .bind(post_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(share_from).transpose()
}

pub async fn share(conn: &mut AnyConnection, id: i64) -> Result<Share> {
    let row = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(crate::StoreError::NotFound("share"))?;
    share_from(&row)
}

/// Record a share; a concurrent second share of the same post by the same
/// account hits the unique index and answers a conflict.
pub async fn insert_share(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
    by: Option<UserId>,
) -> Result<Share> {
    let row = sqlx::query(&format!(
        "INSERT INTO post_shares (account_id, post_id, shared_by, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING {SHARE_COLUMNS}"
    ))
    .bind(account.0)
    .bind(post_id)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| crate::StoreError::conflict_if_unique(e, "This post is already shared."))?;
    share_from(&row)
}

pub async fn undo_share(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let done =
        sqlx::query("UPDATE post_shares SET undone_at = $1 WHERE id = $2 AND undone_at IS NULL")
            .bind(now_text())
            .bind(id)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

/// The force accounts currently sharing a post.
pub async fn shares_of_post(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<Share>> {
    let rows = sqlx::query(&format!(
        "SELECT {SHARE_COLUMNS} FROM post_shares WHERE post_id = $1 AND undone_at IS NULL \
         ORDER BY id"
    ))
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(share_from).collect()
}
