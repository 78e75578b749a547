//! Follower snapshots: the counts the snapshot job reads from our own tables
//! (fediverse followers, e-mail subscribers, feed readers) and the daily rows it
//! writes, per account and summed per force.

use sqlx::{AnyConnection, Row};

use crate::Result;

/// (account, force, followers) for every account, from rows we hold ourselves.
pub async fn own_counts(
    conn: &mut AnyConnection,
    channel: &str,
    since: &str,
) -> Result<Vec<(i64, i64, i64)>> {
    let sql = match channel {
        "fediverse" => {
            "SELECT a.id AS account_id, a.force_id, COUNT(f.id) AS n FROM accounts a \
             LEFT JOIN followers f ON f.account_id = a.id WHERE $1 <> '' GROUP BY a.id, a.force_id"
        }
        // Force-wide subscribers count for the force's first account.
        "email" => {
            "SELECT COALESCE(s.account_id, (SELECT MIN(id) FROM accounts x WHERE x.force_id = s.force_id)) \
             AS account_id, s.force_id, COUNT(*) AS n FROM subscribers s \
             WHERE s.status = 'confirmed' AND $1 <> '' GROUP BY 1, s.force_id"
        }
        _ => {
            "SELECT r.account_id, a.force_id, CAST(SUM(r.subscribers) AS BIGINT) AS n FROM feed_readers r \
             JOIN accounts a ON a.id = r.account_id WHERE r.seen_at >= $1 GROUP BY r.account_id, a.force_id"
        }
    };
    let rows = sqlx::query(sql).bind(since).fetch_all(&mut *conn).await?;
    rows.iter()
        .filter_map(|r| {
            let account: Option<i64> = r.try_get("account_id").ok()?;
            Some(account.map(|a| -> Result<_> { Ok((a, r.try_get("force_id")?, r.try_get("n")?)) }))
        })
        .flatten()
        .collect()
}

/// The aggregators known for an account's feed.
pub async fn fetchers(conn: &mut AnyConnection, account: i64) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT fetcher FROM feed_readers WHERE account_id = $1")
        .bind(account)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("fetcher")?)).collect()
}

/// An aggregator's stated subscriber count for an account's feed.
pub async fn record_feed_reader(
    conn: &mut AnyConnection,
    account: i64,
    fetcher: &str,
    subscribers: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO feed_readers (account_id, fetcher, subscribers, seen_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id, fetcher) DO UPDATE SET subscribers = excluded.subscribers, \
         seen_at = excluded.seen_at",
    )
    .bind(account)
    .bind(fetcher)
    .bind(subscribers)
    .bind(crate::now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The day's follower count of one account on one channel (the latest wins).
pub async fn record(
    conn: &mut AnyConnection,
    account: i64,
    force: i64,
    channel: &str,
    day: &str,
    followers: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audience_daily (account_id, force_id, channel, day, followers) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, channel, day) \
         DO UPDATE SET followers = excluded.followers",
    )
    .bind(account)
    .bind(force)
    .bind(channel)
    .bind(day)
    .bind(followers)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Re-sum a force's day from its accounts' rows.
pub async fn sum_force_day(conn: &mut AnyConnection, force: i64, day: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO audience_force_daily (force_id, channel, day, followers) \
         SELECT force_id, channel, day, SUM(followers) FROM audience_daily \
         WHERE force_id = $1 AND day = $2 GROUP BY force_id, channel, day \
         ON CONFLICT (force_id, channel, day) DO UPDATE SET followers = excluded.followers",
    )
    .bind(force)
    .bind(day)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
