//! `/staff/inbox`: replies and mentions from the fediverse (until the
//! engagement inbox triages them), reports, and the force's blocks.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services as services;
use maud::{html, PreEscaped};
use serde::Deserialize;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, staff_page};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let view = services::federation::inbox(&state.store, &context.staff).await?;
    let message = match query.done.as_deref() {
        Some("blocked") => Some("Blocked. Nothing from it is accepted and nothing is sent to it."),
        _ => None,
    };
    let content = html! {
        (notice(message))
        h2 { "Replies and mentions" }
        @if view.messages.is_empty() { p { "Nothing has arrived from the fediverse yet." } }
        @for m in &view.messages {
            article.inbound {
                p.meta {
                    strong { (m.author_name.as_deref().unwrap_or(&m.actor_id)) }
                    " · " code { (m.actor_id) }
                    " · " (m.published.as_deref().unwrap_or(&m.received_at))
                    @if let Some(reply) = &m.in_reply_to { " · in reply to " code { (reply) } }
                    @if m.updated_at.is_some() { " · edited" }
                }
                @if m.deleted_at.is_some() {
                    p { em { "Deleted by its author." } }
                } @else {
                    @if let Some(warning) = &m.content_warning { p { strong { "Content warning: " } (PreEscaped(warning)) } }
                    // Sanitised with ammonia before it was stored.
                    div.content { (PreEscaped(&m.content_html)) }
                    @if let Some(items) = m.attachments.as_array() {
                        @for a in items {
                            p { "Attachment: " code { (a["url"].as_str().unwrap_or_default()) }
                                @if let Some(alt) = a["alt"].as_str() { " — " (alt) } }
                        }
                    }
                }
            }
        }
        h2 { "Reports from other servers" }
        @if view.reports.is_empty() { p { "No reports." } }
        ul { @for r in &view.reports { li { code { (r.actor_id) } " reported " (r.objects.join(", ")) @if let Some(c) = &r.content { ": " (PreEscaped(c)) } } } }
        h2 { "Blocked accounts and domains" }
        ul { @for b in &view.blocks { li { (b.kind) " " code { (b.target) } " since " (b.created_at) } } }
        form method="post" action="/staff/inbox/block" {
            (csrf_field(&context.session.csrf_token))
            label for="target" { "Block an account (its https:// address) or a whole domain" }
            input type="text" id="target" name="target" required;
            button type="submit" { "Block" }
        }
    };
    Ok(staff_page(&context, "Fediverse replies, reports and blocks", content).into_response())
}

#[derive(Deserialize)]
pub struct BlockForm {
    target: String,
}

pub async fn block(
    State(state): State<AppState>,
    form: StaffForm<BlockForm>,
) -> Result<Response, PageError> {
    services::federation::block(&state.store, &form.session.staff, &form.form.target).await?;
    Ok(done("/staff/fediverse", "blocked"))
}
