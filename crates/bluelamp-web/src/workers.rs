//! The one background runner of the server process. It drives every queue of
//! deferred work the same way (see `bluelamp_services::runner::Queue`): the `jobs`
//! table (scheduled posts, fediverse fan-outs, whose mentions are resolved over the
//! network by [`crate::federation::mentions`], and audit checkpoints), the fediverse
//! deliveries, and the mail outbox when mail is configured.

use std::sync::Arc;
use std::time::Duration;

use bluelamp_services::jobs::JobQueue;
use bluelamp_services::runner::Queue;

use crate::federation::mentions::WebResolver;
use crate::AppState;

pub use bluelamp_services::jobs::POLL_EVERY;

/// How long a queue waits after a failed round (a database hiccup, say).
pub const AFTER_ERROR: Duration = Duration::from_secs(1);

/// The running runner; dropping it (or [`Runner::stop`]) stops every queue.
pub struct Runner {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Runner {
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Drive every queue until the runner is stopped. Each queue has its own task, so
/// a slow mail relay never delays a scheduled post.
pub fn run(queues: Vec<Arc<dyn Queue>>) -> Runner {
    let tasks = queues
        .into_iter()
        .map(|queue| {
            tokio::spawn(async move {
                loop {
                    match queue.run_due().await {
                        Ok(0) => tokio::time::sleep(queue.idle()).await,
                        Ok(_) => tokio::task::yield_now().await,
                        Err(error) => {
                            tracing::warn!(
                                queue = queue.kind(),
                                "background round failed: {error}"
                            );
                            tokio::time::sleep(AFTER_ERROR).await;
                        }
                    }
                }
            })
        })
        .collect();
    Runner { tasks }
}

/// The server's own queues: the job table and the fediverse deliveries, plus
/// `extra` (the mail outbox, when the binary has a mail relay configured).
pub async fn spawn(state: AppState, extra: Vec<Arc<dyn Queue>>) -> Runner {
    let mut queues: Vec<Arc<dyn Queue>> = vec![
        Arc::new(JobQueue {
            store: state.store.clone(),
            checkpoints: state.config.audit_checkpoints.clone(),
            resolver: Arc::new(WebResolver {
                state: state.clone(),
            }),
            webhooks: Arc::new(
                crate::webhooks::HttpWebhooks::with_contact(&state.config.public_base_url)
                    .with_networks(state.networks.clone()),
            ),
        }),
        Arc::new(crate::federation::worker::DeliveryQueue::start(state).await),
    ];
    queues.extend(extra);
    run(queues)
}
