//! Campaigns (story 12): a hashtag and a period, for one force or national (any
//! force may join). Posts carrying the tag from a taking-part force are counted
//! live by the counting job; the view gives the count per force and per hour,
//! and where each force is for the map.

use bluelamp_domain::analytics::{hashtag, map};
use bluelamp_domain::{Action, ForceId, Role};
use bluelamp_store::analytics::campaigns::{self as store, Campaign, NewCampaign, Place};
use bluelamp_store::AnyConnection;
use bluelamp_store::{audit, forces, Store};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::entry;
use crate::error::{invalid, required_text};
use crate::{ServiceError, ServiceResult, Staff};

/// A campaign runs at most this long (a "tweet-a-thon" is a day; a week of
/// action is common; a month is the outside).
const MAX_DAYS: i64 = 31;
/// A force's area as sent, at most this many bytes of GeoJSON.
const MAX_AREA_BYTES: usize = 512 * 1024;

/// A campaign as a person fills it in: times in the force's local time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCampaignInput {
    pub tag: String,
    pub title: String,
    /// "2026-12-04T07:00" local, or RFC 3339.
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub national: bool,
}

fn at(field: &'static str, text: &str, zone: &TimeZone) -> ServiceResult<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Ok(at);
    }
    let wall = text
        .parse::<DateTime>()
        .or_else(|_| {
            text.parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|_| {
            invalid(
                field,
                "give a date and time such as 2026-12-04T07:00 (the force's local time)",
            )
        })?;
    wall.to_zoned(zone.clone())
        .map(|z| z.timestamp())
        .map_err(|_| invalid(field, "that time does not exist in the force's time zone"))
}

/// Start a campaign for the staff member's force (and, if national, for any
/// force that joins).
pub async fn create(
    store: &Store,
    staff: &Staff,
    input: &NewCampaignInput,
) -> ServiceResult<Campaign> {
    staff.authorize(Action::ManageCampaigns)?;
    staff.require_scope("write")?;
    let force_id = staff.current_force()?;
    let tag = hashtag::display(&input.tag).ok_or_else(|| {
        invalid(
            "tag",
            "a hashtag of letters, digits and _ (up to 100), such as #Tweetathon2026",
        )
    })?;
    let tag_key = hashtag::key(&tag).ok_or_else(|| invalid("tag", "not a hashtag"))?;
    let title = required_text("title", &input.title, 120)?;
    if title.chars().any(char::is_control) {
        return Err(invalid("title", "one line, please"));
    }
    let mut tx = store.write().await?;
    let force = forces::get(&mut tx, force_id).await?;
    let zone = TimeZone::get(&force.time_zone).unwrap_or(TimeZone::UTC);
    let starts = at("starts_at", &input.starts_at, &zone)?;
    let ends = at("ends_at", &input.ends_at, &zone)?;
    if ends <= starts {
        return Err(invalid("ends_at", "must be after the start"));
    }
    if ends.as_second() - starts.as_second() > MAX_DAYS * 86_400 {
        return Err(invalid(
            "ends_at",
            format!("a campaign runs at most {MAX_DAYS} days"),
        ));
    }
    let stored = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let campaign = store::insert(
        &mut tx,
        &NewCampaign {
            force_id: force_id.0,
            tag: &tag,
            tag_key: &tag_key,
            title,
            starts_at: &stored(starts),
            ends_at: &stored(ends),
            national: input.national,
            created_by: staff.user_id.map_or(0, |u| u.0),
        },
    )
    .await?;
    let mut draft = entry(staff, "campaign.create", "campaign", campaign.id);
    draft.force_id = Some(force_id);
    draft.after = Some(json!({"tag": tag, "title": title, "starts_at": campaign.starts_at, "ends_at": campaign.ends_at, "national": input.national}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Another force takes part in a national campaign.
pub async fn join(store: &Store, staff: &Staff, id: i64) -> ServiceResult<Campaign> {
    staff.authorize(Action::ManageCampaigns)?;
    staff.require_scope("write")?;
    let force_id = staff.current_force()?;
    let mut tx = store.write().await?;
    let campaign = visible(&mut tx, staff, id).await?;
    if !campaign.national && campaign.force_id != force_id.0 {
        return Err(ServiceError::NotFound("campaign"));
    }
    store::join(&mut tx, id, force_id.0).await?;
    let mut draft = entry(staff, "campaign.join", "campaign", id);
    draft.force_id = Some(force_id);
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// A campaign the staff member may see: their force's own, or a national one.
async fn visible(conn: &mut AnyConnection, staff: &Staff, id: i64) -> ServiceResult<Campaign> {
    if staff.role == Role::Partner {
        return Err(ServiceError::NotFound("campaign"));
    }
    let campaign = store::get(conn, id)
        .await
        .map_err(|_| ServiceError::NotFound("campaign"))?;
    let own = staff.force_id.map(|f| f.0) == Some(campaign.force_id);
    if campaign.national || own || staff.role == Role::ServerAdmin {
        Ok(campaign)
    } else {
        Err(ServiceError::NotFound("campaign"))
    }
}

/// A campaign in the list, with its count so far.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub campaign: Campaign,
    pub posts: i64,
    pub taking_part: bool,
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Summary>> {
    if staff.role == Role::Partner {
        return Err(ServiceError::Forbidden(
            "Campaigns are for the force's own staff.".into(),
        ));
    }
    let force_id = staff.current_force()?;
    let mut conn = store.read().await?;
    let mut out = Vec::new();
    for campaign in store::visible_to(&mut conn, force_id.0).await? {
        let posts = store::counts(&mut conn, campaign.id)
            .await?
            .iter()
            .map(|c| c.2)
            .sum();
        let taking_part = store::participants(&mut conn, campaign.id)
            .await?
            .contains(&force_id.0);
        out.push(Summary {
            campaign,
            posts,
            taking_part,
        });
    }
    Ok(out)
}

/// One force's part in a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct ForcePart {
    pub force_id: i64,
    pub code: String,
    pub name: String,
    pub posts: i64,
    #[serde(skip)]
    pub place: Option<map::MapForce>,
}

/// A campaign's live figures.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub campaign: Campaign,
    pub posts: i64,
    pub forces: Vec<ForcePart>,
    /// (UTC hour "2026-12-04T14", posts) across all forces.
    pub hours: Vec<(String, i64)>,
    pub running: bool,
    pub taking_part: bool,
}

pub async fn view(store: &Store, staff: &Staff, id: i64) -> ServiceResult<View> {
    let mut conn = store.read().await?;
    let campaign = visible(&mut conn, staff, id).await?;
    let participants = store::participants(&mut conn, id).await?;
    let counts = store::counts(&mut conn, id).await?;
    let places = store::places(&mut conn, &participants).await?;
    let mut hours: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, hour, n) in &counts {
        *hours.entry(hour.clone()).or_default() += n;
    }
    let mut forces_out = Vec::new();
    for force_id in &participants {
        let force = forces::get(&mut conn, ForceId(*force_id)).await?;
        let posts = counts
            .iter()
            .filter(|c| c.0 == *force_id)
            .map(|c| c.2)
            .sum();
        let place = places
            .iter()
            .find(|p| p.force_id == *force_id)
            .map(|p| map::MapForce {
                name: force.name.clone(),
                point: p.lat.zip(p.lon),
                area: p
                    .area_geojson
                    .as_deref()
                    .and_then(|g| serde_json::from_str(g).ok())
                    .and_then(|g| map::area_from_geojson(&g).ok())
                    .unwrap_or_default(),
                count: posts,
            });
        forces_out.push(ForcePart {
            force_id: *force_id,
            code: force.code,
            name: force.name,
            posts,
            place,
        });
    }
    forces_out.sort_by(|a, b| b.posts.cmp(&a.posts).then(a.name.cmp(&b.name)));
    let now = bluelamp_store::now_text();
    Ok(View {
        posts: counts.iter().map(|c| c.2).sum(),
        running: campaign.starts_at <= now && now < campaign.ends_at,
        taking_part: staff.force_id.is_some_and(|f| participants.contains(&f.0)),
        campaign,
        forces: forces_out,
        hours: hours.into_iter().collect(),
    })
}

/// Set (or with "" remove) where a force is: "lat, lon" and its area as GeoJSON.
/// Part of the force's settings change, in its transaction.
pub(crate) async fn change_place(
    conn: &mut AnyConnection,
    force: ForceId,
    location: Option<&str>,
    area: Option<&str>,
) -> ServiceResult<()> {
    let mut current = store::places(conn, &[force.0])
        .await?
        .pop()
        .unwrap_or(Place {
            force_id: force.0,
            lat: None,
            lon: None,
            area_geojson: None,
        });
    match location.map(str::trim) {
        None => {}
        Some("") => {
            current.lat = None;
            current.lon = None;
        }
        Some(text) => {
            let (lat, lon) = parse_location(text)?;
            current.lat = Some(lat);
            current.lon = Some(lon);
        }
    }
    match area.map(str::trim) {
        None => {}
        Some("") => current.area_geojson = None,
        Some(text) => {
            if text.len() > MAX_AREA_BYTES {
                return Err(invalid(
                    "area_geojson",
                    "at most 512 KB of GeoJSON; simplify the boundary",
                ));
            }
            let value: serde_json::Value = serde_json::from_str(text).map_err(|_| {
                invalid(
                    "area_geojson",
                    "is not JSON; paste a GeoJSON Polygon, MultiPolygon or Feature",
                )
            })?;
            map::area_from_geojson(&value).map_err(|e| invalid("area_geojson", e.message))?;
            current.area_geojson = Some(value.to_string());
        }
    }
    store::set_place(conn, &current).await?;
    Ok(())
}

/// "52.41, -4.08" (latitude first, as map apps show it).
fn parse_location(text: &str) -> ServiceResult<(f64, f64)> {
    let bad = || {
        invalid(
            "location",
            "give latitude and longitude such as 52.41, -4.08",
        )
    };
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !lat.is_finite()
        || !lon.is_finite()
        || !(-90.0..=90.0).contains(&lat)
        || !(-180.0..=180.0).contains(&lon)
    {
        return Err(bad());
    }
    Ok((lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_latitude_then_longitude_and_bounded() {
        assert_eq!(parse_location("52.41, -4.08").unwrap(), (52.41, -4.08));
        assert!(parse_location("-4.08").is_err());
        assert!(parse_location("95, 1").is_err());
        assert!(parse_location("NaN, 1").is_err());
    }

    #[test]
    fn campaign_times_are_read_in_the_force_zone() {
        let london = TimeZone::get("Europe/London").unwrap();
        let summer = at("starts_at", "2026-07-01T07:00", &london).unwrap();
        assert_eq!(summer.to_string(), "2026-07-01T06:00:00Z");
        assert_eq!(
            at("starts_at", "2026-12-04", &london).unwrap().to_string(),
            "2026-12-04T00:00:00Z"
        );
        assert_eq!(
            at("ends_at", "soon", &london).unwrap_err().to_string(),
            "ends_at: give a date and time such as 2026-12-04T07:00 (the force's local time)"
        );
    }
}
