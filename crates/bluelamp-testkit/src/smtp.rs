//! A real SMTP server for tests: `tests/smtp_sink.py` (aiosmtpd) saves every
//! message it receives as JSON, and can be told to reject or defer addresses.
//! Without aiosmtpd, [`SmtpSink::start`] fails when `BLUELAMP_REQUIRE_SMTP=1` (as in
//! CI) and otherwise says loudly that the test did not run.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bluelamp_mail::MailConfig;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

use crate::TestApp;

/// A running `smtp_sink.py`, stopped (stdin closed, then killed) on drop.
pub struct SmtpSink {
    pub port: u16,
    folder: tempfile::TempDir,
    child: tokio::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl SmtpSink {
    /// Start the sink. A test using it is marked ignored where aiosmtpd is missing
    /// (see build.rs), so here a missing aiosmtpd is a failure, never a silent pass.
    pub async fn start() -> SmtpSink {
        let has_aiosmtpd = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            let message = "the e-mail tests need a real SMTP server: install it with \
                           `python3 -m pip install aiosmtpd`";
            panic!("aiosmtpd is missing: {message}");
        }
        let folder = tempfile::tempdir().unwrap();
        // Ask the OS for a free port, then hand it to the sink.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs");
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the SMTP sink starts within 20 s")
            .unwrap();
        assert_eq!(
            ready.as_deref(),
            Some("READY"),
            "the SMTP sink did not start"
        );
        SmtpSink {
            port,
            folder,
            child,
        }
    }

    pub fn config(&self, app: &TestApp) -> MailConfig {
        let mut config = MailConfig::new(
            &format!("smtp://127.0.0.1:{}", self.port),
            "Demo Constabulary <noreply@demo.example.org>",
            &app.base,
            7,
        )
        .unwrap();
        // Retries due at once, so a test can drain deterministically.
        config.backoff = bluelamp_domain::retry::Backoff::Doubling { first: 0, cap: 0 };
        config.timeout = Duration::from_secs(10);
        config
    }

    /// Every message received so far, oldest first, as the sink parsed it.
    pub fn received(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    pub fn received_by(&self, address: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|m| m["rcpt"].as_array().unwrap().iter().any(|r| r == address))
            .collect()
    }

    pub fn set_list(&self, name: &str, addresses: &[&str]) {
        std::fs::write(self.folder.path().join(name), addresses.join("\n")).unwrap();
    }
}

pub async fn drain(app: &TestApp, config: &MailConfig) -> usize {
    bluelamp_mail::run_once(&app.store, config).await.unwrap()
}
