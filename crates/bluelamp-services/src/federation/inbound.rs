//! Inbound activities: what a verified activity from the fediverse changes, once per id.

use bluelamp_domain::{AccountId, ForceId, Invalid};
use bluelamp_federation::origin::{check_origins, domain_covers};
use bluelamp_federation::protocol::{ActivityKind, InboundActivity, RemoteObject, Target, Updated};
use bluelamp_store::federation::{NewInboundMessage, NewOutbound};
use bluelamp_store::{federation as fed, forces, savepoint, AnyConnection, Store};
use serde_json::json;

use crate::{ServiceError, ServiceResult};

use super::urls::{host_of, local_actor, local_post};

/// What the inbox knows about the remote actor (from its fetched document).
#[derive(Debug, Clone, Default)]
pub struct RemoteActorInfo {
    pub inbox: Option<String>,
    pub shared_inbox: Option<String>,
    pub name: Option<String>,
}

/// What became of an inbound activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Processed,
    /// The same activity id was processed before (a replay or a loop).
    Duplicate,
    /// Blocked by staff: dropped (and answered 202, so the sender stops).
    Blocked,
    /// Understood but nothing of ours is concerned.
    Ignored(&'static str),
}

/// Apply a verified inbound activity, once per activity id, in one transaction.
/// `addressed_to` is the account whose personal inbox received it, if any.
pub async fn receive(
    store: &Store,
    force_id: ForceId,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let mut tx = store.write().await?;
    let force = forces::get(&mut tx, force_id).await?;
    let outcome = receive_in(&mut tx, &force, addressed_to, activity, actor).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Likes and boosts (Announces) a post has received from the fediverse, as
/// `(likes, boosts)`; an Undo takes one back.
pub async fn reaction_counts(store: &Store, post_id: i64) -> ServiceResult<(i64, i64)> {
    let mut conn = store.read().await?;
    Ok(fed::reaction_counts(&mut conn, post_id).await?)
}

/// One verified inbound activity waiting to be stored; see [`receive_batch`].
#[derive(Debug, Clone)]
pub struct InboundItem {
    pub force_id: ForceId,
    pub addressed_to: Option<AccountId>,
    pub activity: InboundActivity,
    pub actor: RemoteActorInfo,
}

/// Apply many verified inbound activities in ONE transaction (group commit), each
/// inside its own savepoint so that one activity's failure (a Follow for an
/// unknown actor, a follower without an inbox) rolls back only that activity and
/// leaves the others, exactly as if each had been received alone.
///
/// Why: on the embedded SQLite store every write transaction is one fsync behind
/// one writer; storing a busy inbox one activity per transaction caps it at a few
/// hundred a second. The caller answers each sender only after the commit, so an
/// accepted (202) activity is always durable.
pub async fn receive_batch(
    store: &Store,
    items: &[InboundItem],
) -> ServiceResult<Vec<ServiceResult<Received>>> {
    let mut tx = store.write().await?;
    let mut forces_seen: Vec<forces::Force> = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let force = match forces_seen.iter().find(|f| f.id == item.force_id) {
            Some(force) => force.clone(),
            None => {
                let force = forces::get(&mut tx, item.force_id).await?;
                forces_seen.push(force.clone());
                force
            }
        };
        savepoint::begin(&mut tx, "inbound_item").await?;
        let outcome = receive_in(
            &mut tx,
            &force,
            item.addressed_to,
            &item.activity,
            &item.actor,
        )
        .await;
        if outcome.is_err() {
            // Undo whatever this activity half-wrote; the others stay.
            savepoint::rollback(&mut tx, "inbound_item").await?;
        }
        savepoint::release(&mut tx, "inbound_item").await?;
        outcomes.push(outcome);
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The body of [`receive`], on an open transaction.
async fn receive_in(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    if is_blocked(conn, force.id, &activity.actor).await? {
        return Ok(Received::Blocked);
    }
    // An actor speaks only for its own server: ids of another origin could
    // pre-claim a real activity's id so that it is later dropped as a replay.
    check_origins(activity)
        .map_err(|error| ServiceError::Invalid(Invalid::new("id", error.to_string())))?;
    if let ActivityKind::Follow { object } = &activity.kind {
        if local_actor(conn, force, object).await?.is_none() {
            return Err(ServiceError::NotFound("local actor"));
        }
    }
    if !fed::record_inbound(
        conn,
        force.id,
        &activity.id,
        &activity.actor,
        activity.kind.name(),
    )
    .await?
    {
        return Ok(Received::Duplicate);
    }
    apply(conn, force, addressed_to, activity, actor).await
}

/// Blocked by the force: the actor itself, or its domain or a parent domain.
async fn is_blocked(conn: &mut AnyConnection, force: ForceId, actor: &str) -> ServiceResult<bool> {
    if fed::is_actor_blocked(conn, force, actor).await? {
        return Ok(true);
    }
    let host = host_of(actor).to_ascii_lowercase();
    Ok(fed::blocked_domains(conn, force)
        .await?
        .iter()
        .any(|b| domain_covers(b, &host)))
}

async fn apply(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    activity: &InboundActivity,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let who = activity.actor.as_str();
    match &activity.kind {
        ActivityKind::Follow { object } => {
            let account = local_actor(conn, force, object)
                .await?
                .ok_or(ServiceError::NotFound("local actor"))?;
            let inbox = actor
                .inbox
                .as_deref()
                .ok_or_else(|| ServiceError::Conflict("the follower has no inbox".into()))?;
            fed::upsert_follower(
                conn,
                account.id,
                who,
                inbox,
                actor.shared_inbox.as_deref(),
                &activity.id,
            )
            .await?;
            // The Accept goes straight to the follower's own inbox: one delivery,
            // queued in this transaction so it cannot be lost or doubled.
            let key = format!("accept:{}", activity.id);
            let outbound = fed::insert_outbound(
                conn,
                &NewOutbound {
                    account_id: account.id,
                    kind: "Accept",
                    post_id: None,
                    post_version: None,
                    follow_id: Some(&activity.id),
                    target_actor: Some(who),
                    dedupe_key: &key,
                },
            )
            .await?;
            if let Some(id) = outbound {
                fed::enqueue_delivery(conn, id, inbox, &host_of(inbox).to_ascii_lowercase())
                    .await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Undo { object } => {
            match object {
                Target::Activity { kind, id, .. } => match kind.as_ref() {
                    ActivityKind::Follow { object } => {
                        if let Some(account) = local_actor(conn, force, object).await? {
                            fed::remove_follower(conn, Some(account.id), who).await?;
                        }
                    }
                    ActivityKind::Like { object } | ActivityKind::Announce { object } => {
                        // Reactions count once per actor, post and kind, so the
                        // Undo takes back that one whatever id it names.
                        let kind = if matches!(kind.as_ref(), ActivityKind::Like { .. }) {
                            "like"
                        } else {
                            "announce"
                        };
                        if let Some(post) = local_post(conn, force, object).await? {
                            fed::remove_reaction_to(conn, post.id, who, kind).await?;
                        }
                        if let Some(id) = id {
                            fed::remove_reaction(conn, id, who).await?;
                        }
                    }
                    _ => return Ok(Received::Ignored("undo of something we do not keep")),
                },
                Target::Id(id) => {
                    fed::remove_follow_by_id(conn, id, who).await?;
                    fed::remove_reaction(conn, id, who).await?;
                }
            }
            Ok(Received::Processed)
        }
        ActivityKind::Create(object) => {
            store_message(conn, force, addressed_to, who, object, actor).await
        }
        ActivityKind::Update(Updated::Object(object)) => {
            let Some(id) = object.id.as_deref() else {
                return Ok(Received::Ignored("update without an object id"));
            };
            let html = object.html_sanitized();
            let warning = object
                .content_warning()
                .map(bluelamp_federation::html::sanitize);
            fed::update_message(conn, id, who, &html, warning.as_deref()).await?;
            Ok(Received::Processed)
        }
        ActivityKind::Update(Updated::Actor(_)) => Ok(Received::Ignored("profile update")),
        ActivityKind::Delete { object } => {
            if object == who {
                // The account itself is gone: it follows nothing of ours any more.
                fed::remove_follower(conn, None, who).await?;
            } else {
                fed::delete_message(conn, object, who).await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Like { object } | ActivityKind::Announce { object } => {
            let kind = if matches!(activity.kind, ActivityKind::Like { .. }) {
                "like"
            } else {
                "announce"
            };
            match local_post(conn, force, object).await? {
                Some(post) => {
                    fed::add_reaction(conn, &activity.id, post.id, who, kind).await?;
                    Ok(Received::Processed)
                }
                None => Ok(Received::Ignored("not one of our posts")),
            }
        }
        ActivityKind::Block { object } => {
            // They no longer want our posts: stop delivering to them.
            if let Some(account) = local_actor(conn, force, object).await? {
                fed::remove_follower(conn, Some(account.id), who).await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Flag { objects, content } => {
            let content = content.as_deref().map(bluelamp_federation::html::sanitize);
            fed::insert_report(
                conn,
                force.id,
                who,
                &activity.id,
                objects,
                content.as_deref(),
            )
            .await?;
            // The report also goes to the inbox's review queue, where a person
            // decides on it like on any hidden message.
            let about: Vec<&str> = objects.iter().take(10).map(String::as_str).collect();
            let reason: String = content
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or("no reason given")
                .chars()
                .take(5_000)
                .collect();
            let report = crate::inbox::ingest::Inbound {
                channel: "fediverse".into(),
                external_id: activity.id.clone(),
                author: crate::inbox::ingest::Author {
                    handle: who.to_string(),
                    name: None,
                    url: Some(who.to_string())
                        .filter(|w| w.starts_with("https://") || w.starts_with("http://")),
                },
                text: format!(
                    "Report (fediverse Flag) about {}: {reason}",
                    about.join(", ")
                ),
                media: Vec::new(),
                reply_to: None,
                conversation: None,
                sent_at: None,
                account_id: None,
            };
            let outcome = crate::inbox::ingest::ingest_in(conn, force.id, &report).await?;
            if let (Some(id), "created") = (outcome.id, outcome.status) {
                bluelamp_store::inbox::set_hidden(conn, id, Some("fediverse report")).await?;
            }
            Ok(Received::Processed)
        }
        ActivityKind::Accept { .. } | ActivityKind::Reject { .. } => {
            Ok(Received::Ignored("we follow no one"))
        }
    }
}

/// A Create: kept when it replies to one of our posts, mentions or addresses
/// one of our accounts, or arrived in an account's own inbox.
async fn store_message(
    conn: &mut AnyConnection,
    force: &forces::Force,
    addressed_to: Option<AccountId>,
    who: &str,
    object: &RemoteObject,
    actor: &RemoteActorInfo,
) -> ServiceResult<Received> {
    let Some(object_id) = object.id.as_deref() else {
        return Ok(Received::Ignored("note without an id"));
    };
    if !object.attributed_to.is_empty() && !object.attributed_to.iter().any(|a| a == who) {
        // A remote actor cannot post in another's name.
        return Err(ServiceError::Forbidden(
            "the note is attributed to another actor".into(),
        ));
    }
    let mut concerned: Option<AccountId> = None;
    if let Some(reply_to) = object.in_reply_to.as_deref() {
        if let Some(post) = local_post(conn, force, reply_to).await? {
            concerned = Some(post.account_id);
        }
    }
    let candidates: Vec<String> = object
        .mentioned()
        .map(str::to_owned)
        .chain(object.to.iter().cloned())
        .chain(object.cc.iter().cloned())
        .collect();
    for candidate in candidates {
        if concerned.is_some() {
            break;
        }
        if let Some(account) = local_actor(conn, force, &candidate).await? {
            concerned = Some(account.id);
        }
    }
    let Some(account) = concerned.or(addressed_to) else {
        return Ok(Received::Ignored(
            "neither a reply to nor a mention of our accounts",
        ));
    };
    let attachments: Vec<serde_json::Value> = object
        .attachments
        .iter()
        .filter_map(|a| {
            a.url
                .as_ref()
                .map(|url| json!({ "url": url, "media_type": a.media_type, "alt": a.name }))
        })
        .collect();
    let html = object.html_sanitized();
    let warning = object
        .content_warning()
        .map(bluelamp_federation::html::sanitize);
    fed::insert_message(
        conn,
        &NewInboundMessage {
            force_id: force.id,
            account_id: Some(account),
            object_id,
            actor_id: who,
            author_name: actor.name.as_deref(),
            in_reply_to: object.in_reply_to.as_deref(),
            content_html: &html,
            content_warning: warning.as_deref(),
            attachments: &serde_json::Value::Array(attachments),
            url: object.url.as_deref(),
            published: object.published.as_deref(),
        },
    )
    .await?;
    // The same reply, triaged, in the one inbox of every channel.
    let inbound = crate::inbox::ingest::Inbound {
        channel: "fediverse".into(),
        external_id: object_id.into(),
        author: crate::inbox::ingest::Author {
            handle: who.into(),
            name: actor.name.clone(),
            url: who.starts_with("https://").then(|| who.to_string()),
        },
        text: bluelamp_federation::html::to_plain_text(&html),
        media: object
            .attachments
            .iter()
            .filter_map(|a| {
                a.url
                    .as_ref()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .map(|url| crate::inbox::ingest::Media {
                        url: url.clone(),
                        kind: a.media_type.clone(),
                        alt: a.name.clone(),
                    })
            })
            .take(crate::inbox::ingest::MAX_MEDIA)
            .collect(),
        reply_to: object.in_reply_to.clone(),
        conversation: None,
        sent_at: object.published.clone().filter(|p| {
            time::OffsetDateTime::parse(p, &time::format_description::well_known::Rfc3339).is_ok()
        }),
        account_id: Some(account.0),
    };
    let outcome = crate::inbox::ingest::ingest_in(conn, force.id, &inbound).await?;
    if outcome.status == "invalid" {
        tracing::debug!(
            "fediverse reply {object_id} not triaged: {:?}",
            outcome.error
        );
    }
    Ok(Received::Processed)
}
