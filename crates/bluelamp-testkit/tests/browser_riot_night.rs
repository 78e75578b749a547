//! Riot night, in a real browser (the inbox issue's acceptance story): 300
//! messages about the same rumour and one emergency arrive through
//! `POST /api/v1/inbound`; the emergency alert appears live on the officer's inbox
//! and the sender has the 999 reply; the officer opens the rumour, attaches one
//! answer and answers them all; an abusive message is hidden and then restored by
//! a reviewer with a reason; a safeguarding message becomes a referral that the
//! partner's user sees, and nothing else; the officer hands over and logs out.
//! axe-core checks every page on the way.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

fn message(external_id: &str, handle: &str, text: &str) -> Value {
    json!({
        "channel": "x",
        "external_id": external_id,
        "author": {"handle": handle, "name": handle.trim_start_matches('@')},
        "text": text,
    })
}

/// The page's text once it has loaded `path` and shows `needle`.
async fn open(client: &Client, base: &str, path: &str, needle: &str) -> String {
    client.goto(&format!("{base}{path}")).await.unwrap();
    wait_for_text(client, needle).await
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn riot_night() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("x connector", &["inbound"]).await;
    let deliver = |messages: Vec<Value>| {
        let admin = &admin;
        let connector = &connector;
        async move {
            let r = admin
                .api(
                    "POST",
                    "/api/v1/inbound",
                    Some(connector),
                    Some(json!({"messages": messages})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.json()["results"].clone()
        }
    };

    // The duty sergeant has the inbox open.
    let officer = browser(&driver).await;
    log_in(&officer, &base, "sgt.evans").await;
    acknowledge_policy(&officer, &base).await;
    open(&officer, &base, "/staff/inbox", "Duty").await;
    assert_accessible(&officer, "the inbox").await;

    // 300 messages about one claim, in the words of 300 people.
    let openers = [
        "is it true",
        "heard that",
        "people are saying",
        "my mate says",
        "apparently",
        "someone on facebook said",
        "just seen that",
        "omg",
        "can you confirm",
        "are you aware",
    ];
    let claim = "the shopping centre is on fire and the rioters are heading for the retail park";
    let mut storm = Vec::new();
    for n in 0..300 {
        let text = format!(
            "{} {}?? {}",
            openers[n % openers.len()],
            claim,
            ["", "please tell me", "is this true", "my son works there"][n % 4]
        );
        storm.push(message(&format!("r-{n}"), &format!("@resident{n}"), &text));
    }
    deliver(storm).await;
    let emergency = deliver(vec![message(
        "e-1",
        "@trapped",
        "help there are men with bats smashing my windows on Harbour Road and I'm inside with my kids",
    )])
    .await;
    assert!(
        emergency[0]["auto_reply"].as_str().unwrap().contains("999"),
        "the sender has the 999 advice at once: {emergency}"
    );
    // The alert appears live, without a reload.
    wait_for_text(&officer, "An urgent message has arrived.").await;
    assert_accessible(&officer, "the inbox with the live alert").await;

    // The answer is published, then attached to the rumour: every message answered.
    let (api, token) = app.ready_to_post("sgt.evans").await;
    let beat = api.account_id(&token, "pcmorgan").await;
    let answer = api
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "The shopping centre is not on fire. Officers are at the retail park and it is open as usual. Please share only what we confirm.", "channels": ["fediverse"]})),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let answer_id = answer.json()["post"]["id"].as_i64().unwrap();
    let rumours = open(&officer, &base, "/staff/rumours", "Rumours").await;
    assert!(rumours.contains("retail park"), "{rumours}");
    assert_accessible(&officer, "the rumours").await;
    click(&officer, "table tbody tr td a").await;
    let cluster = wait_for_text(&officer, "Answer them all").await;
    let size: usize = cluster
        .split(" messages")
        .next()
        .and_then(|s| s.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap();
    // Triage decides which messages spread or ask about a claim; one it reads as,
    // say, a question about a son at work stays in the inbox to be answered alone.
    assert!(size >= 200, "most of the storm is one rumour: {size}");
    fill(&officer, "post_id", &answer_id.to_string()).await;
    click(&officer, "form[action$='/answer'] button[type=submit]").await;
    let answered = wait_for_text(&officer, "replies published").await;
    assert!(
        answered.contains(&format!("Answered: {size} replies published")),
        "{answered}"
    );
    assert_accessible(&officer, "the answered rumour").await;

    // Abuse is hidden (never deleted); a reviewer restores it with a reason.
    let abuse = deliver(vec![message(
        "a-1",
        "@angry",
        "you useless pigs, the lot of you should be sacked, go and rot you scum",
    )])
    .await;
    let abuse_id = abuse[0]["id"].as_i64().unwrap();
    let page = open(
        &officer,
        &base,
        &format!("/staff/inbox/{abuse_id}"),
        "useless pigs",
    )
    .await;
    if !page.contains("Restore to public view") {
        fill(&officer, "hide-reason", "Abusive language").await;
        click(&officer, "form[action$='/hide'] button[type=submit]").await;
        wait_for_text(&officer, "Hidden from public view").await;
    }
    fill(
        &officer,
        "restore-reason",
        "Rude but a genuine complaint about the response; it stays visible",
    )
    .await;
    click(&officer, "form[action$='/restore'] button[type=submit]").await;
    wait_for_text(&officer, "Restored; your reason is recorded.").await;
    assert_accessible(&officer, "a restored message").await;

    // A safeguarding message becomes a referral.
    let worry = deliver(vec![message(
        "s-1",
        "@neighbour",
        "my neighbour is 89 and has dementia, she keeps going out at night in her nightie and her son takes her pension",
    )])
    .await;
    let worry_id = worry[0]["id"].as_i64().unwrap();
    open(
        &officer,
        &base,
        &format!("/staff/inbox/{worry_id}"),
        "Refer to a partner agency",
    )
    .await;
    fill(&officer, "shared", "An older woman with dementia on Harbour Road may be at risk of financial abuse by a relative; she goes out alone at night.").await;
    fill(&officer, "reasoning", "Adult safeguarding concern reported by a neighbour; the council's adult social care team should assess.").await;
    click(&officer, "form[action$='/refer'] button[type=submit]").await;
    wait_for_text(&officer, "financial abuse").await;
    assert_accessible(&officer, "the referral").await;

    // The partner's user sees the referral, and nothing else of the force.
    let partner = browser(&driver).await;
    log_in(&partner, &base, "partner.council").await;
    open(&partner, &base, "/staff/referrals", "Referrals").await;
    assert_accessible(&partner, "the partner's referrals").await;
    // The newest first: the one just made.
    click(&partner, "table tbody tr td a").await;
    let theirs = wait_for_text(&partner, "What is shared").await;
    assert!(theirs.contains("financial abuse"), "{theirs}");
    assert_accessible(&partner, "the partner's referral").await;
    for path in [
        "/staff/inbox".to_string(),
        format!("/staff/inbox/{worry_id}"),
        "/staff/rumours".to_string(),
    ] {
        partner.goto(&format!("{base}{path}")).await.unwrap();
        let text = body_text(&partner).await;
        assert!(
            !text.contains("dementia") && !text.contains("retail park"),
            "the partner reached {path}: {text}"
        );
    }

    // The officer hands over and logs out.
    open(&officer, &base, "/staff/inbox", "Going off duty").await;
    fill(&officer, "team", "Night shift").await;
    click(
        &officer,
        "form[action='/staff/inbox/hand-over'] button[type=submit]",
    )
    .await;
    wait_for_text(&officer, "you are off duty").await;
    click(&officer, "form[action='/logout'] button[type=submit]").await;
    wait_for_text(&officer, "Log in").await;
    officer
        .find(Locator::Css("input[name=username]"))
        .await
        .expect("back at the login page");
}
