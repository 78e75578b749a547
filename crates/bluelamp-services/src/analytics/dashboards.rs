//! The dashboards' use cases: who may see what, and the figures, read from the
//! roll-ups for the period asked for. Each returns plain data; the web layer
//! draws it as charts, tables and CSV, and the API returns it as JSON.

use std::collections::BTreeMap;

use bluelamp_domain::analytics::growth_percent;
use bluelamp_domain::force::NationalView;
use bluelamp_domain::{Action, Role, UserId};
use bluelamp_store::analytics::read;
use bluelamp_store::{accounts, forces, users, Store};
use serde::Serialize;

use super::Period;
use crate::inbox::sla::target_minutes;
use crate::{ServiceError, ServiceResult, Staff};

/// Followers at the start and end of a period.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Growth {
    pub start: i64,
    pub end: i64,
    pub change: i64,
    /// Percent of the start; `None` when the start was zero.
    pub percent: Option<f64>,
}

impl Growth {
    fn new(start: i64, end: i64) -> Growth {
        Growth {
            start,
            end,
            change: end - start,
            percent: growth_percent(start, end),
        }
    }
}

/// The period a staff member asked for, in their force's days.
pub async fn period_for(
    store: &Store,
    staff: &Staff,
    from: Option<&str>,
    to: Option<&str>,
) -> ServiceResult<Period> {
    let zone = match staff.force_id {
        Some(force) => {
            let mut conn = store.read().await?;
            forces::get(&mut conn, force).await?.time_zone
        }
        None => "Europe/London".to_string(),
    };
    let zone = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let now = bluelamp_store::clock::now().unix_timestamp();
    let today = jiff::Timestamp::from_second(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone)
        .date();
    Ok(Period::parse(from, to, today)?)
}

/// One day's followers, summed over channels.
#[derive(Debug, Clone, Serialize)]
pub struct DayTotal {
    pub day: String,
    pub followers: i64,
}

/// Growth from (series, channel, day, followers) rows, where a series is one
/// force's (or account's) channel. A series without a count on some day keeps
/// its last count (a network that could not be asked today has not lost its
/// followers); each series runs from its first count in the period to its last.
/// Returns the total, each channel's growth and its first and last day, and the
/// daily totals.
fn growth_of(
    rows: &[(i64, String, String, i64)],
) -> (Growth, BTreeMap<String, ChannelSpan>, Vec<DayTotal>) {
    let mut series: BTreeMap<(i64, &str), BTreeMap<&str, i64>> = BTreeMap::new();
    let mut days: std::collections::BTreeSet<&str> = Default::default();
    for (key, channel, day, n) in rows {
        *series
            .entry((*key, channel.as_str()))
            .or_default()
            .entry(day.as_str())
            .or_default() += n;
        days.insert(day.as_str());
    }
    let mut channels: BTreeMap<String, ChannelSpan> = BTreeMap::new();
    let (mut start, mut end) = (0, 0);
    for ((_, channel), values) in &series {
        let (Some((first_day, first)), Some((last_day, last))) =
            (values.iter().next(), values.iter().next_back())
        else {
            continue;
        };
        start += first;
        end += last;
        let span = channels
            .entry(channel.to_string())
            .or_insert_with(|| ChannelSpan {
                growth: Growth::default(),
                first_day: first_day.to_string(),
                last_day: last_day.to_string(),
            });
        span.growth = Growth::new(span.growth.start + first, span.growth.end + last);
        span.first_day = span.first_day.clone().min(first_day.to_string());
        span.last_day = span.last_day.clone().max(last_day.to_string());
    }
    let totals = days
        .iter()
        .map(|day| {
            let followers = series
                .values()
                .filter_map(|values| values.range(..=*day).next_back().map(|(_, n)| *n))
                .sum();
            DayTotal {
                day: day.to_string(),
                followers,
            }
        })
        .collect();
    (Growth::new(start, end), channels, totals)
}

/// A channel's growth over the period, and the days it was counted from and to.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelSpan {
    #[serde(flatten)]
    pub growth: Growth,
    pub first_day: String,
    pub last_day: String,
}

/// One account's followers in a period.
#[derive(Debug, Clone, Serialize)]
pub struct AccountAudience {
    pub account_id: i64,
    pub handle: String,
    pub display_name: String,
    pub growth: Growth,
    pub channels: BTreeMap<String, Growth>,
    pub posts: i64,
    pub replies: i64,
    pub likes: i64,
    pub boosts: i64,
}

/// A force's audience page.
#[derive(Debug, Clone, Serialize)]
pub struct Audience {
    pub force: String,
    pub period: Period,
    pub total: Growth,
    pub channels: BTreeMap<String, ChannelSpan>,
    pub series: Vec<DayTotal>,
    pub accounts: Vec<AccountAudience>,
}

/// The force's followers per account and channel, and what each account did.
pub async fn audience(store: &Store, staff: &Staff, period: Period) -> ServiceResult<Audience> {
    staff.authorize(Action::ViewAnalytics)?;
    let force_id = staff.current_force()?;
    let mut conn = store.read().await?;
    let force = forces::get(&mut conn, force_id).await?;
    let (from, to) = (period.from_text(), period.to_text());
    let sampled = period.chart_days();
    let rows =
        read::audience_days(&mut conn, Some(force_id.0), &from, &to, sampled.as_deref()).await?;
    let (total, channels, series) = growth_of(&rows);
    // Each account's count on the days its channels were first and last counted.
    let mut at_start = Vec::new();
    let mut at_end = Vec::new();
    let mut read_days: BTreeMap<String, Vec<(i64, String, i64)>> = BTreeMap::new();
    for (channel, span) in &channels {
        for (day, into) in [
            (&span.first_day, &mut at_start),
            (&span.last_day, &mut at_end),
        ] {
            if !read_days.contains_key(day) {
                let got = read::audience_accounts(&mut conn, force_id.0, day).await?;
                read_days.insert(day.clone(), got);
            }
            into.extend(read_days[day].iter().filter(|r| &r.1 == channel).cloned());
        }
    }
    let activity = read::activity_by_account(&mut conn, force_id.0, &from, &to).await?;
    let mut out = Vec::new();
    for account in accounts::list(&mut conn, force_id).await? {
        let id = account.id.0;
        let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (a, channel, n) in &at_start {
            if *a == id {
                per.entry(channel.clone()).or_default().0 += n;
            }
        }
        for (a, channel, n) in &at_end {
            if *a == id {
                per.entry(channel.clone()).or_default().1 += n;
            }
        }
        let start = per.values().map(|p| p.0).sum();
        let end = per.values().map(|p| p.1).sum();
        let did = activity
            .iter()
            .find(|a| a.account_id == id)
            .cloned()
            .unwrap_or_default();
        out.push(AccountAudience {
            account_id: id,
            handle: account.handle,
            display_name: account.display_name,
            growth: Growth::new(start, end),
            channels: per
                .into_iter()
                .map(|(c, (s, e))| (c, Growth::new(s, e)))
                .collect(),
            posts: did.posts,
            replies: did.replies,
            likes: did.likes,
            boosts: did.boosts,
        });
    }
    out.sort_by(|a, b| {
        b.growth
            .end
            .cmp(&a.growth.end)
            .then(a.handle.cmp(&b.handle))
    });
    Ok(Audience {
        force: force.name,
        period,
        total,
        channels,
        series,
        accounts: out,
    })
}

/// One force in the national view.
#[derive(Debug, Clone, Serialize)]
pub struct ForceAudience {
    pub code: String,
    pub name: String,
    pub growth: Growth,
}

/// The national view: every force that chose to appear.
#[derive(Debug, Clone, Serialize)]
pub struct National {
    pub period: Period,
    pub total: Growth,
    pub channels: BTreeMap<String, ChannelSpan>,
    pub series: Vec<DayTotal>,
    /// Forces shown by name.
    pub forces: Vec<ForceAudience>,
    /// Forces counted in the totals but not named.
    pub counted_unnamed: usize,
}

/// Across all forces on the server: for the server administrator.
pub async fn national(store: &Store, staff: &Staff, period: Period) -> ServiceResult<National> {
    staff.authorize(Action::ViewNationalAnalytics)?;
    let mut conn = store.read().await?;
    let all = forces::list(&mut conn).await?;
    let sampled = period.chart_days();
    let rows = read::audience_days(
        &mut conn,
        None,
        &period.from_text(),
        &period.to_text(),
        sampled.as_deref(),
    )
    .await?;
    let mut counted = Vec::new();
    let mut named = Vec::new();
    let mut counted_unnamed = 0;
    for force in &all {
        match force.settings.national_view {
            NationalView::Hidden => continue,
            NationalView::Totals => counted_unnamed += 1,
            NationalView::Shown => named.push(force),
        }
        counted.push(force.id.0);
    }
    let in_view: Vec<(i64, String, String, i64)> = rows
        .iter()
        .filter(|r| counted.contains(&r.0))
        .cloned()
        .collect();
    let (total, channels, series) = growth_of(&in_view);
    let mut forces_out: Vec<ForceAudience> = named
        .into_iter()
        .map(|force| {
            let own: Vec<(i64, String, String, i64)> =
                rows.iter().filter(|r| r.0 == force.id.0).cloned().collect();
            ForceAudience {
                code: force.code.clone(),
                name: force.name.clone(),
                growth: growth_of(&own).0,
            }
        })
        .collect();
    forces_out.sort_by(|a, b| b.growth.end.cmp(&a.growth.end).then(a.name.cmp(&b.name)));
    Ok(National {
        period,
        total,
        channels,
        series,
        forces: forces_out,
        counted_unnamed,
    })
}

/// Who amplifies an account, and how much.
#[derive(Debug, Clone, Serialize)]
pub struct Amplification {
    pub account_id: i64,
    pub handle: String,
    pub period: Period,
    pub amplifiers: Vec<read::Amplifier>,
}

/// The people who amplify an account most, over the months of the period.
pub async fn amplification(
    store: &Store,
    staff: &Staff,
    account: i64,
    period: Period,
) -> ServiceResult<Amplification> {
    staff.authorize(Action::ViewAnalytics)?;
    let mut conn = store.read().await?;
    let found = accounts::get(&mut conn, bluelamp_domain::AccountId(account))
        .await
        .map_err(|_| ServiceError::NotFound("account"))?;
    staff
        .force_in_scope(found.force_id)
        .map_err(|_| ServiceError::NotFound("account"))?;
    let (from, to) = period.months();
    let amplifiers = read::top_amplifiers(&mut conn, account, &from, &to, 25).await?;
    Ok(Amplification {
        account_id: account,
        handle: found.handle,
        period,
        amplifiers,
    })
}

/// One line of the response-time table.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseLine {
    pub label: String,
    pub received: i64,
    pub answered: i64,
    pub mean_answer_minutes: Option<i64>,
    pub answered_in_target: i64,
    /// Percent of answers within the target.
    pub in_target_percent: Option<f64>,
    pub target_minutes: Option<i64>,
    pub closed: i64,
    pub mean_close_minutes: Option<i64>,
}

/// The force's response times, by category, shift and account.
#[derive(Debug, Clone, Serialize)]
pub struct Responses {
    pub period: Period,
    /// The clocks ran only inside these office hours (except emergencies and
    /// safeguarding); `None`: around the clock.
    pub office_hours: Option<String>,
    pub by_category: Vec<ResponseLine>,
    pub by_shift: Vec<ResponseLine>,
    pub by_account: Vec<ResponseLine>,
}

fn line(label: String, rows: &[&read::Response], target: Option<i64>) -> ResponseLine {
    let sum = |f: fn(&read::Response) -> i64| rows.iter().map(|r| f(r)).sum::<i64>();
    let (received, answered, minutes) = (
        sum(|r| r.received),
        sum(|r| r.answered),
        sum(|r| r.answer_minutes),
    );
    let (closed, close_minutes, in_target) = (
        sum(|r| r.closed),
        sum(|r| r.close_minutes),
        sum(|r| r.answered_in_target),
    );
    ResponseLine {
        label,
        received,
        answered,
        mean_answer_minutes: (answered > 0).then(|| minutes / answered),
        answered_in_target: in_target,
        in_target_percent: (answered > 0).then(|| in_target as f64 * 100.0 / answered as f64),
        target_minutes: target,
        closed,
        mean_close_minutes: (closed > 0).then(|| close_minutes / closed),
    }
}

/// Time to first answer and to close, against each category's target.
pub async fn responses(store: &Store, staff: &Staff, period: Period) -> ServiceResult<Responses> {
    staff.authorize(Action::ViewAnalytics)?;
    let force_id = staff.current_force()?;
    let mut conn = store.read().await?;
    let force = forces::get(&mut conn, force_id).await?;
    let rows = read::response(
        &mut conn,
        force_id.0,
        &period.from_text(),
        &period.to_text(),
    )
    .await?;
    let group = |key: fn(&read::Response) -> String| {
        let mut groups: BTreeMap<String, Vec<&read::Response>> = BTreeMap::new();
        for row in &rows {
            groups.entry(key(row)).or_default().push(row);
        }
        groups
    };
    let by_category = group(|r| r.category.clone())
        .into_iter()
        .map(|(c, rs)| {
            let target = target_minutes(&c);
            line(c, &rs, target)
        })
        .collect();
    let shifts = group(|r| r.shift.clone());
    let by_shift = super::SHIFTS
        .iter()
        .filter_map(|s| shifts.get(*s).map(|rs| line(s.to_string(), rs, None)))
        .collect();
    let handles: BTreeMap<i64, String> = accounts::list(&mut conn, force_id)
        .await?
        .into_iter()
        .map(|a| (a.id.0, a.handle))
        .collect();
    let by_account = group(|r| r.account_id.to_string())
        .into_iter()
        .map(|(id, rs)| {
            let id: i64 = id.parse().unwrap_or(0);
            let label = handles
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "(no account: e-mail, web form)".into());
            line(label, &rs, None)
        })
        .collect();
    Ok(Responses {
        period,
        office_hours: force.settings.office_hours,
        by_category,
        by_shift,
        by_account,
    })
}

/// An officer's own style profile.
#[derive(Debug, Clone, Serialize)]
pub struct Style {
    pub user_id: i64,
    pub display_name: String,
    pub period: Period,
    /// Posts per weekday (Monday first) and local hour.
    pub hours: Vec<Vec<i64>>,
    pub posts: i64,
    pub replies: i64,
    pub per_week: f64,
    /// Replies to the public as a percent of everything posted.
    pub conversation_percent: Option<f64>,
    /// (kind, posts, posts that drew a like or boost).
    pub kinds: Vec<(String, i64, i64)>,
    /// Drafts the check looked at, and those it held or refused.
    pub drafts: i64,
    pub stopped: i64,
    /// (decision, reason, drafts) for held and refused drafts.
    pub stops: Vec<(String, String, i64)>,
}

/// Who may read `user`'s profile: the officer, and the supervisors and
/// administrators of their force. Another force's officer does not exist (404).
fn may_read_style(staff: &Staff, owner: &bluelamp_store::users::User) -> ServiceResult<()> {
    if staff.user_id == Some(owner.id) {
        return Ok(());
    }
    let same_force = owner.force_id.is_some() && owner.force_id == staff.force_id;
    if staff.role != Role::ServerAdmin && !same_force {
        return Err(ServiceError::NotFound("user"));
    }
    if matches!(
        staff.role,
        Role::Supervisor | Role::ForceAdmin | Role::ServerAdmin
    ) {
        return Ok(());
    }
    Err(ServiceError::Forbidden(
        "A style profile is private to the officer and their supervisors.".into(),
    ))
}

pub async fn style(
    store: &Store,
    staff: &Staff,
    user: UserId,
    period: Period,
) -> ServiceResult<Style> {
    let mut conn = store.read().await?;
    let owner = users::get(&mut conn, user)
        .await
        .map_err(|_| ServiceError::NotFound("user"))?;
    may_read_style(staff, &owner)?;
    let (from, to) = (period.from_text(), period.to_text());
    let mut hours = vec![vec![0i64; 24]; 7];
    let (mut posts, mut replies) = (0, 0);
    for (weekday, hour, p, r) in read::author_hours(&mut conn, user.0, &from, &to).await? {
        if let Some(cell) = hours
            .get_mut(weekday as usize)
            .and_then(|row| row.get_mut(hour as usize))
        {
            *cell += p;
        }
        posts += p;
        replies += r;
    }
    let kinds = read::author_kinds(&mut conn, user.0, &from, &to).await?;
    let checks = read::author_checks(&mut conn, user.0, &from, &to).await?;
    let all = |d: &str| {
        checks
            .iter()
            .filter(|c| c.0 == d && c.1 == super::count::ALL_DRAFTS)
            .map(|c| c.2)
            .sum::<i64>()
    };
    let stops: Vec<(String, String, i64)> = checks
        .iter()
        .filter(|c| c.0 != "publish" && c.1 != super::count::ALL_DRAFTS && c.1 != "none")
        .cloned()
        .collect();
    let stopped = all("hold") + all("refuse");
    let drafts = stopped + all("publish");
    Ok(Style {
        user_id: user.0,
        display_name: owner.display_name,
        period,
        hours,
        posts,
        replies,
        per_week: posts as f64 * 7.0 / f64::from(period.length_days()),
        conversation_percent: (posts > 0).then(|| replies as f64 * 100.0 / posts as f64),
        kinds,
        drafts,
        stopped,
        stops,
    })
}

/// One like or boost of a post.
#[derive(Debug, Clone, Serialize)]
pub struct Reaction {
    /// Likes and boosts come from the fediverse (other networks' are not fetched).
    pub channel: &'static str,
    pub actor_id: String,
    pub kind: String,
    pub at: String,
    /// How many follow them, where their server says.
    pub reach: Option<i64>,
}

/// Who amplified one post.
#[derive(Debug, Clone, Serialize)]
pub struct PostAmplification {
    pub post_id: i64,
    pub account_id: i64,
    pub likes: i64,
    pub boosts: i64,
    /// The people who boosted it reach this many (where their servers say).
    pub boosters_reach: i64,
    pub reactions: Vec<Reaction>,
    /// Replies from the public on any channel, as the inbox received them.
    pub replies: Vec<ReplyBy>,
}

/// One reply to a post.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyBy {
    pub channel: String,
    pub who: String,
    pub at: String,
}

/// Who liked and boosted a post of the staff member's force, on the fediverse.
pub async fn post_amplification(
    store: &Store,
    staff: &Staff,
    post: i64,
) -> ServiceResult<PostAmplification> {
    staff.authorize(Action::ViewAnalytics)?;
    let mut conn = store.read().await?;
    let found = bluelamp_store::posts::get(&mut conn, post)
        .await
        .map_err(|_| ServiceError::NotFound("post"))?;
    staff
        .force_in_scope(found.force_id)
        .map_err(|_| ServiceError::NotFound("post"))?;
    let reactions: Vec<Reaction> = read::post_reactions(&mut conn, post)
        .await?
        .into_iter()
        .map(|(actor_id, kind, at, reach)| Reaction {
            channel: "fediverse",
            actor_id,
            kind,
            at,
            reach,
        })
        .collect();
    let replies = read::post_replies(&mut conn, post)
        .await?
        .into_iter()
        .map(|(channel, who, at)| ReplyBy { channel, who, at })
        .collect();
    Ok(PostAmplification {
        replies,
        post_id: post,
        account_id: found.account_id.0,
        likes: reactions.iter().filter(|r| r.kind == "like").count() as i64,
        boosts: reactions.iter().filter(|r| r.kind == "announce").count() as i64,
        boosters_reach: reactions
            .iter()
            .filter(|r| r.kind == "announce")
            .filter_map(|r| r.reach)
            .sum(),
        reactions,
    })
}
