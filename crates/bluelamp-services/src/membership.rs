//! Who may post as an account: the rule shared by composing, editing, sharing and
//! uploading.

use bluelamp_domain::{may_post, AccountId, Action};
use bluelamp_store::{accounts, policies, AnyConnection};

use crate::accounts::account_in_force;
use crate::{ServiceError, ServiceResult, Staff};

/// Everything that must hold before `staff` may post as `account`.
pub(crate) async fn posting_member(
    conn: &mut AnyConnection,
    staff: &Staff,
    account: AccountId,
) -> ServiceResult<(accounts::Account, accounts::Member)> {
    staff.authorize(Action::Post)?;
    let user = require_policy(conn, staff).await?;
    let account = account_in_force(conn, staff, account).await?;
    match accounts::member(conn, account.id, user).await? {
        Some(member) if member.permissions.post => Ok((account, member)),
        _ => Err(ServiceError::Forbidden(format!(
            "You are not a member of @{} with permission to post; ask your comms team.",
            account.handle
        ))),
    }
}

/// A named staff user who has acknowledged the force's current social-media
/// policy: needed to post, and to approve what others post.
pub(crate) async fn require_policy(
    conn: &mut AnyConnection,
    staff: &Staff,
) -> ServiceResult<bluelamp_domain::UserId> {
    let force = staff.current_force()?;
    let user = staff
        .user_id
        .ok_or_else(|| ServiceError::Forbidden("posts are written by named staff users".into()))?;
    let current = policies::current(conn, force).await?;
    let acknowledged = match &current {
        Some(policy) => policies::acknowledged_at(conn, policy.id, user)
            .await?
            .is_some(),
        None => false,
    };
    may_post(current.as_ref().map(|p| p.as_current()), acknowledged)?;
    Ok(user)
}

/// The accounts `staff` may post to, in their force.
pub async fn postable_accounts(
    conn: &mut AnyConnection,
    staff: &Staff,
) -> ServiceResult<Vec<accounts::Account>> {
    let (Some(force), Some(user)) = (staff.force_id, staff.user_id) else {
        return Ok(Vec::new());
    };
    let mut postable = Vec::new();
    for account in accounts::list(conn, force).await? {
        if accounts::member(conn, account.id, user)
            .await?
            .is_some_and(|m| m.permissions.post)
        {
            postable.push(account);
        }
    }
    Ok(postable)
}
