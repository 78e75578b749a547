//! `/staff/cases`: cases as a journal of legal status. Each case lists its people,
//! its status history and the posts linked to it; a status change shows the
//! follow-up the public are owed, which an author can publish from here; the list
//! starts with the stories left hanging.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::AccountId;
use bluelamp_services::cases::{self, StatusChange, STATUSES};
use bluelamp_services::inbox::sla;
use bluelamp_services::posts::{Compose, Link};
use maud::html;
use serde::Deserialize;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, staff_page, Done};
use crate::AppState;

/// Links between the case-work pages.
pub(crate) fn subnav() -> maud::Markup {
    html! {
        nav aria-label="Case work" {
            p { a href="/staff/incidents" { "Incidents" } " · " a href="/staff/appeals" { "Appeals" } " · " a href="/staff/cases" { "Cases" } " · " a href="/staff/tips" { "Tips and evidence" } }
        }
    }
}

pub(crate) fn notice_for(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "case-opened" => "The case is opened.",
        "person-added" => {
            "The person is recorded; the check now recognises their name in linked posts."
        }
        "status-changed" => "The status is changed and recorded in the journal.",
        "follow-up" => "The follow-up is submitted; its status is on the post's page.",
        _ => return None,
    })
}

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let list = cases::list(&state.store, &context.staff).await?;
    let hanging = cases::hanging(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        @if !hanging.is_empty() {
            h2 { "Stories left hanging" }
            ul { @for (case, why) in &hanging { li { a href=(format!("/staff/cases/{}", case.reference)) { (case.reference) } ": " (case.title) " — " (why) } } }
        }
        h2 { "Cases" }
        @if list.is_empty() { p { "No cases yet." } }
        table {
            thead { tr { th scope="col" { "Reference" } th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Updated" } } }
            tbody { @for c in &list { tr {
                td { a href=(format!("/staff/cases/{}", c.reference)) { (c.reference) } }
                td { (c.title) @if c.sexual_offence { " (sexual offence)" } }
                td { (c.status) } td { (local.display(&c.updated_at)) }
            } } }
        }
        h2 { "Open a case" }
        form method="post" action="/staff/cases" {
            (csrf_field(&context.session.csrf_token))
            label for="reference" { "Reference (letters, digits and -)" }
            input type="text" id="reference" name="reference" required maxlength="40" pattern="[A-Za-z0-9-]+";
            label for="title" { "What it is about (internal)" }
            input type="text" id="title" name="title" required maxlength="200";
            label { input type="checkbox" name="sexual_offence" value="true"; " A sexual offence (the complainant has lifelong anonymity)" }
            button type="submit" { "Open the case" }
        }
    };
    Ok(staff_page(&context, "Cases", content).into_response())
}

#[derive(Deserialize)]
pub struct NewCaseForm {
    reference: String,
    title: String,
    #[serde(default)]
    sexual_offence: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    form: StaffForm<NewCaseForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    let case = cases::create(
        &state.store,
        &form.session.staff,
        &f.reference,
        &f.title,
        f.sexual_offence.is_some(),
    )
    .await?;
    Ok(done(
        &format!("/staff/cases/{}", case.reference),
        "case-opened",
    ))
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(reference): Path<String>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let view = cases::get(&state.store, &context.staff, &reference).await?;
    let accounts = bluelamp_services::accounts::list_postable(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let case = &view.case;
    let path = format!("/staff/cases/{}", case.reference);
    let csrf = &context.session.csrf_token;
    let content = html! {
        (subnav())
        (notice(notice_for(query.done.as_deref())))
        dl {
            dt { "Status" } dd { strong { (case.status) } @if let Some(court) = &case.court { " · " (court) } @if let Some(d) = &case.court_date { " on " (d) } }
            dt { "Sexual offence" } dd { @if case.sexual_offence { "Yes: the complainant may never be identified" } @else { "No" } }
        }
        @if let Some(text) = &view.follow_up {
            div.callout role="status" id="follow-up" {
                h2 { "The public are owed a follow-up" }
                p { "The status changed after the last linked post. A draft with the releasable facts only:" }
                form method="post" action=(format!("{path}/follow-up")) {
                    (csrf_field(csrf))
                    label for="follow_text" { "Follow-up text" }
                    textarea id="follow_text" name="text" rows="4" required maxlength="5000" { (text) }
                    label for="follow_account" { "Post as" }
                    select id="follow_account" name="account_id" { @for a in &accounts { option value=(a.id.0) { (a.display_name) " (@" (a.handle) ")" } } }
                    button type="submit" { "Check and submit the follow-up" }
                }
            }
        }
        h2 { "People" }
        p.hint { "Names are used only to recognise them in drafts linked to this case; they are never published by Bluelamp." }
        ul { @for p in &view.people { li { (p.name) " — " (p.role) @if let Some(age) = p.age { ", " (age) } } } }
        form method="post" action=(format!("{path}/people")) {
            (csrf_field(csrf))
            label for="name" { "Name" } input type="text" id="name" name="name" required maxlength="120";
            label for="role" { "Part" }
            select id="role" name="role" { option value="suspect" { "suspect" } option value="complainant" { "complainant" } option value="witness" { "witness" } }
            label for="age" { "Age, if known" } input type="text" id="age" name="age" inputmode="numeric" maxlength="3";
            button type="submit" { "Add" }
        }
        h2 { "Change the status" }
        form method="post" action=(format!("{path}/status")) {
            (csrf_field(csrf))
            label for="status" { "New status" }
            select id="status" name="status" { @for s in STATUSES { option value=(s) selected[s == case.status] { (s) } } }
            label for="court" { "Court (for in-court)" } input type="text" id="court" name="court" maxlength="200";
            label for="court_date" { "Court date (YYYY-MM-DD)" } input type="text" id="court_date" name="court_date" maxlength="10" placeholder="2026-12-14";
            label for="reason" { "Reason (required to move a case back)" } textarea id="reason" name="reason" rows="2" maxlength="2000" {}
            button type="submit" { "Change" }
        }
        h2 { "Journal" }
        ol { @for e in &view.events { li { (local.display(&e.created_at)) " · " (e.user_label) " · " (e.from_status) " → " (e.to_status) @if !e.reason.is_empty() { ": " (e.reason) } } } }
        h2 { "Linked posts" }
        @if view.posts.is_empty() { p { "None yet. Link a post to this case from the compose form (link kind case, reference " (case.reference) ")." } }
        ul { @for p in &view.posts { li { a href=(format!("/staff/posts/{}", p.id)) { "Post " (p.id) } " (" (p.status.as_str()) ", " (local.display(&p.created_at)) "): " (p.body.chars().take(120).collect::<String>()) } } }
    };
    Ok(staff_page(
        &context,
        &format!("Case {} — {}", case.reference, case.title),
        content,
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct PersonForm {
    name: String,
    role: String,
    #[serde(default)]
    age: String,
}

pub async fn add_person(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<PersonForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    let age = match f.age.trim() {
        "" => None,
        text => Some(text.parse::<i64>().map_err(|_| {
            bluelamp_services::ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "age",
                "a whole number of years, or blank",
            ))
        })?),
    };
    cases::add_person(
        &state.store,
        &form.session.staff,
        &reference,
        &f.name,
        &f.role,
        age,
    )
    .await?;
    Ok(done(&format!("/staff/cases/{reference}"), "person-added"))
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    court: String,
    #[serde(default)]
    court_date: String,
    #[serde(default)]
    reason: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<StatusForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    cases::set_status(
        &state.store,
        &form.session.staff,
        &reference,
        &StatusChange {
            status: &f.status,
            court: Some(&f.court),
            court_date: Some(&f.court_date),
            reason: &f.reason,
        },
    )
    .await?;
    Ok(done(&format!("/staff/cases/{reference}"), "status-changed"))
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    text: String,
    account_id: i64,
}

pub async fn follow_up(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    form: StaffForm<FollowUpForm>,
) -> Result<Response, PageError> {
    let submitted = bluelamp_services::posts::compose(
        &state.store,
        &state.governance,
        &form.session.staff,
        AccountId(form.form.account_id),
        &Compose {
            text: form.form.text.clone(),
            kind: Some("update".into()),
            link: Some(Link {
                kind: "case".into(),
                reference: reference.clone(),
            }),
            ..Compose::default()
        },
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/posts/{}", submitted.post.id),
        "submitted",
    ))
}
