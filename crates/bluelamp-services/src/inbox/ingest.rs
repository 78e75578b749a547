//! Ingestion: every channel's messages come in here.

use std::collections::HashMap;

use bluelamp_domain::{AccountId, ForceId, Invalid, Role};
use bluelamp_store::inbox::{self as store, NewMessage};
use bluelamp_store::{notify, AnyConnection, Store};
use bluelamp_triage::{Category, Channel};
use serde::{Deserialize, Serialize};

use super::{triager, EMERGENCY_REPLY};
use crate::{ServiceError, ServiceResult, Staff};

/// The longest message kept whole (a long e-mail); longer is refused, not cut.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Attachments per message.
pub const MAX_MEDIA: usize = 20;
/// Messages per request.
pub const MAX_BATCH: usize = 1_000;

/// The author as the channel knows them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    pub handle: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// An attachment: where it is and what it shows.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    pub url: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub alt: Option<String>,
}

/// One message as a channel delivers it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Inbound {
    pub channel: String,
    pub external_id: String,
    pub author: Author,
    pub text: String,
    #[serde(default)]
    pub media: Vec<Media>,
    #[serde(default)]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub conversation: Option<String>,
    /// RFC 3339; when the sender sent it (default: now).
    #[serde(default)]
    pub sent_at: Option<String>,
    /// The force's account it was addressed to, when the channel says.
    #[serde(default)]
    pub account_id: Option<i64>,
}

/// What happened to one message of a batch.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outcome {
    /// `created`, `duplicate` or `invalid`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgent: Option<bool>,
    /// For an emergency: the reply the connector must send on the message's channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_reply: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    fn invalid(e: Invalid) -> Outcome {
        Outcome {
            status: "invalid",
            id: None,
            primary: None,
            urgent: None,
            auto_reply: None,
            field: Some(e.field.to_string()),
            error: Some(e.message),
        }
    }
}

fn bounded(field: &'static str, value: &str, max: usize, required: bool) -> Result<(), Invalid> {
    if required && value.trim().is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Invalid::new(
            field,
            format!("is {n} characters long; at most {max}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::new(field, "contains control characters"));
    }
    Ok(())
}

fn web_url(field: &'static str, url: &str) -> Result<(), Invalid> {
    bounded(field, url, 2_048, true)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Invalid::new(field, "must be an http(s) URL"));
    }
    Ok(())
}

/// Checks one message; the first problem, named by its field.
pub fn validate(m: &Inbound) -> Result<Channel, Invalid> {
    let channel = Channel::parse(&m.channel).ok_or_else(|| {
        Invalid::new(
            "channel",
            format!(
                "`{}` is not a channel; use one of: fediverse, bluesky, x, facebook, email, web",
                m.channel.chars().take(40).collect::<String>()
            ),
        )
    })?;
    bounded("external_id", &m.external_id, 512, true)?;
    bounded("author.handle", &m.author.handle, 256, true)?;
    if let Some(name) = &m.author.name {
        bounded("author.name", name, 256, false)?;
    }
    if let Some(url) = &m.author.url {
        web_url("author.url", url)?;
    }
    bounded("text", &m.text, MAX_TEXT_CHARS, false)?;
    if m.text.trim().is_empty() && m.media.is_empty() {
        return Err(Invalid::new(
            "text",
            "a message needs text or an attachment",
        ));
    }
    if m.media.len() > MAX_MEDIA {
        return Err(Invalid::new(
            "media",
            format!(
                "{} attachments; at most {MAX_MEDIA} per message",
                m.media.len()
            ),
        ));
    }
    for media in &m.media {
        web_url("media.url", &media.url)?;
        if let Some(alt) = &media.alt {
            bounded("media.alt", alt, 1_500, false)?;
        }
        if let Some(kind) = &media.kind {
            bounded("media.kind", kind, 64, false)?;
        }
    }
    for (field, v) in [("reply_to", &m.reply_to), ("conversation", &m.conversation)] {
        if let Some(v) = v {
            bounded(field, v, 512, false)?;
        }
    }
    if let Some(at) = &m.sent_at {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                Invalid::new(
                    "sent_at",
                    "must be an RFC 3339 time, e.g. 2026-11-30T18:00:00Z",
                )
            },
        )?;
    }
    Ok(channel)
}

/// Delivers a batch from a connector (a token with the `inbound` scope) or staff.
/// Every valid message is triaged and stored in one transaction; invalid ones are
/// reported by position and nothing valid is lost because of them.
pub async fn deliver(
    store: &Store,
    staff: &Staff,
    messages: &[Inbound],
) -> ServiceResult<Vec<Outcome>> {
    staff.require_scope("inbound")?;
    if staff.role == Role::Partner || staff.role == Role::Analyst {
        return Err(ServiceError::Forbidden(
            "Only the force's administrators and connectors deliver messages.".into(),
        ));
    }
    let force = staff
        .force_id
        .ok_or_else(|| ServiceError::Invalid(Invalid::new("force", "choose a force first")))?;
    if messages.len() > MAX_BATCH {
        return Err(ServiceError::Invalid(Invalid::new(
            "messages",
            format!(
                "{} messages; at most {MAX_BATCH} per request",
                messages.len()
            ),
        )));
    }
    let outcomes = ingest(store, force, messages).await?;
    // Nothing in the request could be taken: the request itself is refused, naming
    // the first message's problem (nothing was stored, so nothing is lost).
    if !outcomes.is_empty() && outcomes.iter().all(|o| o.status == "invalid") {
        let first = &outcomes[0];
        let field = first.field.clone().unwrap_or_default();
        return Err(ServiceError::Invalid(Invalid::new(
            "messages",
            format!(
                "no message could be accepted; the first: {field} {}",
                first.error.as_deref().unwrap_or("is invalid")
            ),
        )));
    }
    Ok(outcomes)
}

/// The one path into the inbox, for every channel. Returns one outcome per message;
/// everything valid is committed before this returns. A batch is triaged first, then
/// stored with multi-row inserts, then its rumours are clustered in arrival order.
pub async fn ingest(
    store: &Store,
    force: ForceId,
    messages: &[Inbound],
) -> ServiceResult<Vec<Outcome>> {
    let triager = triager()?;
    // Validation and triage need no database: they run before the write lock is
    // taken, spread over the machine's cores, so writers wait only for writing.
    let judged = judge_all(triager, messages);
    let mut tx = store.write().await?;
    // Muted senders, office hours and the batch's senders' recent counts are looked
    // up once per batch.
    let muted = store::muted_senders(&mut tx, force).await?;
    let after_hours = out_of_hours(&mut tx, force).await?;
    let handles: Vec<&str> = messages
        .iter()
        .zip(&judged)
        .filter(|(_, j)| j.is_ok())
        .map(|(m, _)| m.author.handle.as_str())
        .collect();
    // A sender is a handle: its messages on any channel count towards a flood.
    // A sender with k messages in this batch can only flood if they already have
    // more than FLOOD_LIMIT - k: only those counts are needed exactly.
    let mut in_batch: HashMap<&str, i64> = HashMap::new();
    for h in &handles {
        *in_batch.entry(h).or_insert(0) += 1;
    }
    let most = in_batch.values().copied().max().unwrap_or(0);
    let mut sent = store::sender_counts(
        &mut tx,
        force,
        &flood_window_start(),
        &handles,
        FLOOD_LIMIT + 1 - most,
    )
    .await?;
    let mut accounts = AccountCache::default();
    let mut prepared: Vec<Result<Prepared, Invalid>> = Vec::with_capacity(messages.len());
    for (m, judged) in messages.iter().zip(judged) {
        prepared.push(match judged {
            Err(e) => Err(e),
            Ok(judged) => {
                let sender = (judged.channel.as_str().to_string(), m.author.handle.clone());
                let is_muted = !muted.is_empty() && muted.contains(&sender);
                let count = sent.entry(sender.1).or_insert(0);
                *count += 1;
                let flooding = *count > FLOOD_LIMIT;
                Ok(prepare(
                    &mut tx,
                    &mut accounts,
                    force,
                    m,
                    judged,
                    is_muted || flooding,
                    after_hours,
                )
                .await?
                .flooding(flooding))
            }
        });
    }
    let valid: Vec<(&Inbound, &Prepared)> = messages
        .iter()
        .zip(&prepared)
        .filter_map(|(m, p)| p.as_ref().ok().map(|p| (m, p)))
        .collect();
    let rows: Vec<NewMessage<'_>> = valid.iter().map(|(m, p)| p.row(force, m)).collect();
    let ids = store::insert_many(&mut tx, &rows).await?;
    let mut ids = ids.into_iter();
    let mut outcomes = Vec::with_capacity(messages.len());
    let mut urgent = false;
    let mut memo = crate::staff_notifications::UrgentMemo::default();
    let mut rumours: Vec<(i64, &str)> = Vec::new();
    for (m, p) in messages.iter().zip(&prepared) {
        let outcome = match p {
            Err(e) => Outcome::invalid(e.clone()),
            Ok(p) => {
                let id = ids.next().flatten();
                if let Some(id) = id.filter(|_| p.triage.labels.contains(&Category::Rumour)) {
                    rumours.push((id, &m.text));
                }
                let o = finish(&mut tx, &mut memo, force, m, p, id).await?;
                urgent |= o.urgent == Some(true);
                o
            }
        };
        outcomes.push(outcome);
    }
    super::rumours::cluster(&mut tx, force, &rumours).await?;
    if urgent {
        notify::announce(&mut tx, notify::INBOX_URGENT, &force.0.to_string()).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// One message, on the caller's transaction (the fediverse inbox stores its copy of
/// a reply in the same transaction). An urgent new message is announced to every
/// server process's staff pages when the transaction commits.
pub async fn ingest_in(
    conn: &mut AnyConnection,
    force: ForceId,
    m: &Inbound,
) -> ServiceResult<Outcome> {
    let channel = match validate(m) {
        Err(e) => return Ok(Outcome::invalid(e)),
        Ok(channel) => channel,
    };
    let is_muted = store::is_muted(conn, force, channel.as_str(), &m.author.handle).await?;
    let after_hours = out_of_hours(conn, force).await?;
    let handle = m.author.handle.as_str();
    let recent = store::sender_counts(conn, force, &flood_window_start(), &[handle], FLOOD_LIMIT)
        .await?
        .get(handle)
        .copied()
        .unwrap_or(0);
    let flooding = recent + 1 > FLOOD_LIMIT;
    let judged = judge(triager()?, channel, m);
    let p = prepare(
        conn,
        &mut AccountCache::default(),
        force,
        m,
        judged,
        is_muted || flooding,
        after_hours,
    )
    .await?
    .flooding(flooding);
    let inserted = store::insert(conn, &p.row(force, m)).await?;
    let mut memo = crate::staff_notifications::UrgentMemo::default();
    let outcome = finish(conn, &mut memo, force, m, &p, inserted).await?;
    if let Some(id) = inserted.filter(|_| p.triage.labels.contains(&Category::Rumour)) {
        super::rumours::cluster(conn, force, &[(id, &m.text)]).await?;
    }
    if outcome.urgent == Some(true) && outcome.status == "created" {
        notify::announce(conn, notify::INBOX_URGENT, &force.0.to_string()).await?;
    }
    Ok(outcome)
}

/// The team a safeguarding message is routed to on arrival.
pub const SAFEGUARDING_TEAM: &str = "Safeguarding";

/// More than this many messages from one sender within [`FLOOD_MINUTES`] is a
/// flood: the rest are still stored and acknowledged (nothing is dropped), but
/// held back in the review queue, grouped under one reason, so one sender cannot
/// bury everyone else's messages. An urgent message is never held back.
pub const FLOOD_LIMIT: i64 = 20;
pub const FLOOD_MINUTES: i64 = 10;

fn flood_window_start() -> String {
    bluelamp_store::format_time(
        time::OffsetDateTime::now_utc() - time::Duration::minutes(FLOOD_MINUTES),
    )
}

/// What triage decided about a message, ready to store.
struct Prepared {
    channel: Channel,
    account: Option<AccountId>,
    triage: bluelamp_triage::Triage,
    /// The labels as a JSON array.
    labels: String,
    /// JSON text, serialised while judging (off the write lock).
    evidence: String,
    media: String,
    auto_reply: Option<String>,
    hidden: Option<&'static str>,
}

impl Prepared {
    /// A flood's message is held back under its own reason (unless urgent,
    /// which `prepare` never hides).
    fn flooding(mut self, flooding: bool) -> Prepared {
        if flooding && self.hidden.is_some() {
            self.hidden = Some("sender flood");
        }
        self
    }

    fn row<'a>(&'a self, force: ForceId, m: &'a Inbound) -> NewMessage<'a> {
        NewMessage {
            force_id: force,
            account_id: self.account,
            channel: self.channel.as_str(),
            external_id: &m.external_id,
            author_handle: &m.author.handle,
            author_name: m.author.name.as_deref(),
            author_url: m.author.url.as_deref(),
            body: &m.text,
            media: &self.media,
            reply_to: m.reply_to.as_deref(),
            conversation: m.conversation.as_deref(),
            sent_at: m.sent_at.as_deref(),
            labels: &self.labels,
            primary: self.triage.primary.as_str(),
            urgent: self.triage.urgent,
            priority: self.triage.priority.as_str(),
            evidence: &self.evidence,
            auto_reply: self.auto_reply.as_deref(),
            hidden_reason: self.hidden,
            // Routed on arrival: the message waits with the safeguarding team.
            team: self
                .triage
                .labels
                .contains(&Category::Safeguarding)
                .then_some(SAFEGUARDING_TEAM),
        }
    }
}

/// What triage alone decides about a valid message (no database needed).
struct Judged {
    channel: Channel,
    triage: bluelamp_triage::Triage,
    /// The labels as a JSON array.
    labels: String,
    /// JSON text, serialised while judging (off the write lock).
    evidence: String,
    media: String,
}

fn judge(triager: &bluelamp_triage::Triager, channel: Channel, m: &Inbound) -> Judged {
    let triage = triager.triage(&m.text, Some(channel));
    Judged {
        channel,
        labels: serde_json::to_string(
            &triage.labels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        )
        .unwrap_or_else(|_| "[]".into()),
        evidence: serde_json::to_string(&triage.evidence).unwrap_or_else(|_| "[]".into()),
        media: serde_json::to_string(&m.media).unwrap_or_else(|_| "[]".into()),
        triage,
    }
}

/// Below this many messages a batch is judged on the caller's thread.
const PARALLEL_FROM: usize = 64;

/// Validates and triages a batch, in input order, on every core for a big batch.
fn judge_all(
    triager: &bluelamp_triage::Triager,
    messages: &[Inbound],
) -> Vec<Result<Judged, Invalid>> {
    let one = |m: &Inbound| validate(m).map(|channel| judge(triager, channel, m));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 || messages.len() < PARALLEL_FROM {
        return messages.iter().map(one).collect();
    }
    let per_thread = messages.len().div_ceil(cores);
    std::thread::scope(|scope| {
        let workers: Vec<_> = messages
            .chunks(per_thread)
            .skip(1)
            .map(|chunk| scope.spawn(move || chunk.iter().map(one).collect::<Vec<_>>()))
            .collect();
        // This thread takes the first share itself.
        let mut out: Vec<Result<Judged, Invalid>> = messages[..per_thread.min(messages.len())]
            .iter()
            .map(one)
            .collect();
        for worker in workers {
            match worker.join() {
                Ok(part) => out.extend(part),
                // Triage does not panic on any text; if it ever did, the batch
                // fails as a whole (nothing committed), as it would on one thread.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// The force's accounts a batch addresses, looked up once each.
#[derive(Default)]
struct AccountCache {
    known: std::collections::HashMap<i64, (Option<AccountId>, Option<String>)>,
}

async fn prepare(
    conn: &mut AnyConnection,
    accounts: &mut AccountCache,
    force: ForceId,
    m: &Inbound,
    judged: Judged,
    muted: bool,
    after_hours: bool,
) -> ServiceResult<Prepared> {
    let (account, away) = match m.account_id {
        Some(id) => match accounts.known.get(&id) {
            Some(found) => found.clone(),
            None => {
                // Only the force's own accounts; another force's id is as good as unknown.
                let account = bluelamp_store::accounts::get(conn, AccountId(id))
                    .await
                    .ok()
                    .filter(|a| a.force_id == force)
                    .map(|a| a.id);
                // Outside office hours, the account's own auto-reply (if it has one).
                let away = match (after_hours, account) {
                    (true, Some(account)) => {
                        bluelamp_store::accounts::away_reply(conn, account).await?
                    }
                    _ => None,
                };
                accounts.known.insert(id, (account, away.clone()));
                (account, away)
            }
        },
        None => (None, None),
    };
    let Judged {
        channel,
        triage,
        labels,
        evidence,
        media,
    } = judged;
    let auto_reply = if triage.labels.contains(&Category::Emergency) {
        Some(EMERGENCY_REPLY.to_string())
    } else {
        away
    };
    // Abuse that leads the triage is hidden from public view on arrival and goes to
    // the review queue; nothing is deleted. Never an urgent message: a cry for help
    // that also swears must stay in plain sight.
    // A muted sender's messages are kept and hidden for review the same way;
    // an urgent one (a cry for help) never is.
    let hidden = if triage.urgent {
        None
    } else if muted {
        Some("sender muted")
    } else {
        (triage.primary == Category::Abuse).then_some("triage: abuse")
    };
    Ok(Prepared {
        channel,
        account,
        labels,
        evidence,
        media,
        auto_reply,
        hidden,
        triage,
    })
}

/// After the insert: alert and route a new urgent message, or find the stored id of a
/// duplicate. (Rumours are clustered for the whole batch afterwards.)
async fn finish(
    conn: &mut AnyConnection,
    memo: &mut crate::staff_notifications::UrgentMemo,
    force: ForceId,
    m: &Inbound,
    p: &Prepared,
    inserted: Option<i64>,
) -> ServiceResult<Outcome> {
    Ok(match inserted {
        Some(id) => {
            if p.triage.labels.contains(&Category::Emergency) {
                // Command and control hears of it when it is committed.
                let data = serde_json::json!({
                    "message_id": id,
                    "channel": p.channel.as_str(),
                    "external_id": m.external_id,
                    "author": {"handle": m.author.handle, "name": m.author.name, "url": m.author.url},
                    "text": m.text,
                    "auto_reply": p.auto_reply,
                });
                if memo.webhook_configured(conn, force).await? {
                    crate::webhooks::enqueue(conn, force, "inbox.emergency", &data).await?;
                }
                crate::staff_notifications::on_urgent_message(
                    conn,
                    memo,
                    force,
                    id,
                    crate::staff_notifications::Urgent::Emergency,
                    p.channel.as_str(),
                )
                .await?;
            }
            if p.triage.labels.contains(&Category::Safeguarding) {
                // Routed (stored with the safeguarding team): the people trained
                // for it are told.
                crate::staff_notifications::on_urgent_message(
                    conn,
                    memo,
                    force,
                    id,
                    crate::staff_notifications::Urgent::Safeguarding,
                    p.channel.as_str(),
                )
                .await?;
            }
            Outcome {
                status: "created",
                id: Some(id),
                primary: Some(p.triage.primary.as_str().to_string()),
                urgent: Some(p.triage.urgent),
                auto_reply: p.auto_reply.clone(),
                field: None,
                error: None,
            }
        }
        None => Outcome {
            status: "duplicate",
            id: store::find_external(conn, force, p.channel.as_str(), &m.external_id).await?,
            primary: None,
            urgent: None,
            auto_reply: None,
            field: None,
            error: None,
        },
    })
}

/// Whether it is now outside the force's office hours (never, when it has none).
async fn out_of_hours(conn: &mut AnyConnection, force: ForceId) -> ServiceResult<bool> {
    let force = bluelamp_store::forces::get(conn, force).await?;
    let Some(hours) = force.settings.office_hours.as_deref() else {
        return Ok(false);
    };
    let clock = super::sla::LocalClock::new(&force.time_zone, Some(hours));
    Ok(!clock.is_open(jiff::Timestamp::now()))
}
