//! Delivery bookkeeping for the mail sender: claiming due messages, recording
//! outcomes, counting bounces and suspending addresses that keep bouncing.

use bluelamp_store::subscriptions::OutboxMessage;
use bluelamp_store::{audit, format_time, subscriptions as subs, Store};
use time::OffsetDateTime;

use crate::ServiceResult;

use super::{system_entry, MAX_BOUNCES};

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
