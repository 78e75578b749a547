//! Browser tests: headless Chromium, driven over WebDriver by fantoccini, through
//! the real login page with the server's default (Secure) cookies.
//!
//! Needs Debian's `chromium` and `chromium-driver`. `.ci/run` installs them and
//! sets BLUELAMP_REQUIRE_BROWSER=1, so a missing browser fails CI; elsewhere the
//! test says loudly that it did not run.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::smtp::{drain, SmtpSink};
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::{Client, Locator};

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn an_officer_logs_in_acknowledges_the_policy_posts_and_is_refused_user_management() {
    let driver = start_driver().await;
    // The default configuration: Secure, HttpOnly, SameSite cookies.
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();
    let client = browser(&driver).await;

    // A wrong password first: one generic message, and the page stays usable.
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("pc.morgan")
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("wrong password")
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Wrong username or password").await;

    log_in(&client, &base, "pc.morgan").await;
    wait_for_text(&client, "You must read and acknowledge version 1").await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/staff"));

    // Posting before acknowledging is refused with the reason.
    client
        .goto(&format!("{base}/staff/accounts"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("@pcmorgan"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys("Coffee with residents at the harbour kiosk, 10am.")
        .await
        .unwrap();
    client
        .find(Locator::Id("post"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "acknowledge the force's social-media policy").await;

    // Read and acknowledge the policy.
    client.goto(&format!("{base}/staff/policy")).await.unwrap();
    client
        .find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("acknowledge"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "You acknowledged this version").await;

    // Now the post is accepted; PC Morgan posts with approval, so it waits for a supervisor.
    client
        .goto(&format!("{base}/staff/accounts"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("@pcmorgan"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys("Coffee with residents at the harbour kiosk, 10am.")
        .await
        .unwrap();
    client
        .find(Locator::Id("post"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // PC Morgan posts with approval: accepted, waiting for a supervisor, not yet public.
    wait_for_text(&client, "waiting for approval").await;
    client
        .goto(&format!("{base}/forces/demo/accounts/pcmorgan"))
        .await
        .unwrap();
    let public = wait_for_text(&client, "Posts").await;
    assert!(
        !public.contains("Coffee with residents"),
        "not public before approval"
    );

    // An officer may not manage users: a clear refusal, not a blank page.
    client.goto(&format!("{base}/staff/users")).await.unwrap();
    wait_for_text(&client, "Your role (officer) may not manage staff users").await;

    // Log out; the staff pages send us back to the login page.
    client.goto(&format!("{base}/staff")).await.unwrap();
    client
        .find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Staff log in").await;
    client.goto(&format!("{base}/staff")).await.unwrap();
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/login"));

    // A partner sees their referrals page and is refused the force's accounts.
    log_in(&client, &base, "partner.council").await;
    wait_for_text(&client, "Referrals to you").await;
    client
        .goto(&format!("{base}/staff/accounts"))
        .await
        .unwrap();
    wait_for_text(&client, "Your role (partner) may not").await;

    client.close().await.unwrap();
}

/// Tick the policy box for whoever is logged in.
async fn log_out(client: &Client, base: &str) {
    client.goto(&format!("{base}/staff")).await.unwrap();
    client
        .find(Locator::Css("header form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(client, "Staff log in").await;
}

#[tokio::test]
#[cfg_attr(
    not(all(bluelamp_has_browser, bluelamp_has_smtp)),
    ignore = "needs Chromium, chromedriver and aiosmtpd: apt-get install chromium chromium-driver; python3 -m pip install aiosmtpd (.ci/run installs them)"
)]
async fn a_risky_post_with_a_photo_is_held_approved_and_published_without_its_gps() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();
    let client = browser(&driver).await;
    let photo_path = app.db.data_dir.as_ref().unwrap().join("IMG_0042.jpg");
    // A member of the public subscribes to PC Morgan's posts by e-mail and confirms.
    let sink = SmtpSink::start().await;
    let mail = sink.config(&app);
    let public = app.client();
    let subscribed = public
        .submit(
            "/forces/demo/subscribe?account=pcmorgan",
            "/forces/demo/subscribe",
            &[
                ("email", "resident@example.org"),
                ("account", "pcmorgan"),
                ("mode", "immediate"),
            ],
        )
        .await;
    assert!(
        subscribed.body.contains("Check your inbox"),
        "{}",
        subscribed.body
    );
    drain(&app, &mail).await;
    let confirmation = sink.received_by("resident@example.org");
    let text = confirmation.last().expect("a confirmation mail")["text"]
        .as_str()
        .unwrap()
        .to_string();
    let start = text
        .find("/subscriptions/confirm/")
        .expect("a confirmation link");
    let link = text[start..].split_whitespace().next().unwrap().to_string();
    assert!(public.get(&link).await.body.contains("is confirmed"));
    std::fs::write(&photo_path, bluelamp_testkit::fixtures::photo_with_gps()).unwrap();

    // The officer composes: a photo and a risky phrase; the finding shows as they type.
    log_in(&client, &base, "pc.morgan").await;
    acknowledge_policy(&client, &base).await;
    client
        .goto(&format!("{base}/staff/accounts"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("@pcmorgan"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let risky = "John Smith, 34, of Harbourside has been arrested on suspicion of burglary.";
    client
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys(risky)
        .await
        .unwrap();
    client
        .find(Locator::Css("#case_status option[value=arrested]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys(" ")
        .await
        .unwrap();
    let live = wait_for_text(&client, "contempt").await;
    assert!(live.contains("Decision: hold"), "{live}");
    assert!(
        client
            .find(Locator::Css("#live-preview mark"))
            .await
            .is_ok(),
        "the words at fault are marked"
    );
    client
        .find(Locator::Id("media"))
        .await
        .unwrap()
        .send_keys(photo_path.to_str().unwrap())
        .await
        .unwrap();
    client
        .find(Locator::Id("alt"))
        .await
        .unwrap()
        .send_keys("The front of Harbourside police station")
        .await
        .unwrap();
    client
        .find(Locator::Id("post"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "waiting for approval").await;
    let post_url = client.current_url().await.unwrap();
    let post_path = post_url.path().to_string();
    log_out(&client, &base).await;

    // The supervisor edits the name out and approves.
    log_in(&client, &base, "sgt.evans").await;
    acknowledge_policy(&client, &base).await;
    client.goto(&format!("{base}/staff/posts")).await.unwrap();
    wait_for_text(&client, "Waiting for approval (1)").await;
    client.goto(&format!("{base}{post_path}")).await.unwrap();
    let approve_text = client.find(Locator::Id("approve-text")).await.unwrap();
    approve_text.clear().await.unwrap();
    let safe = "A 34-year-old man from Harbourside has been arrested on suspicion of burglary and remains in custody.";
    approve_text.send_keys(safe).await.unwrap();
    client
        .find(Locator::Id("approve"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Status: published").await;

    // It is public, with its photo, in all three feeds, and the photo has no GPS.
    client
        .goto(&format!("{base}/forces/demo/accounts/pcmorgan"))
        .await
        .unwrap();
    wait_for_text(&client, safe).await;
    let image = client.find(Locator::Css("article.post img")).await.unwrap();
    assert_eq!(
        image.attr("alt").await.unwrap().as_deref(),
        Some("The front of Harbourside police station")
    );
    let http = app.client();
    for ext in ["atom", "rss", "json"] {
        let feed = http
            .get(&format!("/forces/demo/accounts/pcmorgan/feed.{ext}"))
            .await;
        assert!(
            feed.body
                .contains("arrested on suspicion of burglary and remains in custody"),
            "{ext}"
        );
    }
    // The confirmed subscriber received it by e-mail, with a one-click unsubscribe.
    drain(&app, &mail).await;
    let received = sink.received_by("resident@example.org");
    let post_mail = received
        .iter()
        .find(|m| {
            m["text"]
                .as_str()
                .unwrap_or_default()
                .contains("remains in custody")
        })
        .expect("the post by e-mail");
    assert!(
        post_mail.to_string().contains("List-Unsubscribe"),
        "{post_mail}"
    );
    let src = image.attr("src").await.unwrap().unwrap();
    let media_path = src.trim_end_matches("/thumbnail");
    let served = http
        .http
        .get(format!("{base}{media_path}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        !bluelamp_testkit::fixtures::contains(&served, b"GPS")
            && !bluelamp_testkit::fixtures::contains(&served, b"Exif")
    );
    log_out(&client, &base).await;

    // On the collective account the chief officer's signature goes in front.
    log_in(&client, &base, "chief.admin").await;
    client
        .goto(&format!("{base}/staff/accounts"))
        .await
        .unwrap();
    client
        .find(Locator::LinkText("@chiefofficers"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys("Thank you to every officer who worked through the storm last night.")
        .await
        .unwrap();
    client
        .find(Locator::Id("post"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, "Status: published").await;
    client
        .goto(&format!("{base}/forces/demo/accounts/chiefofficers"))
        .await
        .unwrap();
    wait_for_text(
        &client,
        "ACC DA: Thank you to every officer who worked through the storm last night.",
    )
    .await;

    client.close().await.unwrap();
}
