//! Muting and blocking a sender: their messages are kept (nothing dropped) but
//! hidden on arrival for review, an urgent one never is; blocking also refuses
//! them on the fediverse; the roles that may not are refused.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::{Client, TestApp};
use serde_json::{json, Value};

async fn deliver(admin: &Client, token: &str, external_id: &str, text: &str) -> Value {
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(token),
            Some(json!({"messages": [{
                "channel": "fediverse",
                "external_id": external_id,
                "author": {"handle": "troll@bad.example", "url": "https://bad.example/users/troll"},
                "text": text,
            }]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["results"][0].clone()
}

#[tokio::test]
async fn a_muted_sender_is_kept_but_hidden_and_a_block_reaches_the_fediverse() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("connector", &["inbound"]).await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let first = deliver(
        &admin,
        &connector,
        "t-1",
        "Your officers are a joke and so is the new station.",
    )
    .await;
    let id = first["id"].as_i64().unwrap();

    // A reason is required; a supervisor mutes but may not block.
    let blank = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/mute"),
            Some(&token),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(blank.status, 400, "{}", blank.body);
    let block = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/mute"),
            Some(&token),
            Some(json!({"reason": "abuse", "block": true})),
        )
        .await;
    assert_eq!(block.status, 403, "{}", block.body);
    let muted = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/mute"),
            Some(&token),
            Some(json!({"reason": "repeated abuse of officers"})),
        )
        .await;
    assert_eq!(muted.status, 200, "{}", muted.body);
    assert_eq!(muted.json()["mode"], "mute");
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{id}"), Some(&token), None)
        .await
        .json();
    assert!(view["message"]["hidden_at"].is_string(), "{view}");

    // New messages are stored, hidden for review; a cry for help is never hidden.
    let next = deliver(
        &admin,
        &connector,
        "t-2",
        "Still waiting for an answer about the station opening hours.",
    )
    .await;
    assert_eq!(next["status"], "created");
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{}", next["id"]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(view["message"]["hidden_reason"], "sender muted", "{view}");
    let help = deliver(&admin, &connector, "t-3", "help").await;
    assert_eq!(help["urgent"], true);
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{}", help["id"]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert!(view["message"]["hidden_at"].is_null(), "{view}");

    // The comms team blocks: the actor is refused on the fediverse too.
    let comms = app.logged_in("comms.lewis").await;
    let comms_token = comms.new_api_token("comms", &["read", "write"]).await;
    let blocked = comms
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/mute"),
            Some(&comms_token),
            Some(json!({"reason": "threats", "block": true})),
        )
        .await;
    assert_eq!(blocked.status, 200, "{}", blocked.body);
    assert!(
        blocked
            .body
            .contains("https://bad.example/users/troll is blocked"),
        "{}",
        blocked.body
    );
    let page = comms.get("/staff/fediverse").await;
    assert!(
        page.body.contains("https://bad.example/users/troll"),
        "{}",
        page.body
    );

    // Unmuted: the next message is in plain sight again.
    let unmuted = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/unmute"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(unmuted.json()["was_muted"], true);
    let later = deliver(
        &admin,
        &connector,
        "t-4",
        "Thanks for sorting the streetlight out.",
    )
    .await;
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{}", later["id"]),
            Some(&token),
            None,
        )
        .await
        .json();
    assert!(view["message"]["hidden_at"].is_null(), "{view}");

    // An analyst handles no messages; another force's ids are 404.
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("read", &["read"]).await;
    let refused = analyst
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/mute"),
            Some(&analyst_token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let missing = sergeant
        .api(
            "POST",
            "/api/v1/inbox/999999/mute",
            Some(&token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_force_administrator_redacts_personal_data_for_good() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("connector", &["inbound"]).await;
    let admin_token = admin
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(json!({"messages": [{
                "channel": "x",
                "external_id": "x-redact-1",
                "author": {"handle": "@nosy"},
                "text": "The woman who reported him lives at 14 Mill Lane, everyone should know.",
            }]})),
        )
        .await;
    let id = r.json()["results"][0]["id"].as_i64().unwrap();
    let noted = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/notes"),
            Some(&token),
            Some(json!({"text": "Address 14 Mill Lane posted publicly; asked admin to redact."})),
        )
        .await;
    assert_eq!(noted.status, 200, "{}", noted.body);

    let body = json!({"words": "14 Mill Lane", "reason": "a complainant's address"});
    let refused = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/redact"),
            Some(&token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        refused.status, 403,
        "only a force administrator: {}",
        refused.body
    );
    let absent = admin
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/redact"),
            Some(&admin_token),
            Some(json!({"words": "22 Dock Road", "reason": "x"})),
        )
        .await;
    assert_eq!(absent.status, 400, "{}", absent.body);
    let done = admin
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/redact"),
            Some(&admin_token),
            Some(body),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    let view = admin
        .api(
            "GET",
            &format!("/api/v1/inbox/{id}"),
            Some(&admin_token),
            None,
        )
        .await;
    assert!(
        !view.body.contains("Mill Lane"),
        "the words are gone everywhere: {}",
        view.body
    );
    assert!(view.body.contains("lives at [redacted]"));
    let audit = admin
        .api("GET", "/api/v1/audit?limit=200", Some(&admin_token), None)
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        audit.body.contains("inbox.redacted") && !audit.body.contains("Mill Lane"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn a_flood_from_one_sender_is_kept_but_held_back_and_urgent_messages_never_are() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("connector", &["inbound"]).await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let message = |n: usize, text: &str| json!({"channel": "x", "external_id": format!("flood-{n}"), "author": {"handle": "@spammy"}, "text": text});
    let mut batch: Vec<Value> = (0..25)
        .map(|n| {
            message(
                n,
                &format!("What time does the front counter open on Saturday? ({n})"),
            )
        })
        .collect();
    batch.push(message(25, "help"));
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(json!({"messages": batch})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.json()["results"].as_array().unwrap().clone();
    assert!(
        results.iter().all(|o| o["status"] == "created"),
        "nothing is dropped"
    );
    let hidden_reason = |id: &Value| {
        let sergeant = &sergeant;
        let token = &token;
        let id = id.as_i64().unwrap();
        async move {
            sergeant
                .api("GET", &format!("/api/v1/inbox/{id}"), Some(token), None)
                .await
                .json()["message"]["hidden_reason"]
                .clone()
        }
    };
    assert_eq!(
        hidden_reason(&results[19]["id"]).await,
        Value::Null,
        "the first twenty are in plain sight"
    );
    assert_eq!(hidden_reason(&results[20]["id"]).await, "sender flood");
    assert_eq!(hidden_reason(&results[24]["id"]).await, "sender flood");
    assert_eq!(
        hidden_reason(&results[25]["id"]).await,
        Value::Null,
        "a cry for help is never held back"
    );
    // The next one, in another request, is held back too.
    let r = admin
        .api("POST", "/api/v1/inbound", Some(&connector), Some(json!({"messages": [message(26, "What time does the front counter open on Sunday?")]})))
        .await;
    assert_eq!(
        hidden_reason(&r.json()["results"][0]["id"]).await,
        "sender flood"
    );
    // Held-back messages wait together in the review queue.
    let review = sergeant
        .api(
            "GET",
            "/api/v1/inbox?hidden=true&limit=200",
            Some(&token),
            None,
        )
        .await
        .json();
    let flood = review
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["hidden_reason"] == "sender flood")
        .count();
    assert_eq!(flood, 6);
}
