//! Bluelamp's outgoing mail: the SMTP sender and the worker that drains the
//! durable outbox.
//!
//! Messages are queued by the use cases (`bluelamp_services::subscriptions`) in
//! the same transaction as the change that causes them; this crate only sends
//! them. Each due message is claimed with a lease, sent over SMTP, and its outcome
//! recorded: delivered; a transient failure (a 4xx answer, a refused or broken
//! connection) retried with exponential backoff up to its attempt limit; a
//! permanent 5xx rejection recorded as a bounce on the subscriber, who is
//! suspended after [`bluelamp_services::subscriptions::MAX_BOUNCES`] in a row.
//!
//! Every message to a subscriber carries `List-Unsubscribe` and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) and has a plain
//! text and an HTML alternative.
//!
//! It depends on the store and the services; it knows nothing of HTTP.

use std::time::Duration;

use bluelamp_domain::retry::Backoff;
use bluelamp_services::runner::{Queue, Round};
use bluelamp_services::subscriptions::{self as service, Delivery, DeliveryRecord, BASE_URL};
use bluelamp_store::subscriptions::OutboxMessage;
use bluelamp_store::Store;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use time::OffsetDateTime;

/// Where and how mail goes out.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// The `From` mailbox, e.g. `Demo Constabulary <noreply@police.example.org>`.
    pub from: String,
    /// The public site, e.g. `https://police.example.org`; links in mail start here.
    pub public_base_url: String,
    /// The UTC hour (0-23) at which daily digests are queued.
    pub digest_hour: u8,
    /// The wait after a failed attempt (30 s doubling, at most an hour).
    pub backoff: Backoff,
    /// Messages claimed per round.
    pub batch_size: i64,
    /// How long the worker sleeps when the outbox is empty.
    pub poll_interval: Duration,
    /// SMTP connection and command timeout.
    pub timeout: Duration,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp_url must look like smtp://host:port, not '{0}'")]
    BadUrl(String),
    #[error("smtp_url '{0}': only plain smtp:// is supported; relay through a local MTA for TLS")]
    UnsupportedScheme(String),
    #[error("mail_from '{0}' is not a valid mailbox (e.g. Bluelamp <noreply@example.org>)")]
    BadFrom(String),
    #[error("digest_hour must be 0 to 23, not {0}")]
    BadDigestHour(u8),
    #[error(transparent)]
    Service(#[from] bluelamp_services::ServiceError),
}

impl MailConfig {
    /// A configuration for `smtp://host:port` with the default retry policy
    /// (30 s doubling, capped at an hour).
    pub fn new(
        smtp_url: &str,
        from: &str,
        public_base_url: &str,
        digest_hour: u8,
    ) -> Result<MailConfig, MailError> {
        let (host, port) = parse_smtp_url(smtp_url)?;
        from.parse::<Mailbox>()
            .map_err(|_| MailError::BadFrom(from.to_string()))?;
        if digest_hour > 23 {
            return Err(MailError::BadDigestHour(digest_hour));
        }
        Ok(MailConfig {
            smtp_host: host,
            smtp_port: port,
            from: from.to_string(),
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            digest_hour,
            backoff: Backoff::Doubling {
                first: 30,
                cap: 3600,
            },
            batch_size: 50,
            poll_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        })
    }

    /// Seconds to wait after failed attempt number `attempts` (1-based).
    pub fn backoff_seconds(&self, attempts: i64) -> i64 {
        self.backoff.seconds_after(attempts)
    }
}

fn parse_smtp_url(url: &str) -> Result<(String, u16), MailError> {
    let bad = || MailError::BadUrl(url.to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if scheme != "smtp" {
        return Err(MailError::UnsupportedScheme(url.to_string()));
    }
    let rest = rest.trim_end_matches('/');
    if rest.contains('@') || rest.contains('/') || rest.is_empty() {
        return Err(bad());
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => {
            Ok((host.to_string(), port.parse().map_err(|_| bad())?))
        }
        Some(_) => Err(bad()),
        None => Ok((rest.to_string(), 25)),
    }
}

fn transport(config: &MailConfig) -> AsyncSmtpTransport<Tokio1Executor> {
    // Plain SMTP (no STARTTLS): the configured relay is local or on a trusted
    // network; it is the relay's job to use TLS onwards.
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.smtp_host.clone())
        .port(config.smtp_port)
        .timeout(Some(config.timeout))
        .build()
}

fn resolve_links(text: &str, config: &MailConfig) -> String {
    text.replace(BASE_URL, &config.public_base_url)
}

/// Build the MIME message for an outbox row.
pub fn build_message(row: &OutboxMessage, config: &MailConfig) -> Result<Message, String> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|e| format!("bad From mailbox: {e}"))?;
    let to: Mailbox = row
        .to_address
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    let domain = from.email.domain().to_string();
    let mut message = Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        // Stable across retries, so a receiver can drop a duplicate after a lost
        // acknowledgement.
        .message_id(Some(format!(
            "<bluelamp.outbox.{}.{}@{domain}>",
            row.id,
            digits(&row.created_at)
        )))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(
            resolve_links(&row.text_body, config),
            resolve_links(&row.html_body, config),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    let headers = message.headers_mut();
    // Tell automatic responders not to answer (RFC 3834).
    headers.insert_raw(HeaderValue::new(
        HeaderName::new_from_ascii_str("Auto-Submitted"),
        "auto-generated".into(),
    ));
    if let Some(link) = &row.list_unsubscribe {
        let link = resolve_links(link, config);
        // The link is built by us from a base URL and a token; refuse anything
        // that could break out of the header.
        if link
            .chars()
            .any(|c| c.is_control() || c == '<' || c == '>' || c == ' ')
        {
            return Err("the unsubscribe link is not a plain URL".into());
        }
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{link}>"),
        ));
        headers.insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".into(),
        ));
    }
    Ok(message)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Classify an SMTP failure: only an explicit 5xx answer is a bounce; anything
/// else (4xx, refused connection, timeout, a dropped line) may pass.
fn classify(error: &lettre::transport::smtp::Error) -> Delivery {
    if error.is_permanent() {
        Delivery::Permanent(error.to_string())
    } else {
        Delivery::Transient(error.to_string())
    }
}

/// Claim the due messages once, send them and record each outcome. Returns how
/// many messages were attempted.
pub async fn run_once(store: &Store, config: &MailConfig) -> Result<usize, MailError> {
    // The lease covers a whole batch sent one by one at the timeout each.
    let lease = (config.timeout.as_secs() as i64 + 5) * config.batch_size.max(1);
    let claimed = service::claim_mail(store, config.batch_size, lease).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mailer = transport(config);
    for row in &claimed {
        let outcome = match build_message(row, config) {
            Ok(message) => match mailer.send(message).await {
                Ok(_) => Delivery::Sent,
                Err(error) => classify(&error),
            },
            Err(error) => Delivery::Unsendable(error),
        };
        let record =
            service::record_delivery(store, row, &outcome, config.backoff_seconds(row.attempts))
                .await?;
        match &record {
            DeliveryRecord::Sent => {
                tracing::info!(outbox.id = row.id, kind = %row.kind, "mail sent")
            }
            DeliveryRecord::RetryAt(at) => tracing::warn!(
                outbox.id = row.id,
                attempt = row.attempts,
                "mail not sent, will retry at {at}: {outcome:?}"
            ),
            DeliveryRecord::GaveUp => {
                tracing::error!(outbox.id = row.id, "mail given up: {outcome:?}")
            }
            DeliveryRecord::Bounced { bounces, suspended } => {
                tracing::warn!(outbox.id = row.id, bounces, suspended, "mail bounced")
            }
        }
    }
    Ok(claimed.len())
}

/// Queue the daily digest of every due digest subscriber (posts since their last
/// digest, as one message each). Returns how many digests were queued; the
/// worker (or [`run_once`]) sends them.
pub async fn send_digests(
    store: &Store,
    _config: &MailConfig,
    now: OffsetDateTime,
) -> Result<usize, MailError> {
    Ok(service::queue_digests(store, now).await?)
}

/// The mail outbox as a queue of the server's one runner: each round queues the
/// daily digests once a day at the configured hour, then sends what is due. A
/// failure is logged by the runner and retried on the next round, never fatal.
pub struct MailQueue {
    store: Store,
    config: MailConfig,
    last_digest_day: std::sync::Mutex<Option<time::Date>>,
}

impl MailQueue {
    pub fn new(store: Store, config: MailConfig) -> MailQueue {
        tracing::info!(
            smtp = %format!("{}:{}", config.smtp_host, config.smtp_port),
            digest_hour = config.digest_hour,
            "mail outbox queue ready"
        );
        MailQueue {
            store,
            config,
            last_digest_day: std::sync::Mutex::new(None),
        }
    }

    async fn round(&self) -> Result<usize, MailError> {
        let now = OffsetDateTime::now_utc();
        let today = Some(now.date());
        let due = now.hour() >= self.config.digest_hour
            && *self
                .last_digest_day
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                != today;
        // After a restart this runs again the same day; the per-subscriber "due"
        // rule in the services keeps it from mailing anyone twice.
        if due {
            let queued = send_digests(&self.store, &self.config, now).await?;
            *self
                .last_digest_day
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = today;
            tracing::info!(queued, "daily digests queued");
        }
        run_once(&self.store, &self.config).await
    }
}

impl Queue for MailQueue {
    fn kind(&self) -> &'static str {
        "mail"
    }

    fn idle(&self) -> Duration {
        self.config.poll_interval
    }

    fn run_due(&self) -> Round<'_> {
        Box::pin(async move { self.round().await.map_err(|e| e.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> MailConfig {
        MailConfig::new(
            "smtp://127.0.0.1:2525",
            "Bluelamp <noreply@example.org>",
            "https://police.example.org/",
            7,
        )
        .unwrap()
    }

    #[test]
    fn smtp_urls_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".into(), 2525)
        );
        assert_eq!(
            parse_smtp_url("smtp://mail.example.org").unwrap(),
            ("mail.example.org".into(), 25)
        );
        assert!(matches!(
            parse_smtp_url("smtps://x:465"),
            Err(MailError::UnsupportedScheme(_))
        ));
        assert!(parse_smtp_url("smtp://:25").is_err());
        assert!(parse_smtp_url("smtp://host:port").is_err());
        assert!(parse_smtp_url("127.0.0.1:25").is_err());
        assert!(MailConfig::new("smtp://h:1", "not a mailbox", "http://x", 7).is_err());
        assert!(MailConfig::new("smtp://h:1", "a@b.org", "http://x", 24).is_err());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let config = config();
        assert_eq!(config.backoff_seconds(1), 30);
        assert_eq!(config.backoff_seconds(2), 60);
        assert_eq!(config.backoff_seconds(4), 240);
        assert_eq!(config.backoff_seconds(50), 3600);
    }

    #[test]
    fn messages_carry_one_click_unsubscribe_and_both_bodies() {
        let row = OutboxMessage {
            id: 7,
            subscriber_id: Some(3),
            kind: "post".into(),
            to_address: "jo@example.org".into(),
            subject: "Neighbourhood Team: new post".into(),
            text_body: format!("Hello\n{BASE_URL}/forces/demo"),
            html_body: format!("<p>Hello <a href=\"{BASE_URL}/forces/demo\">x</a></p>"),
            list_unsubscribe: Some(format!("{BASE_URL}/subscriptions/unsubscribe/3.abc")),
            status: "queued".into(),
            run_at: String::new(),
            attempts: 1,
            max_attempts: 8,
            sent_at: None,
            failed_at: None,
            last_error: None,
            created_at: "2026-01-02T03:04:05.678Z".into(),
        };
        let text = String::from_utf8(build_message(&row, &config()).unwrap().formatted()).unwrap();
        assert!(
            text.contains(
                "List-Unsubscribe: <https://police.example.org/subscriptions/unsubscribe/3.abc>"
            ),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(
            text.contains("text/plain") && text.contains("text/html"),
            "{text}"
        );
        assert!(
            text.contains("https://police.example.org/forces/demo"),
            "{text}"
        );
        assert!(!text.contains(BASE_URL), "{text}");
        assert!(
            text.contains("Message-ID: <bluelamp.outbox.7.20260102030405678@example.org>"),
            "{text}"
        );
    }
}
