//! The audit viewer, with filters by date, action and person.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services as services;
use maud::html;

use super::staff_page;
use crate::api::AuditQuery;
use crate::auth::StaffSession;
use crate::error::PageError;
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let from = query.from.clone().unwrap_or_default();
    let to = query.to.clone().unwrap_or_default();
    let action = query.action.clone().unwrap_or_default();
    let actor = query.actor.clone().unwrap_or_default();
    let entries = services::audit::view(&state.store, &context.staff, query.into_filter()).await?;
    let content = html! {
        form method="get" action="/staff/audit" {
            fieldset {
                legend { "Filter" }
                label for="from" { "From (date, e.g. 2026-11-01)" }
                input type="text" id="from" name="from" value=(from);
                label for="to" { "Until (date, not included)" }
                input type="text" id="to" name="to" value=(to);
                label for="action" { "Action starts with (e.g. login, user., policy.)" }
                input type="text" id="action" name="action" value=(action);
                label for="actor" { "By (username)" }
                input type="text" id="actor" name="actor" value=(actor);
                button type="submit" { "Filter" }
            }
        }
        table {
            caption { "Audit entries, newest first" }
            thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Target" } th scope="col" { "Change" } } }
            tbody {
                @for entry in &entries {
                    tr {
                        td { (entry.at) }
                        td { (entry.actor_label) }
                        td { (entry.action) }
                        td { (entry.target_type) " " (entry.target_id) }
                        td {
                            @if let Some(before) = &entry.before { details { summary { "before" } code { (before) } } }
                            @if let Some(after) = &entry.after { details { summary { "after" } code { (after) } } }
                        }
                    }
                }
            }
        }
        @if entries.is_empty() { p { "No entries match." } }
        p.hint { "Each entry is chained to the one before by its hash; " code { "bluelamp audit verify" } " checks the chain and " code { "bluelamp audit export" } " writes it out for disclosure." }
    };
    Ok(staff_page(&context, "Audit trail", content).into_response())
}
