//! E-mail subscriptions: double opt-in, digests, one-click unsubscribe, export and erasure.
//!
//! The public subscribe without an account, so nothing here ever tells a caller
//! whether an address is already subscribed: every subscribe request answers the
//! same way and anything worth saying goes to the mailbox itself.
//!
//! Messages are rendered when they are queued, with links written relative to
//! [`BASE_URL`]; the sender replaces that marker with the configured public base
//! URL, so neither the services nor the publishing code need to know it.
//!
//! Unsubscribe links carry `{subscriber id}.{HMAC-SHA256(server key, id)}`: every
//! message to a subscriber can carry a working link without the database storing
//! an unsubscribe secret per row, and the link still answers sensibly after the
//! row was erased.

use std::collections::hash_map::Entry;

use bluelamp_domain::{AccountId, AuditDraft, ForceId, Invalid, Role};
use bluelamp_store::subscriptions::{self as subs, OutboxMessage, Subscriber};
use bluelamp_store::{accounts, audit, forces, format_time, now_text, AnyConnection, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::auth::{entry, random_token, sha256_hex};
use crate::{ServiceError, ServiceResult, Staff};

/// Replaced by the public base URL (e.g. `https://police.example.org`) when a
/// message is sent.
pub const BASE_URL: &str = "{{bluelamp:base-url}}";
/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;
/// Permanent rejections in a row after which a subscriber gets no more mail.
pub const MAX_BOUNCES: i64 = 3;
/// Confirmation (or "already subscribed") mails one subscription may cause per day.
pub const CONFIRM_SENDS_PER_DAY: i64 = 5;
/// Attempts before a message that keeps failing transiently is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// How far behind the clock a digest's window ends (see [`queue_digests`]).
pub const DIGEST_SETTLE_SECONDS: i64 = 60;

const KEY_NAME: &str = "unsubscribe";

/// Immediate mail per post, or one digest a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Immediate,
    Digest,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Mode, Invalid> {
        match text.trim() {
            "immediate" | "" => Ok(Mode::Immediate),
            "digest" | "daily" => Ok(Mode::Digest),
            other => Err(Invalid::new(
                "mode",
                format!("choose 'immediate' or 'digest', not '{other}'"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Immediate => "immediate",
            Mode::Digest => "digest",
        }
    }
}

/// Check an e-mail address and return it in the one form we store (lower case).
///
/// Deliberately stricter than RFC 5322 (no quoted local parts, comments or IP
/// literals): what passes is an ordinary mailbox that every SMTP server takes,
/// and nothing that could break out of a mail header.
pub fn normalize_email(input: &str) -> Result<String, Invalid> {
    let bad = |why: &str| Invalid::new("email", why.to_string());
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(bad("enter your e-mail address"));
    }
    if email.len() > 254 {
        return Err(bad("that e-mail address is too long"));
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(bad("an e-mail address looks like name@example.org"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(bad("the part before the @ must be 1 to 64 characters"));
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return Err(bad(
            "the part before the @ may use letters, digits and . _ + - (no spaces)",
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(bad(
            "the part after the @ must be a domain such as example.org",
        ));
    }
    for label in &labels {
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !label_ok {
            return Err(bad("the part after the @ is not a valid domain name"));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    if !(tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--")) {
        return Err(bad("the part after the @ is not a valid domain name"));
    }
    Ok(email)
}

/// `j•••@example.org`: enough for a person to recognise their address on a page
/// reached through a link that may have been forwarded.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // RFC 2104 over SHA-256 (64-byte blocks); sha2 is already a dependency and
    // this is all of HMAC we need.
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn unsubscribe_mac(key: &str, id: i64) -> String {
    hex::encode(hmac_sha256(
        key.as_bytes(),
        format!("bluelamp unsubscribe {id}").as_bytes(),
    ))
}

/// The unsubscribe token of a subscriber.
pub fn unsubscribe_token(key: &str, id: i64) -> String {
    format!("{id}.{}", unsubscribe_mac(key, id))
}

/// The subscriber id a genuine unsubscribe token names; `None` for anything forged.
fn verify_unsubscribe(key: &str, token: &str) -> Option<i64> {
    let (id, mac) = token.split_once('.')?;
    let id: i64 = id.parse().ok()?;
    let expected = unsubscribe_mac(key, id);
    let same = expected.len() == mac.len()
        && expected
            .bytes()
            .zip(mac.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    same.then_some(id)
}

async fn write_key(conn: &mut AnyConnection) -> ServiceResult<String> {
    Ok(subs::mail_key(conn, KEY_NAME, &random_token(32)).await?)
}

fn public_entry(
    force: ForceId,
    action: &str,
    subscriber: i64,
    after: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        force_id: Some(force),
        actor_label: "public".into(),
        action: action.into(),
        target_type: "subscriber".into(),
        target_id: subscriber.to_string(),
        after: Some(after.to_string()),
        ..Default::default()
    }
}

fn system_entry(
    force: ForceId,
    action: &str,
    subscriber: i64,
    after: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        actor_label: "system".into(),
        ..public_entry(force, action, subscriber, after)
    }
}

/// What a subscription follows, in words: "Demo Constabulary (all accounts)" or
/// "Neighbourhood Team (@pcmorgan)".
async fn scope_label(conn: &mut AnyConnection, subscriber: &Subscriber) -> ServiceResult<String> {
    let force = forces::get(conn, subscriber.force_id).await?;
    Ok(match subscriber.account_id {
        Some(account) => {
            let account = accounts::get(conn, account).await?;
            format!(
                "{} (@{}) at {}",
                account.display_name, account.handle, force.name
            )
        }
        None => format!("all accounts of {}", force.name),
    })
}

// ----- messages -----

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect()
}

fn html_document(title: &str, inner: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:auto;color:#111\">{inner}\
         <p style=\"color:#555;font-size:90%\">In an emergency always call 999. Replies to this message are not read.</p>\
         </body></html>",
        escape_html(title)
    )
}

/// A rendered message: subject, plain text and HTML.
struct Rendered {
    subject: String,
    text: String,
    html: String,
}

fn unsubscribe_path(token: &str) -> String {
    format!("{BASE_URL}/subscriptions/unsubscribe/{token}")
}

fn footer_text(scope: &str, unsubscribe: &str) -> String {
    format!(
        "\n\n--\nYou get this because you subscribed to {scope}.\n\
         Unsubscribe with one click: {unsubscribe}\n\
         In an emergency always call 999. Replies to this message are not read.\n"
    )
}

fn footer_html(scope: &str, unsubscribe: &str) -> String {
    format!(
        "<hr><p style=\"color:#555;font-size:90%\">You get this because you subscribed to {}. \
         <a href=\"{}\">Unsubscribe</a> with one click.</p>",
        escape_html(scope),
        escape_html(unsubscribe)
    )
}

fn render_confirmation(scope: &str, token: &str) -> Rendered {
    let link = format!("{BASE_URL}/subscriptions/confirm/{token}");
    let subject = format!("Confirm your subscription to {scope}");
    let text = format!(
        "Someone, probably you, asked to receive posts from {scope} by e-mail.\n\n\
         To confirm, open this link within {CONFIRM_HOURS} hours:\n{link}\n\n\
         If you did not ask for this, ignore this message: nothing more will be sent \
         and your address will not be used.\n\n\
         In an emergency always call 999. Replies to this message are not read.\n"
    );
    let html = html_document(
        &subject,
        &format!(
            "<h1>Confirm your subscription</h1><p>Someone, probably you, asked to receive posts from {} by e-mail.</p>\
             <p><a href=\"{}\">Confirm my subscription</a> (the link works for {CONFIRM_HOURS} hours).</p>\
             <p>If you did not ask for this, ignore this message: nothing more will be sent and your address will not be used.</p>",
            escape_html(scope),
            escape_html(&link)
        ),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

fn render_already_subscribed(scope: &str, unsubscribe: &str) -> Rendered {
    let subject = format!("You are already subscribed to {scope}");
    let text = format!(
        "Someone, probably you, asked again to receive posts from {scope} by e-mail. \
         This address is already subscribed, so nothing has changed.\n\n\
         To change how often you hear from us, unsubscribe and subscribe again.{}",
        footer_text(scope, unsubscribe)
    );
    let html = html_document(
        &subject,
        &format!(
            "<h1>Already subscribed</h1><p>Someone, probably you, asked again to receive posts from {} by e-mail. \
             This address is already subscribed, so nothing has changed.</p>{}",
            escape_html(scope),
            footer_html(scope, unsubscribe)
        ),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

// ----- subscribing -----

/// What the public subscribe form sends.
#[derive(Debug, Clone)]
pub struct SubscribeRequest {
    pub force_code: String,
    /// `None`: every account of the force.
    pub account_handle: Option<String>,
    pub email: String,
    pub mode: String,
}

/// Subscribe an address (double opt-in). Answers `Ok(())` whether the address
/// was new, pending, already subscribed or throttled, so the answer reveals
/// nothing; only bad input (a malformed address, an unknown force or account)
/// is an error.
pub async fn subscribe(store: &Store, request: &SubscribeRequest) -> ServiceResult<()> {
    let email = normalize_email(&request.email)?;
    let mode = Mode::parse(&request.mode)?;
    let mut tx = store.write().await?;
    let force = forces::by_code(&mut tx, &request.force_code).await?;
    let account = match request.account_handle.as_deref().map(str::trim) {
        Some(handle) if !handle.is_empty() => {
            Some(accounts::by_handle(&mut tx, force.id, handle).await?.id)
        }
        _ => None,
    };
    let token = random_token(32);
    let token_hash = sha256_hex(&token);
    let now = OffsetDateTime::now_utc();
    let expires = format_time(now + time::Duration::hours(CONFIRM_HOURS));
    let existing = subs::find(&mut tx, force.id, account, &email).await?;
    let subscriber = match existing {
        None => {
            match subs::insert_pending(
                &mut tx,
                &subs::NewSubscriber {
                    force_id: force.id,
                    account_id: account,
                    email: &email,
                    mode: mode.as_str(),
                    confirm_token_hash: &token_hash,
                    confirm_expires_at: &expires,
                },
            )
            .await
            {
                Ok(subscriber) => subscriber,
                // A concurrent request for the same address won the race; it
                // sends the confirmation.
                Err(bluelamp_store::StoreError::Conflict(_)) => return Ok(()),
                Err(other) => return Err(other.into()),
            }
        }
        Some(existing) => {
            let Some((sends, window)) = throttle(&existing, now) else {
                tracing::info!(
                    subscriber = existing.id,
                    "subscribe: confirmation mail throttled"
                );
                return Ok(());
            };
            if existing.status == subs::CONFIRMED {
                // Tell the mailbox, not the web page.
                let key = write_key(&mut tx).await?;
                let scope = scope_label(&mut tx, &existing).await?;
                let unsubscribe = unsubscribe_path(&unsubscribe_token(&key, existing.id));
                let rendered = render_already_subscribed(&scope, &unsubscribe);
                queue(
                    &mut tx,
                    &existing,
                    "notice",
                    &rendered,
                    Some(&unsubscribe),
                    None,
                )
                .await?;
                subs::count_confirm_send(&mut tx, existing.id, sends, &window).await?;
                audit::append(
                    &mut tx,
                    public_entry(
                        force.id,
                        "subscription.repeat",
                        existing.id,
                        serde_json::json!({}),
                    ),
                )
                .await?;
                tx.commit().await?;
                return Ok(());
            }
            subs::renew_confirmation(
                &mut tx,
                existing.id,
                mode.as_str(),
                &token_hash,
                &expires,
                sends,
                &window,
            )
            .await?;
            Subscriber {
                status: subs::PENDING.into(),
                ..existing
            }
        }
    };
    let scope = scope_label(&mut tx, &subscriber).await?;
    let rendered = render_confirmation(&scope, &token);
    queue(&mut tx, &subscriber, "confirm", &rendered, None, None).await?;
    audit::append(
        &mut tx,
        public_entry(
            force.id,
            "subscription.request",
            subscriber.id,
            serde_json::json!({"mode": mode.as_str(), "account_id": account.map(|a| a.0)}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The throttle for mails a subscribe request causes: `None` when this row has
/// used its allowance, else the counters to store.
fn throttle(subscriber: &Subscriber, now: OffsetDateTime) -> Option<(i64, String)> {
    let day_ago = format_time(now - time::Duration::hours(24));
    match subscriber.confirm_window_start.as_deref() {
        Some(start) if start > day_ago.as_str() => (subscriber.confirm_sends
            < CONFIRM_SENDS_PER_DAY)
            .then(|| (subscriber.confirm_sends + 1, start.to_string())),
        _ => Some((1, format_time(now))),
    }
}

async fn queue(
    conn: &mut AnyConnection,
    subscriber: &Subscriber,
    kind: &str,
    rendered: &Rendered,
    list_unsubscribe: Option<&str>,
    dedupe_key: Option<&str>,
) -> ServiceResult<Option<i64>> {
    Ok(subs::enqueue(
        conn,
        &subs::NewMessage {
            subscriber_id: Some(subscriber.id),
            kind,
            to_address: &subscriber.email,
            subject: &rendered.subject,
            text_body: &rendered.text,
            html_body: &rendered.html,
            list_unsubscribe,
            run_at: &now_text(),
            max_attempts: MAX_ATTEMPTS,
            dedupe_key,
        },
    )
    .await?)
}

// ----- confirming -----

/// What following a confirmation link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Confirmed now; the text says what to.
    Confirmed {
        scope: String,
        unsubscribe_token: String,
    },
    /// The link was used before: nothing to do (the page offers a way to leave).
    AlreadyConfirmed {
        scope: String,
        unsubscribe_token: String,
    },
    /// Older than [`CONFIRM_HOURS`]: ask for a new link.
    Expired,
    /// The subscription was ended (unsubscribed or suspended) since.
    Ended,
    /// No such link (mistyped, replaced by a newer one, or the address was erased).
    Unknown,
}

fn looks_like_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn confirm(store: &Store, token: &str) -> ServiceResult<ConfirmOutcome> {
    if !looks_like_token(token) {
        return Ok(ConfirmOutcome::Unknown);
    }
    let mut tx = store.write().await?;
    let Some(subscriber) = subs::by_confirm_hash(&mut tx, &sha256_hex(token)).await? else {
        return Ok(ConfirmOutcome::Unknown);
    };
    match subscriber.status.as_str() {
        subs::CONFIRMED => {
            let scope = scope_label(&mut tx, &subscriber).await?;
            let key = write_key(&mut tx).await?;
            tx.commit().await?;
            return Ok(ConfirmOutcome::AlreadyConfirmed {
                scope,
                unsubscribe_token: unsubscribe_token(&key, subscriber.id),
            });
        }
        subs::PENDING => {}
        _ => return Ok(ConfirmOutcome::Ended),
    }
    let expired = subscriber
        .confirm_expires_at
        .as_deref()
        .is_none_or(|at| at <= now_text().as_str());
    if expired {
        return Ok(ConfirmOutcome::Expired);
    }
    subs::confirm(&mut tx, subscriber.id).await?;
    let key = write_key(&mut tx).await?;
    let scope = scope_label(&mut tx, &subscriber).await?;
    audit::append(
        &mut tx,
        public_entry(
            subscriber.force_id,
            "subscription.confirm",
            subscriber.id,
            serde_json::json!({"mode": subscriber.mode}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(ConfirmOutcome::Confirmed {
        scope,
        unsubscribe_token: unsubscribe_token(&key, subscriber.id),
    })
}

/// Send a fresh confirmation link for a pending subscription whose link
/// expired. Answers `Ok` for any link, so it cannot be used to probe.
pub async fn resend_confirmation(store: &Store, token: &str) -> ServiceResult<()> {
    if !looks_like_token(token) {
        return Ok(());
    }
    let mut tx = store.write().await?;
    let Some(subscriber) = subs::by_confirm_hash(&mut tx, &sha256_hex(token)).await? else {
        return Ok(());
    };
    if subscriber.status != subs::PENDING {
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    let Some((sends, window)) = throttle(&subscriber, now) else {
        return Ok(());
    };
    let fresh = random_token(32);
    subs::renew_confirmation(
        &mut tx,
        subscriber.id,
        &subscriber.mode,
        &sha256_hex(&fresh),
        &format_time(now + time::Duration::hours(CONFIRM_HOURS)),
        sends,
        &window,
    )
    .await?;
    let scope = scope_label(&mut tx, &subscriber).await?;
    queue(
        &mut tx,
        &subscriber,
        "confirm",
        &render_confirmation(&scope, &fresh),
        None,
        None,
    )
    .await?;
    audit::append(
        &mut tx,
        public_entry(
            subscriber.force_id,
            "subscription.resend",
            subscriber.id,
            serde_json::json!({}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ----- leaving -----

/// What an unsubscribe link points at, for its page.
#[derive(Debug, Clone)]
pub enum LinkTarget {
    /// A live or ended subscription.
    Subscription {
        masked_email: String,
        scope: String,
        status: String,
    },
    /// A genuine link whose subscription has been erased.
    Erased,
    /// Not a link we made.
    Unknown,
}

async fn resolve(
    conn: &mut AnyConnection,
    key: Option<&str>,
    token: &str,
) -> ServiceResult<Option<Option<Subscriber>>> {
    let Some(key) = key else {
        return Ok(None);
    };
    let Some(id) = verify_unsubscribe(key, token) else {
        return Ok(None);
    };
    Ok(Some(subs::get(conn, id).await?))
}

pub async fn unsubscribe_target(store: &Store, token: &str) -> ServiceResult<LinkTarget> {
    let mut conn = store.read().await?;
    let key = subs::existing_mail_key(&mut conn, KEY_NAME).await?;
    Ok(match resolve(&mut conn, key.as_deref(), token).await? {
        None => LinkTarget::Unknown,
        Some(None) => LinkTarget::Erased,
        Some(Some(subscriber)) => LinkTarget::Subscription {
            masked_email: mask_email(&subscriber.email),
            scope: scope_label(&mut conn, &subscriber).await?,
            status: subscriber.status,
        },
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsubscribeOutcome {
    Unsubscribed,
    /// Already unsubscribed, suspended or erased: nothing more will be sent.
    AlreadyGone,
    Unknown,
}

/// One-click unsubscribe (RFC 8058). Idempotent.
pub async fn unsubscribe(store: &Store, token: &str) -> ServiceResult<UnsubscribeOutcome> {
    let mut tx = store.write().await?;
    let key = subs::existing_mail_key(&mut tx, KEY_NAME).await?;
    let subscriber = match resolve(&mut tx, key.as_deref(), token).await? {
        None => return Ok(UnsubscribeOutcome::Unknown),
        Some(None) => return Ok(UnsubscribeOutcome::AlreadyGone),
        Some(Some(subscriber)) => subscriber,
    };
    if subscriber.status == subs::UNSUBSCRIBED {
        return Ok(UnsubscribeOutcome::AlreadyGone);
    }
    subs::set_status(&mut tx, subscriber.id, subs::UNSUBSCRIBED).await?;
    subs::cancel_queued_for(&mut tx, subscriber.id, "unsubscribed").await?;
    audit::append(
        &mut tx,
        public_entry(
            subscriber.force_id,
            "subscription.unsubscribe",
            subscriber.id,
            serde_json::json!({"was": subscriber.status}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(UnsubscribeOutcome::Unsubscribed)
}

/// "Delete my address", from the unsubscribe page: every subscription of that
/// address in that force goes, with its queued mail. Returns how many.
pub async fn erase_by_token(store: &Store, token: &str) -> ServiceResult<Option<usize>> {
    let mut tx = store.write().await?;
    let key = subs::existing_mail_key(&mut tx, KEY_NAME).await?;
    let subscriber = match resolve(&mut tx, key.as_deref(), token).await? {
        None => return Ok(None),
        Some(None) => return Ok(Some(0)),
        Some(Some(subscriber)) => subscriber,
    };
    let removed = erase_address(&mut tx, subscriber.force_id, &subscriber.email).await?;
    let mut draft = public_entry(
        subscriber.force_id,
        "subscription.erase",
        subscriber.id,
        serde_json::json!({"subscriptions_removed": removed.len(), "requested_by": "subscriber"}),
    );
    draft.target_id = join_ids(&removed);
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(Some(removed.len()))
}

async fn erase_address(
    conn: &mut AnyConnection,
    force: ForceId,
    email: &str,
) -> ServiceResult<Vec<i64>> {
    let ids: Vec<i64> = subs::by_email(conn, force, email)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    subs::erase(conn, &ids).await?;
    subs::scrub_outbox_address(conn, email).await?;
    Ok(ids)
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

// ----- staff: export and erasure -----

fn require_force_admin(staff: &Staff) -> ServiceResult<ForceId> {
    if !matches!(staff.role, Role::ForceAdmin | Role::ServerAdmin) {
        return Err(ServiceError::Forbidden(
            "Only a force administrator can export or erase e-mail subscribers: the list is personal data.".into(),
        ));
    }
    staff.require_scope("admin")?;
    staff.current_force()
}

/// One subscription as exported.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedSubscriber {
    pub id: i64,
    pub email: String,
    /// `null` for the whole force.
    pub account: Option<String>,
    pub mode: String,
    pub status: String,
    pub created_at: String,
    pub confirmed_at: Option<String>,
    pub last_digest_at: Option<String>,
    pub bounce_count: i64,
}

/// Every subscriber of the staff member's force (a subject access request or a
/// migration). Audited with the count only: the audit trail cannot be erased,
/// so it never holds an address.
pub async fn export(store: &Store, staff: &Staff) -> ServiceResult<Vec<ExportedSubscriber>> {
    let force = require_force_admin(staff)?;
    let mut tx = store.write().await?;
    let rows = subs::list_for_force(&mut tx, force).await?;
    let mut handles = std::collections::HashMap::<AccountId, String>::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let account = match row.account_id {
            Some(id) => {
                if let Entry::Vacant(slot) = handles.entry(id) {
                    slot.insert(accounts::get(&mut tx, id).await?.handle);
                }
                handles.get(&id).cloned()
            }
            None => None,
        };
        out.push(ExportedSubscriber {
            id: row.id,
            email: row.email,
            account,
            mode: row.mode,
            status: row.status,
            created_at: row.created_at,
            confirmed_at: row.confirmed_at,
            last_digest_at: row.last_digest_at,
            bounce_count: row.bounce_count,
        });
    }
    let mut draft = entry(staff, "subscribers.export", "force", force.0);
    draft.force_id = Some(force);
    draft.after = Some(serde_json::json!({"count": out.len()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(out)
}

/// Erase an address from the force's subscriber list on request. Returns how
/// many subscriptions were removed (0 is not an error: nothing is held).
pub async fn erase(store: &Store, staff: &Staff, email: &str) -> ServiceResult<usize> {
    let force = require_force_admin(staff)?;
    let email = email.trim().to_lowercase();
    if email.is_empty() || email.len() > 254 {
        return Err(Invalid::new("email", "give the e-mail address to erase").into());
    }
    let mut tx = store.write().await?;
    let removed = erase_address(&mut tx, force, &email).await?;
    let mut draft = entry(staff, "subscribers.erase", "subscriber", 0);
    draft.force_id = Some(force);
    draft.target_id = join_ids(&removed);
    draft.after = Some(serde_json::json!({"subscriptions_removed": removed.len()}).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    Ok(removed.len())
}

// ----- queueing on publish and digests -----

/// Queue one message per confirmed immediate subscriber of the post's account or
/// force, in the caller's transaction. The dedupe key (subscriber and post)
/// means a retried publish never mails anyone twice.
pub async fn queue_post_notifications(
    conn: &mut AnyConnection,
    post: &bluelamp_store::posts::Post,
) -> ServiceResult<usize> {
    let recipients = subs::immediate_recipients(conn, post.force_id, post.account_id).await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let force = forces::get(conn, post.force_id).await?;
    let account = accounts::get(conn, post.account_id).await?;
    let key = write_key(conn).await?;
    let profile = format!("{BASE_URL}/forces/{}/posts/{}", force.code, post.id);
    let subject = format!("{} (@{}): new post", account.display_name, account.handle);
    let mut queued = 0;
    for subscriber in &recipients {
        let scope = match subscriber.account_id {
            Some(_) => format!(
                "{} (@{}) at {}",
                account.display_name, account.handle, force.name
            ),
            None => format!("all accounts of {}", force.name),
        };
        let unsubscribe = unsubscribe_path(&unsubscribe_token(&key, subscriber.id));
        let text = format!(
            "{} (@{}) posted:\n\n{}\n\nSee it online: {profile}{}",
            account.display_name,
            account.handle,
            post.body,
            footer_text(&scope, &unsubscribe)
        );
        let html = html_document(
            &subject,
            &format!(
                "<h1>{} <small>@{}</small></h1>{}<p><a href=\"{}\">See it online</a></p>{}",
                escape_html(&account.display_name),
                escape_html(&account.handle),
                html_paragraphs(&post.body),
                escape_html(&profile),
                footer_html(&scope, &unsubscribe)
            ),
        );
        let rendered = Rendered {
            subject: subject.clone(),
            text,
            html,
        };
        let dedupe = format!("post:{}:subscriber:{}", post.id, subscriber.id);
        if queue(
            conn,
            subscriber,
            "post",
            &rendered,
            Some(&unsubscribe),
            Some(&dedupe),
        )
        .await?
        .is_some()
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Queue each due digest subscriber's posts since their last digest as one
/// message. A subscriber is due once a day (20 hours after their last digest,
/// so a late run one day does not skip the next). Returns how many were queued.
pub async fn queue_digests(store: &Store, now: OffsetDateTime) -> ServiceResult<usize> {
    // A digest covers posts up to a minute ago: a post whose publishing
    // transaction is still committing (stamped a moment before it becomes
    // visible) then falls in the next digest instead of between two.
    let until = format_time(now - time::Duration::seconds(DIGEST_SETTLE_SECONDS));
    let due = {
        let mut conn = store.read().await?;
        subs::digest_due(&mut conn, &format_time(now - time::Duration::hours(20))).await?
    };
    let mut queued = 0;
    for subscriber in due {
        let mut tx = store.write().await?;
        // Re-read inside the transaction: it may have changed since the list.
        let Some(subscriber) = subs::get(&mut tx, subscriber.id).await? else {
            continue;
        };
        if subscriber.status != subs::CONFIRMED || subscriber.mode != Mode::Digest.as_str() {
            continue;
        }
        let since = subscriber
            .last_digest_at
            .clone()
            .or_else(|| subscriber.confirmed_at.clone())
            .unwrap_or_else(|| subscriber.created_at.clone());
        let posts = subs::published_between(
            &mut tx,
            subscriber.force_id,
            subscriber.account_id,
            &since,
            &until,
            200,
        )
        .await?;
        subs::set_last_digest(&mut tx, subscriber.id, &until).await?;
        if posts.is_empty() {
            tx.commit().await?;
            continue;
        }
        let force = forces::get(&mut tx, subscriber.force_id).await?;
        let key = write_key(&mut tx).await?;
        let scope = scope_label(&mut tx, &subscriber).await?;
        let unsubscribe = unsubscribe_path(&unsubscribe_token(&key, subscriber.id));
        let mut names = std::collections::HashMap::<AccountId, (String, String)>::new();
        let mut text = format!(
            "Posts from {scope} since your last digest ({}):\n",
            posts.len()
        );
        let mut html = format!(
            "<h1>Your daily digest</h1><p>Posts from {} since your last digest ({}):</p>",
            escape_html(&scope),
            posts.len()
        );
        for post in &posts {
            if let Entry::Vacant(slot) = names.entry(post.account_id) {
                let account = accounts::get(&mut tx, post.account_id).await?;
                slot.insert((account.display_name, account.handle));
            }
            let (name, handle) = names.get(&post.account_id).cloned().unwrap_or_default();
            let link = format!("{BASE_URL}/forces/{}/posts/{}", force.code, post.id);
            text.push_str(&format!(
                "\n{name} (@{handle}), {}:\n{}\n{link}\n",
                post.published_at, post.body
            ));
            html.push_str(&format!(
                "<h2>{} <small>@{}</small></h2><p><small>{}</small></p>{}<p><a href=\"{}\">See it online</a></p>",
                escape_html(&name),
                escape_html(&handle),
                escape_html(&post.published_at),
                html_paragraphs(&post.body),
                escape_html(&link)
            ));
        }
        text.push_str(&footer_text(&scope, &unsubscribe));
        html.push_str(&footer_html(&scope, &unsubscribe));
        let subject = format!("{}: your daily digest ({} new)", force.name, posts.len());
        let rendered = Rendered {
            html: html_document(&subject, &html),
            subject,
            text,
        };
        let dedupe = format!("digest:{}:{}", subscriber.id, until);
        queue(
            &mut tx,
            &subscriber,
            "digest",
            &rendered,
            Some(&unsubscribe),
            Some(&dedupe),
        )
        .await?;
        tx.commit().await?;
        queued += 1;
    }
    Ok(queued)
}

// ----- delivery bookkeeping (called by the sender) -----

/// Claim due messages for sending. Messages whose subscriber may no longer
/// receive them (unsubscribed, suspended, erased) are cancelled here instead.
pub async fn claim_mail(
    store: &Store,
    limit: i64,
    lease_seconds: i64,
) -> ServiceResult<Vec<OutboxMessage>> {
    let mut tx = store.write().await?;
    let claimed = subs::claim_due(&mut tx, store.backend(), limit, lease_seconds).await?;
    let mut ready = Vec::with_capacity(claimed.len());
    for message in claimed {
        let allowed = match message.subscriber_id {
            None => true,
            Some(id) => match subs::get(&mut tx, id).await? {
                None => false,
                Some(subscriber) => match message.kind.as_str() {
                    "confirm" => subscriber.status == subs::PENDING,
                    _ => subscriber.status == subs::CONFIRMED,
                },
            },
        };
        if allowed {
            ready.push(message);
        } else {
            subs::finish_undelivered(
                &mut tx,
                message.id,
                subs::CANCELLED,
                "the subscription ended before this message was sent",
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(ready)
}

/// How an attempt to send one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Try again later: a 4xx answer, a refused or broken connection.
    Transient(String),
    /// The server refused the recipient for good (5xx): a bounce.
    Permanent(String),
    /// The message could not even be built (our data, not the address): give up
    /// without counting a bounce.
    Unsendable(String),
}

/// What became of a message after [`record_delivery`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryRecord {
    Sent,
    RetryAt(String),
    GaveUp,
    Bounced { bounces: i64, suspended: bool },
}

/// Record the outcome of sending `message` (attempt number `message.attempts`);
/// `backoff_seconds` is the wait before the next attempt.
pub async fn record_delivery(
    store: &Store,
    message: &OutboxMessage,
    outcome: &Delivery,
    backoff_seconds: i64,
) -> ServiceResult<DeliveryRecord> {
    let mut tx = store.write().await?;
    let record = match outcome {
        Delivery::Sent => {
            subs::mark_sent(&mut tx, message.id).await?;
            if let Some(id) = message.subscriber_id {
                subs::clear_bounces(&mut tx, id).await?;
            }
            DeliveryRecord::Sent
        }
        Delivery::Transient(error) if message.attempts < message.max_attempts => {
            let at =
                format_time(OffsetDateTime::now_utc() + time::Duration::seconds(backoff_seconds));
            subs::retry_at(&mut tx, message.id, &truncate(error), &at).await?;
            DeliveryRecord::RetryAt(at)
        }
        Delivery::Unsendable(error) => {
            subs::finish_undelivered(&mut tx, message.id, subs::FAILED, &truncate(error)).await?;
            tracing::error!(outbox.id = message.id, "mail could not be built: {error}");
            DeliveryRecord::GaveUp
        }
        Delivery::Transient(error) => {
            subs::finish_undelivered(&mut tx, message.id, subs::FAILED, &truncate(error)).await?;
            tracing::warn!(
                outbox.id = message.id,
                "mail given up after {} attempts: {error}",
                message.attempts
            );
            DeliveryRecord::GaveUp
        }
        Delivery::Permanent(error) => {
            subs::finish_undelivered(&mut tx, message.id, subs::BOUNCED, &truncate(error)).await?;
            let mut bounces = 0;
            let mut suspended = false;
            if let Some(id) = message.subscriber_id {
                if let Some(subscriber) = subs::get(&mut tx, id).await? {
                    bounces = subs::add_bounce(&mut tx, id).await?;
                    audit::append(
                        &mut tx,
                        system_entry(
                            subscriber.force_id,
                            "subscription.bounce",
                            id,
                            serde_json::json!({"bounces_in_a_row": bounces, "outbox_id": message.id}),
                        ),
                    )
                    .await?;
                    if bounces >= MAX_BOUNCES && subscriber.status != subs::SUSPENDED {
                        subs::set_status(&mut tx, id, subs::SUSPENDED).await?;
                        subs::cancel_queued_for(
                            &mut tx,
                            id,
                            "subscriber suspended after repeated bounces",
                        )
                        .await?;
                        audit::append(
                            &mut tx,
                            system_entry(
                                subscriber.force_id,
                                "subscription.suspend",
                                id,
                                serde_json::json!({"bounces_in_a_row": bounces}),
                            ),
                        )
                        .await?;
                        suspended = true;
                    }
                }
            }
            tracing::warn!(
                outbox.id = message.id,
                bounces,
                suspended,
                "mail bounced: {error}"
            );
            DeliveryRecord::Bounced { bounces, suspended }
        }
    };
    tx.commit().await?;
    Ok(record)
}

/// SMTP error texts can be long and may echo the address; keep a bounded prefix.
fn truncate(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass_and_are_lower_cased() {
        assert_eq!(
            normalize_email("  Jo.Bloggs+news@Example.ORG ").unwrap(),
            "jo.bloggs+news@example.org"
        );
        assert!(normalize_email("a@b.co").is_ok());
        assert!(normalize_email("x@xn--bcher-kva.example").is_ok());
    }

    #[test]
    fn malformed_or_dangerous_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@example.org",
            "jo@",
            "jo@localhost",
            "jo@@example.org",
            "jo bloggs@example.org",
            "jo@example.org\r\nBcc: x@y.org",
            "jo.@example.org",
            ".jo@example.org",
            "jo..b@example.org",
            "jo@-example.org",
            "jo@example.123",
            "jo@[127.0.0.1]",
            "\"jo\"@example.org",
            "jo@exa_mple.org",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(normalize_email(&format!("{}@example.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn unsubscribe_tokens_verify_and_forgeries_do_not() {
        let token = unsubscribe_token("key", 42);
        assert_eq!(verify_unsubscribe("key", &token), Some(42));
        assert_eq!(verify_unsubscribe("other", &token), None);
        let forged = token.replacen("42.", "43.", 1);
        assert_eq!(verify_unsubscribe("key", &forged), None);
        assert_eq!(verify_unsubscribe("key", "nonsense"), None);
    }

    #[test]
    fn hmac_matches_the_rfc_4231_vector() {
        // RFC 4231 test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn masking_keeps_the_domain() {
        assert_eq!(mask_email("jo@example.org"), "j•••@example.org");
    }
}
