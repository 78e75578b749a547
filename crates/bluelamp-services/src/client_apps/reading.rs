//! What an app reads: the officer's account, timelines, a status and its thread,
//! scheduled statuses and notifications (replies from the inbox).

use bluelamp_domain::{AccountId, PostStatus};
use bluelamp_store::federation as followers;
use bluelamp_store::inbox::{self, Message};
use bluelamp_store::paging::IdWindow;
use bluelamp_store::{accounts, posts, AnyConnection, Store};

use super::statuses::acting_account;
use super::views::{self, StatusView};
use crate::{ServiceError, ServiceResult, Staff};

/// An account with the counts an app shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub account: accounts::Account,
    pub statuses: i64,
    pub followers: i64,
}

async fn account_view(
    conn: &mut AnyConnection,
    account: accounts::Account,
) -> ServiceResult<AccountView> {
    let statuses = posts::count_public(conn, account.id).await?;
    let followers = followers::follower_count(conn, account.id).await?;
    Ok(AccountView {
        account,
        statuses,
        followers,
    })
}

/// The account the app acts as.
pub async fn credentials(store: &Store, staff: &Staff) -> ServiceResult<AccountView> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let account = acting_account(&mut conn, staff).await?;
    account_view(&mut conn, account).await
}

/// One of the force's accounts.
pub async fn account(store: &Store, staff: &Staff, id: AccountId) -> ServiceResult<AccountView> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let account = crate::accounts::account_in_force(&mut conn, staff, id).await?;
    account_view(&mut conn, account).await
}

/// Which timeline.
#[derive(Debug, Clone, Copy)]
pub enum Timeline {
    /// The force's accounts: what an officer follows at work.
    Home,
    /// The server's public posts (the force's, here).
    Public,
    Account(AccountId),
}

pub async fn timeline(
    store: &Store,
    staff: &Staff,
    which: Timeline,
    window: &IdWindow,
) -> ServiceResult<Vec<StatusView>> {
    staff.require_scope("read")?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let account = match which {
        Timeline::Home | Timeline::Public => None,
        Timeline::Account(id) => Some(
            crate::accounts::account_in_force(&mut conn, staff, id)
                .await?
                .id,
        ),
    };
    let page = posts::published_window(&mut conn, force, account, window).await?;
    views::many(&mut conn, page).await
}

/// A post the officer may see through an app: a published one of the force, or
/// one of their own in any state but deleted.
async fn visible(conn: &mut AnyConnection, staff: &Staff, id: i64) -> ServiceResult<posts::Post> {
    let post = match posts::get(conn, id).await {
        Ok(post) => post,
        Err(bluelamp_store::StoreError::NotFound(_)) => {
            return Err(ServiceError::NotFound("status"))
        }
        Err(other) => return Err(other.into()),
    };
    let own = Some(post.author_user_id) == staff.user_id;
    let shown = post.status == PostStatus::Published || (own && post.status != PostStatus::Deleted);
    if Some(post.force_id) != staff.force_id || !shown {
        return Err(ServiceError::NotFound("status"));
    }
    Ok(post)
}

pub async fn status(store: &Store, staff: &Staff, id: i64) -> ServiceResult<StatusView> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let post = visible(&mut conn, staff, id).await?;
    views::one(&mut conn, post).await
}

/// A status's thread: the posts it answers (oldest first) and the replies to it.
pub async fn context(
    store: &Store,
    staff: &Staff,
    id: i64,
) -> ServiceResult<(Vec<StatusView>, Vec<StatusView>)> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let post = visible(&mut conn, staff, id).await?;
    let mut ancestors = Vec::new();
    let mut parent = post.reply_to_post_id;
    while let Some(id) = parent {
        if ancestors.len() >= 40 {
            break;
        }
        let above = posts::get(&mut conn, id).await?;
        parent = above.reply_to_post_id;
        if above.status == PostStatus::Published {
            ancestors.push(above);
        }
    }
    ancestors.reverse();
    let mut descendants = Vec::new();
    let mut frontier = vec![post.id];
    while let Some(next) = frontier.pop() {
        for reply in posts::published_replies(&mut conn, next).await? {
            if descendants.len() >= 200 {
                break;
            }
            frontier.push(reply.id);
            descendants.push(reply);
        }
    }
    descendants.sort_by_key(|p| p.id);
    Ok((
        views::many(&mut conn, ancestors).await?,
        views::many(&mut conn, descendants).await?,
    ))
}

/// Delete a status (its author, an approver or the comms team): the same
/// deletion as the web, tombstone and all. Answers what was deleted, with its
/// text, so an app can offer "delete and redraft".
pub async fn delete_status(store: &Store, staff: &Staff, id: i64) -> ServiceResult<StatusView> {
    staff.require_scope("write")?;
    let post = {
        let mut conn = store.read().await?;
        visible(&mut conn, staff, id).await?
    };
    let deleted =
        crate::posts::delete(store, staff, id, post.version, "deleted from an app").await?;
    let mut conn = store.read().await?;
    views::one(&mut conn, deleted).await
}

/// The officer's scheduled statuses, soonest first.
pub async fn scheduled(store: &Store, staff: &Staff) -> ServiceResult<Vec<StatusView>> {
    staff.require_scope("read")?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut conn = store.read().await?;
    let mut list = posts::by_author_in_status(&mut conn, user, PostStatus::Scheduled, 200).await?;
    list.retain(|p| Some(p.force_id) == staff.force_id);
    list.sort_by(|a, b| a.scheduled_at.cmp(&b.scheduled_at));
    views::many(&mut conn, list).await
}

async fn own_scheduled(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: i64,
) -> ServiceResult<posts::Post> {
    let post = visible(conn, staff, id).await?;
    if post.status != PostStatus::Scheduled || Some(post.author_user_id) != staff.user_id {
        return Err(ServiceError::NotFound("scheduled status"));
    }
    Ok(post)
}

pub async fn scheduled_one(store: &Store, staff: &Staff, id: i64) -> ServiceResult<StatusView> {
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let post = own_scheduled(&mut conn, staff, id).await?;
    views::one(&mut conn, post).await
}

/// Cancel a scheduled status: it never goes out (kept, as every post is).
pub async fn cancel_scheduled(store: &Store, staff: &Staff, id: i64) -> ServiceResult<()> {
    staff.require_scope("write")?;
    let post = {
        let mut conn = store.read().await?;
        own_scheduled(&mut conn, staff, id).await?
    };
    crate::posts::delete(
        store,
        staff,
        id,
        post.version,
        "scheduled post cancelled from an app",
    )
    .await?;
    Ok(())
}

/// Replies and mentions addressed to the app's account (or, for a plain token,
/// every account the officer posts to), from the inbox.
pub async fn notifications(
    store: &Store,
    staff: &Staff,
    window: &IdWindow,
) -> ServiceResult<Vec<Message>> {
    staff.require_scope("read")?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let accounts: Vec<AccountId> = match staff.app_account {
        Some(id) => vec![
            crate::accounts::account_in_force(&mut conn, staff, id)
                .await?
                .id,
        ],
        None => super::oauth::postable_accounts(&mut conn, staff)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect(),
    };
    Ok(inbox::addressed_window(&mut conn, force, &accounts, window).await?)
}

/// One notification.
pub async fn notification(store: &Store, staff: &Staff, id: i64) -> ServiceResult<Message> {
    let window = IdWindow {
        max_id: Some(id.saturating_add(1)),
        since_id: Some(id.saturating_sub(1)),
        min_id: None,
        limit: 1,
    };
    notifications(store, staff, &window)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or(ServiceError::NotFound("notification"))
}

/// The counts an app shows beside each distinct account of these statuses (the
/// statuses are already ones the officer may see).
pub async fn authors(
    store: &Store,
    statuses: &[StatusView],
) -> ServiceResult<std::collections::HashMap<AccountId, AccountView>> {
    let mut conn = store.read().await?;
    let mut found = std::collections::HashMap::new();
    for view in statuses {
        if let std::collections::hash_map::Entry::Vacant(slot) = found.entry(view.account.id) {
            slot.insert(account_view(&mut conn, view.account.clone()).await?);
        }
    }
    Ok(found)
}
