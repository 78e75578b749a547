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
use crate::staff::{done, staff_page, Done};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    let clusters = rumours::list(&state.store, &context.staff).await?;
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
                        td { (c.first_seen.get(..16).unwrap_or(&c.first_seen).replace('T', " ")) " UTC" }
                        td { (c.last_seen.get(..16).unwrap_or(&c.last_seen).replace('T', " ")) " UTC" }
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
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let view = rumours::get(&state.store, &context.staff, id).await?;
    let c = &view.cluster;
    let message = query.done.as_deref().map(|_| "Every message in this rumour is answered with the post; the replies go out on each message's own channel.");
    let content = html! {
        (notice(message))
        p { strong { (c.size) " messages" } " · first " (c.first_seen) " · last " (c.last_seen) }
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

#[derive(Deserialize)]
pub struct AnswerForm {
    post_id: i64,
}

pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<AnswerForm>,
) -> Result<Response, PageError> {
    rumours::answer_all(&state.store, &form.session.staff, id, form.form.post_id).await?;
    Ok(done(&format!("/staff/rumours/{id}"), "answered"))
}
