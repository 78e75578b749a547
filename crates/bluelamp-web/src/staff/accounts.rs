//! Public accounts, their members, and (for now) a plain post form; the
//! publishing issue replaces it with the full compose page.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::{AccountId, AccountKind, Action};
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
    let accounts = services::accounts::list_accounts(&state.store, &context.staff).await?;
    let may_manage = context.staff.authorize(Action::ManageAccounts).is_ok();
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        table {
            caption { "Public accounts" }
            thead { tr { th scope="col" { "Handle" } th scope="col" { "Name" } th scope="col" { "Kind" } } }
            tbody {
                @for account in &accounts {
                    tr {
                        td { a href=(format!("/staff/accounts/{}", account.id)) { "@" (account.handle) } }
                        td { (account.display_name) }
                        td { (account.kind.as_str()) }
                    }
                }
            }
        }
        @if may_manage {
            h2 { "Add an account" }
            form method="post" action="/staff/accounts" {
                (csrf_field(&context.session.csrf_token))
                label for="handle" { "Handle" }
                input type="text" id="handle" name="handle" required aria-describedby="handle-hint";
                p.hint id="handle-hint" { "Letters, digits and _, starting with a letter; up to 30." }
                label for="display_name" { "Display name" }
                input type="text" id="display_name" name="display_name" required;
                label for="kind" { "Kind" }
                select id="kind" name="kind" {
                    @for kind in AccountKind::ALL { option value=(kind.as_str()) { (kind.as_str()) } }
                }
                label for="bio" { "Bio" }
                textarea id="bio" name="bio" {}
                button type="submit" { "Create account" }
            }
        }
    };
    Ok(staff_page(&context, "Accounts", content).into_response())
}

#[derive(Deserialize)]
pub struct AddForm {
    handle: String,
    display_name: String,
    kind: String,
    #[serde(default)]
    bio: String,
}

pub async fn add(
    State(state): State<AppState>,
    form: StaffForm<AddForm>,
) -> Result<Response, PageError> {
    let input = services::accounts::AddAccount {
        handle: form.form.handle,
        display_name: form.form.display_name,
        bio: form.form.bio,
        kind: form.form.kind,
        avatar_url: None,
    };
    services::accounts::add_account(&state.store, &form.session.staff, &input).await?;
    Ok(done("/staff/accounts", "account-added"))
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let (account, members) =
        services::accounts::get_account(&state.store, &context.staff, AccountId(id)).await?;
    let may_manage = context.staff.authorize(Action::ManageAccounts).is_ok();
    let away = services::accounts::away_reply(&state.store, &context.staff, AccountId(id)).await?;
    let steps =
        services::posts::approval_steps(&state.store, &context.staff, AccountId(id)).await?;
    let connections =
        services::crosspost::connections(&state.store, &context.staff, AccountId(id)).await?;
    let networks: Vec<String> = connections
        .iter()
        .filter(|c| c.status != bluelamp_store::connections::REVOKED)
        .map(|c| c.network.clone())
        .collect();
    let csrf = &context.session.csrf_token;
    let local = services::inbox::sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        p { (account.kind.as_str()) " account. " (account.bio) }
        (compose_form(&context, &account, &members, &local.zone_name, &networks))
        (super::connections::section(&context, account.id, &connections))
        h2 { "Members" }
        table {
            thead { tr { th scope="col" { "User" } th scope="col" { "May post" } th scope="col" { "Without approval" } th scope="col" { "May approve" } th scope="col" { "Signature" } } }
            tbody {
                @for member in &members {
                    tr {
                        td { (member.display_name) " (" (member.username) ")" }
                        td { (yes_no(member.permissions.post)) }
                        td { (yes_no(member.permissions.post_without_approval)) }
                        td { (yes_no(member.permissions.approve)) }
                        td { (member.signature.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
        @if may_manage {
            h2 { "Add or change a member" }
            form method="post" action=(format!("/staff/accounts/{}/members", account.id)) {
                (csrf_field(csrf))
                label for="username" { "Username" }
                input type="text" id="username" name="username" required;
                fieldset {
                    legend { "Permissions" }
                    label { input type="checkbox" name="post" value="true"; " May post" }
                    label { input type="checkbox" name="post_without_approval" value="true"; " May post without approval" }
                    label { input type="checkbox" name="approve" value="true"; " May approve others' posts" }
                }
                @if account.kind == AccountKind::Collective {
                    label for="signature" { "Signature (for example ACC MJ)" }
                    input type="text" id="signature" name="signature" required;
                }
                button type="submit" { "Save member" }
            }
            (steps_form(csrf, account.id, &steps))
            h2 { "Out-of-hours auto-reply" }
            form method="post" action=(format!("/staff/accounts/{}/away-reply", account.id)) {
                (csrf_field(csrf))
                label for="away-reply" { "Sent at once to messages addressed to this account outside the force's office hours (set on the force settings page); empty for none. Emergencies get the 999 advice instead." }
                textarea id="away-reply" name="text" rows="3" maxlength="500" { (away.as_deref().unwrap_or("")) }
                button type="submit" { "Save auto-reply" }
            }
        }
    };
    Ok(staff_page(&context, &format!("@{}", account.handle), content).into_response())
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

#[derive(Deserialize)]
pub struct MemberForm {
    username: String,
    #[serde(default)]
    post: Option<String>,
    #[serde(default)]
    post_without_approval: Option<String>,
    #[serde(default)]
    approve: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

pub async fn set_member(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<MemberForm>,
) -> Result<Response, PageError> {
    let checked = |value: &Option<String>| value.as_deref() == Some("true");
    let input = services::accounts::SetMember {
        username: form.form.username.clone(),
        post: checked(&form.form.post),
        post_without_approval: checked(&form.form.post_without_approval),
        approve: checked(&form.form.approve),
        signature: form.form.signature.clone(),
    };
    services::accounts::set_member(&state.store, &form.session.staff, AccountId(id), &input)
        .await?;
    Ok(done(&format!("/staff/accounts/{id}"), "member-saved"))
}

fn compose_form(
    context: &bluelamp_services::auth::SessionContext,
    account: &bluelamp_store::accounts::Account,
    members: &[bluelamp_store::accounts::Member],
    zone: &str,
    networks: &[String],
) -> maud::Markup {
    let signature = members
        .iter()
        .find(|m| Some(m.user_id) == context.staff.user_id)
        .and_then(|m| m.signature.clone())
        .filter(|_| account.kind == AccountKind::Collective)
        .unwrap_or_default();
    let without_approval = members
        .iter()
        .find(|m| Some(m.user_id) == context.staff.user_id)
        .is_some_and(|m| m.permissions.post_without_approval);
    html! {
        h2 { "Compose" }
        form id="compose" method="post" action=(format!("/staff/accounts/{}/posts", account.id)) enctype="multipart/form-data"
            data-csrf=(context.session.csrf_token) data-account-kind=(account.kind.as_str()) data-signature=(signature)
            data-without-approval=(if without_approval { "true" } else { "false" }) {
            (csrf_field(&context.session.csrf_token))
            @if !signature.is_empty() {
                p.hint { "Your post will be signed \u{201c}" (signature) ": \u{2026}\u{201d}; the signature counts toward the length." }
            }
            label for="content_warning" { "Content warning (optional)" }
            input type="text" id="content_warning" name="content_warning" maxlength="200" aria-describedby="content-warning-hint";
            p.hint id="content-warning-hint" { "Shown before the text, which readers then open on purpose: for example \u{201c}Image of an injured dog\u{201d}. Up to 200 characters." }
            label for="text" { "Text" }
            textarea id="text" name="text" required aria-describedby="live-findings" {}
            p id="counters" aria-live="off" {}
            div id="live-findings" aria-live="polite" {}
            p.hint { "Preview with the words the check points at marked:" }
            p id="live-preview" {}
            label for="kind" { "Kind of post" }
            select id="kind" name="kind" {
                @for kind in ["update", "appeal", "incident", "personal", "reply"] { option value=(kind) { (kind) } }
            }
            label for="case_reference" { "Case reference (if the post is about a case on record)" }
            input type="text" id="case_reference" name="case_reference" maxlength="40" aria-describedby="case-reference-hint";
            p.hint id="case-reference-hint" { "The case's status and the people it records then decide the check, whatever is chosen below." }
            label for="case_status" { "Legal status of the matter (if no case is on record)" }
            select id="case_status" name="case_status" {
                @for status in ["none", "arrested", "charged", "convicted", "acquitted", "nfa"] { option value=(status) { (status) } }
            }
            fieldset {
                legend { "Channels" }
                @for channel in bluelamp_domain::post::CONNECTED_CHANNELS.iter().copied().chain(networks.iter().map(String::as_str)) {
                    label { input type="checkbox" name="channels" value=(channel) checked; " " (channel_label(channel)) }
                }
                p.hint { "Only connected channels are offered. The post is always on the force's public pages and feeds." }
            }
            label for="media" { "Photos (up to 4) or one video" }
            input type="file" id="media" name="media" accept="image/jpeg,image/png,image/webp,image/gif,video/mp4,video/webm" multiple;
            fieldset {
                legend { "Describe each photo for people who cannot see it (alt text)" }
                label for="alt" { "Photo 1, or the video" }
                input type="text" id="alt" name="alt" maxlength="1500";
                @for n in 2..=4 {
                    label for=(format!("alt_{n}")) { "Photo " (n) }
                    input type="text" id=(format!("alt_{n}")) name=(format!("alt_{n}")) maxlength="1500";
                }
            }
            label for="scheduled_at" { "Publish later (optional): the date and time in " (zone) }
            input type="datetime-local" id="scheduled_at" name="scheduled_at" aria-describedby="scheduled-hint";
            p.hint id="scheduled-hint" { "Local time, whatever the season: the force's clock changes are taken care of. A time the clocks skip in spring is refused; one they pass twice in autumn is the first." }
            button type="submit" id="post" { "Submit" }
        }
        script src="/assets/compose.js" defer {}
    }
}

fn channel_label(channel: &str) -> &'static str {
    match channel {
        "fediverse" => "Fediverse (Mastodon and others)",
        "email" => "E-mail subscribers",
        "bluesky" => "Bluesky (no edits there: an edit here posts a correction as a reply)",
        "x" => "X",
        "facebook" => "Facebook Page",
        _ => "Other",
    }
}

#[derive(Deserialize)]
pub struct AwayForm {
    #[serde(default)]
    text: String,
}

pub async fn set_away_reply(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: crate::auth::StaffForm<AwayForm>,
) -> Result<Response, PageError> {
    services::accounts::set_away_reply(
        &state.store,
        &form.session.staff,
        AccountId(id),
        &form.form.text,
    )
    .await?;
    Ok(crate::staff::done(
        &format!("/staff/accounts/{id}"),
        "away-reply-saved",
    ))
}

/// Rows offered on the approval-steps form: the steps there are and one spare.
const STEP_ROWS: usize = 3;

fn steps_form(
    csrf: &str,
    account: AccountId,
    steps: &[services::posts::StepInput],
) -> maud::Markup {
    html! {
        h2 id="approval-steps" { "Approval steps" }
        p.hint { "Posts that need approval pass each step in turn (for example a supervisor, then the comms team). A step is satisfied by any one of its approvers, or by all of them. With no steps, any member who may approve will do." }
        form method="post" action=(format!("/staff/accounts/{}/approval-steps", account.0)) {
            (csrf_field(csrf))
            @for row in 0..STEP_ROWS.max(steps.len() + 1) {
                @let step = steps.get(row);
                fieldset {
                    legend { "Step " (row + 1) }
                    label for=(format!("step{}-name", row + 1)) { "Name (for example Duty sergeant)" }
                    input type="text" id=(format!("step{}-name", row + 1)) name=(format!("step{}_name", row + 1)) maxlength="60" value=(step.map(|s| s.name.as_str()).unwrap_or(""));
                    label for=(format!("step{}-approvers", row + 1)) { "Approvers: usernames, separated by commas" }
                    input type="text" id=(format!("step{}-approvers", row + 1)) name=(format!("step{}_approvers", row + 1)) value=(step.map(|s| s.approvers.join(", ")).unwrap_or_default());
                    label {
                        input type="checkbox" name=(format!("step{}_all", row + 1)) value="true" checked[step.is_some_and(|s| s.needs_all)];
                        " All of them must approve (otherwise any one)"
                    }
                }
            }
            button type="submit" id="save-steps" { "Save approval steps" }
        }
    }
}

/// Save the approval steps: rows left blank are dropped.
pub async fn set_approval_steps(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: crate::auth::StaffForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let field = |name: String| {
        form.form
            .get(&name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut steps = Vec::new();
    for row in 1..=bluelamp_domain::approval::MAX_STEPS + 1 {
        let name = field(format!("step{row}_name"));
        let approvers = field(format!("step{row}_approvers"));
        if name.is_empty() && approvers.is_empty() {
            continue;
        }
        steps.push(services::posts::StepInput {
            name,
            needs_all: field(format!("step{row}_all")) == "true",
            approvers: approvers
                .split(',')
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .collect(),
        });
    }
    services::posts::set_approval_steps(&state.store, &form.session.staff, AccountId(id), &steps)
        .await?;
    Ok(crate::staff::done(
        &format!("/staff/accounts/{id}"),
        "steps-saved",
    ))
}
