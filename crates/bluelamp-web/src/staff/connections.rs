//! The account page's "Other networks" section: where the account is connected
//! (and whether it needs reconnecting), a force administrator's form to connect
//! it with an app password, and disconnecting. The credential is never shown.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
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
                    label for="service" { "The account's server (leave empty for bsky.social or Facebook; a force's own Bluesky server otherwise)" }
                    input type="url" id="service" name="service";
                    label for="identifier" { "Bluesky: the account's handle. Facebook: the Page's id" }
                    input type="text" id="identifier" name="identifier" required autocomplete="off";
                    label for="secret" { "Bluesky: an app password made for Bluelamp. Facebook: the Page access token (kept sealed, never shown again)" }
                    input type="password" id="secret" name="secret" required autocomplete="off";
                    button type="submit" id="connect" { "Connect" }
                }
                // Leaves for X's own page, so it is sent by the browser itself.
                form method="post" action=(format!("/staff/accounts/{}/connections/x/start", account.0)) data-native {
                    (csrf_field(csrf))
                    button.secondary type="submit" id="connect-x" { "Connect X (you sign in on X and allow Bluelamp)" }
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

/// Start connecting X: off to X's authorisation page.
pub async fn start_x(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let url = services::crosspost::start_authorization(
        &state.store,
        &form.session.staff,
        state.networks.as_ref(),
        AccountId(id),
        "x",
    )
    .await?;
    Ok(axum::response::Redirect::to(&url).into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: String,
    /// Set when the administrator said no on X's page.
    #[serde(default)]
    error: Option<String>,
}

/// X sends the administrator back here with a code (or a refusal).
pub async fn x_callback(
    State(state): State<AppState>,
    crate::auth::StaffSession(context): crate::auth::StaffSession,
    axum::extract::Query(query): axum::extract::Query<Callback>,
) -> Result<Response, PageError> {
    if let Some(error) = query.error.as_deref() {
        return Err(PageError(crate::error::WebError::bad_request(format!(
            "X did not authorise Bluelamp ({}): nothing was connected.",
            error.chars().take(60).collect::<String>()
        ))));
    }
    let saved = services::crosspost::finish_authorization(
        &state.store,
        &context.staff,
        state.networks.as_ref(),
        &query.state,
        &query.code,
    )
    .await?;
    Ok(done(
        &format!("/staff/accounts/{}", saved.account_id.0),
        "connected",
    ))
}
