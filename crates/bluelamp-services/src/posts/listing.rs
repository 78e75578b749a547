//! Lists of posts for the staff pages and the API, with the context a reviewer
//! needs at a glance: who wrote it, on which account, why it waits and for how
//! long.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use bluelamp_domain::{AccountId, Action, PostStatus, UserId};
use bluelamp_store::{accounts, posts, users, AnyConnection, Store};
use serde::Serialize;

use crate::{ServiceError, ServiceResult, Staff};

/// A post in a list, with its context.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub post: posts::Post,
    pub author_name: String,
    pub account_handle: String,
    /// Why a waiting post waits (None when it does not).
    pub waits_because: Option<String>,
    /// Minutes since it was submitted (or its edit proposed), while it waits.
    pub waiting_minutes: Option<i64>,
}

/// Why `post` is in the approval queue, and for whom it waits.
async fn waits_because(
    conn: &mut AnyConnection,
    post: &posts::Post,
) -> ServiceResult<Option<String>> {
    if post.proposed_edit.is_some() {
        return Ok(Some("an edit of an approved post".into()));
    }
    if post.status != PostStatus::Pending {
        return Ok(None);
    }
    let why = if post.escalation_reason.is_some() {
        "the check refused it and its author escalated it"
    } else if post.decision == "hold" {
        "the check held it for a supervisor"
    } else {
        "the author posts with approval"
    };
    Ok(Some(match super::waiting(conn, post).await? {
        Some(waiting) if waiting.steps > 1 => format!("{why}; now at {}", waiting.describe()),
        _ => why.to_string(),
    }))
}

fn minutes_since(at: &str) -> Option<i64> {
    let at = at.parse::<jiff::Timestamp>().ok()?;
    Some((bluelamp_store::clock::now_unix() - at.as_second()).max(0) / 60)
}

async fn with_context(
    conn: &mut AnyConnection,
    found: Vec<posts::Post>,
) -> ServiceResult<Vec<Listed>> {
    let mut authors: HashMap<UserId, String> = HashMap::new();
    let mut handles: HashMap<AccountId, String> = HashMap::new();
    let mut listed = Vec::with_capacity(found.len());
    for post in found {
        if let Entry::Vacant(slot) = authors.entry(post.author_user_id) {
            slot.insert(users::get(conn, post.author_user_id).await?.display_name);
        }
        if let Entry::Vacant(slot) = handles.entry(post.account_id) {
            slot.insert(accounts::get(conn, post.account_id).await?.handle);
        }
        let waits = waits_because(conn, &post).await?;
        let since = match &post.proposed_edit {
            Some(edit) => edit.proposed_at.clone(),
            None => post.created_at.clone(),
        };
        listed.push(Listed {
            author_name: authors[&post.author_user_id].clone(),
            account_handle: handles[&post.account_id].clone(),
            waiting_minutes: waits.as_ref().and_then(|_| minutes_since(&since)),
            waits_because: waits,
            post,
        });
    }
    Ok(listed)
}

/// The force's approval queue (oldest first) and scheduled posts.
pub async fn queue(store: &Store, staff: &Staff, status: PostStatus) -> ServiceResult<Vec<Listed>> {
    staff.authorize(Action::ViewAccounts)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let mut found = posts::by_status(&mut conn, force, status, 200).await?;
    if status == PostStatus::Pending {
        // Edits of approved posts wait in the same queue as new posts.
        found.extend(posts::with_proposed_edits(&mut conn, force, 200).await?);
    }
    with_context(&mut conn, found).await
}

/// The caller's own newest posts.
pub async fn mine(store: &Store, staff: &Staff) -> ServiceResult<Vec<Listed>> {
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut conn = store.read().await?;
    let found = posts::by_author(&mut conn, user, 50).await?;
    with_context(&mut conn, found).await
}
