//! Managing staff users (force administrators and the server administrator).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use bluelamp_domain::{Role, UserId};
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
    let users = services::users::list_users(&state.store, &context.staff).await?;
    let csrf = &context.session.csrf_token;
    let content = html! {
        (notice(notice_text(query.done.as_deref())))
        table {
            caption { "Staff users" }
            thead { tr { th scope="col" { "Username" } th scope="col" { "Name" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Safeguarding" } th scope="col" { "Action" } } }
            tbody {
                @for user in &users {
                    tr {
                        td { (user.username) }
                        td { (user.display_name) }
                        td { (user.role.as_str()) }
                        td { @if user.disabled { "disabled" } @else { "active" } @if user.totp_enabled { ", two-factor on" } @if user.on_duty { ", on duty" } }
                        td {
                            // Only those who answer the public can be routed messages.
                            @if user.role.authorize(bluelamp_domain::Action::HandleMessages).is_ok() {
                                form method="post" action=(format!("/staff/users/{}/safeguarding", user.id)) {
                                    (csrf_field(csrf))
                                    input type="hidden" name="trained" value=(if user.safeguarding_trained { "false" } else { "true" });
                                    @if user.safeguarding_trained { "Trained " }
                                    @let label = if user.safeguarding_trained { "Not trained" } else { "Mark trained" };
                                    button.secondary type="submit" aria-label=(format!("{label}: {}", user.username)) { (label) }
                                }
                            } @else {
                                "not applicable"
                            }
                        }
                        td {
                            @if Some(user.id) != context.staff.user_id {
                                form method="post" action=(format!("/staff/users/{}/{}", user.id, if user.disabled { "enable" } else { "disable" })) {
                                    (csrf_field(csrf))
                                    button.secondary type="submit" aria-label=(format!("{} {}", if user.disabled { "Enable" } else { "Disable" }, user.username)) {
                                        @if user.disabled { "Enable" } @else { "Disable" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add a user" }
        form method="post" action="/staff/users" {
            (csrf_field(csrf))
            label for="username" { "Username" }
            input type="text" id="username" name="username" required;
            label for="display_name" { "Name" }
            input type="text" id="display_name" name="display_name" required;
            label for="role" { "Role" }
            select id="role" name="role" {
                @for role in Role::ALL {
                    @if role != Role::ServerAdmin || context.staff.role == Role::ServerAdmin {
                        option value=(role.as_str()) { (role.as_str()) }
                    }
                }
            }
            label for="password" { "Initial password (at least 12 characters)" }
            input type="password" id="password" name="password" autocomplete="new-password" required;
            button type="submit" { "Add user" }
        }
    };
    Ok(staff_page(&context, "Users", content).into_response())
}

#[derive(Deserialize)]
pub struct AddForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

pub async fn add(
    State(state): State<AppState>,
    form: StaffForm<AddForm>,
) -> Result<Response, PageError> {
    let input = services::users::AddUser {
        username: form.form.username,
        display_name: form.form.display_name,
        role: form.form.role,
        password: form.form.password,
        force: None,
    };
    services::users::add_user(&state.store, &form.session.staff, &input).await?;
    Ok(done("/staff/users", "user-added"))
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    services::users::set_disabled(&state.store, &form.session.staff, UserId(id), true).await?;
    Ok(done("/staff/users", "user-disabled"))
}

pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<Empty>,
) -> Result<Response, PageError> {
    services::users::set_disabled(&state.store, &form.session.staff, UserId(id), false).await?;
    Ok(done("/staff/users", "user-enabled"))
}

#[derive(Deserialize)]
pub struct TrainedForm {
    trained: bool,
}

pub async fn safeguarding(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<TrainedForm>,
) -> Result<Response, PageError> {
    let trained = form.form.trained;
    services::users::set_safeguarding_trained(
        &state.store,
        &form.session.staff,
        UserId(id),
        trained,
    )
    .await?;
    Ok(done(
        "/staff/users",
        if trained {
            "user-trained"
        } else {
            "user-untrained"
        },
    ))
}
