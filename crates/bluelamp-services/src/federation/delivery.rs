//! The sender's bookkeeping: actor keys, claiming deliveries, recording outcomes
//! and keeping the built activity JSON.

use bluelamp_domain::AccountId;
use bluelamp_store::federation::DeliveryResult;
use bluelamp_store::{federation as fed, Store};

use crate::{ServiceError, ServiceResult};

/// Store a freshly generated key pair for an account (first stored wins) and
/// return the pair in effect.
pub async fn save_actor_key(
    store: &Store,
    account: AccountId,
    private_pem: &str,
    public_pem: &str,
) -> ServiceResult<fed::ActorKey> {
    let mut tx = store.write().await?;
    fed::insert_actor_key(&mut tx, account, private_pem, public_pem).await?;
    let key = fed::actor_key(&mut tx, account)
        .await?
        .ok_or(ServiceError::Internal("actor key vanished".into()))?;
    tx.commit().await?;
    Ok(key)
}

pub async fn claim_deliveries(
    store: &Store,
    limit: i64,
    lease_seconds: i64,
) -> ServiceResult<Vec<fed::Delivery>> {
    let mut tx = store.write().await?;
    let claimed = fed::claim_deliveries(&mut tx, store.backend(), limit, lease_seconds).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// At start, on the embedded SQLite store (which one server process owns), take
/// back the deliveries a crashed run had claimed, so they go out now rather than
/// when their lease would have ended. On PostgreSQL other nodes may hold live
/// leases: there the lease simply runs out.
pub async fn recover_deliveries_after_restart(store: &Store) -> ServiceResult<u64> {
    if store.backend() != bluelamp_store::Backend::Sqlite {
        return Ok(0);
    }
    let mut tx = store.write().await?;
    let released = fed::release_delivery_leases(&mut tx).await?;
    tx.commit().await?;
    Ok(released)
}

/// Record a batch of outcomes in one transaction (one commit per batch keeps
/// the queue fast on SQLite).
pub async fn record_deliveries(
    store: &Store,
    results: &[(i64, DeliveryResult)],
) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    for (id, result) in results {
        fed::record_delivery(&mut tx, *id, result).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Keep the built JSON of an outbound activity (first writer wins).
pub async fn save_outbound_body(store: &Store, id: i64, body: &str) -> ServiceResult<String> {
    let mut tx = store.write().await?;
    fed::set_outbound_body(&mut tx, id, body).await?;
    let stored = fed::outbound(&mut tx, id)
        .await?
        .body
        .unwrap_or_else(|| body.to_owned());
    tx.commit().await?;
    Ok(stored)
}
