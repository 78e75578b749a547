//! Scheduled publishing survives crashes and never publishes twice, on every
//! backend under test.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_domain::{AccountId, PostStatus};
use bluelamp_services::posts::{self, Compose};
use bluelamp_services::{demo, jobs as job_runner, policy, users, Staff};
use bluelamp_store::testing::{backends_under_test, TestDatabase};
use bluelamp_store::{accounts, audit, forces, jobs, Store};

async fn sergeant(store: &Store) -> (Staff, AccountId) {
    demo::seed_if_empty(store, "localhost").await.unwrap();
    let mut conn = store.read().await.unwrap();
    let force = forces::by_code(&mut conn, "demo").await.unwrap();
    let beat = accounts::by_handle(&mut conn, force.id, "pcmorgan")
        .await
        .unwrap();
    drop(conn);
    let mut cli = Staff::command_line();
    cli.force_id = Some(force.id);
    let user = users::find_by_username(store, &cli, "sgt.evans")
        .await
        .unwrap();
    let staff = Staff {
        user_id: Some(user.id),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        force_id: Some(force.id),
        scopes: None,
        ip: None,
        token_id: None,
        app_account: None,
    };
    policy::acknowledge(store, &staff, 1).await.unwrap();
    (staff, beat.id)
}

fn in_a_second() -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(1);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

async fn published_entries(store: &Store, post: i64) -> usize {
    let mut conn = store.read().await.unwrap();
    let filter = audit::AuditFilter {
        action_prefix: Some("post.published".into()),
        ..Default::default()
    };
    audit::list(&mut conn, &filter, true)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.target_id == post.to_string())
        .count()
}

#[tokio::test]
async fn a_post_due_while_the_server_was_down_goes_out_once_when_it_returns() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let store = db.store().await.unwrap();
        let (staff, beat) = sergeant(&store).await;
        let engine = bluelamp_services::force_rules::ForceEngines::default();
        let input = Compose {
            text: "Bike marking at the library, Saturday 10am.".into(),
            scheduled_at: Some(in_a_second()),
            ..Compose::default()
        };
        let submitted = posts::compose(&store, &engine, &staff, beat, &input)
            .await
            .unwrap();
        assert_eq!(submitted.post.status, PostStatus::Scheduled);
        // The "server" is down while the post falls due.
        tokio::time::sleep(Duration::from_millis(1300)).await;
        // It comes back: two workers race (or one restarts mid-run); the post goes out once.
        let (a, b) = tokio::join!(job_runner::run_due(&store), job_runner::run_due(&store));
        assert_eq!(
            a.unwrap() + b.unwrap(),
            1,
            "exactly one worker claimed the job"
        );
        assert_eq!(job_runner::run_due(&store).await.unwrap(), 0);
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            bluelamp_store::posts::get(&mut conn, submitted.post.id)
                .await
                .unwrap()
                .status,
            PostStatus::Published
        );
        assert!(jobs::pending(&mut conn).await.unwrap().is_empty());
        drop(conn);
        assert_eq!(published_entries(&store, submitted.post.id).await, 1);
        store.close().await;
    }
}

#[tokio::test]
async fn a_job_whose_worker_died_mid_run_is_picked_up_again_after_its_lease() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let store = db.store().await.unwrap();
        let (staff, beat) = sergeant(&store).await;
        let engine = bluelamp_services::force_rules::ForceEngines::default();
        let input = Compose {
            text: "Coffee with a cop at the market, 11am.".into(),
            scheduled_at: Some(in_a_second()),
            ..Compose::default()
        };
        let submitted = posts::compose(&store, &engine, &staff, beat, &input)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1300)).await;
        // A worker claims the job and is killed before finishing: its lease holds the job.
        let mut tx = store.write().await.unwrap();
        let claimed = jobs::claim_due(&mut tx, store.backend(), 10, 60)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(
            job_runner::run_due(&store).await.unwrap(),
            0,
            "leased to the dead worker"
        );
        // Its lease runs out.
        let mut conn = store.read().await.unwrap();
        sqlx::query("UPDATE jobs SET locked_until = '2000-01-01T00:00:00.000Z'")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        assert_eq!(job_runner::run_due(&store).await.unwrap(), 1);
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            bluelamp_store::posts::get(&mut conn, submitted.post.id)
                .await
                .unwrap()
                .status,
            PostStatus::Published
        );
        drop(conn);
        assert_eq!(published_entries(&store, submitted.post.id).await, 1);
        store.close().await;
    }
}
