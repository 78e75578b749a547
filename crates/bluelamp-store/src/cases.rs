//! Cases: a reference, a legal status with its journal, and the people it records
//! (migration 0021). Posts link to a case by its reference.

use bluelamp_domain::ForceId;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{get_bool, now_text, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub id: i64,
    pub force_id: ForceId,
    pub reference: String,
    pub title: String,
    pub status: String,
    pub sexual_offence: bool,
    pub court: Option<String>,
    pub court_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, force_id, reference, title, status, sexual_offence, court, court_date, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<Case> {
    Ok(Case {
        id: r.try_get("id")?,
        force_id: ForceId(r.try_get("force_id")?),
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
        sexual_offence: get_bool(r, "sexual_offence")?,
        court: r.try_get("court")?,
        court_date: r.try_get("court_date")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// `None` when the force already has a case with this reference.
pub async fn insert(
    conn: &mut AnyConnection,
    force: ForceId,
    reference: &str,
    title: &str,
    sexual_offence: bool,
) -> Result<Option<Case>> {
    let now = now_text();
    let row = sqlx::query(&format!(
        "INSERT INTO cases (force_id, reference, title, status, sexual_offence, created_at, updated_at) \
         VALUES ($1, $2, $3, 'none', $4, $5, $5) ON CONFLICT (force_id, reference) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(force.0)
    .bind(reference)
    .bind(title)
    .bind(sexual_offence)
    .bind(&now)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_reference(
    conn: &mut AnyConnection,
    force: ForceId,
    reference: &str,
) -> Result<Option<Case>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE force_id = $1 AND reference = $2"
    ))
    .bind(force.0)
    .bind(reference)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection, force: ForceId) -> Result<Vec<Case>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM cases WHERE force_id = $1 ORDER BY id DESC LIMIT 500"
    ))
    .bind(force.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Moves a case to a status and writes the journal entry, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    conn: &mut AnyConnection,
    case: &Case,
    status: &str,
    court: Option<&str>,
    court_date: Option<&str>,
    reason: &str,
    user_label: &str,
) -> Result<()> {
    let now = now_text();
    sqlx::query(
        "UPDATE cases SET status = $1, court = COALESCE($2, court), court_date = COALESCE($3, court_date), \
         updated_at = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(court)
    .bind(court_date)
    .bind(&now)
    .bind(case.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO case_events (case_id, from_status, to_status, reason, user_label, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case.id)
    .bind(&case.status)
    .bind(status)
    .bind(reason)
    .bind(user_label)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
    pub user_label: String,
    pub created_at: String,
}

pub async fn events(conn: &mut AnyConnection, case: i64) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT from_status, to_status, reason, user_label, created_at FROM case_events \
         WHERE case_id = $1 ORDER BY id",
    )
    .bind(case)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                reason: r.try_get("reason")?,
                user_label: r.try_get("user_label")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub age: Option<i64>,
}

pub async fn add_person(
    conn: &mut AnyConnection,
    case: i64,
    name: &str,
    role: &str,
    age: Option<i64>,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO case_people (case_id, name, role, age) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(case)
    .bind(name)
    .bind(role)
    .bind(age)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("id")?)
}

pub async fn people(conn: &mut AnyConnection, case: i64) -> Result<Vec<Person>> {
    let rows =
        sqlx::query("SELECT id, name, role, age FROM case_people WHERE case_id = $1 ORDER BY id")
            .bind(case)
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(Person {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                role: r.try_get("role")?,
                age: r.try_get("age")?,
            })
        })
        .collect()
}
