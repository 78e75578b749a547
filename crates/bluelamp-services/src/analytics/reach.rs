//! The reach job: how many people the remote accounts that amplify ours reach,
//! read from their followers collections. Network work, so it runs before any
//! transaction opens; a server that will not say is not asked again.

use bluelamp_store::analytics::reach;
use bluelamp_store::Store;

use crate::federation::MentionResolver;
use crate::runner::JobOutcome;
use crate::ServiceResult;

/// Accounts looked up per round.
const BATCH: i64 = 20;
/// How soon the job looks again when nothing was waiting.
const IDLE_SECONDS: i64 = 60;

pub async fn run_job(store: &Store, lookups: &dyn MentionResolver) -> ServiceResult<JobOutcome> {
    let done = look_up(store, lookups).await?;
    let wait = if done as i64 >= BATCH {
        0
    } else {
        IDLE_SECONDS
    };
    Ok(JobOutcome::Postpone(bluelamp_store::format_time(
        bluelamp_store::clock::now() + time::Duration::seconds(wait),
    )))
}

/// Look up the waiting accounts; returns how many were looked up.
pub async fn look_up(store: &Store, lookups: &dyn MentionResolver) -> ServiceResult<usize> {
    let waiting = {
        let mut conn = store.read().await?;
        reach::waiting(&mut conn, BATCH).await?
    };
    let mut found = Vec::with_capacity(waiting.len());
    for actor in &waiting {
        found.push((actor, lookups.followers_of(actor).await));
    }
    let mut tx = store.write().await?;
    for (actor, followers) in &found {
        reach::record(&mut tx, actor, *followers).await?;
    }
    tx.commit().await?;
    Ok(found.len())
}
