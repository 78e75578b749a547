//! The staff web UI: server-rendered pages that work without JavaScript.

mod accounts;
pub(crate) mod analytics;
mod audit;
mod campaigns;
pub(crate) mod cases;
mod connections;
mod delivery;
mod diff;
mod force;
mod home;
mod inbox;
mod inbox_replies;
mod incidents;
mod login;
mod notifications;
mod policy;
mod posts;
mod referrals;
mod rumours;
mod settings;
pub(crate) mod tips;
mod users;

use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use bluelamp_services::auth::SessionContext;
use maud::Markup;
use serde::Deserialize;

use crate::error::PageError;
use crate::layout::{self, Nav, NavLink};
use crate::AppState;

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route(
            "/login/totp",
            get(login::totp_form).post(login::totp_submit),
        )
        .route("/logout", post(login::log_out))
        .route("/staff", get(home::home))
        .route("/staff/compose", get(home::compose))
        .route("/staff/notifications", get(notifications::page))
        .route("/staff/notifications/read", post(notifications::read_all))
        .route(
            "/staff/notifications/{id}/read",
            post(notifications::read_one),
        )
        .route("/staff/force", post(home::choose_force))
        .route(
            "/staff/force-settings",
            get(force::settings_page).post(force::save_settings),
        )
        .route(
            "/staff/rules",
            get(force::rules_page).post(force::save_rules),
        )
        .route("/staff/policy", get(policy::page))
        .route("/staff/policy/acknowledge", post(policy::acknowledge))
        .route("/staff/policy/publish", post(policy::publish))
        .route("/staff/users", get(users::page).post(users::add))
        .route("/staff/users/{id}/disable", post(users::disable))
        .route("/staff/users/{id}/enable", post(users::enable))
        .route("/staff/users/{id}/safeguarding", post(users::safeguarding))
        .route("/staff/accounts", get(accounts::page).post(accounts::add))
        .route("/staff/accounts/{id}", get(accounts::detail))
        .route("/staff/accounts/{id}/members", post(accounts::set_member))
        .route(
            "/staff/accounts/{id}/away-reply",
            post(accounts::set_away_reply),
        )
        .route(
            "/staff/accounts/{id}/approval-steps",
            post(accounts::set_approval_steps),
        )
        .route(
            "/staff/accounts/{id}/connections",
            post(connections::connect),
        )
        .route(
            "/staff/accounts/{id}/connections/{network}/disconnect",
            post(connections::disconnect),
        )
        .route(
            "/staff/accounts/{id}/connections/x/start",
            post(connections::start_x),
        )
        .route(
            "/staff/connections/x/callback",
            get(connections::x_callback),
        )
        .route(
            "/staff/accounts/{id}/posts",
            post(posts::compose).layer(axum::extract::DefaultBodyLimit::max(
                crate::uploads::MAX_UPLOAD_BYTES,
            )),
        )
        .route("/staff/posts", get(posts::list))
        .route("/staff/posts/{id}", get(posts::detail))
        .route("/staff/posts/{id}/approve", post(posts::approve))
        .route("/staff/posts/{id}/reject", post(posts::reject))
        .route("/staff/posts/{id}/report", post(posts::report))
        .route("/staff/posts/{id}/edit", post(posts::edit))
        .route("/staff/posts/{id}/resubmit", post(posts::resubmit))
        .route("/staff/posts/{id}/escalate", post(posts::escalate))
        .route("/staff/posts/{id}/delete", post(posts::delete))
        .route("/staff/posts/{id}/share", post(posts::share))
        .route("/staff/posts/{id}/unshare", post(posts::unshare))
        .route("/staff/scheduling/pause", post(posts::pause))
        .route("/staff/scheduling/resume", post(posts::resume))
        .route("/staff/inbox", get(inbox::page))
        .route("/staff/inbox/alerts", get(inbox::alerts))
        .route("/staff/inbox/hand-over", post(inbox::hand_over))
        .route("/staff/inbox/duty", post(inbox::duty))
        .route("/staff/inbox/{id}", get(inbox::detail))
        .route("/staff/inbox/{id}/status", post(inbox::status))
        .route("/staff/inbox/{id}/assign", post(inbox::assign))
        .route("/staff/inbox/{id}/notes", post(inbox::note))
        .route("/staff/inbox/{id}/hide", post(inbox::hide))
        .route("/staff/inbox/{id}/restore", post(inbox::restore))
        .route("/staff/inbox/{id}/overrule", post(inbox::overrule))
        .route("/staff/inbox/{id}/reply", post(inbox_replies::reply))
        .route("/staff/inbox/{id}/mute", post(inbox::mute))
        .route("/staff/inbox/{id}/redact", post(inbox::redact))
        .route(
            "/staff/inbox/{id}/incident-record",
            post(inbox::incident_record),
        )
        .route(
            "/staff/inbox/{id}/incident-reference",
            post(inbox::incident_reference),
        )
        .route("/staff/inbox/{id}/case", post(inbox::link_case))
        .route("/staff/inbox/{id}/unmute", post(inbox::unmute))
        .route("/staff/inbox/canned", post(inbox_replies::add_canned))
        .route("/staff/rumours", get(rumours::page))
        .route("/staff/rumours/{id}", get(rumours::detail))
        .route("/staff/rumours/{id}/answer", post(rumours::answer))
        .route("/staff/referrals", get(referrals::page))
        .route("/staff/referrals/{id}", get(referrals::detail))
        .route("/staff/referrals/{id}/update", post(referrals::update))
        .route("/staff/inbox/{id}/refer", post(referrals::refer))
        .route("/staff/cases", get(cases::page).post(cases::create))
        .route("/staff/cases/{reference}", get(cases::detail))
        .route("/staff/cases/{reference}/people", post(cases::add_person))
        .route("/staff/cases/{reference}/status", post(cases::set_status))
        .route("/staff/cases/{reference}/follow-up", post(cases::follow_up))
        .route(
            "/staff/incidents",
            get(incidents::page).post(incidents::open),
        )
        .route("/staff/incidents/{reference}", get(incidents::detail))
        .route(
            "/staff/incidents/{reference}/updates",
            post(incidents::post_update),
        )
        .route("/staff/incidents/{reference}/close", post(incidents::close))
        .route(
            "/staff/appeals",
            get(incidents::appeals_page)
                .post(incidents::create_appeal)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::uploads::MAX_UPLOAD_BYTES,
                )),
        )
        .route("/staff/appeals/{reference}", get(incidents::appeal_detail))
        .route(
            "/staff/appeals/{reference}/status",
            post(incidents::appeal_status),
        )
        .route(
            "/staff/appeals/{reference}/remove-images",
            post(incidents::remove_images),
        )
        .route("/staff/tips", get(tips::page))
        .route("/staff/tips/{id}", get(tips::detail))
        .route("/staff/tips/{id}/decision", post(tips::decide))
        .route("/staff/tips/{id}/bundle", get(tips::bundle))
        .route("/staff/evidence/{id}", get(tips::evidence))
        .route("/staff/analytics", get(analytics::audience))
        .route("/staff/analytics/national", get(analytics::national))
        .route("/staff/analytics/responses", get(analytics::responses))
        .route(
            "/staff/analytics/accounts/{id}/amplifiers",
            get(analytics::amplifiers),
        )
        .route("/staff/analytics/style", get(analytics::my_style))
        .route("/staff/analytics/style/{id}", get(analytics::style))
        .route(
            "/staff/campaigns",
            get(campaigns::page).post(campaigns::create),
        )
        .route("/staff/campaigns/{id}", get(campaigns::detail))
        .route("/staff/campaigns/{id}/join", post(campaigns::join))
        .route("/staff/campaigns/{id}/live", get(campaigns::live))
        .route("/staff/audit", get(audit::page))
        .route("/staff/settings", get(settings::page))
        .route("/staff/settings/password", post(settings::change_password))
        .route("/staff/settings/notifications", post(delivery::save))
        .route("/staff/push/subscribe", post(delivery::subscribe))
        .route("/staff/push/{id}/remove", post(delivery::remove))
        .route("/staff/sw.js", get(delivery::service_worker))
        .route(
            "/staff/totp",
            get(settings::totp_page).post(settings::totp_confirm),
        )
        .route("/staff/tokens", post(settings::create_token))
        .route("/staff/tokens/{id}/revoke", post(settings::revoke_token))
        // Every refusal on a staff page is shown inside the staff navigation: an
        // extractor's (a malformed id in the address, a form that is not a form,
        // plain text from the framework) and a use case's alike.
        .layer(axum::middleware::from_fn_with_state(state, staff_errors))
}

/// Show a staff route's error inside the staff navigation (when the session is
/// good), with the message beside the field it concerns for `forms.js`.
async fn staff_errors(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let shown = response
        .extensions()
        .get::<crate::error::ShownError>()
        .cloned();
    let (title, detail, field, response) = match shown {
        Some(shown) => (shown.title, shown.detail, shown.field, response),
        None => {
            // Plain text or JSON from an extractor: read its message.
            let mut said = None;
            let rewritten = crate::api::extract::rewrite_error_body(
                response,
                |content_type| content_type.is_some_and(|v| v.starts_with("text/html")),
                |status, detail| {
                    said = Some(detail.clone());
                    PageError(crate::error::WebError::new(status, "error", detail)).into_response()
                },
            )
            .await;
            match said {
                Some(detail) => ("That did not work", detail, None, rewritten),
                None => return rewritten,
            }
        }
    };
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers = headers;
    let Ok(context) = crate::auth::staff_context(&parts, &state).await else {
        return response;
    };
    let page = staff_page(
        &context,
        title,
        crate::layout::error_body(status.as_u16(), &detail, field, true),
    );
    let (old, _) = response.into_parts();
    let mut rewritten = (status, page).into_response();
    for (name, value) in old.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

pub(crate) use inbox::{announce_urgent, inbox_alerts_from_other_processes};
pub(crate) use referrals::refer_form;

/// A staff page with the navigation for this session.
pub(crate) fn staff_page(context: &SessionContext, title: &str, content: Markup) -> Markup {
    let nav = Nav {
        username: &context.staff.username,
        role: context.staff.role.as_str(),
        csrf: &context.session.csrf_token,
        links: nav_links(context),
    };
    layout::page(title, Some(&nav), content)
}

/// The navigation a role sees: what it may use, compose and the inbox first for
/// those who post and answer, administration last.
fn nav_links(context: &SessionContext) -> Vec<NavLink> {
    use bluelamp_domain::Action;
    let may = |action: Action| context.staff.role.authorize(action).is_ok();
    let link = |href, label| NavLink {
        href,
        label,
        count: 0,
    };
    let mut links = vec![link("/staff", "Home")];
    if may(Action::Post) {
        links.push(link("/staff/compose", "Compose"));
    }
    if may(Action::ViewAccounts) {
        links.push(link("/staff/posts", "Posts"));
    }
    if may(Action::HandleMessages) {
        links.push(link("/staff/inbox", "Inbox"));
    }
    if may(Action::ManageCases) {
        links.push(link("/staff/incidents", "Incidents & appeals"));
        links.push(link("/staff/cases", "Cases"));
    }
    if may(Action::ViewReferrals) {
        links.push(link("/staff/referrals", "Referrals"));
    }
    if may(Action::ViewAnalytics) {
        links.push(link("/staff/analytics", "Analytics"));
    } else if may(Action::Post) {
        links.push(link("/staff/analytics/style", "My style"));
    }
    if may(Action::Post) || may(Action::ViewAnalytics) {
        links.push(link("/staff/campaigns", "Campaigns"));
    }
    links.push(NavLink {
        href: "/staff/notifications",
        label: "Notifications",
        count: context.unread_notifications,
    });
    if may(Action::ViewAccounts) {
        links.push(link("/staff/accounts", "Accounts"));
    }
    if may(Action::ManageUsers) {
        links.push(link("/staff/users", "Users"));
    }
    if may(Action::ViewPolicy) {
        links.push(link("/staff/policy", "Policy"));
    }
    if may(Action::ViewAudit) {
        links.push(link("/staff/audit", "Audit trail"));
    }
    links.push(link("/staff/settings", "My settings"));
    links
}

/// A form with nothing but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct Empty {}

/// After a successful form, go back to a page with a short notice.
pub(crate) fn done(path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}done={notice}")).into_response()
}

/// The fixed notices a redirect can show (a key, never free text from the URL).
pub(crate) fn notice_text(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "acknowledged" => "Thank you: your acknowledgement of the policy is recorded.",
        "published" => {
            "The new policy version is published; everyone will be asked to acknowledge it."
        }
        "user-added" => "The user has been added.",
        "user-disabled" => "The user is disabled and has been logged out everywhere.",
        "user-enabled" => "The user is enabled again.",
        "user-trained" => "Saved: safeguarding messages are now routed to them too.",
        "user-untrained" => "Saved: safeguarding messages are no longer routed to them.",
        "account-added" => "The account has been created.",
        "member-saved" => "The membership is saved.",
        "away-reply-saved" => "The out-of-hours auto-reply is saved.",
        "posted" => "Your post is published.",
        "submitted" => "Your post has been submitted; its status is below.",
        "escalated" => "Sent to a supervisor with your reason: they are told, and you will be told what they decide.",
        "connected" => "Connected: posts that name this network now go there too.",
        "disconnected" => "Disconnected: its credential is forgotten; posts already there stay.",
        "delivery-saved" => "Saved: you will be told as you chose.",
        "push-on" => "This device will show your notifications.",
        "push-off" => "That device will no longer show your notifications.",
        "steps-saved" => "The approval steps are saved: posts now waiting follow them.",
        "refused-again" => "The check still refuses it: nothing went out. The findings below say why; your text is kept so you can change it again.",
        "approved" => "The post is approved.",
        "rejected" => "The post is rejected; the author will see your reason.",
        "reported" => "Thank you: the report is recorded for the governance team and the check's next training round.",
        "edited" => "The edit is saved; the previous text is kept in the history.",
        "edit-proposed" => "Your edit waits for a supervisor's approval; the approved text stays public until then.",
        "deleted" => "The post is deleted; a tombstone stays on the public page and the content is kept for the audit trail.",
        "shared" => "The post is shared; the account's followers will see the boost.",
        "already-shared" => "That account already shares this post; nothing new was sent.",
        "unshared" => "The account no longer shares this post.",
        "paused" => "All scheduled posts are paused.",
        "resumed" => "Scheduled posts will go out again.",
        "password-changed" => "Your password is changed; your other sessions have ended.",
        "totp-enabled" => "Two-factor login is on for your account.",
        "token-revoked" => "The API token is revoked.",
        "force-chosen" => "You are now working in the chosen force.",
        "campaign-started" => "The campaign is started: posts carrying its hashtag are counted as they are published.",
        "campaign-joined" => "Your force takes part: its posts carrying the hashtag now count.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    pub done: Option<String>,
}
