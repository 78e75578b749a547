//! Telling staff what they need to know about posts, in the same transaction as
//! the change (so a rollback tells nobody and a retry tells nobody twice): the
//! approvers of an account when a post waits for them; the author when their post
//! is approved for later, rejected, or goes public after someone else's say or at
//! its scheduled time. Shown in the navigation as a count and listed on
//! `/staff/notifications`.

use bluelamp_domain::{PostStatus, UserId};
use bluelamp_store::staff_notifications::{self as store, NewNotification, Notification};
use bluelamp_store::{accounts, posts, users, AnyConnection, Store};

use crate::{ServiceResult, Staff};

/// The first words of a post, for a notification's one line.
fn excerpt(text: &str) -> String {
    let mut words: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        words.push('…');
    }
    words.replace('\n', " ")
}

/// A post's status changed (or it was just written): tell whoever must know.
pub(crate) async fn on_post_status(
    conn: &mut AnyConnection,
    post: &posts::Post,
) -> ServiceResult<()> {
    let account = accounts::get(conn, post.account_id).await?;
    let words = excerpt(&post.text);
    let tell =
        |user: UserId, kind: &'static str, text: String, key: String| (user, kind, text, key);
    let mut told = Vec::new();
    match post.status {
        PostStatus::Pending => {
            let author = users::get(conn, post.author_user_id).await?;
            let Some(waiting) = crate::posts::waiting(conn, post).await? else {
                return Ok(());
            };
            let mut approvers = waiting.approvers.clone();
            if let Some(reason) = &post.escalation_reason {
                // An escalated refusal goes to those who may decide it.
                let mut deciders = Vec::new();
                for user in approvers {
                    if crate::posts::fallback_approver(users::get(conn, user).await?.role) {
                        deciders.push(user);
                    }
                }
                approvers = deciders;
                for approver in approvers {
                    told.push(tell(
                        approver,
                        "post-escalated",
                        format!(
                            "{} asks you to overrule the check on a post for @{}: \"{reason}\"",
                            author.display_name, account.handle
                        ),
                        format!("escalated:{}:{}:{}", post.id, post.version, approver.0),
                    ));
                }
            } else {
                let step = if waiting.steps > 1 {
                    format!(" ({})", waiting.describe())
                } else {
                    String::new()
                };
                for approver in approvers {
                    told.push(tell(
                        approver,
                        "post-waiting",
                        format!(
                            "{} asks you to approve a post on @{}{step}: \"{words}\"",
                            author.display_name, account.handle
                        ),
                        format!("waiting:{}:{}:{}", post.id, post.version, approver.0),
                    ));
                }
            }
        }
        PostStatus::Scheduled if post.reviewed_by.is_some() => told.push(tell(
            post.author_user_id,
            "post-approved",
            format!(
                "Your post on @{} is approved and goes out at its time: \"{words}\"",
                account.handle
            ),
            format!("approved:{}:{}", post.id, post.version),
        )),
        PostStatus::Rejected => told.push(tell(
            post.author_user_id,
            "post-rejected",
            format!(
                "Your post on @{} was rejected: {}",
                account.handle,
                post.review_note.as_deref().unwrap_or("no reason given")
            ),
            format!("rejected:{}:{}", post.id, post.version),
        )),
        // Published by someone else's approval or at its time: the author was not
        // there to see it (a post they published directly, they saw go out).
        PostStatus::Published if post.reviewed_by.is_some() || post.scheduled_at.is_some() => told
            .push(tell(
                post.author_user_id,
                "post-published",
                format!("Your post on @{} is published: \"{words}\"", account.handle),
                format!("published:{}", post.id),
            )),
        _ => {}
    }
    for (user, kind, text, key) in told {
        store::insert(
            conn,
            &NewNotification {
                force_id: post.force_id,
                user_id: user,
                kind,
                post_id: Some(post.id),
                text: &text,
                dedupe_key: &key,
            },
        )
        .await?;
    }
    Ok(())
}

/// How many notifications `staff` has not read (none for a token without a user).
pub async fn unread(store: &Store, staff: &Staff) -> ServiceResult<i64> {
    let Some(user) = staff.user_id else {
        return Ok(0);
    };
    let mut conn = store.read().await?;
    Ok(store::unread(&mut conn, user).await?)
}

/// `staff`'s newest notifications, unread first.
pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Notification>> {
    staff.require_scope("read")?;
    let Some(user) = staff.user_id else {
        return Ok(Vec::new());
    };
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, user, 100).await?)
}

/// Mark one (`Some(id)`) or all of `staff`'s own notifications read; another
/// person's id changes nothing. How many changed.
pub async fn mark_read(store: &Store, staff: &Staff, id: Option<i64>) -> ServiceResult<u64> {
    staff.require_scope("write")?;
    let Some(user) = staff.user_id else {
        return Ok(0);
    };
    let mut tx = store.write().await?;
    let changed = store::mark_read(&mut tx, user, id).await?;
    tx.commit().await?;
    Ok(changed)
}
