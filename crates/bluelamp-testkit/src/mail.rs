//! Helpers shared by the e-mail subscription tests (`tests/email*.rs`): subscribing
//! through the public form, following the links in received mail, publishing as
//! a sergeant, and reading subscriber, outbox and audit rows directly.

use bluelamp_services::Staff;
use bluelamp_store::subscriptions as subs;
use serde_json::{json, Value};

use crate::smtp::SmtpSink;
use crate::{Client, TestApp};

/// Subscribe through the public form, as a browser without JavaScript would.
pub async fn subscribe(client: &Client, account: &str, email: &str, mode: &str) {
    let path = "/forces/demo/subscribe";
    let page = client
        .submit(
            &format!("{path}?account={account}"),
            path,
            &[("email", email), ("account", account), ("mode", mode)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Check your inbox"), "{}", page.body);
}

/// The path (without the base URL) of the link in a mail's text that starts with `prefix`.
pub fn link_in(mail: &Value, prefix: &str) -> String {
    let text = mail["text"].as_str().unwrap();
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in: {text}"));
    text[start..].split_whitespace().next().unwrap().to_string()
}

pub async fn confirm_latest(app: &TestApp, sink: &SmtpSink, email: &str) {
    let mails = sink.received_by(email);
    let mail = mails.last().expect("a confirmation mail");
    let link = link_in(mail, "/subscriptions/confirm/");
    let page = app.client().get(&link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("is confirmed"), "{}", page.body);
}

/// sgt.evans, who posts on pcmorgan without approval once he has acknowledged the policy.
pub async fn sergeant(app: &TestApp) -> (Client, String, i64) {
    let client = app.logged_in("sgt.evans").await;
    let token = client.new_api_token("mail-test", &["read", "write"]).await;
    let ack = client
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let accounts = client
        .api("GET", "/api/v1/accounts", Some(&token), None)
        .await
        .json();
    let id = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "pcmorgan")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    (client, token, id)
}

pub async fn publish(client: &Client, token: &str, account: i64, text: &str) -> i64 {
    let page = client
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(token),
            Some(json!({"text": text, "kind": "update"})),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let body = page.json();
    assert_eq!(body["post"]["status"], "published", "{body}");
    body["post"]["id"].as_i64().unwrap()
}

pub async fn subscriber(app: &TestApp, email: &str) -> Option<subs::Subscriber> {
    let mut conn = app.store.read().await.unwrap();
    let force = bluelamp_store::forces::by_code(&mut conn, "demo")
        .await
        .unwrap();
    subs::by_email(&mut conn, force.id, email)
        .await
        .unwrap()
        .into_iter()
        .next()
}

/// A demo user as the services see them.
pub async fn staff(app: &TestApp, username: &str) -> Staff {
    let mut conn = app.store.read().await.unwrap();
    let user = bluelamp_store::users::by_username(&mut conn, username)
        .await
        .unwrap()
        .unwrap();
    Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: user.force_id,
        scopes: None,
        ip: None,
        token_id: None,
        app_account: None,
    }
}

pub async fn outbox(app: &TestApp) -> Vec<subs::OutboxMessage> {
    let mut conn = app.store.read().await.unwrap();
    subs::all_messages(&mut conn).await.unwrap()
}

pub async fn audit_count(app: &TestApp, action: &str) -> i64 {
    use sqlx::Row;
    let mut conn = app.store.read().await.unwrap();
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}
