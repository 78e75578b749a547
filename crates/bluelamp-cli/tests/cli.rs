//! The `bluelamp` binary, run as an operator would, against every backend under test.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use bluelamp_store::testing::{backends_under_test, TestDatabase};

fn bluelamp(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bluelamp"));
    command
        .args(args)
        .env("BLUELAMP_DATABASE_URL", &db.url)
        .env("BLUELAMP_DATA_DIR", db.data_dir.as_ref().unwrap())
        .env_remove("BLUELAMP_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn audit_verify_names_a_row_edited_directly_in_the_database() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let added = bluelamp(
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
        assert!(added.status.success(), "{}", text(&added));
        let user = bluelamp(
            &db,
            &[
                "user",
                "add",
                "--username",
                "pc.jones",
                "--name",
                "PC Jones",
                "--role",
                "officer",
                "--force",
                "gwent",
            ],
            Some("a long passphrase here\n"),
        );
        assert!(user.status.success(), "{}", text(&user));
        let disabled = bluelamp(&db, &["user", "disable", "pc.jones"], None);
        assert!(disabled.status.success(), "{}", text(&disabled));
        let listed = bluelamp(&db, &["user", "list", "--force", "gwent"], None);
        assert!(
            text(&listed).contains("pc.jones") && text(&listed).contains("disabled"),
            "{}",
            text(&listed)
        );

        let intact = bluelamp(&db, &["audit", "verify"], None);
        assert!(intact.status.success(), "{}", text(&intact));
        assert!(text(&intact).contains("intact"));

        // Someone with database access rewrites who disabled the user.
        let store = db.store().await.unwrap();
        let mut conn = store.read().await.unwrap();
        let row: (i64,) = sqlx::query_as("SELECT id FROM audit_log WHERE action = 'user.disable'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET actor_label = 'someone else' WHERE id = $1")
            .bind(row.0)
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        store.close().await;

        let tampered = bluelamp(&db, &["audit", "verify"], None);
        assert_eq!(tampered.status.code(), Some(2), "{}", text(&tampered));
        let report = text(&tampered);
        assert!(report.contains(&format!("entry id {}", row.0)), "{report}");
        assert!(report.contains("altered"), "{report}");
    }
}

#[tokio::test]
async fn audit_export_writes_json_lines_for_a_date_range() {
    let db = TestDatabase::create(bluelamp_store::Backend::Sqlite)
        .await
        .unwrap();
    assert!(bluelamp(
        &db,
        &[
            "force",
            "add",
            "--code",
            "dyfed",
            "--name",
            "Dyfed-Powys Police",
            "--domain",
            "dyfed.test"
        ],
        None
    )
    .status
    .success());
    let all = bluelamp(&db, &["audit", "export", "--from", "2000-01-01"], None);
    assert!(all.status.success(), "{}", text(&all));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&all.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], "force.create");
    assert_eq!(lines[0]["actor_label"], "cli");
    let none = bluelamp(&db, &["audit", "export", "--to", "2000-01-01"], None);
    assert!(String::from_utf8_lossy(&none.stdout).trim().is_empty());
}

#[tokio::test]
async fn bad_input_at_the_command_line_is_explained() {
    let db = TestDatabase::create(bluelamp_store::Backend::Sqlite)
        .await
        .unwrap();
    let bad = bluelamp(
        &db,
        &[
            "force",
            "add",
            "--code",
            "no spaces",
            "--name",
            "X",
            "--domain",
            "x.test",
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad).contains("code: must be 2 to 20"),
        "{}",
        text(&bad)
    );
    let short = bluelamp(
        &db,
        &[
            "user",
            "add",
            "--username",
            "admin2",
            "--name",
            "A",
            "--role",
            "server-admin",
        ],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(
        text(&short).contains("at least 12 characters"),
        "{}",
        text(&short)
    );
    let role = bluelamp(
        &db,
        &[
            "user",
            "add",
            "--username",
            "admin2",
            "--name",
            "A",
            "--role",
            "chief",
        ],
        Some("long enough password\n"),
    );
    assert!(text(&role).contains("unknown role"), "{}", text(&role));
}

#[tokio::test]
async fn config_show_redacts_secrets_and_backup_writes_a_copy() {
    let db = TestDatabase::create(bluelamp_store::Backend::Sqlite)
        .await
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bluelamp"));
    let shown = command
        .args(["config", "show"])
        .env(
            "BLUELAMP_DATABASE_URL",
            "postgres://bluelamp:hunter2@db.example/bluelamp",
        )
        .output()
        .unwrap();
    let shown = text(&shown);
    assert!(
        shown.contains("bluelamp:***@db.example") && !shown.contains("hunter2"),
        "{shown}"
    );

    assert!(bluelamp(&db, &["migrate"], None).status.success());
    let target = db.data_dir.as_ref().unwrap().join("copy.db");
    let backup = bluelamp(&db, &["backup", "--output", target.to_str().unwrap()], None);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(std::fs::metadata(&target).unwrap().len() > 0);
    let again = bluelamp(&db, &["backup", "--output", target.to_str().unwrap()], None);
    assert!(!again.status.success(), "a backup never overwrites");
}

fn check(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluelamp"))
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_check_command_answers_with_exit_codes_and_json() {
    let clean = check(
        &["--kind", "appeal"],
        "Have you seen this stolen van? Call 101 or Crimestoppers on 0800 555 111.\n",
    );
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    let refused = check(
        &["--sexual-offence", "--json"],
        "Jane Smith, who reported the rape, lives on Elm Road.",
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    let report: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(report["decision"], "refuse");
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["category"] == "victim-identity"));
    let bad = check(&["--kind", "nonsense"], "hello");
    assert_eq!(bad.status.code(), Some(3));
    assert!(text(&bad).contains("context.kind"), "{}", text(&bad));
    let batch = check(&["--jsonl"], "{\"id\": 1, \"text\": \"Lovely day at the station open day.\"}\n{\"id\": 2, \"text\": 5}\n");
    assert!(batch.status.success(), "{}", text(&batch));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&batch.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["decision"], "publish");
    assert!(lines[1]["error"].as_str().unwrap().contains("text"));
}

#[tokio::test]
async fn force_set_changes_only_the_settings_given_and_explains_a_bad_value() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let added = bluelamp(
            &db,
            &[
                "force",
                "add",
                "--code",
                "dyfed",
                "--name",
                "Dyfed",
                "--domain",
                "dyfed.test",
            ],
            None,
        );
        assert!(added.status.success(), "{}", text(&added));
        let set = bluelamp(
            &db,
            &[
                "force",
                "set",
                "dyfed",
                "--pre-election",
                "on",
                "--require-totp",
                "on",
                "--time-zone",
                "Europe/Dublin",
                "--logo",
                "https://dyfed.test/logo.png",
            ],
            None,
        );
        assert!(set.status.success(), "{}", text(&set));
        assert!(
            text(&set).contains(
                "dyfed: pre-election on, require TOTP on, time zone Europe/Dublin, logo https://dyfed.test/logo.png"
            ),
            "{}",
            text(&set)
        );
        let one = bluelamp(
            &db,
            &["force", "set", "dyfed", "--pre-election", "off"],
            None,
        );
        assert!(
            text(&one).contains("pre-election off, require TOTP on, time zone Europe/Dublin"),
            "{}",
            text(&one)
        );
        let zone = bluelamp(
            &db,
            &["force", "set", "dyfed", "--time-zone", "Europe/Dublni"],
            None,
        );
        assert_eq!(zone.status.code(), Some(1), "{}", text(&zone));
        assert!(text(&zone).contains("time_zone"), "{}", text(&zone));
        let switch = bluelamp(
            &db,
            &["force", "set", "dyfed", "--require-totp", "maybe"],
            None,
        );
        assert!(!switch.status.success());
        assert!(
            text(&switch).contains("expected on or off"),
            "{}",
            text(&switch)
        );
        let missing = bluelamp(
            &db,
            &["force", "set", "nowhere", "--pre-election", "on"],
            None,
        );
        assert!(!missing.status.success());
        assert!(
            text(&missing).contains("force not found"),
            "{}",
            text(&missing)
        );
    }
}
