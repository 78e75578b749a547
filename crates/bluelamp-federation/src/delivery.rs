//! One delivery: a signed POST of an activity to one inbox, and what to do when it
//! fails. The queue (rows, workers, per-host limits) belongs to the caller; this
//! module decides *whether* and *when* to retry.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::limits::MAX_DELIVERY_RESPONSE;
use crate::protocol::ACTIVITY_JSON;
use crate::safety::{check_parsed, unsafe_cause, HttpClient};
use crate::signatures::{sign_request, Signer};

/// Retries after the first attempt. With [`backoff`] they span about 2.07 days.
pub const MAX_RETRIES: u32 = 15;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Try again later: timeouts, connection failures, 5xx, 408, 429.
    #[error("retryable{}: {reason}", status_suffix(*status))]
    Retryable {
        status: Option<u16>,
        reason: String,
        /// From a `Retry-After` header in seconds, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// Do not retry: the inbox refused (4xx), is gone (410), redirects, or is not
    /// a safe URL.
    #[error("permanent{}: {reason}", status_suffix(*status))]
    Permanent { status: Option<u16>, reason: String },
}

fn status_suffix(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

impl DeliveryError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable { .. })
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            DeliveryError::Retryable { status, .. } | DeliveryError::Permanent { status, .. } => {
                *status
            }
        }
    }
}

/// Classifies a response status: `Ok(())` for 2xx.
pub fn classify_status(
    status: u16,
    body_snippet: &str,
    retry_after: Option<Duration>,
) -> Result<(), DeliveryError> {
    let reason = if body_snippet.is_empty() {
        format!("inbox answered {status}")
    } else {
        format!("inbox answered {status}: {body_snippet}")
    };
    match status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(DeliveryError::Retryable {
            status: Some(status),
            reason,
            retry_after,
        }),
        410 => Err(DeliveryError::Permanent {
            status: Some(status),
            reason: "inbox is gone (410)".to_owned(),
        }),
        _ => Err(DeliveryError::Permanent {
            status: Some(status),
            reason,
        }),
    }
}

/// POSTs `activity_json` to `inbox`, signed by `signer`, within `timeout`.
/// Returns the 2xx status on success.
pub async fn deliver(
    client: &HttpClient,
    inbox: &str,
    activity_json: &[u8],
    signer: &Signer,
    timeout: Duration,
) -> Result<u16, DeliveryError> {
    let permanent = |reason: String| DeliveryError::Permanent {
        status: None,
        reason,
    };
    let url = url::Url::parse(inbox).map_err(|e| permanent(format!("bad inbox URL: {e}")))?;
    check_parsed(&url, client.allow_loopback).map_err(|e| permanent(e.to_string()))?;
    let mut request = client
        .sender
        .post(url.clone())
        .timeout(timeout)
        .header("Content-Type", ACTIVITY_JSON)
        .header("Accept", ACTIVITY_JSON);
    for (name, value) in sign_request("POST", &url, Some(activity_json), signer, SystemTime::now())
    {
        request = request.header(name, value);
    }
    let mut response = request
        .body(activity_json.to_vec())
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // Read (a bounded part of) the body: it lets the connection be reused and gives
    // the error message something to quote. A failure here does not undo a 2xx.
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_DELIVERY_RESPONSE {
            break;
        }
    }
    let snippet: String = String::from_utf8_lossy(&body).chars().take(200).collect();
    if (300..400).contains(&status) {
        return Err(DeliveryError::Permanent {
            status: Some(status),
            reason: "inbox redirects; deliveries do not follow redirects".to_owned(),
        });
    }
    classify_status(status, snippet.trim(), retry_after).map(|()| status)
}

fn transport_error(e: &reqwest::Error) -> DeliveryError {
    if let Some(refused) = unsafe_cause(e) {
        return DeliveryError::Permanent {
            status: None,
            reason: refused.to_string(),
        };
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    DeliveryError::Retryable {
        status: None,
        reason: format!("{kind}: {e}"),
        retry_after: None,
    }
}

/// The retry curve for other people's servers: `retry⁴ + 15` seconds (16 s, 31 s,
/// 96 s, 4.5 min, … 14 h), about 2.07 days over [`MAX_RETRIES`], the same curve
/// Mastodon uses.
pub const BACKOFF: bluelamp_domain::retry::Backoff =
    bluelamp_domain::retry::Backoff::Quartic { offset: 15 };

/// Wait before retry number `retry` (1-based), or `None` once [`MAX_RETRIES`] are
/// spent. Add jitter with [`with_jitter`] so a recovering server is not hit by
/// every retry at once.
pub fn backoff(retry: u32) -> Option<Duration> {
    (1..=MAX_RETRIES)
        .contains(&retry)
        .then(|| Duration::from_secs(BACKOFF.seconds_after(i64::from(retry)).unsigned_abs()))
}

/// Stretches `delay` by up to 25 %; `unit` is a random number in `[0, 1)`.
pub fn with_jitter(delay: Duration, unit: f64) -> Duration {
    delay.mul_f64(1.0 + 0.25 * unit.clamp(0.0, 1.0))
}

/// Where to deliver for a set of followers: their shared inbox when they have
/// one, else their own, each at most once, in first-seen order. A post to a
/// server with 500 of our followers is then one request, not 500.
pub fn dedupe_inboxes(followers: &[(String, Option<String>)]) -> Vec<String> {
    let mut seen = HashSet::new();
    followers
        .iter()
        .map(|(inbox, shared)| shared.as_deref().filter(|s| !s.is_empty()).unwrap_or(inbox))
        .filter(|target| seen.insert(*target))
        .map(str::to_owned)
        .collect()
}

/// The host (with port) an inbox is on: the key for per-host concurrency limits
/// and circuit breakers.
pub fn inbox_host(inbox: &str) -> Option<String> {
    let url = url::Url::parse(inbox).ok()?;
    Some(crate::signatures::host_header(&url).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert!(classify_status(202, "", None).is_ok());
        for s in [408, 429, 500, 502, 503] {
            assert!(
                classify_status(s, "", None).unwrap_err().is_retryable(),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 410, 422] {
            assert!(
                !classify_status(s, "", None).unwrap_err().is_retryable(),
                "{s}"
            );
        }
    }

    #[test]
    fn backoff_spans_about_two_days() {
        let total: u64 = (1..=MAX_RETRIES)
            .map(|n| backoff(n).unwrap().as_secs())
            .sum();
        assert!((170_000..190_000).contains(&total), "{total}");
        assert_eq!(backoff(1), Some(Duration::from_secs(16)));
        assert_eq!(backoff(0), None);
        assert_eq!(backoff(MAX_RETRIES + 1), None);
        assert!(backoff(3) < backoff(4));
        assert_eq!(
            with_jitter(Duration::from_secs(100), 1.0),
            Duration::from_secs(125)
        );
    }

    #[test]
    fn shared_inboxes_collapse() {
        let f = |i: &str, s: Option<&str>| (i.to_owned(), s.map(str::to_owned));
        let list = [
            f("https://a/users/1/inbox", Some("https://a/inbox")),
            f("https://b/users/2/inbox", None),
            f("https://a/users/3/inbox", Some("https://a/inbox")),
            f("https://b/users/2/inbox", None),
            f("https://c/u/4/inbox", Some("")),
        ];
        assert_eq!(
            dedupe_inboxes(&list),
            vec![
                "https://a/inbox",
                "https://b/users/2/inbox",
                "https://c/u/4/inbox"
            ]
        );
        assert_eq!(
            inbox_host("http://localhost:8080/inbox").as_deref(),
            Some("localhost:8080")
        );
    }
}
