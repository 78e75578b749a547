//! Interop: fediverse-pasture's actor verification (PyPI `fediverse-pasture`,
//! the `verify_actor` tool, software no one here wrote) run against our actor
//! endpoints. `tests/pasture_verify_actor.py` drives pasture's `ActorVerifier`
//! headless: it serves pasture's six test actors, fetches our actor unsigned
//! (alice, dean) and with HTTP signatures (bob, claire, emily, frank), posts to
//! our inbox the same two ways, and checks WebFinger against the actor's id.
//!
//! What pasture reports, and what we expect of it:
//!
//! | pasture actor | GET our actor | POST our inbox | why |
//! |---|---|---|---|
//! | alice, dean | ok, unsigned | refused (4xx) | pasture posts `{"type": "EchoRequest"}` unsigned: no id, no actor, no signature; pasture warns if alice gets in |
//! | bob, emily | ok, signed | accepted (202) | a signed Like; we fetch the key from their actor document |
//! | claire, frank | ok, signed | accepted (202) | their actor documents need a signed GET ("authorized fetch"), so our key fetch must be signed |
//! | webfinger | — | — | `acct:{preferredUsername}@{host}` resolves to the actor's id |
//!
//! dean, emily and frank have no `preferredUsername`; to us they differ from
//! alice, bob and claire in nothing.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_testkit::peer_available;
use bluelamp_testkit::TestApp;
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pasture_verify_actor.py");

/// Runs the script against `targets`; its JSON report and its log.
async fn run_pasture(targets: &[String]) -> (Value, String) {
    // bovine leaves a JSON-LD cache (sqlite) in its working directory.
    let dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new("python3");
    command.arg(SCRIPT).current_dir(dir.path());
    for target in targets {
        command.args(["--target", target]);
    }
    command.kill_on_drop(true);
    // Only a guard against a hung peer: a run takes seconds.
    let output = tokio::time::timeout(Duration::from_secs(900), command.output())
        .await
        .expect("pasture's verification had not finished after 15 minutes")
        .unwrap();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "pasture_verify_actor.py failed ({}):\n{log}",
        output.status
    );
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "pasture_verify_actor.py printed no JSON ({e}):\n{}\n{log}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (report, log)
}

fn mark(value: &Value) -> &'static str {
    if value.as_bool() == Some(true) {
        "X"
    } else {
        " "
    }
}

/// pasture's own table layout (`format_verify_actor_result`), plus WebFinger.
fn table(run: &Value) -> String {
    let mut lines = vec![
        format!("{}", run["target"].as_str().unwrap_or_default()),
        "| Name   | GET Actor | POST Inbox |".to_owned(),
        "| ------ | --------- | ---------- |".to_owned(),
    ];
    for (name, value) in run["result"].as_object().unwrap() {
        if name != "webfinger" {
            lines.push(format!(
                "| {name} | {} | {} |",
                mark(&value["get_actor"]),
                mark(&value["post_inbox"])
            ));
        }
    }
    lines.push(format!("webfinger: {}", run["result"]["webfinger"]));
    lines.join("\n")
}

/// Our actor document as pasture received it.
fn check_document(fetch: &Value, actor_url: &str, handle: &str, kind: &str, context: &str) {
    assert_eq!(fetch["status"], 200, "{context}: {fetch}");
    let doc = &fetch["document"];
    assert_eq!(doc["id"], actor_url, "{context}: {doc}");
    assert_eq!(doc["type"], kind, "{context}: {doc}");
    assert_eq!(doc["preferredUsername"], handle, "{context}: {doc}");
    for (field, path) in [
        ("inbox", "/inbox"),
        ("outbox", "/outbox"),
        ("followers", "/followers"),
    ] {
        assert_eq!(
            doc[field],
            format!("{actor_url}{path}"),
            "{context}: {field} in {doc}"
        );
    }
    let key = &doc["publicKey"];
    assert_eq!(
        key["id"],
        format!("{actor_url}#main-key"),
        "{context}: {key}"
    );
    assert_eq!(key["owner"], actor_url, "{context}: {key}");
    assert!(
        key["publicKeyPem"]
            .as_str()
            .is_some_and(|pem| pem.starts_with("-----BEGIN PUBLIC KEY-----")),
        "{context}: {key}"
    );
}

/// What our inbox answered `name`'s POST, from pasture's log: `Got 400 for
/// unsigned POST`, or the line after `Successfully posted to inbox with result`
/// (a refused signed POST leaves neither).
fn post_status(messages: &[Value], name: &str) -> Option<u16> {
    let start = format!("Running verification for {name}");
    let block: Vec<&str> = messages
        .iter()
        .filter_map(Value::as_str)
        .skip_while(|m| *m != start)
        .skip(1)
        .take_while(|m| !m.starts_with("Running verification for"))
        .collect();
    block.iter().enumerate().find_map(|(i, m)| {
        if *m == "Successfully posted to inbox with result" {
            return block.get(i + 1)?.parse().ok();
        }
        m.strip_prefix("Got ")?
            .strip_suffix(" for unsigned POST")?
            .parse()
            .ok()
    })
}

/// One verification run against one of our actors.
fn check_run(report: &Value, run: &Value, actor_url: &str, handle: &str, kind: &str) {
    let target = run["target"].as_str().unwrap();
    let messages = serde_json::to_string_pretty(&run["messages"]).unwrap();
    let context = format!("{target}\n{}\nmessages: {messages}", table(run));
    assert_eq!(run["remote_actor_uri"], actor_url, "{context}");

    // Every fetch of our actor, signed and unsigned, got the full document.
    let fetched = run["fetched"].as_array().unwrap();
    for signed in [false, true] {
        assert!(
            fetched.iter().any(|f| f["signed"] == signed),
            "{context}: no {} fetch of the actor",
            if signed { "signed" } else { "unsigned" }
        );
    }
    for fetch in fetched {
        check_document(fetch, actor_url, handle, kind, &context);
    }

    let result = run["result"].as_object().unwrap();
    let actors = report["actors"].as_object().unwrap();
    let names: Vec<&str> = actors.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["alice", "bob", "claire", "dean", "emily", "frank"],
        "{context}: pasture's test actors changed"
    );
    for (name, about) in actors {
        let got = &result[name];
        let signed = about["signed_get_and_post"].as_bool().unwrap();
        assert_eq!(
            got["get_actor"],
            true,
            "{context}: {name} ({}) could not fetch our actor",
            if signed { "signed" } else { "unsigned" }
        );
        // Unsigned POSTs to an inbox are refused; signed ones accepted, also
        // from actors whose own documents need a signed GET (we sign key fetches).
        assert_eq!(
            got["post_inbox"],
            signed,
            "{context}: {name}'s {} POST to our inbox",
            if signed { "signed" } else { "unsigned" }
        );
        let status = post_status(run["messages"].as_array().unwrap(), name);
        if signed {
            assert_eq!(status, Some(202), "{context}: {name}'s signed POST");
        } else {
            assert!(
                status.is_some_and(|s| (400..500).contains(&s)),
                "{context}: {name}'s unsigned POST should be refused as a client error, got {status:?}"
            );
        }
    }
    assert_eq!(
        result.len(),
        actors.len() + 1,
        "{context}: unexpected rows in pasture's result"
    );
    assert_eq!(
        result["webfinger"], true,
        "{context}: WebFinger did not lead back to the actor"
    );
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_pasture),
    ignore = "needs the fediverse peer fediverse-pasture: python3 -m pip install fediverse-pasture (.ci/run installs it)"
)]
async fn fediverse_pasture_verifies_our_actors_signed_and_unsigned() {
    assert!(peer_available(
        "fediverse_pasture",
        "python3 -m pip install fediverse-pasture"
    ));
    let app = TestApp::spawn_federated().await;
    let domain = app.domain();
    let pcmorgan = format!("{}/users/pcmorgan", app.base);
    let chief = format!("{}/users/chiefofficers", app.base);
    let targets = [
        pcmorgan.clone(),
        format!("acct:pcmorgan@{domain}"),
        chief.clone(),
    ];
    let (report, log) = run_pasture(&targets).await;
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), targets.len(), "{report}\n{log}");
    eprintln!(
        "fediverse-pasture {} verify_actor, from {}:",
        report["pasture_version"], report["pasture_domain"]
    );
    for run in runs {
        eprintln!("{}\n", table(run));
    }
    check_run(&report, &runs[0], &pcmorgan, "pcmorgan", "Person");
    check_run(&report, &runs[1], &pcmorgan, "pcmorgan", "Person");
    check_run(&report, &runs[2], &chief, "chiefofficers", "Organization");
}
