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

use bluelamp_domain::{AuditDraft, ForceId, Invalid};
use bluelamp_store::subscriptions::{self as subs, Subscriber};
use bluelamp_store::{accounts, forces, AnyConnection};
use serde::Serialize;

use crate::auth::random_token;
use crate::ServiceResult;

mod confirming;
mod delivery;
mod leaving;
mod messages;
mod queueing;
mod staff;
mod subscribing;

pub use confirming::{confirm, resend_confirmation, ConfirmOutcome};
pub use delivery::{claim_mail, record_delivery, Delivery, DeliveryRecord};
pub use leaving::{
    erase_by_token, unsubscribe, unsubscribe_target, LinkTarget, UnsubscribeOutcome,
};
pub use messages::escape_html as escape_html_text;
pub use messages::escape_html;
pub use queueing::{queue_digests, queue_post_notifications};
pub use staff::{erase, export, ExportedSubscriber};
pub use subscribing::{subscribe, SubscribeRequest};

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
    // ring's HMAC (already in the tree for signatures), not a hand-made one.
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let mut mac = [0u8; 32];
    mac.copy_from_slice(ring::hmac::sign(&key, message).as_ref());
    mac
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
