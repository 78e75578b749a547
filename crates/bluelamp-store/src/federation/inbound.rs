//! Inbound activity ids (replay protection) and the messages kept for staff.

use bluelamp_domain::{AccountId, ForceId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

/// Record an activity id for a force; `false` when that force already saw it (a
/// replay). Per force: the same activity addressed to two forces reaches both.
pub async fn record_inbound(
    conn: &mut AnyConnection,
    force: ForceId,
    activity_id: &str,
    actor_id: &str,
    kind: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO inbound_activities (force_id, activity_id, actor_id, kind, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (force_id, activity_id) DO NOTHING \
         RETURNING activity_id",
    )
    .bind(force.0)
    .bind(activity_id)
    .bind(actor_id)
    .bind(kind)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

#[derive(Debug, Clone, Serialize)]
pub struct InboundMessage {
    pub id: i64,
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub object_id: String,
    pub actor_id: String,
    pub author_name: Option<String>,
    pub in_reply_to: Option<String>,
    pub content_html: String,
    pub content_warning: Option<String>,
    pub attachments: serde_json::Value,
    pub url: Option<String>,
    pub published: Option<String>,
    pub received_at: String,
    pub updated_at: Option<String>,
    pub deleted_at: Option<String>,
}

/// What a new inbound message holds; `content_html` must already be sanitised.
pub struct NewInboundMessage<'a> {
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub object_id: &'a str,
    pub actor_id: &'a str,
    pub author_name: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
    pub content_html: &'a str,
    pub content_warning: Option<&'a str>,
    pub attachments: &'a serde_json::Value,
    pub url: Option<&'a str>,
    pub published: Option<&'a str>,
}

const MESSAGE_COLUMNS: &str = "id, force_id, account_id, object_id, actor_id, author_name, \
    in_reply_to, content_html, content_warning, attachments, url, published, received_at, \
    updated_at, deleted_at";

fn message_from(r: &AnyRow) -> Result<InboundMessage> {
    let attachments: String = r.try_get("attachments")?;
    Ok(InboundMessage {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        account_id: r.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        object_id: r.try_get("object_id")?,
        actor_id: r.try_get("actor_id")?,
        author_name: r.try_get("author_name")?,
        in_reply_to: r.try_get("in_reply_to")?,
        content_html: r.try_get("content_html")?,
        content_warning: r.try_get("content_warning")?,
        attachments: serde_json::from_str(&attachments).unwrap_or(serde_json::Value::Null),
        url: r.try_get("url")?,
        published: r.try_get("published")?,
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted_at: r.try_get("deleted_at")?,
    })
}

/// Store a message once per force and object id; `false` if it was already there.
pub async fn insert_message(conn: &mut AnyConnection, m: &NewInboundMessage<'_>) -> Result<bool> {
    let row = sqlx::query(
        "INSERT INTO inbound_messages (force_id, account_id, object_id, actor_id, author_name, \
         in_reply_to, content_html, content_warning, attachments, url, published, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (force_id, object_id) DO NOTHING RETURNING id",
    )
    .bind(m.force_id.0)
    .bind(m.account_id.map(|a| a.0))
    .bind(m.object_id)
    .bind(m.actor_id)
    .bind(m.author_name)
    .bind(m.in_reply_to)
    .bind(m.content_html)
    .bind(m.content_warning)
    .bind(m.attachments.to_string())
    .bind(m.url)
    .bind(m.published)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Apply a remote edit; only the author's own object changes.
pub async fn update_message(
    conn: &mut AnyConnection,
    object_id: &str,
    actor_id: &str,
    content_html: &str,
    content_warning: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inbound_messages SET content_html = $1, content_warning = $2, updated_at = $3 \
         WHERE object_id = $4 AND actor_id = $5 AND deleted_at IS NULL",
    )
    .bind(content_html)
    .bind(content_warning)
    .bind(now_text())
    .bind(object_id)
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A remote Delete: the message is marked deleted and its content cleared, as
/// the author asked; only the author's own object is touched.
pub async fn delete_message(
    conn: &mut AnyConnection,
    object_id: &str,
    actor_id: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inbound_messages SET deleted_at = $1, content_html = '', attachments = '[]' \
         WHERE object_id = $2 AND actor_id = $3 AND deleted_at IS NULL",
    )
    .bind(now_text())
    .bind(object_id)
    .bind(actor_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn messages(
    conn: &mut AnyConnection,
    force: ForceId,
    limit: i64,
) -> Result<Vec<InboundMessage>> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM inbound_messages WHERE force_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(force.0)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(message_from).collect()
}
