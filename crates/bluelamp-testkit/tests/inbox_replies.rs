//! Answering the public from the inbox through the publishing path: the reply is
//! a post (checked, approved where needed, threaded on the fediverse), the message
//! is answered when it is published, canned replies fill in the message's details,
//! and an app's reply to a notification takes the same path.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

const REMOTE_NOTE: &str = "https://remote.example/notes/harbour-1";

/// A connector delivers one message; its id.
async fn deliver(
    app: &TestApp,
    channel: &str,
    external_id: &str,
    text: &str,
    account: Option<i64>,
) -> i64 {
    let admin = app.logged_in("chief.admin").await;
    let token = admin.new_api_token("connector", &["inbound"]).await;
    let mut message = json!({
        "channel": channel,
        "external_id": external_id,
        "author": {"handle": "jo@remote.example", "name": "Jo Bloggs"},
        "text": text,
    });
    if let Some(account) = account {
        message["account_id"] = json!(account);
    }
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&token),
            Some(json!({"messages": [message]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["results"][0]["id"].as_i64().unwrap()
}

fn event_kinds(view: &Value) -> Vec<String> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_reply_is_a_checked_post_that_threads_and_answers_the_message() {
    let app = TestApp::spawn_federated().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let id = deliver(
        &app,
        "fediverse",
        REMOTE_NOTE,
        "Is the harbour path open again?",
        Some(beat),
    )
    .await;

    let replied = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/reply"),
            Some(&token),
            Some(json!({"text": "Yes, it reopened this morning. Thank you for asking."})),
        )
        .await;
    assert_eq!(replied.status, 201, "{}", replied.body);
    let post = &replied.json()["post"];
    assert_eq!(post["status"], "published");
    assert_eq!(post["kind"], "reply");
    assert_eq!(
        post["channels"],
        json!(["fediverse"]),
        "a reply goes where the message came from"
    );
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(view["message"]["status"], "answered");
    assert!(event_kinds(&view).contains(&"replied".to_string()));

    // On the fediverse the reply threads under the sender's note.
    let note: Value = reqwest::Client::new()
        .get(format!("{}/users/pcmorgan/posts/{}", app.base, post["id"]))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(note["inReplyTo"], REMOTE_NOTE, "{note}");

    // A reply the check refuses is kept, not sent, and the message stays open.
    let other = deliver(
        &app,
        "x",
        "x-77",
        "Who was arrested on the prom?",
        Some(beat),
    )
    .await;
    let refused = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{other}/reply"),
            Some(&token),
            Some(json!({"text": "Jake Smith, 15, from Harbourside was arrested for shoplifting."})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("Remove the name"));
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{other}"), Some(&token), None)
        .await
        .json();
    assert_eq!(view["message"]["status"], "new");
    assert!(event_kinds(&view).contains(&"reply-refused".to_string()));
    // The page keeps the refused text with the reason.
    let page = sergeant
        .get(&format!("/staff/inbox/{other}?done=reply-refused"))
        .await;
    assert!(
        page.body.contains("Jake Smith, 15") && page.body.contains("Not sent"),
        "{}",
        page.body
    );

    // A reply on a network Bluelamp does not post to itself tells the connector what to send.
    let sent = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{other}/reply"),
            Some(&token),
            Some(
                json!({"text": "We cannot say more while the case is open; thank you for asking."}),
            ),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let delivery = &sent.json()["delivery"];
    assert_eq!(delivery["channel"], "x");
    assert_eq!(delivery["external_id"], "x-77");

    // Private channels are not answered with a public post.
    let email = deliver(
        &app,
        "email",
        "mail-1",
        "My neighbour's van has been broken into.",
        Some(beat),
    )
    .await;
    let private = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{email}/reply"),
            Some(&token),
            Some(json!({"text": "Thanks"})),
        )
        .await;
    assert_eq!(private.status, 400, "{}", private.body);
    assert!(private.body.contains("private"));

    // Roles that do not handle messages are refused; unknown ids are 404.
    let (analyst, analyst_token) = {
        let c = app.logged_in("analyst.price").await;
        let t = c.new_api_token("read", &["read"]).await;
        (c, t)
    };
    let refused = analyst
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/reply"),
            Some(&analyst_token),
            Some(json!({"text": "Hi"})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let missing = sergeant
        .api(
            "POST",
            "/api/v1/inbox/999999/reply",
            Some(&token),
            Some(json!({"text": "Hi"})),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_held_reply_answers_the_message_once_approved() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let id = deliver(
        &app,
        "fediverse",
        REMOTE_NOTE,
        "Thank you for finding my bike!",
        Some(beat),
    )
    .await;
    // PC Morgan's posts need approval: the reply waits, the message is not yet answered.
    let held = officer
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/reply"),
            Some(&officer_token),
            Some(json!({"text": "Glad to help, enjoy the ride."})),
        )
        .await;
    assert_eq!(held.status, 201, "{}", held.body);
    let post = held.json()["post"].clone();
    assert_eq!(post["status"], "pending");
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(view["message"]["status"], "new");
    assert!(event_kinds(&view).contains(&"reply-held".to_string()));
    let approved = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", post["id"]),
            Some(&token),
            Some(json!({"version": post["version"]})),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{id}"), Some(&token), None)
        .await
        .json();
    assert_eq!(view["message"]["status"], "answered");
}

#[tokio::test]
async fn canned_replies_fill_in_the_message_and_refuse_unknown_variables() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let id = deliver(
        &app,
        "fediverse",
        REMOTE_NOTE,
        "How do I report a lost phone?",
        Some(beat),
    )
    .await;
    let saved = sergeant
        .api(
            "POST",
            "/api/v1/canned-replies",
            Some(&token),
            Some(json!({"title": "Lost property", "text": "Hello {name}, report lost property online; quote {reference}. {force}"})),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let canned = saved.json()["id"].as_i64().unwrap();
    let filled = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{id}/canned/{canned}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(filled.status, 200, "{}", filled.body);
    assert_eq!(
        filled.json()["text"],
        format!("Hello Jo Bloggs, report lost property online; quote M{id}. Demo Constabulary")
    );
    let bad = sergeant
        .api(
            "POST",
            "/api/v1/canned-replies",
            Some(&token),
            Some(json!({"title": "Typo", "text": "Hello {nmae}"})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // The page offers it and pre-fills the reply box.
    let page = sergeant
        .get(&format!("/staff/inbox/{id}?canned={canned}"))
        .await;
    assert!(
        page.body
            .contains("Hello Jo Bloggs, report lost property online"),
        "{}",
        page.body
    );
    let listed = sergeant
        .api("GET", "/api/v1/canned-replies", Some(&token), None)
        .await
        .json();
    // The demo force has one of its own.
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["title"] == "Lost property"));
}

#[tokio::test]
async fn a_reply_to_a_message_about_a_case_is_checked_in_the_cases_light() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let case = sergeant
        .api("POST", "/api/v1/cases", t, Some(json!({"reference": "NWP-0777", "title": "Assault near the station", "sexual_offence": true})))
        .await;
    assert_eq!(case.status, 201, "{}", case.body);
    let person = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0777/people",
            t,
            Some(json!({"name": "Megan Price", "role": "complainant", "age": 19})),
        )
        .await;
    assert!(person.status < 300, "{}", person.body);
    let draft = json!({"text": "Thank you Megan, we are following it up today."});
    let first = deliver(
        &app,
        "fediverse",
        "https://remote.example/notes/m1",
        "Any news for Megan?",
        Some(beat),
    )
    .await;
    let second = deliver(
        &app,
        "fediverse",
        "https://remote.example/notes/m2",
        "Any news for Megan?",
        Some(beat),
    )
    .await;

    // Linking needs a case of this force, and a role that manages cases.
    let unknown = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{first}/case"),
            t,
            Some(json!({"reference": "NWP-9999"})),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("read", &["read"]).await;
    let refused = analyst
        .api(
            "POST",
            &format!("/api/v1/inbox/{first}/case"),
            Some(&analyst_token),
            Some(json!({"reference": "NWP-0777"})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let linked = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{first}/case"),
            t,
            Some(json!({"reference": "nwp-0777"})),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.body);

    // The complainant's first name in a reply to the linked message is refused;
    // the same words to an unlinked message are not about the case.
    let reply = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{first}/reply"),
            t,
            Some(draft.clone()),
        )
        .await;
    assert_eq!(reply.json()["post"]["status"], "refused", "{}", reply.body);
    assert!(
        reply.body.contains("case-complainant-named"),
        "{}",
        reply.body
    );
    let other = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{second}/reply"),
            t,
            Some(draft),
        )
        .await;
    assert!(
        !other.body.contains("case-complainant-named"),
        "{}",
        other.body
    );
}
