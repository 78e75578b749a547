//! Mentions in our posts that resolved to an actor.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// A mention in one of our posts that resolved to an actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostMention {
    /// `user@domain`, lower case.
    pub acct: String,
    pub actor_id: String,
    /// `None` for our own accounts: nothing to deliver.
    pub inbox: Option<String>,
}

/// Keep a resolved mention (the first resolution wins, so the Note does not
/// change between its deliveries and its served copy).
pub async fn insert_post_mention(
    conn: &mut AnyConnection,
    post_id: i64,
    mention: &PostMention,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO post_mentions (post_id, acct, actor_id, inbox, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (post_id, acct) DO NOTHING",
    )
    .bind(post_id)
    .bind(mention.acct.to_lowercase())
    .bind(&mention.actor_id)
    .bind(mention.inbox.as_deref())
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn post_mentions(conn: &mut AnyConnection, post_id: i64) -> Result<Vec<PostMention>> {
    let rows = sqlx::query(
        "SELECT acct, actor_id, inbox FROM post_mentions WHERE post_id = $1 ORDER BY acct",
    )
    .bind(post_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PostMention {
                acct: r.try_get("acct")?,
                actor_id: r.try_get("actor_id")?,
                inbox: r.try_get("inbox")?,
            })
        })
        .collect()
}
