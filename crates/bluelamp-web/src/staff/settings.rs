//! A user's own settings: password, two-factor login, API tokens.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_services as services;
use bluelamp_store::{tokens, users};
use maud::html;
use serde::Deserialize;

use super::{done, notice_text, staff_page, Done};
use crate::auth::{StaffForm, StaffSession};
use crate::error::{PageError, WebError};
use crate::layout::{csrf_field, notice};
use crate::AppState;

pub async fn page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
    Query(query): Query<Done>,
) -> Result<Response, PageError> {
    let user_id = services::auth::user_id(&context)?;
    let mut conn = state
        .store
        .read()
        .await
        .map_err(services::ServiceError::from)?;
    let user = users::get(&mut conn, user_id)
        .await
        .map_err(services::ServiceError::from)?;
    let api_tokens = tokens::list_for_user(&mut conn, user_id)
        .await
        .map_err(services::ServiceError::from)?;
    drop(conn);
    let told = super::delivery::section(&state, &context).await?;
    let csrf = &context.session.csrf_token;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        section aria-labelledby="password" {
            h2 id="password" { "Change password" }
            form method="post" action="/staff/settings/password" {
                (csrf_field(csrf))
                label for="current_password" { "Current password" }
                input type="password" id="current_password" name="current_password" autocomplete="current-password" required;
                label for="new_password" { "New password (at least 12 characters)" }
                input type="password" id="new_password" name="new_password" autocomplete="new-password" required;
                button type="submit" { "Change password" }
            }
        }
        (told)
        section aria-labelledby="totp" {
            h2 id="totp" { "Two-factor login" }
            @if user.totp_enabled { p { "On: you are asked for a code from your authenticator app when you log in." } }
            @else { p { "Off. " a href="/staff/totp" { "Turn on two-factor login" } } }
        }
        section aria-labelledby="tokens" {
            h2 id="tokens" { "API tokens" }
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Scopes" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Status" } } }
                tbody {
                    @for token in &api_tokens {
                        tr {
                            td { (token.name) }
                            td { (token.scopes.join(" ")) }
                            td { (token.created_at) }
                            td { (token.last_used_at.as_deref().unwrap_or("never")) }
                            td {
                                @if token.revoked_at.is_some() { "revoked" } @else {
                                    form method="post" action=(format!("/staff/tokens/{}/revoke", token.id)) {
                                        (csrf_field(csrf))
                                        button.secondary type="submit" aria-label=(format!("Revoke {}", token.name)) { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action="/staff/tokens" {
                (csrf_field(csrf))
                label for="token-name" { "Name (what will use it)" }
                input type="text" id="token-name" name="name" required;
                fieldset {
                    legend { "Scopes" }
                    label { input type="checkbox" name="read" value="true" checked; " read" }
                    label { input type="checkbox" name="write" value="true"; " write" }
                    label { input type="checkbox" name="admin" value="true"; " admin" }
                    label { input type="checkbox" name="inbound" value="true"; " inbound (a connector that delivers messages to the inbox, and nothing else)" }
                }
                button type="submit" { "Create token" }
            }
        }
    };
    Ok(staff_page(&context, "My settings", content).into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    form: StaffForm<PasswordForm>,
) -> Result<Response, PageError> {
    services::auth::change_password(
        &state.store,
        &form.session,
        &form.form.current_password,
        &form.form.new_password,
    )
    .await?;
    Ok(done("/staff/settings", "password-changed"))
}

/// Enrolment: a fresh secret each time the page is shown; it only takes effect
/// when a code from it is confirmed, with the current password (and a code from
/// the current authenticator, when replacing one).
pub async fn totp_page(
    State(state): State<AppState>,
    StaffSession(context): StaffSession,
) -> Result<Response, PageError> {
    let user_id = services::auth::user_id(&context)?;
    let mut conn = state
        .store
        .read()
        .await
        .map_err(services::ServiceError::from)?;
    let enrolled = users::get(&mut conn, user_id)
        .await
        .map_err(services::ServiceError::from)?
        .totp_enabled;
    drop(conn);
    let secret = services::auth::new_totp_secret();
    let uri = services::auth::totp_uri(&secret, &context.staff.username, &state.config.site_name);
    let content = html! {
        @if context.must_enrol_totp {
            div.notice role="status" { p { "Your force requires two-factor login. Set it up to continue." } }
        }
        @if enrolled {
            p { "Two-factor login is on. To move it to a new authenticator, confirm with your password and a code from the current one." }
        }
        ol {
            li { "Open your authenticator app and add an account." }
            li { "Enter this key: " code id="totp-secret" { (secret) } " (or open " code { (uri) } ")." }
            li { "Type the six-digit code it shows below." }
        }
        form method="post" action="/staff/totp" {
            (csrf_field(&context.session.csrf_token))
            input type="hidden" name="secret" value=(secret);
            label for="current_password" { "Your current password" }
            input type="password" id="current_password" name="current_password" autocomplete="current-password" required;
            @if enrolled {
                label for="current_code" { "Code from your current authenticator" }
                input type="text" id="current_code" name="current_code" inputmode="numeric" autocomplete="one-time-code" required;
            }
            label for="code" { "Six-digit code from the new authenticator" }
            input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            button type="submit" { "Turn on two-factor login" }
        }
    };
    Ok(staff_page(&context, "Two-factor login", content).into_response())
}

#[derive(Deserialize)]
pub struct TotpForm {
    secret: String,
    code: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    current_code: String,
}

pub async fn totp_confirm(
    State(state): State<AppState>,
    form: StaffForm<TotpForm>,
) -> Result<Response, PageError> {
    let enrolment = services::auth::TotpEnrolment {
        current_password: &form.form.current_password,
        current_code: &form.form.current_code,
        secret: &form.form.secret,
        code: &form.form.code,
    };
    services::auth::confirm_totp(&state.store, &form.session, &enrolment).await?;
    Ok(done("/staff/settings", "totp-enabled"))
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    write: Option<String>,
    #[serde(default)]
    admin: Option<String>,
    #[serde(default)]
    inbound: Option<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    form: StaffForm<TokenForm>,
) -> Result<Response, PageError> {
    let scopes: Vec<String> = [
        ("read", &form.form.read),
        ("write", &form.form.write),
        ("admin", &form.form.admin),
        ("inbound", &form.form.inbound),
    ]
    .into_iter()
    .filter(|(_, value)| value.as_deref() == Some("true"))
    .map(|(name, _)| name.to_string())
    .collect();
    let (secret, token) = services::auth::create_api_token(
        &state.store,
        &form.session.staff,
        &form.form.name,
        &scopes,
    )
    .await?;
    let content = html! {
        div.notice role="status" {
            p { "Your new token " strong { (token.name) } " is below. Copy it now: it is shown only once." }
            p { code id="new-token" { (secret) } }
        }
        p { a href="/staff/settings" { "Back to my settings" } }
    };
    Ok(staff_page(&form.session, "New API token", content).into_response())
}

pub use super::Empty;

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    services::auth::revoke_api_token(&state.store, &form.session.staff, id)
        .await
        .map_err(|e| PageError(WebError::from(e)))?;
    Ok(done("/staff/settings", "token-revoked"))
}
