//! The recurring audit checkpoint job, on every backend under test: one job
//! however often it is scheduled, a signed line per run, and the next run put
//! off by the interval rather than a loop of its own.

#![allow(clippy::unwrap_used)]

use bluelamp_services::audit::checkpoints::{
    self, CheckpointSettings, CheckpointVerdict, CHECKPOINT_JOB,
};
use bluelamp_services::federation::NoResolver;
use bluelamp_services::{demo, jobs as job_runner};
use bluelamp_store::jobs;
use bluelamp_store::testing::{backends_under_test, TestDatabase};

#[tokio::test]
async fn the_checkpoint_job_writes_a_signed_line_and_comes_back_after_the_interval() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let store = db.store().await.unwrap();
        demo::seed_if_empty(&store, "localhost").await.unwrap();
        let data = db.data_dir.clone().unwrap();
        let settings = CheckpointSettings {
            key_file: data.join("keys/audit.key"),
            dir: data.join("anchors"),
            every_seconds: 3600,
        };
        // Every server start schedules it; there is still only one.
        checkpoints::schedule(&store).await.unwrap();
        checkpoints::schedule(&store).await.unwrap();
        let pending = |kind: &'static str| {
            let store = store.clone();
            async move {
                let mut conn = store.read().await.unwrap();
                let all = jobs::pending(&mut conn).await.unwrap();
                all.into_iter()
                    .filter(|j| j.kind == kind)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(pending(CHECKPOINT_JOB).await.len(), 1);

        // A runner without the settings leaves it for one that has them.
        job_runner::run_due_in(
            &store,
            &NoResolver,
            None,
            &bluelamp_services::webhooks::NoSender,
        )
        .await
        .unwrap();
        assert!(!settings.file().exists());
        let mut conn = store.write().await.unwrap();
        let job = pending(CHECKPOINT_JOB).await.remove(0);
        jobs::postpone(&mut conn, job.id, &bluelamp_store::now_text())
            .await
            .unwrap();
        conn.commit().await.unwrap();

        let ran = job_runner::run_due_in(
            &store,
            &NoResolver,
            Some(&settings),
            &bluelamp_services::webhooks::NoSender,
        )
        .await
        .unwrap();
        assert!(ran >= 1);
        let lines = checkpoints::read_checkpoints(&settings.file()).unwrap();
        assert_eq!(lines.len(), 1);
        assert!(!lines[0].1.heads.is_empty(), "the demo seed's chains");
        let job = pending(CHECKPOINT_JOB).await.remove(0);
        assert!(job.run_at > bluelamp_store::now_text(), "put off, not done");
        assert!(job.attempts <= 1, "a success does not use up attempts");
        // Not due again until the interval has passed.
        job_runner::run_due_in(
            &store,
            &NoResolver,
            Some(&settings),
            &bluelamp_services::webhooks::NoSender,
        )
        .await
        .unwrap();
        assert_eq!(
            checkpoints::read_checkpoints(&settings.file())
                .unwrap()
                .len(),
            1
        );

        let key = checkpoints::parse_public_key(
            &checkpoints::public_key_hex(&settings.key_file).unwrap(),
        )
        .unwrap();
        let verdict = checkpoints::verify_with_checkpoints(&store, &lines, &key)
            .await
            .unwrap();
        assert!(
            matches!(verdict, CheckpointVerdict::Consistent(_)),
            "{verdict:?}"
        );

        // Someone deletes a chain and its head: the next run refuses to sign
        // over it, and the job records why.
        let chain = lines[0].1.heads[0].chain.clone();
        let mut conn = store.read().await.unwrap();
        for table in ["audit_log", "audit_heads"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE chain = $1"))
                .bind(&chain)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        drop(conn);
        let mut conn = store.write().await.unwrap();
        let job = pending(CHECKPOINT_JOB).await.remove(0);
        jobs::postpone(&mut conn, job.id, &bluelamp_store::now_text())
            .await
            .unwrap();
        conn.commit().await.unwrap();
        job_runner::run_due_in(
            &store,
            &NoResolver,
            Some(&settings),
            &bluelamp_services::webhooks::NoSender,
        )
        .await
        .unwrap();
        assert_eq!(
            checkpoints::read_checkpoints(&settings.file())
                .unwrap()
                .len(),
            1,
            "nothing signed over the deletion"
        );
        let job = pending(CHECKPOINT_JOB).await.remove(0);
        let error = job.last_error.unwrap_or_default();
        assert!(error.contains("refusing to sign"), "{error}");
        assert!(error.contains("deleted"), "{error}");
        store.close().await;
    }
}
