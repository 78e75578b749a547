//! `/staff/campaigns`: start a campaign (a hashtag and a period), join a national
//! one, and follow a campaign day's count live, with a map of the forces taking
//! part drawn without a tile server.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Json, Response};
use bluelamp_domain::analytics::{chart, map};
use bluelamp_services::analytics::campaigns::{self, NewCampaignInput};
use bluelamp_services::inbox::sla;
use maud::html;
use serde::Deserialize;

use super::analytics::{csv_response, svg};
use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, notice_text, staff_page, Done, Empty};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let list = campaigns::list(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let may_start = context
        .staff
        .role
        .authorize(bluelamp_domain::Action::ManageCampaigns)
        .is_ok();
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        p { "A campaign is a hashtag and a period. Posts carrying the tag from every force taking part are counted as they are published." }
        @if list.is_empty() { p { "No campaigns yet." } }
        @else { table {
            thead { tr { th scope="col" { "Campaign" } th scope="col" { "Hashtag" } th scope="col" { "From" } th scope="col" { "Until" } th.num scope="col" { "Posts" } th scope="col" { "Taking part" } } }
            tbody { @for s in &list { tr {
                th scope="row" { a href=(format!("/staff/campaigns/{}", s.campaign.id)) { (s.campaign.title) } @if s.campaign.national { " (national)" } }
                td { "#" (s.campaign.tag) }
                td { (local.display(&s.campaign.starts_at)) }
                td { (local.display(&s.campaign.ends_at)) }
                td.num { (s.posts) }
                td { @if s.taking_part { "yes" } @else { "no" } }
            } } }
        } }
        @if may_start {
            h2 { "Start a campaign" }
            form method="post" action="/staff/campaigns" {
                (csrf_field(&context.session.csrf_token))
                label for="title" { "Name" }
                input type="text" id="title" name="title" maxlength="120" required placeholder="Tweet-a-thon 2026";
                label for="tag" { "Hashtag" }
                input type="text" id="tag" name="tag" maxlength="101" required placeholder="#Tweetathon2026";
                label for="starts_at" { "Starts (" (local.zone_name) ")" }
                input type="datetime-local" id="starts_at" name="starts_at" required;
                label for="ends_at" { "Ends (" (local.zone_name) ")" }
                input type="datetime-local" id="ends_at" name="ends_at" required;
                label for="national" {
                    input type="checkbox" id="national" name="national" value="on";
                    " National: any force on this server may join"
                }
                button type="submit" { "Start the campaign" }
            }
        }
    };
    Ok(staff_page(&context, "Campaigns", content).into_response())
}

#[derive(Deserialize)]
pub struct CampaignForm {
    title: String,
    tag: String,
    starts_at: String,
    ends_at: String,
    national: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    form: StaffForm<CampaignForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    let input = NewCampaignInput {
        tag: f.tag.clone(),
        title: f.title.clone(),
        starts_at: f.starts_at.clone(),
        ends_at: f.ends_at.clone(),
        national: f.national.is_some(),
    };
    let campaign = campaigns::create(&state.store, &form.session.staff, &input).await?;
    Ok(done(
        &format!("/staff/campaigns/{}", campaign.id),
        "campaign-started",
    ))
}

pub async fn join(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    campaigns::join(&state.store, &form.session.staff, id).await?;
    Ok(done(&format!("/staff/campaigns/{id}"), "campaign-joined"))
}

/// The live figures the page's script polls.
pub async fn live(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let view = campaigns::view(&state.store, &context.staff, id).await?;
    Ok(Json(view).into_response())
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    done: Option<String>,
    format: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    let view = campaigns::view(&state.store, &context.staff, id).await?;
    if query.format.as_deref() == Some("csv") {
        let rows: Vec<Vec<String>> = view
            .forces
            .iter()
            .map(|f| vec![f.name.clone(), f.posts.to_string()])
            .collect();
        return Ok(csv_response("campaign.csv", &["force", "posts"], &rows));
    }
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let c = &view.campaign;
    let places: Vec<map::MapForce> = view.forces.iter().filter_map(|f| f.place.clone()).collect();
    let hours: Vec<String> = view
        .hours
        .iter()
        .map(|(h, _)| format!("{}:00", &h[h.len().saturating_sub(2)..]))
        .collect();
    let counts: Vec<f64> = view.hours.iter().map(|(_, n)| *n as f64).collect();
    let may_join = c.national
        && !view.taking_part
        && context
            .staff
            .role
            .authorize(bluelamp_domain::Action::ManageCampaigns)
            .is_ok();
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        p { "#" (c.tag) " · " (local.display(&c.starts_at)) " to " (local.display(&c.ends_at)) @if c.national { " · national" } @if view.running { " · " strong { "running now" } } }
        p.figure role="status" aria-live="polite" { "Posts so far: " strong id="campaign-total" data-live=(format!("/staff/campaigns/{}/live", c.id)) { (view.posts) } }
        @if may_join {
            form method="post" action=(format!("/staff/campaigns/{}/join", c.id)) {
                (csrf_field(&context.session.csrf_token))
                button type="submit" { "Take part with my force" }
            }
        }
        div.charts {
            (svg(map::svg("campaign-map", &format!("Forces taking part in #{}", c.tag), &places)))
            (svg(chart::lines("campaign-hours", "Posts per hour (UTC)", &hours, &[("Posts".into(), counts)])))
        }
        p { a href=(format!("/staff/campaigns/{}?format=csv", c.id)) download { "Download the count by force (CSV)" } }
        table {
            thead { tr { th scope="col" { "Force" } th.num scope="col" { "Posts" } } }
            tbody { @for f in &view.forces { tr { th scope="row" { (f.name) } td.num data-force-posts=(f.code) { (f.posts) } } } }
        }
        script src="/assets/campaign.js" defer {}
    };
    Ok(staff_page(&context, &c.title, content).into_response())
}
