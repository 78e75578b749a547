//! Interop: fediverse-pasture (PyPI `fediverse-pasture`, software no one here
//! wrote) sends a signed note mentioning one of our accounts, and it lands as an
//! inbound message.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_testkit::{peer_available, TestApp};

struct Child(tokio::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_pasture),
    ignore = "needs the fediverse peer fediverse-pasture: python3 -m pip install fediverse-pasture (.ci/run installs it)"
)]
async fn fediverse_pasture_sends_a_signed_note_that_lands_as_an_inbound_message() {
    assert!(peer_available(
        "fediverse_pasture",
        "python3 -m pip install fediverse-pasture"
    ));
    let app = TestApp::spawn_federated().await;
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // pasture's one_actor serves its actor (and key) at http://127.0.0.1:{port}/actor,
    // with a config it writes to data.toml in its working directory.
    let _actor = Child(
        tokio::process::Command::new("python3")
            .args([
                "-m",
                "fediverse_pasture.one_actor",
                "--port",
                &port.to_string(),
            ])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap(),
    );
    let actor_url = format!("http://127.0.0.1:{port}/actor");
    let mut up = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if reqwest::Client::new()
            .get(&actor_url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
    }
    assert!(up, "pasture one_actor did not start on port {port}");
    let marker = "pasture says hello to the beat team";
    let output = tokio::process::Command::new("python3")
        .args([
            "-m",
            "fediverse_pasture.send",
            "--domain",
            &format!("http://127.0.0.1:{port}"),
            "--mention",
            "--text",
            marker,
            "--verbose",
            &format!("acct:pcmorgan@{}", app.domain()),
        ])
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "pasture send failed:\n{said}");
    let mut conn = app.store.read().await.unwrap();
    let force = bluelamp_store::forces::by_code(&mut conn, "demo")
        .await
        .unwrap();
    let messages = bluelamp_store::federation::messages(&mut conn, force.id, 10)
        .await
        .unwrap();
    let landed = messages.iter().find(|m| m.content_html.contains(marker));
    let landed =
        landed.unwrap_or_else(|| panic!("no inbound message from pasture: {messages:?}\n{said}"));
    assert_eq!(landed.actor_id, actor_url);
}
