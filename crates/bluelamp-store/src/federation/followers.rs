//! Remote followers of our accounts, and ending follows.

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Follower {
    pub account_id: AccountId,
    pub actor_id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub follow_id: String,
    pub created_at: String,
}

/// Add or refresh a follower (a repeated Follow updates the inboxes and id).
pub async fn upsert_follower(
    conn: &mut AnyConnection,
    account: AccountId,
    actor_id: &str,
    inbox: &str,
    shared_inbox: Option<&str>,
    follow_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO followers (account_id, actor_id, inbox, shared_inbox, follow_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, actor_id) DO UPDATE SET \
         inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, follow_id = excluded.follow_id",
    )
    .bind(account.0)
    .bind(actor_id)
    .bind(inbox)
    .bind(shared_inbox)
    .bind(follow_id)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Remove `actor_id` as a follower of `account` (or of every account with `None`).
pub async fn remove_follower(
    conn: &mut AnyConnection,
    account: Option<AccountId>,
    actor_id: &str,
) -> Result<u64> {
    let done = match account {
        Some(account) => {
            sqlx::query("DELETE FROM followers WHERE account_id = $1 AND actor_id = $2")
                .bind(account.0)
                .bind(actor_id)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM followers WHERE actor_id = $1")
                .bind(actor_id)
                .execute(&mut *conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// Every remote follower of the force's accounts, as `(account, actor id)`.
pub async fn force_followers(
    conn: &mut AnyConnection,
    force: ForceId,
) -> Result<Vec<(AccountId, String)>> {
    let rows = sqlx::query(
        "SELECT account_id, actor_id FROM followers \
         WHERE account_id IN (SELECT id FROM accounts WHERE force_id = $1) ORDER BY id",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((AccountId(r.try_get("account_id")?), r.try_get("actor_id")?)))
        .collect()
}

pub async fn followers(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<Follower>> {
    let rows = sqlx::query(
        "SELECT account_id, actor_id, inbox, shared_inbox, follow_id, created_at FROM followers \
         WHERE account_id = $1 ORDER BY id",
    )
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Follower {
                account_id: AccountId(r.try_get("account_id")?),
                actor_id: r.try_get("actor_id")?,
                inbox: r.try_get("inbox")?,
                shared_inbox: r.try_get("shared_inbox")?,
                follow_id: r.try_get("follow_id")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn follower_count(conn: &mut AnyConnection, account: AccountId) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM followers WHERE account_id = $1")
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Undo of a Follow named only by its id: only the actor's own follow goes.
pub async fn remove_follow_by_id(
    conn: &mut AnyConnection,
    follow_id: &str,
    actor_id: &str,
) -> Result<u64> {
    let done = sqlx::query("DELETE FROM followers WHERE follow_id = $1 AND actor_id = $2")
        .bind(follow_id)
        .bind(actor_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
