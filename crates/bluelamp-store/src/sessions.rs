//! Server-side staff sessions. Only a hash of the cookie value is stored, so a
//! leaked database does not hand out live sessions.

use bluelamp_domain::{ForceId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result};

#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub user_id: UserId,
    pub force_id: Option<ForceId>,
    pub csrf_token: String,
    pub second_factor_pending: bool,
    pub expires_at: String,
}

fn session_from(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        force_id: row.try_get::<Option<i64>, _>("force_id")?.map(ForceId),
        csrf_token: row.try_get("csrf_token")?,
        second_factor_pending: get_bool(row, "second_factor_pending")?,
        expires_at: row.try_get("expires_at")?,
    })
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub force_id: Option<ForceId>,
    pub csrf_token: &'a str,
    pub second_factor_pending: bool,
    pub expires_at: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, session: &NewSession<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, force_id, csrf_token, second_factor_pending, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(session.token_hash)
    .bind(session.user_id.0)
    .bind(session.force_id.map(|f| f.0))
    .bind(session.csrf_token)
    .bind(session.second_factor_pending)
    .bind(now_text())
    .bind(session.expires_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The live session with this token hash, if it has not expired.
pub async fn by_token_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT id, user_id, force_id, csrf_token, second_factor_pending, expires_at \
         FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(session_from).transpose()
}

pub async fn set_force(conn: &mut AnyConnection, id: i64, force: Option<ForceId>) -> Result<()> {
    sqlx::query("UPDATE sessions SET force_id = $1 WHERE id = $2")
        .bind(force.map(|f| f.0))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn complete_second_factor(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET second_factor_pending = $1 WHERE id = $2")
        .bind(false)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// End every session of a user (on password change or when disabled).
pub async fn delete_for_user(
    conn: &mut AnyConnection,
    user: UserId,
    except: Option<i64>,
) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user.0)
        .bind(except.unwrap_or(-1))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_expired(conn: &mut AnyConnection) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_text())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
