//! Rumours (story 4): messages that ask about or spread the same claim are grouped as
//! they arrive; an officer attaches one published answer and every message in the
//! group is answered with it, each recorded.

use bluelamp_domain::{Action, ForceId, Invalid, PostStatus};
use bluelamp_store::inbox::{self as inbox_store, Message};
use bluelamp_store::rumours::{self as store, Cluster};
use bluelamp_store::{audit, notify, posts, AnyConnection, Store};
use bluelamp_triage::rumour::{Signature, JOIN_SIMILARITY};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// Cluster sizes at which staff are alerted that a rumour is spreading.
const SPIKES: [i64; 4] = [10, 50, 200, 1_000];

/// Puts a new rumour message in the cluster of its claim, or starts one.
pub(crate) async fn cluster(
    conn: &mut AnyConnection,
    force: ForceId,
    message: i64,
    text: &str,
) -> ServiceResult<()> {
    let Some(signature) = Signature::of(text) else {
        return Ok(());
    };
    let bands = signature.bands();
    let best = store::candidates(conn, force, &bands)
        .await?
        .into_iter()
        .filter_map(|c| {
            let s = Signature::from_hex(&c.signature)?.similarity(&signature);
            (s >= JOIN_SIMILARITY).then_some((c.id, s))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let id = match best {
        Some((id, _)) => {
            let size = store::grow(conn, id).await?;
            if SPIKES.contains(&size) {
                notify::announce(conn, notify::INBOX_URGENT, &force.0.to_string()).await?;
            }
            id
        }
        None => {
            let sample: String = text.chars().take(280).collect();
            store::create(conn, force, &signature.to_hex(), &bands, &sample).await?
        }
    };
    store::set_message_cluster(conn, message, id).await?;
    Ok(())
}

fn force_of(staff: &Staff) -> ServiceResult<ForceId> {
    staff.require_scope("read")?;
    staff.authorize(Action::HandleMessages)?;
    staff
        .force_id
        .ok_or_else(|| ServiceError::Invalid(Invalid::new("force", "choose a force first")))
}

pub async fn list(store: &Store, staff: &Staff) -> ServiceResult<Vec<Cluster>> {
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, force).await?)
}

#[derive(Debug, Serialize)]
pub struct ClusterView {
    pub cluster: Cluster,
    /// Up to 50 of its messages, oldest first.
    pub messages: Vec<Message>,
}

pub async fn get(store: &Store, staff: &Staff, id: i64) -> ServiceResult<ClusterView> {
    let force = force_of(staff)?;
    let mut conn = store.read().await?;
    let cluster = store::get(&mut conn, id)
        .await?
        .filter(|c| c.force_id == force)
        .ok_or(ServiceError::NotFound("rumour"))?;
    let mut messages = Vec::new();
    for m in store::member_ids(&mut conn, id).await?.into_iter().take(50) {
        messages.extend(inbox_store::get(&mut conn, m).await?);
    }
    Ok(ClusterView { cluster, messages })
}

/// One reply to send: the connector of `channel` posts `text` in answer to
/// `external_id`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reply {
    pub message_id: i64,
    pub channel: String,
    pub external_id: String,
    pub text: String,
}

/// Answers every message of the cluster with one published post of the force. The
/// post passed the governance check (and approval where needed) when it was
/// published; each message is marked answered with an event, and the replies to send
/// are returned (one per message, on its own channel).
pub async fn answer_all(
    store: &Store,
    staff: &Staff,
    id: i64,
    post_id: i64,
) -> ServiceResult<Vec<Reply>> {
    staff.require_scope("write")?;
    let force = force_of(staff)?;
    let mut tx = store.write().await?;
    // Another force's rumour is as good as unknown.
    store::get(&mut tx, id)
        .await?
        .filter(|c| c.force_id == force)
        .ok_or(ServiceError::NotFound("rumour"))?;
    let post = posts::get(&mut tx, post_id)
        .await
        .ok()
        .filter(|p| p.force_id == force)
        .ok_or_else(|| {
            ServiceError::Invalid(Invalid::new(
                "post_id",
                "choose a published post of this force",
            ))
        })?;
    if post.status != PostStatus::Published {
        return Err(ServiceError::Invalid(Invalid::new(
            "post_id",
            "the answer must be published first (so the check and any approval have seen it)",
        )));
    }
    store::set_answer(&mut tx, id, post.id).await?;
    let mut replies = Vec::new();
    for m in store::member_ids(&mut tx, id).await? {
        let Some(message) = inbox_store::get(&mut tx, m).await? else {
            continue;
        };
        if message.status != "answered" && message.status != "closed" {
            inbox_store::set_status(&mut tx, m, "answered").await?;
        }
        inbox_store::add_event(
            &mut tx,
            &message,
            "answered",
            &json!({"post": post.id, "rumour": id}),
            staff.user_id,
            &staff.audit_label(),
        )
        .await?;
        replies.push(Reply {
            message_id: m,
            channel: message.channel.clone(),
            external_id: message.external_id.clone(),
            text: post.body.clone(),
        });
    }
    let mut e = entry(staff, "inbox.rumour-answered", "rumour", id);
    e.after = Some(json!({"post": post.id, "messages": replies.len()}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(replies)
}
