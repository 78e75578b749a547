//! Staff delivery preferences (migration 0025): an e-mail address for
//! notifications, and Web Push subscriptions, one per browser.

use bluelamp_domain::UserId;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result};

/// Where a person wants their notifications besides the staff pages.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Delivery {
    pub email: Option<String>,
    pub by_email: bool,
}

pub async fn delivery(conn: &mut AnyConnection, user: UserId) -> Result<Delivery> {
    let row = sqlx::query("SELECT email, notify_by_email FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => Delivery {
            email: row.try_get("email")?,
            by_email: get_bool(&row, "notify_by_email")?,
        },
        None => Delivery::default(),
    })
}

pub async fn set_delivery(
    conn: &mut AnyConnection,
    user: UserId,
    email: Option<&str>,
    by_email: bool,
) -> Result<()> {
    sqlx::query("UPDATE users SET email = $1, notify_by_email = $2 WHERE id = $3")
        .bind(email)
        .bind(by_email)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One browser's push subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub user_id: UserId,
    pub endpoint: String,
    #[serde(skip)]
    pub p256dh: String,
    #[serde(skip)]
    pub auth: String,
    pub created_at: String,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        endpoint: row.try_get("endpoint")?,
        p256dh: row.try_get("p256dh")?,
        auth: row.try_get("auth")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Keep a subscription (the same endpoint again replaces the keys and owner: a
/// browser re-subscribes after its keys rotate).
pub async fn subscribe(
    conn: &mut AnyConnection,
    user: UserId,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> Result<i64> {
    sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
        .bind(endpoint)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(
        "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.0)
    .bind(endpoint)
    .bind(p256dh)
    .bind(auth)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn for_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<Subscription>> {
    let rows = sqlx::query(
        "SELECT id, user_id, endpoint, p256dh, auth, created_at FROM push_subscriptions \
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Subscription>> {
    let row = sqlx::query(
        "SELECT id, user_id, endpoint, p256dh, auth, created_at FROM push_subscriptions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Remove one of `user`'s subscriptions (another person's id removes nothing).
pub async fn remove(conn: &mut AnyConnection, user: Option<UserId>, id: i64) -> Result<bool> {
    let done = match user {
        Some(user) => {
            sqlx::query("DELETE FROM push_subscriptions WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user.0)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(done.rows_affected() > 0)
}
