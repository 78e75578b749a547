//! `/staff/analytics…`: reach, response times, amplifiers and an officer's own
//! style profile. Every figure is drawn as a chart (server-rendered SVG) with
//! the same numbers in a table beside it and as a CSV download (`?format=csv`).

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_domain::analytics::{chart, csv, format_percent};
use bluelamp_domain::UserId;
use bluelamp_services::analytics::dashboards::{self, Growth, ResponseLine};
use bluelamp_services::analytics::Period;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;

use crate::auth::StaffSession;
use crate::error::PageError;
use crate::staff::staff_page;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

impl PeriodQuery {
    fn csv(&self) -> bool {
        self.format.as_deref() == Some("csv")
    }
}

async fn period(
    state: &AppState,
    context: &bluelamp_services::auth::SessionContext,
    q: &PeriodQuery,
) -> Result<Period, PageError> {
    Ok(dashboards::period_for(
        &state.store,
        &context.staff,
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await?)
}

/// The period chooser, keeping what was asked for.
pub(crate) fn period_form(path: &str, p: &Period) -> Markup {
    html! {
        form.period method="get" action=(path) {
            label for="from" { "From" }
            input type="date" id="from" name="from" value=(p.from_text());
            label for="to" { "To" }
            input type="date" id="to" name="to" value=(p.to_text());
            button type="submit" { "Show" }
        }
    }
}

/// A CSV download of a table.
pub(crate) fn csv_response(filename: &str, headers: &[&str], rows: &[Vec<String>]) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        csv::write(headers, rows),
    )
        .into_response()
}

fn csv_link(path: &str, p: &Period) -> Markup {
    html! { p { a href=(format!("{path}?from={}&to={}&format=csv", p.from_text(), p.to_text())) download { "Download these figures (CSV)" } } }
}

pub(crate) fn svg(drawing: String) -> Markup {
    html! { figure.chart { (PreEscaped(drawing)) } }
}

fn percent(p: Option<f64>) -> String {
    p.map(format_percent).unwrap_or_else(|| "–".into())
}

fn growth_cells(g: &Growth) -> Markup {
    html! { td.num { (g.start) } td.num { (g.end) } td.num { (percent(g.percent)) } }
}

fn minutes(m: Option<i64>) -> String {
    m.map(bluelamp_services::inbox::sla::human_minutes)
        .unwrap_or_else(|| "–".into())
}

fn sub_nav(context: &bluelamp_services::auth::SessionContext) -> Markup {
    let admin = context.staff.role == bluelamp_domain::Role::ServerAdmin;
    html! {
        nav.subnav aria-label="Analytics" { ul {
            li { a href="/staff/analytics" { "Audience" } }
            li { a href="/staff/analytics/responses" { "Response times" } }
            li { a href="/staff/campaigns" { "Campaigns" } }
            @if admin { li { a href="/staff/analytics/national" { "National view" } } }
            li { a href="/staff/analytics/style" { "My style profile" } }
        } }
    }
}

/// The force's audience: followers per channel and account, and growth.
pub async fn audience(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let p = period(&state, &context, &q).await?;
    let view = dashboards::audience(&state.store, &context.staff, p).await?;
    let headers = [
        "account",
        "followers_start",
        "followers_end",
        "growth_percent",
        "posts",
        "replies",
        "likes",
        "boosts",
    ];
    let rows: Vec<Vec<String>> = view
        .accounts
        .iter()
        .map(|a| {
            vec![
                a.handle.clone(),
                a.growth.start.to_string(),
                a.growth.end.to_string(),
                a.growth
                    .percent
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_default(),
                a.posts.to_string(),
                a.replies.to_string(),
                a.likes.to_string(),
                a.boosts.to_string(),
            ]
        })
        .collect();
    if q.csv() {
        return Ok(csv_response("audience.csv", &headers, &rows));
    }
    let days: Vec<String> = view.series.iter().map(|d| d.day.clone()).collect();
    let totals: Vec<f64> = view.series.iter().map(|d| d.followers as f64).collect();
    let by_channel: Vec<(String, f64)> = view
        .channels
        .iter()
        .map(|(c, g)| (c.clone(), g.growth.end as f64))
        .collect();
    let content = html! {
        (sub_nav(&context))
        (period_form("/staff/analytics", &p))
        p.figure { "Followers across every channel: " strong { (view.total.end) } " on " (p.to_text()) ", from " (view.total.start) " — growth " strong data-growth="force" { (percent(view.total.percent)) } "." }
        div.charts {
            (svg(chart::lines("followers-by-day", "Followers by day", &days, &[("All channels".into(), totals)])))
            (svg(chart::bars("followers-by-channel", "Followers by channel at the end of the period", &by_channel)))
        }
        h2 { "By channel" }
        table {
            thead { tr { th scope="col" { "Channel" } th.num scope="col" { "At start" } th.num scope="col" { "At end" } th.num scope="col" { "Growth" } } }
            tbody { @for (channel, g) in &view.channels { tr { th scope="row" { (channel) } (growth_cells(&g.growth)) } } }
        }
        h2 { "By account" }
        (csv_link("/staff/analytics", &p))
        div.scroll { table {
            thead { tr {
                th scope="col" { "Account" } th.num scope="col" { "Followers at start" } th.num scope="col" { "At end" } th.num scope="col" { "Growth" }
                th.num scope="col" { "Posts" } th.num scope="col" { "Replies to the public" } th.num scope="col" { "Likes" } th.num scope="col" { "Boosts" } th scope="col" { "Amplifiers" }
            } }
            tbody { @for a in &view.accounts { tr {
                th scope="row" { "@" (a.handle) }
                (growth_cells(&a.growth))
                td.num { (a.posts) } td.num { (a.replies) } td.num { (a.likes) } td.num { (a.boosts) }
                td { a href=(format!("/staff/analytics/accounts/{}/amplifiers?from={}&to={}", a.account_id, p.from_text(), p.to_text())) { "Who amplifies @" (a.handle) } }
            } } }
        } }
    };
    Ok(staff_page(&context, &format!("Audience · {}", view.force), content).into_response())
}

/// The national view, for the server administrator.
pub async fn national(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let p = period(&state, &context, &q).await?;
    let view = dashboards::national(&state.store, &context.staff, p).await?;
    let headers = [
        "force",
        "followers_start",
        "followers_end",
        "growth_percent",
    ];
    let rows: Vec<Vec<String>> = view
        .forces
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                f.growth.start.to_string(),
                f.growth.end.to_string(),
                f.growth
                    .percent
                    .map(|x| format!("{x:.1}"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    if q.csv() {
        return Ok(csv_response("national.csv", &headers, &rows));
    }
    let days: Vec<String> = view.series.iter().map(|d| d.day.clone()).collect();
    let totals: Vec<f64> = view.series.iter().map(|d| d.followers as f64).collect();
    let growth: Vec<(String, f64)> = view
        .forces
        .iter()
        .map(|f| (f.name.clone(), f.growth.percent.unwrap_or(0.0)))
        .collect();
    let content = html! {
        (sub_nav(&context))
        (period_form("/staff/analytics/national", &p))
        p.figure { "Followers of every force that takes part: " strong { (view.total.end) } ", from " (view.total.start) " — growth " strong data-growth="national" { (percent(view.total.percent)) } "." }
        @if view.counted_unnamed > 0 { p { (view.counted_unnamed) " force(s) are counted in these totals but chose not to be named." } }
        div.charts {
            (svg(chart::lines("national-by-day", "Followers of all forces by day", &days, &[("All forces".into(), totals)])))
            (svg(chart::bars("national-growth", "Growth by force (percent)", &growth)))
        }
        (csv_link("/staff/analytics/national", &p))
        table {
            thead { tr { th scope="col" { "Force" } th.num scope="col" { "Followers at start" } th.num scope="col" { "At end" } th.num scope="col" { "Growth" } } }
            tbody { @for f in &view.forces { tr data-force=(f.code) { th scope="row" { (f.name) } (growth_cells(&f.growth)) } } }
        }
    };
    Ok(staff_page(&context, "National view", content).into_response())
}

fn response_table(caption: &str, lines: &[ResponseLine], targets: bool) -> Markup {
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" { "" } th.num scope="col" { "Received" } th.num scope="col" { "Answered" } th.num scope="col" { "Mean time to answer" }
                @if targets { th.num scope="col" { "Target" } th.num scope="col" { "Within target" } }
                th.num scope="col" { "Closed" } th.num scope="col" { "Mean time to close" }
            } }
            tbody { @for l in lines { tr {
                th scope="row" { (l.label) } td.num { (l.received) } td.num { (l.answered) } td.num { (minutes(l.mean_answer_minutes)) }
                @if targets { td.num { (minutes(l.target_minutes)) } td.num { (percent(l.in_target_percent)) } }
                td.num { (l.closed) } td.num { (minutes(l.mean_close_minutes)) }
            } } }
        }
    }
}

/// Time to first answer and to close, per category, shift and account.
pub async fn responses(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let p = period(&state, &context, &q).await?;
    let view = dashboards::responses(&state.store, &context.staff, p).await?;
    if q.csv() {
        let headers = [
            "group",
            "label",
            "received",
            "answered",
            "mean_answer_minutes",
            "within_target_percent",
            "closed",
            "mean_close_minutes",
        ];
        let mut rows = Vec::new();
        for (group, lines) in [
            ("category", &view.by_category),
            ("shift", &view.by_shift),
            ("account", &view.by_account),
        ] {
            for l in lines.iter() {
                rows.push(vec![
                    group.to_string(),
                    l.label.clone(),
                    l.received.to_string(),
                    l.answered.to_string(),
                    l.mean_answer_minutes
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    l.in_target_percent
                        .map(|x| format!("{x:.1}"))
                        .unwrap_or_default(),
                    l.closed.to_string(),
                    l.mean_close_minutes
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                ]);
            }
        }
        return Ok(csv_response("response-times.csv", &headers, &rows));
    }
    let bars: Vec<(String, f64)> = view
        .by_category
        .iter()
        .map(|l| (l.label.clone(), l.in_target_percent.unwrap_or(0.0)))
        .collect();
    let content = html! {
        (sub_nav(&context))
        (period_form("/staff/analytics/responses", &p))
        @match &view.office_hours {
            Some(hours) => p { "Clocks run only in office hours (" (hours) ", the force's time); emergencies and safeguarding always run." },
            None => p { "Clocks run around the clock (no office hours are set)." },
        }
        (svg(chart::bars("in-target", "Answers within target, by category (percent)", &bars)))
        (csv_link("/staff/analytics/responses", &p))
        (response_table("By category", &view.by_category, true))
        (response_table("By shift (early 07–15, late 15–23, night 23–07)", &view.by_shift, false))
        (response_table("By account", &view.by_account, false))
    };
    Ok(staff_page(&context, "Response times", content).into_response())
}

/// The people who amplify an account most.
pub async fn amplifiers(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(account): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let p = period(&state, &context, &q).await?;
    let view = dashboards::amplification(&state.store, &context.staff, account, p).await?;
    let rows: Vec<Vec<String>> = view
        .amplifiers
        .iter()
        .map(|a| {
            vec![
                a.actor_id.clone(),
                a.boosts.to_string(),
                a.likes.to_string(),
            ]
        })
        .collect();
    if q.csv() {
        return Ok(csv_response(
            "amplifiers.csv",
            &["who", "boosts", "likes"],
            &rows,
        ));
    }
    let bars: Vec<(String, f64)> = view
        .amplifiers
        .iter()
        .take(10)
        .map(|a| {
            (
                short_actor(&a.actor_id),
                (a.boosts + a.likes + a.replies) as f64,
            )
        })
        .collect();
    let path = format!("/staff/analytics/accounts/{account}/amplifiers");
    let content = html! {
        (sub_nav(&context))
        (period_form(&path, &p))
        p { "The people who boost, like and reply to @" (view.handle) "'s posts most, over the whole months of the period: the local group that carries an appeal on the day." }
        (svg(chart::bars("amplifiers", "Top amplifiers (boosts, likes and replies)", &bars)))
        (csv_link(&path, &p))
        table {
            thead { tr { th scope="col" { "Who" } th.num scope="col" { "Boosts" } th.num scope="col" { "Likes" } th.num scope="col" { "Replies" } th.num scope="col" { "Their followers" } } }
            tbody { @for a in &view.amplifiers { tr {
                th scope="row" { a href=(a.actor_id) rel="nofollow noopener" { (short_actor(&a.actor_id)) } }
                td.num { (a.boosts) } td.num { (a.likes) } td.num { (a.replies) }
                td.num { @match a.reach { Some(n) => (n), None => "not known" } }
            } } }
        }
    };
    Ok(staff_page(
        &context,
        &format!("Amplifiers of @{}", view.handle),
        content,
    )
    .into_response())
}

/// "@name@host" from an actor URL, for reading.
pub(crate) fn short_actor(url: &str) -> String {
    let rest = url
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    match (rest.split('/').next(), rest.rsplit('/').next()) {
        (Some(host), Some(name)) if !name.is_empty() && host != name => {
            format!("@{}@{host}", name.trim_start_matches('@'))
        }
        _ => url.to_string(),
    }
}

/// `/staff/analytics/style`: the signed-in officer's own profile.
pub async fn my_style(StaffSession(context): StaffSession) -> Result<Response, PageError> {
    match context.staff.user_id {
        Some(id) => Ok(Redirect::to(&format!("/staff/analytics/style/{}", id.0)).into_response()),
        None => Err(PageError(crate::error::WebError::new(
            axum::http::StatusCode::NOT_FOUND,
            "not-found",
            "There is no profile for this session.",
        ))),
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// An officer's style profile: private to them and their supervisors.
pub async fn style(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(user): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let p = period(&state, &context, &q).await?;
    let view = dashboards::style(&state.store, &context.staff, UserId(user), p).await?;
    if q.csv() {
        let mut rows = Vec::new();
        for (d, hours) in view.hours.iter().enumerate() {
            for (h, n) in hours.iter().enumerate() {
                rows.push(vec![
                    WEEKDAYS[d].to_string(),
                    format!("{h:02}:00"),
                    n.to_string(),
                ]);
            }
        }
        return Ok(csv_response(
            "style-hours.csv",
            &["weekday", "hour", "posts"],
            &rows,
        ));
    }
    let rows: Vec<String> = WEEKDAYS.iter().map(|d| d[..3].to_string()).collect();
    let cols: Vec<String> = (0..24).map(|h| format!("{h:02}")).collect();
    let values: Vec<Vec<f64>> = view
        .hours
        .iter()
        .map(|r| r.iter().map(|n| *n as f64).collect())
        .collect();
    let kinds: Vec<(String, f64)> = view
        .kinds
        .iter()
        .map(|(k, n, r)| {
            (
                k.clone(),
                if *n > 0 {
                    *r as f64 * 100.0 / *n as f64
                } else {
                    0.0
                },
            )
        })
        .collect();
    let path = format!("/staff/analytics/style/{user}");
    let content = html! {
        (sub_nav(&context))
        p.hint { "Private: only " (view.display_name) " and their supervisors see this page." }
        (period_form(&path, &p))
        ul.figures {
            li { strong { (view.posts) } " posts (" (format!("{:.1}", view.per_week)) " a week)" }
            li { strong { (view.replies) } " replies to the public: " (percent(view.conversation_percent)) " conversation, the rest broadcast" }
            li { "The check looked at " strong { (view.drafts) } " drafts and stopped " strong data-stopped { (view.stopped) } }
        }
        h2 { "When you post" }
        (svg(chart::heatmap("style-hours", "Posts by weekday and hour (force time)", &rows, &cols, &values)))
        (csv_link(&path, &p))
        div.scroll { table {
            caption { "Posts by weekday and hour" }
            thead { tr { th scope="col" { "Day" } @for c in &cols { th.num scope="col" { (c) } } } }
            tbody { @for (d, hours) in view.hours.iter().enumerate() { tr { th scope="row" { (WEEKDAYS[d]) } @for n in hours { td.num { (n) } } } } }
        } }
        h2 { "What gets a response" }
        (svg(chart::bars("style-kinds", "Posts that drew a like or boost, by kind (percent)", &kinds)))
        table {
            thead { tr { th scope="col" { "Kind" } th.num scope="col" { "Posts" } th.num scope="col" { "Drew a response" } } }
            tbody { @for (k, n, r) in &view.kinds { tr { th scope="row" { (k) } td.num { (n) } td.num { (r) } } } }
        }
        h2 { "What the check stopped, and why" }
        @if view.stops.is_empty() { p { "Nothing was held or refused in this period." } }
        @else { table {
            thead { tr { th scope="col" { "Outcome" } th scope="col" { "Reason" } th.num scope="col" { "Drafts" } } }
            tbody { @for (d, r, n) in &view.stops { tr { td { (d) } th scope="row" { (r) } td.num { (n) } } } }
        } }
    };
    Ok(staff_page(
        &context,
        &format!("Style profile · {}", view.display_name),
        content,
    )
    .into_response())
}
