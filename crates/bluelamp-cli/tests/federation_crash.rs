//! The real `bluelamp` binary killed with SIGKILL in the middle of a fan-out and
//! started again on the same database: every follower still receives the post,
//! and no follower receives two activities with different ids for it (the same
//! id twice is at-least-once delivery, which receivers deduplicate).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bluelamp_domain::AccountId;
use bluelamp_store::testing::TestDatabase;
use bluelamp_testkit::fediverse::{client_for, Behaviour, FakeHost};
use bluelamp_testkit::server::start;
use bluelamp_testkit::{backend_for_this_run, demo_password};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_bluelamp");
const HOSTS: usize = 20;
const FOLLOWERS_PER_HOST: usize = 10;
/// How long each fake inbox takes to answer (after recording the POST).
const INBOX_DELAY: Duration = Duration::from_millis(150);

/// Distinct ids of the activities about `note_id` that reached each follower's
/// own inbox, keyed by inbox path, for one host.
fn ids_per_inbox(host: &FakeHost, note_id: &str) -> Vec<(String, BTreeSet<String>, usize)> {
    (0..FOLLOWERS_PER_HOST)
        .map(|n| {
            let path = format!("/users/f{n}/inbox");
            let about: Vec<Value> = host
                .received
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.path == path)
                .map(|r| r.json())
                .filter(|v| v["object"]["id"] == note_id || v["object"] == note_id)
                .collect();
            let ids = about
                .iter()
                .map(|v| format!("{} {}", v["type"], v["id"]))
                .collect();
            (path, ids, about.len())
        })
        .collect()
}

#[tokio::test]
async fn sigkill_in_the_middle_of_a_fan_out_loses_nothing_and_never_changes_the_id() {
    let db = TestDatabase::create(backend_for_this_run()).await.unwrap();
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let base = format!("http://{listen}");
    let logs = db.data_dir.clone().unwrap();
    let first_log = logs.join("first-run.log");
    let server = start(BIN, &db, &listen, &listen, &first_log, &[]).await;

    // A sergeant ready to post on the beat account, through the HTML login, a
    // token made on the settings page, and the policy acknowledged.
    let officer = client_for(&base);
    let login = officer
        .log_in("sgt.evans", demo_password("sgt.evans"))
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    let token = officer.new_api_token("crash", &["read", "write"]).await;
    let ack = officer
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let account = officer.account_id(&token, "pcmorgan").await;

    // 200 followers on 20 hosts, each follower with its own inbox (no shared
    // inbox): 200 deliveries, at most 4 at a time per host, 150 ms each.
    let store = db.store().await.unwrap();
    let mut hosts = Vec::new();
    for _ in 0..HOSTS {
        let host = FakeHost::start(Behaviour::Answer(INBOX_DELAY)).await;
        for n in 0..FOLLOWERS_PER_HOST {
            host.add_follower(&store, AccountId(account), &format!("f{n}"), false)
                .await;
        }
        hosts.push(host);
    }
    let total = HOSTS * FOLLOWERS_PER_HOST;

    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": "Missing person found safe, thank you for sharing.", "kind": "update"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let post = created.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    let note_id = format!("{base}/users/pcmorgan/posts/{}", post["id"]);

    // Kill half-way: the first round of deliveries (4 per host) has been
    // answered and recorded, the second is in flight, the rest not yet sent.
    let reached = |hosts: &[FakeHost]| -> usize {
        hosts
            .iter()
            .flat_map(|h| ids_per_inbox(h, &note_id))
            .filter(|(_, ids, _)| !ids.is_empty())
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reached(&hosts) < total / 2 {
        assert!(
            Instant::now() < deadline,
            "the fan-out never started:\n{}",
            std::fs::read_to_string(&first_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL on Unix
    server.child.wait().unwrap();
    drop(server);
    let at_kill = reached(&hosts);
    eprintln!("killed with {at_kill} of {total} inboxes reached");
    assert!(
        at_kill < total,
        "every inbox was reached before the kill, so this run tested nothing; slow the inboxes down"
    );

    // Start again on the same database and port. Rows claimed by the dead
    // process are released at start on SQLite (one process owns that store),
    // and claimed again when their lease ends on PostgreSQL.
    let restarted_at = Instant::now();
    let second_log = logs.join("second-run.log");
    let _server = start(BIN, &db, &listen, &listen, &second_log, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(240);
    while reached(&hosts) < total {
        assert!(
            Instant::now() < deadline,
            "after the restart only {} of {total} inboxes got the post:\n{}",
            reached(&hosts),
            std::fs::read_to_string(&second_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "all {total} inboxes reached {:?} after the restart",
        restarted_at.elapsed()
    );
    // Let any in-flight resend land before counting.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut resent = 0;
    for host in &hosts {
        for (path, ids, count) in ids_per_inbox(host, &note_id) {
            assert_eq!(
                ids.len(),
                1,
                "{}{path} must see exactly one activity id for the post, saw {ids:?}",
                host.base
            );
            let id = ids.iter().next().unwrap();
            assert!(id.starts_with("\"Create\""), "{}{path}: {id}", host.base);
            resent += count - 1;
        }
    }
    eprintln!("{resent} deliveries were sent twice with the same id (at least once)");
}
