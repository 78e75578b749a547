//! Composing, the approval queue, a post's page (approve, edit, reject, delete,
//! history), and pausing scheduled posts.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::{AccountId, Action, PostStatus};
use bluelamp_services as services;
use bluelamp_services::posts::{Compose, MediaRef};
use maud::{html, Markup};
use serde::Deserialize;

use super::{done, notice_text, staff_page, Done};
use crate::auth::{StaffForm, StaffMultipart, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::AppState;
use bluelamp_services::inbox::sla::LocalClock;

/// `datetime-local` inputs send `2026-11-21T18:00` without a zone; the form says UTC.
/// The browser's datetime-local value is the force's wall-clock time; the
/// service reads it in the force's zone.
fn schedule_from_form(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

pub async fn compose(
    State(state): State<AppState>,
    Path(account): Path<i64>,
    form: StaffMultipart,
) -> Result<Response, PageError> {
    let staff = &form.session.staff;
    // One description per photo: the first in `alt`, the others in `alt_2`..`alt_4`.
    let alt_of = |n: usize| -> String {
        let name = if n == 0 {
            "alt".to_string()
        } else {
            format!("alt_{}", n + 1)
        };
        form.field(&name).unwrap_or_default().to_string()
    };
    let mut media = Vec::new();
    for (n, upload) in form.files.iter().enumerate() {
        let id = crate::uploads::accept(
            &state,
            staff,
            Some(AccountId(account)),
            &upload.file_name,
            &upload.bytes,
        )
        .await
        .map_err(PageError)?;
        media.push(MediaRef { id, alt: alt_of(n) });
    }
    let input = Compose {
        text: form.field("text").unwrap_or_default().to_string(),
        kind: form.field("kind").map(str::to_string),
        channels: form.all("channels"),
        case_status: form.field("case_status").map(str::to_string),
        link: form
            .field("case_reference")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|reference| services::posts::Link {
                kind: "case".into(),
                reference: reference.to_string(),
            }),
        scheduled_at: form.field("scheduled_at").and_then(schedule_from_form),
        content_warning: form.field("content_warning").map(str::to_string),
        media,
        ..Compose::default()
    };
    let submitted = services::posts::compose(
        &state.store,
        &state.governance,
        staff,
        AccountId(account),
        &input,
    )
    .await?;
    state.public_changed();
    Ok(done(
        &format!("/staff/posts/{}", submitted.post.id),
        "submitted",
    ))
}

fn status_label(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Pending => "waiting for approval",
        PostStatus::Scheduled => "scheduled",
        PostStatus::Published => "published",
        PostStatus::Refused => "refused by the governance check",
        PostStatus::Rejected => "rejected by a supervisor",
        PostStatus::Deleted => "deleted",
    }
}

fn post_rows(posts: &[services::posts::Listed], local: &LocalClock) -> Markup {
    html! {
        table.posts {
            thead { tr {
                th scope="col" { "Post" } th scope="col" { "Author" } th scope="col" { "Account" }
                th scope="col" { "Status" } th scope="col" { "When" }
            } }
            tbody {
                @for listed in posts {
                    @let post = &listed.post;
                    tr {
                        td { a href=(format!("/staff/posts/{}", post.id)) { (crate::public::feeds::entry_title(&post.body)) } }
                        td { (listed.author_name) }
                        td { "@" (listed.account_handle) }
                        td {
                            (status_label(post.status))
                            @if let Some(why) = &listed.waits_because { ": " (why) }
                        }
                        td {
                            (local.display(post.scheduled_at.as_deref().unwrap_or(&post.created_at)))
                            @if let Some(minutes) = listed.waiting_minutes { br; small { "waiting " (waited(minutes)) } }
                        }
                    }
                }
            }
        }
    }
}

/// "12 min", "3 h 5 min", "2 days".
fn waited(minutes: i64) -> String {
    match minutes {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

pub async fn list(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    let mine = services::posts::mine(&state.store, staff).await?;
    let pending = services::posts::queue(&state.store, staff, PostStatus::Pending).await?;
    let scheduled = services::posts::queue(&state.store, staff, PostStatus::Scheduled).await?;
    let paused = services::posts::scheduling_paused(&state.store, staff).await?;
    let may_pause = staff.authorize(Action::PauseScheduling).is_ok();
    let local = services::inbox::sla::local_clock(&state.store, staff).await?;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        @if paused {
            div.error role="alert" id="paused" { p { "All scheduled posts of the force are paused." } }
        }
        section aria-labelledby="queue" {
            h2 id="queue" { "Waiting for approval (" (pending.len()) ")" }
            @if pending.is_empty() { p { "Nothing is waiting." } } @else { (post_rows(&pending, &local)) }
        }
        section aria-labelledby="scheduled" {
            h2 id="scheduled" { "Scheduled (" (scheduled.len()) ")" }
            @if scheduled.is_empty() { p { "Nothing is scheduled." } } @else { (post_rows(&scheduled, &local)) }
            @if may_pause {
                form method="post" action=(if paused { "/staff/scheduling/resume" } else { "/staff/scheduling/pause" }) {
                    (csrf_field(&context.session.csrf_token))
                    button type="submit" id="pause-toggle" {
                        @if paused { "Resume scheduled posts" } @else { "Pause all scheduled posts" }
                    }
                }
            }
        }
        section aria-labelledby="mine" {
            h2 id="mine" { "My posts" }
            @if mine.is_empty() { p { "You have not posted yet." } } @else { (post_rows(&mine, &local)) }
        }
    };
    Ok(staff_page(&context, "Posts", content).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let staff = &context.staff;
    let services::posts::PostDetail {
        post,
        author_name,
        account_handle,
        revisions,
        media: attachments,
        actions,
        waiting,
        approvals,
        escalation,
        ..
    } = services::posts::detail(&state.store, staff, id).await?;
    let csrf = &context.session.csrf_token;
    let local = services::inbox::sla::local_clock(&state.store, staff).await?;
    let findings = post.findings.as_array().cloned().unwrap_or_default();
    let (likes, boosts) = services::federation::reaction_counts(&state.store, post.id).await?;
    let share_options = services::federation::share_options(&state.store, staff, post.id).await?;
    let elsewhere = services::crosspost::post_channels(&state.store, staff, post.id).await?;
    // Who amplified it, for those who read the force's figures.
    let amplified = if post.status == PostStatus::Published
        && staff
            .role
            .authorize(bluelamp_domain::Action::ViewAnalytics)
            .is_ok()
    {
        Some(
            services::analytics::dashboards::post_amplification(&state.store, staff, post.id)
                .await?,
        )
    } else {
        None
    };
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        @if query.done.as_deref() == Some("submitted") {
            // The compose box's copy of this text is no longer needed.
            div id="draft-sent" hidden data-draft-key=(format!("bluelamp-draft:/staff/accounts/{}/posts", post.account_id.0)) {}
            script src="/assets/compose.js" defer {}
        }
        p id="post-status" { "Status: " strong { (status_label(post.status)) } ". Version " (post.version) "." }
        dl.post-context {
            dt { "Author" } dd { (author_name) }
            dt { "Account" } dd { "@" (account_handle) }
            dt { "Channels" } dd { (post.channels.join(", ")) }
            dt { "Written" } dd { (local.display(&post.created_at)) }
            @if let Some(at) = &post.published_at { dt { "Published" } dd { (local.display(at)) } }
        }
        @if !elsewhere.is_empty() {
            section aria-labelledby="elsewhere" {
                h2 id="elsewhere" { "On other networks" }
                ul {
                    @for c in &elsewhere {
                        li id=(format!("channel-{}", c.channel.network)) {
                            strong { (c.channel.network) } ": " (c.channel.status)
                            @if let Some(url) = &c.channel.remote_url { " — " a href=(url) { "see it there" } }
                            @if let Some(why) = &c.channel.last_error { " (" (why) ")" }
                            @if let Some(next) = &c.next_try { "; next try " (local.display(next)) }
                        }
                    }
                }
            }
        }
        @if let Some(waiting) = &waiting {
            p id="post-waiting" {
                "Waiting for " strong { (waiting.describe()) }
                @if waiting.fallback { " (nobody of that step can approve it, so the force's supervisors, comms team and administrators may)" }
                "."
            }
        }
        @if let Some(reason) = &post.escalation_reason {
            div.notice id="escalation" {
                p { "The check refused this post; its author escalated it: " strong { (reason) } }
                @if let Some(waiver) = &post.waiver_reference { p { "Waiver or court order: " strong { (waiver) } } }
            }
        }
        @if !approvals.is_empty() {
            section aria-labelledby="approvals" {
                h2 id="approvals" { "Approvals given" }
                ul {
                    @for given in &approvals {
                        li { "Step " (given.step + 1) ": " (given.name) ", " (local.display(&given.at))
                            @if let Some(why) = &given.rationale { " — " (why) } }
                    }
                }
            }
        }
        @if let (PostStatus::Scheduled | PostStatus::Pending, Some(at)) = (post.status, &post.scheduled_at) {
            p id="post-scheduled" { "Goes out at " strong { (local.display(at)) } "." }
        }
        @if let Some(note) = &post.review_note { p { "Reviewer's note: " (note) } }
        @if let Some(warning) = &post.content_warning {
            p id="post-content-warning" { "Content warning: " strong { (warning) } }
        }
        blockquote id="post-body" { (post.body) }
        @if let Some(proposal) = &post.proposed_edit {
            section aria-labelledby="proposed" {
                h2 id="proposed" { "Edit waiting for approval" }
                p { "Until a supervisor approves it, the public keeps seeing the approved text above. Check: " (proposal.decision) "." }
                blockquote id="proposed-body" { (proposal.body) }
                h3 { "What the edit changes" }
                (super::diff::words(&post.body, &proposal.body))
                @if actions.review_edit {
                    form method="post" action=(format!("/staff/posts/{}/approve", post.id)) {
                        (csrf_field(csrf))
                        input type="hidden" name="version" value=(post.version);
                        label for="approve-edit-text" { "Text (amend before approving if needed; it is checked again)" }
                        textarea id="approve-edit-text" name="text" { (proposal.text) }
                        button type="submit" id="approve-edit" { "Approve the edit" }
                    }
                    form method="post" action=(format!("/staff/posts/{}/reject", post.id)) {
                        (csrf_field(csrf))
                        input type="hidden" name="version" value=(post.version);
                        label for="edit-reason" { "Reason for turning the edit down (the editor sees it)" }
                        input type="text" id="edit-reason" name="reason";
                        button.secondary type="submit" id="reject-edit" { "Turn the edit down" }
                    }
                }
            }
        }
        @if post.status == PostStatus::Published {
            p { a href=(format!("/forces/{}/posts/{}", force_code(&state, post.force_id).await, post.id)) { "See it on the public site" } }
            p id="reactions" { "On the fediverse: " strong { (likes) } (if likes == 1 { " like" } else { " likes" }) ", " strong { (boosts) } (if boosts == 1 { " boost" } else { " boosts" }) "." }
            @if let Some(amp) = &amplified {
                details id="amplifiers" {
                    summary { "Who amplified it (the people who boosted it reach " (amp.boosters_reach) ")" }
                    ul { @for r in amp.reactions.iter().take(100) {
                        li {
                            a href=(r.actor_id) rel="nofollow noopener" { (super::analytics::short_actor(&r.actor_id)) }
                            (if r.kind == "announce" { " boosted it" } else { " liked it" })
                            @if let Some(n) = r.reach { " (" (n) " followers)" }
                            " · " (local.display(&r.at))
                        }
                    } }
                    @if !amp.replies.is_empty() {
                        p { "Replies: " }
                        ul { @for r in amp.replies.iter().take(100) {
                            li { (super::analytics::short_actor(&r.who)) " on " (r.channel) " · " (local.display(&r.at)) }
                        } }
                    }
                }
            }
        }
        @if post.status == PostStatus::Published {
            details {
                summary { "Should the check have stopped this post?" }
                form method="post" action=(format!("/staff/posts/{}/report", post.id)) {
                    (csrf_field(csrf))
                    label for="report-reason" { "What it missed" }
                    textarea id="report-reason" name="reason" required maxlength="2000" {}
                    label for="report-category" { "Which kind of problem (optional)" }
                    select id="report-category" name="category" {
                        option value="" { "Not sure" }
                        @for category in bluelamp_governance::corpus::LABELLED {
                            option value=(category.as_str()) { (category.as_str()) }
                        }
                    }
                    button.secondary type="submit" id="report" { "Report to the governance team" }
                }
            }
        }
        @if !share_options.is_empty() {
            section aria-labelledby="share" {
                h2 id="share" { "Share from another account" }
                p.hint { "Boosts this post to that account's followers, as it is; it goes out at once." }
                @for (account, shared) in &share_options {
                    @let action = if *shared { "unshare" } else { "share" };
                    form method="post" action=(format!("/staff/posts/{}/{action}", post.id)) {
                        (csrf_field(csrf))
                        input type="hidden" name="account_id" value=(account.id.0);
                        @if *shared {
                            button.secondary type="submit" id=(format!("unshare-{}", account.handle)) { "Stop sharing from @" (account.handle) }
                        } @else {
                            button type="submit" id=(format!("share-{}", account.handle)) { "Share from @" (account.handle) "\u{2026}" }
                        }
                    }
                }
            }
        }
        @for item in &attachments {
            p { (item.kind) ": " (item.content_type) ", " (item.byte_size) " bytes, SHA-256 " code { (item.sha256_original) } ". Alt text: " (if item.alt.is_empty() { "none" } else { &item.alt }) }
        }
        section aria-labelledby="findings" {
            h2 id="findings" { "What the Chief Constable would say" }
            @if findings.is_empty() { p { "Nothing: the check found no problem." } }
            ul {
                @for finding in &findings {
                    li.finding {
                        strong { (finding["severity"].as_str().unwrap_or_default()) " · " (finding["category"].as_str().unwrap_or_default()) }
                        " — " (finding["message"].as_str().unwrap_or_default())
                        @if let Some(basis) = finding["basis"].as_str() { " (" (basis) ")" }
                        @if let Some(suggestion) = finding["suggestion"].as_str() { br; "Suggestion: " (suggestion) }
                    }
                }
            }
        }
        @if actions.review {
            section aria-labelledby="review" {
                h2 id="review" { "Review" }
                @if let Some(earlier) = revisions.last() {
                    h3 { "Changed since version " (earlier.version) }
                    (super::diff::words(&earlier.body, &post.body))
                }
                form method="post" action=(format!("/staff/posts/{}/approve", post.id)) {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(post.version);
                    label for="approve-text" { "Text (edit before approving if needed; the edit is checked again and the original kept)" }
                    textarea id="approve-text" name="text" { (post.text) }
                    // Not `required`: an edit that clears the check needs no reason,
                    // and the server says so when one is missing.
                    @if post.decision == "refuse" {
                        label for="approve-reason" { "Your rationale for overruling the check (needed; audited)" }
                    } @else if post.decision == "hold" {
                        label for="approve-reason" { "Why it may go out although the check held it (needed unless your edit clears the check; recorded, and the check learns from it)" }
                    } @else {
                        label for="approve-reason" { "Your rationale (optional; recorded in the audit trail)" }
                    }
                    input type="text" id="approve-reason" name="reason" maxlength="2000";
                    button type="submit" id="approve" { "Approve" }
                }
                form method="post" action=(format!("/staff/posts/{}/reject", post.id)) {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(post.version);
                    label for="reason" { "Reason for rejecting (the author sees it)" }
                    input type="text" id="reason" name="reason";
                    button.secondary type="submit" id="reject" { "Reject" }
                }
            }
        }
        @if actions.write_again {
            section aria-labelledby="write-again" {
                h2 id="write-again" { "Write it again" }
                p { "Change what the findings below point at and send it again: it is checked afresh and goes out, or waits for approval, like a new post. Your earlier text is kept in the history." }
                form method="post" action=(format!("/staff/posts/{}/resubmit", post.id)) {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(post.version);
                    label for="write-again-text" { "Text" }
                    textarea id="write-again-text" name="text" rows="5" { (post.text) }
                    button type="submit" id="resubmit" { "Check and send again" }
                }
            }
        }
        @if let Some(needs) = &escalation {
            section aria-labelledby="escalate" {
                h2 id="escalate" { "Ask a supervisor to overrule the check" }
                p { "If the check is wrong here, say why: a supervisor, the comms team or a force administrator decides, and their rationale is recorded." }
                form method="post" action=(format!("/staff/posts/{}/escalate", post.id)) {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(post.version);
                    label for="escalate-reason" { "Why it should go out as written" }
                    textarea id="escalate-reason" name="reason" rows="3" maxlength="2000" {}
                    @if needs.waiver {
                        label for="escalate-waiver" { "Reference of the written waiver or court order (the law keeps this person anonymous without one)" }
                        input type="text" id="escalate-waiver" name="waiver" maxlength="200";
                    }
                    button.secondary type="submit" id="escalate-send" { "Escalate to a supervisor" }
                }
            }
        }
        @if actions.edit {
            section aria-labelledby="edit" {
                h2 id="edit" { "Edit" }
                form method="post" action=(format!("/staff/posts/{}/edit", post.id)) {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(post.version);
                    label for="edit-text" { "Text" }
                    textarea id="edit-text" name="text" { (post.text) }
                    button type="submit" { "Save edit" }
                }
            }
        }
        @if actions.delete {
            form method="post" action=(format!("/staff/posts/{}/delete", post.id)) {
                (csrf_field(csrf))
                input type="hidden" name="version" value=(post.version);
                label for="delete-reason" { "Reason for deleting (kept in the audit trail)" }
                input type="text" id="delete-reason" name="reason";
                label for="confirm-delete" {
                    input type="checkbox" id="confirm-delete" name="confirm" value="yes" required;
                    " Yes, delete this post (a tombstone stays on the public page)"
                }
                button.secondary type="submit" { "Delete post" }
            }
        }
        @if !revisions.is_empty() {
            h2 { "History" }
            ol {
                @for revision in &revisions {
                    li { "Version " (revision.version) " (" (revision.reason) ", " (local.display(&revision.at)) "): " (revision.body) }
                }
            }
        }
    };
    Ok(staff_page(&context, &format!("Post {}", post.id), content).into_response())
}

async fn force_code(state: &AppState, force: bluelamp_domain::ForceId) -> String {
    match state.store.read().await {
        Ok(mut conn) => bluelamp_store::forces::get(&mut conn, force)
            .await
            .map(|f| f.code)
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    version: i64,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    reason: String,
    /// The "yes, delete it" box of the delete form.
    #[serde(default)]
    confirm: Option<String>,
    /// The waiver or court order an escalation relies on.
    #[serde(default)]
    waiver: String,
}

pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    services::posts::approve(
        &state.store,
        &state.governance,
        &form.session.staff,
        id,
        form.form.version,
        form.form.text.as_deref(),
        Some(&form.form.reason),
    )
    .await?;
    state.public_changed();
    Ok(done(&format!("/staff/posts/{id}"), "approved"))
}

pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    services::posts::reject(
        &state.store,
        &form.session.staff,
        id,
        form.form.version,
        &form.form.reason,
    )
    .await?;
    Ok(done(&format!("/staff/posts/{id}"), "rejected"))
}

pub async fn escalate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    services::posts::escalate(
        &state.store,
        &form.session.staff,
        id,
        form.form.version,
        &form.form.reason,
        Some(&form.form.waiver),
    )
    .await?;
    Ok(done(&format!("/staff/posts/{id}"), "escalated"))
}

pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    let text = form.form.text.clone().unwrap_or_default();
    let post = services::posts::edit(
        &state.store,
        &state.governance,
        &form.session.staff,
        id,
        form.form.version,
        &text,
    )
    .await?;
    state.public_changed();
    let notice = if post.proposed_edit.is_some() {
        "edit-proposed"
    } else {
        "edited"
    };
    Ok(done(&format!("/staff/posts/{id}"), notice))
}

pub async fn resubmit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    let text = form.form.text.clone().unwrap_or_default();
    let submitted = services::posts::resubmit(
        &state.store,
        &state.governance,
        &form.session.staff,
        id,
        form.form.version,
        &text,
    )
    .await?;
    state.public_changed();
    let notice = match submitted.post.status {
        PostStatus::Published => "posted",
        PostStatus::Refused => "refused-again",
        _ => "submitted",
    };
    Ok(done(&format!("/staff/posts/{id}"), notice))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReviewForm>,
) -> Result<Response, PageError> {
    if form.form.confirm.as_deref() != Some("yes") {
        return Err(PageError(crate::error::WebError::bad_request(
            "Nothing was deleted: tick \"Yes, delete this post\" to confirm.",
        )));
    }
    services::posts::delete(
        &state.store,
        &form.session.staff,
        id,
        form.form.version,
        &form.form.reason,
    )
    .await?;
    state.public_changed();
    Ok(done(&format!("/staff/posts/{id}"), "deleted"))
}

#[derive(Deserialize)]
pub struct ReportForm {
    reason: String,
    #[serde(default)]
    category: String,
}

/// A published post the check should have stopped.
pub async fn report(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ReportForm>,
) -> Result<Response, PageError> {
    let categories: Vec<String> = Some(form.form.category.trim().to_string())
        .filter(|c| !c.is_empty())
        .into_iter()
        .collect();
    services::governance_feedback::report(
        &state.store,
        &form.session.staff,
        id,
        &form.form.reason,
        &categories,
    )
    .await?;
    Ok(done(&format!("/staff/posts/{id}"), "reported"))
}

#[derive(Deserialize)]
pub struct ShareForm {
    account_id: i64,
}

pub async fn share(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ShareForm>,
) -> Result<Response, PageError> {
    let shared = services::federation::share(
        &state.store,
        &form.session.staff,
        AccountId(form.form.account_id),
        id,
    )
    .await?;
    let notice = if shared.created {
        "shared"
    } else {
        "already-shared"
    };
    Ok(done(&format!("/staff/posts/{id}"), notice))
}

pub async fn unshare(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ShareForm>,
) -> Result<Response, PageError> {
    services::federation::unshare(
        &state.store,
        &form.session.staff,
        AccountId(form.form.account_id),
        id,
    )
    .await?;
    Ok(done(&format!("/staff/posts/{id}"), "unshared"))
}

pub use super::Empty;

pub async fn pause(
    State(state): State<AppState>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    services::posts::set_scheduling_paused(&state.store, &form.session.staff, true).await?;
    Ok(done("/staff/posts", "paused"))
}

pub async fn resume(
    State(state): State<AppState>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    services::posts::set_scheduling_paused(&state.store, &form.session.staff, false).await?;
    Ok(done("/staff/posts", "resumed"))
}
