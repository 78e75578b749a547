//! Running due jobs from the durable job table (scheduled posts, fediverse
//! fan-outs): one of the runner's queues ([`JobQueue`]); each job runs in its own
//! transaction with its effects.

use std::sync::Arc;
use std::time::Duration;

use bluelamp_domain::retry::Backoff;
use bluelamp_store::{jobs, Store};

use crate::audit::checkpoints::{CheckpointSettings, CHECKPOINT_JOB};
use crate::posts;
use crate::runner::JobOutcome;
use crate::runner::{Queue, Round};
use crate::{ServiceError, ServiceResult};

/// A failed job waits 10 s, 20 s, 40 s ... at most six hours.
pub const BACKOFF: Backoff = Backoff::Doubling {
    first: 10,
    cap: 6 * 3600,
};

/// How often the job table is looked at when idle: scheduled posts go out within
/// this much of their time.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// The `jobs` table as a queue of the runner.
pub struct JobQueue {
    pub store: Store,
    pub resolver: Arc<dyn crate::federation::MentionResolver + Send + Sync>,
    /// The signing key and folder for audit checkpoints, where this process has them.
    pub checkpoints: Option<CheckpointSettings>,
    /// Sends the force's webhooks (the web layer's HTTP client).
    pub webhooks: Arc<dyn crate::webhooks::WebhookSender>,
}

impl Queue for JobQueue {
    fn kind(&self) -> &'static str {
        "jobs"
    }

    fn idle(&self) -> Duration {
        POLL_EVERY
    }

    fn run_due(&self) -> Round<'_> {
        Box::pin(async move {
            run_due_in(
                &self.store,
                self.resolver.as_ref(),
                self.checkpoints.as_ref(),
                self.webhooks.as_ref(),
            )
            .await
            .map_err(|e| e.to_string())
        })
    }
}

/// Claim and run the jobs that are due, resolving no mentions (for runners
/// without network access); returns how many ran.
pub async fn run_due(store: &Store) -> ServiceResult<usize> {
    run_due_with(store, &crate::federation::NoResolver).await
}

/// Claim and run the jobs that are due; a fan-out first resolves the post's
/// mentions through `resolver`. Returns how many ran. Audit checkpoints are
/// left for a runner that has their settings ([`run_due_in`]).
pub async fn run_due_with(
    store: &Store,
    resolver: &dyn crate::federation::MentionResolver,
) -> ServiceResult<usize> {
    run_due_in(store, resolver, None, &crate::webhooks::NoSender).await
}

/// [`run_due_with`], also writing audit checkpoints with `checkpoints` (the
/// server's signing key and checkpoint folder).
pub async fn run_due_in(
    store: &Store,
    resolver: &dyn crate::federation::MentionResolver,
    checkpoints: Option<&CheckpointSettings>,
    webhooks: &dyn crate::webhooks::WebhookSender,
) -> ServiceResult<usize> {
    let claimed = {
        let mut tx = store.write().await?;
        let claimed = jobs::claim_due(&mut tx, store.backend(), 20, 60).await?;
        tx.commit().await?;
        claimed
    };
    for job in &claimed {
        if job.kind == crate::federation::FANOUT_JOB {
            // Network work, before the job's transaction opens: a slow remote
            // server must not hold the (SQLite: only) writer. A failure only
            // leaves mentions as plain text.
            if let Err(error) =
                crate::federation::resolve_mentions_for_job(store, job, resolver).await
            {
                tracing::warn!(job.id = job.id, "resolving mentions failed: {error}");
            }
        }
        // A checkpoint reads the heads and writes a file; it needs no
        // transaction, and must not hold the (SQLite: only) writer meanwhile.
        let early = match job.kind.as_str() {
            CHECKPOINT_JOB => Some(crate::audit::checkpoints::run_job(store, checkpoints).await),
            // Network work too: never inside a transaction.
            crate::webhooks::WEBHOOK_JOB => {
                Some(crate::webhooks::deliver(store, webhooks, job).await)
            }
            crate::web_push::PUSH_JOB => Some(crate::web_push::deliver(store, webhooks, job).await),
            crate::analytics::REACH_JOB => {
                Some(crate::analytics::reach::run_job(store, resolver).await)
            }
            crate::analytics::SNAPSHOT_JOB => {
                Some(crate::analytics::snapshot::run_job(store, webhooks.networks()).await)
            }
            kind @ (crate::crosspost::SEND_JOB
            | crate::crosspost::DELETE_JOB
            | crate::crosspost::CORRECT_JOB
            | crate::crosspost::INBOUND_JOB) => Some(match webhooks.networks() {
                None => Err(ServiceError::Internal(
                    "this runner has no network connectors".into(),
                )),
                Some(networks) => match kind {
                    crate::crosspost::SEND_JOB => {
                        crate::crosspost::send(store, networks, job).await
                    }
                    crate::crosspost::DELETE_JOB => {
                        crate::crosspost::remove(store, networks, job).await
                    }
                    crate::crosspost::CORRECT_JOB => {
                        crate::crosspost::correct(store, networks, job).await
                    }
                    _ => crate::crosspost::inbound(store, networks, job).await,
                },
            }),
            _ => None,
        };
        let mut tx = store.write().await?;
        let outcome = match (early, job.kind.as_str()) {
            (Some(outcome), _) => outcome,
            (None, posts::PUBLISH_JOB) => posts::publish_due(&mut tx, job).await,
            (None, crate::federation::FANOUT_JOB) => crate::federation::fan_out(&mut tx, job).await,
            (None, crate::analytics::COUNT_JOB) => crate::analytics::count::run_job(&mut tx).await,
            (None, other) => Err(ServiceError::Internal(format!(
                "unknown job kind '{other}'"
            ))),
        };
        match outcome {
            Ok(JobOutcome::Done) => {
                jobs::complete(&mut tx, job.id).await?;
                tx.commit().await?;
            }
            Ok(JobOutcome::Postpone(at)) => {
                jobs::postpone(&mut tx, job.id, &at).await?;
                tx.commit().await?;
            }
            Err(error) => {
                // Roll back the job's partial effects, then record the failure.
                tx.rollback().await?;
                tracing::warn!(job.id = job.id, job.kind = %job.kind, "job {} failed: {error}", job.id);
                let mut tx = store.write().await?;
                let retry = (job.attempts < job.max_attempts).then(|| {
                    bluelamp_store::format_time(
                        bluelamp_store::clock::now()
                            + time::Duration::seconds(BACKOFF.seconds_after(job.attempts)),
                    )
                });
                jobs::fail(&mut tx, job.id, &error.to_string(), retry.as_deref()).await?;
                if retry.is_none() && job.kind == posts::PUBLISH_JOB {
                    // A scheduled post that will not go out: its author must know.
                    if let Some(post) = job.payload["post_id"].as_i64() {
                        crate::staff_notifications::on_publish_failed(
                            &mut tx,
                            post,
                            &error.to_string(),
                        )
                        .await?;
                    }
                }
                if retry.is_none() && job.kind == crate::crosspost::SEND_JOB {
                    crate::crosspost::on_gave_up(&mut tx, job, &error.to_string()).await?;
                }
                tx.commit().await?;
            }
        }
    }
    Ok(claimed.len())
}
