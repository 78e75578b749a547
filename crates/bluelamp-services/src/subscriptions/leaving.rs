//! Leaving: the unsubscribe link's page, one-click unsubscribe and erasure by the subscriber.

use bluelamp_domain::ForceId;
use bluelamp_store::subscriptions::Subscriber;
use bluelamp_store::{audit, subscriptions as subs, AnyConnection, Store};

use crate::ServiceResult;

use super::{mask_email, public_entry, scope_label, verify_unsubscribe, KEY_NAME};

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

pub(super) async fn erase_address(
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

pub(super) fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
