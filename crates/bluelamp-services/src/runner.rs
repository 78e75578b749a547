//! The one background runner. Every kind of deferred work (scheduled posts and
//! fan-outs in the `jobs` table, the mail outbox, fediverse deliveries) is a
//! [`Queue`]: a name, a way to claim what is due with a lease (the store's one
//! leased-queue claim), run it idempotently and record each outcome with the
//! queue's [`Backoff`](bluelamp_domain::retry::Backoff). The server's runner
//! (`bluelamp_web::workers`) drives them all the same way: straight on while there
//! is work, a short sleep when idle, a logged pause after an error. Work survives
//! restarts because it lives in the database; the runner only picks it up.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What one round of a queue returns: how many items it ran, or why it could not.
pub type Round<'a> = Pin<Box<dyn Future<Output = Result<usize, String>> + Send + 'a>>;

/// One kind of background work.
pub trait Queue: Send + Sync + 'static {
    /// A short name for logs: `jobs`, `mail`, `deliveries`.
    fn kind(&self) -> &'static str;
    /// How long to sleep when nothing was due.
    fn idle(&self) -> Duration;
    /// Claim what is due, run it and record each outcome. Running an item twice
    /// (after a crash, before its outcome was recorded) must do no harm.
    fn run_due(&self) -> Round<'_>;
}

/// What became of one job of the `jobs` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Finished: the job is complete.
    Done,
    /// Not yet: run it again at this (stored-form) time.
    Postpone(String),
}
