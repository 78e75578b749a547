//! The daily follower snapshot: fediverse followers exactly (our own follower
//! rows), e-mail subscribers, feed readers as the aggregators state them, and
//! each connected network's own count through its connector. Taken every hour;
//! the day keeps its last count, so a missed hour loses nothing.

use std::collections::{BTreeSet, HashMap};

use bluelamp_store::analytics::audience;
use bluelamp_store::{connections, forces, Store};
use jiff::Timestamp;

use crate::crosspost::Networks;
use crate::runner::JobOutcome;
use crate::ServiceResult;

/// How often the snapshot is taken.
const EVERY_SECONDS: i64 = 3600;
/// A feed aggregator not seen for this long no longer counts.
const FEED_READER_DAYS: i64 = 2;
/// Aggregators remembered per account, so a stream of made-up agents cannot
/// grow the table without bound.
const MAX_FETCHERS: i64 = 50;

/// Take the snapshot (network calls first, outside any transaction), then come
/// back in an hour.
pub async fn run_job(store: &Store, networks: Option<&dyn Networks>) -> ServiceResult<JobOutcome> {
    take(store, networks).await?;
    Ok(JobOutcome::Postpone(bluelamp_store::format_time(
        bluelamp_store::clock::now() + time::Duration::seconds(EVERY_SECONDS),
    )))
}

/// One snapshot: returns how many (account, channel) counts it recorded.
pub async fn take(store: &Store, networks: Option<&dyn Networks>) -> ServiceResult<usize> {
    let now = bluelamp_store::clock::now();
    let since = bluelamp_store::format_time(now - time::Duration::days(FEED_READER_DAYS));
    let mut counts: Vec<(i64, i64, String, i64)> = Vec::new();
    {
        let mut conn = store.read().await?;
        for channel in ["fediverse", "email", "feeds"] {
            for (account, force, n) in audience::own_counts(&mut conn, channel, &since).await? {
                counts.push((account, force, channel.to_string(), n));
            }
        }
    }
    if let Some(networks) = networks {
        let connected = {
            let mut conn = store.read().await?;
            connections::connected(&mut conn).await?
        };
        for connection in connected {
            let Some(network) = networks.network(&connection.network) else {
                continue;
            };
            let Some(credentials) = crate::crosspost::open(networks, &connection) else {
                continue;
            };
            match network.followers(&credentials, &connection.remote_id).await {
                Ok(Some(n)) => counts.push((
                    connection.account_id.0,
                    connection.force_id.0,
                    connection.network.clone(),
                    n,
                )),
                Ok(None) => {}
                // One network down must not cost the others their snapshot.
                Err(error) => tracing::warn!(
                    connection = connection.id,
                    "follower count from {} failed: {error}",
                    connection.network
                ),
            }
        }
    }
    let mut tx = store.write().await?;
    let mut days: HashMap<i64, String> = HashMap::new();
    for force in forces::list(&mut tx).await? {
        let zone = jiff::tz::TimeZone::get(&force.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let at = Timestamp::from_second(now.unix_timestamp()).unwrap_or(Timestamp::UNIX_EPOCH);
        days.insert(force.id.0, at.to_zoned(zone).date().to_string());
    }
    let mut touched = BTreeSet::new();
    for (account, force, channel, n) in &counts {
        let Some(day) = days.get(force) else { continue };
        audience::record(&mut tx, *account, *force, channel, day, *n).await?;
        touched.insert(*force);
    }
    for force in touched {
        audience::sum_force_day(&mut tx, force, &days[&force]).await?;
    }
    tx.commit().await?;
    Ok(counts.len())
}

/// The subscriber count an aggregator states in its User-Agent, e.g.
/// "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=…)"
/// or "NewsBlur Feed Fetcher - 7 subscribers": (fetcher name, subscribers).
pub fn stated_subscribers(user_agent: &str) -> Option<(String, i64)> {
    let lower = user_agent.to_ascii_lowercase();
    let at = lower
        .find(" subscriber")
        .or_else(|| lower.find(" reader"))?;
    let digits: String = lower[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let n: i64 = digits.parse().ok()?;
    let name: String = user_agent
        .split(['/', '(', ';', ' '])
        .find(|s| !s.is_empty())?
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .take(60)
        .collect();
    (!name.is_empty() && (0..=10_000_000).contains(&n)).then_some((name, n))
}

/// Remember what an aggregator fetching a feed (an account's, or the force's,
/// counted for its first account) says it serves. Anything else is ignored.
pub async fn note_feed_reader(
    store: &Store,
    force_code: &str,
    handle: Option<&str>,
    user_agent: &str,
) -> ServiceResult<()> {
    let Some((fetcher, n)) = stated_subscribers(user_agent) else {
        return Ok(());
    };
    let mut tx = store.write().await?;
    let Ok(force) = bluelamp_store::forces::by_code(&mut tx, force_code).await else {
        return Ok(());
    };
    let account = match handle {
        Some(handle) => {
            match bluelamp_store::accounts::by_handle(&mut tx, force.id, handle).await {
                Ok(account) => account.id.0,
                Err(_) => return Ok(()),
            }
        }
        None => match bluelamp_store::accounts::list(&mut tx, force.id)
            .await?
            .first()
        {
            Some(account) => account.id.0,
            None => return Ok(()),
        },
    };
    let known = audience::fetchers(&mut tx, account).await?;
    if known.iter().any(|f| f == &fetcher) || (known.len() as i64) < MAX_FETCHERS {
        audience::record_feed_reader(&mut tx, account, &fetcher, n).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregators_state_their_subscribers() {
        assert_eq!(
            stated_subscribers("Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; like FeedFetcher-Google)"),
            Some(("Feedly".into(), 42))
        );
        assert_eq!(
            stated_subscribers(
                "NewsBlur Feed Fetcher - 7 subscribers - https://www.newsblur.com/site/1/x"
            ),
            Some(("NewsBlur".into(), 7))
        );
        assert_eq!(
            stated_subscribers("Inoreader/1.0 (15 readers)"),
            Some(("Inoreader".into(), 15))
        );
        assert_eq!(stated_subscribers("Mozilla/5.0 (X11; Linux x86_64)"), None);
        assert_eq!(
            stated_subscribers("Evil/1.0 (99999999999 subscribers)"),
            None
        );
    }
}
