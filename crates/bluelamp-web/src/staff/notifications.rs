//! `/staff/notifications`: what a member of staff has been told (a post waits for
//! their approval; theirs was approved, rejected or published), newest unread
//! first, in the force's time zone; the navigation shows the unread count.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services::inbox::sla;
use bluelamp_services::staff_notifications;
use maud::html;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, staff_page, Done, Empty};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let list = staff_notifications::list(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let csrf = &context.session.csrf_token;
    let unread = list.iter().filter(|n| n.read_at.is_none()).count();
    let content = html! {
        (notice((query.done.as_deref() == Some("read")).then_some("Marked as read.")))
        @if list.is_empty() {
            p { "Nothing yet. You will be told here when a post waits for your approval, and when yours is approved, rejected or published." }
        } @else {
            p { (unread) " unread. Times are " (local.zone_name) "." }
            @if unread > 0 {
                form method="post" action="/staff/notifications/read" {
                    (csrf_field(csrf))
                    button.secondary type="submit" { "Mark all as read" }
                }
            }
            ul.notifications {
                @for n in &list {
                    li.unread[n.read_at.is_none()] {
                        @if n.read_at.is_none() { span.visually-hidden { "Unread: " } }
                        @match (n.post_id, n.message_id) {
                            (Some(post), _) => a href=(format!("/staff/posts/{post}")) { (n.text) },
                            (None, Some(message)) => a href=(format!("/staff/inbox/{message}")) { (n.text) },
                            (None, None) => (n.text),
                        }
                        " " small { (local.display(&n.created_at)) }
                        @if n.read_at.is_none() {
                            form.inline method="post" action=(format!("/staff/notifications/{}/read", n.id)) {
                                (csrf_field(csrf))
                                button.secondary type="submit" aria-label=(format!("Mark as read: {}", n.text)) { "Mark as read" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(staff_page(&context, "Notifications", content).into_response())
}

pub async fn read_all(
    State(state): State<AppState>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    staff_notifications::mark_read(&state.store, &form.session.staff, None).await?;
    Ok(done("/staff/notifications", "read"))
}

pub async fn read_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    staff_notifications::mark_read(&state.store, &form.session.staff, Some(id)).await?;
    Ok(done("/staff/notifications", "read"))
}
