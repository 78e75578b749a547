//! The browser harness: headless Chromium over WebDriver (fantoccini), through the
//! real login page, and axe-core injected into the pages a test visits so every
//! page is checked against the WCAG 2.2 AA rules.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::demo_password;

pub struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group (see `start_driver`): end the
        // whole group, so the Chromium browsers it started do not outlive the test.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.process.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn chromedriver_path() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_string)
}

/// Start chromedriver. A test using it is marked ignored where it is missing (see
/// build.rs), so here a missing driver is a failure, never a silent pass.
pub async fn start_driver() -> Driver {
    let path = chromedriver_path()
        .expect("chromedriver is not installed (apt-get install chromium chromium-driver)");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(path)
        .process_group(0)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The Driver owns the process from here on: its Drop kills and reaps it.
    let driver = Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not start listening on port {port}");
}

pub async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

pub async fn log_in(client: &Client, base: &str, username: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client
        .find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    client
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(demo_password(username))
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click returns before the browser has followed the login redirect; a
    // `goto` issued now could overtake it and arrive without the session cookie.
    wait_until_left_login(client).await;
}

/// Wait (up to fifteen seconds) until the browser is on a page other than /login.
pub async fn wait_until_left_login(client: &Client) {
    for _ in 0..300 {
        if let Ok(url) = client.current_url().await {
            if url.path() != "/login" {
                // Also wait for the new document to be there, not just its URL.
                if client.find(Locator::Css("body")).await.is_ok() {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still on the login page: {}", body_text(client).await);
}

pub async fn body_text(client: &Client) -> String {
    match client.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Wait (up to fifteen seconds: CI machines are slow) for the page to show
/// `needle`: a click that submits a form returns before the next page has loaded.
pub async fn wait_for_text(client: &Client, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..300 {
        text = body_text(client).await;
        if text.contains(needle) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never showed {needle:?}; it showed: {text}");
}

/// Where the browser tests find axe-core (`npm ci --prefix interop/axe`).
pub fn axe_script_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../interop/axe/node_modules/axe-core/axe.min.js")
}

/// Run axe-core on the page the browser shows, with the WCAG 2.0, 2.1 and 2.2 A and
/// AA rules, and fail on any serious or critical violation, naming the page.
pub async fn assert_accessible(client: &Client, page: &str) {
    let script = std::fs::read_to_string(axe_script_path())
        .expect("axe-core is not installed: npm ci --prefix interop/axe (.ci/run does)");
    client
        .execute(&script, vec![])
        .await
        .expect("axe-core loads in the page");
    let result = client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
                  .then(r => done(JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
                      .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html).slice(0, 3)})))))
                  .catch(e => done(JSON.stringify([{id: "axe-error", impact: String(e)}])));"#,
            vec![],
        )
        .await
        .expect("axe-core runs");
    let found = result.as_str().unwrap_or("[]");
    assert_eq!(
        found, "[]",
        "{page}: serious or critical accessibility violations: {found}"
    );
}

/// Read and acknowledge the force's policy on its page (posting needs it).
pub async fn acknowledge_policy(client: &Client, base: &str) {
    client.goto(&format!("{base}/staff/policy")).await.unwrap();
    wait_for_text(client, "I have read and will follow").await;
    client
        .find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Id("acknowledge"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(client, "You acknowledged this version").await;
}

/// Type into the field with this id.
pub async fn fill(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no field #{id}"))
        .send_keys(text)
        .await
        .unwrap();
}

/// Click the first element matching a CSS selector.
pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("nothing matches {css}"))
        .click()
        .await
        .unwrap();
}

/// The browser's cookies as a `Cookie` header, to fetch a download with its session.
pub async fn cookie_header(client: &Client) -> String {
    client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ")
}
