//! Likes and boosts our posts receive, and reports (Flags) from remote servers.

use bluelamp_domain::ForceId;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// Count a like or boost; `false` when it was already counted, by this activity
/// id or because this actor already reacted so to this post (one each, however
/// many activity ids it sends).
pub async fn add_reaction(
    conn: &mut AnyConnection,
    activity_id: &str,
    post_id: i64,
    actor_id: &str,
    kind: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO post_reactions (activity_id, post_id, actor_id, kind, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(activity_id)
    .bind(post_id)
    .bind(actor_id)
    .bind(kind)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Undo of a Like or Announce named by what it was about: the actor's reaction
/// of that kind to that post, whichever activity id counted it.
pub async fn remove_reaction_to(
    conn: &mut AnyConnection,
    post_id: i64,
    actor_id: &str,
    kind: &str,
) -> Result<()> {
    let gone = sqlx::query(
        "DELETE FROM post_reactions WHERE post_id = $1 AND actor_id = $2 AND kind = $3 \
         RETURNING post_id, kind, counted",
    )
    .bind(post_id)
    .bind(actor_id)
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?;
    uncount(conn, &gone).await
}

/// Undo of a Like or Announce, by the activity's id and its actor.
pub async fn remove_reaction(
    conn: &mut AnyConnection,
    activity_id: &str,
    actor_id: &str,
) -> Result<()> {
    let gone = sqlx::query(
        "DELETE FROM post_reactions WHERE activity_id = $1 AND actor_id = $2 \
         RETURNING post_id, kind, counted",
    )
    .bind(activity_id)
    .bind(actor_id)
    .fetch_all(&mut *conn)
    .await?;
    uncount(conn, &gone).await
}

/// An undone reaction the counting job had already counted comes off its
/// post's total (the daily figures keep it: they count what arrived each day).
async fn uncount(conn: &mut AnyConnection, gone: &[sqlx::any::AnyRow]) -> Result<()> {
    for row in gone {
        if row.try_get::<i64, _>("counted")? != 1 {
            continue;
        }
        let like = row.try_get::<String, _>("kind")? == "like";
        let post: i64 = row.try_get("post_id")?;
        crate::analytics::counting::add_to_post(conn, post, -i64::from(like), -i64::from(!like))
            .await?;
    }
    Ok(())
}

/// `(likes, boosts)` of a post.
pub async fn reaction_counts(conn: &mut AnyConnection, post_id: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN kind = 'like' THEN 1 ELSE 0 END), 0) AS likes, \
         COALESCE(SUM(CASE WHEN kind = 'announce' THEN 1 ELSE 0 END), 0) AS boosts \
         FROM post_reactions WHERE post_id = $1",
    )
    .bind(post_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get("likes")?, row.try_get("boosts")?))
}

pub async fn insert_report(
    conn: &mut AnyConnection,
    force: ForceId,
    actor_id: &str,
    activity_id: &str,
    objects: &[String],
    content: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO remote_reports (force_id, actor_id, activity_id, objects, content, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(force.0)
    .bind(actor_id)
    .bind(activity_id)
    .bind(serde_json::to_string(objects).unwrap_or_else(|_| "[]".into()))
    .bind(content)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub actor_id: String,
    pub objects: Vec<String>,
    pub content: Option<String>,
    pub received_at: String,
}

pub async fn reports(conn: &mut AnyConnection, force: ForceId, limit: i64) -> Result<Vec<Report>> {
    let rows = sqlx::query(
        "SELECT actor_id, objects, content, received_at FROM remote_reports WHERE force_id = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let objects: String = r.try_get("objects")?;
            Ok(Report {
                actor_id: r.try_get("actor_id")?,
                objects: serde_json::from_str(&objects).unwrap_or_default(),
                content: r.try_get("content")?,
                received_at: r.try_get("received_at")?,
            })
        })
        .collect()
}
