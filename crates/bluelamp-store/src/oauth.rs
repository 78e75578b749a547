//! Client apps (migration 0015): registered apps, one-time authorisation codes,
//! app-only tokens and the Idempotency-Key record of app posts.

use bluelamp_domain::{AccountId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct App {
    pub id: i64,
    pub client_id: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub name: String,
    pub website: Option<String>,
    /// Whitespace-separated, as registered.
    pub redirect_uris: String,
    pub scopes: String,
    pub created_at: String,
}

const APP_COLUMNS: &str =
    "id, client_id, secret_hash, name, website, redirect_uris, scopes, created_at";

fn app_from(row: &AnyRow) -> Result<App> {
    Ok(App {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        secret_hash: row.try_get("secret_hash")?,
        name: row.try_get("name")?,
        website: row.try_get("website")?,
        redirect_uris: row.try_get("redirect_uris")?,
        scopes: row.try_get("scopes")?,
        created_at: row.try_get("created_at")?,
    })
}

pub struct NewApp<'a> {
    pub client_id: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a str,
    pub website: Option<&'a str>,
    pub redirect_uris: &'a str,
    pub scopes: &'a str,
}

pub async fn insert_app(conn: &mut AnyConnection, app: &NewApp<'_>) -> Result<App> {
    let row = sqlx::query(&format!(
        "INSERT INTO oauth_apps (client_id, secret_hash, name, website, redirect_uris, scopes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {APP_COLUMNS}"
    ))
    .bind(app.client_id)
    .bind(app.secret_hash)
    .bind(app.name)
    .bind(app.website)
    .bind(app.redirect_uris)
    .bind(app.scopes)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    app_from(&row)
}

pub async fn app_by_client_id(conn: &mut AnyConnection, client_id: &str) -> Result<Option<App>> {
    let row = sqlx::query(&format!(
        "SELECT {APP_COLUMNS} FROM oauth_apps WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(app_from).transpose()
}

pub async fn app_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<App>> {
    let row = sqlx::query(&format!(
        "SELECT {APP_COLUMNS} FROM oauth_apps WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(app_from).transpose()
}

/// What an authorisation code stands for.
#[derive(Debug, Clone)]
pub struct Code {
    pub app_id: i64,
    pub user_id: UserId,
    pub account_id: AccountId,
    pub scopes: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: String,
}

pub async fn insert_code(conn: &mut AnyConnection, code_hash: &str, code: &Code) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, app_id, user_id, account_id, scopes, redirect_uri, \
         code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(code_hash)
    .bind(code.app_id)
    .bind(code.user_id.0)
    .bind(code.account_id.0)
    .bind(&code.scopes)
    .bind(&code.redirect_uri)
    .bind(code.code_challenge.as_deref())
    .bind(&code.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Use a code: it answers once, whatever happens next (a replayed code is dead).
pub async fn take_code(conn: &mut AnyConnection, code_hash: &str) -> Result<Option<Code>> {
    let row = sqlx::query(
        "UPDATE oauth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL \
         RETURNING app_id, user_id, account_id, scopes, redirect_uri, code_challenge, expires_at",
    )
    .bind(now_text())
    .bind(code_hash)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok(Code {
            app_id: row.try_get("app_id")?,
            user_id: UserId(row.try_get("user_id")?),
            account_id: AccountId(row.try_get("account_id")?),
            scopes: row.try_get("scopes")?,
            redirect_uri: row.try_get("redirect_uri")?,
            code_challenge: row.try_get("code_challenge")?,
            expires_at: row.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// A token for the app itself (client credentials): no user behind it.
pub async fn insert_app_token(
    conn: &mut AnyConnection,
    app: i64,
    token_hash: &str,
    scopes: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO oauth_app_tokens (app_id, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(app)
    .bind(token_hash)
    .bind(scopes)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The app and scopes of an unrevoked app-only token.
pub async fn app_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<(App, String)>> {
    let row = sqlx::query(
        "SELECT app_id, scopes FROM oauth_app_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let scopes: String = row.try_get("scopes")?;
    Ok(app_by_id(conn, row.try_get("app_id")?)
        .await?
        .map(|app| (app, scopes)))
}

pub async fn revoke_app_only_token(
    conn: &mut AnyConnection,
    app: i64,
    token_hash: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE oauth_app_tokens SET revoked_at = $1 WHERE token_hash = $2 AND app_id = $3 \
         AND revoked_at IS NULL",
    )
    .bind(now_text())
    .bind(token_hash)
    .bind(app)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The post an earlier request with this Idempotency-Key made, and the hash of
/// that request's body.
pub async fn idempotent_post(
    conn: &mut AnyConnection,
    user: UserId,
    key: &str,
) -> Result<Option<(String, i64)>> {
    let row = sqlx::query(
        "SELECT request_hash, post_id FROM status_idempotency WHERE user_id = $1 AND idempotency_key = $2",
    )
    .bind(user.0)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Ok((row.try_get("request_hash")?, row.try_get("post_id")?)))
        .transpose()
}

pub async fn remember_idempotent_post(
    conn: &mut AnyConnection,
    user: UserId,
    key: &str,
    request_hash: &str,
    post: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO status_idempotency (user_id, idempotency_key, request_hash, post_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, idempotency_key) DO NOTHING",
    )
    .bind(user.0)
    .bind(key)
    .bind(request_hash)
    .bind(post)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
