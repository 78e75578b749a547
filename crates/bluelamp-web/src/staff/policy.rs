//! Reading, acknowledging and publishing the social-media policy.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::Action;
use bluelamp_services as services;
use maud::html;
use serde::Deserialize;

use super::{done, notice_text, staff_page, Done};
use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    let (policy, acknowledged) = services::policy::status(&state.store, staff).await?;
    let may_publish = staff.authorize(Action::PublishPolicy).is_ok() && staff.force_id.is_some();
    let history = if staff.authorize(Action::ViewAccounts).is_ok() && staff.force_id.is_some() {
        services::policy::history(&state.store, staff).await?
    } else {
        Vec::new()
    };
    let csrf = &context.session.csrf_token;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        @if let Some(policy) = &policy {
            h2 { (policy.title) " — version " (policy.version) }
            div.policy tabindex="0" aria-label="Policy text" { (policy.body) }
            @if let Some(at) = &acknowledged {
                p id="policy-ok" { "You acknowledged this version on " (at) "." }
            } @else {
                form method="post" action="/staff/policy/acknowledge" {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(policy.version);
                    label for="confirm" {
                        input type="checkbox" id="confirm" name="confirm" value="yes" required;
                        " I have read and will follow version " (policy.version) " of this policy"
                    }
                    button type="submit" id="acknowledge" { "Acknowledge" }
                }
            }
        } @else {
            p { "No policy has been published yet." }
        }
        @if may_publish {
            section aria-labelledby="publish" {
                h2 id="publish" { "Publish a new version" }
                p.hint { "Everyone in the force will have to acknowledge the new version before they can post again." }
                form method="post" action="/staff/policy/publish" {
                    (csrf_field(csrf))
                    label for="title" { "Title" }
                    input type="text" id="title" name="title" value=(policy.as_ref().map(|p| p.title.as_str()).unwrap_or("Social media policy")) required;
                    label for="body" { "Policy text" }
                    textarea id="body" name="body" required { (policy.as_ref().map(|p| p.body.as_str()).unwrap_or("")) }
                    button type="submit" { "Publish new version" }
                }
            }
        }
        @if !history.is_empty() {
            h2 { "Versions" }
            table {
                thead { tr { th scope="col" { "Version" } th scope="col" { "Published" } th scope="col" { "Acknowledged by" } } }
                tbody {
                    @for (version, count) in &history {
                        tr { td { (version.version) } td { (version.published_at) } td { (count) " staff" } }
                    }
                }
            }
        }
    };
    Ok(staff_page(&context, "Social-media policy", content).into_response())
}

#[derive(Deserialize)]
pub struct AcknowledgeForm {
    version: i64,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    form: StaffForm<AcknowledgeForm>,
) -> Result<Response, PageError> {
    if form.form.confirm.as_deref() != Some("yes") {
        return Err(crate::error::WebError::bad_request(
            "Tick the box to confirm you have read the policy.",
        )
        .into());
    }
    services::policy::acknowledge(&state.store, &form.session.staff, form.form.version).await?;
    Ok(done("/staff/policy", "acknowledged"))
}

#[derive(Deserialize)]
pub struct PublishForm {
    title: String,
    body: String,
}

pub async fn publish(
    State(state): State<AppState>,
    form: StaffForm<PublishForm>,
) -> Result<Response, PageError> {
    services::policy::publish(
        &state.store,
        &form.session.staff,
        &form.form.title,
        &form.form.body,
    )
    .await?;
    Ok(done("/staff/policy", "published"))
}
