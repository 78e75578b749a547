//! The `bluelamp` binary, run as an operator would, against every backend under test.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use bluelamp_store::testing::{backends_under_test, TestDatabase};

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

fn unique_dir(name: &str) -> std::path::PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("bluelamp-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn every_subcommand_takes_the_data_folder_config_and_database_as_flags() {
    let data = unique_dir("flags-data");
    // Run from a folder of its own, so a default ./bluelamp-data lands there.
    let cwd = unique_dir("flags-cwd");
    let dir = data.to_str().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let output = bluelamp_flags_only(&cwd, args, stdin);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        text(&output)
    };
    run(&["migrate", "--data-dir", dir], None);
    run(
        &[
            "force",
            "add",
            "--data-dir",
            dir,
            "--code",
            "gwent",
            "--name",
            "Gwent Police",
            "--domain",
            "gwent.police.test",
        ],
        None,
    );
    run(
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
            "--data-dir",
            dir,
        ],
        Some("a long passphrase here\n"),
    );
    assert!(run(&["user", "list", "--data-dir", dir], None).contains("pc.jones"));
    assert!(run(&["force", "list", "--data-dir", dir], None).contains("gwent"));
    assert!(
        !run(&["force", "list"], None).contains("gwent"),
        "without the flag the default folder is used"
    );
    // Before or after the nested subcommand alike.
    assert!(run(&["audit", "verify", "--data-dir", dir], None).contains("intact"));
    assert!(run(&["audit", "--data-dir", dir, "verify"], None).contains("intact"));
    let exported = run(&["audit", "export", "--data-dir", dir], None);
    assert!(exported.contains("user.create"), "{exported}");
    run(&["audit", "checkpoint", "--data-dir", dir], None);
    assert!(data.join("audit-checkpoints/checkpoints.jsonl").exists());
    run(&["audit", "public-key", "--data-dir", dir], None);
    assert!(data.join("audit-checkpoint.key").exists());
    let copy = data.join("copy.db");
    run(
        &["backup", "--data-dir", dir, "-o", copy.to_str().unwrap()],
        None,
    );
    assert!(copy.exists());
    assert!(run(&["config", "show", "--data-dir", dir], None).contains(dir));

    // --config names a file whose data_dir is used.
    let config = cwd.join("bluelamp.conf");
    std::fs::write(&config, format!("data_dir = \"{dir}\"\n")).unwrap();
    let listed = run(
        &["force", "list", "--config", config.to_str().unwrap()],
        None,
    );
    assert!(listed.contains("gwent"), "{listed}");

    // --database-url, on every backend under test.
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        run(
            &[
                "force",
                "add",
                "--database-url",
                &db.url,
                "--code",
                "dyfed",
                "--name",
                "Dyfed",
                "--domain",
                "dyfed.test",
            ],
            None,
        );
        let listed = run(&["force", "list", "--database-url", &db.url], None);
        assert!(listed.contains("dyfed"), "{listed}");
        let verified = run(&["audit", "verify", "--database-url", &db.url], None);
        assert!(verified.contains("intact"), "{verified}");
    }
}

/// A `bluelamp serve` child, killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_configured_public_base_url_is_in_feeds_and_og_url_and_the_server_writes_checkpoints() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let data = db.data_dir.clone().unwrap();
        let log = data.join("serve.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let mut server = Server(
            Command::new(env!("CARGO_BIN_EXE_bluelamp"))
                .args(["serve", "--demo", "--listen", &listen])
                .env_remove("BLUELAMP_CONFIG")
                .env("BLUELAMP_DATABASE_URL", &db.url)
                .env("BLUELAMP_DATA_DIR", &data)
                .env("BLUELAMP_PUBLIC_BASE_URL", "https://police.example.test/")
                .env("BLUELAMP_COOKIE_SECURE", "false")
                .env("BLUELAMP_LOG_LEVEL", "warn")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .unwrap(),
        );
        let local = format!("http://{listen}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Some(status) = server.0.try_wait().unwrap() {
                panic!(
                    "serve exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap()
                );
            }
            if reqwest::get(format!("{local}/login"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "serve did not start");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let feed = reqwest::get(format!("{local}/forces/demo/feed.atom"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            feed.contains("https://police.example.test/forces/demo"),
            "{feed}"
        );
        assert!(!feed.contains(&local), "{feed}");
        let page = reqwest::get(format!("{local}/forces/demo/accounts/democonstabulary"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(
                "property=\"og:url\" content=\"https://police.example.test/forces/demo/accounts/democonstabulary\""
            ),
            "{page}"
        );

        // The checkpoint job runs at start (then every hour) through the job table.
        let file = data.join("audit-checkpoints/checkpoints.jsonl");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !std::fs::read_to_string(&file).is_ok_and(|t| t.ends_with('\n')) {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint written"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        drop(server);
        let verified = bluelamp(
            &db,
            &["audit", "verify", "--checkpoints", file.to_str().unwrap()],
            None,
        );
        assert!(verified.status.success(), "{}", text(&verified));
        assert!(
            text(&verified).contains("1 signed checkpoints"),
            "{}",
            text(&verified)
        );
    }
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
