//! Partner agencies, their members and the referrals made to them (migration 0014).

use bluelamp_domain::{ForceId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub id: i64,
    pub force_id: ForceId,
    pub name: String,
    pub contact: String,
}

fn agency_from_row(r: &AnyRow) -> Result<Agency> {
    Ok(Agency {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        name: r.try_get("name")?,
        contact: r.try_get("contact")?,
    })
}

/// `None` when the force already has an agency of that name.
pub async fn add_agency(
    conn: &mut AnyConnection,
    force: ForceId,
    name: &str,
    contact: &str,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO partner_agencies (force_id, name, contact, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (force_id, name) DO NOTHING RETURNING id",
    )
    .bind(force.0)
    .bind(name)
    .bind(contact)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
}

pub async fn agencies(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Agency>> {
    let rows = sqlx::query("SELECT id, force_id, name, contact FROM partner_agencies WHERE force_id = $1 ORDER BY name")
        .bind(force.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(agency_from_row).collect()
}

pub async fn agency(conn: &mut AnyConnection, id: i64) -> Result<Option<Agency>> {
    let row = sqlx::query("SELECT id, force_id, name, contact FROM partner_agencies WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(agency_from_row).transpose()
}

pub async fn add_member(conn: &mut AnyConnection, agency: i64, user: UserId) -> Result<()> {
    sqlx::query(
        "INSERT INTO partner_members (agency_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(agency)
    .bind(user.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The agencies a partner user belongs to.
pub async fn agencies_of(conn: &mut AnyConnection, user: UserId) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT agency_id FROM partner_members WHERE user_id = $1")
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| r.try_get("agency_id").map_err(Into::into))
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: i64,
    pub force_id: ForceId,
    pub agency_id: i64,
    pub agency_name: String,
    /// The inbox message it came from (force staff only; partners never see it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i64>,
    pub shared: String,
    pub lawful_basis: String,
    pub consent: String,
    pub reasoning: String,
    pub status: String,
    pub created_by_label: String,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "r.id, r.force_id, r.agency_id, a.name AS agency_name, r.message_id, r.shared, \
    r.lawful_basis, r.consent, r.reasoning, r.status, r.created_by_label, r.created_at, r.updated_at";

fn from_row(r: &AnyRow) -> Result<Referral> {
    Ok(Referral {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        agency_id: r.try_get("agency_id")?,
        agency_name: r.try_get("agency_name")?,
        message_id: Some(r.try_get("message_id")?),
        shared: r.try_get("shared")?,
        lawful_basis: r.try_get("lawful_basis")?,
        consent: r.try_get("consent")?,
        reasoning: r.try_get("reasoning")?,
        status: r.try_get("status")?,
        created_by_label: r.try_get("created_by_label")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub struct NewReferral<'a> {
    pub force_id: ForceId,
    pub agency_id: i64,
    pub message_id: i64,
    pub shared: &'a str,
    pub lawful_basis: &'a str,
    pub consent: &'a str,
    pub reasoning: &'a str,
    pub created_by: Option<UserId>,
    pub created_by_label: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, n: &NewReferral<'_>) -> Result<i64> {
    let now = now_text();
    let row = sqlx::query(
        "INSERT INTO referrals (force_id, agency_id, message_id, shared, lawful_basis, consent, \
         reasoning, status, created_by, created_by_label, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'sent', $8, $9, $10, $10) RETURNING id",
    )
    .bind(n.force_id.0)
    .bind(n.agency_id)
    .bind(n.message_id)
    .bind(n.shared)
    .bind(n.lawful_basis)
    .bind(n.consent)
    .bind(n.reasoning)
    .bind(n.created_by.map(|u| u.0))
    .bind(n.created_by_label)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Referral>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM referrals r JOIN partner_agencies a ON a.id = r.agency_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A force's referrals, newest first; only those to `agencies` when given.
pub async fn list(
    conn: &mut AnyConnection,
    force: ForceId,
    agencies: Option<&[i64]>,
) -> Result<Vec<Referral>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM referrals r JOIN partner_agencies a ON a.id = r.agency_id \
         WHERE r.force_id = $1 ORDER BY r.id DESC LIMIT 500"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    let all: Vec<Referral> = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(match agencies {
        None => all,
        Some(mine) => all
            .into_iter()
            .filter(|r| mine.contains(&r.agency_id))
            .collect(),
    })
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    note: &str,
    user: Option<UserId>,
    user_label: &str,
) -> Result<()> {
    let now = now_text();
    sqlx::query("UPDATE referrals SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(&now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO referral_updates (referral_id, status, note, user_id, user_label, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(status)
    .bind(note)
    .bind(user.map(|u| u.0))
    .bind(user_label)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub status: String,
    pub note: String,
    pub user_label: String,
    pub created_at: String,
}

pub async fn updates(conn: &mut AnyConnection, id: i64) -> Result<Vec<Update>> {
    let rows = sqlx::query(
        "SELECT status, note, user_label, created_at FROM referral_updates WHERE referral_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Update {
                status: r.try_get("status")?,
                note: r.try_get("note")?,
                user_label: r.try_get("user_label")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
