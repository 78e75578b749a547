//! The one keyed rate limiter: a token bucket per key (a client address, an
//! e-mail hash, a remote host), in memory and per process. It protects this
//! machine and slows guessing; it is not an accounting record (the per-account
//! lockout in the database is the control that matters for passwords).
//!
//! Two ways to use it: [`KeyedLimiter::allow`] spends a token on every request
//! (flood control); to count only failures, a caller takes a token with `allow`
//! before trying and gives it back with [`KeyedLimiter::refund`] when the attempt
//! succeeds, so a busy shared address is never refused for doing things right.
//! (Taking first, rather than checking and charging afterwards, means a burst of
//! parallel attempts cannot all slip past the check before any is counted.)

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Above this many keys, buckets that have refilled completely are forgotten
/// (a full bucket is the same as no bucket), bounding memory against a flood
/// of made-up keys.
const PRUNE_ABOVE: usize = 100_000;

pub struct KeyedLimiter<K> {
    /// Tokens added per second.
    rate: f64,
    /// Most tokens a bucket holds: the burst allowed after a quiet spell.
    capacity: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq> KeyedLimiter<K> {
    /// `burst` tokens at most, refilled at `per_second`.
    pub fn new(burst: u32, per_second: f64) -> KeyedLimiter<K> {
        KeyedLimiter {
            rate: per_second.max(f64::MIN_POSITIVE),
            capacity: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `count` tokens per `seconds`, all of which may be used at once.
    pub fn per_window(count: u32, seconds: u64) -> KeyedLimiter<K> {
        Self::new(count, f64::from(count.max(1)) / (seconds.max(1) as f64))
    }

    /// Run `f` on the key's bucket, refilled to now. A new key starts full.
    fn with_bucket<Q, R>(&self, key: &Q, f: impl FnOnce(&mut f64) -> R) -> R
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-update; the
        // map is still usable.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            let (rate, capacity) = (self.rate, self.capacity);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < capacity
            });
        }
        if !buckets.contains_key(key) {
            buckets.insert(key.to_owned(), (self.capacity, now));
        }
        let Some((tokens, at)) = buckets.get_mut(key) else {
            // Inserted just above, under the same lock.
            let mut full = self.capacity;
            return f(&mut full);
        };
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.capacity);
        *at = now;
        f(tokens)
    }

    /// Take one token for `key`; `false` (and nothing taken) when none is left.
    pub fn allow<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        self.with_bucket(key, |tokens| {
            if *tokens >= 1.0 {
                *tokens -= 1.0;
                true
            } else {
                false
            }
        })
    }

    /// Give back a token taken by [`KeyedLimiter::allow`] for an attempt that
    /// turned out not to count (it succeeded), up to the bucket's size.
    pub fn refund<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let capacity = self.capacity;
        self.with_bucket(key, |tokens| *tokens = (*tokens + 1.0).min(capacity));
    }
}

#[cfg(test)]
mod tests {
    use super::KeyedLimiter;

    #[test]
    fn a_key_gets_its_burst_then_is_refused_while_others_are_not() {
        let limiter = KeyedLimiter::<String>::new(3, 0.001);
        for _ in 0..3 {
            assert!(limiter.allow("busy"));
        }
        assert!(!limiter.allow("busy"));
        assert!(limiter.allow("quiet"));
    }

    #[test]
    fn refunded_attempts_do_not_use_up_the_budget() {
        let limiter = KeyedLimiter::<u32>::per_window(2, 300);
        for _ in 0..10 {
            assert!(limiter.allow(&1));
            limiter.refund(&1);
        }
        assert!(limiter.allow(&1));
        assert!(limiter.allow(&1));
        assert!(!limiter.allow(&1));
        assert!(limiter.allow(&2));
        // A refund never grows a bucket past its size.
        for _ in 0..5 {
            limiter.refund(&3);
        }
        assert!(limiter.allow(&3) && limiter.allow(&3) && !limiter.allow(&3));
    }

    #[test]
    fn tokens_come_back_with_time() {
        let limiter = KeyedLimiter::<u32>::new(1, 1000.0);
        assert!(limiter.allow(&7));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(limiter.allow(&7));
    }
}
