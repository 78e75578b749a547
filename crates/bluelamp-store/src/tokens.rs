//! API tokens for the JSON API: stored as hashes, scoped, revocable.

use bluelamp_domain::{AccountId, UserId};
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
    /// The client app (Mastodon-compatible) the token was issued to, if any.
    pub app_id: Option<i64>,
    /// The account an app token acts as, chosen by its holder at consent.
    pub account_id: Option<AccountId>,
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
        app_id: row.try_get("app_id")?,
        account_id: row.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
    })
}

const COLUMNS: &str =
    "id, user_id, name, scopes, created_at, revoked_at, last_used_at, app_id, account_id";

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

/// A token issued to a client app through OAuth, acting as `account`.
pub async fn insert_for_app(
    conn: &mut AnyConnection,
    user: UserId,
    name: &str,
    token_hash: &str,
    scopes: &[String],
    app: i64,
    account: AccountId,
) -> Result<ApiToken> {
    let row = sqlx::query(&format!(
        "INSERT INTO api_tokens (user_id, name, token_hash, scopes, created_at, app_id, account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(user.0)
    .bind(name)
    .bind(token_hash)
    .bind(scopes.join(" "))
    .bind(now_text())
    .bind(app)
    .bind(account.0)
    .fetch_one(&mut *conn)
    .await?;
    token_from(&row)
}

/// Revoke the token with this hash if it was issued to `app` (OAuth revocation:
/// an unknown token is not an error, RFC 7009).
pub async fn revoke_app_token(
    conn: &mut AnyConnection,
    app: i64,
    token_hash: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND app_id = $3 \
         AND revoked_at IS NULL",
    )
    .bind(now_text())
    .bind(token_hash)
    .bind(app)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
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
