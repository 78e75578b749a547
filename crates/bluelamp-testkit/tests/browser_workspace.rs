//! The staff workspace in a real browser, on a phone-sized screen: an officer
//! writes a post the check refuses, writes it again in place without retyping and
//! sends it for approval; the supervisor sees the waiting count in the navigation,
//! opens the notification, sees what changed and approves with a rationale; the
//! officer is told it is published.
//! axe-core checks every page on the way.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::{Client, Locator};

/// Wait (up to ten seconds) for the compose button to start with `prefix`; its text.
async fn wait_for_button(client: &Client, prefix: &str) -> String {
    let mut said = String::new();
    for _ in 0..200 {
        said = client
            .find(Locator::Id("post"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if said.starts_with(prefix) {
            return said;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the compose button still says {said:?}");
}

/// A phone: 390 × 844 CSS pixels.
async fn phone(client: &Client) {
    client.set_window_size(390, 844).await.unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn a_refused_post_is_written_again_approved_and_its_author_told() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();

    let officer = browser(&driver).await;
    phone(&officer).await;
    log_in(&officer, &base, "pc.morgan").await;
    acknowledge_policy(&officer, &base).await;
    officer.goto(&format!("{base}/staff")).await.unwrap();
    // One step from home to the compose box (PC Morgan posts on one account).
    click(&officer, "a[href='/staff/compose']").await;
    wait_for_text(&officer, "Compose").await;
    assert!(officer
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/staff/accounts/"));
    let compose_url = officer.current_url().await.unwrap();
    let too_long = "Patrolling the harbour. ".repeat(30);
    fill(&officer, "text", &too_long).await;
    // The button says what will happen, and each network's counter shows the length.
    let said = wait_for_button(&officer, "Cannot publish").await;
    assert_eq!(said, "Cannot publish: 1 problem");
    let counters = officer
        .find(Locator::Id("counters"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        counters.contains("fediverse: 720 of 500 (too long)"),
        "{counters}"
    );
    // Leaving the page loses nothing: the text is back on return.
    officer.goto(&format!("{base}/staff")).await.unwrap();
    officer.goto(compose_url.as_str()).await.unwrap();
    wait_for_text(&officer, "Your unsent text was kept").await;
    let kept = officer
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(too_long.as_str()));
    click(&officer, "#post").await;
    wait_for_text(&officer, "Write it again").await;
    assert_accessible(&officer, "a refused post").await;
    // Submitted, the browser's copy is dropped: the compose box starts empty again.
    let post_url = officer.current_url().await.unwrap();
    officer.goto(compose_url.as_str()).await.unwrap();
    wait_for_text(&officer, "Compose").await;
    // Give the deferred script its chance to (wrongly) restore the text.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let empty = officer
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        empty.as_deref(),
        Some(""),
        "the sent draft is not offered again"
    );
    officer.goto(post_url.as_str()).await.unwrap();
    wait_for_text(&officer, "Write it again").await;
    let field = officer.find(Locator::Id("write-again-text")).await.unwrap();
    assert!(
        field
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
            .starts_with("Patrolling the harbour. Patrolling"),
        "the refused text is offered back, not lost"
    );
    field.clear().await.unwrap();
    field
        .send_keys("Patrolling the harbour this afternoon: come and say hello.")
        .await
        .unwrap();
    click(&officer, "#resubmit").await;
    wait_for_text(&officer, "waiting for approval").await;

    let sergeant = browser(&driver).await;
    phone(&sergeant).await;
    log_in(&sergeant, &base, "sgt.evans").await;
    acknowledge_policy(&sergeant, &base).await;
    sergeant.goto(&format!("{base}/staff")).await.unwrap();
    let count = sergeant
        .find(Locator::Css("a[href='/staff/notifications'] .count"))
        .await
        .expect("the waiting count is in the navigation");
    // The post waiting, and the demo's emergency message (the sergeant is on duty).
    assert_eq!(count.text().await.unwrap(), "2");
    assert_accessible(&sergeant, "the staff home with a count").await;
    click(&sergeant, "a[href='/staff/notifications']").await;
    wait_for_text(&sergeant, "asks you to approve a post on @pcmorgan").await;
    assert_accessible(&sergeant, "the notifications page").await;
    click(&sergeant, "ul.notifications a").await;
    wait_for_text(&sergeant, "Review").await;
    // What the officer changed when writing it again, word by word.
    wait_for_text(&sergeant, "Changed since version 1").await;
    let added = sergeant
        .execute(
            "return Array.from(document.querySelectorAll('.diff ins')).map(e => e.textContent).join('|');",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        added.as_str().unwrap().contains("added: this"),
        "the new words are marked as added: {added}"
    );
    assert_accessible(&sergeant, "the review page with a diff").await;
    fill(
        &sergeant,
        "approve-reason",
        "Checked with the beat team: fine to go out.",
    )
    .await;
    click(&sergeant, "#approve").await;
    wait_for_text(&sergeant, "The post is approved").await;
    // The rationale is on the record, beside who gave it.
    let record = wait_for_text(&sergeant, "Approvals given").await;
    assert!(
        record.contains("Checked with the beat team: fine to go out."),
        "{record}"
    );

    officer
        .goto(&format!("{base}/staff/notifications"))
        .await
        .unwrap();
    wait_for_text(&officer, "Your post on @pcmorgan is published").await;
    assert_accessible(&officer, "the author's notifications").await;
    click(&officer, "form[action='/staff/notifications/read'] button").await;
    wait_for_text(&officer, "Marked as read").await;
    assert!(officer
        .find(Locator::Css("a[href='/staff/notifications'] .count"))
        .await
        .is_err());
}
