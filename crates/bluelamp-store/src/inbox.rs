//! The inbox (migration 0012): messages from the public on every channel, stored once
//! per force, channel and external id, with their triage; and what staff did with
//! them (events).

use bluelamp_domain::{AccountId, ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result};

/// A message as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub channel: String,
    pub external_id: String,
    pub author_handle: String,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
    /// As the sender wrote it; always rendered escaped.
    pub body: String,
    pub media: serde_json::Value,
    pub reply_to: Option<String>,
    pub conversation: Option<String>,
    pub sent_at: String,
    pub received_at: String,
    pub labels: Vec<String>,
    pub primary: String,
    pub urgent: bool,
    pub priority: String,
    pub evidence: serde_json::Value,
    pub status: String,
    pub assignee_id: Option<UserId>,
    pub team: Option<String>,
    pub hidden_at: Option<String>,
    pub hidden_reason: Option<String>,
    pub auto_reply: Option<String>,
    /// The case it is about, when staff linked one: replies are checked in its light.
    pub case_reference: Option<String>,
}

/// What to store.
pub struct NewMessage<'a> {
    pub force_id: ForceId,
    pub account_id: Option<AccountId>,
    pub channel: &'a str,
    pub external_id: &'a str,
    pub author_handle: &'a str,
    pub author_name: Option<&'a str>,
    pub author_url: Option<&'a str>,
    pub body: &'a str,
    /// The attachments as JSON text.
    pub media: &'a str,
    pub reply_to: Option<&'a str>,
    pub conversation: Option<&'a str>,
    pub sent_at: Option<&'a str>,
    /// The labels as a JSON array.
    pub labels: &'a str,
    pub primary: &'a str,
    pub urgent: bool,
    pub priority: &'a str,
    /// The triage evidence as JSON text.
    pub evidence: &'a str,
    pub auto_reply: Option<&'a str>,
    /// Hidden on arrival (abuse), with the reason shown to reviewers.
    pub hidden_reason: Option<&'a str>,
    /// Routed to a team on arrival (safeguarding): stored as assigned to it.
    pub team: Option<&'a str>,
}

const COLUMNS: &str = "id, force_id, account_id, channel, external_id, author_handle, \
    author_name, author_url, body, media, reply_to, conversation, sent_at, received_at, \
    labels, primary_category, urgent, priority, evidence, status, assignee_id, team, \
    hidden_at, hidden_reason, auto_reply, case_reference";

fn from_row(r: &AnyRow) -> Result<Message> {
    let media: String = r.try_get("media")?;
    let labels: String = r.try_get("labels")?;
    let evidence: String = r.try_get("evidence")?;
    Ok(Message {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        account_id: r.try_get::<Option<i64>, _>("account_id")?.map(AccountId),
        channel: r.try_get("channel")?,
        external_id: r.try_get("external_id")?,
        author_handle: r.try_get("author_handle")?,
        author_name: r.try_get("author_name")?,
        author_url: r.try_get("author_url")?,
        body: r.try_get("body")?,
        media: serde_json::from_str(&media).unwrap_or(serde_json::Value::Null),
        reply_to: r.try_get("reply_to")?,
        conversation: r.try_get("conversation")?,
        sent_at: r.try_get("sent_at")?,
        received_at: r.try_get("received_at")?,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        primary: r.try_get("primary_category")?,
        urgent: get_bool(r, "urgent")?,
        priority: r.try_get("priority")?,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
        status: r.try_get("status")?,
        assignee_id: r.try_get::<Option<i64>, _>("assignee_id")?.map(UserId),
        team: r.try_get("team")?,
        hidden_at: r.try_get("hidden_at")?,
        hidden_reason: r.try_get("hidden_reason")?,
        auto_reply: r.try_get("auto_reply")?,
        case_reference: r.try_get("case_reference")?,
    })
}

pub use crate::inbox_bulk::{insert_many, ROWS_PER_INSERT};

/// Link message `id` to a case (`None`: unlink).
pub async fn set_case(conn: &mut AnyConnection, id: i64, reference: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE inbox_messages SET case_reference = $1 WHERE id = $2")
        .bind(reference)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores a message; `None` when this force already has it (same channel and
/// external id), so a resend is one message.
pub async fn insert(conn: &mut AnyConnection, m: &NewMessage<'_>) -> Result<Option<i64>> {
    Ok(insert_many(conn, std::slice::from_ref(m))
        .await?
        .into_iter()
        .next()
        .flatten())
}

/// The id of the message a force already has on this channel with this external id.
pub async fn find_external(
    conn: &mut AnyConnection,
    force: ForceId,
    channel: &str,
    external_id: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT id FROM inbox_messages WHERE force_id = $1 AND channel = $2 AND external_id = $3",
    )
    .bind(force.0)
    .bind(channel)
    .bind(external_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inbox_messages WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Which messages to list. Empty strings and `None` mean "any".
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub category: Option<String>,
    pub priority: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub account_id: Option<AccountId>,
    pub assignee_id: Option<UserId>,
    pub team: Option<String>,
    /// `Some(true)`: only hidden (the review queue); `Some(false)`: only visible.
    pub hidden: Option<bool>,
    pub author_handle: Option<String>,
    /// Newest first, at most this many, ids below `before` when set.
    pub limit: i64,
    pub before: Option<i64>,
}

/// A force's messages matching `filter`, urgent first then newest first.
pub async fn list(
    conn: &mut AnyConnection,
    force: ForceId,
    filter: &Filter,
) -> Result<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inbox_messages WHERE force_id = $1 \
         AND ($2 = '' OR labels LIKE $3) \
         AND ($4 = '' OR priority = $4) \
         AND ($5 = '' OR channel = $5) \
         AND ($6 = '' OR status = $6) \
         AND ($7 = 0 OR account_id = $7) \
         AND ($8 = 0 OR assignee_id = $8) \
         AND ($9 = '' OR team = $9) \
         AND ($10 = 0 OR ($10 = 1 AND hidden_at IS NOT NULL) OR ($10 = 2 AND hidden_at IS NULL)) \
         AND ($11 = '' OR author_handle = $11) \
         AND ($12 = 0 OR id < $12) \
         ORDER BY CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, id DESC \
         LIMIT $13"
    ))
    .bind(force.0)
    .bind(filter.category.as_deref().unwrap_or(""))
    .bind(format!(
        "%\"{}\"%",
        filter.category.as_deref().unwrap_or("")
    ))
    .bind(filter.priority.as_deref().unwrap_or(""))
    .bind(filter.channel.as_deref().unwrap_or(""))
    .bind(filter.status.as_deref().unwrap_or(""))
    .bind(filter.account_id.map_or(0, |a| a.0))
    .bind(filter.assignee_id.map_or(0, |u| u.0))
    .bind(filter.team.as_deref().unwrap_or(""))
    .bind(match filter.hidden {
        None => 0i64,
        Some(true) => 1,
        Some(false) => 2,
    })
    .bind(filter.author_handle.as_deref().unwrap_or(""))
    .bind(filter.before.unwrap_or(0))
    .bind(filter.limit.clamp(1, 500))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Set a message's status; the first answer and the first close are also kept
/// as times, for the response-time roll-ups.
pub async fn set_status(conn: &mut AnyConnection, id: i64, status: &str) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "UPDATE inbox_messages SET status = $1, \
         answered_at = CASE WHEN $2 = 'answered' THEN COALESCE(answered_at, $3) ELSE answered_at END, \
         closed_at = CASE WHEN $4 = 'closed' THEN COALESCE(closed_at, $5) ELSE closed_at END \
         WHERE id = $6",
    )
        .bind(status)
        .bind(status)
        .bind(&now)
        .bind(status)
        .bind(&now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn assign(
    conn: &mut AnyConnection,
    id: i64,
    assignee: Option<UserId>,
    team: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE inbox_messages SET assignee_id = $1, team = $2, \
         status = CASE WHEN status = 'new' THEN 'assigned' ELSE status END WHERE id = $3",
    )
    .bind(assignee.map(|u| u.0))
    .bind(team)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Hands every open message assigned to `from` to `team`; returns how many.
pub async fn hand_over(
    conn: &mut AnyConnection,
    force: ForceId,
    from: UserId,
    team: &str,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "UPDATE inbox_messages SET assignee_id = NULL, team = $1 \
         WHERE force_id = $2 AND assignee_id = $3 AND status NOT IN ('answered', 'closed') \
         RETURNING id",
    )
    .bind(team)
    .bind(force.0)
    .bind(from.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get("id").map_err(Into::into))
        .collect()
}

/// Hides (`Some(reason)`) or restores (`None`) a message. Never deletes it.
pub async fn set_hidden(conn: &mut AnyConnection, id: i64, reason: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE inbox_messages SET hidden_at = $1, hidden_reason = $2 WHERE id = $3")
        .bind(reason.map(|_| now_text()))
        .bind(reason)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces the triage after a person overruled it.
pub async fn set_triage(
    conn: &mut AnyConnection,
    id: i64,
    labels: &[&str],
    primary: &str,
    urgent: bool,
    priority: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE inbox_messages SET labels = $1, primary_category = $2, urgent = $3, priority = $4 \
         WHERE id = $5",
    )
    .bind(serde_json::to_string(labels).unwrap_or_else(|_| "[]".into()))
    .bind(primary)
    .bind(urgent)
    .bind(priority)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Counts per status and the hidden count, for the inbox's summary line.
pub async fn counts(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM inbox_messages WHERE force_id = $1 GROUP BY status \
         ORDER BY status",
    )
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Something a person did with a message.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub message_id: i64,
    pub kind: String,
    pub detail: serde_json::Value,
    pub user_id: Option<UserId>,
    pub user_label: String,
    pub created_at: String,
}

pub async fn add_event(
    conn: &mut AnyConnection,
    message: &Message,
    kind: &str,
    detail: &serde_json::Value,
    user: Option<UserId>,
    user_label: &str,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO inbox_events (message_id, force_id, kind, detail, user_id, user_label, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(message.id)
    .bind(message.force_id.0)
    .bind(kind)
    .bind(detail.to_string())
    .bind(user.map(|u| u.0))
    .bind(user_label)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

fn event_from_row(r: &AnyRow) -> Result<Event> {
    let detail: String = r.try_get("detail")?;
    Ok(Event {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        kind: r.try_get("kind")?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
        user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        user_label: r.try_get("user_label")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn events(conn: &mut AnyConnection, message: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, message_id, kind, detail, user_id, user_label, created_at FROM inbox_events \
         WHERE message_id = $1 ORDER BY id",
    )
    .bind(message)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// Every event of one kind in a force (or all forces), oldest first: the overrules
/// export reads these.
pub async fn events_of_kind(
    conn: &mut AnyConnection,
    force: Option<ForceId>,
    kind: &str,
) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT id, message_id, kind, detail, user_id, user_label, created_at FROM inbox_events \
         WHERE ($1 = 0 OR force_id = $1) AND kind = $2 ORDER BY id",
    )
    .bind(force.map_or(0, |f| f.0))
    .bind(kind)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// Visible messages addressed to any of `accounts` on a social network (what the
/// officer running the account would see there anyway; e-mail and web-form
/// messages stay in the inbox), in an id window, newest first: a client app's
/// notifications.
pub async fn addressed_window(
    conn: &mut AnyConnection,
    force: ForceId,
    accounts: &[AccountId],
    window: &crate::paging::IdWindow,
) -> Result<Vec<Message>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    // Account ids are integers from our own rows: inlined, one query shape for both backends.
    let list = accounts
        .iter()
        .map(|a| a.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let (clause, lower, upper) = window.clause("id", 2);
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inbox_messages WHERE force_id = $1 AND hidden_at IS NULL \
         AND channel IN ('fediverse', 'bluesky', 'x', 'facebook') \
         AND account_id IN ({list}) AND {clause} LIMIT $4"
    ))
    .bind(force.0)
    .bind(lower)
    .bind(upper)
    .bind(window.bounded_limit())
    .fetch_all(&mut *conn)
    .await?;
    let messages = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(window.settle(messages))
}

/// The `(channel, author_handle)` of every sender the force has muted or blocked.
pub async fn muted_senders(
    conn: &mut AnyConnection,
    force: ForceId,
) -> Result<std::collections::HashSet<(String, String)>> {
    let rows =
        sqlx::query("SELECT channel, author_handle FROM inbox_muted_senders WHERE force_id = $1")
            .bind(force.0)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("channel")?, r.try_get("author_handle")?)))
        .collect()
}

/// Whether one sender is muted or blocked.
pub async fn is_muted(
    conn: &mut AnyConnection,
    force: ForceId,
    channel: &str,
    author_handle: &str,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 AS hit FROM inbox_muted_senders WHERE force_id = $1 AND channel = $2 \
         AND author_handle = $3",
    )
    .bind(force.0)
    .bind(channel)
    .bind(author_handle)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Mute (or block) a sender; a second mute changes the mode and reason.
pub async fn mute_sender(
    conn: &mut AnyConnection,
    message: &Message,
    mode: &str,
    reason: &str,
    by: Option<UserId>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO inbox_muted_senders (force_id, channel, author_handle, mode, reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (force_id, channel, author_handle) \
         DO UPDATE SET mode = excluded.mode, reason = excluded.reason",
    )
    .bind(message.force_id.0)
    .bind(&message.channel)
    .bind(&message.author_handle)
    .bind(mode)
    .bind(reason)
    .bind(by.map(|u| u.0))
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Unmute a sender; whether they were muted.
pub async fn unmute_sender(conn: &mut AnyConnection, message: &Message) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM inbox_muted_senders WHERE force_id = $1 AND channel = $2 AND author_handle = $3",
    )
    .bind(message.force_id.0)
    .bind(&message.channel)
    .bind(&message.author_handle)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Remove `needle` from a message for good: its text, the triage's evidence,
/// what staff wrote about it (events) and what was shared in its referrals.
/// Returns how many places changed.
/// `evidence` is the triage evidence already cleaned by the caller (it quotes
/// single words, so a plain replace would leave parts of the words behind).
pub async fn redact(
    conn: &mut AnyConnection,
    message: &Message,
    needle: &str,
    mark: &str,
    evidence: &serde_json::Value,
) -> Result<u64> {
    let scrub = |text: &str| text.replace(needle, mark);
    let mut changed = 0;
    let evidence = scrub(&evidence.to_string());
    changed += sqlx::query("UPDATE inbox_messages SET body = $1, evidence = $2 WHERE id = $3")
        .bind(scrub(&message.body))
        .bind(evidence)
        .bind(message.id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let events = sqlx::query("SELECT id, detail FROM inbox_events WHERE message_id = $1")
        .bind(message.id)
        .fetch_all(&mut *conn)
        .await?;
    for row in events {
        let detail: String = row.try_get("detail")?;
        if detail.contains(needle) {
            let id: i64 = row.try_get("id")?;
            changed += sqlx::query("UPDATE inbox_events SET detail = $1 WHERE id = $2")
                .bind(scrub(&detail))
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
    }
    let referrals = sqlx::query("SELECT id, shared FROM referrals WHERE message_id = $1")
        .bind(message.id)
        .fetch_all(&mut *conn)
        .await?;
    for row in referrals {
        let shared: String = row.try_get("shared")?;
        if shared.contains(needle) {
            let id: i64 = row.try_get("id")?;
            changed += sqlx::query("UPDATE referrals SET shared = $1 WHERE id = $2")
                .bind(scrub(&shared))
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
    }
    Ok(changed)
}

/// How many messages each of `handles` sent since `since`, on any channel: what a
/// batch needs for flood control, and no more. A storm's window holds millions of
/// messages, so the count never groups the whole window: the window is found by its
/// first message (one step down the time index), then each handle's messages from
/// that id on are counted on the (force, author, id) index alone, never reading a
/// row. (Ids follow arrival, so "from the window's first id" is the window.)
///
/// Only senders with at least `at_least` messages are returned (the others are
/// absent): a batch in which no sender appears more than k times needs the exact
/// count only of those already near the flood limit, and most senders are not.
pub async fn sender_counts(
    conn: &mut AnyConnection,
    force: ForceId,
    since: &str,
    handles: &[&str],
    at_least: i64,
) -> Result<std::collections::HashMap<String, i64>> {
    let mut counts = std::collections::HashMap::new();
    if handles.is_empty() {
        return Ok(counts);
    }
    let first = sqlx::query(
        "SELECT id FROM inbox_messages WHERE force_id = $1 AND received_at >= $2 \
         ORDER BY received_at LIMIT 1",
    )
    .bind(force.0)
    .bind(since)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(first) = first else {
        return Ok(counts);
    };
    let first: i64 = first.try_get("id")?;
    let mut handles: Vec<&str> = handles.to_vec();
    handles.sort_unstable();
    handles.dedup();
    let params = crate::Params::of(conn);
    if params == crate::Params::Numbered {
        // PostgreSQL: one statement, the handles as one JSON array, each counted in a
        // lateral subquery on its own author index range. (With an `IN` list the
        // planner, on a table that grew since its last ANALYZE, scanned the window by
        // id: 360 ms a batch of 1,000.)
        let list = serde_json::to_string(&handles)
            .map_err(|e| crate::StoreError::Corrupt(format!("handles as JSON: {e}")))?;
        let rows = sqlx::query(
            "SELECT h.handle AS author_handle, c.n FROM jsonb_array_elements_text($2::jsonb) \
             AS h(handle) CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM inbox_messages m \
             WHERE m.force_id = $1 AND m.author_handle = h.handle AND m.id >= $3) c \
             WHERE c.n >= $4",
        )
        .bind(force.0)
        .bind(list)
        .bind(first)
        .bind(at_least.max(1))
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            counts.insert(row.try_get("author_handle")?, row.try_get::<i64, _>("n")?);
        }
        return Ok(counts);
    }
    for chunk in handles.chunks(HANDLES_PER_COUNT) {
        let sql = format!(
            "SELECT author_handle, COUNT(*) AS n FROM inbox_messages \
             WHERE force_id = {} AND author_handle IN ({}) AND id >= {} GROUP BY author_handle \
             HAVING COUNT(*) >= {}",
            params.nth(1),
            params.list(2, chunk.len()),
            params.nth(chunk.len() + 2),
            params.nth(chunk.len() + 3),
        );
        let mut query = sqlx::query(&sql).bind(force.0);
        for handle in chunk {
            query = query.bind(*handle);
        }
        for row in query
            .bind(first)
            .bind(at_least.max(1))
            .fetch_all(&mut *conn)
            .await?
        {
            counts.insert(row.try_get("author_handle")?, row.try_get::<i64, _>("n")?);
        }
    }
    Ok(counts)
}

/// Sender handles per counting statement.
const HANDLES_PER_COUNT: usize = 500;
