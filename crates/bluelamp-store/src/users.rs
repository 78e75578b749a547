//! Staff users. Users are disabled, never deleted, so their history stays.

use bluelamp_domain::{DisplayName, ForceId, Role, UserId, Username};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub force_id: Option<ForceId>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    /// The last TOTP time step a code was accepted for; codes for it or an
    /// earlier step are refused (no replay).
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    #[serde(skip)]
    pub failed_logins: i64,
    #[serde(skip)]
    pub locked_until: Option<String>,
    pub created_at: String,
    /// Told at once, by every channel they chose, of an emergency from the public.
    pub on_duty: bool,
    /// Safeguarding messages from the public are routed to them.
    pub safeguarding_trained: bool,
}

pub struct NewUser {
    pub force_id: Option<ForceId>,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: Role,
    pub password_hash: String,
}

const COLUMNS: &str = "id, force_id, username, display_name, role, password_hash, disabled, \
                       totp_secret, totp_last_step, failed_logins, locked_until, created_at, \
                       on_duty, safeguarding_trained";

fn user_from(row: &AnyRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    let totp_secret: Option<String> = row.try_get("totp_secret")?;
    Ok(User {
        id: UserId(row.try_get("id")?),
        force_id: row.try_get::<Option<i64>, _>("force_id")?.map(ForceId),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        password_hash: row.try_get("password_hash")?,
        disabled: get_bool(row, "disabled")?,
        totp_enabled: totp_secret.is_some(),
        totp_secret,
        totp_last_step: row.try_get("totp_last_step")?,
        failed_logins: row.try_get("failed_logins")?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
        on_duty: get_bool(row, "on_duty")?,
        safeguarding_trained: get_bool(row, "safeguarding_trained")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, user: &NewUser) -> Result<User> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "INSERT INTO users (force_id, username, display_name, role, password_hash, disabled, \
         failed_logins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) \
         RETURNING {COLUMNS}"
    ))
    .bind(user.force_id.map(|f| f.0))
    .bind(user.username.as_str())
    .bind(user.display_name.as_str())
    .bind(user.role.as_str())
    .bind(&user.password_hash)
    .bind(false)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(
            e,
            format!("the username '{}' is already taken", user.username.as_str()),
        )
    })?;
    user_from(&row)
}

pub async fn get(conn: &mut AnyConnection, id: UserId) -> Result<User> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    user_from(&row)
}

pub async fn by_username(conn: &mut AnyConnection, username: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(user_from).transpose()
}

/// Users of one force, or every user when `force_id` is `None`.
pub async fn list(conn: &mut AnyConnection, force_id: Option<ForceId>) -> Result<Vec<User>> {
    let rows = match force_id {
        Some(force) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM users WHERE force_id = $1 ORDER BY username"
            ))
            .bind(force.0)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(user_from).collect()
}

pub async fn set_password_hash(conn: &mut AnyConnection, id: UserId, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_disabled(conn: &mut AnyConnection, id: UserId, disabled: bool) -> Result<()> {
    sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled)
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_role(conn: &mut AnyConnection, id: UserId, role: Role) -> Result<()> {
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Set (or clear) the TOTP secret together with the step its confirming code
/// was for, so that code cannot be used again to log in.
pub async fn set_totp_secret(
    conn: &mut AnyConnection,
    id: UserId,
    secret: Option<&str>,
    last_step: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(secret)
    .bind(last_step)
    .bind(now_text())
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Record that a code for TOTP time step `step` was accepted, unless one for
/// this step or a later one already was. `false` means the code is a replay.
/// One conditional UPDATE, so two requests racing with the same code cannot
/// both win.
pub async fn accept_totp_step(conn: &mut AnyConnection, id: UserId, step: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 \
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Record a failed login or second-factor code. When it makes `threshold`
/// failures in a row and the account is not locked now, lock it until
/// `lock_until`. The decision is made inside the one UPDATE (which takes the row
/// lock on PostgreSQL and sees the latest count), so attempts running in
/// parallel cannot each read a count below the threshold and all escape the
/// lock. Returns the new count and whether this attempt locked the account.
pub async fn record_failed_login(
    conn: &mut AnyConnection,
    id: UserId,
    threshold: i64,
    lock_until: &str,
) -> Result<(i64, bool)> {
    let row = sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $1 \
             AND (locked_until IS NULL OR locked_until <= $2) THEN $3 ELSE locked_until END \
         WHERE id = $4 RETURNING failed_logins, locked_until",
    )
    .bind(threshold)
    .bind(now_text())
    .bind(lock_until)
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await?;
    let locked_until: Option<String> = row.try_get("locked_until")?;
    Ok((
        row.try_get("failed_logins")?,
        locked_until.as_deref() == Some(lock_until),
    ))
}

pub async fn reset_failed_logins(conn: &mut AnyConnection, id: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

pub async fn set_on_duty(conn: &mut AnyConnection, id: UserId, on_duty: bool) -> Result<()> {
    sqlx::query("UPDATE users SET on_duty = $1, updated_at = $2 WHERE id = $3")
        .bind(on_duty)
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_safeguarding_trained(
    conn: &mut AnyConnection,
    id: UserId,
    trained: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET safeguarding_trained = $1, updated_at = $2 WHERE id = $3")
        .bind(trained)
        .bind(now_text())
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
