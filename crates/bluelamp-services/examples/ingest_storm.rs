//! A riot-night storm through the inbox's ingestion path: messages delivered in
//! batches (as `POST /api/v1/inbound` takes them), each triaged, rumours clustered,
//! committed before the batch returns. Prints messages per second and the triage
//! latency distribution. SQLite by default; `BLUELAMP_TEST_BACKEND=postgres` (with
//! `BLUELAMP_TEST_POSTGRES_URL`) for PostgreSQL.
//!
//! PRODUCERS connectors deliver at once (default 2), as the HTTP endpoint takes
//! concurrent requests: one batch is triaged while another is written.
//!
//!     cargo run --release -p bluelamp-services --example ingest_storm [-- MESSAGES BATCH PRODUCERS]

use std::time::Instant;

use bluelamp_services::inbox::ingest::{ingest, Author, Inbound};
use bluelamp_store::testing::TestDatabase;
use bluelamp_store::Backend;

const TEXTS: [&str; 10] = [
    "is it true the town centre is on fire and there are riots tonight??",
    "heard there are riots in the town centre, shops on fire, is this true",
    "thank you to the officers out tonight, stay safe",
    "what roads are closed near the retail park?",
    "three hours and nobody came about my burglary, useless",
    "there is a group smashing windows on Mill Street right now",
    "my bike was stolen from the station car park yesterday",
    "Earn 500 a day from home!! click http://spam.example now",
    "someone said the mosque is going to be attacked tonight, is that true",
    "lol the state of this town",
];

/// As in the `bluelamp` binary: the server's allocator, so the figure is the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let producers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2).max(1);
    let backend = match std::env::var("BLUELAMP_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let db = TestDatabase::create(backend)
        .await
        .expect("a test database");
    let store = db.store().await.expect("a migrated store");
    bluelamp_services::demo::seed_if_empty(&store, "localhost")
        .await
        .expect("demo force");
    let force = {
        let mut conn = store.read().await.expect("read");
        bluelamp_store::forces::by_code(&mut conn, "demo")
            .await
            .expect("demo force")
            .id
    };
    let messages: Vec<Inbound> = (0..total)
        .map(|i| Inbound {
            channel: ["x", "facebook", "bluesky", "fediverse"][i % 4].into(),
            external_id: format!("storm-{i}"),
            author: Author {
                handle: format!("@person{}", i % 5_000),
                name: None,
                url: None,
            },
            text: format!("{} #{}", TEXTS[i % TEXTS.len()], i % 97),
            media: Vec::new(),
            reply_to: None,
            conversation: None,
            sent_at: None,
            account_id: None,
        })
        .collect();

    // Triage alone, per message (the p99 target is 0.2 ms).
    let triager = bluelamp_services::inbox::triager().expect("model");
    let mut latencies: Vec<u128> = messages
        .iter()
        .take(20_000)
        .map(|m| {
            let started = Instant::now();
            let t = triager.triage(&m.text, None);
            std::hint::black_box(t);
            started.elapsed().as_nanos()
        })
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)] as f64 / 1000.0
    };
    println!(
        "triage alone: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );

    let batches: Vec<Vec<Inbound>> = messages.chunks(batch).map(<[Inbound]>::to_vec).collect();
    let batches = std::sync::Arc::new(std::sync::Mutex::new(batches.into_iter()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..producers {
        let (store, batches) = (store.clone(), batches.clone());
        tasks.push(tokio::spawn(async move {
            let mut created = 0usize;
            loop {
                let next = batches.lock().expect("batches").next();
                let Some(chunk) = next else { break };
                let outcomes = ingest(&store, force, &chunk).await.expect("ingest");
                created += outcomes.iter().filter(|o| o.status == "created").count();
            }
            created
        }));
    }
    let mut created = 0usize;
    for task in tasks {
        created += task.await.expect("producer");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{backend:?}: {created} messages in {seconds:.2} s = {:.0} messages/s (batches of {batch}, {producers} producers, triage and rumour clustering on)",
        created as f64 / seconds
    );
    let mut conn = store.read().await.expect("read");
    let clusters = bluelamp_store::rumours::list(&mut conn, force)
        .await
        .expect("clusters");
    println!(
        "rumour clusters: {} (largest {})",
        clusters.len(),
        clusters.first().map_or(0, |c| c.size)
    );
}
