//! Urgent messages reach people, not just a list: an emergency tells everyone on
//! duty at once (the staff pages, and e-mail through a real SMTP server for those
//! who chose it, without the message's words); a safeguarding message is routed to
//! the safeguarding team and the people trained for it; with nobody on duty the
//! force's supervisors, comms team and administrators are told. Going on duty is
//! one's own; marking someone trained is an administrator's.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::smtp::{drain, SmtpSink};
use bluelamp_testkit::{Client, TestApp};
use serde_json::{json, Value};

fn message(external_id: &str, text: &str) -> Value {
    json!({
        "channel": "x",
        "external_id": external_id,
        "author": {"handle": "@resident", "name": "A Resident"},
        "text": text,
    })
}

async fn notifications(client: &Client, token: &str) -> Vec<Value> {
    client
        .api("GET", "/api/v1/staff-notifications", Some(token), None)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn kinds(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_smtp),
    ignore = "needs aiosmtpd, a real SMTP server: python3 -m pip install aiosmtpd (.ci/run installs it)"
)]
async fn an_emergency_reaches_those_on_duty_and_safeguarding_the_trained() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let mail = sink.config(&app);
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let connector = admin.new_api_token("x connector", &["inbound"]).await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let (comms, comms_token) = app.ready_to_post("comms.lewis").await;

    // The demo's duty sergeant goes off duty; the officer asks for e-mail and
    // goes on duty.
    let off = sergeant
        .api(
            "PUT",
            "/api/v1/me/duty",
            Some(&sergeant_token),
            Some(json!({"on_duty": false})),
        )
        .await;
    assert_eq!(off.json()["on_duty"], false, "{}", off.body);
    let saved = officer
        .submit(
            "/staff/settings",
            "/staff/settings/notifications",
            &[
                ("email", "rhian.morgan@demo.example.org"),
                ("by_email", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let on = officer
        .api(
            "PUT",
            "/api/v1/me/duty",
            Some(&officer_token),
            Some(json!({"on_duty": true})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.json()["on_duty"], true);

    // Only an administrator marks someone trained; an analyst has no duty to go on.
    let users = admin
        .api("GET", "/api/v1/users", Some(&admin_token), None)
        .await
        .json();
    let id_of = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let lewis = id_of("comms.lewis");
    let by_officer = officer
        .api(
            "PUT",
            &format!("/api/v1/users/{lewis}/safeguarding"),
            Some(&officer_token),
            Some(json!({"trained": true})),
        )
        .await;
    assert_eq!(by_officer.status, 403, "{}", by_officer.body);
    let trained = admin
        .api(
            "PUT",
            &format!("/api/v1/users/{lewis}/safeguarding"),
            Some(&admin_token),
            Some(json!({"trained": true})),
        )
        .await;
    assert_eq!(trained.status, 200, "{}", trained.body);
    assert_eq!(trained.json()["safeguarding_trained"], true);
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("read", &["read"]).await;
    let refused = analyst
        .api(
            "PUT",
            "/api/v1/me/duty",
            Some(&analyst_token),
            Some(json!({"on_duty": true})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // An emergency and a safeguarding message arrive, a few minutes after the
    // demo's own (each person is told at most once a minute of each kind).
    bluelamp_store::clock::pretend_it_is(bluelamp_store::clock::now_unix() + 120);
    let emergency = "Someone is breaking into my neighbour's house right now, I can hear screaming, please send someone";
    let safeguarding = "My friend's 15 year old sister keeps getting picked up from school by a much older man who buys her vodka and presents. Her mum doesn't know.";
    let delivered = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(json!({"messages": [message("e-1", emergency), message("s-1", safeguarding)]})),
        )
        .await;
    assert!(delivered.status < 300, "{}", delivered.body);
    let outcomes = delivered.json()["results"].clone();
    let emergency_id = outcomes[0]["id"].as_i64().unwrap();
    let safeguarding_id = outcomes[1]["id"].as_i64().unwrap();

    let told_officer = notifications(&officer, &officer_token).await;
    assert!(
        told_officer
            .iter()
            .any(|n| n["kind"] == "message-emergency" && n["message_id"] == emergency_id),
        "{told_officer:?}"
    );
    assert!(
        !kinds(&told_officer).contains(&"message-safeguarding".to_string()),
        "not trained: {told_officer:?}"
    );
    let officer_told = told_officer.len();
    let told_comms = notifications(&comms, &comms_token).await;
    assert!(
        told_comms
            .iter()
            .any(|n| n["kind"] == "message-safeguarding" && n["message_id"] == safeguarding_id),
        "trained, and nobody trained is on duty: {told_comms:?}"
    );
    assert!(
        !told_comms
            .iter()
            .any(|n| n["kind"] == "message-emergency" && n["message_id"] == emergency_id),
        "off duty: {told_comms:?}"
    );
    assert!(
        !notifications(&sergeant, &sergeant_token)
            .await
            .iter()
            .any(|n| n["message_id"] == emergency_id || n["message_id"] == safeguarding_id),
        "off duty and untrained: not told"
    );
    let page = comms.get("/staff/notifications").await;
    assert!(
        page.body
            .contains(&format!("/staff/inbox/{safeguarding_id}")),
        "the notification opens the message"
    );

    // Routed to the safeguarding team.
    let routed = comms
        .api(
            "GET",
            &format!("/api/v1/inbox/{safeguarding_id}"),
            Some(&comms_token),
            None,
        )
        .await;
    assert!(
        routed.body.contains("\"team\":\"Safeguarding\""),
        "{}",
        routed.body
    );

    // The e-mail says what and where, never the words (they may name a victim).
    assert!(drain(&app, &mail).await >= 1);
    let got = sink.received_by("rhian.morgan@demo.example.org");
    assert_eq!(got.len(), officer_told, "{got:?}");
    let text = got[0]["text"].as_str().unwrap();
    assert!(text.contains("Emergency"), "{text}");
    assert!(
        text.contains(&format!("/staff/inbox/{emergency_id}")),
        "{text}"
    );
    assert!(!text.contains("breaking into"), "{text}");

    // The officer hands over and is off duty: the next emergency, with nobody on
    // duty, goes to the supervisors, comms and administrators instead.
    let handed = officer
        .api(
            "POST",
            "/api/v1/inbox/hand-over",
            Some(&officer_token),
            Some(json!({"team": "Late shift"})),
        )
        .await;
    assert_eq!(handed.status, 200, "{}", handed.body);
    let after = officer.get("/staff/inbox").await;
    assert!(after.body.contains("off duty"), "the inbox says so");
    // Emergencies tell each person once a minute (a riot night brings hundreds):
    // the next one comes two minutes later, at the start of a minute (so the storm
    // below falls in the same minute).
    bluelamp_store::clock::pretend_it_is((bluelamp_store::clock::now_unix() / 60 + 2) * 60 + 1);
    let second = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(json!({"messages": [message("e-2", "help me please he has a knife")]})),
        )
        .await
        .json();
    let second_id = second["results"][0]["id"].as_i64().unwrap();
    let told_about_second = |list: Vec<Value>| {
        list.iter()
            .any(|n| n["kind"] == "message-emergency" && n["message_id"] == second_id)
    };
    assert_eq!(
        notifications(&officer, &officer_token).await.len(),
        officer_told,
        "off duty: not told again"
    );
    assert!(told_about_second(
        notifications(&sergeant, &sergeant_token).await
    ));
    assert!(told_about_second(notifications(&comms, &comms_token).await));

    // A storm: more emergencies in the same minute tell nobody again (the live
    // alert and the critical list carry them), so phones and mailboxes stay usable.
    let before = notifications(&sergeant, &sergeant_token).await.len();
    admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(json!({"messages": [
                message("e-3", "help there is a fight with knives outside the chip shop"),
                message("e-4", "please come now someone has been stabbed on the high street"),
            ]})),
        )
        .await;
    assert_eq!(
        notifications(&sergeant, &sergeant_token).await.len(),
        before,
        "told once a minute"
    );
    let critical = sergeant
        .api(
            "GET",
            "/api/v1/inbox?priority=critical",
            Some(&sergeant_token),
            None,
        )
        .await;
    assert!(critical.body.contains("chip shop"), "{}", critical.body);
}
