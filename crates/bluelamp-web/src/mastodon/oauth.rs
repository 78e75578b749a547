//! OAuth endpoints: app registration, the consent page (our own staff login
//! first), the token and revocation endpoints, and the server metadata (RFC 8414).

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_domain::AccountId;
use bluelamp_services::client_apps::oauth::{self as service, AuthorizeRequest, OAuthError};
use maud::html;
use serde_json::json;

use super::{text, ClientBody, ClientError, ClientResult};
use crate::auth::{client_addr, cookie, set_cookie, StaffForm, StaffSession};
use crate::layout::csrf_field;
use crate::staff::staff_page;
use crate::AppState;

/// Where the login page sends an officer who came from an app's consent page.
const AFTER_LOGIN_COOKIE: &str = "bl_after_login";

/// Where to go after logging in: back to the consent page the officer came
/// from, else the staff home. Only a consent page is honoured (no open redirect).
pub fn after_login(parts: &Parts) -> String {
    cookie(parts, AFTER_LOGIN_COOKIE)
        .and_then(|value| {
            let bytes = hex::decode(value).ok()?;
            String::from_utf8(bytes).ok()
        })
        .filter(|path| path.starts_with("/oauth/authorize?") && !path.contains(['\r', '\n']))
        .unwrap_or_else(|| "/staff".to_string())
}

fn oauth_error(status: StatusCode, error: OAuthError) -> Response {
    (
        status,
        axum::Json(json!({"error": error.error, "error_description": error.description})),
    )
        .into_response()
}

pub async fn register_app(
    State(state): State<AppState>,
    parts: Parts,
    ClientBody(body): ClientBody,
) -> ClientResult {
    // Registration needs no login (as on Mastodon): bounded per address.
    if let Some(address) = client_addr(&parts) {
        if !state.app_registrations.allow(&address) {
            return Err(ClientError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many apps registered from your address; try again later",
            ));
        }
    }
    let redirect_uris = match body.get("redirect_uris") {
        Some(serde_json::Value::Array(items)) => service::RedirectUris::Many(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        Some(serde_json::Value::String(one)) => service::RedirectUris::One(one.clone()),
        _ => service::RedirectUris::None,
    };
    let input = service::RegisterApp {
        client_name: super::text_field(&body, "client_name")?.unwrap_or_default(),
        redirect_uris,
        scopes: super::text_field(&body, "scopes")?,
        website: super::text_field(&body, "website")?,
    };
    let registered = service::register_app(&state.store, &input).await?;
    let app = &registered.app;
    let uris: Vec<&str> = app.redirect_uris.split_whitespace().collect();
    super::ok(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": uris.join("\n"),
        "redirect_uris": uris,
        "client_id": app.client_id,
        "client_secret": registered.client_secret,
        "client_secret_expires_at": 0,
        "vapid_key": null,
    }))
}

/// `GET /api/v1/apps/verify_credentials`: the app a token belongs to.
pub async fn verify_app(State(state): State<AppState>, parts: Parts) -> ClientResult {
    let secret = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let invalid = || ClientError::new(StatusCode::UNAUTHORIZED, "The access token is invalid");
    if secret.is_empty() {
        return Err(invalid());
    }
    let app = match service::app_for_token(&state.store, &secret).await? {
        Some((app, _)) => app,
        None => {
            let staff = bluelamp_services::auth::bearer(&state.store, &secret, None)
                .await
                .map_err(|_| invalid())?;
            service::app_of(&state.store, &staff)
                .await?
                .ok_or_else(invalid)?
        }
    };
    super::ok(json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": app.redirect_uris.split_whitespace().collect::<Vec<_>>().join("\n"),
        "redirect_uris": app.redirect_uris.split_whitespace().collect::<Vec<_>>(),
        "vapid_key": null,
    }))
}

/// The consent form's CSP names where the form may lead (the app's redirect),
/// since browsers apply `form-action` to the redirect after a submission too.
fn consent_csp(redirect_uri: &str) -> HeaderValue {
    let target = if redirect_uri == service::OUT_OF_BAND {
        String::new()
    } else if let Some(rest) = redirect_uri
        .strip_prefix("https://")
        .or_else(|| redirect_uri.strip_prefix("http://"))
    {
        let scheme = if redirect_uri.starts_with("https") {
            "https"
        } else {
            "http"
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        format!(" {scheme}://{host}")
    } else {
        format!(" {}:", redirect_uri.split(':').next().unwrap_or_default())
    };
    let target: String = target
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| !matches!(c, ';' | ',' | '\''))
        .collect();
    HeaderValue::from_str(&format!(
        "default-src 'self'; style-src 'self'; img-src 'self' https: data:; script-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'{target}; frame-ancestors 'none'"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; form-action 'self'"))
}

fn error_page(
    context: Option<&bluelamp_services::auth::SessionContext>,
    error: &OAuthError,
) -> Response {
    let content = html! {
        h1 { "The app cannot be authorised" }
        div.error role="alert" { p { (error.description) } }
        p { "Nothing was granted. Go back to the app and try again, or ask your comms team." }
    };
    let page = match context {
        Some(context) => staff_page(context, "App authorisation", content),
        None => crate::layout::page("App authorisation", None, content),
    };
    (StatusCode::BAD_REQUEST, page).into_response()
}

/// `GET /oauth/authorize`: log in (our own page) and then consent.
pub async fn authorize_page(
    State(state): State<AppState>,
    parts: Parts,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    let mut parts = parts;
    let context =
        match <StaffSession as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        {
            Ok(StaffSession(context)) => context,
            Err(redirect) => {
                // Not logged in: remember this page for after the login.
                let here = format!(
                    "/oauth/authorize?{}",
                    serde_urlencoded::to_string(&request).unwrap_or_default()
                );
                let remember = set_cookie(&state, AFTER_LOGIN_COOKIE, &hex::encode(here), 600);
                let mut response = redirect;
                if let Ok(value) = HeaderValue::from_str(&remember) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                return response;
            }
        };
    let consent = match service::consent(&state.store, &context.staff, &request).await {
        Ok(consent) => consent,
        Err(error) => return error_page(Some(&context), &error),
    };
    let csrf = &context.session.csrf_token;
    let content = html! {
        h1 { "Let " (consent.app.name) " post for you?" }
        p { "An app wants to use Bluelamp as you, " strong { (context.staff.display_name) } "." }
        @if let Some(site) = &consent.app.website { p { "Its website: " (site) } }
        h2 { "It asks to" }
        ul {
            @for scope in &consent.scopes {
                li { (scope_sentence(scope)) }
            }
        }
        p { "Every post from the app goes through the governance check and your account's approval rules, exactly as on the web. You can revoke the app at any time on " a href="/staff/settings" { "My settings" } "." }
        // Leaves for the app's own address: sent by the browser itself (forms.js
        // leaves it alone), not in the background.
        form method="post" action="/oauth/authorize" data-native {
            (csrf_field(csrf))
            @for (name, value) in hidden_fields(&request) {
                input type="hidden" name=(name) value=(value);
            }
            fieldset {
                legend { "Which account will the app post as?" }
                @for (i, account) in consent.accounts.iter().enumerate() {
                    div {
                        input type="radio" name="account" id=(format!("account-{}", account.id.0)) value=(account.id.0) checked[i == 0];
                        label for=(format!("account-{}", account.id.0)) { (account.display_name) " (@" (account.handle) ")" }
                    }
                }
            }
            button type="submit" name="decision" value="allow" { "Authorise" }
            " "
            button.secondary type="submit" name="decision" value="deny" { "Deny" }
        }
    };
    let page = staff_page(&context, "Authorise an app", content);
    let mut response = page.into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        consent_csp(&request.redirect_uri),
    );
    // The remembered page has served its purpose.
    if let Ok(value) = HeaderValue::from_str(&set_cookie(&state, AFTER_LOGIN_COOKIE, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

fn scope_sentence(scope: &str) -> String {
    match scope {
        "read" => "read your account's posts, timelines and the replies addressed to it".into(),
        "write" => "post, schedule and delete as the account, and upload photos".into(),
        "follow" | "push" => format!("{scope} (accepted; nothing more is granted by it here)"),
        "profile" => "know who you are".into(),
        other => other.replace(':', ": "),
    }
}

fn hidden_fields(request: &AuthorizeRequest) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("response_type", request.response_type.clone()),
        ("client_id", request.client_id.clone()),
        ("redirect_uri", request.redirect_uri.clone()),
    ];
    for (name, value) in [
        ("scope", &request.scope),
        ("state", &request.state),
        ("code_challenge", &request.code_challenge),
        ("code_challenge_method", &request.code_challenge_method),
    ] {
        if let Some(value) = value {
            fields.push((name, value.clone()));
        }
    }
    fields
}

#[derive(serde::Deserialize)]
pub struct ConsentForm {
    #[serde(flatten)]
    request: AuthorizeRequest,
    #[serde(default)]
    account: String,
    #[serde(default)]
    decision: String,
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let separator = if uri.contains('?') { '&' } else { '?' };
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    format!("{uri}{separator}{query}")
}

/// `POST /oauth/authorize`: the officer's answer.
pub async fn authorize_submit(
    State(state): State<AppState>,
    form: StaffForm<ConsentForm>,
) -> Response {
    let StaffForm { session, form } = form;
    let request = form.request;
    let state_param = request.state.clone().unwrap_or_default();
    if form.decision != "allow" {
        // Only a registered redirect is ever followed.
        return match service::consent(&state.store, &session.staff, &request).await {
            Ok(_) if request.redirect_uri != service::OUT_OF_BAND => {
                let mut pairs = vec![("error", "access_denied")];
                if !state_param.is_empty() {
                    pairs.push(("state", &state_param));
                }
                Redirect::to(&with_query(&request.redirect_uri, &pairs)).into_response()
            }
            Ok(_) => error_page(
                Some(&session),
                &OAuthError {
                    error: "access_denied",
                    description: "You denied the app; nothing was granted.".into(),
                },
            ),
            Err(error) => error_page(Some(&session), &error),
        };
    }
    let account = form.account.trim().parse::<i64>().unwrap_or(0);
    match service::grant(&state.store, &session.staff, &request, AccountId(account)).await {
        Ok(code) if request.redirect_uri == service::OUT_OF_BAND => {
            let content = html! {
                h1 { "Your authorisation code" }
                p { "Copy this code and paste it into the app:" }
                p { code id="authorization-code" { (code) } }
                p { "It works once, within " (service::CODE_MINUTES) " minutes." }
            };
            staff_page(&session, "Authorisation code", content).into_response()
        }
        Ok(code) => {
            let mut pairs = vec![("code", code.as_str())];
            if !state_param.is_empty() {
                pairs.push(("state", &state_param));
            }
            Redirect::to(&with_query(&request.redirect_uri, &pairs)).into_response()
        }
        Err(error) => error_page(Some(&session), &error),
    }
}

/// `POST /oauth/token`.
pub async fn token(State(state): State<AppState>, ClientBody(body): ClientBody) -> Response {
    let request = service::TokenRequest {
        grant_type: text(&body, "grant_type").unwrap_or_default(),
        code: text(&body, "code"),
        client_id: text(&body, "client_id"),
        client_secret: text(&body, "client_secret"),
        redirect_uri: text(&body, "redirect_uri"),
        code_verifier: text(&body, "code_verifier"),
        scope: text(&body, "scope"),
    };
    match service::token(&state.store, &request).await {
        Ok(issued) => (
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::to_value(issued).unwrap_or_default()),
        )
            .into_response(),
        Err(error) => {
            let status = match error.error {
                "invalid_client" => StatusCode::UNAUTHORIZED,
                "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_REQUEST,
            };
            oauth_error(status, error)
        }
    }
}

/// `POST /oauth/revoke`.
pub async fn revoke(State(state): State<AppState>, ClientBody(body): ClientBody) -> Response {
    let token = text(&body, "token").unwrap_or_default();
    match service::revoke(
        &state.store,
        text(&body, "client_id").as_deref(),
        text(&body, "client_secret").as_deref(),
        &token,
    )
    .await
    {
        Ok(()) => axum::Json(json!({})).into_response(),
        Err(error) => {
            let status = if error.error == "invalid_client" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            };
            oauth_error(status, error)
        }
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let base = super::entities::base(&state);
    axum::Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": format!("{base}/api/openapi.json"),
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": ["read", "write", "follow", "push", "profile", "read:accounts", "read:statuses", "read:notifications", "write:statuses", "write:media"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}
