//! Confirming a subscription from its link, and sending a fresh link when it expired.

use bluelamp_store::{audit, format_time, now_text, subscriptions as subs, Store};
use time::OffsetDateTime;

use crate::auth::{random_token, sha256_hex};
use crate::ServiceResult;

use super::messages::render_confirmation;
use super::subscribing::{queue, throttle};
use super::{public_entry, scope_label, unsubscribe_token, write_key, CONFIRM_HOURS};

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
