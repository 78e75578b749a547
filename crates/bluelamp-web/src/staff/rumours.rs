//! `/staff/rumours`: messages about the same claim, grouped as they arrive; one answer
//! for all of them.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services::inbox::rumours;
use maud::html;
use serde::Deserialize;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use bluelamp_services::inbox::sla;

use crate::staff::staff_page;
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    let clusters = rumours::list(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        p { "Messages that ask about or spread the same claim, grouped as they arrive. Answer the claim once and every message in the group is answered." }
        @if clusters.is_empty() { p { "No rumours yet." } }
        table {
            thead { tr { th scope="col" { "Claim (first message)" } th scope="col" { "Messages" } th scope="col" { "First seen" } th scope="col" { "Last seen" } th scope="col" { "Answered" } } }
            tbody {
                @for c in &clusters {
                    tr {
                        td { a href=(format!("/staff/rumours/{}", c.id)) { (c.sample) } }
                        td { (c.size) }
                        td { (local.display(&c.first_seen)) }
                        td { (local.display(&c.last_seen)) }
                        td { @if c.answer_post_id.is_some() { "yes" } @else { "not yet" } }
                    }
                }
            }
        }
    };
    Ok(staff_page(&context, "Rumours", content).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<AnsweredQuery>,
) -> Result<Response, PageError> {
    let view = rumours::get(&state.store, &context.staff, id).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let c = &view.cluster;
    let message = query.answered.map(|answered| {
        format!(
            "Answered: {answered} replies published, each on its message's own channel. \
             Waiting for approval: {}. Refused by the check: {} (each message says why). \
             Private (e-mail or web form, answer them privately): {}.",
            query.held.unwrap_or(0),
            query.refused.unwrap_or(0),
            query.private.unwrap_or(0)
        )
    });
    let content = html! {
        (notice(message.as_deref()))
        p { strong { (c.size) " messages" } " · first " (local.display(&c.first_seen)) " · last " (local.display(&c.last_seen)) }
        @if let Some(post) = c.answer_post_id { p { "Answered with " a href=(format!("/staff/posts/{post}")) { "post " (post) } } }
        h2 { "Answer them all" }
        form method="post" action=(format!("/staff/rumours/{id}/answer")) {
            (csrf_field(&context.session.csrf_token))
            label for="post_id" { "The published post that answers the claim (its number)" }
            input type="number" id="post_id" name="post_id" min="1" required;
            button type="submit" { "Answer every message" }
        }
        h2 { "Messages" }
        ol { @for m in &view.messages { li { a href=(format!("/staff/inbox/{}", m.id)) { (m.channel) " · " (m.author_handle) } ": " (m.body.chars().take(200).collect::<String>()) " (" (m.status) ")" } } }
    };
    Ok(staff_page(&context, &format!("Rumour {id}"), content).into_response())
}

/// What answering did, carried to the page after the redirect.
#[derive(Deserialize, Default)]
pub struct AnsweredQuery {
    answered: Option<usize>,
    held: Option<usize>,
    refused: Option<usize>,
    private: Option<usize>,
}

#[derive(Deserialize)]
pub struct AnswerForm {
    post_id: i64,
}

pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<AnswerForm>,
) -> Result<Response, PageError> {
    let done = rumours::answer_all(
        &state.store,
        &state.governance,
        &form.session.staff,
        id,
        form.form.post_id,
    )
    .await?;
    Ok(axum::response::Redirect::to(&format!(
        "/staff/rumours/{id}?answered={}&held={}&refused={}&private={}",
        done.answered, done.held, done.refused, done.private
    ))
    .into_response())
}
