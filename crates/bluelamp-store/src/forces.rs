//! Forces (tenants).

use bluelamp_domain::{ForceCode, ForceId, ForceSettings, LogoUrl, PublicDomain, TimeZoneName};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Force {
    pub id: ForceId,
    pub code: String,
    pub name: String,
    pub domain: String,
    pub time_zone: String,
    pub logo_url: Option<String>,
    pub settings: ForceSettings,
    pub created_at: String,
}

pub struct NewForce {
    pub code: ForceCode,
    pub name: String,
    pub domain: PublicDomain,
    pub time_zone: TimeZoneName,
    pub logo_url: Option<String>,
    pub settings: ForceSettings,
}

fn force_from(row: &AnyRow) -> Result<Force> {
    let settings: String = row.try_get("settings")?;
    Ok(Force {
        id: ForceId(row.try_get("id")?),
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        domain: row.try_get("domain")?,
        time_zone: row.try_get("time_zone")?,
        logo_url: row.try_get("logo_url")?,
        settings: serde_json::from_str(&settings)
            .map_err(|e| StoreError::Corrupt(format!("force settings: {e}")))?,
        created_at: row.try_get("created_at")?,
    })
}

const COLUMNS: &str = "id, code, name, domain, time_zone, logo_url, settings, created_at";

pub async fn insert(conn: &mut AnyConnection, force: &NewForce) -> Result<Force> {
    let settings =
        serde_json::to_string(&force.settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = sqlx::query(&format!(
        "INSERT INTO forces (code, name, domain, time_zone, logo_url, settings, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(force.code.as_str())
    .bind(&force.name)
    .bind(force.domain.as_str())
    .bind(force.time_zone.as_str())
    .bind(&force.logo_url)
    .bind(settings)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::conflict_if_unique(
            e,
            format!(
                "a force with code '{}' or domain '{}' already exists",
                force.code.as_str(),
                force.domain.as_str()
            ),
        )
    })?;
    force_from(&row)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Force>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM forces ORDER BY name"))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(force_from).collect()
}

pub async fn get(conn: &mut AnyConnection, id: ForceId) -> Result<Force> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM forces WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("force"))?;
    force_from(&row)
}

pub async fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Force> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM forces WHERE code = $1"))
        .bind(code.trim().to_lowercase())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("force"))?;
    force_from(&row)
}

pub async fn update_settings(
    conn: &mut AnyConnection,
    id: ForceId,
    settings: &ForceSettings,
) -> Result<()> {
    let text = serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let done = sqlx::query("UPDATE forces SET settings = $1 WHERE id = $2")
        .bind(text)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("force"));
    }
    Ok(())
}

/// Change what a force administrator may change: the switches, and the time zone
/// and logo when given (`Some(None)` removes the logo).
pub async fn update_profile(
    conn: &mut AnyConnection,
    id: ForceId,
    settings: &ForceSettings,
    time_zone: Option<&TimeZoneName>,
    logo_url: Option<Option<&LogoUrl>>,
) -> Result<()> {
    update_settings(conn, id, settings).await?;
    if let Some(zone) = time_zone {
        sqlx::query("UPDATE forces SET time_zone = $1 WHERE id = $2")
            .bind(zone.as_str())
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(logo) = logo_url {
        sqlx::query("UPDATE forces SET logo_url = $1 WHERE id = $2")
            .bind(logo.map(|l| l.as_str().to_string()))
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM forces")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Is scheduled publishing paused for this force (during a major incident)?
pub async fn scheduling_paused(conn: &mut AnyConnection, id: ForceId) -> Result<bool> {
    let row = sqlx::query("SELECT scheduling_paused FROM forces WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("force"))?;
    crate::get_bool(&row, "scheduling_paused")
}

pub async fn set_scheduling_paused(
    conn: &mut AnyConnection,
    id: ForceId,
    paused: bool,
) -> Result<()> {
    sqlx::query("UPDATE forces SET scheduling_paused = $1 WHERE id = $2")
        .bind(paused)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
