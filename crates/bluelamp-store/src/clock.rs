//! The one clock every "now" of the server reads (stored times, due jobs,
//! scheduling). Tests move it to walk a scheduled post across a clock change
//! without waiting for one; nothing in production sets it.

use std::sync::atomic::{AtomicI64, Ordering};

static OFFSET_SECONDS: AtomicI64 = AtomicI64::new(0);

/// Now, in UTC.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
        + time::Duration::seconds(OFFSET_SECONDS.load(Ordering::Relaxed))
}

/// Now, as seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    now().unix_timestamp()
}

/// TEST ONLY: make the process's clock read `at` (seconds since the epoch) from
/// now on, running on from there. The whole process shares it, so a test that
/// moves it runs alone in its test binary.
pub fn pretend_it_is(at: i64) {
    let real = time::OffsetDateTime::now_utc().unix_timestamp();
    OFFSET_SECONDS.store(at - real, Ordering::Relaxed);
}
