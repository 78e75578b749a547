//! A scheduled post shows and runs in the force's local time across the clock
//! change (Europe/London goes from GMT to BST at 01:00 UTC on 28 March 2027),
//! with the server's clock moved by the test rather than waited for. The hour
//! that does not exist that night is refused beside the field, nothing lost.
//! This binary holds this one test: the clock it moves is the whole process's.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::Locator;
use serde_json::json;

fn at(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

async fn status(client: &fantoccini::Client) -> String {
    client
        .find(Locator::Id("post-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn a_post_scheduled_for_the_morning_after_the_clocks_go_forward_goes_out_at_nine_bst() {
    // Saturday night, still GMT.
    bluelamp_store::clock::pretend_it_is(at("2027-03-27T23:30:00Z"));
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();
    let (api, token) = app.ready_to_post("sgt.evans").await;
    let beat = api.account_id(&token, "pcmorgan").await;

    let sergeant = browser(&driver).await;
    log_in(&sergeant, &base, "sgt.evans").await;
    let compose = format!("{base}/staff/accounts/{beat}");
    sergeant.goto(&compose).await.unwrap();
    let hint = body_text(&sergeant).await;
    assert!(
        hint.contains("Europe/London"),
        "the zone is shown beside the time: {hint}"
    );
    let fill = "const f = document.querySelector('form#compose'); f.elements.text.value = arguments[0]; f.elements.scheduled_at.value = arguments[1]; f.requestSubmit(f.querySelector('button[type=submit]'));";
    // 01:30 that night does not exist in London: refused beside the field, text kept.
    let text = "Road safety checks on the A55 at Abergele this Sunday morning: slow down.";
    sergeant
        .execute(fill, vec![json!(text), json!("2027-03-28T01:30")])
        .await
        .unwrap();
    let error = wait_for_text(&sergeant, "does not exist").await;
    assert!(error.contains("does not exist"), "{error}");
    let kept = sergeant
        .execute(
            "return document.querySelector('form#compose').elements.text.value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, json!(text));
    assert_accessible(&sergeant, "compose with a time that does not exist").await;

    // Nine in the morning, local time: 08:00 UTC, as BST has begun by then.
    sergeant
        .execute(fill, vec![json!(text), json!("2027-03-28T09:00")])
        .await
        .unwrap();
    wait_for_text(&sergeant, "Goes out at").await;
    let page = body_text(&sergeant).await;
    assert!(
        page.contains("Goes out at 28 Mar 2027, 09:00 BST"),
        "{page}"
    );
    assert!(
        page.contains("27 Mar 2027, 23:30 GMT"),
        "written before the change, shown in GMT: {page}"
    );
    let post_page = sergeant.current_url().await.unwrap();
    assert_accessible(&sergeant, "a post scheduled across the clock change").await;

    // 08:59 BST (07:59 UTC): not yet.
    bluelamp_store::clock::pretend_it_is(at("2027-03-28T07:59:00Z"));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sergeant.goto(post_page.as_str()).await.unwrap();
    assert!(
        status(&sergeant).await.contains("scheduled"),
        "{}",
        status(&sergeant).await
    );

    // 09:00:30 BST: it goes out, and says so in local time.
    bluelamp_store::clock::pretend_it_is(at("2027-03-28T08:00:30Z"));
    let mut published = false;
    for _ in 0..40 {
        sergeant.goto(post_page.as_str()).await.unwrap();
        if status(&sergeant).await.to_lowercase().contains("published") {
            published = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        published,
        "the post did not go out at its time: {}",
        status(&sergeant).await
    );
    let page = body_text(&sergeant).await;
    assert!(
        page.contains("Published\n28 Mar 2027, 09:00 BST")
            || page.contains("28 Mar 2027, 09:00 BST"),
        "{page}"
    );
}
