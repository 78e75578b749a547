//! A network that is down or busy, against the stand-in for Facebook's Graph API
//! on the server's movable clock (so an hour's outage takes seconds):
//! - an hour of 503s: the post waits with the reason and its next try on show,
//!   and goes out once, when the network is back;
//! - an outage longer than the retries: the channel shows it failed and why, and
//!   the author is told; nothing is posted twice or silently dropped;
//! - pacing: with a limit of two posts a minute, five posts go out no faster.
//!
//! The clock is the whole process's, so the tests take turns.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_domain::pacing::Limit;
use bluelamp_testkit::standins::{self, Shared, PAGE_ID, PAGE_TOKEN};
use bluelamp_testkit::{Client, TestApp};
use bluelamp_web::WebConfig;
use serde_json::{json, Value};

static CLOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn now() -> i64 {
    bluelamp_store::clock::now_unix()
}

fn unix(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

struct Setup {
    app: TestApp,
    seen: Shared,
    author: Client,
    token: String,
    beat: i64,
}

async fn setup(limits: &[(&str, &str)]) -> Setup {
    let (standin, seen) = standins::start().await;
    let mut crosspost_limits = std::collections::BTreeMap::new();
    for (network, limit) in limits {
        crosspost_limits
            .entry(network.to_string())
            .or_insert_with(Vec::new)
            .push(limit.parse::<Limit>().unwrap());
    }
    let app = TestApp::spawn_with(WebConfig {
        cookie_secure: false,
        crosspost_limits,
        ..WebConfig::default()
    })
    .await;
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("connect", &["read", "write", "admin"])
        .await;
    let beat = admin.account_id(&admin_token, "pcmorgan").await;
    let connected = admin
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/connections/facebook"),
            Some(&admin_token),
            Some(json!({"service": standin, "identifier": PAGE_ID, "secret": PAGE_TOKEN})),
        )
        .await;
    assert_eq!(connected.status, 200, "{}", connected.body);
    let (author, token) = app.ready_to_post("sgt.evans").await;
    Setup {
        app,
        seen,
        author,
        token,
        beat,
    }
}

async fn publish(s: &Setup, text: &str) -> i64 {
    let page = s
        .author
        .api(
            "POST",
            &format!("/api/v1/accounts/{}/posts", s.beat),
            Some(&s.token),
            Some(json!({"text": text, "channels": ["fediverse", "facebook"]})),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    page.json()["post"]["id"].as_i64().unwrap()
}

async fn facebook_channel(s: &Setup, post: i64) -> Value {
    let listed = s
        .author
        .api(
            "GET",
            &format!("/api/v1/posts/{post}/channels"),
            Some(&s.token),
            None,
        )
        .await
        .json();
    listed["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["network"] == "facebook")
        .cloned()
        .unwrap()
}

/// Waits (real time, up to thirty seconds: a loaded CI machine running the
/// PostgreSQL suite took longer than ten) until the channel has been tried and
/// waits for its next try, or has settled; returns what it shows.
async fn tried(s: &Setup, post: i64, turned_away_before: u32) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = facebook_channel(s, post).await;
        let waiting =
            last["next_try"].is_string() && s.seen.lock().unwrap().turned_away > turned_away_before;
        if waiting || last["status"] != "queued" {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the post was not tried: {last}");
}

/// The test is over: the outage's failed tries are on the jobs on purpose.
async fn forget_crosspost_jobs(app: &TestApp) {
    let mut tx = app.store.write().await.unwrap();
    sqlx::query("DELETE FROM jobs WHERE kind LIKE 'crosspost%'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_hour_of_503s_delays_a_post_and_it_goes_once_when_the_network_is_back() {
    let _turn = CLOCK.lock().await;
    let s = setup(&[]).await;
    let back_at = now() + 3600;
    s.seen.lock().unwrap().down_until = back_at;
    let post = publish(
        &s,
        "The A55 westbound is open again after this morning's collision.",
    )
    .await;

    let mut tries = 0;
    loop {
        let before = s.seen.lock().unwrap().turned_away;
        let shown = tried(&s, post, before).await;
        if shown["status"] == "sent" {
            break;
        }
        assert_eq!(
            shown["status"], "queued",
            "still waiting, not failed: {shown}"
        );
        let why = shown["last_error"].as_str().unwrap_or_default();
        assert!(
            why.contains("503") || why.contains("unavailable"),
            "{shown}"
        );
        tries += 1;
        assert!(tries < 14, "more tries than the job has: {shown}");
        // Jump to the next try.
        bluelamp_store::clock::pretend_it_is(unix(shown["next_try"].as_str().unwrap()) + 1);
    }
    assert!(now() >= back_at, "it went while the network was down");
    assert!(
        tries >= 5,
        "an hour of outage is several tries, not {tries}"
    );
    let on_facebook = s
        .seen
        .lock()
        .unwrap()
        .posts
        .keys()
        .filter(|(n, _)| n == "facebook")
        .count();
    assert_eq!(on_facebook, 1, "posted exactly once");
    forget_crosspost_jobs(&s.app).await;
    bluelamp_store::clock::pretend_it_is(time::OffsetDateTime::now_utc().unix_timestamp());
}

#[tokio::test]
async fn an_outage_longer_than_the_retries_shows_as_failed_and_tells_the_author() {
    let _turn = CLOCK.lock().await;
    let s = setup(&[]).await;
    s.seen.lock().unwrap().down_until = now() + 4 * 86_400;
    let post = publish(
        &s,
        "Officers are at Ysgol y Graig this afternoon for a talk on road safety.",
    )
    .await;

    let mut shown;
    let mut tries = 0;
    loop {
        let before = s.seen.lock().unwrap().turned_away;
        shown = tried(&s, post, before).await;
        if shown["status"] != "queued" {
            break;
        }
        tries += 1;
        assert!(tries < 24, "the job never gave up: {shown}");
        bluelamp_store::clock::pretend_it_is(unix(shown["next_try"].as_str().unwrap()) + 1);
    }
    assert_eq!(shown["status"], "failed", "{shown}");
    let why = shown["last_error"].as_str().unwrap();
    assert!(why.starts_with("gave up after 16 tries"), "{why}");
    assert_eq!(
        s.seen.lock().unwrap().posts.len(),
        0,
        "nothing was posted while the network was down"
    );
    let told = s
        .author
        .api("GET", "/api/v1/staff-notifications", Some(&s.token), None)
        .await;
    assert!(
        told.body.contains("facebook") && told.body.contains("gave up after 16 tries"),
        "the author is told: {}",
        told.body
    );
    forget_crosspost_jobs(&s.app).await;
    bluelamp_store::clock::pretend_it_is(time::OffsetDateTime::now_utc().unix_timestamp());
}

#[tokio::test]
async fn posts_are_paced_under_the_configured_limit() {
    let _turn = CLOCK.lock().await;
    let s = setup(&[("facebook", "2/60")]).await;
    let mut posts = Vec::new();
    for n in 1..=5 {
        posts.push(
            publish(
                &s,
                &format!("Update {n} from the scene on Stryd Fawr: traffic is moving slowly."),
            )
            .await,
        );
    }
    let mut saw_pacing_note = false;
    for _ in 0..60 {
        let mut all_sent = true;
        for post in &posts {
            let shown = facebook_channel(&s, *post).await;
            if shown["status"] != "sent" {
                all_sent = false;
            }
            if shown["last_error"]
                .as_str()
                .is_some_and(|w| w.contains("paced under facebook's rate limits"))
            {
                saw_pacing_note = true;
            }
        }
        if all_sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        bluelamp_store::clock::pretend_it_is(now() + 15);
    }
    let times: Vec<i64> = s
        .seen
        .lock()
        .unwrap()
        .posted_at
        .iter()
        .filter(|(n, _)| n == "facebook")
        .map(|(_, at)| *at)
        .collect();
    assert_eq!(times.len(), 5, "every post went, once: {times:?}");
    for start in &times {
        let in_a_minute = times
            .iter()
            .filter(|t| **t >= *start && **t < start + 60)
            .count();
        assert!(
            in_a_minute <= 2,
            "{in_a_minute} posts within a minute: {times:?}"
        );
    }
    assert!(saw_pacing_note, "a waiting post says why it waits");
    forget_crosspost_jobs(&s.app).await;
    bluelamp_store::clock::pretend_it_is(time::OffsetDateTime::now_utc().unix_timestamp());
}
