//! Rumours (story 4): messages that ask about or spread the same claim are grouped as
//! they arrive; an officer attaches one published answer and every message in the
//! group is answered with it, each recorded.

use bluelamp_domain::{Action, ForceId, Invalid, PostStatus};
use bluelamp_store::inbox::{self as inbox_store, Message};
use bluelamp_store::rumours::{self as store, Cluster};
use bluelamp_store::{audit, notify, posts, AnyConnection, Store};
use bluelamp_triage::rumour::{BandIndex, Placement, Signature};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// Cluster sizes at which staff are alerted that a rumour is spreading.
const SPIKES: [i64; 4] = [10, 50, 200, 1_000];

/// Puts a batch's new rumour messages, in arrival order, in the clusters of their
/// claims, starting clusters for new claims. The stored clusters the batch's bands
/// touch are read once and the batch is placed in memory
/// ([`bluelamp_triage::rumour::BandIndex`]); then each touched cluster is written
/// once, however many of the batch joined it.
pub(crate) async fn cluster(
    conn: &mut AnyConnection,
    force: ForceId,
    messages: &[(i64, &str)],
) -> ServiceResult<()> {
    let signed: Vec<(i64, &str, Signature)> = messages
        .iter()
        .filter_map(|&(id, text)| Signature::of(text).map(|s| (id, text, s)))
        .collect();
    if signed.is_empty() {
        return Ok(());
    }
    store::lock_for_clustering(conn, force).await?;
    let mut bands: Vec<String> = signed.iter().flat_map(|(_, _, s)| s.bands()).collect();
    bands.sort_unstable();
    bands.dedup();
    let mut index = BandIndex::default();
    // Position in the index → the stored cluster, or the batch's message that founds it.
    let mut founders: Vec<Founder> = Vec::new();
    for stored in store::candidates(conn, force, &bands).await? {
        if let Some(signature) = Signature::from_hex(&stored.signature) {
            index.add(signature);
            founders.push(Founder::Stored(stored.id));
        }
    }
    let mut members: Vec<Vec<i64>> = vec![Vec::new(); founders.len()];
    for (id, text, signature) in &signed {
        let position = match index.place(signature) {
            Placement::Joined(p) => p,
            Placement::Started(p) => {
                founders.push(Founder::New {
                    text,
                    signature: signature.clone(),
                });
                members.push(Vec::new());
                p
            }
        };
        members[position].push(*id);
    }
    let mut spiked = false;
    for (founder, ids) in founders.iter().zip(&members) {
        if ids.is_empty() {
            continue;
        }
        let id = match founder {
            Founder::Stored(id) => {
                let added = ids.len() as i64;
                let size = store::grow(conn, *id, added).await?;
                // A spike is a threshold crossed by this batch.
                spiked |= SPIKES.iter().any(|s| size - added < *s && *s <= size);
                *id
            }
            Founder::New { text, signature } => {
                let sample: String = text.chars().take(280).collect();
                let id = store::create(
                    conn,
                    force,
                    &signature.to_hex(),
                    &signature.bands(),
                    &sample,
                )
                .await?;
                let added = ids.len() as i64 - 1;
                if added > 0 {
                    let size = store::grow(conn, id, added).await?;
                    spiked |= SPIKES.iter().any(|s| *s <= size);
                }
                id
            }
        };
        store::set_messages_cluster(conn, id, ids).await?;
    }
    if spiked {
        notify::announce(conn, notify::INBOX_URGENT, &force.0.to_string()).await?;
    }
    Ok(())
}

/// Who founded a cluster a batch touches.
enum Founder<'a> {
    Stored(i64),
    New { text: &'a str, signature: Signature },
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

/// What answering a rumour did, message by message, counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Answered {
    /// Replies published on the message's own channel.
    pub answered: usize,
    /// Replies waiting for a supervisor (the account's approval rules).
    pub held: usize,
    /// Replies the check refused (each recorded on its message, with why).
    pub refused: usize,
    /// E-mail and web-form messages: private, so not answered by a public post;
    /// they stay open for a private answer.
    pub private: usize,
    /// Already answered or closed before.
    pub already: usize,
    /// For networks Bluelamp does not post to itself: what their connectors send.
    pub replies: Vec<Reply>,
}

/// Answers every message of the cluster with one published post of the force:
/// each message gets its own reply through the publishing path (so each passes
/// the governance check and the account's approval rules, goes out on the
/// message's own channel and is recorded on the message), posted as the answer's
/// account with the answer's words.
pub async fn answer_all(
    store: &Store,
    engines: &crate::force_rules::ForceEngines,
    staff: &Staff,
    id: i64,
    post_id: i64,
) -> ServiceResult<Answered> {
    staff.require_scope("write")?;
    let force = force_of(staff)?;
    let (post, members) = {
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
        let members = store::member_ids(&mut tx, id).await?;
        tx.commit().await?;
        (post, members)
    };
    let mut done = Answered::default();
    for m in members {
        let message = {
            let mut conn = store.read().await?;
            inbox_store::get(&mut conn, m).await?
        };
        let Some(message) = message else { continue };
        if message.status == "answered" || message.status == "closed" {
            done.already += 1;
            continue;
        }
        if !super::replies::PUBLIC_CHANNELS.contains(&message.channel.as_str()) {
            done.private += 1;
            continue;
        }
        let outcome =
            super::replies::reply(store, engines, staff, m, &post.text, Some(post.account_id))
                .await?;
        match outcome.post.status {
            PostStatus::Published => done.answered += 1,
            PostStatus::Refused => done.refused += 1,
            _ => done.held += 1,
        }
        done.replies.extend(outcome.delivery);
    }
    let mut tx = store.write().await?;
    let mut e = entry(staff, "inbox.rumour-answered", "rumour", id);
    e.after = Some(
        json!({"post": post.id, "answered": done.answered, "held": done.held,
               "refused": done.refused, "private": done.private})
        .to_string(),
    );
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(done)
}
