//! Real Mastodon clients no one here wrote (Mastodon.py, toot) log in, post,
//! read and delete; a held post answers them with 422.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::apps::*;
use bluelamp_testkit::{demo_password, TestApp};
use serde_json::Value;

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_mastodon_clients),
    ignore = "needs the Mastodon clients Mastodon.py and toot: python3 -m pip install Mastodon.py toot (.ci/run installs them)"
)]
async fn mastodon_py_and_toot_log_in_post_read_and_delete_with_a_held_post_answered_422() {
    let app = TestApp::spawn().await;
    let has_clients = std::process::Command::new("python3")
        .args(["-c", "import mastodon, toot"])
        .status()
        .is_ok_and(|s| s.success());
    // Ignored where they are missing (build.rs): here their absence is a failure.
    assert!(has_clients, "Mastodon.py and toot are not installed");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mastodon_clients.py");
    let work = app.db.data_dir.clone().unwrap().join("clients");
    std::fs::create_dir_all(&work).unwrap();
    let base = app.base.clone();
    let run = move || {
        std::process::Command::new("python3")
            .arg(script)
            .args([
                base.as_str(),
                "sgt.evans",
                demo_password("sgt.evans"),
                "pcmorgan",
                HELD,
                work.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    let output = tokio::task::spawn_blocking(run).await.unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    let py = &seen["mastodon_py"];
    assert_eq!(py["version"], "4.3.0");
    assert_eq!(py["username"], "pcmorgan");
    assert!(py["text_content"]
        .as_str()
        .unwrap()
        .contains("harbour path is open"));
    assert_eq!(py["media_description"], "A blue test square");
    assert_eq!(py["photo_alt"], "A blue test square");
    assert_eq!(py["reply_to"], py["text_id"]);
    assert!(py["context_descendants"].as_array().unwrap().len() == 1);
    assert_eq!(py["scheduled_has_time"], true);
    assert!(py["scheduled_listed"]
        .as_array()
        .unwrap()
        .contains(&py["scheduled_id"]));
    assert!(py["home_ids"].as_array().unwrap().contains(&py["text_id"]));
    assert!(
        py["notification_texts"][0]
            .as_str()
            .unwrap()
            .contains("found my grandad"),
        "{py}"
    );
    let held = py["held"].to_string();
    assert!(
        held.contains("422") && held.contains("Held for approval by a supervisor"),
        "{held}"
    );
    assert_eq!(py["deleted_gone"], true);

    let toot = &seen["toot"];
    assert_eq!(toot["login_exit"], 0, "{toot}");
    assert_eq!(toot["post"][0], 0, "{toot}");
    assert!(toot["post"][1]
        .as_str()
        .unwrap()
        .contains("/users/pcmorgan/posts/"));
    assert_eq!(toot["post_media"][0], 0, "{toot}");
    let timeline = toot["timeline"][1].as_str().unwrap();
    assert!(
        timeline.contains("lost dog found on the prom") && timeline.contains("toot: new poster."),
        "{timeline}"
    );
    assert!(
        toot["notifications"][1]
            .as_str()
            .unwrap()
            .contains("found my grandad"),
        "{toot}"
    );
    assert_ne!(toot["held"][0], 0);
    assert!(
        toot["held"][1]
            .as_str()
            .unwrap()
            .contains("Held for approval by a supervisor"),
        "{toot}"
    );

    // Both clients' held drafts wait in the approval queue; toot's photo kept its alt text.
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let queue = sergeant
        .api("GET", "/api/v1/posts?status=pending", Some(&token), None)
        .await;
    assert!(
        queue.body.matches("07700 900123").count() >= 2,
        "{}",
        queue.body
    );
    let home = sergeant
        .api("GET", "/api/v1/timelines/home", Some(&token), None)
        .await
        .json();
    let poster = home
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["content"].as_str().unwrap().contains("new poster"))
        .unwrap();
    assert_eq!(
        poster["media_attachments"][0]["description"],
        "A blue square from toot"
    );
}
