//! Notifications reach apps (also live, over SSE and WebSocket); signatures and
//! the policy apply to apps as on the web.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::apps::*;
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn replies_reach_the_app_as_notifications_and_live_over_sse_and_websocket() {
    use futures_util::StreamExt;
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = app_token(&app, "sgt.evans", "pcmorgan", "read write").await;
    // The demo has one fediverse reply to @pcmorgan already.
    let notes = client
        .api("GET", "/api/v1/notifications", Some(&token), None)
        .await;
    assert_eq!(notes.status, 200, "{}", notes.body);
    let notes = notes.json();
    assert_eq!(notes[0]["type"], "mention");
    assert!(
        notes[0]["status"]["content"]
            .as_str()
            .unwrap()
            .contains("found my grandad"),
        "{notes}"
    );
    let one = client
        .api(
            "GET",
            &format!("/api/v1/notifications/{}", notes[0]["id"].as_str().unwrap()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(one.status, 200);
    // Replying to a notification answers the member of the public through the
    // inbox: checked like any post, recorded with their message.
    let (status, body) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[
            ("status", "Thank you, Jo, we will pass it on to the team."),
            ("in_reply_to_id", notes[0]["status"]["id"].as_str().unwrap()),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = client
        .api(
            "GET",
            &format!("/api/v1/inbox/{}", notes[0]["id"].as_str().unwrap()),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(message["message"]["status"], "answered", "{message}");

    let beat = {
        let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
        officer.account_id(&officer_token, "pcmorgan").await
    };
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("connector", &["inbound"]).await;
    let deliver = |n: u32| {
        json!({"messages": [{
            "channel": "fediverse",
            "external_id": format!("live-{n}"),
            "author": {"handle": "@neighbour@example.social"},
            "text": format!("Thanks for the update on the harbour path ({n})"),
            "account_id": beat,
        }]})
    };

    // Server-sent events.
    let response = client
        .http
        .get(format!("{}/api/v1/streaming/user", app.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let delivered = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(deliver(1)),
        )
        .await;
    assert_eq!(delivered.status, 200, "{}", delivered.body);
    let mut response = response;
    let mut seen = String::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: notification") && seen.contains("harbour path (1)") {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(found, Ok(true)), "{seen}");

    // WebSocket, Mastodon's frames.
    let ws_url = format!(
        "{}/api/v1/streaming?stream=user&access_token={token}",
        app.base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let delivered = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(deliver(2)),
        )
        .await;
    assert_eq!(delivered.status, 200);
    let frame = tokio::time::timeout(std::time::Duration::from_secs(20), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let frame: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(frame["event"], "notification");
    let payload: Value = serde_json::from_str(frame["payload"].as_str().unwrap()).unwrap();
    assert!(payload["status"]["content"]
        .as_str()
        .unwrap()
        .contains("harbour path (2)"));

    // A wrong token gets no stream.
    let refused = client
        .http
        .get(format!(
            "{}/api/v1/streaming/user?access_token=bl_wrong",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn signatures_and_the_policy_apply_to_apps_as_on_the_web() {
    let app = TestApp::spawn().await;
    let client = app.client();
    // A chief officer on the collective account: the post carries their signature.
    let chief = app_token_with(&app, "chief.admin", "chiefofficers", "read write", false).await;
    let (status, signed) = form(
        &client,
        "/api/v1/statuses",
        &chief,
        &[("status", "Thank you to everyone who came to the open day.")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{signed}");
    assert!(
        signed["content"]
            .as_str()
            .unwrap()
            .starts_with("<p>ACC DA: Thank you"),
        "{signed}"
    );
    assert_eq!(signed["account"]["group"], true);

    // The policy must be acknowledged first, as on the web.
    let comms = app_token_with(&app, "comms.lewis", "democonstabulary", "read write", false).await;
    let (status, refused) = form(
        &client,
        "/api/v1/statuses",
        &comms,
        &[("status", "Roadworks on the A48 tonight.")],
        None,
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("polic"),
        "{refused}"
    );
    let ack = client
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&comms),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let (status, posted) = form(
        &client,
        "/api/v1/statuses",
        &comms,
        &[("status", "Roadworks on the A48 tonight.")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{posted}");

    // The account route answers Mastodon's Account fields beside Bluelamp's own.
    let id = posted["account"]["id"].as_str().unwrap();
    let account = client
        .api("GET", &format!("/api/v1/accounts/{id}"), Some(&comms), None)
        .await;
    assert_eq!(account.status, 200, "{}", account.body);
    let account = account.json();
    assert_eq!(account["username"], "democonstabulary");
    assert_eq!(account["id"], id);
    assert_eq!(account["account"]["handle"], "democonstabulary");
    assert!(account["statuses_count"].as_i64().unwrap() >= 1);
}
