//! Background work in the server process: running due jobs (scheduled posts,
//! federation fan-outs, audit checkpoints) from the durable job table. Jobs survive restarts because
//! they live in the database; this loop only picks them up. A fan-out first
//! resolves the post's mentions over the network ([`crate::federation::mentions`]).

use std::time::Duration;

use crate::federation::mentions::WebResolver;
use crate::AppState;

/// How often the job table is polled. Scheduled posts go out within this much of
/// their time.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// Run due jobs until the process ends.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let store = state.store.clone();
        let resolver = WebResolver { state };
        loop {
            let checkpoints = resolver.state.config.audit_checkpoints.as_ref();
            match bluelamp_services::jobs::run_due_in(&store, &resolver, checkpoints).await {
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
