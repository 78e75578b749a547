//! Background work in the server process: running due jobs (scheduled posts) from
//! the durable job table. Jobs survive restarts because they live in the database;
//! this loop only picks them up.

use std::time::Duration;

use bluelamp_store::Store;

/// How often the job table is polled. Scheduled posts go out within this much of
/// their time.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// Run due jobs until the process ends.
pub fn spawn(store: Store) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match bluelamp_services::jobs::run_due(&store).await {
                Ok(0) => tokio::time::sleep(POLL_EVERY).await,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!("running due jobs failed: {error}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}
