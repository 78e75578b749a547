//! The audit trail: appended in the same transaction as the change it records.

use bluelamp_domain::audit::checkpoint::{ChainLink, CheckpointHead};
use bluelamp_domain::audit::{
    chain_for_force, verify_chain, AuditRecord, ChainBreak, GENESIS_HASH,
};
use bluelamp_domain::AuditDraft;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

/// Append an entry to its force's chain. Call inside the write transaction of the
/// change, so the change and its record commit or roll back together.
pub async fn append(conn: &mut AnyConnection, draft: AuditDraft) -> Result<AuditRecord> {
    let chain = chain_for_force(draft.force_id);
    // Claim the next sequence number first: the UPDATE takes the row lock on
    // PostgreSQL, so concurrent appends to one chain queue here rather than fork.
    sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (chain) DO NOTHING")
        .bind(&chain)
        .bind(GENESIS_HASH)
        .execute(&mut *conn)
        .await?;
    let head =
        sqlx::query("UPDATE audit_heads SET seq = seq + 1 WHERE chain = $1 RETURNING seq, hash")
            .bind(&chain)
            .fetch_one(&mut *conn)
            .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let mut record = AuditRecord {
        id: 0,
        chain,
        seq,
        at: now_text(),
        actor_user_id: draft.actor_user_id.map(|id| id.0),
        actor_label: draft.actor_label,
        action: draft.action,
        target_type: draft.target_type,
        target_id: draft.target_id,
        before: draft.before,
        after: draft.after,
        ip: draft.ip,
        prev_hash,
        hash: String::new(),
    };
    record.hash = record.compute_hash();
    let row = sqlx::query(
        "INSERT INTO audit_log (chain, seq, at, actor_user_id, actor_label, action, target_type, \
         target_id, before_json, after_json, ip, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&record.chain)
    .bind(record.seq)
    .bind(&record.at)
    .bind(record.actor_user_id)
    .bind(&record.actor_label)
    .bind(&record.action)
    .bind(&record.target_type)
    .bind(&record.target_id)
    .bind(&record.before)
    .bind(&record.after)
    .bind(&record.ip)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .fetch_one(&mut *conn)
    .await?;
    record.id = row.try_get("id")?;
    sqlx::query("UPDATE audit_heads SET hash = $1 WHERE chain = $2")
        .bind(&record.hash)
        .bind(&record.chain)
        .execute(&mut *conn)
        .await?;
    Ok(record)
}

fn record_from(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        chain: row.try_get("chain")?,
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor_user_id: row.try_get("actor_user_id")?,
        actor_label: row.try_get("actor_label")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        before: row.try_get("before_json")?,
        after: row.try_get("after_json")?,
        ip: row.try_get("ip")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str = "id, chain, seq, at, actor_user_id, actor_label, action, target_type, \
                       target_id, before_json, after_json, ip, prev_hash, hash";

/// Filters for the audit viewer and the export.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// `force:N` or `server`; `None` means every chain (server administrators only).
    pub chain: Option<String>,
    /// Inclusive lower bound, as stored text (a date `2026-11-01` works too).
    pub from: Option<String>,
    /// Exclusive upper bound.
    pub to: Option<String>,
    pub action_prefix: Option<String>,
    pub actor_label: Option<String>,
    pub limit: i64,
    /// Return entries with id below this (for paging back in time).
    pub before_id: Option<i64>,
}

/// Entries matching `filter`, newest first (or oldest first with `ascending`).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &AuditFilter,
    ascending: bool,
) -> Result<Vec<AuditRecord>> {
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    let mut push = |clause: &str, value: String, sql: &mut String| {
        args.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(chain) = &filter.chain {
        push(" AND chain = ?", chain.clone(), &mut sql);
    }
    if let Some(from) = &filter.from {
        push(" AND at >= ?", from.clone(), &mut sql);
    }
    if let Some(to) = &filter.to {
        push(" AND at < ?", to.clone(), &mut sql);
    }
    if let Some(prefix) = &filter.action_prefix {
        push(
            " AND action LIKE ?",
            format!("{}%", escape_like(prefix)),
            &mut sql,
        );
    }
    if let Some(actor) = &filter.actor_label {
        push(" AND actor_label = ?", actor.clone(), &mut sql);
    }
    let mut query_limit = filter.limit;
    if query_limit <= 0 {
        query_limit = i64::MAX;
    }
    let order = if ascending { "ASC" } else { "DESC" };
    if let Some(before) = filter.before_id {
        sql.push_str(&format!(" AND id < {before}"));
    }
    sql.push_str(&format!(" ORDER BY id {order} LIMIT {query_limit}"));
    let mut query = sqlx::query(&sql);
    for arg in &args {
        query = query.bind(arg);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter().map(record_from).collect()
}

fn escape_like(text: &str) -> String {
    text.replace(['%', '_'], "")
}

/// The outcome of verifying every chain.
#[derive(Debug)]
pub struct Verification {
    pub chains: Vec<(String, usize)>,
    pub first_break: Option<ChainBreak>,
}

/// Walk every chain from its start and report the first broken entry.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verification> {
    let heads = sqlx::query("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
        .fetch_all(&mut *conn)
        .await?;
    let mut chain_names: Vec<String> = heads
        .iter()
        .map(|row| row.try_get("chain"))
        .collect::<std::result::Result<_, _>>()?;
    // A chain whose head row was deleted must still be walked.
    for row in sqlx::query("SELECT DISTINCT chain FROM audit_log")
        .fetch_all(&mut *conn)
        .await?
    {
        let chain: String = row.try_get("chain")?;
        if !chain_names.contains(&chain) {
            chain_names.push(chain);
        }
    }
    let mut outcome = Verification {
        chains: Vec::new(),
        first_break: None,
    };
    for chain in chain_names {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE chain = $1 ORDER BY seq ASC"
        ))
        .bind(&chain)
        .fetch_all(&mut *conn)
        .await?;
        let records = rows.iter().map(record_from).collect::<Result<Vec<_>>>()?;
        let head = heads.iter().find_map(|row| {
            let name: String = row.try_get("chain").ok()?;
            (name == chain).then(|| {
                (
                    row.try_get::<i64, _>("seq").unwrap_or(-1),
                    row.try_get::<String, _>("hash").unwrap_or_default(),
                )
            })
        });
        let head = match head {
            Some(head) => head,
            None => {
                outcome.first_break = Some(ChainBreak {
                    chain: chain.clone(),
                    entry_id: records.last().map_or(0, |r| r.id),
                    seq: 0,
                    reason: "the chain's head record is missing".into(),
                });
                return Ok(outcome);
            }
        };
        match verify_chain(&chain, &records, Some((head.0, head.1.as_str()))) {
            Ok(count) => outcome.chains.push((chain, count)),
            Err(broken) => {
                outcome.first_break = Some(broken);
                return Ok(outcome);
            }
        }
    }
    Ok(outcome)
}

/// Look up one entry by id (used by tests and the viewer's detail page).
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<AuditRecord> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM audit_log WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("audit entry"))?;
    record_from(&row)
}

/// Every chain's head (chain, last seq, last hash), in chain order: what a
/// signed checkpoint records.
pub async fn heads(conn: &mut AnyConnection) -> Result<Vec<CheckpointHead>> {
    let rows = sqlx::query("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(CheckpointHead {
                chain: row.try_get("chain")?,
                seq: row.try_get("seq")?,
                hash: row.try_get("hash")?,
            })
        })
        .collect()
}

/// The entry of `chain` at `seq`, as (id, seq, hash), if there is one.
pub async fn link_at(conn: &mut AnyConnection, chain: &str, seq: i64) -> Result<Option<ChainLink>> {
    let row = sqlx::query("SELECT id, seq, hash FROM audit_log WHERE chain = $1 AND seq = $2")
        .bind(chain)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        Ok(ChainLink {
            id: row.try_get("id")?,
            seq: row.try_get("seq")?,
            hash: row.try_get("hash")?,
        })
    })
    .transpose()
}

/// One chain's entries as (id, seq, hash) in sequence order, to compare with
/// checkpoints; empty when the chain has no entries (or never existed).
pub async fn chain_links(conn: &mut AnyConnection, chain: &str) -> Result<Vec<ChainLink>> {
    let rows = sqlx::query("SELECT id, seq, hash FROM audit_log WHERE chain = $1 ORDER BY seq ASC")
        .bind(chain)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ChainLink {
                id: row.try_get("id")?,
                seq: row.try_get("seq")?,
                hash: row.try_get("hash")?,
            })
        })
        .collect()
}
