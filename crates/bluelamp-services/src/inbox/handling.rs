//! What staff do with inbox messages. Every change is an inbox event (shown on the
//! message) and an audit entry; nothing is ever deleted: hiding keeps the message for
//! review, and restoring it needs a reason.

use crate::error::invalid;
use bluelamp_domain::{Action, Role, UserId};
use bluelamp_store::inbox::{self as store, Event, Filter, Message};
use bluelamp_store::{audit, users, AnyConnection, Store};
use bluelamp_triage::{Category, Priority};
use serde_json::{json, Value};

use super::STATUSES;
use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// The longest note, reason or team name kept.
pub const MAX_NOTE_CHARS: usize = 4_000;

fn may_read(staff: &Staff) -> ServiceResult<bluelamp_domain::ForceId> {
    staff.require_scope("read")?;
    staff.authorize(Action::HandleMessages)?;
    staff
        .force_id
        .ok_or_else(|| invalid("force", "choose a force first"))
}

fn may_write(staff: &Staff) -> ServiceResult<bluelamp_domain::ForceId> {
    staff.require_scope("write")?;
    may_read(staff)
}

fn text_field<'a>(field: &'static str, value: &'a str, required: bool) -> ServiceResult<&'a str> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(invalid(field, "must not be empty; say why in a sentence"));
    }
    let n = v.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(invalid(
            field,
            format!("is {n} characters long; at most {MAX_NOTE_CHARS}"),
        ));
    }
    Ok(v)
}

/// The force's messages matching `filter`.
pub async fn list(store: &Store, staff: &Staff, filter: &Filter) -> ServiceResult<Vec<Message>> {
    let force = may_read(staff)?;
    if let Some(c) = &filter.category {
        if Category::parse(c).is_none() {
            return Err(invalid(
                "category",
                format!("`{c}` is not a triage category"),
            ));
        }
    }
    if let Some(p) = &filter.priority {
        if Priority::parse(p).is_none() {
            return Err(invalid("priority", "use critical, high, normal or low"));
        }
    }
    if let Some(c) = &filter.channel {
        if bluelamp_triage::Channel::parse(c).is_none() {
            return Err(invalid(
                "channel",
                "use fediverse, bluesky, x, facebook, email or web",
            ));
        }
    }
    if !(1..=500).contains(&filter.limit) {
        return Err(invalid("limit", "from 1 to 500"));
    }
    if filter.team.as_ref().is_some_and(|t| t.chars().count() > 80) {
        return Err(invalid("team", "at most 80 characters"));
    }
    if let Some(s) = &filter.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(invalid(
                "status",
                "use new, assigned, waiting, answered or closed",
            ));
        }
    }
    let mut conn = store.read().await?;
    Ok(store::list(&mut conn, force, filter).await?)
}

/// One message with what was done to it and the sender's other messages.
#[derive(Debug, serde::Serialize)]
pub struct MessageView {
    pub message: Message,
    pub events: Vec<Event>,
    /// The same sender's other messages to this force, newest first.
    pub history: Vec<Message>,
}

pub async fn get(store: &Store, staff: &Staff, id: i64) -> ServiceResult<MessageView> {
    let force = may_read(staff)?;
    let mut conn = store.read().await?;
    let message = store::get(&mut conn, id)
        .await?
        .filter(|m| m.force_id == force)
        .ok_or(ServiceError::NotFound("message"))?;
    let events = store::events(&mut conn, id).await?;
    let history = store::list(
        &mut conn,
        force,
        &Filter {
            author_handle: Some(message.author_handle.clone()),
            limit: 50,
            ..Filter::default()
        },
    )
    .await?
    .into_iter()
    .filter(|m| m.id != id)
    .collect();
    Ok(MessageView {
        message,
        events,
        history,
    })
}

/// Loads a message of the staff member's force inside a write transaction.
pub(super) async fn own_message(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: i64,
) -> ServiceResult<Message> {
    let force = may_write(staff)?;
    store::get(conn, id)
        .await?
        .filter(|m| m.force_id == force)
        .ok_or(ServiceError::NotFound("message"))
}

pub(super) async fn record(
    conn: &mut AnyConnection,
    staff: &Staff,
    message: &Message,
    kind: &str,
    detail: Value,
) -> ServiceResult<()> {
    store::add_event(
        conn,
        message,
        kind,
        &detail,
        staff.user_id,
        &staff.audit_label(),
    )
    .await?;
    // The audit chain cannot be rewritten, and what staff write about a message
    // may quote personal data a redaction must be able to remove: the chain keeps
    // a digest of the detail; the detail itself lives in the (redactable) event.
    let mut e = entry(staff, &format!("inbox.{kind}"), "inbox_message", message.id);
    let text = detail.to_string();
    e.after = Some(
        json!({"detail_sha256": crate::auth::sha256_hex(&text), "characters": text.chars().count()})
            .to_string(),
    );
    audit::append(conn, e).await?;
    Ok(())
}

/// Assigns to a person of the same force (who may handle messages) or a team.
pub async fn assign(
    store: &Store,
    staff: &Staff,
    id: i64,
    assignee: Option<UserId>,
    team: Option<&str>,
) -> ServiceResult<()> {
    let team = match team.map(|t| text_field("team", t, false)).transpose()? {
        Some("") | None => None,
        Some(t) if t.chars().count() > 80 => return Err(invalid("team", "at most 80 characters")),
        Some(t) => Some(t),
    };
    if assignee.is_none() && team.is_none() {
        return Err(invalid("assignee", "choose a person or a team"));
    }
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    if let Some(user) = assignee {
        let u = users::get(&mut tx, user)
            .await
            .map_err(|_| ServiceError::NotFound("user"))?;
        if u.force_id != Some(message.force_id)
            || u.disabled
            || u.role.authorize(Action::HandleMessages).is_err()
        {
            return Err(invalid(
                "assignee",
                "assign to an active colleague who handles messages",
            ));
        }
    }
    store::assign(&mut tx, id, assignee, team).await?;
    record(
        &mut tx,
        staff,
        &message,
        "assigned",
        json!({"assignee": assignee.map(|u| u.0), "team": team}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_status(store: &Store, staff: &Staff, id: i64, status: &str) -> ServiceResult<()> {
    if !STATUSES.contains(&status) {
        return Err(invalid(
            "status",
            "use new, assigned, waiting, answered or closed",
        ));
    }
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    store::set_status(&mut tx, id, status).await?;
    record(
        &mut tx,
        staff,
        &message,
        "status",
        json!({"from": message.status, "to": status}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An internal note, never shown to the sender.
pub async fn note(store: &Store, staff: &Staff, id: i64, text: &str) -> ServiceResult<()> {
    let text = text_field("note", text, true)?;
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    record(&mut tx, staff, &message, "note", json!({"text": text})).await?;
    tx.commit().await?;
    Ok(())
}

/// Hides a message from every public view. It stays, in the review queue.
pub async fn hide(store: &Store, staff: &Staff, id: i64, reason: &str) -> ServiceResult<()> {
    let reason = text_field("reason", reason, true)?;
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    store::set_hidden(&mut tx, id, Some(reason)).await?;
    record(
        &mut tx,
        staff,
        &message,
        "hidden",
        json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Restores a hidden message, with the reviewer's reason (the legitimate critic is
/// never silently lost). Reviewers: supervisors, comms and administrators.
pub async fn restore(store: &Store, staff: &Staff, id: i64, reason: &str) -> ServiceResult<()> {
    if !matches!(
        staff.role,
        Role::Supervisor | Role::Comms | Role::ForceAdmin | Role::ServerAdmin
    ) {
        return Err(ServiceError::Forbidden(
            "Restoring a hidden message is for a reviewer: a supervisor, comms or an administrator.".into(),
        ));
    }
    let reason = text_field("reason", reason, true)?;
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    if message.hidden_at.is_none() {
        return Err(ServiceError::Conflict("This message is not hidden.".into()));
    }
    store::set_hidden(&mut tx, id, None).await?;
    record(
        &mut tx,
        staff,
        &message,
        "restored",
        json!({"reason": reason, "was_hidden_for": message.hidden_reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person overrules the triage: the new labels (the primary follows the guide's
/// precedence, the priority the labels) are stored, and the overrule is kept as a
/// labelled example for the next training round.
pub async fn overrule(
    store: &Store,
    staff: &Staff,
    id: i64,
    labels: &[String],
    urgent: bool,
) -> ServiceResult<()> {
    let mut parsed = Vec::new();
    for l in labels {
        let c = Category::parse(l)
            .ok_or_else(|| invalid("labels", format!("`{l}` is not a triage category")))?;
        if !parsed.contains(&c) {
            parsed.push(c);
        }
    }
    if parsed.is_empty() {
        return Err(invalid("labels", "choose at least one category"));
    }
    parsed.sort();
    let urgent =
        urgent || parsed.contains(&Category::Emergency) || parsed.contains(&Category::Safeguarding);
    let primary = Category::primary_of(&parsed).unwrap_or(Category::Other);
    let priority = Priority::of(&parsed, urgent);
    let names: Vec<&str> = parsed.iter().map(|c| c.as_str()).collect();
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    store::set_triage(
        &mut tx,
        id,
        &names,
        primary.as_str(),
        urgent,
        priority.as_str(),
    )
    .await?;
    record(
        &mut tx,
        staff,
        &message,
        "overruled",
        json!({
            "from": {"labels": message.labels, "primary": message.primary, "urgent": message.urgent},
            "to": {"labels": names, "primary": primary.as_str(), "urgent": urgent},
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An officer going off duty hands every open message assigned to them to a team.
/// Returns how many moved.
pub async fn hand_over(store: &Store, staff: &Staff, team: &str) -> ServiceResult<usize> {
    let force = may_write(staff)?;
    let team = text_field("team", team, true)?;
    if team.chars().count() > 80 {
        return Err(invalid("team", "at most 80 characters"));
    }
    let me = staff
        .user_id
        .ok_or_else(|| invalid("user", "hand over is for a signed-in person"))?;
    let mut tx = store.write().await?;
    let moved = store::hand_over(&mut tx, force, me, team).await?;
    // Handing over is going off duty: emergencies go to those still on.
    bluelamp_store::users::set_on_duty(&mut tx, me, false).await?;
    for id in &moved {
        if let Some(message) = store::get(&mut tx, *id).await? {
            store::add_event(
                &mut tx,
                &message,
                "handed-over",
                &json!({"team": team}),
                staff.user_id,
                &staff.audit_label(),
            )
            .await?;
        }
    }
    let mut e = entry(staff, "inbox.hand-over", "user", me.0);
    e.after = Some(json!({"team": team, "messages": moved.len()}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(moved.len())
}

/// Every overrule as a labelled example in the triage corpus format
/// (`corpus/triage/LABELLING.md`), for a labeller to confirm before training.
pub async fn export_overrules(
    store: &Store,
    force_code: Option<&str>,
) -> ServiceResult<Vec<Value>> {
    let mut conn = store.read().await?;
    let force = match force_code {
        Some(code) => Some(bluelamp_store::forces::by_code(&mut conn, code).await?.id),
        None => None,
    };
    let mut out = Vec::new();
    for e in store::events_of_kind(&mut conn, force, "overruled").await? {
        let Some(m) = store::get(&mut conn, e.message_id).await? else {
            continue;
        };
        let to = &e.detail["to"];
        out.push(json!({
            "id": format!("overrule-{}", e.id),
            "channel": m.channel,
            "text": m.body,
            "labels": to["labels"],
            "primary": to["primary"],
            "urgent": to["urgent"],
            "note": format!("overruled by {} on {}; the triage said {}", e.user_label, e.created_at, e.detail["from"]["labels"]),
        }));
    }
    Ok(out)
}

/// What muting did, channel by channel.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Muted {
    pub mode: &'static str,
    /// Where it is enforced, in words staff can read.
    pub enforced: Vec<String>,
}

/// Mute the sender of message `id`: their new messages are kept but hidden on
/// arrival for review (never an urgent one). `block` also refuses them where the
/// network allows it: on the fediverse their actor is blocked.
pub async fn mute(
    store: &Store,
    staff: &Staff,
    id: i64,
    block: bool,
    reason: &str,
) -> ServiceResult<Muted> {
    let reason = text_field("reason", reason, true)?;
    // Blocking on a network is a moderation decision for the force (as on the
    // fediverse page); checked before anything changes.
    if block
        && !matches!(
            staff.role,
            Role::ForceAdmin | Role::Comms | Role::ServerAdmin
        )
    {
        return Err(ServiceError::Forbidden(
            "Only the force administrators and the comms team may block a sender; you may mute them.".into(),
        ));
    }
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    let mode = if block { "block" } else { "mute" };
    store::mute_sender(&mut tx, &message, mode, reason, staff.user_id).await?;
    if message.hidden_at.is_none() {
        store::set_hidden(&mut tx, id, Some("sender muted")).await?;
    }
    record(
        &mut tx,
        staff,
        &message,
        "sender-muted",
        json!({"mode": mode, "reason": reason}),
    )
    .await?;
    tx.commit().await?;
    let mut enforced = vec![format!(
        "{}: new messages from {} are kept but hidden for review (urgent ones never are)",
        message.channel, message.author_handle
    )];
    if block {
        let actor = message
            .author_url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .or_else(|| {
                Some(message.author_handle.clone())
                    .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
            });
        match (message.channel.as_str(), actor) {
            ("fediverse", Some(actor)) => {
                crate::federation::block(store, staff, &actor).await?;
                enforced.push(format!("fediverse: {actor} is blocked; their activities are refused and they no longer follow the force's accounts"));
            }
            (channel, _) => enforced.push(format!(
                "{channel}: Bluelamp cannot block on this network itself; block the account there too"
            )),
        }
    }
    Ok(Muted { mode, enforced })
}

/// Unmute the sender of message `id` (a fediverse block is lifted on the
/// fediverse moderation page).
pub async fn unmute(store: &Store, staff: &Staff, id: i64) -> ServiceResult<bool> {
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    let was = store::unmute_sender(&mut tx, &message).await?;
    record(
        &mut tx,
        staff,
        &message,
        "sender-unmuted",
        json!({"was_muted": was}),
    )
    .await?;
    tx.commit().await?;
    Ok(was)
}

/// What a redaction puts where the words were.
pub const REDACTED: &str = "[redacted]";

/// Irreversibly remove personal data (`words`, exactly as they appear) from a
/// message: a force administrator's decision, with a reason. The words are
/// replaced in the message, its triage evidence, its events and its referrals;
/// the audit entry records who, why and how much, never the words themselves.
pub async fn redact(
    store: &Store,
    staff: &Staff,
    id: i64,
    words: &str,
    reason: &str,
) -> ServiceResult<u64> {
    if !matches!(staff.role, Role::ForceAdmin | Role::ServerAdmin) {
        return Err(ServiceError::Forbidden(
            "Only a force administrator may redact a message.".into(),
        ));
    }
    let reason = text_field("reason", reason, true)?;
    let words = words.trim();
    if words.chars().count() < 3 {
        return Err(invalid(
            "words",
            "give the exact words to remove (at least 3 characters)",
        ));
    }
    let mut tx = store.write().await?;
    let message = own_message(&mut tx, staff, id).await?;
    if !message.body.contains(words) {
        return Err(invalid(
            "words",
            "those words are not in the message (give them exactly as they appear)",
        ));
    }
    let evidence = evidence_without(&message.evidence, words);
    let changed = store::redact(&mut tx, &message, words, REDACTED, &evidence).await?;
    let detail = json!({"reason": reason, "characters": words.chars().count(), "places": changed});
    store::add_event(
        &mut tx,
        &message,
        "redacted",
        &detail,
        staff.user_id,
        &staff.audit_label(),
    )
    .await?;
    let mut e = entry(staff, "inbox.redacted", "inbox_message", id);
    e.after = Some(detail.to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(changed)
}

/// The triage evidence with every quoted word that is part of `words` left out.
fn evidence_without(evidence: &Value, words: &str) -> Value {
    let tokens: Vec<String> = words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut cleaned = evidence.clone();
    if let Some(items) = cleaned.as_array_mut() {
        for item in items {
            let Some(quoted) = item["words"].as_str() else {
                continue;
            };
            let kept: Vec<&str> = quoted
                .split(", ")
                .filter(|w| {
                    let inner = w
                        .trim_matches(|c: char| !c.is_alphanumeric())
                        .to_lowercase();
                    !inner
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|part| tokens.iter().any(|t| t == part))
                })
                .collect();
            item["words"] = Value::String(kept.join(", "));
            // The offsets pointed into the words that are gone.
            item["start"] = Value::from(0);
            item["end"] = Value::from(0);
        }
    }
    cleaned
}

/// The format name of an exported incident record (bump it when fields change).
pub const INCIDENT_RECORD_SCHEMA: &str = "bluelamp-incident-record/1";

/// A structured record of message `id` for the force's command-and-control system:
/// who sent what, where and when, and what triage made of it. The export is
/// recorded on the message (who, when); the record carries the message's address
/// so the other system can link back, and [`set_incident_reference`] links this way.
pub async fn incident_record(
    store: &Store,
    staff: &Staff,
    id: i64,
    base_url: &str,
) -> ServiceResult<Value> {
    let mut tx = store.write().await?;
    let m = own_message(&mut tx, staff, id).await?;
    let force = bluelamp_store::forces::get(&mut tx, m.force_id).await?;
    let exported_at = bluelamp_store::now_text();
    let incident = json!({
        "schema": INCIDENT_RECORD_SCHEMA,
        "force": {"code": force.code, "name": force.name},
        "source": {
            "system": "bluelamp",
            "message_id": m.id,
            "url": format!("{}/staff/inbox/{}", base_url.trim_end_matches('/'), m.id),
        },
        "received_at": m.received_at,
        "sent_at": m.sent_at,
        "channel": m.channel,
        "external_id": m.external_id,
        "author": {"handle": m.author_handle, "name": m.author_name, "url": m.author_url},
        "text": m.body,
        "media": m.media,
        "triage": {"labels": m.labels, "primary": m.primary, "urgent": m.urgent, "priority": m.priority},
        "exported_by": staff.audit_label(),
        "exported_at": exported_at,
    });
    record(
        &mut tx,
        staff,
        &m,
        "incident-record-exported",
        json!({"schema": INCIDENT_RECORD_SCHEMA, "at": exported_at}),
    )
    .await?;
    crate::webhooks::enqueue(&mut tx, m.force_id, "inbox.incident-record", &incident).await?;
    tx.commit().await?;
    Ok(incident)
}

/// Record the command-and-control system's own reference for the incident raised
/// from message `id` (the link back).
pub async fn set_incident_reference(
    store: &Store,
    staff: &Staff,
    id: i64,
    reference: &str,
) -> ServiceResult<()> {
    let reference = reference.trim();
    if reference.is_empty()
        || reference.chars().count() > 100
        || reference.chars().any(char::is_control)
    {
        return Err(invalid(
            "reference",
            "give the incident's reference, 1 to 100 characters",
        ));
    }
    let mut tx = store.write().await?;
    let m = own_message(&mut tx, staff, id).await?;
    record(
        &mut tx,
        staff,
        &m,
        "incident-reference",
        json!({"reference": reference}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Link message `id` to a case (blank unlinks): a reply to it is then checked in
/// the case's light (contempt while proceedings are active, the complainant's
/// anonymity, the names of its people), as a post linked to the case is.
pub async fn link_case(
    store: &Store,
    staff: &Staff,
    id: i64,
    reference: &str,
) -> ServiceResult<()> {
    staff.require_scope("write")?;
    staff.authorize(bluelamp_domain::Action::ManageCases)?;
    let reference = match reference.trim() {
        "" => None,
        given => Some(crate::cases::reference("case", given)?),
    };
    let mut tx = store.write().await?;
    let m = own_message(&mut tx, staff, id).await?;
    if let Some(case) = &reference {
        if crate::cases::check_context(&mut tx, m.force_id, case)
            .await?
            .is_none()
        {
            return Err(crate::ServiceError::NotFound("case"));
        }
    }
    bluelamp_store::inbox::set_case(&mut tx, id, reference.as_deref()).await?;
    record(
        &mut tx,
        staff,
        &m,
        "case-linked",
        json!({"case": reference}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
