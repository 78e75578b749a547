//! The real `bluelamp` binary as a test starts it: `serve --demo` on a test
//! database, a port and a log file, killed (SIGKILL) when dropped. The binary's
//! path comes from the calling test (`env!("CARGO_BIN_EXE_bluelamp")`), which only
//! the binary's own package knows.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bluelamp_store::testing::TestDatabase;

/// A running `bluelamp serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address for a server to listen on.
pub fn free_address() -> String {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().to_string()
}

/// Start `binary serve --demo` on `db`, listening on `listen`, the demo force on
/// `domain`, with the loopback federation switches of the interop tests and any
/// further `BLUELAMP_*` settings in `extra`; wait until it answers.
pub async fn start(
    binary: &str,
    db: &TestDatabase,
    listen: &str,
    domain: &str,
    log: &Path,
    extra: &[(&str, &str)],
) -> Server {
    let file = std::fs::File::create(log).unwrap();
    let mut command = Command::new(binary);
    command
        .args(["serve", "--demo"])
        .env_remove("BLUELAMP_CONFIG")
        .env("BLUELAMP_DATABASE_URL", &db.url)
        .env("BLUELAMP_DATA_DIR", db.data_dir.as_ref().unwrap())
        .env("BLUELAMP_LISTEN", listen)
        .env("BLUELAMP_DEMO_DOMAIN", domain)
        .env("BLUELAMP_COOKIE_SECURE", "false")
        .env("BLUELAMP_FEDERATION_SCHEME", "http")
        .env("BLUELAMP_FEDERATION_ALLOW_LOOPBACK_FOR_TESTS", "true")
        .env("BLUELAMP_LOG_LEVEL", "warn");
    for (name, value) in extra {
        command.env(name, value);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        base: format!("http://{listen}"),
        log: log.to_path_buf(),
    };
    wait_until_up(&mut server).await;
    server
}

async fn wait_until_up(server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let log = || std::fs::read_to_string(&server.log).unwrap_or_default();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("bluelamp exited ({status}) before serving:\n{}", log());
        }
        if reqwest::get(format!("{}/readyz", server.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "bluelamp did not start:\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
