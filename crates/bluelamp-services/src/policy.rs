//! Social-media policy: publish versions, acknowledge them, see who has.

use bluelamp_domain::{Action, Role};
use bluelamp_store::{audit, policies, Store};

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// Publish a new version; everyone must acknowledge it before posting again.
pub async fn publish(
    store: &Store,
    staff: &Staff,
    title: &str,
    body: &str,
) -> ServiceResult<policies::Policy> {
    staff.authorize(Action::PublishPolicy)?;
    staff.require_scope("write")?;
    let force = staff.current_force()?;
    let title = bluelamp_domain::DisplayName::parse("title", title)?;
    // Limits count what was typed, in characters, as the API documents them.
    if body.chars().count() > 200_000 || body.trim().is_empty() {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "body",
            "the policy text must be between 1 and 200,000 characters",
        )));
    }
    let body = body.trim();
    let user = staff.user_id.ok_or_else(|| {
        ServiceError::Forbidden("a policy is published by a named staff user".into())
    })?;
    let mut tx = store.write().await?;
    let policy = policies::publish(&mut tx, force, title.as_str(), body, user).await?;
    let mut draft = entry(staff, "policy.publish", "policy", policy.id.0);
    draft.after =
        Some(serde_json::json!({"version": policy.version, "title": policy.title}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(policy)
}

/// The current policy and whether this user has acknowledged it (and when).
/// The text is internal to the force: partner agencies may not read it.
pub async fn status(
    store: &Store,
    staff: &Staff,
) -> ServiceResult<(Option<policies::Policy>, Option<String>)> {
    staff.authorize(Action::ViewPolicy)?;
    let force = match staff.force_id {
        Some(force) => force,
        None => return Ok((None, None)),
    };
    let mut conn = store.read().await?;
    let current = policies::current(&mut conn, force).await?;
    let acknowledged = match (&current, staff.user_id) {
        (Some(policy), Some(user)) => policies::acknowledged_at(&mut conn, policy.id, user).await?,
        _ => None,
    };
    Ok((current, acknowledged))
}

/// Acknowledge the current version. `version` must match what the user read, so
/// a version published while they were reading is not acknowledged unseen.
pub async fn acknowledge(
    store: &Store,
    staff: &Staff,
    version: i64,
) -> ServiceResult<policies::Policy> {
    // Signing the policy is what lets a user post: not something a read-only
    // token may do on their behalf.
    staff.require_scope("write")?;
    if staff.role == Role::Partner {
        return Err(ServiceError::Forbidden(
            "Partner-agency users do not post and need not sign the force's social-media policy."
                .into(),
        ));
    }
    let force = staff.current_force()?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let current = policies::current(&mut tx, force)
        .await?
        .ok_or(ServiceError::NotFound("policy"))?;
    if current.version != version {
        return Err(ServiceError::Conflict(format!(
            "Version {} of the policy has been published since you opened version {version}; please read the new version.",
            current.version
        )));
    }
    if policies::acknowledge(&mut tx, current.id, user).await? {
        let mut draft = entry(staff, "policy.acknowledge", "policy", current.id.0);
        draft.after = Some(serde_json::json!({"version": current.version}).to_string());
        audit::append(&mut tx, draft).await?;
    }
    tx.commit().await?;
    Ok(current)
}

pub async fn history(store: &Store, staff: &Staff) -> ServiceResult<Vec<(policies::Policy, i64)>> {
    staff.authorize(Action::ViewAccounts)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let mut out = Vec::new();
    for policy in policies::list(&mut conn, force).await? {
        let count = policies::acknowledgement_count(&mut conn, policy.id).await?;
        out.push((policy, count));
    }
    Ok(out)
}
