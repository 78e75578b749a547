//! How a member of staff is told besides the staff pages: by e-mail, and by Web
//! Push on the browsers they choose (their phone's lock screen). The section on
//! the settings page, its forms, and the service worker that shows a push.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bluelamp_services as services;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::StaffForm;
use crate::error::PageError;
use crate::layout::csrf_field;
use crate::staff::done;
use crate::AppState;

/// The settings page's section: the e-mail choice, this server's push key for
/// the browser to subscribe with, and the browsers already subscribed.
pub(crate) async fn section(
    state: &AppState,
    context: &services::auth::SessionContext,
) -> Result<Markup, PageError> {
    let staff = &context.staff;
    let delivery = services::staff_notifications::delivery(&state.store, staff).await?;
    let browsers = services::web_push::subscriptions(&state.store, staff).await?;
    let key = services::web_push::public_key(&state.store).await?;
    let csrf = &context.session.csrf_token;
    Ok(html! {
        section aria-labelledby="told" {
            h2 id="told" { "How you are told" }
            p { "You always see notifications under Notifications. You can also have them sent:" }
            form method="post" action="/staff/settings/notifications" {
                (csrf_field(csrf))
                label for="notify-email" { "E-mail address for notifications" }
                input type="email" id="notify-email" name="email" autocomplete="email" maxlength="254" value=(delivery.email.as_deref().unwrap_or(""));
                label {
                    input type="checkbox" name="by_email" value="true" checked[delivery.by_email];
                    " E-mail me each notification"
                }
                button type="submit" id="save-delivery" { "Save" }
            }
            h3 { "On this device" }
            p.hint { "Your phone or computer shows each notification even when Bluelamp is closed. Turn it on separately on each device you use." }
            div id="push" data-key=(key) data-csrf=(csrf) {
                button type="button" id="push-on" { "Notify me on this device" }
                p id="push-status" role="status" {}
            }
            @if !browsers.is_empty() {
                ul id="push-devices" {
                    @for browser in &browsers {
                        li {
                            (push_service_name(&browser.endpoint)) ", since " (browser.created_at.get(..10).unwrap_or(&browser.created_at))
                            form method="post" action=(format!("/staff/push/{}/remove", browser.id)) {
                                (csrf_field(csrf))
                                button.secondary type="submit" { "Stop notifying this device" }
                            }
                        }
                    }
                }
            }
            script src="/assets/push.js" defer {}
        }
    })
}

/// The push service's host, which is as much as a person needs to tell two
/// subscriptions apart (the full address is a secret of the browser's).
fn push_service_name(endpoint: &str) -> String {
    services::web_push::crypto::origin(endpoint)
        .map(|o| o.split("://").nth(1).unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    by_email: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    form: StaffForm<DeliveryForm>,
) -> Result<Response, PageError> {
    services::staff_notifications::set_delivery(
        &state.store,
        &form.session.staff,
        &form.form.email,
        form.form.by_email.as_deref() == Some("true"),
    )
    .await?;
    Ok(done("/staff/settings", "delivery-saved"))
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    endpoint: String,
    p256dh: String,
    auth: String,
}

/// A browser's subscription, sent by `push.js` once the person allowed it.
pub async fn subscribe(
    State(state): State<AppState>,
    form: StaffForm<SubscribeForm>,
) -> Result<Response, PageError> {
    services::web_push::subscribe(
        &state.store,
        &form.session.staff,
        &form.form.endpoint,
        &form.form.p256dh,
        &form.form.auth,
        &state.config.push_services,
    )
    .await?;
    Ok(done("/staff/settings", "push-on"))
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: StaffForm<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    services::web_push::unsubscribe(&state.store, &form.session.staff, id).await?;
    Ok(done("/staff/settings", "push-off"))
}

/// The service worker: shows a push as a notification and opens its page when
/// tapped. Served under /staff/ so that its scope is the staff side.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/sw.js"),
    )
        .into_response()
}
