//! The staff home page: where you are, what you must do first.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::{Action, ForceId, Role};
use bluelamp_services as services;
use maud::html;
use serde::Deserialize;

use super::{done, notice_text, staff_page, Done};
use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::AppState;

pub async fn home(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    let forces = services::forces::list_forces(&state.store, staff).await?;
    // Partners never see the force's internal policy (nor need to sign it).
    let (policy, acknowledged) = if staff.role == Role::Partner {
        (None, None)
    } else {
        services::policy::status(&state.store, staff).await?
    };
    let current_force = forces.iter().find(|f| Some(f.id) == staff.force_id);
    let follow_ups = services::cases::follow_ups_owed(&state.store, staff).await?;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        p { "Logged in as " strong { (staff.display_name) } " (" (staff.role.as_str()) ")." }
        @if staff.authorize(Action::Post).is_ok() && acknowledged.is_some() {
            p.actions {
                a.button href="/staff/compose" { "Write a post" }
                " "
                a href="/staff/posts" { "My posts and the approval queue" }
            }
        }
        @if let Some(force) = current_force {
            p { "Working in " strong { (force.name) } ". Public page: " a href=(format!("/forces/{}", force.code)) { "/forces/" (force.code) } }
            @if staff.authorize(Action::ConfigureForce).is_ok() {
                p { a href="/staff/force-settings" { "Force settings" } " · " a href="/staff/rules" { "Governance rules" } }
            }
        }
        @if staff.role == Role::ServerAdmin {
            section aria-labelledby="choose-force" {
                h2 id="choose-force" { "Choose a force" }
                @if forces.is_empty() {
                    p { "There are no forces yet. Add one with " code { "bluelamp force add" } "." }
                } @else {
                    form method="post" action="/staff/force" {
                        (csrf_field(&context.session.csrf_token))
                        label for="force" { "Force" }
                        select id="force" name="force_id" {
                            @for force in &forces {
                                option value=(force.id) selected[Some(force.id) == staff.force_id] { (force.name) " (" (force.code) ")" }
                            }
                        }
                        button type="submit" { "Work in this force" }
                    }
                }
            }
        }
        @if staff.role == Role::Partner {
            section aria-labelledby="referrals" {
                h2 id="referrals" { "Referrals to you" }
                p { "Nothing has been referred to you yet. You will only ever see what a force refers to your agency." }
            }
        } @else {
            @if !follow_ups.is_empty() {
                section aria-labelledby="follow-ups" {
                    h2 id="follow-ups" { "Follow-ups you are asked to publish" }
                    p { "A case you posted about has moved on; the public were told the start of the story and are owed the rest." }
                    ul {
                        @for (case, text) in &follow_ups {
                            li {
                                a href=(format!("/staff/cases/{}#follow-up", case.reference)) { (case.reference) ": " (case.title) }
                                " (now " (case.status) ")"
                                p.hint { (text) }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="policy-status" {
                h2 id="policy-status" { "Social-media policy" }
                @match (&policy, &acknowledged) {
                    (Some(policy), Some(at)) => p id="policy-ok" { "You acknowledged version " (policy.version) " on " (at) "." },
                    (Some(policy), None) => div.error role="alert" id="policy-needed" {
                        p { "You must read and acknowledge version " (policy.version) " of the social-media policy before you can post. " a href="/staff/policy" { "Read the policy" } }
                    },
                    (None, _) => p { "No policy has been published yet, so nobody can post." },
                }
            }
        }
    };
    Ok(staff_page(&context, "Staff home", content).into_response())
}

#[derive(Deserialize)]
pub struct ChooseForce {
    force_id: i64,
}

pub async fn choose_force(
    State(state): State<AppState>,
    form: StaffForm<ChooseForce>,
) -> Result<Response, PageError> {
    services::auth::choose_force(&state.store, &form.session, ForceId(form.form.force_id)).await?;
    Ok(done("/staff", "force-chosen"))
}

/// `/staff/compose`: one step from anywhere to writing a post. With one account
/// to post to, straight to its compose form; with several, the choice.
pub async fn compose(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    context.staff.authorize(Action::Post)?;
    let accounts = services::accounts::list_postable(&state.store, &context.staff).await?;
    if let [only] = accounts.as_slice() {
        return Ok(
            axum::response::Redirect::to(&format!("/staff/accounts/{}#compose", only.id.0))
                .into_response(),
        );
    }
    let content = html! {
        @if accounts.is_empty() {
            p { "You are not yet a member of any account with permission to post. Ask your comms team to add you." }
        } @else {
            p { "Which account do you post as?" }
            ul {
                @for a in &accounts {
                    li { a href=(format!("/staff/accounts/{}#compose", a.id.0)) { (a.display_name) " (@" (a.handle) ")" } }
                }
            }
        }
    };
    Ok(staff_page(&context, "Compose", content).into_response())
}
