//! Pacing writes to another network under its documented rate limits, ahead of
//! time, rather than sending until it answers 429.
//!
//! A force that cross-posts a storm of incident updates must not have its X or
//! Bluesky account throttled (or flagged as a spam bot) in the middle of it. Each
//! connected account's recent writes are counted against every window the network
//! documents; a write that would go over waits for the first moment it would not.

use std::fmt;
use std::str::FromStr;

/// At most `max` writes in any `seconds`-long window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub seconds: i64,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.max, self.seconds)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a limit is written as writes/seconds, e.g. 100/86400: {0}")]
pub struct BadLimit(pub String);

impl FromStr for Limit {
    type Err = BadLimit;

    /// `100/86400` or `100/86400s`: a positive count over a positive number of
    /// seconds (at most 31 days).
    fn from_str(s: &str) -> Result<Limit, BadLimit> {
        let bad = || BadLimit(s.to_string());
        let (max, seconds) = s.trim().split_once('/').ok_or_else(bad)?;
        let max: u32 = max.trim().parse().map_err(|_| bad())?;
        let seconds: i64 = seconds
            .trim()
            .trim_end_matches('s')
            .parse()
            .map_err(|_| bad())?;
        if max == 0 || !(1..=31 * 86_400).contains(&seconds) {
            return Err(bad());
        }
        Ok(Limit { max, seconds })
    }
}

/// What each network documents for one account's writes (posts, replies,
/// deletions), as of 2026:
/// - Bluesky: 5,000 points an hour and 35,000 a day per account, a create costing
///   3 points (docs.bsky.app, "Rate Limits"); counted here as 3 points per write.
/// - X API v2 `POST /2/tweets`: 200 per 15 minutes per user, and 300 per 3 hours
///   per user shared with reposts (docs.x.com). Lower paid tiers cap the day
///   lower still; a force sets those in `crosspost_limits`.
/// - Facebook Graph API: 200 calls an hour per user of the app (platform rate
///   limits); a Page's own limits are reported in headers and honoured as 429s.
pub fn documented(network: &str) -> &'static [Limit] {
    match network {
        "bluesky" => &[
            Limit {
                max: 5_000 / 3,
                seconds: 3_600,
            },
            Limit {
                max: 35_000 / 3,
                seconds: 86_400,
            },
        ],
        "x" => &[
            Limit {
                max: 200,
                seconds: 900,
            },
            Limit {
                max: 300,
                seconds: 3 * 3_600,
            },
        ],
        "facebook" => &[Limit {
            max: 200,
            seconds: 3_600,
        }],
        _ => &[],
    }
}

/// The longest window among `limits`: writes older than this no longer count.
pub fn horizon(limits: &[Limit]) -> i64 {
    limits.iter().map(|l| l.seconds).max().unwrap_or(0)
}

/// When the next write may go, given the times (Unix seconds, any order) of the
/// account's recent writes: `None` for now, else the first second at which every
/// window has room.
pub fn next_slot(recent: &[i64], now: i64, limits: &[Limit]) -> Option<i64> {
    let mut times: Vec<i64> = recent.to_vec();
    times.sort_unstable_by(|a, b| b.cmp(a));
    let marks: Vec<(Limit, Option<i64>)> = limits
        .iter()
        .map(|limit| {
            let in_window = times.iter().filter(|t| **t > now - limit.seconds);
            (*limit, in_window.copied().nth(limit.max as usize - 1))
        })
        .collect();
    next_slot_from_marks(&marks, now)
}

/// The same decision from each limit's *mark*: the time of the `max`-th newest
/// write inside its window (`None` when the window holds fewer). A store can
/// find each mark with one indexed query instead of reading every write.
pub fn next_slot_from_marks(marks: &[(Limit, Option<i64>)], now: i64) -> Option<i64> {
    marks
        .iter()
        // The mark must leave the window before another write fits.
        .filter_map(|(limit, mark)| mark.map(|t| t + limit.seconds))
        .max()
        .filter(|at| *at > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_A_MINUTE: Limit = Limit {
        max: 2,
        seconds: 60,
    };

    #[test]
    fn room_in_every_window_means_now() {
        assert_eq!(next_slot(&[], 1000, &[TWO_A_MINUTE]), None);
        assert_eq!(next_slot(&[990], 1000, &[TWO_A_MINUTE]), None);
        assert_eq!(next_slot(&[900, 930], 1000, &[TWO_A_MINUTE]), None);
    }

    #[test]
    fn a_full_window_waits_for_its_oldest_write_to_leave() {
        assert_eq!(next_slot(&[970, 990], 1000, &[TWO_A_MINUTE]), Some(1030));
        assert_eq!(
            next_slot(&[990, 970, 995], 1000, &[TWO_A_MINUTE]),
            Some(1050)
        );
    }

    #[test]
    fn the_strictest_window_decides() {
        let hourly = Limit {
            max: 3,
            seconds: 3600,
        };
        // Room in the minute, none in the hour: wait for the hour's oldest.
        assert_eq!(
            next_slot(&[100, 200, 900], 1000, &[TWO_A_MINUTE, hourly]),
            Some(3700)
        );
    }

    #[test]
    fn pacing_a_burst_never_exceeds_any_window() {
        let limits = [
            TWO_A_MINUTE,
            Limit {
                max: 5,
                seconds: 600,
            },
        ];
        let mut sent: Vec<i64> = Vec::new();
        let mut now = 0;
        while sent.len() < 40 {
            match next_slot(&sent, now, &limits) {
                None => sent.push(now),
                Some(at) => now = at,
            }
        }
        for limit in limits {
            for &start in &sent {
                let n = sent
                    .iter()
                    .filter(|t| **t >= start && **t < start + limit.seconds)
                    .count();
                assert!(n <= limit.max as usize, "{n} in {limit} from {start}");
            }
        }
    }

    #[test]
    fn limits_are_read_and_bad_ones_refused() {
        assert_eq!(
            "17/86400".parse(),
            Ok(Limit {
                max: 17,
                seconds: 86_400
            })
        );
        assert_eq!(" 2/60s ".parse(), Ok(TWO_A_MINUTE));
        for bad in ["", "17", "0/60", "5/0", "x/60", "5/99999999", "-1/60"] {
            assert!(bad.parse::<Limit>().is_err(), "{bad}");
        }
        assert!(documented("bluesky").iter().all(|l| l.max > 0));
        assert!(documented("mastodon").is_empty());
    }
}
