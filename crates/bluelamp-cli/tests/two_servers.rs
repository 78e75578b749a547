//! A national deployment: two `bluelamp serve` processes behind a load balancer
//! on one PostgreSQL database. A post published through one is in the other's
//! feed at once (the cache is dropped by a PostgreSQL notification, not by its
//! expiry, which is set to a minute here); a scheduled post and its delivery to
//! a follower go out exactly once although both processes run the workers; and a
//! login lockout made on one holds on the other.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bluelamp_domain::AccountId;
use bluelamp_store::testing::TestDatabase;
use bluelamp_store::Backend;
use bluelamp_testkit::demo_password;
use bluelamp_testkit::fediverse::{client_for, Behaviour, FakeHost};
use bluelamp_testkit::server::{free_address, start};
use serde_json::json;

async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_postgres),
    ignore = "needs PostgreSQL: set BLUELAMP_TEST_POSTGRES_URL (.ci/run does)"
)]
async fn two_servers_on_one_postgresql_share_pages_jobs_deliveries_and_lockouts() {
    let db = TestDatabase::create(Backend::Postgres)
        .await
        .expect("PostgreSQL at BLUELAMP_TEST_POSTGRES_URL");
    let logs = db.data_dir.clone().unwrap();
    let (listen_a, listen_b) = (free_address(), free_address());
    // A minute: only a notification can explain a fresh page on the other server.
    let settings = [("BLUELAMP_PUBLIC_CACHE_MS", "60000")];
    let bin = env!("CARGO_BIN_EXE_bluelamp");
    // The first seeds the demo force; the second finds it there.
    let a = start(
        bin,
        &db,
        &listen_a,
        &listen_a,
        &logs.join("a.log"),
        &settings,
    )
    .await;
    let b = start(
        bin,
        &db,
        &listen_b,
        &listen_a,
        &logs.join("b.log"),
        &settings,
    )
    .await;
    let (base_a, base_b) = (a.base.clone(), b.base.clone());

    let sergeant = client_for(&base_a);
    let login = sergeant
        .log_in("sgt.evans", demo_password("sgt.evans"))
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let token = sergeant
        .new_api_token("two-servers", &["read", "write"])
        .await;
    let ack = sergeant
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let account = sergeant.account_id(&token, "pcmorgan").await;
    let store = db.store().await.unwrap();
    let follower_host = FakeHost::start(Behaviour::Answer(Duration::ZERO)).await;
    follower_host
        .add_follower(&store, AccountId(account), "reader", false)
        .await;

    // B has the feed cached (for a minute) before A publishes.
    let public_b = client_for(&base_b);
    let feed = "/forces/demo/accounts/pcmorgan/feed.atom";
    assert!(!public_b
        .get(feed)
        .await
        .body
        .contains("Coast road reopened"));
    let created = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": "Coast road reopened in both directions."})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    eventually("B's feed to show A's post", async || {
        public_b
            .get(feed)
            .await
            .body
            .contains("Coast road reopened")
    })
    .await;

    // A post scheduled through A goes out once, its delivery to the follower too,
    // although both servers run the job and delivery workers.
    let soon =
        bluelamp_store::format_time(time::OffsetDateTime::now_utc() + time::Duration::seconds(2));
    let scheduled = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": "The beach car park is open again.", "scheduled_at": format!("{}Z", &soon[..19])})),
        )
        .await;
    assert_eq!(scheduled.status, 201, "{}", scheduled.body);
    let id = scheduled.json()["post"]["id"].as_i64().unwrap();
    let note = format!("{base_a}/users/pcmorgan/posts/{id}");
    eventually("the scheduled post to reach the follower", async || {
        !follower_host.activities_about("Create", &note).is_empty()
    })
    .await;
    eventually("B's feed to show the scheduled post", async || {
        public_b
            .get(feed)
            .await
            .body
            .contains("beach car park is open")
    })
    .await;
    // Give a second process every chance to publish or deliver it again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(follower_host.activities_about("Create", &note).len(), 1);
    let mut conn = store.read().await.unwrap();
    let published: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'post.published' AND target_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        published, 1,
        "the scheduled post was published more than once"
    );
    drop(conn);

    // Five wrong passwords through A lock the account on B too.
    let attacker = client_for(&base_a);
    for _ in 0..5 {
        attacker.log_in("pc.morgan", "not-the-password").await;
    }
    let officer_b = client_for(&base_b);
    let refused = officer_b
        .log_in("pc.morgan", demo_password("pc.morgan"))
        .await;
    assert_ne!(
        refused.status, 303,
        "the lockout made on A must hold on B: {}",
        refused.body
    );
}
