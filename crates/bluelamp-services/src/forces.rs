//! Forces (tenants): created by the server administrator.

use bluelamp_domain::{
    Action, ForceCode, ForceId, ForceSettings, LogoUrl, PublicDomain, Role, TimeZoneName,
};
use bluelamp_store::{audit, forces, Store};
use serde::Deserialize;

use crate::auth::entry;
use crate::{ServiceResult, Staff};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddForce {
    pub code: String,
    pub name: String,
    pub domain: String,
    #[serde(default = "default_zone")]
    pub time_zone: String,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub settings: ForceSettings,
}

fn default_zone() -> String {
    "Europe/London".into()
}

pub async fn add_force(
    store: &Store,
    staff: &Staff,
    input: &AddForce,
) -> ServiceResult<forces::Force> {
    staff.authorize(Action::ManageForces)?;
    staff.require_scope("admin")?;
    let name = bluelamp_domain::DisplayName::parse("name", &input.name)?;
    let logo_url = match input.logo_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => Some(LogoUrl::parse(url)?.as_str().to_string()),
    };
    let new_force = forces::NewForce {
        code: ForceCode::parse(&input.code)?,
        name: name.as_str().to_string(),
        domain: PublicDomain::parse(&input.domain)?,
        time_zone: TimeZoneName::parse(&input.time_zone)?,
        logo_url,
        settings: input.settings.clone(),
    };
    let mut tx = store.write().await?;
    let force = forces::insert(&mut tx, &new_force).await?;
    let mut draft = entry(staff, "force.create", "force", force.id.0);
    draft.force_id = Some(force.id);
    draft.after = serde_json::to_string(&force).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(force)
}

/// Forces this user may see: their own, or all for a server administrator.
pub async fn list_forces(store: &Store, staff: &Staff) -> ServiceResult<Vec<forces::Force>> {
    let mut conn = store.read().await?;
    let all = forces::list(&mut conn).await?;
    Ok(match staff.role {
        Role::ServerAdmin => all,
        _ => all
            .into_iter()
            .filter(|f| Some(f.id) == staff.force_id)
            .collect(),
    })
}

pub async fn get_force(store: &Store, staff: &Staff, id: ForceId) -> ServiceResult<forces::Force> {
    let id = staff.force_in_scope(id)?;
    let mut conn = store.read().await?;
    Ok(forces::get(&mut conn, id).await?)
}

/// What a force administrator may change after the force is created. Absent
/// fields stay as they are; an empty `logo_url` removes the logo.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForceChanges {
    #[serde(default)]
    pub pre_election: Option<bool>,
    #[serde(default)]
    pub require_totp: Option<bool>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub logo_url: Option<String>,
    /// "HH:MM-HH:MM" in the force's time zone; empty removes them.
    #[serde(default)]
    pub office_hours: Option<String>,
    /// A tile URL template (https, with {z}, {x}, {y}) for incident maps; empty removes it.
    #[serde(default)]
    pub map_tiles: Option<String>,
    /// The tile provider's credit, shown under each map; empty removes it.
    #[serde(default)]
    pub map_attribution: Option<String>,
    /// In the national view: shown, totals (counted, never named) or hidden.
    #[serde(default)]
    pub national_view: Option<String>,
    /// Where the force is on the campaign map, "lat, lon"; empty removes it.
    #[serde(default)]
    pub location: Option<String>,
    /// The force's area as GeoJSON (Polygon, MultiPolygon or Features); empty removes it.
    #[serde(default)]
    pub area_geojson: Option<String>,
}

/// Change a force's settings: force administrators of that force, or the server
/// administrator. The one path for the staff page, the API and the CLI. `code` names
/// the force; `None` means the caller's current force. Every field is validated
/// before anything is written; the change and its audit entry commit together.
pub async fn change_settings(
    store: &Store,
    staff: &Staff,
    code: Option<&str>,
    changes: &ForceChanges,
) -> ServiceResult<forces::Force> {
    staff.authorize(Action::ConfigureForce)?;
    staff.require_scope("admin")?;
    let time_zone = changes
        .time_zone
        .as_deref()
        .map(TimeZoneName::parse)
        .transpose()?;
    let logo_url = match changes.logo_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(url) => Some(Some(LogoUrl::parse(url)?)),
    };
    let mut tx = store.write().await?;
    let before = match code {
        Some(code) => forces::by_code(&mut tx, code).await?,
        None => forces::get(&mut tx, staff.current_force()?).await?,
    };
    let id = staff.force_in_scope(before.id)?;
    let mut settings = before.settings.clone();
    if let Some(on) = changes.pre_election {
        settings.pre_election = on;
    }
    if let Some(on) = changes.require_totp {
        settings.require_totp = on;
    }
    match changes.office_hours.as_deref().map(str::trim) {
        None => {}
        Some("") => settings.office_hours = None,
        Some(hours) => {
            bluelamp_domain::force::OfficeHours::parse(hours)?;
            settings.office_hours = Some(hours.to_string());
        }
    }
    match changes.map_tiles.as_deref().map(str::trim) {
        None => {}
        Some("") => settings.map_tiles = None,
        Some(url) => {
            settings.map_tiles = Some(
                bluelamp_domain::force::MapTiles::parse(url)?
                    .as_str()
                    .to_string(),
            );
        }
    }
    match changes.map_attribution.as_deref().map(str::trim) {
        None => {}
        Some("") => settings.map_attribution = None,
        Some(credit) => {
            if credit.chars().count() > 200 || credit.chars().any(char::is_control) {
                return Err(crate::error::invalid(
                    "map_attribution",
                    "one line of at most 200 characters",
                ));
            }
            settings.map_attribution = Some(credit.to_string());
        }
    }
    if let Some(view) = changes.national_view.as_deref() {
        settings.national_view = bluelamp_domain::force::NationalView::parse(view)?;
    }
    if changes.location.is_some() || changes.area_geojson.is_some() {
        crate::analytics::campaigns::change_place(
            &mut tx,
            id,
            changes.location.as_deref(),
            changes.area_geojson.as_deref(),
        )
        .await?;
    }
    forces::update_profile(
        &mut tx,
        id,
        &settings,
        time_zone.as_ref(),
        logo_url.as_ref().map(Option::as_ref),
    )
    .await?;
    let after = forces::get(&mut tx, id).await?;
    let mut draft = entry(staff, "force.settings", "force", id.0);
    draft.force_id = Some(id);
    draft.before = serde_json::to_string(&profile(&before)).ok();
    draft.after = serde_json::to_string(&profile(&after)).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    tracing::info!(force.id = %id, "force {} settings changed", after.code);
    Ok(after)
}

/// What the audit entry records of a force's changeable settings.
fn profile(force: &forces::Force) -> serde_json::Value {
    serde_json::json!({
        "time_zone": force.time_zone,
        "logo_url": force.logo_url,
        "settings": force.settings,
    })
}
