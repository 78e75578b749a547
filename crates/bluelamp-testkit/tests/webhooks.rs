//! The force's signed webhook: an emergency and an exported incident record reach
//! a real HTTP receiver with a signature it can check; a receiver that hangs fails
//! the job (retried later), never the server; only force administrators set it.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use bluelamp_testkit::TestApp;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sqlx::Row;

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on a free port: `/hook` records and answers 204; `/hang` never answers.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new()
        .route(
            "/hook",
            post(move |headers: HeaderMap, body: Bytes| {
                let record = record.clone();
                async move {
                    record
                        .lock()
                        .unwrap()
                        .push((headers, String::from_utf8_lossy(&body).to_string()));
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        )
        .route(
            "/hang",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, seen)
}

async fn wait_for(seen: &Seen, event: &str) -> (HeaderMap, String) {
    for _ in 0..100 {
        if let Some(found) = seen
            .lock()
            .unwrap()
            .iter()
            .find(|(h, _)| h.get("bluelamp-event").is_some_and(|v| v == event))
        {
            return found.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {event} webhook arrived");
}

fn check_signature(secret: &str, headers: &HeaderMap, body: &str) {
    let header = headers.get("bluelamp-signature").unwrap().to_str().unwrap();
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    assert_eq!(
        v1,
        hex::encode(mac.finalize().into_bytes()),
        "the signature verifies"
    );
    let age = time::OffsetDateTime::now_utc().unix_timestamp() - t.parse::<i64>().unwrap();
    assert!(
        (0..60).contains(&age),
        "the time is now, so a replay is visible"
    );
}

#[tokio::test]
async fn emergencies_and_incident_records_reach_a_signed_webhook_and_a_hanging_one_fails_safely() {
    let app = TestApp::spawn().await;
    let (base, seen) = receiver().await;
    let chief = app.logged_in("chief.admin").await;
    let token = chief
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let connector = chief.new_api_token("connector", &["inbound"]).await;

    // Refusals: a bad address, another force, a role that does not configure the force.
    let bad = chief
        .api(
            "PUT",
            "/api/v1/forces/demo/webhook",
            Some(&token),
            Some(json!({"url": "ftp://cad.example"})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let other = chief
        .api(
            "PUT",
            "/api/v1/forces/other/webhook",
            Some(&token),
            Some(json!({"url": format!("{base}/hook")})),
        )
        .await;
    assert_eq!(other.status, 404, "{}", other.body);
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let refused = sergeant
        .api(
            "PUT",
            "/api/v1/forces/demo/webhook",
            Some(&sergeant_token),
            Some(json!({"url": format!("{base}/hook")})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    let set = chief
        .api(
            "PUT",
            "/api/v1/forces/demo/webhook",
            Some(&token),
            Some(json!({"url": format!("{base}/hook")})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let secret = set.json()["secret"].as_str().unwrap().to_string();
    let shown = chief
        .api("GET", "/api/v1/forces/demo/webhook", Some(&token), None)
        .await;
    assert!(!shown.body.contains(&secret), "the secret is shown once");

    // An emergency arrives: command and control hears of it, signed.
    let delivered = chief
        .api("POST", "/api/v1/inbound", Some(&connector), Some(json!({"messages": [
            {"channel": "x", "external_id": "e-1", "author": {"handle": "@scared"}, "text": "help"}
        ]})))
        .await;
    assert_eq!(delivered.status, 200, "{}", delivered.body);
    let (headers, body) = wait_for(&seen, "inbox.emergency").await;
    check_signature(&secret, &headers, &body);
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["data"]["text"], "help");
    assert_eq!(event["data"]["channel"], "x");

    // An exported incident record goes the same way.
    let id = delivered.json()["results"][0]["id"].as_i64().unwrap();
    let exported = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/incident-record"),
            Some(&sergeant_token),
            None,
        )
        .await;
    assert_eq!(exported.status, 200);
    let (headers, body) = wait_for(&seen, "inbox.incident-record").await;
    check_signature(&secret, &headers, &body);
    assert!(body.contains("bluelamp-incident-record/1"));

    // A receiver that hangs: the job fails with the reason and waits to retry;
    // the server carries on.
    let hang = chief
        .api(
            "PUT",
            "/api/v1/forces/demo/webhook",
            Some(&token),
            Some(json!({"url": format!("{base}/hang")})),
        )
        .await;
    assert_eq!(hang.status, 200);
    chief
        .api("POST", "/api/v1/inbound", Some(&connector), Some(json!({"messages": [
            {"channel": "x", "external_id": "e-2", "author": {"handle": "@scared"}, "text": "help me"}
        ]})))
        .await;
    let mut failure = None;
    for _ in 0..150 {
        let mut conn = app.store.read().await.unwrap();
        let row = sqlx::query(
            "SELECT id, last_error FROM jobs WHERE kind = 'webhook' AND last_error IS NOT NULL",
        )
        .fetch_optional(&mut *conn)
        .await
        .unwrap();
        if let Some(row) = row {
            failure = Some((
                row.try_get::<i64, _>("id").unwrap(),
                row.try_get::<String, _>("last_error").unwrap(),
            ));
            break;
        }
        drop(conn);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (job, reason) = failure.expect("the hanging webhook's job failed");
    assert!(reason.contains("no answer within 5 s"), "{reason}");
    assert_eq!(
        chief.get("/healthz").await.status,
        200,
        "the server is unaffected"
    );
    // The test is over: the retry would hang again, so the job goes.
    let mut tx = app.store.write().await.unwrap();
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(job)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cleared = chief
        .api("DELETE", "/api/v1/forces/demo/webhook", Some(&token), None)
        .await;
    assert_eq!(cleared.json()["removed"], true);
}
