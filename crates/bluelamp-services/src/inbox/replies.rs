//! Answering one message through the publishing path: the reply is a post (kind
//! `reply`, linked to the message), so the governance check, the account's
//! approval rules, the policy acknowledgement and a collective account's signature
//! all apply exactly as for any post. On the fediverse it threads under the
//! sender's note; on another network its connector sends it (the answer says
//! what to send where). Canned replies fill the text with the message's details.

use crate::error::invalid;
use bluelamp_domain::{AccountId, PostStatus};
use bluelamp_store::inbox::Message;
use bluelamp_store::{canned, forces, posts, Store};
use serde_json::json;

use super::handling::{own_message, record};
use crate::force_rules::ForceEngines;
use crate::posts::{compose, Compose, Link};
use crate::{ServiceError, ServiceResult, Staff};

/// The channels where a reply is public, as the message was.
pub const PUBLIC_CHANNELS: [&str; 4] = ["fediverse", "bluesky", "x", "facebook"];

/// The link kind a reply post carries, with the message id as its reference.
pub const LINK_KIND: &str = "inbox-message";

/// What was sent, held or refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReplyOutcome {
    pub post: posts::Post,
    pub report: bluelamp_governance::Report,
    /// For a network Bluelamp does not post to itself: what its connector sends,
    /// once the reply is published.
    pub delivery: Option<super::rumours::Reply>,
}

/// Reply to message `id` as `account` (default: the account it was addressed to).
pub async fn reply(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    id: i64,
    text: &str,
    account: Option<AccountId>,
) -> ServiceResult<ReplyOutcome> {
    let message = {
        let mut conn = store.read().await?;
        own_message(&mut conn, staff, id).await?
    };
    // A reply through the publishing path is public. E-mail and web-form
    // messages were private: their answer must not appear on the public pages.
    if !PUBLIC_CHANNELS.contains(&message.channel.as_str()) {
        return Err(invalid(
            "channel",
            "this message came by e-mail or the web form, which are private: a public post is not the way to answer it",
        ));
    }
    let account = account.or(message.account_id).ok_or_else(|| {
        invalid(
            "account",
            "this message was not addressed to an account: choose the account to reply as",
        )
    })?;
    let input = Compose {
        text: text.to_string(),
        kind: Some("reply".into()),
        link: Some(Link {
            kind: LINK_KIND.into(),
            reference: id.to_string(),
        }),
        reply_channel: Some(message.channel.clone()),
        ..Compose::default()
    };
    let submitted = compose(store, engines, staff, account, &input).await?;
    let post = submitted.post;
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    let (kind, answered, reason) = match post.status {
        PostStatus::Published => ("replied", true, None),
        PostStatus::Refused => (
            "reply-refused",
            false,
            Some(crate::client_apps::statuses::refused_message(
                &submitted.report,
            )),
        ),
        _ => ("reply-held", false, None),
    };
    record(
        &mut tx,
        staff,
        &message,
        kind,
        json!({"post": post.id, "status": post.status, "text": text.trim(), "reason": reason}),
    )
    .await?;
    if answered && message.status != "closed" {
        bluelamp_store::inbox::set_status(&mut tx, id, "answered").await?;
    }
    tx.commit().await?;
    let delivery = (answered && message.channel != "fediverse").then(|| super::rumours::Reply {
        message_id: id,
        channel: message.channel.clone(),
        external_id: message.external_id.clone(),
        text: post.body.clone(),
    });
    Ok(ReplyOutcome {
        post,
        report: submitted.report,
        delivery,
    })
}

/// A held reply was approved and published: the message is answered.
pub async fn on_reply_published(
    conn: &mut bluelamp_store::AnyConnection,
    post: &posts::Post,
) -> ServiceResult<()> {
    if post.link_kind.as_deref() != Some(LINK_KIND) {
        return Ok(());
    }
    let Some(id) = post.link_ref.as_deref().and_then(|r| r.parse::<i64>().ok()) else {
        return Ok(());
    };
    if let Some(message) = bluelamp_store::inbox::get(conn, id).await? {
        if message.force_id == post.force_id && message.status != "closed" {
            bluelamp_store::inbox::set_status(conn, id, "answered").await?;
        }
    }
    Ok(())
}

/// The maximum length of a canned reply's title and text.
pub const MAX_CANNED_TITLE: usize = 80;
pub const MAX_CANNED_TEXT: usize = 2_000;

/// The variables a canned reply may use, replaced from the message.
pub const VARIABLES: [&str; 4] = ["{name}", "{reference}", "{force}", "{channel}"];

/// Fill a canned reply's variables from a message.
pub fn fill(template: &str, message: &Message, force_name: &str) -> String {
    let name = message
        .author_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| message.author_handle.trim_start_matches('@').to_string());
    template
        .replace("{name}", &name)
        .replace("{reference}", &format!("M{}", message.id))
        .replace("{force}", force_name)
        .replace("{channel}", &message.channel)
}

/// Add a canned reply for the force (staff who handle messages).
pub async fn add_canned(
    store: &Store,
    staff: &Staff,
    title: &str,
    text: &str,
) -> ServiceResult<canned::Canned> {
    staff.require_scope("write")?;
    staff.authorize(bluelamp_domain::Action::HandleMessages)?;
    let force = staff.current_force()?;
    // The limits count what was sent (as documented), the emptiness what is left.
    if title.chars().count() > MAX_CANNED_TITLE || text.chars().count() > MAX_CANNED_TEXT {
        let field = if title.chars().count() > MAX_CANNED_TITLE {
            "title"
        } else {
            "text"
        };
        return Err(invalid(
            field,
            format!(
                "a title is at most {MAX_CANNED_TITLE} characters and a text {MAX_CANNED_TEXT}"
            ),
        ));
    }
    let title = title.trim();
    let text = text.trim();
    if title.is_empty() || title.chars().count() > MAX_CANNED_TITLE {
        return Err(invalid(
            "title",
            format!("give a title of 1 to {MAX_CANNED_TITLE} characters"),
        ));
    }
    if text.is_empty() || text.chars().count() > MAX_CANNED_TEXT {
        return Err(invalid(
            "text",
            format!("give a text of 1 to {MAX_CANNED_TEXT} characters"),
        ));
    }
    // A brace that is not one of the variables is almost always a typing slip.
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        let Some(known) = VARIABLES.iter().find(|v| tail.starts_with(**v)) else {
            return Err(invalid(
                "text",
                format!("use only the variables {}", VARIABLES.join(", ")),
            ));
        };
        rest = &tail[known.len()..];
    }
    let mut tx = store.write().await?;
    let saved = canned::insert(&mut tx, force, title, text, staff.user_id).await?;
    let mut e = crate::auth::entry(staff, "inbox.canned-added", "canned_reply", saved.id);
    e.after = serde_json::to_string(&saved).ok();
    bluelamp_store::audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(saved)
}

/// The force's canned replies.
pub async fn canned_replies(store: &Store, staff: &Staff) -> ServiceResult<Vec<canned::Canned>> {
    staff.require_scope("read")?;
    staff.authorize(bluelamp_domain::Action::HandleMessages)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(canned::list(&mut conn, force).await?)
}

/// A canned reply filled in for message `id`.
pub async fn canned_for(
    store: &Store,
    staff: &Staff,
    canned_id: i64,
    id: i64,
) -> ServiceResult<String> {
    staff.require_scope("read")?;
    staff.authorize(bluelamp_domain::Action::HandleMessages)?;
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    let message = bluelamp_store::inbox::get(&mut conn, id)
        .await?
        .filter(|m| m.force_id == force)
        .ok_or(ServiceError::NotFound("message"))?;
    let template = canned::get(&mut conn, canned_id)
        .await?
        .filter(|c| c.force_id == force)
        .ok_or(ServiceError::NotFound("canned reply"))?;
    let force_name = forces::get(&mut conn, force).await?.name;
    Ok(fill(&template.text, &message, &force_name))
}

/// The accounts `staff` may reply as.
pub async fn reply_accounts(
    store: &Store,
    staff: &Staff,
) -> ServiceResult<Vec<bluelamp_store::accounts::Account>> {
    let mut conn = store.read().await?;
    crate::client_apps::oauth::postable_accounts(&mut conn, staff).await
}
