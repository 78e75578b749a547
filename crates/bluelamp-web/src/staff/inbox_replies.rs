//! Answering a message from its page: the reply form (pre-filled from a canned
//! reply when one is chosen, kept with the reason when the check refuses it) and
//! the force's canned replies.

use axum::extract::{Path, State};
use axum::response::Response;
use bluelamp_domain::AccountId;
use bluelamp_services::inbox::replies;
use bluelamp_store::{accounts, canned, inbox::Message};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::StaffForm;
use crate::error::PageError;
use crate::layout::csrf_field;
use crate::staff::done;
use crate::AppState;

/// The reply section of a message's page.
pub fn reply_section(
    csrf: &str,
    message: &Message,
    accounts: &[accounts::Account],
    canned: &[canned::Canned],
    prefill: &str,
    refused: Option<&str>,
) -> Markup {
    let id = message.id;
    let public = replies::PUBLIC_CHANNELS.contains(&message.channel.as_str());
    html! {
        h2 id="reply" { "Reply" }
        @if !public {
            p { "This message came privately (" (message.channel) "): it is not answered with a public post." }
        } @else if accounts.is_empty() {
            p { "You are not a member of an account with permission to post, so you cannot reply from here." }
        } @else {
            @if !canned.is_empty() {
                form method="get" action=(format!("/staff/inbox/{id}")) {
                    label for="canned" { "Start from a canned reply" }
                    select id="canned" name="canned" {
                        @for c in canned { option value=(c.id) { (c.title) } }
                    }
                    button.secondary type="submit" { "Use" }
                }
            }
            @if let Some(reason) = refused {
                div.error role="alert" { p { strong { "Not sent: " } (reason) } p { "Your text is kept below; change it and send again." } }
            }
            form method="post" action=(format!("/staff/inbox/{id}/reply")) {
                (csrf_field(csrf))
                label for="reply-account" { "Reply as" }
                select id="reply-account" name="account" {
                    @for a in accounts {
                        option value=(a.id.0) selected[Some(a.id) == message.account_id] { (a.display_name) " (@" (a.handle) ")" }
                    }
                }
                label for="reply-text" { "Your reply (checked like any post; held for approval where your account needs it)" }
                textarea id="reply-text" name="text" rows="4" required maxlength="5000" { (prefill) }
                button type="submit" { "Send reply" }
            }
        }
    }
}

/// Canned replies: the list and a form to add one (on the inbox page).
pub fn canned_section(csrf: &str, canned: &[canned::Canned]) -> Markup {
    html! {
        details {
            summary { "Canned replies (" (canned.len()) ")" }
            ul { @for c in canned { li { strong { (c.title) } ": " (c.text) } } }
            form method="post" action="/staff/inbox/canned" {
                (csrf_field(csrf))
                label for="canned-title" { "Title" }
                input type="text" id="canned-title" name="title" required maxlength="80";
                label for="canned-text" { "Text: " code { "{name}" } ", " code { "{reference}" } ", " code { "{force}" } " and " code { "{channel}" } " are filled in from the message" }
                textarea id="canned-text" name="text" rows="3" required maxlength="2000" {}
                button type="submit" { "Add canned reply" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ReplyForm {
    text: String,
    #[serde(default)]
    account: Option<i64>,
}

pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<ReplyForm>,
) -> Result<Response, PageError> {
    let outcome = replies::reply(
        &state.store,
        &state.governance,
        &context.staff,
        id,
        &form.text,
        form.account.map(AccountId),
    )
    .await?;
    state.public_changed();
    let notice = match outcome.post.status {
        bluelamp_domain::PostStatus::Published => "replied",
        bluelamp_domain::PostStatus::Refused => "reply-refused",
        _ => "reply-held",
    };
    Ok(done(&format!("/staff/inbox/{id}"), notice))
}

#[derive(Deserialize)]
pub struct CannedForm {
    title: String,
    text: String,
}

pub async fn add_canned(
    State(state): State<AppState>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<CannedForm>,
) -> Result<Response, PageError> {
    replies::add_canned(&state.store, &context.staff, &form.title, &form.text).await?;
    Ok(done("/staff/inbox", "canned"))
}
