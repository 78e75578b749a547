#![allow(clippy::unwrap_used)]
//! Every payload captured from other servers (tests/fixtures/activitypub, one
//! folder per software) either parses or is rejected with a clear reason, and
//! nothing panics. The table printed here is the evidence (run with
//! `--nocapture`).

use std::path::{Path, PathBuf};

use bluelamp_federation::html::sanitize;
use bluelamp_federation::limits::MAX_REMOTE_DOCUMENT;
use bluelamp_federation::protocol::{
    parse_activity, parse_document, ActivityKind, Document, ParseError,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/activitypub");

pub fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(FIXTURES);
    assert!(
        root.is_dir(),
        "fixture folder {} is missing: the ActivityPub parse tests read the payloads kept in the repository there",
        root.display()
    );
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 50,
        "expected the full fixture set, found {} files",
        files.len()
    );
    files
}

fn describe(doc: &Document) -> String {
    match doc {
        Document::Activity(a) => match &a.kind {
            ActivityKind::Create(o) => {
                format!("activity Create({})", o.kind.as_deref().unwrap_or("?"))
            }
            ActivityKind::Update(_) => "activity Update".to_owned(),
            other => format!("activity {}", other.name()),
        },
        Document::Actor(a) => format!("actor {}", a.kind.as_deref().unwrap_or("?")),
        Document::Object(o) => format!("object {}", o.kind.as_deref().unwrap_or("?")),
        Document::Tombstone { .. } => "tombstone".to_owned(),
        Document::Collection { kind, .. } => format!("collection {kind}"),
    }
}

#[test]
fn every_fixture_parses_or_is_rejected_with_a_reason() {
    let files = fixture_files();
    let root = Path::new(FIXTURES);
    let (mut parsed, mut rejected, mut activities) = (0, 0, 0);
    let mut rows = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(root).unwrap();
        let software = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let file = rel
            .components()
            .skip(1)
            .collect::<PathBuf>()
            .display()
            .to_string();
        let body = std::fs::read(path).unwrap();

        // As a fetched document: every fixture is a well-formed ActivityStreams
        // document, so every one must classify.
        let document = match parse_document(&body, MAX_REMOTE_DOCUMENT) {
            Ok(doc) => {
                parsed += 1;
                describe(&doc)
            }
            Err(e) => {
                rejected += 1;
                // The only acceptable reason for a real payload: a type we do not
                // act on. Anything else (bad JSON, missing fields) is our bug.
                assert!(
                    matches!(e, ParseError::UnsupportedType(_)),
                    "{software}/{file}: {e}"
                );
                format!("rejected: {e}")
            }
        };
        // As an inbox body: activities we act on parse; the rest say why not.
        let inbox = match parse_activity(&body) {
            Ok(a) => {
                activities += 1;
                assert!(
                    !a.id.is_empty() && !a.actor.is_empty(),
                    "{file}: id and actor"
                );
                if let ActivityKind::Create(object) = &a.kind {
                    // Remote HTML always goes through the sanitiser; make sure it copes.
                    let clean = sanitize(object.html().unwrap_or_default());
                    assert!(!clean.contains("<script"), "{file}");
                }
                format!("accepted {}", a.kind.name())
            }
            Err(e) => format!("rejected: {e}"),
        };
        rows.push((software, file, document, inbox));
    }

    println!(
        "\n{:<11} {:<28} {:<30} inbox (parse_activity)",
        "software", "file", "document (parse_document)"
    );
    for (software, file, document, inbox) in &rows {
        println!("{software:<11} {file:<28} {document:<30} {inbox}");
    }
    println!(
        "\n{} files: {parsed} parsed as documents, {rejected} rejected; {activities} accepted as inbox activities",
        files.len()
    );
    // Only Friendica's Dislike (and its Undo) are types we do not act on.
    assert!(rejected <= 2, "{rejected} documents rejected");
}

#[test]
fn key_fields_are_read_from_real_payloads() {
    let read = |rel: &str| std::fs::read(Path::new(FIXTURES).join(rel)).unwrap();

    let Ok(Document::Actor(actor)) =
        parse_document(&read("mastodon/objects/person.json"), MAX_REMOTE_DOCUMENT)
    else {
        panic!("mastodon person");
    };
    assert_eq!(actor.preferred_username.as_deref(), Some("mastodon"));
    assert!(actor.public_key[0]
        .public_key_pem
        .as_deref()
        .unwrap()
        .contains("BEGIN PUBLIC KEY"));
    assert_eq!(
        actor.shared_inbox(),
        Some("https://masto.qa.urbanwildlife.biz/inbox")
    );

    let create = parse_activity(&read("mastodon/activities/create_note.json")).unwrap();
    let ActivityKind::Create(note) = create.kind else {
        panic!("create")
    };
    assert_eq!(
        note.in_reply_to.as_deref(),
        Some("https://mamot.fr/users/retiolus/statuses/107224244380204526")
    );
    assert_eq!(
        note.mentioned().collect::<Vec<_>>(),
        vec!["https://mamot.fr/users/retiolus"]
    );
    assert!(note.is_public());

    let flag = parse_activity(&read("mastodon/activities/flag.json")).unwrap();
    let ActivityKind::Flag { objects, .. } = flag.kind else {
        panic!("flag")
    };
    assert_eq!(objects.len(), 3);

    // Lotide sends `to` as a string, not an array.
    let lotide = parse_activity(&read("lotide/activities/create_note_reply.json")).unwrap();
    assert!(!lotide.to.is_empty());

    // PeerTube: attributedTo is a list of objects, url a list of Links.
    let Ok(Document::Object(video)) =
        parse_document(&read("peertube/objects/video.json"), MAX_REMOTE_DOCUMENT)
    else {
        panic!("peertube video");
    };
    assert_eq!(video.attributed_to.len(), 2);
    assert!(video.url.is_some());

    // Mastodon attachments carry alt text in `name`.
    let Ok(Document::Object(note)) =
        parse_document(&read("mastodon/objects/note_2.json"), MAX_REMOTE_DOCUMENT)
    else {
        panic!("mastodon note 2");
    };
    assert!(note.attachments.iter().all(|a| a.url.is_some()));

    // Pleroma custom emoji tags.
    let Ok(Document::Actor(pleroma)) =
        parse_document(&read("pleroma/objects/person.json"), MAX_REMOTE_DOCUMENT)
    else {
        panic!("pleroma person");
    };
    assert!(pleroma.icon.is_some());
}
