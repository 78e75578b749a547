//! Campaigns (a hashtag and a period), who takes part, the live counts, and
//! where each force is for the campaign map.

use serde::Serialize;
use sqlx::{any::AnyRow, AnyConnection, Row};

use crate::{now_text, Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub force_id: i64,
    pub tag: String,
    pub tag_key: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub national: bool,
    pub created_by: i64,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, force_id, tag, tag_key, title, starts_at, ends_at, national, created_by, created_at";

fn from_row(r: &AnyRow) -> Result<Campaign> {
    Ok(Campaign {
        id: r.try_get("id")?,
        force_id: r.try_get("force_id")?,
        tag: r.try_get("tag")?,
        tag_key: r.try_get("tag_key")?,
        title: r.try_get("title")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        national: r.try_get::<i64, _>("national")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

pub struct NewCampaign<'a> {
    pub force_id: i64,
    pub tag: &'a str,
    pub tag_key: &'a str,
    pub title: &'a str,
    pub starts_at: &'a str,
    pub ends_at: &'a str,
    pub national: bool,
    pub created_by: i64,
}

/// Make a campaign; its own force takes part from the start.
pub async fn insert(conn: &mut AnyConnection, c: &NewCampaign<'_>) -> Result<Campaign> {
    let row = sqlx::query(&format!(
        "INSERT INTO campaigns (force_id, tag, tag_key, title, starts_at, ends_at, national, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    ))
    .bind(c.force_id)
    .bind(c.tag)
    .bind(c.tag_key)
    .bind(c.title)
    .bind(c.starts_at)
    .bind(c.ends_at)
    .bind(i64::from(c.national))
    .bind(c.created_by)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    let campaign = from_row(&row)?;
    join(conn, campaign.id, c.force_id).await?;
    Ok(campaign)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Campaign> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound("campaign"))?;
    from_row(&row)
}

/// The campaigns a force may see: its own and every national one, newest first.
pub async fn visible_to(conn: &mut AnyConnection, force: i64) -> Result<Vec<Campaign>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM campaigns WHERE force_id = $1 OR national = 1 \
         ORDER BY starts_at DESC, id DESC LIMIT 200"
    ))
    .bind(force)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A force takes part (again: no change).
pub async fn join(conn: &mut AnyConnection, campaign: i64, force: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO campaign_forces (campaign_id, force_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT (campaign_id, force_id) DO NOTHING",
    )
    .bind(campaign)
    .bind(force)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn participants(conn: &mut AnyConnection, campaign: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT force_id FROM campaign_forces WHERE campaign_id = $1 ORDER BY force_id",
    )
    .bind(campaign)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("force_id")?)).collect()
}

/// The running campaigns `force` takes part in whose tag is `tag_key` at `at`.
pub async fn running_for(
    conn: &mut AnyConnection,
    tag_key: &str,
    force: i64,
    at: &str,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT c.id FROM campaigns c JOIN campaign_forces f ON f.campaign_id = c.id \
         WHERE c.tag_key = $1 AND f.force_id = $2 AND c.starts_at <= $3 AND c.ends_at > $3",
    )
    .bind(tag_key)
    .bind(force)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

/// (force, UTC hour "2026-11-30T14", posts) of a campaign.
pub async fn counts(conn: &mut AnyConnection, campaign: i64) -> Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT force_id, hour, posts FROM campaign_counts WHERE campaign_id = $1 ORDER BY hour, force_id",
    )
    .bind(campaign)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("force_id")?,
                r.try_get("hour")?,
                r.try_get("posts")?,
            ))
        })
        .collect()
}

/// Where a force is: its point and its area (GeoJSON as given).
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub force_id: i64,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_geojson: Option<String>,
}

pub async fn places(conn: &mut AnyConnection, forces: &[i64]) -> Result<Vec<Place>> {
    let mut out = Vec::new();
    for force in forces {
        let row = sqlx::query(
            "SELECT force_id, lat, lon, area_geojson FROM force_places WHERE force_id = $1",
        )
        .bind(*force)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(r) = row {
            out.push(Place {
                force_id: r.try_get("force_id")?,
                lat: r.try_get("lat")?,
                lon: r.try_get("lon")?,
                area_geojson: r.try_get("area_geojson")?,
            });
        }
    }
    Ok(out)
}

pub async fn set_place(conn: &mut AnyConnection, place: &Place) -> Result<()> {
    sqlx::query(
        "INSERT INTO force_places (force_id, lat, lon, area_geojson, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (force_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, \
         area_geojson = excluded.area_geojson, updated_at = excluded.updated_at",
    )
    .bind(place.force_id)
    .bind(place.lat)
    .bind(place.lon)
    .bind(place.area_geojson.as_deref())
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
