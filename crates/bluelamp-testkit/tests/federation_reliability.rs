//! Delivery reliability: a remote host that never answers must not hold up the
//! rest of a fan-out; its delivery waits for a later retry.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bluelamp_domain::AccountId;
use bluelamp_testkit::fediverse::{Behaviour, FakeHost};
use bluelamp_testkit::TestApp;
use serde_json::json;
use sqlx::Row;

#[tokio::test]
async fn a_hung_host_does_not_hold_up_the_other_hosts_and_is_retried_later() {
    let app = TestApp::spawn_federated().await;
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let account = officer.account_id(&token, "pcmorgan").await;

    // Six answering hosts with three followers each (two sharing the host's
    // shared inbox, one with only its own inbox), and one hung host.
    let mut hosts = Vec::new();
    for _ in 0..6 {
        let host = FakeHost::start(Behaviour::Answer(Duration::from_millis(20))).await;
        for (name, shared) in [("ann", true), ("bob", true), ("cat", false)] {
            host.add_follower(&app.store, AccountId(account), name, shared)
                .await;
        }
        hosts.push(host);
    }
    let hung = FakeHost::start(Behaviour::Hang).await;
    for name in ["dan", "eve"] {
        hung.add_follower(&app.store, AccountId(account), name, false)
            .await;
    }

    let started = Instant::now();
    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": "Road closed on Quay Street until 6pm.", "kind": "update"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let post = created.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    let note_id = format!("{}/users/pcmorgan/posts/{}", app.base, post["id"]);

    // Every answering host gets the Create promptly: at its shared inbox and at
    // the own inbox of the follower without one. The hung host's two
    // deliveries (each up to the 10 s delivery timeout) hold nothing up.
    let deadline = started + Duration::from_secs(5);
    loop {
        let waiting: Vec<String> = hosts
            .iter()
            .filter(|h| {
                let got = h.activities_about("Create", &note_id);
                !(got.iter().any(|r| r.path == "/inbox")
                    && got.iter().any(|r| r.path == "/users/cat/inbox"))
            })
            .map(|h| h.host())
            .collect();
        if waiting.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after {:?} these hosts still lack the Create: {waiting:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_delivered = started.elapsed();
    for host in &hosts {
        assert_eq!(
            host.activities_about("Create", &note_id).len(),
            2,
            "one Create to the shared inbox, one to the lone inbox, at {}",
            host.host()
        );
    }
    assert!(
        *hung.connections.lock().unwrap() >= 1,
        "the hung host was contacted too (it only holds the connection)"
    );

    // The hung host's deliveries time out and go back to the queue for later,
    // still 'queued', one attempt spent, a retry time in the future.
    let hung_host = hung.host();
    let deadline = Instant::now() + Duration::from_secs(30);
    let rows = loop {
        let mut conn = app.store.read().await.unwrap();
        let rows = sqlx::query(
            "SELECT inbox, status, attempts, last_error, run_at FROM deliveries WHERE host = $1",
        )
        .bind(&hung_host)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let done = rows.len() == 2
            && rows.iter().all(|r| {
                r.try_get::<Option<String>, _>("last_error")
                    .unwrap()
                    .is_some()
            });
        if done {
            break rows;
        }
        assert!(
            Instant::now() < deadline,
            "the hung host's deliveries were never given up on for now ({} rows)",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let now = bluelamp_store::format_time(time::OffsetDateTime::now_utc());
    for row in &rows {
        let inbox: String = row.try_get("inbox").unwrap();
        let status: String = row.try_get("status").unwrap();
        let attempts: i64 = row.try_get("attempts").unwrap();
        let error: String = row
            .try_get::<Option<String>, _>("last_error")
            .unwrap()
            .unwrap();
        let run_at: String = row.try_get("run_at").unwrap();
        assert_eq!(
            status, "queued",
            "{inbox}: retried later, not dropped ({error})"
        );
        assert_eq!(attempts, 1, "{inbox}");
        assert!(
            run_at > now,
            "{inbox}: the retry is scheduled later ({run_at} <= {now})"
        );
    }
    assert!(hung.received.lock().unwrap().is_empty());
    eprintln!(
        "all 6 answering hosts had the Create after {all_delivered:?}; the hung host's 2 deliveries are queued for retry"
    );
}
