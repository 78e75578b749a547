//! Shares (boosts): an `Announce` of another account's post, and its `Undo`.

use bluelamp_domain::{AccountId, PostStatus};
use bluelamp_store::federation::NewOutbound;
use bluelamp_store::{accounts, audit, federation as fed, posts, AnyConnection, Store};
use serde_json::json;

use crate::{ServiceError, ServiceResult, Staff};

use super::outbound::enqueue_fanout;

/// What a share request did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shared {
    pub share: fed::Share,
    /// `false` when the post was already shared from that account (nothing new).
    pub created: bool,
}

/// May `staff` share from `account`? A share goes out at once with no approval
/// step, so it needs a member who may post to it without approval.
async fn sharing_member(
    conn: &mut AnyConnection,
    staff: &Staff,
    account: AccountId,
) -> ServiceResult<accounts::Account> {
    let (account, member) = crate::membership::posting_member(conn, staff, account).await?;
    if !member.permissions.post_without_approval {
        return Err(ServiceError::Forbidden(format!(
            "Sharing from @{} goes out at once, so it needs permission to post there without approval.",
            account.handle
        )));
    }
    Ok(account)
}

/// Share (boost) a published post of another account of the same force from
/// `account`: an `Announce` to that account's followers. Sharing twice does
/// nothing new.
pub async fn share(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    post_id: i64,
) -> ServiceResult<Shared> {
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    let account = sharing_member(&mut tx, staff, account).await?;
    let post = posts::get(&mut tx, post_id).await?;
    if post.force_id != account.force_id {
        return Err(ServiceError::NotFound("post"));
    }
    if post.status != PostStatus::Published {
        return Err(ServiceError::Conflict(
            "Only a published post can be shared.".into(),
        ));
    }
    if post.account_id == account.id {
        return Err(ServiceError::Conflict(format!(
            "This post is already @{}'s own; share another account's post.",
            account.handle
        )));
    }
    if let Some(share) = fed::active_share(&mut tx, account.id, post.id).await? {
        return Ok(Shared {
            share,
            created: false,
        });
    }
    let share = fed::insert_share(&mut tx, account.id, post.id, staff.user_id).await?;
    queue_share_activity(&mut tx, account.id, post.id, share.id, "Announce").await?;
    let mut draft = crate::auth::entry(staff, "post.share", "post", post.id);
    draft.after = Some(
        json!({"account": account.handle, "share_id": share.id, "original_account_id": post.account_id})
            .to_string(),
    );
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(Shared {
        share,
        created: true,
    })
}

/// The platform shares `post` from `account` (an incident's other speaking
/// account, set up by whoever opened it): no member acts, so the audit names the
/// platform. Sharing twice does nothing new.
pub(crate) async fn share_on_behalf(
    conn: &mut AnyConnection,
    account: AccountId,
    post: &posts::Post,
) -> ServiceResult<()> {
    if fed::active_share(conn, account, post.id).await?.is_some() {
        return Ok(());
    }
    let share = fed::insert_share(conn, account, post.id, None).await?;
    queue_share_activity(conn, account, post.id, share.id, "Announce").await?;
    audit::append(
        conn,
        bluelamp_domain::AuditDraft {
            force_id: Some(post.force_id),
            actor_label: "platform".into(),
            action: "post.share".into(),
            target_type: "post".into(),
            target_id: post.id.to_string(),
            after: Some(
                json!({"account_id": account.0, "share_id": share.id, "why": "incident speaking account"})
                    .to_string(),
            ),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Queue the Announce (or its Undo) of a share for the sharing account's
/// followers; with no followers there is nobody to tell (as for posts).
async fn queue_share_activity(
    conn: &mut AnyConnection,
    account: AccountId,
    post_id: i64,
    share_id: i64,
    kind: &'static str,
) -> ServiceResult<()> {
    if fed::follower_count(conn, account).await? == 0 {
        return Ok(());
    }
    let dedupe_key = match kind {
        "Announce" => format!("announce:{share_id}"),
        _ => format!("unannounce:{share_id}"),
    };
    let outbound = fed::insert_outbound(
        conn,
        &NewOutbound {
            account_id: account,
            kind,
            post_id: Some(post_id),
            post_version: None,
            follow_id: None,
            target_actor: None,
            dedupe_key: &dedupe_key,
        },
    )
    .await?;
    if let Some(id) = outbound {
        fed::set_outbound_share(conn, id, share_id).await?;
        enqueue_fanout(conn, id).await?;
    }
    Ok(())
}

/// Stop sharing: an `Undo` of the Announce to the same followers. Unsharing a
/// post that is not shared does nothing.
pub async fn unshare(
    store: &Store,
    staff: &Staff,
    account: AccountId,
    post_id: i64,
) -> ServiceResult<bool> {
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    let account = sharing_member(&mut tx, staff, account).await?;
    let Some(share) = fed::active_share(&mut tx, account.id, post_id).await? else {
        return Ok(false);
    };
    fed::undo_share(&mut tx, share.id).await?;
    queue_share_activity(&mut tx, account.id, post_id, share.id, "UndoAnnounce").await?;
    let mut draft = crate::auth::entry(staff, "post.unshare", "post", post_id);
    draft.after = Some(json!({"account": account.handle, "share_id": share.id}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(true)
}

/// The force's accounts `staff` may share a post from, and which already do.
pub async fn share_options(
    store: &Store,
    staff: &Staff,
    post_id: i64,
) -> ServiceResult<Vec<(accounts::Account, bool)>> {
    let Some(user) = staff.user_id else {
        return Ok(Vec::new());
    };
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let post = posts::get(&mut conn, post_id).await?;
    if post.force_id != force || post.status != PostStatus::Published {
        return Ok(Vec::new());
    }
    let sharing: Vec<AccountId> = fed::shares_of_post(&mut conn, post_id)
        .await?
        .into_iter()
        .map(|s| s.account_id)
        .collect();
    let mut options = Vec::new();
    for account in accounts::list(&mut conn, force).await? {
        if account.id == post.account_id {
            continue;
        }
        let may = accounts::member(&mut conn, account.id, user)
            .await?
            .is_some_and(|m| m.permissions.post && m.permissions.post_without_approval);
        if may {
            let shared = sharing.contains(&account.id);
            options.push((account, shared));
        }
    }
    Ok(options)
}
