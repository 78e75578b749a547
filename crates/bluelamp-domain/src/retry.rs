//! How long background work waits before trying again after a failure. One policy
//! type for every queue (scheduled jobs, the mail outbox, fediverse deliveries),
//! each choosing its own curve.

/// A retry curve: the wait after failed attempt number `attempts` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// `first` seconds, doubling each time, never more than `cap`: for our own
    /// work and our own relay, which recover quickly or need a person.
    Doubling { first: i64, cap: i64 },
    /// `attempts⁴ + offset` seconds (16 s, 31 s, 96 s ... about two days over 15
    /// retries): for other people's servers, which may be down for a day.
    Quartic { offset: i64 },
}

impl Backoff {
    /// Seconds to wait after failed attempt number `attempts` (1-based; smaller
    /// numbers count as the first).
    pub fn seconds_after(self, attempts: i64) -> i64 {
        let attempts = attempts.max(1);
        match self {
            Backoff::Doubling { first, cap } => {
                let doublings = (attempts - 1).min(40) as u32;
                first
                    .saturating_mul(1i64.checked_shl(doublings).unwrap_or(i64::MAX))
                    .min(cap)
            }
            Backoff::Quartic { offset } => attempts
                .min(10_000)
                .saturating_pow(4)
                .saturating_add(offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_is_capped_and_quartic_spans_about_two_days_over_fifteen_retries() {
        let jobs = Backoff::Doubling {
            first: 10,
            cap: 6 * 3600,
        };
        assert_eq!(jobs.seconds_after(0), 10);
        assert_eq!(jobs.seconds_after(1), 10);
        assert_eq!(jobs.seconds_after(2), 20);
        assert_eq!(jobs.seconds_after(5), 160);
        assert_eq!(jobs.seconds_after(64), 6 * 3600);
        let remote = Backoff::Quartic { offset: 15 };
        assert_eq!(remote.seconds_after(1), 16);
        let total: i64 = (1..=15).map(|n| remote.seconds_after(n)).sum();
        assert!((170_000..190_000).contains(&total), "{total}");
    }
}
