//! `/staff/inbox`: the triaged inbox of every channel. The list filters by category,
//! priority, channel, status, assignee and the review queue (hidden messages); a
//! message's page shows the words that decided its triage, its history and the
//! sender's other messages, with forms to assign, answer, note, hide or restore, and
//! overrule. Urgent arrivals are announced live (`/staff/inbox/alerts`, server-sent
//! events) and the page still works without JavaScript.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::UserId;
use bluelamp_services::inbox::{handling, sla, STATUSES};
use bluelamp_store::inbox::Message;
use bluelamp_triage::{Category, Channel, Priority};
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::{done, staff_page};
use crate::AppState;

fn select(name: &str, label: &str, options: &[&str], chosen: Option<&str>) -> Markup {
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            option value="" { "Any" }
            @for o in options {
                option value=(o) selected[chosen == Some(*o)] { (o) }
            }
        }
    }
}

/// A message's response-time clock: "due in 3 h" or, breached, "overdue by 25 min".
fn sla_badge(m: &Message, local: &sla::LocalClock, now: jiff::Timestamp) -> Markup {
    match sla::clock(m, now, local) {
        Some(c) if c.breached => html! {
            " · " span.badge.breach { "overdue by " (sla::human_minutes(c.remaining_minutes)) }
        },
        Some(c) => {
            html! { " · " span.badge { "due in " (sla::human_minutes(c.remaining_minutes)) } }
        }
        None => html! {},
    }
}

fn badge(m: &Message) -> Markup {
    html! {
        span class=(format!("badge priority-{}", m.priority)) { (m.priority) }
        @if m.urgent { " " span.badge.urgent { "urgent" } }
        " " strong { (Category::parse(&m.primary).map(Category::title).unwrap_or("Other")) }
        @for l in m.labels.iter().filter(|l| **l != m.primary) { " · " (l) }
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    done: Option<String>,
    #[serde(flatten)]
    list: ListQueryForm,
}

/// The list form's fields (strings, so an empty select means "any").
#[derive(Deserialize, Default)]
pub struct ListQueryForm {
    category: Option<String>,
    priority: Option<String>,
    channel: Option<String>,
    status: Option<String>,
    review: Option<String>,
    mine: Option<String>,
    /// Only messages past their response-time target.
    breached: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<PageQuery>,
) -> Result<Response, PageError> {
    let canned =
        bluelamp_services::inbox::replies::canned_replies(&state.store, &context.staff).await?;
    let q = query.list;
    let review = q.review.as_deref() == Some("1");
    let mine = q.mine.as_deref() == Some("1");
    let some = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = bluelamp_store::inbox::Filter {
        category: some(&q.category),
        priority: some(&q.priority),
        channel: some(&q.channel),
        status: some(&q.status),
        assignee_id: mine.then_some(context.staff.user_id).flatten(),
        hidden: review.then_some(true),
        limit: 200,
        ..Default::default()
    };
    let mut messages = handling::list(&state.store, &context.staff, &filter).await?;
    let on_duty = bluelamp_services::users::on_duty(&state.store, &context.staff).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let now = jiff::Timestamp::now();
    let breached_only = q.breached.as_deref() == Some("1");
    if breached_only {
        messages.retain(|m| sla::clock(m, now, &local).is_some_and(|c| c.breached));
    }
    let short_time = |t: &str| local.display(t);
    let message = match query.done.as_deref() {
        Some("handed-over") => {
            Some("Your open messages are handed over to the team, and you are off duty.")
        }
        Some("on-duty") => Some("You are on duty: emergencies from the public reach you at once."),
        Some("off-duty") => Some("You are off duty: emergencies go to the people on duty."),
        Some("canned") => Some("The canned reply is saved."),
        _ => None,
    };
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let content = html! {
        (notice(message))
        div id="inbox-alerts" role="status" aria-live="assertive" {}
        form.filters method="get" action="/staff/inbox" {
            (select("category", "Category", &categories, q.category.as_deref()))
            (select("priority", "Priority", &priorities, q.priority.as_deref()))
            (select("channel", "Channel", &channels, q.channel.as_deref()))
            (select("status", "Status", &STATUSES, q.status.as_deref()))
            label { input type="checkbox" name="mine" value="1" checked[mine]; " Assigned to me" }
            label { input type="checkbox" name="review" value="1" checked[review]; " Review queue (hidden messages)" }
            label { input type="checkbox" name="breached" value="1" checked[breached_only]; " Overdue only" }
            button type="submit" { "Show" }
        }
        p { (messages.len()) " message" @if messages.len() != 1 { "s" } @if review { " hidden, waiting for review" } ". Times are " (local.zone_name) "." @if let Some(h) = &local.office_hours { " Response clocks run in office hours (" (format!("{:02}:{:02}-{:02}:{:02}", h.start_minute / 60, h.start_minute % 60, h.end_minute / 60, h.end_minute % 60)) "), except for emergencies and safeguarding." } }
        @if messages.is_empty() { p { "Nothing here." } }
        ol.inbox {
            @for m in &messages {
                li {
                    article.inbound {
                        p.meta { (badge(m)) " · " (m.channel) " · " (m.author_name.as_deref().unwrap_or(&m.author_handle)) " · " (short_time(&m.received_at)) " · " (m.status) (sla_badge(m, &local, now)) }
                        // Stored exactly as sent; maud escapes it.
                        p.content { (m.body.chars().take(280).collect::<String>()) @if m.body.chars().count() > 280 { "…" } }
                        @if let Some(items) = m.media.as_array() {
                            @for a in items { p.hint { "Attachment" @if let Some(alt) = a["alt"].as_str() { ": " (alt) } } }
                        }
                        @if m.hidden_at.is_some() { p.hint { "Hidden from public view, waiting for review." } }
                        a href=(format!("/staff/inbox/{}", m.id)) { "Open message " (m.id) }
                    }
                }
            }
        }
        h2 { "Duty" }
        @if on_duty {
            p { "You are " strong { "on duty" } ": you are told at once of an emergency from the public, here, by e-mail and on your devices as you chose under Settings." }
        } @else {
            p { "You are " strong { "off duty" } ": emergencies go to the people on duty." }
        }
        form method="post" action="/staff/inbox/duty" {
            (csrf_field(&context.session.csrf_token))
            input type="hidden" name="on_duty" value=(if on_duty { "false" } else { "true" });
            button.secondary type="submit" { @if on_duty { "Go off duty" } @else { "Go on duty" } }
        }
        h3 { "Going off duty with open messages?" }
        form method="post" action="/staff/inbox/hand-over" {
            (csrf_field(&context.session.csrf_token))
            label for="team" { "Hand every open message assigned to you to this team (this also takes you off duty)" }
            input type="text" id="team" name="team" required maxlength="80" autocomplete="off";
            button type="submit" { "Hand over" }
        }
        (super::inbox_replies::canned_section(&context.session.csrf_token, &canned))
        p { a href="/staff/rumours" { "Rumours" } " · " a href="/staff/fediverse" { "Fediverse reports and blocks" } }
        script src="/assets/inbox.js" defer {}
    };
    Ok(staff_page(&context, "Inbox", content).into_response())
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    #[serde(default)]
    done: Option<String>,
    /// A canned reply to start the reply from.
    #[serde(default)]
    canned: Option<i64>,
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<DetailQuery>,
) -> Result<Response, PageError> {
    use bluelamp_services::inbox::replies;
    let view = handling::get(&state.store, &context.staff, id).await?;
    let agencies = bluelamp_services::referrals::agencies(&state.store, &context.staff).await?;
    let reply_accounts = replies::reply_accounts(&state.store, &context.staff).await?;
    let canned = replies::canned_replies(&state.store, &context.staff).await?;
    // What the reply box holds: a chosen canned reply, the text the check just
    // refused (with why), or nothing.
    let last_refused = (query.done.as_deref() == Some("reply-refused"))
        .then(|| view.events.iter().rev().find(|e| e.kind == "reply-refused"))
        .flatten();
    let refused_reason = last_refused.and_then(|e| e.detail["reason"].as_str().map(str::to_string));
    let prefill = match (query.canned, last_refused) {
        (Some(canned_id), _) => {
            replies::canned_for(&state.store, &context.staff, canned_id, id).await?
        }
        (None, Some(event)) => event.detail["text"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        (None, None) => String::new(),
    };
    let m = &view.message;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let now = jiff::Timestamp::now();
    let short_time = |t: &str| local.display(t);
    let csrf = &context.session.csrf_token;
    let action = |a: &str| format!("/staff/inbox/{id}/{a}");
    let message = query.done.as_deref().map(|d| match d {
        "assigned" => "Assigned.",
        "status" => "Status changed.",
        "noted" => "Note added.",
        "hidden" => "Hidden from public view; it waits in the review queue.",
        "restored" => "Restored; your reason is recorded.",
        "overruled" => "Triage overruled; your labels are recorded for the next training round.",
        "replied" => "Reply published; the message is answered.",
        "reply-held" => "Reply sent for approval; the message is answered when it is published.",
        "reply-refused" => "The governance check refused the reply; it was not sent.",
        "muted" => "The sender is muted: their new messages are kept but hidden for review.",
        "unmuted" => "The sender is no longer muted.",
        "referenced" => "The incident reference is saved on the message.",
        "case-linked" => {
            "The message's case is saved; replies to it are checked in the case's light."
        }
        "redacted" => "Redacted: the words are gone from the message, its notes and its referrals.",
        _ => "Done.",
    });
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let content = html! {
        (notice(message))
        p.meta { (badge(m)) (sla_badge(m, &local, now)) }
        @if let Some(reply) = &m.auto_reply { p.callout { strong { "Sent at once: " } (reply) } }
        @if let Some(reason) = &m.hidden_reason { p.callout { strong { "Hidden from public view: " } (reason) } }
        dl {
            dt { "From" } dd { (m.author_name.as_deref().unwrap_or("")) " " code { (m.author_handle) } }
            dt { "Channel" } dd { (m.channel) }
            dt { "Received" } dd { (short_time(&m.received_at)) }
            dt { "Status" } dd { (m.status) @if let Some(t) = &m.team { " · team " (t) } @if let Some(u) = m.assignee_id { " · assigned to user " (u.0) } }
        }
        blockquote.content { @for line in m.body.lines() { (line) br; } }
        @if let Some(items) = m.media.as_array() {
            @for a in items { p { "Attachment: " code { (a["url"].as_str().unwrap_or_default()) } @if let Some(alt) = a["alt"].as_str() { " — " (alt) } } }
        }
        h2 { "Why triage said so" }
        @if let Some(items) = m.evidence.as_array() {
            ul { @for e in items { li { (e["category"].as_str().unwrap_or_default()) ": " (e["words"].as_str().unwrap_or_default()) } } }
        }
        form method="post" action=(action("overrule")) {
            (csrf_field(csrf))
            fieldset {
                legend { "Overrule the triage" }
                @for c in &categories {
                    label { input type="checkbox" name="labels" value=(c) checked[m.labels.iter().any(|l| l == c)]; " " (c) }
                }
                label { input type="checkbox" name="urgent" value="1" checked[m.urgent]; " urgent" }
            }
            button type="submit" { "Save labels" }
        }
        h2 { "Handle" }
        form method="post" action=(action("status")) {
            (csrf_field(csrf))
            (select("status", "Status", &STATUSES, Some(m.status.as_str())))
            button type="submit" { "Change status" }
        }
        form method="post" action=(action("assign")) {
            (csrf_field(csrf))
            label for="assign-team" { "Assign to a team" }
            input type="text" id="assign-team" name="team" maxlength="80";
            label { input type="checkbox" name="me" value="1"; " or to me" }
            button type="submit" { "Assign" }
        }
        form method="post" action=(action("notes")) {
            (csrf_field(csrf))
            label for="note" { "Internal note (never shown to the sender)" }
            textarea id="note" name="text" rows="3" required maxlength="4000" {}
            button type="submit" { "Add note" }
        }
        @if m.hidden_at.is_some() {
            form method="post" action=(action("restore")) {
                (csrf_field(csrf))
                label for="restore-reason" { "Restore to public view: why?" }
                input type="text" id="restore-reason" name="reason" required maxlength="4000";
                button type="submit" { "Restore" }
            }
        } @else {
            form method="post" action=(action("hide")) {
                (csrf_field(csrf))
                label for="hide-reason" { "Hide from public view (kept for review): why?" }
                input type="text" id="hide-reason" name="reason" required maxlength="4000";
                button.secondary type="submit" { "Hide" }
            }
        }
        @if matches!(context.staff.role, bluelamp_domain::Role::ForceAdmin | bluelamp_domain::Role::ServerAdmin) {
            h2 { "Redact personal data" }
            form method="post" action=(action("redact")) {
                (csrf_field(csrf))
                label for="redact-words" { "The exact words to remove for good (an address, a phone number, a name). This cannot be undone." }
                input type="text" id="redact-words" name="words" required minlength="3";
                label for="redact-reason" { "Why?" }
                input type="text" id="redact-reason" name="reason" required maxlength="4000";
                button.secondary type="submit" { "Redact" }
            }
        }
        h2 { "Raise an incident" }
        @for e in view.events.iter().filter(|e| e.kind == "incident-reference") {
            p { "Command and control reference: " strong { (e.detail["reference"].as_str().unwrap_or_default()) } }
        }
        form method="post" action=(action("incident-record")) {
            (csrf_field(csrf))
            button.secondary type="submit" { "Export incident record (JSON)" }
        }
        form method="post" action=(action("incident-reference")) {
            (csrf_field(csrf))
            label for="incident-reference" { "Command and control reference (links this message to the incident)" }
            input type="text" id="incident-reference" name="reference" required maxlength="100";
            button.secondary type="submit" { "Save reference" }
        }
        @if context.staff.authorize(bluelamp_domain::Action::ManageCases).is_ok() {
            h2 { "Linked case" }
            p { "A reply to a message about a case is checked in the case's light: while proceedings are active, nothing that could prejudice them." }
            form method="post" action=(action("case")) {
                (csrf_field(csrf))
                label for="case-reference" { "Case reference (empty to unlink)" }
                input type="text" id="case-reference" name="reference" maxlength="40" pattern="[A-Za-z0-9-]*" value=(view.message.case_reference.as_deref().unwrap_or_default());
                button.secondary type="submit" { "Save the case" }
            }
        }
        h2 { "Mute this sender" }
        form method="post" action=(action("mute")) {
            (csrf_field(csrf))
            label for="mute-reason" { "Why? Their new messages will be kept but hidden for review (urgent ones never are)." }
            input type="text" id="mute-reason" name="reason" required maxlength="4000";
            @if m.channel == "fediverse" {
                label { input type="checkbox" name="block" value="1"; " Also block them on the fediverse (force administrators and comms)" }
            }
            button.secondary type="submit" { "Mute sender" }
        }
        form method="post" action=(action("unmute")) {
            (csrf_field(csrf))
            button.secondary type="submit" { "Unmute sender" }
        }
        (super::inbox_replies::reply_section(csrf, m, &reply_accounts, &canned, &prefill, refused_reason.as_deref()))
        (crate::staff::refer_form(csrf, id, &agencies))
        h2 { "History" }
        @if view.events.is_empty() { p { "Nothing done yet." } }
        ol { @for e in &view.events { li { (short_time(&e.created_at)) " · " (e.user_label) " · " (e.kind) " " code { (e.detail.to_string()) } } } }
        h2 { "Other messages from this sender" }
        @if view.history.is_empty() { p { "None." } }
        ul { @for h in &view.history { li { a href=(format!("/staff/inbox/{}", h.id)) { (short_time(&h.received_at)) " · " (h.channel) " · " (h.primary) } } } }
        p { a href="/staff/inbox" { "Back to the inbox" } }
    };
    Ok(staff_page(&context, &format!("Message {id}"), content).into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<StatusForm>,
) -> Result<Response, PageError> {
    handling::set_status(&state.store, &context.staff, id, &form.status).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "status"))
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    team: String,
    #[serde(default)]
    me: Option<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<AssignForm>,
) -> Result<Response, PageError> {
    let me: Option<UserId> = form.me.is_some().then_some(context.staff.user_id).flatten();
    let team = Some(form.team.as_str()).filter(|t| !t.trim().is_empty());
    handling::assign(&state.store, &context.staff, id, me, team).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "assigned"))
}

#[derive(Deserialize)]
pub struct NoteForm {
    text: String,
}

pub async fn note(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<NoteForm>,
) -> Result<Response, PageError> {
    handling::note(&state.store, &context.staff, id, &form.text).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "noted"))
}

#[derive(Deserialize)]
pub struct ReasonForm {
    reason: String,
}

pub async fn hide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<ReasonForm>,
) -> Result<Response, PageError> {
    handling::hide(&state.store, &context.staff, id, &form.reason).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "hidden"))
}

pub async fn restore(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<ReasonForm>,
) -> Result<Response, PageError> {
    handling::restore(&state.store, &context.staff, id, &form.reason).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "restored"))
}

/// Checkbox lists arrive as repeated fields; `serde_urlencoded` cannot collect them
/// into a `Vec`, so the form is read as pairs.
pub async fn overrule(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form: pairs,
    }: StaffForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let labels: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "labels")
        .map(|(_, v)| v.clone())
        .collect();
    let urgent = pairs.iter().any(|(k, _)| k == "urgent");
    handling::overrule(&state.store, &context.staff, id, &labels, urgent).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "overruled"))
}

#[derive(Deserialize)]
pub struct HandOverForm {
    team: String,
}

pub async fn hand_over(
    State(state): State<AppState>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<HandOverForm>,
) -> Result<Response, PageError> {
    handling::hand_over(&state.store, &context.staff, &form.team).await?;
    Ok(done("/staff/inbox", "handed-over"))
}

#[derive(Deserialize)]
pub struct DutyForm {
    on_duty: bool,
}

pub async fn duty(
    State(state): State<AppState>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<DutyForm>,
) -> Result<Response, PageError> {
    bluelamp_services::users::set_on_duty(&state.store, &context.staff, form.on_duty).await?;
    Ok(done(
        "/staff/inbox",
        if form.on_duty { "on-duty" } else { "off-duty" },
    ))
}

/// Server-sent events: one `urgent` event whenever an urgent message reaches this
/// force's inbox, from any server process (PostgreSQL NOTIFY) or this one.
pub async fn alerts(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    // The same permission as reading the inbox.
    handling::list(
        &state.store,
        &context.staff,
        &bluelamp_store::inbox::Filter {
            limit: 1,
            ..Default::default()
        },
    )
    .await?;
    let force = context
        .staff
        .force_id
        .map(|f| f.0.to_string())
        .unwrap_or_default();
    let mut receiver = state.inbox_alerts.subscribe();
    let stream = async_stream(move |tx| async move {
        loop {
            match receiver.recv().await {
                Ok(f) if f == force => {
                    if tx
                        .send(Ok(Event::default()
                            .event("urgent")
                            .data("An urgent message has arrived.")))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

/// A stream fed by a task (no extra crate for one generator).
fn async_stream<F, Fut>(
    producer: F,
) -> tokio_stream::wrappers::ReceiverStream<Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event, Infallible>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(producer(tx));
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// Relays other server processes' urgent arrivals (PostgreSQL NOTIFY) to this
/// process's live alerts, until aborted. On SQLite one process owns the store and
/// announces its own arrivals directly.
pub(crate) fn inbox_alerts_from_other_processes(
    state: &AppState,
) -> Option<tokio::task::JoinHandle<()>> {
    use bluelamp_store::notify::INBOX_URGENT;
    if state.store.backend() != bluelamp_store::Backend::Postgres {
        return None;
    }
    let store = state.store.clone();
    let alerts = state.inbox_alerts.clone();
    Some(tokio::spawn(async move {
        loop {
            match store.listen(&[INBOX_URGENT]).await {
                Ok(Some(mut listener)) => {
                    while let Ok(force) = listener.recv().await {
                        let _ = alerts.send(force);
                    }
                }
                Ok(None) => return,
                Err(error) => tracing::warn!("cannot listen for urgent inbox messages: {error}"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }))
}

/// Tells this process's open inbox pages about urgent arrivals it stored itself (on
/// PostgreSQL the NOTIFY reaches them too; a repeated alert only repeats a banner).
pub(crate) fn announce_urgent(
    state: &AppState,
    force: Option<bluelamp_domain::ForceId>,
    outcomes: &[bluelamp_services::inbox::ingest::Outcome],
) {
    if state.store.backend() == bluelamp_store::Backend::Postgres {
        return;
    }
    if let Some(force) = force {
        if outcomes
            .iter()
            .any(|o| o.status == "created" && o.urgent == Some(true))
        {
            let _ = state.inbox_alerts.send(force.0.to_string());
        }
    }
}

#[derive(Deserialize)]
pub struct MuteForm {
    reason: String,
    #[serde(default)]
    block: Option<String>,
}

pub async fn mute(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<MuteForm>,
) -> Result<Response, PageError> {
    handling::mute(
        &state.store,
        &context.staff,
        id,
        form.block.is_some(),
        &form.reason,
    )
    .await?;
    Ok(done(&format!("/staff/inbox/{id}"), "muted"))
}

pub async fn unmute(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context, ..
    }: StaffForm<crate::staff::Empty>,
) -> Result<Response, PageError> {
    handling::unmute(&state.store, &context.staff, id).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "unmuted"))
}

#[derive(Deserialize)]
pub struct RedactForm {
    words: String,
    reason: String,
}

pub async fn redact(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<RedactForm>,
) -> Result<Response, PageError> {
    handling::redact(&state.store, &context.staff, id, &form.words, &form.reason).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "redacted"))
}

/// The incident record as a JSON download.
pub async fn incident_record(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context, ..
    }: StaffForm<crate::staff::Empty>,
) -> Result<Response, PageError> {
    let record = handling::incident_record(
        &state.store,
        &context.staff,
        id,
        &state.config.public_base_url,
    )
    .await?;
    let body = serde_json::to_string_pretty(&record).unwrap_or_default();
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"incident-record-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ReferenceForm {
    reference: String,
}

pub async fn incident_reference(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<ReferenceForm>,
) -> Result<Response, PageError> {
    handling::set_incident_reference(&state.store, &context.staff, id, &form.reference).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "referenced"))
}

pub async fn link_case(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm {
        session: context,
        form,
    }: StaffForm<ReferenceForm>,
) -> Result<Response, PageError> {
    handling::link_case(&state.store, &context.staff, id, &form.reference).await?;
    Ok(done(&format!("/staff/inbox/{id}"), "case-linked"))
}
