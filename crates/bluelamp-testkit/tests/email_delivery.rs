//! E-mail delivery end to end, against a real SMTP server (aiosmtpd, in
//! `smtp_sink.py`): bounces counted until an address is suspended, transient
//! failures retried, and the daily digest of posts since the last one.
//!
//! Without aiosmtpd these tests fail when `BLUELAMP_REQUIRE_SMTP=1` (as in CI)
//! and otherwise say loudly that they did not run.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_mail::MailConfig;
use bluelamp_testkit::mail::{
    audit_count, confirm_latest, outbox, publish, sergeant, subscribe, subscriber,
};
use bluelamp_testkit::smtp::{drain, SmtpSink};
use bluelamp_testkit::TestApp;

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_smtp),
    ignore = "needs aiosmtpd, a real SMTP server: python3 -m pip install aiosmtpd (.ci/run installs it)"
)]
async fn a_bouncing_address_is_marked_retried_then_suspended_and_transient_failures_are_retried() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let mail = sink.config(&app);
    let public = app.client();
    subscribe(&public, "", "bouncer@example.org", "immediate").await;
    subscribe(&public, "pcmorgan", "busy@example.org", "immediate").await;
    assert_eq!(drain(&app, &mail).await, 2);
    confirm_latest(&app, &sink, "bouncer@example.org").await;
    confirm_latest(&app, &sink, "busy@example.org").await;
    let (sergeant, token, account) = sergeant(&app).await;

    // The mailbox now rejects us for good (550).
    sink.set_list("reject.txt", &["bouncer@example.org"]);
    let texts = [
        "Thank you to everyone who came to the community meeting at St Anne's hall last night.",
        "The front counter at Harbourside station is open until 8pm this week.",
        "Our neighbourhood team will be at the Saturday market from 9am: come and say hello.",
    ];
    for (round, text) in texts.iter().enumerate() {
        publish(&sergeant, &token, account, text).await;
        assert_eq!(drain(&app, &mail).await, 2, "round {round}");
        let bouncer = subscriber(&app, "bouncer@example.org").await.unwrap();
        assert_eq!(bouncer.bounce_count, round as i64 + 1);
        let expected = if round < 2 { "confirmed" } else { "suspended" };
        assert_eq!(bouncer.status, expected, "after {} bounces", round + 1);
    }
    let bounced: Vec<_> = outbox(&app)
        .await
        .into_iter()
        .filter(|m| m.status == "bounced")
        .collect();
    assert_eq!(bounced.len(), 3);
    assert!(
        bounced[0].last_error.as_deref().unwrap().contains("550"),
        "{:?}",
        bounced[0]
    );
    assert_eq!(audit_count(&app, "subscription.bounce").await, 3);
    assert_eq!(audit_count(&app, "subscription.suspend").await, 1);
    // Suspended: no more mail is even queued for the address.
    publish(
        &sergeant,
        &token,
        account,
        "Lost dog found on Mill Lane, now safe at the station.",
    )
    .await;
    assert_eq!(drain(&app, &mail).await, 1, "only the healthy subscriber");
    assert!(
        sink.received_by("bouncer@example.org").len() == 1,
        "only its confirmation arrived"
    );

    // A transient refusal (451): kept and retried, delivered once it clears.
    sink.set_list("tempfail.txt", &["busy@example.org"]);
    let busy_before = sink.received_by("busy@example.org").len();
    publish(
        &sergeant,
        &token,
        account,
        "Free crime prevention advice at the library on Thursday.",
    )
    .await;
    assert_eq!(drain(&app, &mail).await, 1);
    let waiting: Vec<_> = outbox(&app)
        .await
        .into_iter()
        .filter(|m| m.status == "queued")
        .collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 1);
    assert!(
        waiting[0].last_error.as_deref().unwrap().contains("451"),
        "{:?}",
        waiting[0]
    );
    assert_eq!(
        subscriber(&app, "busy@example.org")
            .await
            .unwrap()
            .bounce_count,
        0,
        "a 4xx is not a bounce"
    );

    // The relay is down altogether: connection refused, still kept.
    let mut down = mail.clone();
    down.smtp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(drain(&app, &down).await, 1);
    let waiting: Vec<_> = outbox(&app)
        .await
        .into_iter()
        .filter(|m| m.status == "queued")
        .collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 2);

    sink.set_list("tempfail.txt", &[]);
    assert_eq!(drain(&app, &mail).await, 1);
    assert_eq!(sink.received_by("busy@example.org").len(), busy_before + 1);
    assert!(
        outbox(&app).await.iter().all(|m| m.status != "queued"),
        "nothing accepted is lost or left"
    );

    // The backoff itself: 30 s, doubling, capped.
    let real = MailConfig::new("smtp://127.0.0.1:25", "a@example.org", "http://x", 7).unwrap();
    assert_eq!(
        (real.backoff_seconds(1), real.backoff_seconds(3)),
        (30, 120)
    );
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_smtp),
    ignore = "needs aiosmtpd, a real SMTP server: python3 -m pip install aiosmtpd (.ci/run installs it)"
)]
async fn digest_subscribers_get_one_daily_message_with_the_posts_since_the_last() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn().await;
    let mail = sink.config(&app);
    let public = app.client();
    subscribe(&public, "", "daily@example.org", "digest").await;
    assert_eq!(drain(&app, &mail).await, 1);
    confirm_latest(&app, &sink, "daily@example.org").await;
    let (sergeant, token, account) = sergeant(&app).await;
    let first = "Speed checks on the A38 this morning: 14 drivers stopped, thank you to the rest.";
    let second = "Our cadets raised £420 for the food bank at Sunday's car wash.";
    publish(&sergeant, &token, account, first).await;
    publish(&sergeant, &token, account, second).await;
    assert_eq!(
        drain(&app, &mail).await,
        0,
        "a digest subscriber gets no immediate mail"
    );

    // A digest covers posts up to a minute before it runs; pretend it runs a
    // little over a minute from now.
    let settle = bluelamp_services::subscriptions::DIGEST_SETTLE_SECONDS;
    let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(settle + 1);
    assert_eq!(
        bluelamp_mail::send_digests(&app.store, &mail, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(drain(&app, &mail).await, 1);
    let digest = sink.received_by("daily@example.org").pop().unwrap();
    let text = digest["text"].as_str().unwrap();
    assert!(text.contains(first) && text.contains(second), "{text}");
    assert!(text.find(first) < text.find(second), "oldest first: {text}");
    assert!(digest["headers"]["Subject"]
        .as_str()
        .unwrap()
        .contains("digest"));
    assert!(digest["headers"]["List-Unsubscribe"]
        .as_str()
        .unwrap()
        .contains("/subscriptions/unsubscribe/"));
    assert_eq!(
        digest["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );

    // Not due again the same day, and a later run starts after this digest.
    assert_eq!(
        bluelamp_mail::send_digests(&app.store, &mail, now)
            .await
            .unwrap(),
        0
    );
    // Past the end of that digest's window (a second ahead of the real clock).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    publish(
        &sergeant,
        &token,
        account,
        "Crime prevention stall at the leisure centre tomorrow.",
    )
    .await;
    let tomorrow = now + time::Duration::hours(24);
    assert_eq!(
        bluelamp_mail::send_digests(&app.store, &mail, tomorrow)
            .await
            .unwrap(),
        1
    );
    assert_eq!(drain(&app, &mail).await, 1);
    let next = sink.received_by("daily@example.org").pop().unwrap();
    let text = next["text"].as_str().unwrap();
    assert!(
        text.contains("leisure centre") && !text.contains(first),
        "{text}"
    );
}
