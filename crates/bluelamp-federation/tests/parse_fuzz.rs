#![allow(clippy::unwrap_used)]
//! Property-style robustness: the inbound parsers get random bytes, every prefix
//! of every captured fixture, byte-flipped fixtures and structurally valid JSON
//! with wrong-shaped fields, and must return (Ok or Err), never panic or hang.
//! (The root `fuzz/` crate can add a cargo-fuzz target calling `parse_activity`;
//! this test runs in every `cargo test` without nightly.)

use std::path::{Path, PathBuf};

use bluelamp_federation::fetch::key_from;
use bluelamp_federation::html::{sanitize, to_plain_text};
use bluelamp_federation::protocol::{parse_activity, parse_document};
use bluelamp_federation::signatures::parse_signature_header;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/activitypub");

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixtures() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(FIXTURES);
    assert!(
        root.is_dir(),
        "fixture folder {} is missing",
        root.display()
    );
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path, bytes));
            }
        }
    }
    assert!(!out.is_empty());
    out
}

fn exercise_json(bytes: &[u8]) {
    let _ = parse_activity(bytes);
    let _ = parse_document(bytes, 1 << 20);
    let url = url::Url::parse("https://a.example/k").unwrap();
    let _ = key_from(&url, "https://a.example/k#main-key", bytes);
}

fn exercise(bytes: &[u8]) {
    exercise_json(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = parse_signature_header(text);
        let _ = sanitize(text);
        let _ = to_plain_text(text);
    }
}

#[test]
fn random_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3_000 {
        let len = rng.below(300);
        let alphabet = b"{}[]\":,0123456789truefalsnl \\u@#typeidactorobject";
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(4) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        exercise(&bytes);
    }
}

#[test]
fn truncated_and_mutated_fixtures() {
    let mut rng = Rng(42);
    for (path, bytes) in fixtures() {
        // 80 prefixes spread over the file, plus the first 64 bytes one by one
        // (every prefix of every file would be slow in a debug build).
        let step = (bytes.len() / 80).max(1);
        for end in (0..bytes.len()).step_by(step).chain(0..64.min(bytes.len())) {
            exercise_json(&bytes[..end]);
        }
        for _ in 0..30 {
            let mut mutated = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(mutated.len());
                mutated[i] = rng.next() as u8;
            }
            exercise_json(&mutated);
        }
        // Still fine whole.
        assert!(
            parse_document(&bytes, 1 << 20).is_ok() || path.to_string_lossy().contains("dislike"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn wrong_shapes_in_valid_json() {
    let shapes = [
        "null",
        "1",
        "-1.5e300",
        "true",
        "\"\"",
        "\"x\"",
        "[]",
        "[null]",
        "[1,{}]",
        "{}",
        "{\"id\":5}",
        "{\"type\":[]}",
        "[[[[[]]]]]",
        "{\"href\":{\"href\":null}}",
    ];
    let fields = [
        "id",
        "type",
        "actor",
        "object",
        "to",
        "cc",
        "attributedTo",
        "content",
        "contentMap",
        "inReplyTo",
        "tag",
        "attachment",
        "url",
        "publicKey",
        "endpoints",
        "icon",
        "sensitive",
        "summary",
    ];
    let mut rng = Rng(7);
    for kind in [
        "Create", "Update", "Delete", "Follow", "Undo", "Accept", "Flag", "Like", "Announce",
        "Person", "Note",
    ] {
        for _ in 0..200 {
            let mut object = serde_json::Map::new();
            object.insert("type".into(), kind.into());
            object.insert("id".into(), "https://a.example/1".into());
            object.insert("actor".into(), "https://a.example/u".into());
            for _ in 0..rng.below(6) {
                let field = fields[rng.below(fields.len())];
                let shape: serde_json::Value =
                    serde_json::from_str(shapes[rng.below(shapes.len())]).unwrap();
                let value = if rng.below(3) == 0 {
                    serde_json::json!({ "type": "Note", "id": "https://a.example/2", field: shape })
                } else {
                    shape
                };
                object.insert(field.into(), value);
            }
            exercise(&serde_json::to_vec(&object).unwrap());
        }
    }
    // Nesting far past serde_json's limit is an error, not a stack overflow.
    let deep = format!(
        "{{\"type\":\"Create\",\"object\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_activity(deep.as_bytes()).is_err());
    let deep_html = "<b>".repeat(20_000);
    let _ = sanitize(&deep_html);
}
