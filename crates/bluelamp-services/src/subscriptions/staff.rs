//! Staff tools over the subscriber list: export and erasure on request.

use std::collections::hash_map::Entry;

use bluelamp_domain::{AccountId, ForceId, Invalid, Role};
use bluelamp_store::{accounts, audit, subscriptions as subs, Store};
use serde::Serialize;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

use super::leaving::{erase_address, join_ids};

fn require_force_admin(staff: &Staff) -> ServiceResult<ForceId> {
    if !matches!(staff.role, Role::ForceAdmin | Role::ServerAdmin) {
        return Err(ServiceError::Forbidden(
            "Only a force administrator can export or erase e-mail subscribers: the list is personal data.".into(),
        ));
    }
    staff.require_scope("admin")?;
    staff.current_force()
}

/// One subscription as exported.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedSubscriber {
    pub id: i64,
    pub email: String,
    /// `null` for the whole force.
    pub account: Option<String>,
    pub mode: String,
    pub status: String,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub last_digest_at: Option<String>,
    pub bounce_count: i64,
}

/// Every subscriber of the staff member's force (a subject access request or a
/// migration). Audited with the count only: the audit trail cannot be erased,
/// so it never holds an address.
pub async fn export(store: &Store, staff: &Staff) -> ServiceResult<Vec<ExportedSubscriber>> {
    let force = require_force_admin(staff)?;
    let mut tx = store.write().await?;
    let rows = subs::list_for_force(&mut tx, force).await?;
    let mut handles = std::collections::HashMap::<AccountId, String>::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let account = match row.account_id {
            Some(id) => {
                if let Entry::Vacant(slot) = handles.entry(id) {
                    slot.insert(accounts::get(&mut tx, id).await?.handle);
                }
                handles.get(&id).cloned()
            }
            None => None,
        };
        out.push(ExportedSubscriber {
            id: row.id,
            email: row.email,
            account,
            mode: row.mode,
            status: row.status,
            created_at: row.created_at,
            confirmed_at: row.confirmed_at,
            last_digest_at: row.last_digest_at,
            bounce_count: row.bounce_count,
        });
    }
    let mut draft = entry(staff, "subscribers.export", "force", force.0);
    draft.force_id = Some(force);
    draft.after = Some(serde_json::json!({"count": out.len()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(out)
}

/// Erase an address from the force's subscriber list on request. Returns how
/// many subscriptions were removed (0 is not an error: nothing is held).
pub async fn erase(store: &Store, staff: &Staff, email: &str) -> ServiceResult<usize> {
    let force = require_force_admin(staff)?;
    // Any text at all may have been stored as an address long ago, so anything up
    // to 254 characters is looked up (counted before lowercasing, as the API
    // documents it); only a blank or overlong one is refused.
    let typed = email.trim();
    if typed.is_empty() || email.chars().count() > 254 {
        return Err(Invalid::new(
            "email",
            "give the e-mail address to erase (at most 254 characters)",
        )
        .into());
    }
    let email = typed.to_lowercase();
    let mut tx = store.write().await?;
    let removed = erase_address(&mut tx, force, &email).await?;
    let mut draft = entry(staff, "subscribers.erase", "subscriber", 0);
    draft.force_id = Some(force);
    draft.target_id = join_ids(&removed);
    draft.after = Some(serde_json::json!({"subscriptions_removed": removed.len()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(removed.len())
}
