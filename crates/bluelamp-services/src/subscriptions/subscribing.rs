//! Subscribing: the public double opt-in request, its per-day mail throttle,
//! and queueing one rendered message for a subscriber.

use bluelamp_store::subscriptions::Subscriber;
use bluelamp_store::{
    accounts, audit, forces, format_time, now_text, subscriptions as subs, AnyConnection, Store,
};
use time::OffsetDateTime;

use crate::auth::{random_token, sha256_hex};
use crate::ServiceResult;

use super::messages::{render_already_subscribed, render_confirmation, unsubscribe_path, Rendered};
use super::{
    normalize_email, public_entry, scope_label, unsubscribe_token, write_key, Mode, CONFIRM_HOURS,
    CONFIRM_SENDS_PER_DAY, MAX_ATTEMPTS,
};

/// What the public subscribe form sends.
#[derive(Debug, Clone)]
pub struct SubscribeRequest {
    pub force_code: String,
    /// `None`: every account of the force.
    pub account_handle: Option<String>,
    pub email: String,
    pub mode: String,
    /// Postcode districts to follow ("LL29, LL22"); blank: everything. Posts about an
    /// incident or appeal in other districts are then not sent.
    pub areas: Option<String>,
    /// Topics to follow (incidents, appeals, news); none ticked: all of them.
    pub topics: Vec<String>,
    /// An area drawn on a map, as a GeoJSON Polygon; blank: none.
    pub area_geojson: Option<String>,
}

/// Subscribe an address (double opt-in). Answers `Ok(())` whether the address
/// was new, pending, already subscribed or throttled, so the answer reveals
/// nothing; only bad input (a malformed address, an unknown force or account)
/// is an error.
pub async fn subscribe(store: &Store, request: &SubscribeRequest) -> ServiceResult<()> {
    let email = normalize_email(&request.email)?;
    let mode = Mode::parse(&request.mode)?;
    let areas = bluelamp_domain::incident::parse_districts(request.areas.as_deref().unwrap_or(""))?;
    let areas = (!areas.is_empty()).then(|| areas.join(","));
    let topics = bluelamp_domain::alert::parse_topics(request.topics.iter().map(String::as_str))?;
    // All three ticked is the same as none: follow everything.
    let topics = (!topics.is_empty() && topics.len() < bluelamp_domain::alert::TOPICS.len())
        .then(|| topics.join(","));
    let drawn =
        bluelamp_domain::alert::parse_drawn_area(request.area_geojson.as_deref().unwrap_or(""))?;
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
    let filter = subs::AlertFilter {
        areas: areas.as_deref(),
        topics: topics.as_deref(),
        area_geojson: drawn.as_deref(),
    };
    subs::set_filter(&mut tx, subscriber.id, filter).await?;
    let scope = scope_label(&mut tx, &subscriber).await?;
    let mut scope = match &topics {
        Some(list) => format!("{} from {scope}", list.replace(',', " and ")),
        None => scope,
    };
    match (&areas, &drawn) {
        (Some(list), None) => scope.push_str(&format!(
            ", in postcode districts {}",
            list.replace(',', ", ")
        )),
        (None, Some(_)) => scope.push_str(", in the area you drew"),
        (Some(list), Some(_)) => scope.push_str(&format!(
            ", in postcode districts {} or the area you drew",
            list.replace(',', ", ")
        )),
        (None, None) => {}
    }
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
pub(super) fn throttle(subscriber: &Subscriber, now: OffsetDateTime) -> Option<(i64, String)> {
    let day_ago = format_time(now - time::Duration::hours(24));
    match subscriber.confirm_window_start.as_deref() {
        Some(start) if start > day_ago.as_str() => (subscriber.confirm_sends
            < CONFIRM_SENDS_PER_DAY)
            .then(|| (subscriber.confirm_sends + 1, start.to_string())),
        _ => Some((1, format_time(now))),
    }
}

pub(super) async fn queue(
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
