//! API tokens for the JSON API: stored as hashes, scoped, revocable.

use bluelamp_domain::UserId;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: UserId,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

fn token_from(row: &AnyRow) -> Result<ApiToken> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

const COLUMNS: &str = "id, user_id, name, scopes, created_at, revoked_at, last_used_at";

pub async fn insert(
    conn: &mut AnyConnection,
    user: UserId,
    name: &str,
    token_hash: &str,
    scopes: &[String],
) -> Result<ApiToken> {
    let row = sqlx::query(&format!(
        "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(user.0)
    .bind(name)
    .bind(token_hash)
    .bind(scopes.join(" "))
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    token_from(&row)
}

/// The unrevoked token with this hash; marks it used.
pub async fn use_token(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<ApiToken>> {
    let row = sqlx::query(&format!(
        "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL \
         RETURNING {COLUMNS}"
    ))
    .bind(now_text())
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(token_from).transpose()
}

pub async fn list_for_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<ApiToken>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id"
    ))
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(token_from).collect()
}

pub async fn revoke(conn: &mut AnyConnection, user: UserId, id: i64) -> Result<ApiToken> {
    let row = sqlx::query(&format!(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
         AND revoked_at IS NULL RETURNING {COLUMNS}"
    ))
    .bind(now_text())
    .bind(id)
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("API token"))?;
    token_from(&row)
}
