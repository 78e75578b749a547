//! The account page's "Other networks" section: where the account is connected
//! (and whether it needs reconnecting), a force administrator's form to connect
//! it with an app password, and disconnecting. The credential is never shown.

use axum::extract::{Path, State};
use axum::response::Response;
use bluelamp_domain::{AccountId, Role};
use bluelamp_services as services;
use bluelamp_store::connections::Connection;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::StaffForm;
use crate::error::PageError;
use crate::layout::csrf_field;
use crate::staff::done;
use crate::AppState;

pub(crate) fn section(
    context: &services::auth::SessionContext,
    account: AccountId,
    connections: &[Connection],
) -> Markup {
    let admin = matches!(context.staff.role, Role::ForceAdmin | Role::ServerAdmin);
    let csrf = &context.session.csrf_token;
    html! {
        section aria-labelledby="networks" {
            h2 id="networks" { "Other networks" }
            @if connections.is_empty() { p { "Not connected to any other network." } }
            ul {
                @for c in connections {
                    li id=(format!("connection-{}", c.network)) {
                        strong { (c.network) } " as " (c.identifier) " on " (c.service_url) ": "
                        @match c.status.as_str() {
                            "connected" => "connected",
                            "reconnect-needed" => strong { "reconnect needed" },
                            _ => "disconnected",
                        }
                        @if let Some(why) = &c.last_error { " (" (why) ")" }
                        @if admin && c.status != "revoked" {
                            form method="post" action=(format!("/staff/accounts/{}/connections/{}/disconnect", account.0, c.network)) {
                                (csrf_field(csrf))
                                button.secondary type="submit" { "Disconnect " (c.network) }
                            }
                        }
                    }
                }
            }
            @if admin {
                form method="post" action=(format!("/staff/accounts/{}/connections", account.0)) {
                    (csrf_field(csrf))
                    label for="network" { "Network" }
                    select id="network" name="network" { @for n in services::crosspost::NETWORKS { option value=(n) { (n) } } }
                    label for="service" { "The account's server (for Bluesky, https://bsky.social or your force's own)" }
                    input type="url" id="service" name="service" value="https://bsky.social" required;
                    label for="identifier" { "The account's handle there" }
                    input type="text" id="identifier" name="identifier" required autocomplete="off";
                    label for="secret" { "An app password made for Bluelamp (kept sealed, never shown again)" }
                    input type="password" id="secret" name="secret" required autocomplete="off";
                    button type="submit" id="connect" { "Connect" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ConnectForm {
    network: String,
    service: String,
    identifier: String,
    secret: String,
}

pub async fn connect(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<ConnectForm>,
) -> Result<Response, PageError> {
    let f = &form.form;
    services::crosspost::connect(
        &state.store,
        &form.session.staff,
        state.networks.as_ref(),
        AccountId(id),
        &f.network,
        &f.service,
        &f.identifier,
        &f.secret,
    )
    .await?;
    Ok(done(&format!("/staff/accounts/{id}"), "connected"))
}

pub async fn disconnect(
    State(state): State<AppState>,
    Path((id, network)): Path<(i64, String)>,
    form: StaffForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    services::crosspost::disconnect(&state.store, &form.session.staff, AccountId(id), &network)
        .await?;
    Ok(done(&format!("/staff/accounts/{id}"), "disconnected"))
}
