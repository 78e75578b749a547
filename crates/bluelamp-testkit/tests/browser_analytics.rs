//! Reach and campaigns in a real browser (the analytics issue's acceptance): two
//! forces with a month of follower history; the server administrator's national
//! view and a force's audience page show the growth the history was seeded with;
//! an officer opens their own style profile and is refused another officer's;
//! a campaign day's count moves on the open page as posts are published. axe-core
//! checks every page on the way.

#![allow(clippy::unwrap_used)]

use bluelamp_domain::{AccountId, ForceId};
use bluelamp_store::analytics::audience;
use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::Client;
use serde_json::json;

async fn open(client: &Client, base: &str, path: &str, needle: &str) -> String {
    client.goto(&format!("{base}{path}")).await.unwrap();
    wait_for_text(client, needle).await
}

/// October's followers of one account on one channel, `start` to `end`.
async fn october(app: &TestApp, force: ForceId, account: AccountId, start: i64, end: i64) {
    let mut tx = app.store.write().await.unwrap();
    for d in 1..=31i64 {
        let day = format!("2026-10-{d:02}");
        audience::record(
            &mut tx,
            account.0,
            force.0,
            "fediverse",
            &day,
            start + (end - start) * (d - 1) / 30,
        )
        .await
        .unwrap();
        audience::sum_force_day(&mut tx, force.0, &day)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

const OCTOBER: &str = "from=2026-10-01&to=2026-10-31";

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn national_reach_style_and_a_campaign_day() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    bluelamp_services::analytics::schedule_counting(&app.store)
        .await
        .unwrap();
    let base = app.base.clone();

    // A second force; October: North 1,000 → 1,370 (37%), Demo 9,000 → 9,630
    // (7%), so 10,000 → 11,000 across the server (10%).
    let (north, north_account) = app.add_force("north", "North Constabulary").await;
    october(&app, north, north_account, 1000, 1370).await;
    october(&app, ForceId(1), AccountId(1), 9000, 9630).await;

    // The server administrator's national view.
    let admin = browser(&driver).await;
    log_in(&admin, &base, "admin").await;
    let text = open(
        &admin,
        &base,
        &format!("/staff/analytics/national?{OCTOBER}"),
        "National view",
    )
    .await;
    assert!(text.contains("from 10000 — growth 10%"), "{text}");
    assert!(text.contains("North Constabulary 1000 1370 37%"), "{text}");
    assert_accessible(&admin, "the national view").await;

    // The demo force's own audience page.
    let chief = browser(&driver).await;
    log_in(&chief, &base, "chief.admin").await;
    let text = open(
        &chief,
        &base,
        &format!("/staff/analytics?{OCTOBER}"),
        "Audience",
    )
    .await;
    assert!(text.contains("from 9000 — growth 7%"), "{text}");
    assert!(!text.contains("North Constabulary"), "{text}");
    assert_accessible(&chief, "the audience page").await;
    open(
        &chief,
        &base,
        &format!("/staff/analytics/responses?{OCTOBER}"),
        "Response times",
    )
    .await;
    assert_accessible(&chief, "the response times").await;

    // An officer's own style profile, and not a colleague's.
    let officer = browser(&driver).await;
    log_in(&officer, &base, "pc.morgan").await;
    acknowledge_policy(&officer, &base).await;
    let text = open(&officer, &base, "/staff/analytics/style", "Style profile").await;
    assert!(
        text.contains("PC Rhian Morgan") && text.contains("When you post"),
        "{text}"
    );
    assert_accessible(&officer, "a style profile").await;
    let users = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::users::list(&mut conn, None).await.unwrap()
    };
    let sergeant_id = users
        .iter()
        .find(|u| u.username == "sgt.evans")
        .unwrap()
        .id
        .0;
    let text = open(
        &officer,
        &base,
        &format!("/staff/analytics/style/{sergeant_id}"),
        "private to the officer",
    )
    .await;
    assert!(!text.contains("When you post"), "{text}");

    // The demo's campaign day: its page counts posts as they are published.
    let text = open(&chief, &base, "/staff/campaigns", "Demo tweet-a-thon").await;
    assert!(text.contains("#DemoTweetathon"), "{text}");
    assert_accessible(&chief, "the campaign list and its form").await;
    open(
        &chief,
        &base,
        "/staff/analytics/accounts/3/amplifiers",
        "Who",
    )
    .await;
    assert_accessible(&chief, "an account's amplifiers").await;
    open(&chief, &base, "/staff/campaigns/1", "Posts so far: 2").await;
    assert_accessible(&chief, "a campaign's live count").await;
    let sergeant = app.logged_in("sgt.evans").await;
    let token = sergeant.new_api_token("posting", &["read", "write"]).await;
    let ack = sergeant
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    for text in [
        "Evening patrol starting now for the #DemoTweetathon.",
        "First call of the night: a lost child found safe. #demotweetathon",
    ] {
        let r = sergeant
            .api(
                "POST",
                &format!("/api/v1/accounts/{beat}/posts"),
                Some(&token),
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["post"]["status"], "published", "{}", r.body);
    }
    // No reload: the page's own script follows the count.
    let text = wait_for_text(&chief, "Posts so far: 4").await;
    assert!(text.contains("Demo Constabulary 4"), "{text}");
}
