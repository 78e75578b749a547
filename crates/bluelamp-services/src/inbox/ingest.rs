//! Ingestion: every channel's messages come in here.

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
    ingest(store, force, messages).await
}

/// The one path into the inbox, for every channel. Returns one outcome per message;
/// everything valid is committed before this returns.
pub async fn ingest(
    store: &Store,
    force: ForceId,
    messages: &[Inbound],
) -> ServiceResult<Vec<Outcome>> {
    let mut tx = store.write().await?;
    let mut outcomes = Vec::with_capacity(messages.len());
    for m in messages {
        outcomes.push(ingest_in(&mut tx, force, m).await?);
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
    let outcome = ingest_one(conn, force, channel, m, triager()?).await?;
    if outcome.urgent == Some(true) && outcome.status == "created" {
        notify::announce(conn, notify::INBOX_URGENT, &force.0.to_string()).await?;
    }
    Ok(outcome)
}

async fn ingest_one(
    conn: &mut AnyConnection,
    force: ForceId,
    channel: Channel,
    m: &Inbound,
    triager: &bluelamp_triage::Triager,
) -> ServiceResult<Outcome> {
    let account = match m.account_id {
        Some(id) => {
            // Only the force's own accounts; another force's id is as good as unknown.
            let found = bluelamp_store::accounts::get(conn, AccountId(id))
                .await
                .ok();
            found.filter(|a| a.force_id == force).map(|a| a.id)
        }
        None => None,
    };
    let t = triager.triage(&m.text, Some(channel));
    let labels: Vec<&str> = t.labels.iter().map(|c| c.as_str()).collect();
    let evidence = serde_json::to_value(&t.evidence).unwrap_or_default();
    let emergency = t.labels.contains(&Category::Emergency);
    let auto_reply = emergency.then_some(EMERGENCY_REPLY);
    // Abuse that leads the triage is hidden from public view on arrival and goes to
    // the review queue; nothing is deleted. Never an urgent message: a cry for help
    // that also swears must stay in plain sight.
    let hidden = (t.primary == Category::Abuse && !t.urgent).then_some("triage: abuse");
    let media = serde_json::to_value(&m.media).unwrap_or_default();
    let inserted = store::insert(
        conn,
        &NewMessage {
            force_id: force,
            account_id: account,
            channel: channel.as_str(),
            external_id: &m.external_id,
            author_handle: &m.author.handle,
            author_name: m.author.name.as_deref(),
            author_url: m.author.url.as_deref(),
            body: &m.text,
            media: &media,
            reply_to: m.reply_to.as_deref(),
            conversation: m.conversation.as_deref(),
            sent_at: m.sent_at.as_deref(),
            labels: &labels,
            primary: t.primary.as_str(),
            urgent: t.urgent,
            priority: t.priority.as_str(),
            evidence: &evidence,
            auto_reply,
            hidden_reason: hidden,
        },
    )
    .await?;
    if let Some(id) = inserted {
        if t.labels.contains(&Category::Rumour) {
            super::rumours::cluster(conn, force, id, &m.text).await?;
        }
    }
    Ok(match inserted {
        Some(id) => Outcome {
            status: "created",
            id: Some(id),
            primary: Some(t.primary.as_str().to_string()),
            urgent: Some(t.urgent),
            auto_reply: auto_reply.map(str::to_string),
            field: None,
            error: None,
        },
        None => Outcome {
            status: "duplicate",
            id: store::find_external(conn, force, channel.as_str(), &m.external_id).await?,
            primary: None,
            urgent: None,
            auto_reply: None,
            field: None,
            error: None,
        },
    })
}
