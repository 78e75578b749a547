//! `/staff/referrals`: safeguarding referrals. A partner agency's users land here and
//! see only their referrals; force staff see all of the force's, and refer from a
//! message's page.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services::referrals::{self, NewReferralInput, CONSENT, LAWFUL_BASES, STATUSES};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, staff_page, Done};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    let list = referrals::list(&state.store, &context.staff).await?;
    let local = bluelamp_services::inbox::sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        @if list.is_empty() { p { "No referrals." } }
        table {
            thead { tr { th scope="col" { "Referral" } th scope="col" { "Agency" } th scope="col" { "Status" } th scope="col" { "Sent" } } }
            tbody { @for r in &list { tr {
                td { a href=(format!("/staff/referrals/{}", r.id)) { "Referral " (r.id) } }
                td { (r.agency_name) } td { (r.status) } td { (local.display(&r.created_at)) }
            } } }
        }
    };
    Ok(staff_page(&context, "Referrals", content).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let (r, updates) = referrals::get(&state.store, &context.staff, id).await?;
    let local = bluelamp_services::inbox::sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (notice(query.done.as_deref().map(|_| "The referral is updated.")))
        dl {
            dt { "Agency" } dd { (r.agency_name) }
            dt { "Status" } dd { (r.status) }
            dt { "Referred by" } dd { (r.created_by_label) " at " (local.display(&r.created_at)) }
            dt { "Lawful basis" } dd { (r.lawful_basis) }
            dt { "Consent" } dd { (r.consent) }
            dt { "Why" } dd { (r.reasoning) }
        }
        h2 { "What is shared" }
        blockquote { @for line in r.shared.lines() { (line) br; } }
        @if let Some(m) = r.message_id { p { a href=(format!("/staff/inbox/{m}")) { "The message it came from" } } }
        h2 { "Updates" }
        ol { @for u in &updates { li { (local.display(&u.created_at)) " · " (u.user_label) " · " (u.status) @if !u.note.is_empty() { ": " (u.note) } } } }
        form method="post" action=(format!("/staff/referrals/{id}/update")) {
            (csrf_field(&context.session.csrf_token))
            label for="status" { "Status" }
            select id="status" name="status" { @for s in STATUSES { option value=(s) selected[s == r.status] { (s) } } }
            label for="note" { "Note" }
            textarea id="note" name="note" rows="3" maxlength="4000" {}
            button type="submit" { "Update" }
        }
    };
    Ok(staff_page(&context, &format!("Referral {id}"), content).into_response())
}

#[derive(Deserialize)]
pub struct UpdateForm {
    status: String,
    #[serde(default)]
    note: String,
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<UpdateForm>,
) -> Result<Response, PageError> {
    referrals::update(
        &state.store,
        &form.session.staff,
        id,
        &form.form.status,
        &form.form.note,
    )
    .await?;
    Ok(done(&format!("/staff/referrals/{id}"), "updated"))
}

/// The referral form on a message's page.
pub(crate) fn refer_form(
    csrf: &str,
    message_id: i64,
    agencies: &[bluelamp_store::referrals::Agency],
) -> Markup {
    html! {
        h2 { "Refer to a partner agency" }
        @if agencies.is_empty() { p { "The force has no partner agencies yet (a force administrator adds them)." } }
        @else {
            form method="post" action=(format!("/staff/inbox/{message_id}/refer")) {
                (csrf_field(csrf))
                label for="agency_id" { "Agency" }
                select id="agency_id" name="agency_id" { @for a in agencies { option value=(a.id) { (a.name) } } }
                label for="shared" { "What to share: the minimum the agency needs" }
                textarea id="shared" name="shared" rows="4" required maxlength="4000" {}
                label for="lawful_basis" { "Lawful basis" }
                select id="lawful_basis" name="lawful_basis" { @for b in LAWFUL_BASES { option value=(b) { (b) } } }
                label for="consent" { "Consent" }
                select id="consent" name="consent" { @for c in CONSENT { option value=(c) { (c) } } }
                label for="reasoning" { "Why this referral" }
                textarea id="reasoning" name="reasoning" rows="3" required maxlength="4000" {}
                button type="submit" { "Refer" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReferForm {
    agency_id: i64,
    shared: String,
    lawful_basis: String,
    consent: String,
    reasoning: String,
}

pub async fn refer(
    State(state): State<AppState>,
    Path(message_id): Path<i64>,
    form: StaffForm<ReferForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    let id = referrals::create(
        &state.store,
        &form.session.staff,
        &NewReferralInput {
            message_id,
            agency_id: f.agency_id,
            shared: &f.shared,
            lawful_basis: &f.lawful_basis,
            consent: &f.consent,
            reasoning: &f.reasoning,
        },
    )
    .await?;
    Ok(done(&format!("/staff/referrals/{id}"), "referred"))
}
