//! A force's signed webhook: emergencies from the inbox and incident records go
//! to the force's command-and-control system as they happen. Each event is a job
//! (the one runner), so a target that is down or hangs is retried with backoff
//! and nothing is lost; the request carries an HMAC-SHA256 signature over the
//! time and the body (`Bluelamp-Signature: t=<unix>,v1=<hex>`), so the receiver
//! can check it came from us and is not a replay.
//!
//! The target is set by a force administrator and may be an internal address
//! (command and control usually is), so it is not held to the fediverse's
//! public-address rule; setting it is audited.

use std::future::Future;
use std::pin::Pin;

use bluelamp_domain::{Action, ForceId, Invalid};
use bluelamp_store::{audit, jobs, webhooks, AnyConnection, Store};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::auth::{entry, random_token};
use crate::runner::JobOutcome;
use crate::{ServiceError, ServiceResult, Staff};

pub const WEBHOOK_JOB: &str = "webhook";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Bluelamp-Signature";
const MAX_URL: usize = 2_000;

/// Sends one webhook or Web Push request; implemented by the web layer (it owns HTTP).
pub trait WebhookSender: Send + Sync {
    /// Who runs this server (its public address): the contact a Web Push
    /// service is given with each message (VAPID `sub`).
    fn contact(&self) -> &str {
        ""
    }

    /// The network connectors (Bluesky…) and the key that opens their
    /// credentials; `None` for a runner that sends nothing.
    fn networks(&self) -> Option<&dyn crate::crosspost::Networks> {
        None
    }

    /// POST `body` to `url` with `headers`; the response status, or why none came.
    fn post<'a>(
        &'a self,
        url: &'a str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>>;
}

/// For runners without network access: webhook jobs wait for a server's runner.
pub struct NoSender;

impl WebhookSender for NoSender {
    fn post<'a>(
        &'a self,
        _url: &'a str,
        _headers: Vec<(&'static str, String)>,
        _body: Vec<u8>,
    ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send + 'a>> {
        Box::pin(async { Err("this runner sends no webhooks".to_string()) })
    }
}

/// The signature of `body` at unix time `at` with `secret`: `t=<at>,v1=<hex>`.
pub fn signature(secret: &str, at: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(format!("{at}.{body}").as_bytes());
    format!("t={at},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(Invalid::new("url", message))
}

/// The force named by `code`, if the staff member may configure it (else 404).
async fn configured_force(store: &Store, staff: &Staff, code: &str) -> ServiceResult<ForceId> {
    staff.authorize(Action::ConfigureForce)?;
    let mut conn = store.read().await?;
    let force = bluelamp_store::forces::by_code(&mut conn, code)
        .await
        .map_err(|_| ServiceError::NotFound("force"))?;
    staff.force_in_scope(force.id)
}

/// Set the force's webhook; returns the new signing secret (shown once).
pub async fn set(store: &Store, staff: &Staff, code: &str, url: &str) -> ServiceResult<String> {
    staff.require_scope("admin")?;
    let force = configured_force(store, staff, code).await?;
    let url = url.trim();
    if url.len() > MAX_URL
        || !(url.starts_with("https://") || url.starts_with("http://"))
        || url.chars().any(|c| c.is_control() || c.is_whitespace())
        || url
            .split("://")
            .nth(1)
            .is_none_or(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        return Err(invalid(
            "give the receiver's address, https://… (at most 2,000 characters)",
        ));
    }
    let secret = random_token(32);
    let mut tx = store.write().await?;
    webhooks::set(&mut tx, force, url, &secret).await?;
    let mut e = entry(staff, "force.webhook-set", "force", force.0);
    e.after = Some(json!({"url": url}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Remove the force's webhook.
pub async fn clear(store: &Store, staff: &Staff, code: &str) -> ServiceResult<bool> {
    staff.require_scope("admin")?;
    let force = configured_force(store, staff, code).await?;
    let mut tx = store.write().await?;
    let removed = webhooks::clear(&mut tx, force).await?;
    audit::append(
        &mut tx,
        entry(staff, "force.webhook-cleared", "force", force.0),
    )
    .await?;
    tx.commit().await?;
    Ok(removed)
}

/// The force's webhook address (never the secret).
pub async fn url(store: &Store, staff: &Staff, code: &str) -> ServiceResult<Option<String>> {
    let force = configured_force(store, staff, code).await?;
    let mut conn = store.read().await?;
    Ok(webhooks::get(&mut conn, force).await?.map(|(url, _)| url))
}

/// Queue `event` for the force's webhook, in the caller's transaction (so it is
/// sent exactly when what it reports is committed). Nothing when there is none.
pub async fn enqueue(
    conn: &mut AnyConnection,
    force: ForceId,
    event: &str,
    data: &Value,
) -> ServiceResult<()> {
    if webhooks::get(conn, force).await?.is_none() {
        return Ok(());
    }
    let body = json!({"event": event, "force_id": force.0, "sent_at": bluelamp_store::now_text(), "data": data});
    jobs::enqueue(
        conn,
        WEBHOOK_JOB,
        &json!({"force_id": force.0, "event": event, "body": body.to_string()}),
        &bluelamp_store::now_text(),
        None,
        12,
    )
    .await?;
    Ok(())
}

/// The job: sign and send. A 2xx answer completes it; anything else (an error
/// status, a refused connection, a target that hangs past the sender's timeout)
/// fails it, and the runner retries with backoff.
pub async fn deliver(
    store: &Store,
    sender: &dyn WebhookSender,
    job: &jobs::Job,
) -> ServiceResult<JobOutcome> {
    let force = ForceId(job.payload["force_id"].as_i64().unwrap_or_default());
    let target = {
        let mut conn = store.read().await?;
        webhooks::get(&mut conn, force).await?
    };
    // The webhook was removed since: nothing to send to.
    let Some((url, secret)) = target else {
        return Ok(JobOutcome::Done);
    };
    let body = job.payload["body"].as_str().unwrap_or("{}").to_string();
    let event = job.payload["event"].as_str().unwrap_or("event").to_string();
    let at = time::OffsetDateTime::now_utc().unix_timestamp();
    let headers = vec![
        ("Content-Type", "application/json".to_string()),
        (SIGNATURE_HEADER, signature(&secret, at, &body)),
        ("Bluelamp-Event", event),
        ("Bluelamp-Delivery", job.id.to_string()),
    ];
    match sender.post(&url, headers, body.into_bytes()).await {
        Ok(status) if (200..300).contains(&status) => Ok(JobOutcome::Done),
        Ok(status) => Err(ServiceError::Internal(format!(
            "the webhook answered {status}"
        ))),
        Err(reason) => Err(ServiceError::Internal(format!(
            "the webhook could not be reached: {reason}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_and_the_body() {
        let a = signature("secret", 1_700_000_000, "{\"a\":1}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("secret", 1_700_000_001, "{\"a\":1}"));
        assert_ne!(a, signature("secret", 1_700_000_000, "{\"a\":2}"));
        assert_ne!(a, signature("other", 1_700_000_000, "{\"a\":1}"));
    }
}
