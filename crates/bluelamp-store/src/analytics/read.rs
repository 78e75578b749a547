//! The dashboards' reads. Each is an index range over a roll-up table, bounded
//! by the period asked for; none touches the raw posts, reactions or messages
//! (except one post's own reactions, by its index).

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::Result;

/// Followers of one force (or all, `None`) per channel and day, on every day of
/// the period or (`days`) only on those.
pub async fn audience_days(
    conn: &mut AnyConnection,
    force: Option<i64>,
    from: &str,
    to: &str,
    days: Option<&[String]>,
) -> Result<Vec<(i64, String, String, i64)>> {
    let only = match days {
        Some(days) if !days.is_empty() => format!(
            " AND day IN ({})",
            (0..days.len())
                .map(|i| format!("${}", i + 5))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT force_id, channel, day, followers FROM audience_force_daily \
         WHERE day >= $1 AND day <= $2 AND ($3 = 0 OR force_id = $4){only} ORDER BY day"
    );
    let mut query = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .bind(i64::from(force.is_some()))
        .bind(force.unwrap_or(0));
    for day in days.unwrap_or_default() {
        query = query.bind(day.as_str());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("force_id")?,
                r.try_get("channel")?,
                r.try_get("day")?,
                r.try_get("followers")?,
            ))
        })
        .collect()
}

/// Each account's followers per channel on one day.
pub async fn audience_accounts(
    conn: &mut AnyConnection,
    force: i64,
    day: &str,
) -> Result<Vec<(i64, String, i64)>> {
    let rows = sqlx::query(
        "SELECT account_id, channel, followers FROM audience_daily WHERE force_id = $1 AND day = $2",
    )
    .bind(force)
    .bind(day)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("account_id")?,
                r.try_get("channel")?,
                r.try_get("followers")?,
            ))
        })
        .collect()
}

/// What each account of a force published and drew in a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Activity {
    pub account_id: i64,
    pub posts: i64,
    pub replies: i64,
    pub likes: i64,
    pub boosts: i64,
}

pub async fn activity_by_account(
    conn: &mut AnyConnection,
    force: i64,
    from: &str,
    to: &str,
) -> Result<Vec<Activity>> {
    let rows = sqlx::query(
        "SELECT account_id, CAST(SUM(posts) AS BIGINT) AS posts, CAST(SUM(replies) AS BIGINT) AS replies, CAST(SUM(likes) AS BIGINT) AS likes, \
         CAST(SUM(boosts) AS BIGINT) AS boosts FROM stats_account_day WHERE force_id = $1 AND day >= $2 AND day <= $3 \
         GROUP BY account_id ORDER BY account_id",
    )
    .bind(force)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Activity {
                account_id: r.try_get("account_id")?,
                posts: r.try_get("posts")?,
                replies: r.try_get("replies")?,
                likes: r.try_get("likes")?,
                boosts: r.try_get("boosts")?,
            })
        })
        .collect()
}

/// An amplifier of an account over whole months.
#[derive(Debug, Clone, Serialize)]
pub struct Amplifier {
    pub actor_id: String,
    pub likes: i64,
    pub boosts: i64,
    pub replies: i64,
    /// How many follow them, where their server says.
    pub reach: Option<i64>,
}

pub async fn top_amplifiers(
    conn: &mut AnyConnection,
    account: i64,
    from_month: &str,
    to_month: &str,
    limit: i64,
) -> Result<Vec<Amplifier>> {
    let rows = sqlx::query(
        "SELECT t.actor_id, t.likes, t.boosts, t.replies, r.followers AS reach FROM \
         (SELECT actor_id, CAST(SUM(likes) AS BIGINT) AS likes, CAST(SUM(boosts) AS BIGINT) AS boosts, \
          CAST(SUM(replies) AS BIGINT) AS replies \
          FROM stats_amplifier_month WHERE account_id = $1 AND month >= $2 AND month <= $3 \
          GROUP BY actor_id ORDER BY SUM(boosts) * 2 + SUM(replies) * 2 + SUM(likes) DESC, actor_id LIMIT $4) t \
         LEFT JOIN remote_reach r ON r.actor_id = t.actor_id \
         ORDER BY t.boosts * 2 + t.replies * 2 + t.likes DESC, t.actor_id",
    )
    .bind(account)
    .bind(from_month)
    .bind(to_month)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Amplifier {
                actor_id: r.try_get("actor_id")?,
                likes: r.try_get("likes")?,
                boosts: r.try_get("boosts")?,
                replies: r.try_get("replies")?,
                reach: r.try_get("reach")?,
            })
        })
        .collect()
}

/// Who reacted to one post, and how (by the post's own index).
pub async fn post_reactions(
    conn: &mut AnyConnection,
    post: i64,
) -> Result<Vec<(String, String, String, Option<i64>)>> {
    let rows = sqlx::query(
        "SELECT p.actor_id, p.kind, p.created_at, r.followers FROM post_reactions p \
         LEFT JOIN remote_reach r ON r.actor_id = p.actor_id \
         WHERE p.post_id = $1 ORDER BY p.created_at LIMIT 500",
    )
    .bind(post)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("actor_id")?,
                r.try_get("kind")?,
                r.try_get("created_at")?,
                r.try_get("followers")?,
            ))
        })
        .collect()
}

/// Response times per account, category and shift over a period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Response {
    pub account_id: i64,
    pub category: String,
    pub shift: String,
    pub received: i64,
    pub answered: i64,
    pub answer_minutes: i64,
    pub answered_in_target: i64,
    pub closed: i64,
    pub close_minutes: i64,
}

pub async fn response(
    conn: &mut AnyConnection,
    force: i64,
    from: &str,
    to: &str,
) -> Result<Vec<Response>> {
    let rows = sqlx::query(
        "SELECT account_id, category, shift, CAST(SUM(received) AS BIGINT) AS received, CAST(SUM(answered) AS BIGINT) AS answered, \
         CAST(SUM(answer_minutes) AS BIGINT) AS answer_minutes, CAST(SUM(answered_in_target) AS BIGINT) AS answered_in_target, \
         CAST(SUM(closed) AS BIGINT) AS closed, CAST(SUM(close_minutes) AS BIGINT) AS close_minutes FROM stats_response_day \
         WHERE force_id = $1 AND day >= $2 AND day <= $3 GROUP BY account_id, category, shift \
         ORDER BY category, shift, account_id",
    )
    .bind(force)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Response {
                account_id: r.try_get("account_id")?,
                category: r.try_get("category")?,
                shift: r.try_get("shift")?,
                received: r.try_get("received")?,
                answered: r.try_get("answered")?,
                answer_minutes: r.try_get("answer_minutes")?,
                answered_in_target: r.try_get("answered_in_target")?,
                closed: r.try_get("closed")?,
                close_minutes: r.try_get("close_minutes")?,
            })
        })
        .collect()
}

/// (weekday 0 = Monday, hour, posts, replies) of an author over a period.
pub async fn author_hours(
    conn: &mut AnyConnection,
    user: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(i64, i64, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT weekday, hour, CAST(SUM(posts) AS BIGINT) AS posts, CAST(SUM(replies) AS BIGINT) AS replies FROM stats_author_hour \
         WHERE user_id = $1 AND day >= $2 AND day <= $3 GROUP BY weekday, hour",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("weekday")?,
                r.try_get("hour")?,
                r.try_get("posts")?,
                r.try_get("replies")?,
            ))
        })
        .collect()
}

/// (kind, posts, posts that drew any reaction) of an author over a period.
pub async fn author_kinds(
    conn: &mut AnyConnection,
    user: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS posts, CAST(SUM(CASE WHEN likes + boosts > 0 THEN 1 ELSE 0 END) AS BIGINT) AS responded \
         FROM stats_post WHERE author_user_id = $1 AND day >= $2 AND day <= $3 GROUP BY kind ORDER BY kind",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("kind")?,
                r.try_get("posts")?,
                r.try_get("responded")?,
            ))
        })
        .collect()
}

/// (decision, rule, drafts) of an author's checked drafts over a period.
pub async fn author_checks(
    conn: &mut AnyConnection,
    user: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String, i64)>> {
    let rows = sqlx::query(
        "SELECT decision, rule, CAST(SUM(drafts) AS BIGINT) AS drafts FROM stats_check_day \
         WHERE user_id = $1 AND day >= $2 AND day <= $3 GROUP BY decision, rule ORDER BY decision, rule",
    )
    .bind(user)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("decision")?,
                r.try_get("rule")?,
                r.try_get("drafts")?,
            ))
        })
        .collect()
}

/// The replies to one post: (channel, who, when), by the post's own rows.
pub async fn post_replies(
    conn: &mut AnyConnection,
    post: i64,
) -> Result<Vec<(String, String, String)>> {
    let rows = sqlx::query(
        "SELECT m.channel, COALESCE(m.author_url, m.author_handle) AS who, m.received_at \
         FROM post_replies r JOIN inbox_messages m ON m.id = r.message_id \
         WHERE r.post_id = $1 ORDER BY m.received_at LIMIT 500",
    )
    .bind(post)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("channel")?,
                r.try_get("who")?,
                r.try_get("received_at")?,
            ))
        })
        .collect()
}
