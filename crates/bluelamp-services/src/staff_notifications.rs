//! Telling staff what they need to know about posts, in the same transaction as
//! the change (so a rollback tells nobody and a retry tells nobody twice): the
//! approvers of an account when a post waits for them; the author when their post
//! is approved for later, rejected, or goes public after someone else's say or at
//! its scheduled time. Shown in the navigation as a count and listed on
//! `/staff/notifications`.

use bluelamp_domain::{PostStatus, UserId};
use bluelamp_store::staff_notifications::{self as store, NewNotification, Notification};
use bluelamp_store::{accounts, posts, push, subscriptions as subs, users, AnyConnection, Store};

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
        let new = store::insert(
            conn,
            &NewNotification {
                force_id: post.force_id,
                user_id: user,
                kind,
                post_id: Some(post.id),
                message_id: None,
                text: &text,
                dedupe_key: &key,
            },
        )
        .await?;
        if new {
            elsewhere(
                conn,
                user,
                &text,
                &format!("/staff/posts/{}", post.id),
                &key,
            )
            .await?;
        }
    }
    Ok(())
}

/// A post could not be published (its job gave up): tell its author why.
pub(crate) async fn on_publish_failed(
    conn: &mut AnyConnection,
    post_id: i64,
    why: &str,
) -> ServiceResult<()> {
    on_failed(conn, post_id, None, why).await
}

/// A post (`channel`: on one network) could not go out: tell its author why.
pub(crate) async fn on_failed(
    conn: &mut AnyConnection,
    post_id: i64,
    channel: Option<&str>,
    why: &str,
) -> ServiceResult<()> {
    // A job for a post that is gone tells nobody (and must not fail the runner).
    let Ok(post) = posts::get(conn, post_id).await else {
        return Ok(());
    };
    let account = accounts::get(conn, post.account_id).await?;
    let why: String = why.chars().take(200).collect();
    let text = match channel {
        None => format!(
            "Your post on @{} could not be published: {why}",
            account.handle
        ),
        Some(network) => format!(
            "Your post on @{} could not go to {network}: {why}",
            account.handle
        ),
    };
    let key = format!(
        "failed:{}:{}:{}",
        post.id,
        post.version,
        channel.unwrap_or("all")
    );
    let new = store::insert(
        conn,
        &NewNotification {
            force_id: post.force_id,
            user_id: post.author_user_id,
            kind: "post-failed",
            post_id: Some(post.id),
            message_id: None,
            text: &text,
            dedupe_key: &key,
        },
    )
    .await?;
    if new {
        elsewhere(
            conn,
            post.author_user_id,
            &text,
            &format!("/staff/posts/{}", post.id),
            &key,
        )
        .await?;
    }
    Ok(())
}

/// Who is told of an urgent message from the public, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Urgent {
    /// Someone may be in danger now: everyone on duty who answers the public.
    Emergency,
    /// A vulnerable person: those trained in safeguarding, on duty first.
    Safeguarding,
}

/// What one ingestion transaction already knows about telling people: the
/// force's staff (read once), and whether this minute's emergency was told.
/// A storm's batch of a thousand messages then costs one read, not hundreds.
#[derive(Default)]
pub(crate) struct UrgentMemo {
    staff: Option<Vec<users::User>>,
    emergency_told_in: Option<i64>,
    safeguarding_told_in: Option<i64>,
    webhook: Option<bool>,
}

impl UrgentMemo {
    /// Whether the force has a webhook to tell command and control (read once).
    pub(crate) async fn webhook_configured(
        &mut self,
        conn: &mut AnyConnection,
        force: bluelamp_domain::ForceId,
    ) -> ServiceResult<bool> {
        if let Some(known) = self.webhook {
            return Ok(known);
        }
        let known = bluelamp_store::webhooks::get(conn, force).await?.is_some();
        self.webhook = Some(known);
        Ok(known)
    }
}

/// In the ingestion transaction: tell staff of an urgent message at once, by
/// every channel each chose (the staff pages, e-mail, Web Push). The text says
/// what and where, never the message's words: e-mail and push leave the force's
/// systems, and the message may name a victim.
///
/// Emergency: every active person on duty who handles messages. Safeguarding:
/// the safeguarding-trained on duty, else every trained person. When nobody
/// qualifies, the force's supervisors, comms team and administrators are told:
/// an urgent message must always reach someone.
pub(crate) async fn on_urgent_message(
    conn: &mut AnyConnection,
    memo: &mut UrgentMemo,
    force: bluelamp_domain::ForceId,
    message_id: i64,
    what: Urgent,
    channel: &str,
) -> ServiceResult<()> {
    use bluelamp_domain::{Action, Role};
    let minute = bluelamp_store::clock::now_unix() / 60;
    let told_in = match what {
        Urgent::Emergency => &mut memo.emergency_told_in,
        Urgent::Safeguarding => &mut memo.safeguarding_told_in,
    };
    if *told_in == Some(minute) {
        return Ok(());
    }
    *told_in = Some(minute);
    let staff = match memo.staff.take() {
        Some(staff) => staff,
        None => users::list(conn, Some(force))
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.role.authorize(Action::HandleMessages).is_ok())
            .collect(),
    };
    let pick = |keep: &dyn Fn(&users::User) -> bool| -> Vec<UserId> {
        staff.iter().filter(|u| keep(u)).map(|u| u.id).collect()
    };
    let mut told = match what {
        Urgent::Emergency => pick(&|u| u.on_duty),
        Urgent::Safeguarding => {
            let on_duty = pick(&|u| u.safeguarding_trained && u.on_duty);
            if on_duty.is_empty() {
                pick(&|u| u.safeguarding_trained)
            } else {
                on_duty
            }
        }
    };
    if told.is_empty() {
        told = pick(&|u| matches!(u.role, Role::Supervisor | Role::Comms | Role::ForceAdmin));
    }
    let (kind, text) = match what {
        Urgent::Emergency => (
            "message-emergency",
            format!("Emergency: a message from the public on {channel} may need 999 now. Open it at once; others this minute are in the critical list."),
        ),
        Urgent::Safeguarding => (
            "message-safeguarding",
            format!("Safeguarding: a message from the public on {channel} has been routed to you; others this minute are with the Safeguarding team."),
        ),
    };
    let path = format!("/staff/inbox/{message_id}");
    // On a riot night urgent messages come by the hundred: a person is told of the
    // first of each kind in each minute (the live alert, the critical list and the
    // Safeguarding team's list show the rest), so their phone and mailbox stay
    // usable.
    memo.staff = Some(staff);
    for user in told {
        let key = format!("{kind}:{minute}:{}", user.0);
        let new = store::insert(
            conn,
            &NewNotification {
                force_id: force,
                user_id: user,
                kind,
                post_id: None,
                message_id: Some(message_id),
                text: &text,
                dedupe_key: &key,
            },
        )
        .await?;
        if new {
            elsewhere(conn, user, &text, &path, &key).await?;
        }
    }
    Ok(())
}

/// Beyond the staff pages: by e-mail (through the mail outbox) to those who
/// asked for it, and by Web Push to each browser they subscribed, in the same
/// transaction as the notification, so a retry sends nothing twice.
async fn elsewhere(
    conn: &mut AnyConnection,
    user: UserId,
    text: &str,
    path: &str,
    key: &str,
) -> ServiceResult<()> {
    let delivery = push::delivery(conn, user).await?;
    if let (true, Some(address)) = (delivery.by_email, delivery.email.as_deref()) {
        let base = crate::subscriptions::BASE_URL;
        let subject: String = format!("Bluelamp: {}", text.chars().take(70).collect::<String>());
        let body = format!(
            "{text}\n\nOpen it: {base}{path}\n\nYou get these because you asked for notifications by e-mail; change that under Settings: {base}/staff/settings"
        );
        let html = format!(
            "<!DOCTYPE html><html lang=\"en-GB\"><body><p>{}</p><p><a href=\"{base}{path}\">Open it</a></p><p>You get these because you asked for notifications by e-mail; change that under <a href=\"{base}/staff/settings\">Settings</a>.</p></body></html>",
            crate::subscriptions::escape_html_text(text)
        );
        subs::enqueue(
            conn,
            &subs::NewMessage {
                subscriber_id: None,
                kind: "staff-notification",
                to_address: address,
                subject: &subject,
                text_body: &body,
                html_body: &html,
                list_unsubscribe: None,
                run_at: &bluelamp_store::now_text(),
                max_attempts: 8,
                dedupe_key: Some(&format!("staff-mail:{key}")),
            },
        )
        .await?;
    }
    crate::web_push::queue(conn, user, text, path, key).await
}

/// Where the signed-in person is told besides the staff pages.
pub async fn delivery(store: &Store, staff: &Staff) -> ServiceResult<push::Delivery> {
    let Some(user) = staff.user_id else {
        return Ok(push::Delivery::default());
    };
    let mut conn = store.read().await?;
    Ok(push::delivery(&mut conn, user).await?)
}

/// Set the signed-in person's e-mail for notifications and whether to use it.
pub async fn set_delivery(
    store: &Store,
    staff: &Staff,
    email: &str,
    by_email: bool,
) -> ServiceResult<push::Delivery> {
    staff.require_scope("write")?;
    let user = staff.user_id.ok_or(crate::ServiceError::NotFound("user"))?;
    let email = email.trim();
    let email = if email.is_empty() {
        None
    } else {
        Some(crate::subscriptions::normalize_email(email)?)
    };
    if by_email && email.is_none() {
        return Err(crate::ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "email",
            "give the address to send notifications to",
        )));
    }
    let mut tx = store.write().await?;
    push::set_delivery(&mut tx, user, email.as_deref(), by_email).await?;
    let mut draft = crate::auth::entry(staff, "user.notification-delivery", "user", user.0);
    draft.after =
        Some(serde_json::json!({"by_email": by_email, "email_set": email.is_some()}).to_string());
    bluelamp_store::audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(push::Delivery { email, by_email })
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
