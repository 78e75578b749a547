//! Storing a batch of inbox messages at once: each backend by its fastest bulk path
//! (the ingestion storm's hot spot; see BENCHMARKS.md, "Ingestion").

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::inbox::NewMessage;
use crate::{now_text, Result};

/// The inserted columns, in the order of each row's JSON array, with the type
/// PostgreSQL casts the JSON text to (SQLite takes JSON's own types).
const INSERTED: [(&str, &str); 23] = [
    ("force_id", "bigint"),
    ("account_id", "bigint"),
    ("channel", "text"),
    ("external_id", "text"),
    ("author_handle", "text"),
    ("author_name", "text"),
    ("author_url", "text"),
    ("body", "text"),
    ("media", "text"),
    ("reply_to", "text"),
    ("conversation", "text"),
    ("sent_at", "text"),
    ("received_at", "text"),
    ("labels", "text"),
    ("primary_category", "text"),
    ("urgent", "boolean"),
    ("priority", "text"),
    ("evidence", "text"),
    ("status", "text"),
    ("auto_reply", "text"),
    ("hidden_at", "text"),
    ("hidden_reason", "text"),
    ("team", "text"),
];

/// One message as the JSON array the bulk insert unpacks (in [`INSERTED`] order).
struct RowJson<'a> {
    m: &'a NewMessage<'a>,
    now: &'a str,
}

impl Serialize for RowJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let m = self.m;
        let mut seq = s.serialize_seq(Some(INSERTED.len()))?;
        seq.serialize_element(&m.force_id.0)?;
        seq.serialize_element(&m.account_id.map(|a| a.0))?;
        seq.serialize_element(m.channel)?;
        seq.serialize_element(m.external_id)?;
        seq.serialize_element(m.author_handle)?;
        seq.serialize_element(&m.author_name)?;
        seq.serialize_element(&m.author_url)?;
        seq.serialize_element(m.body)?;
        seq.serialize_element(m.media)?;
        seq.serialize_element(&m.reply_to)?;
        seq.serialize_element(&m.conversation)?;
        seq.serialize_element(m.sent_at.unwrap_or(self.now))?;
        seq.serialize_element(self.now)?;
        seq.serialize_element(m.labels)?;
        seq.serialize_element(m.primary)?;
        seq.serialize_element(&m.urgent)?;
        seq.serialize_element(m.priority)?;
        seq.serialize_element(m.evidence)?;
        seq.serialize_element(if m.team.is_some() { "assigned" } else { "new" })?;
        seq.serialize_element(&m.auto_reply)?;
        seq.serialize_element(&m.hidden_reason.map(|_| self.now))?;
        seq.serialize_element(&m.hidden_reason)?;
        seq.serialize_element(&m.team)?;
        seq.end()
    }
}

/// PostgreSQL's bulk insert: every row of a batch travels as one JSON array parameter
/// that the server unpacks itself, so a batch is one round trip instead of one per few
/// dozen rows.
fn json_insert_sql() -> String {
    let columns: Vec<&str> = INSERTED.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = INSERTED
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| format!("(r ->> {i})::{ty}"))
        .collect();
    // Ordered by position, so ids follow the batch's order as on SQLite.
    format!(
        "INSERT INTO inbox_messages ({}) SELECT {} \
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n) ORDER BY n \
         ON CONFLICT (force_id, channel, external_id) DO NOTHING \
         RETURNING id, channel, external_id",
        columns.join(", "),
        values.join(", ")
    )
}

/// Stores many messages, each backend by its fastest bulk path. Returns, per message
/// in order, its new id or `None` when the force already had it (or it repeats an
/// earlier message of the same call).
pub async fn insert_many(
    conn: &mut AnyConnection,
    messages: &[NewMessage<'_>],
) -> Result<Vec<Option<i64>>> {
    match crate::Params::of(conn) {
        crate::Params::InOrder => insert_rows(conn, messages).await,
        crate::Params::Numbered => insert_json(conn, messages).await,
    }
}

/// PostgreSQL: the whole batch in one statement ([`json_insert_sql`]).
async fn insert_json(
    conn: &mut AnyConnection,
    messages: &[NewMessage<'_>],
) -> Result<Vec<Option<i64>>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_text();
    let rows: Vec<RowJson<'_>> = messages.iter().map(|m| RowJson { m, now: &now }).collect();
    let json = serde_json::to_string(&rows)
        .map_err(|e| crate::StoreError::Corrupt(format!("inbox rows as JSON: {e}")))?;
    let sql = json_insert_sql();
    let returned = sqlx::query(&sql).bind(json).fetch_all(&mut *conn).await?;
    ids_in_order(messages, &returned)
}

/// Each message's new id, in the messages' order, from an insert's `RETURNING id,
/// channel, external_id` rows. The first message of each key gets the id; a repeat
/// within the call, or a message the force already had, gets `None`.
fn ids_in_order(messages: &[NewMessage<'_>], returned: &[AnyRow]) -> Result<Vec<Option<i64>>> {
    let mut created: std::collections::HashMap<(String, String), i64> =
        std::collections::HashMap::with_capacity(returned.len());
    for row in returned {
        created.insert(
            (row.try_get("channel")?, row.try_get("external_id")?),
            row.try_get("id")?,
        );
    }
    Ok(messages
        .iter()
        .map(|m| created.remove(&(m.channel.to_string(), m.external_id.to_string())))
        .collect())
}

/// SQLite: multi-row inserts (one statement per [`ROWS_PER_INSERT`] rows instead of
/// one per message: each statement costs more than the row). Measured against the
/// JSON path on SQLite, this is faster (19,588 against 12,402 messages/s in
/// `examples/ingest_storm.rs`): unpacking JSON row by row costs SQLite more than
/// binding the values.
async fn insert_rows(
    conn: &mut AnyConnection,
    messages: &[NewMessage<'_>],
) -> Result<Vec<Option<i64>>> {
    let now = now_text();
    let mut returned: Vec<AnyRow> = Vec::with_capacity(messages.len());
    let params = crate::Params::of(conn);
    for chunk in messages.chunks(ROWS_PER_INSERT) {
        let mut sql = format!(
            "INSERT INTO inbox_messages ({}) VALUES ",
            INSERTED.map(|(c, _)| c).join(", ")
        );
        for i in 0..chunk.len() {
            let b = i * PARAMS_PER_ROW;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&params.list(b + 1, PARAMS_PER_ROW));
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (force_id, channel, external_id) DO NOTHING RETURNING id, channel, external_id");
        let mut query = sqlx::query(&sql);
        for m in chunk {
            query = query
                .bind(m.force_id.0)
                .bind(m.account_id.map(|a| a.0))
                .bind(m.channel)
                .bind(m.external_id)
                .bind(m.author_handle)
                .bind(m.author_name)
                .bind(m.author_url)
                .bind(m.body)
                .bind(m.media)
                .bind(m.reply_to)
                .bind(m.conversation)
                .bind(m.sent_at.unwrap_or(&now).to_string())
                .bind(now.clone())
                .bind(m.labels)
                .bind(m.primary)
                .bind(m.urgent)
                .bind(m.priority)
                .bind(m.evidence)
                .bind(if m.team.is_some() { "assigned" } else { "new" })
                .bind(m.auto_reply)
                .bind(m.hidden_reason.map(|_| now.clone()))
                .bind(m.hidden_reason)
                .bind(m.team);
        }
        returned.extend(query.fetch_all(&mut *conn).await?);
    }
    ids_in_order(messages, &returned)
}

/// Parameters per inserted row.
const PARAMS_PER_ROW: usize = INSERTED.len();

/// Rows per multi-row insert ([`PARAMS_PER_ROW`] parameters each). Measured with
/// `examples/ingest_storm.rs` on SQLite: 40 beat one row a statement, and 200 was
/// slower than both.
pub const ROWS_PER_INSERT: usize = 40;
