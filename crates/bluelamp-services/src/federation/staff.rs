//! Staff moderation: the federation inbox page and blocking remote actors or domains.

use bluelamp_domain::{Action, ForceId, Role};
use bluelamp_federation::origin::domain_covers;
use bluelamp_store::{audit, federation as fed, Store};
use serde_json::json;

use crate::{ServiceError, ServiceResult, Staff};

use super::urls::host_of;

fn may_moderate(staff: &Staff) -> ServiceResult<()> {
    if matches!(
        staff.role,
        Role::ForceAdmin | Role::Comms | Role::ServerAdmin
    ) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "Only the force administrators and the comms team may block remote accounts.".into(),
        ))
    }
}

fn staff_force(staff: &Staff) -> ServiceResult<ForceId> {
    staff.force_id.ok_or(ServiceError::NotFound("force"))
}

/// What the staff inbox page shows.
pub struct InboxView {
    pub messages: Vec<fed::InboundMessage>,
    pub reports: Vec<fed::Report>,
    pub blocks: Vec<fed::Block>,
}

pub async fn inbox(store: &Store, staff: &Staff) -> ServiceResult<InboxView> {
    // Replies and reports can name victims and witnesses: only the roles that
    // answer the public read them (not analysts, never partner agencies).
    staff.authorize(Action::HandleMessages)?;
    let force = staff_force(staff)?;
    let mut conn = store.read().await?;
    Ok(InboxView {
        messages: fed::messages(&mut conn, force, 200).await?,
        reports: fed::reports(&mut conn, force, 50).await?,
        blocks: fed::blocks(&mut conn, force).await?,
    })
}

/// Block a remote actor (an `http(s)://` actor id) or a whole domain: nothing
/// from it is accepted and nothing of ours is delivered to it. Its follows end.
pub async fn block(store: &Store, staff: &Staff, target: &str) -> ServiceResult<()> {
    may_moderate(staff)?;
    let force = staff_force(staff)?;
    let target = target.trim();
    let (kind, target) = if target.starts_with("https://") || target.starts_with("http://") {
        ("actor", target.to_owned())
    } else {
        let domain = target.trim_start_matches('@').to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.contains('.')
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':');
        if !valid {
            return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "target",
                "Give an actor's address (https://…) or a domain such as social.example.",
            )));
        }
        ("domain", domain)
    };
    let mut tx = store.write().await?;
    if !fed::insert_block(&mut tx, force, kind, &target, staff.user_id).await? {
        return Ok(());
    }
    let removed = match kind {
        "actor" => fed::remove_follower(&mut tx, None, &target).await?,
        _ => {
            // The domain and its subdomains, as for what arrives and is sent.
            let mut n = 0;
            for (account, actor) in fed::force_followers(&mut tx, force).await? {
                if domain_covers(&target, &host_of(&actor).to_ascii_lowercase()) {
                    n += fed::remove_follower(&mut tx, Some(account), &actor).await?;
                }
            }
            n
        }
    };
    let draft = bluelamp_domain::AuditDraft {
        force_id: Some(force),
        actor_user_id: staff.user_id,
        actor_label: staff.username.clone(),
        action: "federation.block".into(),
        target_type: kind.into(),
        target_id: target.clone(),
        before: None,
        after: Some(json!({ "followers_removed": removed }).to_string()),
        ip: staff.ip.clone(),
    };
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(())
}
