//! What cross-posting adds to the publishing request: the same post published
//! on an account with no other network connected, then on one connected to
//! Bluesky, X and Facebook (the network calls are jobs; the request only writes
//! a row and a job per network). Prints the latency of each, over HTTP to the
//! real server on this run's backend. `cargo bench -p bluelamp-testkit --bench
//! crosspost_publish`.

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use bluelamp_domain::{AccountId, ForceId};
use bluelamp_testkit::TestApp;
use serde_json::json;

const ROUNDS: usize = 200;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn publish_many(
    app: &TestApp,
    client: &bluelamp_testkit::Client,
    token: &str,
    account: i64,
    channels: &[&str],
    label: &str,
) -> (f64, f64) {
    let mut ms = Vec::with_capacity(ROUNDS);
    for n in 0..ROUNDS {
        let body = json!({"text": format!("Neighbourhood update {label} {n}: the beat team is at the library from ten."), "channels": channels});
        let started = Instant::now();
        let page = client
            .api(
                "POST",
                &format!("/api/v1/accounts/{account}/posts"),
                Some(token),
                Some(body),
            )
            .await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.status, 201, "{}", page.body);
    }
    let _ = app;
    ms.sort_by(f64::total_cmp);
    (percentile(&ms, 0.5), percentile(&ms, 0.99))
}

#[tokio::main]
async fn main() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    // Warm up.
    publish_many(&app, &sergeant, &token, beat, &["fediverse"], "warm").await;
    let (plain50, plain99) =
        publish_many(&app, &sergeant, &token, beat, &["fediverse"], "plain").await;
    {
        // Connections as the connect use case leaves them, to a server that
        // refuses at once, so the jobs fail fast in the background.
        let mut tx = app.store.write().await.unwrap();
        for network in ["bluesky", "x", "facebook"] {
            bluelamp_store::connections::upsert(
                &mut tx,
                ForceId(1),
                AccountId(beat),
                network,
                "http://127.0.0.1:9",
                "bench",
                "did:plc:bench",
                "sealed",
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let (cross50, cross99) = publish_many(
        &app,
        &sergeant,
        &token,
        beat,
        &["fediverse", "bluesky", "x", "facebook"],
        "cross",
    )
    .await;
    println!(
        "publishing request, {ROUNDS} posts each, backend {:?}",
        app.store.backend()
    );
    println!("  fediverse only:                      p50 {plain50:.2} ms  p99 {plain99:.2} ms");
    println!("  + Bluesky, X and Facebook connected: p50 {cross50:.2} ms  p99 {cross99:.2} ms");
    println!(
        "  added by cross-posting:              p50 {:+.2} ms  p99 {:+.2} ms",
        cross50 - plain50,
        cross99 - plain99
    );
    pacing(&app, beat).await;
}

/// What pacing costs each write: taking a slot for an account whose day window
/// on Bluesky is nearly full (11,000 writes in the last 24 hours), the worst
/// case the documented limits allow.
async fn pacing(app: &TestApp, account: i64) {
    use bluelamp_domain::pacing;
    let limits = pacing::documented("bluesky");
    let connection = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::connections::all_for_account(&mut conn, AccountId(account))
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.network == "bluesky")
    };
    let Some(connection) = connection else {
        println!("pacing: no connection to measure on");
        return;
    };
    let now = bluelamp_store::clock::now_unix();
    {
        // Spread over the day but none in the last hour, so every slot is free.
        let mut tx = app.store.write().await.unwrap();
        for n in 0..11_000i64 {
            sqlx::query("INSERT INTO connector_writes (connection_id, at_unix) VALUES ($1, $2)")
                .bind(connection.id)
                .bind(now - 3_700 - n * 7)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let mut ms = Vec::with_capacity(ROUNDS);
    for n in 0..ROUNDS {
        let started = Instant::now();
        let mut tx = app.store.write().await.unwrap();
        let wait = bluelamp_store::connections::take_write_slot(
            &mut tx,
            connection.id,
            now + n as i64,
            limits,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(wait, None, "there is room in every window");
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "pacing one write, 11,000 writes in the day window: p50 {:.2} ms  p99 {:.2} ms",
        percentile(&ms, 0.5),
        percentile(&ms, 0.99)
    );
}
