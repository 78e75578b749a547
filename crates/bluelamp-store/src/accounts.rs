//! Public accounts and their members.

use bluelamp_domain::{
    AccountId, AccountKind, DisplayName, ForceId, Handle, MembershipPermissions, Signature, UserId,
};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub force_id: ForceId,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub kind: AccountKind,
    pub created_at: String,
    pub updated_at: String,
}

pub struct NewAccount {
    pub force_id: ForceId,
    pub handle: Handle,
    pub display_name: DisplayName,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub kind: AccountKind,
}

const COLUMNS: &str =
    "id, force_id, handle, display_name, bio, avatar_url, kind, created_at, updated_at";

fn account_from(row: &AnyRow) -> Result<Account> {
    let kind: String = row.try_get("kind")?;
    Ok(Account {
        id: AccountId(row.try_get("id")?),
        force_id: ForceId(row.try_get("force_id")?),
        handle: row.try_get("handle")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        avatar_url: row.try_get("avatar_url")?,
        kind: AccountKind::parse(&kind).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(conn: &mut AnyConnection, account: &NewAccount) -> Result<Account> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "INSERT INTO accounts (force_id, handle, display_name, bio, avatar_url, kind, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
    ))
    .bind(account.force_id.0)
    .bind(account.handle.as_str())
    .bind(account.display_name.as_str())
    .bind(&account.bio)
    .bind(&account.avatar_url)
    .bind(account.kind.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(
            e,
            format!(
                "the handle '@{}' is already used in this force",
                account.handle.as_str()
            ),
        )
    })?;
    account_from(&row)
}

pub async fn update_profile(
    conn: &mut AnyConnection,
    id: AccountId,
    display_name: &DisplayName,
    bio: &str,
) -> Result<Account> {
    let row = sqlx::query(&format!(
        "UPDATE accounts SET display_name = $1, bio = $2, updated_at = $3 WHERE id = $4 \
         RETURNING {COLUMNS}"
    ))
    .bind(display_name.as_str())
    .bind(bio)
    .bind(now_text())
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("account"))?;
    account_from(&row)
}

pub async fn get(conn: &mut AnyConnection, id: AccountId) -> Result<Account> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("account"))?;
    account_from(&row)
}

pub async fn by_handle(conn: &mut AnyConnection, force: ForceId, handle: &str) -> Result<Account> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE force_id = $1 AND handle = $2"
    ))
    .bind(force.0)
    .bind(handle.trim().trim_start_matches('@').to_lowercase())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound("account"))?;
    account_from(&row)
}

pub async fn list(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Account>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE force_id = $1 ORDER BY handle"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(account_from).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub account_id: AccountId,
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    pub permissions: MembershipPermissions,
    pub signature: Option<String>,
}

fn member_from(row: &AnyRow) -> Result<Member> {
    Ok(Member {
        account_id: AccountId(row.try_get("account_id")?),
        user_id: UserId(row.try_get("user_id")?),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        permissions: MembershipPermissions {
            post: get_bool(row, "can_post")?,
            post_without_approval: get_bool(row, "can_post_without_approval")?,
            approve: get_bool(row, "can_approve")?,
        },
        signature: row.try_get("signature")?,
    })
}

const MEMBER_SELECT: &str = "SELECT m.account_id, m.user_id, u.username, u.display_name, \
     m.can_post, m.can_post_without_approval, m.can_approve, m.signature \
     FROM account_members m JOIN users u ON u.id = m.user_id";

/// Add a member or change their permissions; returns the previous membership.
pub async fn upsert_member(
    conn: &mut AnyConnection,
    account: AccountId,
    user: UserId,
    permissions: MembershipPermissions,
    signature: Option<&Signature>,
) -> Result<(Option<Member>, Member)> {
    let before = member(conn, account, user).await?;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, can_post, can_post_without_approval, \
         can_approve, signature) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, user_id) DO UPDATE SET can_post = excluded.can_post, \
         can_post_without_approval = excluded.can_post_without_approval, \
         can_approve = excluded.can_approve, signature = excluded.signature",
    )
    .bind(account.0)
    .bind(user.0)
    .bind(permissions.post)
    .bind(permissions.post_without_approval)
    .bind(permissions.approve)
    .bind(signature.map(|s| s.as_str().to_string()))
    .execute(&mut *conn)
    .await?;
    let after = member(conn, account, user)
        .await?
        .ok_or(StoreError::NotFound("membership"))?;
    Ok((before, after))
}

pub async fn remove_member(
    conn: &mut AnyConnection,
    account: AccountId,
    user: UserId,
) -> Result<Member> {
    let before = member(conn, account, user)
        .await?
        .ok_or(StoreError::NotFound("membership"))?;
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    Ok(before)
}

pub async fn member(
    conn: &mut AnyConnection,
    account: AccountId,
    user: UserId,
) -> Result<Option<Member>> {
    let row = sqlx::query(&format!(
        "{MEMBER_SELECT} WHERE m.account_id = $1 AND m.user_id = $2"
    ))
    .bind(account.0)
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(member_from).transpose()
}

pub async fn members(conn: &mut AnyConnection, account: AccountId) -> Result<Vec<Member>> {
    let rows = sqlx::query(&format!(
        "{MEMBER_SELECT} WHERE m.account_id = $1 ORDER BY u.username"
    ))
    .bind(account.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(member_from).collect()
}

/// The account's out-of-hours auto-reply, if it has one.
pub async fn away_reply(conn: &mut AnyConnection, id: AccountId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT body FROM account_away_replies WHERE account_id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| r.try_get("body"))
        .transpose()
        .map_err(Into::into)
}

/// Set (or, with `None`, remove) the account's out-of-hours auto-reply.
pub async fn set_away_reply(
    conn: &mut AnyConnection,
    id: AccountId,
    body: Option<&str>,
) -> Result<()> {
    match body {
        Some(body) => {
            sqlx::query(
                "INSERT INTO account_away_replies (account_id, body, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (account_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            )
            .bind(id.0)
            .bind(body)
            .bind(now_text())
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM account_away_replies WHERE account_id = $1")
                .bind(id.0)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
