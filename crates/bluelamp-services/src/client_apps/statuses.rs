//! Posting from a client app: a status is a post, written through the same
//! compose use case as the web page (the governance check, approval, scheduling,
//! signatures, the policy acknowledgement). What differs is the answer: an app
//! needs one sentence it can show when a post does not go out.

use bluelamp_domain::{AccountId, Invalid, PostStatus};
use bluelamp_governance::{Report, Severity};
use bluelamp_store::{accounts, media, oauth, posts, AnyConnection, Store};
use serde::Serialize;

use super::views::{self, StatusView};
use crate::force_rules::ForceEngines;
use crate::posts::{compose, Compose, MediaRef};
use crate::{ServiceError, ServiceResult, Staff};

/// The longest status, counted as Mastodon counts: every link as [`URL_CHARS`].
pub const MAX_STATUS_CHARS: usize = 500;
/// What one link counts for, however long it is.
pub const URL_CHARS: usize = 23;

/// A status's length as apps count it before sending: characters, with each
/// link counted as [`URL_CHARS`].
pub fn status_length(text: &str) -> usize {
    let mut length = 0;
    let mut word = String::new();
    let flush = |word: &mut String, length: &mut usize| {
        *length += if word.starts_with("http://") || word.starts_with("https://") {
            URL_CHARS
        } else {
            word.chars().count()
        };
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut length);
            length += 1;
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut length);
    length
}

/// A status must be scheduled at least this far ahead (as on Mastodon).
pub const MIN_SCHEDULE_MINUTES: i64 = 5;
/// The longest alt text kept (Mastodon's own limit).
pub const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// The longest Idempotency-Key kept.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// A status as an app sends it (form or JSON, already read by the web layer).
#[derive(Debug, Clone, Default, Serialize)]
pub struct NewStatus {
    pub status: String,
    pub media_ids: Vec<i64>,
    pub in_reply_to_id: Option<i64>,
    pub visibility: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: Option<String>,
    pub language: Option<String>,
    pub scheduled_at: Option<String>,
}

/// What became of a status.
#[derive(Debug, Clone)]
pub enum Posted {
    /// Public now.
    Published(StatusView),
    /// Waiting for its time.
    Scheduled(StatusView),
    /// In the approval queue; the sentence says why.
    Held(String),
    /// Refused by the check (kept, never shown); the sentence says why and what to change.
    Refused(String),
}

fn validation(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(Invalid::new(field, message))
}

/// The account the app acts as: the one chosen at consent, else the only one
/// the officer may post to.
pub(crate) async fn acting_account(
    conn: &mut AnyConnection,
    staff: &Staff,
) -> ServiceResult<accounts::Account> {
    if let Some(id) = staff.app_account {
        return crate::accounts::account_in_force(conn, staff, id).await;
    }
    let mut postable = super::oauth::postable_accounts(conn, staff).await?;
    match postable.len() {
        1 => Ok(postable.remove(0)),
        0 => Err(ServiceError::Forbidden(
            "you are not a member of any account with permission to post".into(),
        )),
        _ => Err(ServiceError::Forbidden(
            "you post to several accounts: log in through an app to choose which one it acts as"
                .into(),
        )),
    }
}

/// Why a post is waiting for a supervisor, in one sentence an app shows as it is.
pub fn held_message(report: &Report, account: &str) -> String {
    let reasons: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Hold)
        .map(|f| format!("{} ({})", f.message.trim_end_matches('.'), f.basis))
        .collect();
    if reasons.is_empty() {
        format!(
            "Held for approval by a supervisor: posts on @{account} are approved before they go out"
        )
    } else {
        format!("Held for approval by a supervisor: {}", reasons.join("; "))
    }
}

/// Why the check refused a post and what to change.
pub fn refused_message(report: &Report) -> String {
    let reasons: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Refuse)
        .map(|f| match &f.suggestion {
            Some(change) => format!(
                "{} ({}). {}",
                f.message.trim_end_matches('.'),
                f.basis,
                change
            ),
            None => format!("{} ({})", f.message.trim_end_matches('.'), f.basis),
        })
        .collect();
    format!(
        "Refused by the governance check, not published: {}",
        reasons.join("; ")
    )
}

fn report_of(post: &posts::Post) -> Report {
    #[derive(serde::Deserialize)]
    struct Stored {
        severity: Severity,
        message: String,
        basis: String,
        #[serde(default)]
        suggestion: Option<String>,
    }
    // Rebuilt from the stored findings for a replayed request: only the fields
    // the sentences use.
    let stored: Vec<Stored> = serde_json::from_value(post.findings.clone()).unwrap_or_default();
    let findings = stored
        .into_iter()
        .map(|s| bluelamp_governance::Finding {
            category: bluelamp_governance::Category::Tone,
            rule: String::new(),
            severity: s.severity,
            start: 0,
            end: 0,
            char_start: 0,
            char_end: 0,
            message: s.message,
            basis: s.basis,
            suggestion: s.suggestion,
            channel: None,
        })
        .collect();
    Report {
        decision: bluelamp_governance::Decision::Publish,
        findings,
    }
}

async fn outcome(
    conn: &mut AnyConnection,
    post: posts::Post,
    report: &Report,
    account: &accounts::Account,
) -> ServiceResult<Posted> {
    Ok(match post.status {
        PostStatus::Published => Posted::Published(views::one(conn, post).await?),
        PostStatus::Scheduled => Posted::Scheduled(views::one(conn, post).await?),
        PostStatus::Refused => Posted::Refused(refused_message(report)),
        _ => Posted::Held(held_message(report, &account.handle)),
    })
}

fn check_schedule(at: &str) -> ServiceResult<()> {
    let parsed =
        time::OffsetDateTime::parse(at.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                validation(
                    "scheduled_at",
                    "Scheduled at is not a date and time such as 2026-12-01T18:00:00Z",
                )
            })?;
    if parsed < bluelamp_store::clock::now() + time::Duration::minutes(MIN_SCHEDULE_MINUTES) {
        return Err(validation(
            "scheduled_at",
            format!("Scheduled at must be at least {MIN_SCHEDULE_MINUTES} minutes in the future"),
        ));
    }
    Ok(())
}

/// Post a status as the app's account. With an `Idempotency-Key`, a repeat of
/// the same request answers what the first one did; the same key with a
/// different status is refused rather than silently dropping the new text.
pub async fn post_status(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    input: &NewStatus,
    idempotency_key: Option<&str>,
) -> ServiceResult<Posted> {
    staff.require_scope("write")?;
    let user = staff.user_id.ok_or_else(|| {
        ServiceError::Forbidden("statuses are posted by named staff users".into())
    })?;
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    if key.is_some_and(|k| k.len() > MAX_IDEMPOTENCY_KEY) {
        return Err(validation(
            "Idempotency-Key",
            "the Idempotency-Key is too long",
        ));
    }
    let request_hash = crate::auth::sha256_hex(&serde_json::to_string(input).unwrap_or_default());
    let mut conn = store.read().await?;
    let account = acting_account(&mut conn, staff).await?;
    if let Some(key) = key {
        if let Some((hash, post_id)) = oauth::idempotent_post(&mut conn, user, key).await? {
            if hash != request_hash {
                return Err(validation(
                    "Idempotency-Key",
                    "this Idempotency-Key was already used for a different status; send a new key",
                ));
            }
            let post = posts::get(&mut conn, post_id).await?;
            let report = report_of(&post);
            return outcome(&mut conn, post, &report, &account).await;
        }
    }
    let compose_input = to_compose(&mut conn, staff, input).await?;
    drop(conn);
    let submitted = match input.in_reply_to_id {
        // A reply to a notification answers the member of the public through the
        // inbox: recorded with their message, threaded under their note.
        Some(parent) if parent >= views::MESSAGE_ID_BASE => {
            let outcome = crate::inbox::replies::reply(
                store,
                engines,
                staff,
                parent - views::MESSAGE_ID_BASE,
                &compose_input.text,
                Some(account.id),
            )
            .await?;
            crate::posts::Submitted {
                post: outcome.post,
                report: outcome.report,
            }
        }
        _ => compose(store, engines, staff, account.id, &compose_input).await?,
    };
    if let Some(key) = key {
        // Two identical requests racing: the second record is not kept (its post
        // is then seen twice, as it would be without a key).
        let mut tx = store.write().await?;
        oauth::remember_idempotent_post(&mut tx, user, key, &request_hash, submitted.post.id)
            .await?;
        tx.commit().await?;
    }
    let mut conn = store.read().await?;
    outcome(&mut conn, submitted.post, &submitted.report, &account).await
}

async fn to_compose(
    conn: &mut AnyConnection,
    staff: &Staff,
    input: &NewStatus,
) -> ServiceResult<Compose> {
    if input.status.trim().is_empty() && input.media_ids.is_empty() {
        return Err(validation("status", "Text can't be blank"));
    }
    if status_length(&input.status) > MAX_STATUS_CHARS {
        return Err(validation(
            "status",
            format!("Text character limit of {MAX_STATUS_CHARS} exceeded"),
        ));
    }
    match input.visibility.as_deref() {
        None | Some("") | Some("public") => {}
        Some("unlisted") | Some("private") | Some("direct") => {
            return Err(validation(
                "visibility",
                "Visibility: police accounts post publicly; answer people privately from the inbox",
            ))
        }
        Some(_) => return Err(validation("visibility", "Visibility is not valid")),
    }
    if let Some(at) = input
        .scheduled_at
        .as_deref()
        .filter(|a| !a.trim().is_empty())
    {
        check_schedule(at)?;
    }
    if input.media_ids.len() > crate::posts::MAX_IMAGES {
        return Err(validation("media_ids", "Media ids: at most 4 attachments"));
    }
    let mut refs = Vec::new();
    for id in &input.media_ids {
        let found = match media::get(conn, *id).await {
            Ok(item) => Some(item),
            Err(bluelamp_store::StoreError::NotFound(_)) => None,
            Err(other) => return Err(other.into()),
        };
        match found {
            Some(item) if Some(item.uploaded_by) == staff.user_id && item.post_id.is_none() => refs
                .push(MediaRef {
                    id: item.id,
                    alt: item.alt,
                }),
            _ => {
                return Err(validation(
                    "media_ids",
                    format!("Media {id} was not found among your unattached uploads"),
                ))
            }
        }
    }
    if let Some(parent) = input.in_reply_to_id {
        if parent >= views::MESSAGE_ID_BASE {
            if input
                .scheduled_at
                .as_deref()
                .is_some_and(|a| !a.trim().is_empty())
                || !refs.is_empty()
            {
                return Err(validation(
                    "in_reply_to_id",
                    "A reply to a member of the public is sent now and as text only",
                ));
            }
            return Ok(Compose {
                text: input.status.clone(),
                ..Compose::default()
            });
        }
        let post = posts::get(conn, parent)
            .await
            .map_err(|_| validation("in_reply_to_id", "In reply to: the status was not found"))?;
        if Some(post.force_id) != staff.force_id || post.status != PostStatus::Published {
            return Err(validation(
                "in_reply_to_id",
                "In reply to: the status was not found",
            ));
        }
    }
    let text = if input.status.trim().is_empty() {
        // A photo with no words still needs a line for feeds and e-mail.
        String::from("📷")
    } else {
        input.status.clone()
    };
    let warning = input
        .spoiler_text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| input.sensitive.then(|| "Sensitive content".to_string()));
    Ok(Compose {
        text,
        kind: Some(
            if input.in_reply_to_id.is_some() {
                "reply"
            } else {
                "update"
            }
            .into(),
        ),
        reply_to: input.in_reply_to_id,
        media: refs,
        scheduled_at: input.scheduled_at.clone().filter(|a| !a.trim().is_empty()),
        content_warning: warning,
        ..Compose::default()
    })
}

/// Set an upload's alt text (the app's "description"), before it is posted.
pub async fn describe_media(
    store: &Store,
    staff: &Staff,
    id: i64,
    description: Option<&str>,
) -> ServiceResult<media::Media> {
    staff.require_scope("write")?;
    let mut tx = store.write().await?;
    let item = own_media(&mut tx, staff, id).await?;
    let Some(description) = description else {
        return Ok(item);
    };
    let description = description.trim();
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(validation(
            "description",
            format!("Description is too long (at most {MAX_DESCRIPTION_CHARS} characters)"),
        ));
    }
    if item.post_id.is_some() {
        return Err(validation(
            "description",
            "this image is already posted; change its description by editing the post",
        ));
    }
    let updated = media::set_alt(&mut tx, id, description).await?;
    tx.commit().await?;
    Ok(updated)
}

/// One of the officer's own uploads.
pub async fn media_item(store: &Store, staff: &Staff, id: i64) -> ServiceResult<media::Media> {
    // Uploads are part of writing a post: the same right reads them back.
    staff.require_scope("write")?;
    let mut conn = store.read().await?;
    own_media(&mut conn, staff, id).await
}

async fn own_media(
    conn: &mut AnyConnection,
    staff: &Staff,
    id: i64,
) -> ServiceResult<media::Media> {
    match media::get(conn, id).await {
        Ok(item)
            if Some(item.uploaded_by) == staff.user_id && Some(item.force_id) == staff.force_id =>
        {
            Ok(item)
        }
        Ok(_) | Err(bluelamp_store::StoreError::NotFound(_)) => {
            Err(ServiceError::NotFound("media"))
        }
        Err(other) => Err(other.into()),
    }
}

/// The account an upload from an app is for: the app's account.
pub async fn upload_account(store: &Store, staff: &Staff) -> ServiceResult<AccountId> {
    let mut conn = store.read().await?;
    Ok(acting_account(&mut conn, staff).await?.id)
}
