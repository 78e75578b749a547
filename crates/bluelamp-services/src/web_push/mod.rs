//! Web Push for staff who opt in on a browser: a post waiting for them, or what
//! became of theirs, reaches the phone's lock screen. The subscription is the
//! browser's (standard Push API with VAPID), so it works with the browsers' own
//! push services when deployed; the message is encrypted for that browser alone
//! and carries only a line and a link, never more of a post than the staff page.
//! Sending is a job on the one runner: retried with backoff, a subscription the
//! push service says is gone (404/410) is forgotten.

pub mod crypto;

use bluelamp_domain::{Invalid, UserId};
use bluelamp_store::{jobs, push, subscriptions as subs, AnyConnection, Store};
use serde_json::json;

use crate::runner::JobOutcome;
use crate::webhooks::WebhookSender;
use crate::{ServiceError, ServiceResult, Staff};

pub const PUSH_JOB: &str = "web_push";
const KEY_NAME: &str = "web-push-vapid-p256";
/// The push services of the browsers staff use; a deployment adds others (and
/// tests their local stand-in) through the server's configuration.
pub const KNOWN_PUSH_HOSTS: [&str; 4] = [
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "wns2-par02p.notify.windows.com",
];
const MAX_ENDPOINT: usize = 2_000;

/// The server's VAPID key (made on first use and kept with the other server keys).
async fn server_key(conn: &mut AnyConnection) -> ServiceResult<String> {
    let fresh = crypto::new_server_key().map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok(subs::mail_key(conn, KEY_NAME, &fresh).await?)
}

/// The key browsers subscribe with (`applicationServerKey`).
pub async fn public_key(store: &Store) -> ServiceResult<String> {
    let mut tx = store.write().await?;
    let stored = server_key(&mut tx).await?;
    tx.commit().await?;
    crypto::public_key(&stored).map_err(|e| ServiceError::Internal(e.to_string()))
}

fn invalid(field: &'static str, message: &str) -> ServiceError {
    ServiceError::Invalid(Invalid::new(field, message))
}

/// The push service may be any of `allowed` hosts (with a port for a local
/// stand-in); the server posts there, so nothing else is accepted (no requests
/// to the server's own network on a staff member's say-so).
fn check_endpoint(endpoint: &str, allowed: &[String]) -> ServiceResult<()> {
    let origin =
        crypto::origin(endpoint).map_err(|_| invalid("endpoint", "not a push service address"))?;
    let host = origin.split("://").nth(1).unwrap_or_default();
    let secure = origin.starts_with("https://");
    let known = KNOWN_PUSH_HOSTS.contains(&host) && secure
        || allowed.iter().any(|a| a == host || a == &origin);
    if endpoint.len() > MAX_ENDPOINT
        || endpoint
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        || !known
    {
        return Err(invalid(
            "endpoint",
            "this browser's push service is not one this server sends to",
        ));
    }
    Ok(())
}

/// Keep this browser's subscription for the signed-in person.
pub async fn subscribe(
    store: &Store,
    staff: &Staff,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    allowed_hosts: &[String],
) -> ServiceResult<i64> {
    staff.require_scope("write")?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    check_endpoint(endpoint.trim(), allowed_hosts)?;
    let key = crypto::decode_b64url(p256dh).filter(|k| k.len() == 65 && k[0] == 4);
    if key.is_none() {
        return Err(invalid("p256dh", "not a browser push key"));
    }
    if crypto::decode_b64url(auth).is_none_or(|a| a.len() != 16) {
        return Err(invalid("auth", "not a browser push secret"));
    }
    let mut tx = store.write().await?;
    let id = push::subscribe(&mut tx, user, endpoint.trim(), p256dh.trim(), auth.trim()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Forget one of the signed-in person's subscriptions.
pub async fn unsubscribe(store: &Store, staff: &Staff, id: i64) -> ServiceResult<bool> {
    staff.require_scope("write")?;
    let user = staff.user_id.ok_or(ServiceError::NotFound("user"))?;
    let mut tx = store.write().await?;
    let removed = push::remove(&mut tx, Some(user), id).await?;
    tx.commit().await?;
    Ok(removed)
}

/// The signed-in person's subscriptions (their browsers).
pub async fn subscriptions(store: &Store, staff: &Staff) -> ServiceResult<Vec<push::Subscription>> {
    let Some(user) = staff.user_id else {
        return Ok(Vec::new());
    };
    let mut conn = store.read().await?;
    Ok(push::for_user(&mut conn, user).await?)
}

/// Queue a push of `text` (linking to `path`) to each of `user`'s browsers, in
/// the caller's transaction; `key` makes a retried transaction push nothing twice.
pub(crate) async fn queue(
    conn: &mut AnyConnection,
    user: UserId,
    text: &str,
    path: &str,
    key: &str,
) -> ServiceResult<()> {
    for subscription in push::for_user(conn, user).await? {
        let payload = json!({"subscription": subscription.id, "text": text, "path": path});
        jobs::enqueue(
            conn,
            PUSH_JOB,
            &payload,
            &bluelamp_store::now_text(),
            Some(&format!("push:{}:{key}", subscription.id)),
            8,
        )
        .await?;
    }
    Ok(())
}

/// The job: encrypt for the browser, sign, send.
pub async fn deliver(
    store: &Store,
    sender: &dyn WebhookSender,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let id = job.payload["subscription"].as_i64().unwrap_or_default();
    let (subscription, stored) = {
        let mut tx = store.write().await?;
        let subscription = push::get(&mut tx, id).await?;
        let stored = server_key(&mut tx).await?;
        tx.commit().await?;
        (subscription, stored)
    };
    // Unsubscribed since: nothing to send.
    let Some(subscription) = subscription else {
        return Ok(JobOutcome::Done);
    };
    let message = json!({
        "title": "Bluelamp",
        "body": job.payload["text"].as_str().unwrap_or_default().chars().take(300).collect::<String>(),
        "url": job.payload["path"].as_str().unwrap_or("/staff/notifications"),
    });
    let internal = |e: crypto::PushError| ServiceError::Internal(format!("web push: {e}"));
    let ua_public = crypto::decode_b64url(&subscription.p256dh).unwrap_or_default();
    let auth = crypto::decode_b64url(&subscription.auth).unwrap_or_default();
    let body =
        crypto::encrypt(&ua_public, &auth, message.to_string().as_bytes()).map_err(internal)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // The contact is the server's public address (RFC 8292 §2.1 asks for a
    // mailto: or https: URI the push service can reach the operator by).
    let subject = match sender.contact() {
        contact if contact.starts_with("https://") || contact.starts_with("mailto:") => contact,
        _ => "mailto:postmaster@localhost",
    };
    let authorization = crypto::vapid_authorization(&stored, &subscription.endpoint, subject, now)
        .map_err(internal)?;
    let headers = vec![
        ("Authorization", authorization),
        ("Content-Encoding", "aes128gcm".to_string()),
        ("Content-Type", "application/octet-stream".to_string()),
        ("TTL", "86400".to_string()),
        ("Urgency", "high".to_string()),
    ];
    match sender.post(&subscription.endpoint, headers, body).await {
        Ok(status) if (200..300).contains(&status) => Ok(JobOutcome::Done),
        Ok(404 | 410) => {
            // The browser unsubscribed or the subscription expired: forget it.
            let mut tx = store.write().await?;
            push::remove(&mut tx, None, subscription.id).await?;
            tx.commit().await?;
            Ok(JobOutcome::Done)
        }
        Ok(status) => Err(ServiceError::Internal(format!(
            "the push service answered {status}"
        ))),
        Err(reason) => Err(ServiceError::Internal(format!(
            "the push service could not be reached: {reason}"
        ))),
    }
}
