//! `bluelamp triage --jsonl`, the contract forces and outside evaluators score triage
//! with: one result line per input line, in input order, ids echoed; a bad line is
//! named on standard error, the others still answered, and the exit code says so.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bluelamp"))
        .args(["triage", "--jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Written from another thread: a long input's answers fill the output pipe
    // before all of it is written, so writing and reading must go on together.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_line_is_answered_in_order_with_exactly_the_contract_fields() {
    let input = [
        r#"{"id": "a", "text": "help", "channel": "x"}"#,
        r#"{"id": 7, "text": "Thanks so much for finding my dog!", "channel": "facebook"}"#,
        r#"{"id": "c", "text": "what time does the station front desk open?"}"#,
    ]
    .join("\n");
    let (code, out, err) = run(&input);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[2]["id"], "c");
    for l in &lines {
        let mut keys: Vec<&String> = l.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "labels", "primary", "priority", "urgent"]);
        assert!(l["labels"].as_array().unwrap().contains(&l["primary"]));
    }
    assert_eq!(lines[0]["primary"], "emergency");
    assert_eq!(lines[0]["urgent"], true);
    assert_eq!(lines[0]["priority"], "critical");
}

#[test]
fn a_bad_line_is_named_and_nothing_else_is_lost() {
    let input = "{\"id\": \"a\", \"text\": \"hello\"}\nnot json\n{\"text\": \"no id\"}\n{\"id\": \"d\", \"text\": \"bye\", \"channel\": \"telex\"}\n";
    let (code, out, err) = run(input);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 2"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(
        err.contains("telex"),
        "unknown channels are reported: {err}"
    );
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, ["a", "d"]);
}

#[test]
fn a_long_input_read_in_parallel_blocks_keeps_input_order_and_names_bad_lines() {
    // More than two blocks of 4,096 lines, triaged on every core: the answers must
    // still come back one per good line, in input order, with the bad lines named
    // by their own line numbers.
    let mut input = String::new();
    for i in 0..9_000 {
        if i == 4_100 || i == 8_999 {
            input.push_str("{not json\n");
        } else {
            input.push_str(&format!(
                "{{\"id\": {i}, \"text\": \"is the bypass open again after crash number {i}?\"}}\n"
            ));
        }
    }
    let (code, out, err) = run(&input);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("line 4101:"), "{err}");
    assert!(err.contains("line 9000:"), "{err}");
    let ids: Vec<i64> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let expected: Vec<i64> = (0..9_000).filter(|i| *i != 4_100 && *i != 8_999).collect();
    assert_eq!(ids, expected);
}
