//! The real `bluelamp` binary killed with SIGKILL in the middle of a batch of
//! cross-posts to a real local Bluesky network, and started again on the same
//! database and data folder: afterwards every post is on Bluesky exactly once
//! (the record key is fixed by the post, so a retry finds the first copy), and
//! the sealed credential still opens with the key kept in the data folder.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bluelamp_store::testing::TestDatabase;
use bluelamp_testkit::atproto::AtprotoNetwork;
use bluelamp_testkit::fediverse::client_for;
use bluelamp_testkit::server::start;
use bluelamp_testkit::{backend_for_this_run, demo_password};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_bluelamp");
const POSTS: usize = 12;

/// How many times each of our texts is on the account's Bluesky repository.
async fn on_bluesky(pds: &str, did: &str) -> BTreeMap<String, usize> {
    let url = format!("{pds}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100");
    let records: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    let mut seen = BTreeMap::new();
    for record in records["records"].as_array().unwrap() {
        *seen
            .entry(record["value"]["text"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    seen
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_atproto),
    ignore = "needs the local AT Protocol network: (cd interop/atproto && npm ci) (.ci/run does)"
)]
async fn sigkill_in_the_middle_of_a_batch_of_cross_posts_leaves_each_on_bluesky_once() {
    let network = AtprotoNetwork::start().await;
    let pds = network.pds.clone();
    let police = network
        .client(&[
            "create-account",
            &pds,
            "nwpolice.test",
            "comms@nw.example",
            "police-password-1",
        ])
        .await;
    let did = police["did"].as_str().unwrap().to_string();
    let app_password = network
        .client(&[
            "app-password",
            &pds,
            "nwpolice.test",
            "police-password-1",
            "bluelamp",
        ])
        .await;

    let db = TestDatabase::create(backend_for_this_run()).await.unwrap();
    let listen = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().to_string()
    };
    let base = format!("http://{listen}");
    let logs = db.data_dir.clone().unwrap();
    let first_log = logs.join("first-run.log");
    let server = start(BIN, &db, &listen, &listen, &first_log, &[]).await;

    let admin = client_for(&base);
    assert_eq!(
        admin
            .log_in("chief.admin", demo_password("chief.admin"))
            .await
            .status,
        303
    );
    let admin_token = admin
        .new_api_token("connect", &["read", "write", "admin"])
        .await;
    let account = admin.account_id(&admin_token, "pcmorgan").await;
    let connected = admin
        .api(
            "PUT",
            &format!("/api/v1/accounts/{account}/connections/bluesky"),
            Some(&admin_token),
            Some(json!({"service": pds, "identifier": "nwpolice.test", "secret": app_password["password"]})),
        )
        .await;
    assert_eq!(connected.status, 200, "{}", connected.body);

    let sergeant = client_for(&base);
    assert_eq!(
        sergeant
            .log_in("sgt.evans", demo_password("sgt.evans"))
            .await
            .status,
        303
    );
    let token = sergeant.new_api_token("crash", &["read", "write"]).await;
    let ack = sergeant
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let places = [
        "Rhyl",
        "Prestatyn",
        "Abergele",
        "Colwyn Bay",
        "Llandudno",
        "Conwy",
        "Bangor",
        "Holyhead",
        "Wrexham",
        "Mold",
        "Denbigh",
        "Ruthin",
    ];
    let texts: Vec<String> = places
        .iter()
        .enumerate()
        .map(|(n, place)| format!("{place}: our beat team is at the library from {} this Saturday, come and say hello.", n % 4 + 9))
        .collect();
    for text in &texts {
        let created = sergeant
            .api(
                "POST",
                &format!("/api/v1/accounts/{account}/posts"),
                Some(&token),
                Some(json!({"text": text, "channels": ["fediverse", "bluesky"]})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(
            created.json()["post"]["status"],
            "published",
            "{}",
            created.body
        );
    }

    // Kill once some, not all, are there.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let there = on_bluesky(&pds, &did).await.len();
        if there >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing reached Bluesky:\n{}",
            std::fs::read_to_string(&first_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(server);
    let at_kill = on_bluesky(&pds, &did).await.len();
    eprintln!("killed with {at_kill} of {POSTS} posts on Bluesky");

    let second_log = logs.join("second-run.log");
    let _server = start(BIN, &db, &listen, &listen, &second_log, &[]).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let seen = on_bluesky(&pds, &did).await;
        if texts.iter().all(|t| seen.contains_key(t)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restart only {} of {POSTS} posts are on Bluesky:\n{}",
            seen.len(),
            std::fs::read_to_string(&second_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let seen = on_bluesky(&pds, &did).await;
    for text in &texts {
        assert_eq!(
            seen.get(text),
            Some(&1),
            "{text:?} must be on Bluesky exactly once: {seen:?}"
        );
    }
    assert_eq!(seen.len(), POSTS, "nothing else was posted: {seen:?}");
}
