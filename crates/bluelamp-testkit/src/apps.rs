//! Helpers for the client-app tests: register an app, play the officer's
//! consent in the browser, exchange the code, post a form with a bearer token.

use serde_json::{json, Value};

use crate::{extract_between, Client, TestApp};

pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// Held for a supervisor by the rules (a private phone number).
pub const HELD: &str =
    "Lost: a blue bike outside the library. If it is yours, ring Dave on 07700 900123.";
/// Refused by the rules (a child named).
pub const REFUSED: &str = "Jake Smith, 15, from Harbourside was arrested today for shoplifting.";

/// A registered app: (client_id, client_secret).
pub async fn register(client: &Client, scopes: &str) -> (String, String) {
    let app = client
        .api(
            "POST",
            "/api/v1/apps",
            None,
            Some(json!({"client_name": "Test app", "redirect_uris": OOB, "scopes": scopes})),
        )
        .await;
    assert_eq!(app.status, 200, "{}", app.body);
    let app = app.json();
    (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    )
}

/// The officer consents in the browser (already logged in) as `handle`; the
/// out-of-band code page's code.
pub async fn consent(browser: &Client, query: &str, handle: &str) -> String {
    let page = browser.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let label = format!("(@{handle})");
    let before_label = &page.body[..page.body.find(&label).expect("the account is offered")];
    let account = before_label
        .rsplit("name=\"account\" id=\"account-")
        .next()
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let mut fields: Vec<(String, String)> = page
        .body
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let name = rest.split('"').next()?;
            let value = extract_between(rest, "value=\"", "\"")?;
            Some((name.to_string(), value.replace("&amp;", "&")))
        })
        .collect();
    // The navigation's log-out form carries the same CSRF token: send it once.
    fields.dedup_by(|a, b| a.0 == b.0);
    fields.push(("account".into(), account));
    fields.push(("decision".into(), "allow".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = browser.post_form("/oauth/authorize", &pairs).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    extract_between(&answer.body, "id=\"authorization-code\">", "<").unwrap()
}

pub fn authorize_query(client_id: &str, scope: &str, extra: &str) -> String {
    format!("response_type=code&client_id={client_id}&redirect_uri={OOB}&scope={scope}{extra}")
        .replace(' ', "+")
}

pub async fn exchange(client: &Client, fields: &[(&str, &str)]) -> (u16, Value) {
    let page = client.post_form("/oauth/token", fields).await;
    (page.status, page.json())
}

/// A token for `username`'s app acting as `handle`, after acknowledging the policy.
pub async fn app_token(app: &TestApp, username: &str, handle: &str, scope: &str) -> String {
    app_token_with(app, username, handle, scope, true).await
}

pub async fn app_token_with(
    app: &TestApp,
    username: &str,
    handle: &str,
    scope: &str,
    acknowledge: bool,
) -> String {
    let browser = app.logged_in(username).await;
    let (id, secret) = register(&browser, scope).await;
    let code = consent(&browser, &authorize_query(&id, scope, ""), handle).await;
    let (status, token) = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(
        token["scope"], scope,
        "the answer states the scopes granted"
    );
    let token = token["access_token"].as_str().unwrap().to_string();
    if acknowledge && scope.split_whitespace().any(|s| s == "write") {
        let ack = browser
            .api(
                "POST",
                "/api/v1/policy/acknowledge",
                Some(&token),
                Some(json!({"version": 1})),
            )
            .await;
        assert_eq!(ack.status, 200, "{}", ack.body);
    }
    token
}

pub async fn form(
    client: &Client,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, Value) {
    let body = serde_urlencoded::to_string(fields).unwrap();
    let mut request = client
        .http
        .post(format!("{}{path}", client.base))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
