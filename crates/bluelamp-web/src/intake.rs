//! The queue for evidence from the public. After a major incident thousands may
//! send photos and video within the hour; each tip form or tus chunk holds memory,
//! a file handle and, at the end, the database's write lock. Rather than refuse the
//! surplus (losing a witness), at most [`AT_ONCE`] requests write evidence at a
//! time and the rest wait their turn, in arrival order, for up to [`WAIT`]. Only a
//! request still waiting after that is told to come back (503 with Retry-After;
//! tus clients resume from the recorded offset).
//!
//! This is a concurrency bound, not a rate limit: the per-address limits in
//! [`crate::rate_limit`] still decide who may send at all.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Evidence requests handled at once, per server process.
pub const AT_ONCE: usize = 32;
/// How long a request waits for its turn before being asked to retry.
pub const WAIT: Duration = Duration::from_secs(300);
/// What a refused request is told, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 30;

pub struct IntakeQueue {
    turns: Semaphore,
    wait: Duration,
}

impl IntakeQueue {
    pub fn new(at_once: usize, wait: Duration) -> IntakeQueue {
        IntakeQueue {
            // Tokio's semaphore is fair: waiters are served first come, first served.
            turns: Semaphore::new(at_once.max(1)),
            wait,
        }
    }

    /// Wait for a turn; `None` when none came within the wait.
    pub async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        tokio::time::timeout(self.wait, self.turns.acquire())
            .await
            .ok()?
            .ok()
    }
}

/// The process's queue for tips and uploads.
pub fn evidence() -> &'static IntakeQueue {
    static QUEUE: OnceLock<IntakeQueue> = OnceLock::new();
    QUEUE.get_or_init(|| IntakeQueue::new(AT_ONCE, WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_surplus_waits_its_turn_and_only_a_long_wait_is_refused() {
        let queue = std::sync::Arc::new(IntakeQueue::new(1, Duration::from_secs(5)));
        let first = queue.enter().await.expect("a free turn");
        let waiting = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.enter().await.is_some() })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the second request waits");
        drop(first);
        assert!(
            waiting.await.expect("joins"),
            "and gets its turn when the first is done"
        );

        let impatient = IntakeQueue::new(1, Duration::from_millis(20));
        let _held = impatient.enter().await.expect("a free turn");
        assert!(
            impatient.enter().await.is_none(),
            "past the wait it is refused"
        );
    }
}
