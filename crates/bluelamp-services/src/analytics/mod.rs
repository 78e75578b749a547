//! Reach, response, style and campaigns (stories 11, 12 and 15).
//!
//! Figures come from roll-ups kept as data arrives: one recurring counting job
//! ([`count`]) takes in what is new and a daily follower snapshot ([`snapshot`])
//! records audiences. The dashboards ([`dashboards`], [`campaigns`]) read only
//! roll-ups, so their cost depends on the period asked for, never on how much
//! history the server holds.

pub mod campaigns;
pub mod count;
pub mod dashboards;
mod period;
pub mod reach;
pub mod snapshot;

pub use period::Period;

use bluelamp_store::{jobs, Store};

use crate::ServiceResult;

/// The recurring counting job.
pub const COUNT_JOB: &str = "analytics_count";
/// The recurring follower snapshot.
pub const SNAPSHOT_JOB: &str = "analytics_snapshot";
/// The recurring lookup of amplifiers' reach.
pub const REACH_JOB: &str = "analytics_reach";

/// Make sure both recurring jobs exist (a no-op while they do). The server calls
/// this at start; each job then reschedules itself.
pub async fn schedule(store: &Store) -> ServiceResult<()> {
    schedule_jobs(store, &[COUNT_JOB, SNAPSHOT_JOB, REACH_JOB]).await
}

/// Only the counting job and the reach lookups: for a process whose audiences
/// are written otherwise (the tests, which seed their own follower history).
pub async fn schedule_counting(store: &Store) -> ServiceResult<()> {
    schedule_jobs(store, &[COUNT_JOB, REACH_JOB]).await
}

async fn schedule_jobs(store: &Store, kinds: &[&str]) -> ServiceResult<()> {
    let mut tx = store.write().await?;
    let now = bluelamp_store::now_text();
    for kind in kinds {
        // Failures retry with backoff; the successes postpone and use no try.
        jobs::enqueue(
            &mut tx,
            kind,
            &serde_json::json!({}),
            &now,
            Some(kind),
            1_000_000,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Shift of a local hour: early 07-15, late 15-23, night 23-07.
pub fn shift_of(hour: i8) -> &'static str {
    match hour {
        7..=14 => "early",
        15..=22 => "late",
        _ => "night",
    }
}

pub const SHIFTS: [&str; 3] = ["early", "late", "night"];
