//! What the counting job has not yet counted, and marking it counted. Each batch
//! is read, added to the roll-ups and marked in the caller's one transaction.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// `posts.counted`: the check's outcome is counted.
pub const POST_CHECKED: i64 = 1;
/// `posts.counted`: the publication is counted too.
pub const POST_PUBLISHED: i64 = 3;
/// `inbox_messages.counted` bits.
pub const MESSAGE_RECEIVED: i64 = 1;
pub const MESSAGE_ANSWERED: i64 = 2;
pub const MESSAGE_CLOSED: i64 = 4;

/// A post the counting job has yet to take in (fully or its publication).
#[derive(Debug, Clone)]
pub struct PendingPost {
    pub id: i64,
    pub force_id: i64,
    pub account_id: i64,
    pub author_user_id: i64,
    pub kind: String,
    pub is_reply: bool,
    pub text: String,
    pub decision: String,
    pub findings: String,
    pub published: bool,
    pub published_at: Option<String>,
    pub created_at: String,
    pub counted: i64,
}

/// Up to `limit` posts whose check or publication is not counted, oldest first.
pub async fn pending_posts(conn: &mut AnyConnection, limit: i64) -> Result<Vec<PendingPost>> {
    let rows = sqlx::query(
        "SELECT id, force_id, account_id, author_user_id, kind, reply_to_post_id, text, decision, \
         findings, status, published_at, created_at, counted FROM posts \
         WHERE counted = 0 OR (counted = 1 AND status = 'published') ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let kind: String = r.try_get("kind")?;
            Ok(PendingPost {
                id: r.try_get("id")?,
                force_id: r.try_get("force_id")?,
                account_id: r.try_get("account_id")?,
                author_user_id: r.try_get("author_user_id")?,
                is_reply: kind == "reply"
                    || r.try_get::<Option<i64>, _>("reply_to_post_id")?.is_some(),
                kind,
                text: r.try_get("text")?,
                decision: r.try_get("decision")?,
                findings: r.try_get("findings")?,
                published: status == "published",
                published_at: r.try_get("published_at")?,
                created_at: r.try_get("created_at")?,
                counted: r.try_get("counted")?,
            })
        })
        .collect()
}

pub async fn mark_post(conn: &mut AnyConnection, id: i64, counted: i64) -> Result<()> {
    sqlx::query("UPDATE posts SET counted = $1 WHERE id = $2")
        .bind(counted)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A like or boost not yet counted, with the post it is about.
#[derive(Debug, Clone)]
pub struct PendingReaction {
    pub activity_id: String,
    pub post_id: i64,
    pub actor_id: String,
    pub kind: String,
    pub created_at: String,
    pub force_id: i64,
    pub account_id: i64,
    /// The post's publication is counted (it has its roll-up row).
    pub post_counted: bool,
    pub post_published: bool,
}

pub async fn pending_reactions(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<PendingReaction>> {
    let rows = sqlx::query(
        "SELECT r.activity_id, r.post_id, r.actor_id, r.kind, r.created_at, p.force_id, p.account_id, \
         p.status AS post_status, p.counted AS post_counted \
         FROM post_reactions r JOIN posts p ON p.id = r.post_id \
         WHERE r.counted = 0 ORDER BY r.created_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingReaction {
                activity_id: r.try_get("activity_id")?,
                post_id: r.try_get("post_id")?,
                actor_id: r.try_get("actor_id")?,
                kind: r.try_get("kind")?,
                created_at: r.try_get("created_at")?,
                force_id: r.try_get("force_id")?,
                account_id: r.try_get("account_id")?,
                post_counted: r.try_get::<i64, _>("post_counted")? == POST_PUBLISHED,
                post_published: r.try_get::<String, _>("post_status")? == "published",
            })
        })
        .collect()
}

/// Mark a reaction taken in: 1 counted, 2 passed over (its post was never
/// published as far as the counts know, so there is nothing to add it to).
pub async fn mark_reaction(
    conn: &mut AnyConnection,
    activity_id: &str,
    counted: i64,
) -> Result<()> {
    sqlx::query("UPDATE post_reactions SET counted = $1 WHERE activity_id = $2")
        .bind(counted)
        .bind(activity_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Add `likes` and `boosts` to a post's totals; `false` when the post has no
/// roll-up row yet (its publication is still to be counted).
pub async fn add_to_post(
    conn: &mut AnyConnection,
    post: i64,
    likes: i64,
    boosts: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE stats_post SET likes = likes + $1, boosts = boosts + $2 WHERE post_id = $3",
    )
    .bind(likes)
    .bind(boosts)
    .bind(post)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Make a published post's roll-up row (once: a second call changes nothing).
#[allow(clippy::too_many_arguments)]
pub async fn insert_post(
    conn: &mut AnyConnection,
    post: i64,
    force: i64,
    account: i64,
    author: i64,
    day: &str,
    kind: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO stats_post (post_id, force_id, account_id, author_user_id, day, kind) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (post_id) DO NOTHING",
    )
    .bind(post)
    .bind(force)
    .bind(account)
    .bind(author)
    .bind(day)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An inbox message with something not yet counted.
#[derive(Debug, Clone)]
pub struct PendingMessage {
    pub id: i64,
    pub force_id: i64,
    pub account_id: Option<i64>,
    pub channel: String,
    /// What it answers there (one of our posts, perhaps).
    pub reply_to: Option<String>,
    /// Who sent it: their address where the channel gives one, else their handle.
    pub author: String,
    pub category: String,
    pub received_at: String,
    pub answered_at: Option<String>,
    pub closed_at: Option<String>,
    pub counted: i64,
}

pub async fn pending_messages(conn: &mut AnyConnection, limit: i64) -> Result<Vec<PendingMessage>> {
    let rows = sqlx::query(
        "SELECT id, force_id, account_id, channel, reply_to, author_handle, author_url, \
         primary_category, received_at, answered_at, closed_at, counted FROM inbox_messages \
         WHERE counted = 0 OR (counted = 1 AND (answered_at IS NOT NULL OR closed_at IS NOT NULL)) \
            OR (counted = 3 AND closed_at IS NOT NULL) ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingMessage {
                id: r.try_get("id")?,
                force_id: r.try_get("force_id")?,
                account_id: r.try_get("account_id")?,
                channel: r.try_get("channel")?,
                reply_to: r.try_get("reply_to")?,
                author: r
                    .try_get::<Option<String>, _>("author_url")?
                    .unwrap_or(r.try_get("author_handle")?),
                category: r.try_get("primary_category")?,
                received_at: r.try_get("received_at")?,
                answered_at: r.try_get("answered_at")?,
                closed_at: r.try_get("closed_at")?,
                counted: r.try_get("counted")?,
            })
        })
        .collect()
}

pub async fn mark_message(conn: &mut AnyConnection, id: i64, counted: i64) -> Result<()> {
    sqlx::query("UPDATE inbox_messages SET counted = $1 WHERE id = $2")
        .bind(counted)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How much is waiting to be counted (for the health page and tests).
pub async fn backlog(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM posts WHERE counted = 0 OR (counted = 1 AND status = 'published')) \
         + (SELECT COUNT(*) FROM post_reactions WHERE counted = 0) \
         + (SELECT COUNT(*) FROM inbox_messages WHERE counted = 0 \
            OR (counted = 1 AND (answered_at IS NOT NULL OR closed_at IS NOT NULL)) \
            OR (counted = 3 AND closed_at IS NOT NULL)) AS n",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// The post of `force` that a network's `remote_uri` names (where we sent it).
pub async fn post_by_remote_uri(
    conn: &mut AnyConnection,
    force: i64,
    remote_uri: &str,
) -> Result<Option<(i64, i64)>> {
    let row = sqlx::query(
        "SELECT p.id, p.account_id FROM channel_posts c JOIN posts p ON p.id = c.post_id \
         WHERE c.remote_uri = $1 AND p.force_id = $2 LIMIT 1",
    )
    .bind(remote_uri)
    .bind(force)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("account_id")?)))
        .transpose()
}

/// A message that replied to a post: listed with it, and added to its total
/// (once: a second call changes nothing).
pub async fn add_reply(conn: &mut AnyConnection, post: i64, message: i64) -> Result<bool> {
    let added = sqlx::query(
        "INSERT INTO post_replies (post_id, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(post)
    .bind(message)
    .execute(&mut *conn)
    .await?;
    if added.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE stats_post SET replies = replies + 1 WHERE post_id = $1")
        .bind(post)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
