//! Tips from the public, the evidence they carry, who touched each item (the
//! custody log), and resumable uploads in progress (migration 0021).

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Tip {
    pub id: i64,
    pub force_id: ForceId,
    pub appeal_id: Option<i64>,
    pub text: String,
    pub contact_name: Option<String>,
    pub contact_detail: Option<String>,
    pub sender_address: Option<String>,
    pub status: String,
    pub decision_reason: Option<String>,
    pub case_reference: Option<String>,
    pub decided_by_label: Option<String>,
    pub received_at: String,
    pub decided_at: Option<String>,
}

const TIP_COLUMNS: &str =
    "id, force_id, appeal_id, text, contact_name, contact_detail, sender_address, \
    status, decision_reason, case_reference, decided_by_label, received_at, decided_at";

fn tip_from(r: &AnyRow) -> Result<Tip> {
    Ok(Tip {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        appeal_id: r.try_get("appeal_id")?,
        text: r.try_get("text")?,
        contact_name: r.try_get("contact_name")?,
        contact_detail: r.try_get("contact_detail")?,
        sender_address: r.try_get("sender_address")?,
        status: r.try_get("status")?,
        decision_reason: r.try_get("decision_reason")?,
        case_reference: r.try_get("case_reference")?,
        decided_by_label: r.try_get("decided_by_label")?,
        received_at: r.try_get("received_at")?,
        decided_at: r.try_get("decided_at")?,
    })
}

pub struct NewTip<'a> {
    pub force_id: ForceId,
    pub appeal_id: Option<i64>,
    pub text: &'a str,
    pub contact_name: Option<&'a str>,
    pub contact_detail: Option<&'a str>,
    pub sender_address: Option<&'a str>,
}

pub async fn insert_tip(conn: &mut AnyConnection, n: &NewTip<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO tips (force_id, appeal_id, text, contact_name, contact_detail, sender_address, \
         status, received_at) VALUES ($1, $2, $3, $4, $5, $6, 'new', $7) RETURNING id",
    )
    .bind(n.force_id.0)
    .bind(n.appeal_id)
    .bind(n.text)
    .bind(n.contact_name)
    .bind(n.contact_detail)
    .bind(n.sender_address)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn tip(conn: &mut AnyConnection, id: i64) -> Result<Option<Tip>> {
    let row = sqlx::query(&format!("SELECT {TIP_COLUMNS} FROM tips WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(tip_from).transpose()
}

/// A force's tips, newest first; only those in `status` when given.
pub async fn tips(
    conn: &mut AnyConnection,
    force: ForceId,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Tip>> {
    let rows = sqlx::query(&format!(
        "SELECT {TIP_COLUMNS} FROM tips WHERE force_id = $1 AND ($2 IS NULL OR status = $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(force.0)
    .bind(status)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(tip_from).collect()
}

pub async fn decide_tip(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: Option<&str>,
    case_reference: Option<&str>,
    by: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE tips SET status = $1, decision_reason = $2, case_reference = COALESCE($3, case_reference), \
         decided_by_label = $4, decided_at = $5 WHERE id = $6",
    )
    .bind(status)
    .bind(reason)
    .bind(case_reference)
    .bind(by)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Tips from one address since a time: the per-address limit's count.
pub async fn tips_from_since(conn: &mut AnyConnection, address: &str, since: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM tips WHERE sender_address = $1 AND received_at >= $2",
    )
    .bind(address)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub id: i64,
    pub force_id: ForceId,
    pub tip_id: Option<i64>,
    pub filename: String,
    /// The type by content.
    pub content_type: String,
    /// The type the sender's software claimed (recorded, never trusted).
    pub declared_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub received_at: String,
}

const EVIDENCE_COLUMNS: &str =
    "id, force_id, tip_id, filename, content_type, declared_type, byte_size, sha256, storage_key, received_at";

fn evidence_from(r: &AnyRow) -> Result<Evidence> {
    Ok(Evidence {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        tip_id: r.try_get("tip_id")?,
        filename: r.try_get("filename")?,
        content_type: r.try_get("content_type")?,
        declared_type: r.try_get("declared_type")?,
        byte_size: r.try_get("byte_size")?,
        sha256: r.try_get("sha256")?,
        storage_key: r.try_get("storage_key")?,
        received_at: r.try_get("received_at")?,
    })
}

pub struct NewEvidence<'a> {
    pub force_id: ForceId,
    pub tip_id: Option<i64>,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub declared_type: &'a str,
    pub byte_size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
}

pub async fn insert_evidence(conn: &mut AnyConnection, n: &NewEvidence<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO evidence (force_id, tip_id, filename, content_type, declared_type, byte_size, \
         sha256, storage_key, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(n.force_id.0)
    .bind(n.tip_id)
    .bind(n.filename)
    .bind(n.content_type)
    .bind(n.declared_type)
    .bind(n.byte_size)
    .bind(n.sha256)
    .bind(n.storage_key)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn attach_evidence(conn: &mut AnyConnection, id: i64, tip: i64) -> Result<()> {
    sqlx::query("UPDATE evidence SET tip_id = $1 WHERE id = $2 AND tip_id IS NULL")
        .bind(tip)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn evidence(conn: &mut AnyConnection, id: i64) -> Result<Option<Evidence>> {
    let row = sqlx::query(&format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(evidence_from).transpose()
}

pub async fn evidence_of_tip(conn: &mut AnyConnection, tip: i64) -> Result<Vec<Evidence>> {
    let rows = sqlx::query(&format!(
        "SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE tip_id = $1 ORDER BY id"
    ))
    .bind(tip)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(evidence_from).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Custody {
    pub evidence_id: i64,
    pub action: String,
    pub user_label: String,
    pub at: String,
}

pub async fn log(
    conn: &mut AnyConnection,
    evidence: i64,
    action: &str,
    user: Option<UserId>,
    label: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO evidence_log (evidence_id, action, user_id, user_label, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(evidence)
    .bind(action)
    .bind(user.map(|u| u.0))
    .bind(label)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn custody(conn: &mut AnyConnection, evidence: i64) -> Result<Vec<Custody>> {
    let rows = sqlx::query(
        "SELECT evidence_id, action, user_label, at FROM evidence_log WHERE evidence_id = $1 ORDER BY id",
    )
    .bind(evidence)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Custody {
                evidence_id: r.try_get("evidence_id")?,
                action: r.try_get("action")?,
                user_label: r.try_get("user_label")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// A resumable upload in progress (tus 1.0).
#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub id: String,
    pub force_id: ForceId,
    pub upload_length: i64,
    pub upload_offset: i64,
    /// The client's `Upload-Metadata` header, as sent.
    pub metadata: String,
    pub evidence_id: Option<i64>,
    pub created_at: String,
    pub expires_at: String,
}

const UPLOAD_COLUMNS: &str =
    "id, force_id, upload_length, upload_offset, metadata, evidence_id, created_at, expires_at";

fn upload_from(r: &AnyRow) -> Result<Upload> {
    Ok(Upload {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        upload_length: r.try_get("upload_length")?,
        upload_offset: r.try_get("upload_offset")?,
        metadata: r.try_get("metadata")?,
        evidence_id: r.try_get("evidence_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

pub async fn create_upload(
    conn: &mut AnyConnection,
    id: &str,
    force: ForceId,
    length: i64,
    metadata: &str,
    sender_address: Option<&str>,
    expires_at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO tus_uploads (id, force_id, upload_length, upload_offset, metadata, sender_address, \
         created_at, expires_at) VALUES ($1, $2, $3, 0, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(force.0)
    .bind(length)
    .bind(metadata)
    .bind(sender_address)
    .bind(now_text())
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn upload(conn: &mut AnyConnection, id: &str) -> Result<Option<Upload>> {
    let row = sqlx::query(&format!(
        "SELECT {UPLOAD_COLUMNS} FROM tus_uploads WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(upload_from).transpose()
}

/// Move the offset on, only from where the caller found it (two writers cannot
/// both advance it). Returns whether it moved.
pub async fn advance_upload(
    conn: &mut AnyConnection,
    id: &str,
    from: i64,
    to: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE tus_uploads SET upload_offset = $1 WHERE id = $2 AND upload_offset = $3",
    )
    .bind(to)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn finish_upload(conn: &mut AnyConnection, id: &str, evidence: i64) -> Result<()> {
    sqlx::query("UPDATE tus_uploads SET evidence_id = $1 WHERE id = $2")
        .bind(evidence)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_upload(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM tus_uploads WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Unfinished uploads past their expiry, to discard with their partial files.
pub async fn expired_uploads(
    conn: &mut AnyConnection,
    now: &str,
    limit: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM tus_uploads WHERE evidence_id IS NULL AND expires_at < $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get("id").map_err(Into::into))
        .collect()
}
