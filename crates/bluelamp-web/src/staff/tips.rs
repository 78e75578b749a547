//! `/staff/tips`: what the public sent, with its evidence. Opening a tip logs a view
//! of each item; downloading and exporting are logged too; the bundle verifies with
//! `sha256sum -c SHA256SUMS`.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bluelamp_services::inbox::sla;
use bluelamp_services::tips;
use maud::html;
use serde::Deserialize;

use crate::api::appeals::evidence_store;
use crate::auth::{StaffForm, StaffSession};
use crate::error::PageError;
use crate::layout::{csrf_field, notice};
use crate::staff::cases::subnav;
use crate::staff::{done, staff_page};
use crate::AppState;

#[derive(Deserialize, Default)]
pub struct TipQuery {
    status: Option<String>,
    done: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<TipQuery>,
) -> Result<Response, PageError> {
    let status = query.status.as_deref().filter(|s| !s.is_empty());
    let list = tips::list(&state.store, &context.staff, status).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let content = html! {
        (subnav())
        p { "Show: " a href="/staff/tips?status=new" { "new" } " · " a href="/staff/tips?status=accepted" { "accepted" } " · " a href="/staff/tips?status=declined" { "declined" } " · " a href="/staff/tips" { "all" } }
        @if list.is_empty() { p { "No tips here." } }
        table {
            thead { tr { th scope="col" { "Tip" } th scope="col" { "Received" } th scope="col" { "Status" } th scope="col" { "Text" } } }
            tbody { @for t in &list { tr {
                td { a href=(format!("/staff/tips/{}", t.id)) { "TIP-" (t.id) } }
                td { (local.display(&t.received_at)) } td { (t.status) }
                td { (t.text.chars().take(100).collect::<String>()) }
            } } }
        }
    };
    Ok(staff_page(&context, "Tips and evidence", content).into_response())
}

pub async fn detail(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
    Query(query): Query<TipQuery>,
) -> Result<Response, PageError> {
    let view = tips::get(&state.store, &context.staff, id).await?;
    let local = sla::local_clock(&state.store, &context.staff).await?;
    let tip = &view.tip;
    let message = match query.done.as_deref() {
        Some("decided") => Some("The decision is recorded."),
        _ => None,
    };
    let content = html! {
        (subnav())
        (notice(message))
        dl {
            dt { "Received" } dd { (local.display(&tip.received_at)) }
            @if let Some(a) = &view.appeal_reference { dt { "Answering appeal" } dd { a href=(format!("/staff/appeals/{a}")) { (a) } } }
            dt { "From" } dd { (tip.contact_name.as_deref().unwrap_or("anonymous")) @if let Some(c) = &tip.contact_detail { " · " (c) } }
            @if let Some(address) = &tip.sender_address { dt { "Network address" } dd { (address) } }
            dt { "Status" } dd { (tip.status) @if let Some(r) = &tip.decision_reason { ": " (r) } @if let Some(c) = &tip.case_reference { " · case " a href=(format!("/staff/cases/{c}")) { (c) } } }
        }
        blockquote { @for line in tip.text.lines() { (line) br; } }
        h2 { "Evidence" }
        @if view.evidence.is_empty() { p { "No files." } }
        @for (item, custody) in &view.evidence {
            section.post {
                p { strong { (item.filename) } " · " (item.content_type) " by content (sent as " (item.declared_type) ") · " (item.byte_size) " bytes" }
                p { "SHA-256 " code { (item.sha256) } }
                p { a href=(format!("/staff/evidence/{}", item.id)) { "Download the original" } }
                details { summary { "Custody log (" (custody.len()) ")" }
                    ul { @for c in custody { li { (local.display(&c.at)) " · " (c.user_label) " · " (c.action) } } }
                }
            }
        }
        p { a href=(format!("/staff/tips/{id}/bundle")) { "Export the evidence bundle (zip)" } }
        h2 { "Decide" }
        form method="post" action=(format!("/staff/tips/{id}/decision")) {
            (csrf_field(&context.session.csrf_token))
            label for="status" { "Decision" }
            select id="status" name="status" { option value="accepted" { "accept" } option value="declined" { "decline" } }
            label for="reason" { "Reason (required to decline)" } textarea id="reason" name="reason" rows="2" maxlength="2000" {}
            label for="case_reference" { "Link to case (optional)" } input type="text" id="case_reference" name="case_reference" maxlength="40" value=[tip.case_reference.as_deref()];
            button type="submit" { "Record the decision" }
        }
    };
    Ok(staff_page(&context, &format!("Tip TIP-{id}"), content).into_response())
}

#[derive(Deserialize)]
pub struct DecisionForm {
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    case_reference: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<DecisionForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    tips::decide(
        &state.store,
        &form.session.staff,
        id,
        &f.status,
        Some(&f.reason),
        Some(&f.case_reference),
    )
    .await?;
    Ok(done(&format!("/staff/tips/{id}"), "decided"))
}

pub async fn bundle(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let bundle = tips::bundle(&state.store, &evidence_store(&state), &context.staff, id).await?;
    Ok(bundle_response(id, bundle))
}

pub async fn evidence(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (item, path) =
        tips::download(&state.store, &evidence_store(&state), &context.staff, id).await?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| PageError::from(bluelamp_services::ServiceError::Internal(e.to_string())))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, item.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    tips::safe_name(&item.filename)
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A tip's evidence bundle as a download, streamed from its temporary file (a
/// bundle of video can be gigabytes). The API answers with the same.
pub fn bundle_response(id: i64, bundle: tips::Bundle) -> Response {
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(bundle.file));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_LENGTH, bundle.len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tip-{id}-evidence.zip\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}
