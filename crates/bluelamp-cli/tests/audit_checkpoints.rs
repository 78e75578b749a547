//! Signed audit checkpoints, as an operator uses them, against someone with write
//! access to the database: each attack below passes `audit verify` on its own
//! (the hashes are unkeyed and the head lives beside the entries) and is caught
//! by `audit verify --checkpoints` against a checkpoint written before it.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;

use std::path::PathBuf;

use bluelamp_store::audit::AuditFilter;
use bluelamp_store::testing::{backends_under_test, TestDatabase};

fn ok(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> String {
    let output = bluelamp(db, args, stdin);
    assert!(output.status.success(), "{args:?}: {}", text(&output));
    text(&output)
}

fn add_user(db: &TestDatabase, username: &str) {
    ok(
        db,
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            username,
            "--role",
            "officer",
            "--force",
            "gwent",
        ],
        Some("a long passphrase here\n"),
    );
}

/// A force whose chain holds a few entries: two users added, one disabled.
async fn seeded(backend: bluelamp_store::Backend) -> TestDatabase {
    let db = TestDatabase::create(backend).await.unwrap();
    ok(
        &db,
        &[
            "force",
            "add",
            "--code",
            "gwent",
            "--name",
            "Gwent Police",
            "--domain",
            "gwent.police.test",
        ],
        None,
    );
    add_user(&db, "pc.jones");
    add_user(&db, "pc.evans");
    ok(&db, &["user", "disable", "pc.jones"], None);
    db
}

fn checkpoint_file(db: &TestDatabase) -> PathBuf {
    db.data_dir
        .as_ref()
        .unwrap()
        .join("audit-checkpoints/checkpoints.jsonl")
}

/// The chain the user entries are in (the force's).
async fn force_chain(db: &TestDatabase) -> String {
    let store = db.store().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let (chain,): (String,) =
        sqlx::query_as("SELECT chain FROM audit_log WHERE action = 'user.disable'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    store.close().await;
    chain
}

async fn sql(db: &TestDatabase, statements: &[String]) {
    let store = db.store().await.unwrap();
    let mut conn = store.read().await.unwrap();
    for statement in statements {
        sqlx::query(statement).execute(&mut *conn).await.unwrap();
    }
    drop(conn);
    store.close().await;
}

/// `audit verify` alone, after the tampering: it must still say intact, or the
/// test would not be showing what the checkpoints add.
fn plain_verify_is_fooled(db: &TestDatabase) {
    let plain = bluelamp(db, &["audit", "verify"], None);
    assert!(plain.status.success(), "{}", text(&plain));
    assert!(text(&plain).contains("intact"), "{}", text(&plain));
}

fn checkpoint_verify_catches(db: &TestDatabase, expect: &str) -> String {
    let file = checkpoint_file(db);
    let caught = bluelamp(
        db,
        &["audit", "verify", "--checkpoints", file.to_str().unwrap()],
        None,
    );
    let report = text(&caught);
    assert_eq!(caught.status.code(), Some(2), "{report}");
    assert!(report.contains("TAMPERED"), "{report}");
    assert!(report.contains(expect), "{report}");
    report
}

#[tokio::test]
async fn a_rewritten_entry_with_every_later_hash_recomputed_is_caught() {
    for backend in backends_under_test() {
        let db = seeded(backend).await;
        let key = ok(&db, &["audit", "public-key"], None);
        let key = key.trim();
        assert_eq!(key.len(), 64, "{key}");
        let key_file = db.data_dir.as_ref().unwrap().join("audit-checkpoint.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the key file is private");
        }
        assert_eq!(ok(&db, &["audit", "public-key"], None).trim(), key);
        ok(&db, &["audit", "checkpoint"], None);
        // The chain growing after a checkpoint is what it should do.
        add_user(&db, "pc.price");
        let file = checkpoint_file(&db);
        let fine = ok(
            &db,
            &["audit", "verify", "--checkpoints", file.to_str().unwrap()],
            None,
        );
        assert!(fine.contains("1 signed checkpoints"), "{fine}");

        // Rewrite who created the first user, then recompute every hash after
        // it and the head, as someone with the database can.
        let chain = force_chain(&db).await;
        let store = db.store().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let filter = AuditFilter {
            chain: Some(chain.clone()),
            ..Default::default()
        };
        let mut records = bluelamp_store::audit::list(&mut conn, &filter, true)
            .await
            .unwrap();
        drop(conn);
        store.close().await;
        assert!(records.len() >= 3);
        records[0].actor_label = "someone else".into();
        let mut statements = Vec::new();
        let mut prev = records[0].prev_hash.clone();
        for record in &mut records {
            record.prev_hash = prev.clone();
            record.hash = record.compute_hash();
            prev = record.hash.clone();
            statements.push(format!(
                "UPDATE audit_log SET actor_label = '{}', prev_hash = '{}', hash = '{}' WHERE id = {}",
                record.actor_label, record.prev_hash, record.hash, record.id
            ));
        }
        statements.push(format!(
            "UPDATE audit_heads SET hash = '{prev}' WHERE chain = '{chain}'"
        ));
        sql(&db, &statements).await;

        plain_verify_is_fooled(&db);
        let report = checkpoint_verify_catches(&db, "rewritten");
        assert!(report.contains(&chain), "{report}");
        assert!(report.contains("between seq 1 and"), "{report}");
        // The same against the published key, as an outside verifier would.
        let published = bluelamp(
            &db,
            &[
                "audit",
                "verify",
                "--checkpoints",
                file.to_str().unwrap(),
                "--public-key",
                key,
            ],
            None,
        );
        assert_eq!(published.status.code(), Some(2), "{}", text(&published));
    }
}

#[tokio::test]
async fn dropping_the_newest_entries_and_fixing_the_head_is_caught() {
    for backend in backends_under_test() {
        let db = seeded(backend).await;
        ok(&db, &["audit", "checkpoint"], None);
        let chain = force_chain(&db).await;
        // Keep the first entry of the chain; drop the rest and point the head at it.
        sql(
            &db,
            &[
                format!("DELETE FROM audit_log WHERE chain = '{chain}' AND seq > 1"),
                format!(
                    "UPDATE audit_heads SET seq = 1, hash = \
                     (SELECT hash FROM audit_log WHERE chain = '{chain}' AND seq = 1) \
                     WHERE chain = '{chain}'"
                ),
            ],
        )
        .await;

        plain_verify_is_fooled(&db);
        let report = checkpoint_verify_catches(&db, "newest entries were removed");
        assert!(report.contains("only 1 remain"), "{report}");
        // Nor will the next checkpoint sign over it.
        let refused = bluelamp(&db, &["audit", "checkpoint"], None);
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
        assert!(
            text(&refused).contains("refusing to sign"),
            "{}",
            text(&refused)
        );

        // Editing the checkpoint to match breaks its signature.
        let file = checkpoint_file(&db);
        let original = std::fs::read_to_string(&file).unwrap();
        let mut line: serde_json::Value = serde_json::from_str(original.trim()).unwrap();
        for head in line["heads"].as_array_mut().unwrap() {
            if head["chain"] == chain.as_str() {
                head["seq"] = 1.into();
            }
        }
        std::fs::write(&file, format!("{line}\n")).unwrap();
        checkpoint_verify_catches(&db, "not signed by the trusted key");
    }
}

#[tokio::test]
async fn deleting_a_whole_chain_with_its_head_is_caught() {
    for backend in backends_under_test() {
        let db = seeded(backend).await;
        ok(&db, &["audit", "checkpoint"], None);
        let chain = force_chain(&db).await;
        sql(
            &db,
            &[
                format!("DELETE FROM audit_log WHERE chain = '{chain}'"),
                format!("DELETE FROM audit_heads WHERE chain = '{chain}'"),
            ],
        )
        .await;

        plain_verify_is_fooled(&db);
        let report = checkpoint_verify_catches(&db, "the chain and its head were deleted");
        assert!(report.contains(&chain), "{report}");
    }
}

#[tokio::test]
async fn verifying_without_a_key_asks_for_the_published_one() {
    let db = seeded(bluelamp_store::Backend::Sqlite).await;
    let file = db.data_dir.as_ref().unwrap().join("elsewhere.jsonl");
    std::fs::write(&file, "").unwrap();
    let refused = bluelamp(
        &db,
        &["audit", "verify", "--checkpoints", file.to_str().unwrap()],
        None,
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("--public-key"),
        "{}",
        text(&refused)
    );
    let bad = bluelamp(
        &db,
        &[
            "audit",
            "verify",
            "--checkpoints",
            file.to_str().unwrap(),
            "--public-key",
            "abc",
        ],
        None,
    );
    assert!(text(&bad).contains("64 hex digits"), "{}", text(&bad));
}
