//! `bluelamp governance …` and the model at start, as an operator meets them: a
//! training file with a malformed line names the line; a damaged or foreign weights
//! file stops `check` and `serve` with the reason; split files every draft once.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{bluelamp_flags_only, text};

fn dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let d = std::env::temp_dir().join(format!(
        "bluelamp-gov-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const GOOD: &str = r#"{"id": "t-1", "text": "Lovely day at the open day.", "context": {}, "expect": {"decision": "publish", "categories": []}}"#;

#[test]
fn a_malformed_training_or_scoring_line_is_named() {
    let d = dir("bad-line");
    let file = d.join("batch.jsonl");
    let bad = format!(
        "{GOOD}\n{}\n{{\"id\": \"t-3\", \"text\": \"x\"\n",
        r#"{"id": "t-2", "text": "x", "expect": {"decision": "publish", "categories": ["rudeness"]}}"#
    );
    std::fs::write(&file, bad).expect("write");
    for args in [
        vec![
            "governance",
            "train",
            "--corpus",
            file.to_str().unwrap_or_default(),
            "--out",
            "/dev/null",
        ],
        vec!["governance", "score", file.to_str().unwrap_or_default()],
        vec!["governance", "split", file.to_str().unwrap_or_default()],
    ] {
        let out = bluelamp_flags_only(&d, &args, None);
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        let said = text(&out);
        assert!(
            said.contains("line 2") && said.contains("rudeness"),
            "{args:?}: {said}"
        );
    }
    // Nothing was filed by the failed split.
    assert!(!d.join("corpus/governance/train").exists());
}

#[test]
fn the_blind_split_is_never_a_training_input() {
    let d = dir("blind");
    let file = d.join("blind.jsonl");
    std::fs::write(&file, format!("{GOOD}\n")).expect("write");
    let out = bluelamp_flags_only(
        &d,
        &[
            "governance",
            "train",
            "--corpus",
            file.to_str().unwrap_or_default(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("never a training input"),
        "{}",
        text(&out)
    );
}

#[test]
fn split_files_each_draft_once_and_refuses_an_id_already_filed() {
    let d = dir("split");
    std::fs::create_dir_all(d.join("corpus/governance")).expect("dir");
    let batch = d.join("b.jsonl");
    let lines: String = (0..40)
        .map(|i| GOOD.replace("t-1", &format!("w-{i}")) + "\n")
        .collect();
    std::fs::write(&batch, &lines).expect("write");
    let out = bluelamp_flags_only(
        &d,
        &["governance", "split", batch.to_str().unwrap_or_default()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let train = std::fs::read_to_string(d.join("corpus/governance/train/part-001.jsonl"))
        .unwrap_or_default();
    let blind =
        std::fs::read_to_string(d.join("corpus/governance/blind.jsonl")).unwrap_or_default();
    assert_eq!(train.lines().count() + blind.lines().count(), 40);
    assert!(blind.lines().count() > 0 && train.lines().count() > 0);
    // The split prints counts, never a draft.
    assert!(!text(&out).contains("open day"), "{}", text(&out));
    let again = bluelamp_flags_only(
        &d,
        &["governance", "split", batch.to_str().unwrap_or_default()],
        None,
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already in the corpus"),
        "{}",
        text(&again)
    );
}

#[test]
fn a_damaged_or_foreign_model_stops_check_and_serve_with_the_reason() {
    let d = dir("model");
    let damaged = d.join("damaged.bin");
    let mut bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../bluelamp-governance/data/model.bin"
    ))
    .expect("the built-in weights");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&damaged, &bytes).expect("write");
    let foreign = d.join("foreign.bin");
    std::fs::write(&foreign, b"GGUF not ours").expect("write");

    for (file, says) in [(&damaged, "damaged"), (&foreign, "not a Bluelamp model")] {
        let out = bluelamp_flags_only(
            &d,
            &["check", "--model", file.to_str().unwrap_or_default()],
            Some("Hello"),
        );
        assert_eq!(out.status.code(), Some(3), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));

        // `serve` reads the model from its configuration (here the environment).
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bluelamp"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(d.join("data"))
            .current_dir(&d)
            .env_remove("BLUELAMP_DATABASE_URL")
            .env_remove("BLUELAMP_CONFIG")
            .env("BLUELAMP_GOVERNANCE_MODEL", file);
        let out = command.output().expect("runs");
        assert!(
            !out.status.success(),
            "serve started with a bad model: {}",
            text(&out)
        );
        let said = text(&out);
        assert!(
            said.contains("governance check cannot start") && said.contains(says),
            "{said}"
        );
    }
}
