//! Forces (tenants): created by the server administrator.

use bluelamp_domain::{
    Action, ForceCode, ForceId, ForceSettings, PublicDomain, Role, TimeZoneName,
};
use bluelamp_store::{audit, forces, Store};
use serde::Deserialize;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

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
    let logo_url = match &input.logo_url {
        Some(url) if !(url.starts_with("https://") || url.starts_with('/')) => {
            return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "logo_url",
                "must be an https:// address or a path on this server",
            )));
        }
        other => other.clone(),
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

/// Change a force's settings (force administrators of that force, or the server administrator).
pub async fn update_settings(
    store: &Store,
    staff: &Staff,
    id: ForceId,
    settings: ForceSettings,
) -> ServiceResult<forces::Force> {
    staff.authorize(Action::ManageUsers)?;
    staff.require_scope("admin")?;
    let id = staff.force_in_scope(id)?;
    let mut tx = store.write().await?;
    let before = forces::get(&mut tx, id).await?;
    forces::update_settings(&mut tx, id, &settings).await?;
    let after = forces::get(&mut tx, id).await?;
    let mut draft = entry(staff, "force.settings", "force", id.0);
    draft.force_id = Some(id);
    draft.before = serde_json::to_string(&before.settings).ok();
    draft.after = serde_json::to_string(&after.settings).ok();
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(after)
}
