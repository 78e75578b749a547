//! Test support for Bluelamp: [`TestApp::spawn`] starts the real server on a
//! random port against a fresh database (SQLite, or PostgreSQL when
//! `BLUELAMP_TEST_BACKEND=postgres` and `BLUELAMP_TEST_POSTGRES_URL` are set),
//! seeded with the demo force; [`Client`] talks HTTP to it like a browser would,
//! keeping its cookies and CSRF tokens.

#![allow(clippy::unwrap_used)] // test support: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Mutex;

use bluelamp_store::testing::TestDatabase;
use bluelamp_store::{Backend, Store};
use bluelamp_web::{AppState, WebConfig};

pub mod apps;
pub mod atproto;
pub mod browser;
pub mod fediverse;
pub mod fixtures;
pub mod mail;
pub mod server;
pub mod smtp;
pub mod standins;

pub use bluelamp_services::demo::DEMO_USERS;

/// The password of a demo user.
pub fn demo_password(username: &str) -> &'static str {
    DEMO_USERS
        .iter()
        .find(|(name, _, _)| *name == username)
        .map(|(_, _, password)| *password)
        .unwrap_or_else(|| panic!("{username} is not a demo user"))
}

/// Is a peer installed? The test is compiled as ignored where it is missing.
pub fn peer_available(module: &str, install: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = format!(
            "fediverse peer `{module}` is not installed ({install}); the interop test DID NOT RUN"
        );
        // Ignored where the peer is missing (build.rs): here its absence is a failure.
        panic!("{message}");
    }
    ok
}

/// The backend the end-to-end tests run on in this pass.
pub fn backend_for_this_run() -> Backend {
    match std::env::var("BLUELAMP_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A running server and its database. Dropping it stops the server.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub db: TestDatabase,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    /// Start a server with the demo force on this run's backend.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(WebConfig {
            cookie_secure: false,
            ..WebConfig::default()
        })
        .await
    }

    /// A server whose governance check is the deterministic rules alone: what the
    /// end-to-end tests use, so that their fixtures (a post that publishes, one that is
    /// held) do not move when the model is retrained.
    pub async fn spawn_with(config: WebConfig) -> TestApp {
        Self::start(
            config,
            bluelamp_services::force_rules::ForceEngines::rules_only(),
        )
        .await
    }

    /// A server with the full check, the built-in model included, as `serve` runs it.
    pub async fn spawn_with_model() -> TestApp {
        let engines = bluelamp_services::force_rules::ForceEngines::load(None)
            .expect("the built-in check loads");
        Self::start(
            WebConfig {
                cookie_secure: false,
                ..WebConfig::default()
            },
            engines,
        )
        .await
    }

    async fn start(
        config: WebConfig,
        engines: bluelamp_services::force_rules::ForceEngines,
    ) -> TestApp {
        let backend = backend_for_this_run();
        let db = TestDatabase::create(backend)
            .await
            .expect("a fresh test database");
        let store = db.store().await.expect("a migrated store");
        bluelamp_services::demo::seed_if_empty(&store, "localhost")
            .await
            .expect("demo seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = config;
        config.public_base_url = base.clone();
        config.media_dir = db.data_dir.clone().unwrap().join("media");
        let state = AppState::new(store.clone(), config).with_governance(engines);
        let runner = bluelamp_web::workers::spawn(state.clone(), Vec::new()).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = bluelamp_web::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
            runner.stop();
        });
        TestApp {
            base,
            store,
            db,
            stop: Some(stop),
        }
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    /// A client already logged in as a demo user.
    pub async fn logged_in(&self, username: &str) -> Client {
        let client = self.client();
        let page = client.log_in(username, demo_password(username)).await;
        assert_eq!(
            page.status, 303,
            "login of {username} should redirect: {}",
            page.body
        );
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if std::thread::panicking() {
            return;
        }
        // A test that leaves background work failed, or due long ago and never
        // run, has hidden a fault: fail it. (Looked at over a new connection on a
        // thread of its own: the test's runtime is blocked in this drop.)
        let url = self.db.url.clone();
        let troubles = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let store = Store::connect(&url).await.ok()?;
                let mut conn = store.read().await.ok()?;
                let overdue = bluelamp_store::format_time(
                    time::OffsetDateTime::now_utc() - time::Duration::seconds(10),
                );
                let rows: Vec<(String, Option<String>)> = sqlx::query_as(
                    "SELECT kind, last_error FROM jobs WHERE last_error IS NOT NULL \
                     OR failed_at IS NOT NULL \
                     OR (done_at IS NULL AND failed_at IS NULL AND run_at < $1)",
                )
                .bind(overdue)
                .fetch_all(&mut *conn)
                .await
                .ok()?;
                drop(conn);
                store.close().await;
                Some(rows)
            })
        })
        .join()
        .ok()
        .flatten()
        .unwrap_or_default();
        assert!(
            troubles.is_empty(),
            "background jobs failed or were left unprocessed at the end of the test: {troubles:?}"
        );
    }
}

/// A response, read fully.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The first CSRF token in a page's forms.
    pub fn csrf(&self) -> String {
        extract_between(&self.body, "name=\"csrf\" value=\"", "\"")
            .expect("a CSRF field in the page")
    }
}

pub fn extract_between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(text[from..to].to_string())
}

/// An HTTP client with a cookie jar, like a browser without JavaScript.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    cookies: Mutex<HashMap<String, String>>,
}

impl Client {
    /// The session cookies, for a request the helpers do not cover (a stream).
    pub fn cookie_header(&self) -> String {
        let jar = self.cookies.lock().unwrap();
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let mut jar = self.cookies.lock().unwrap();
                if value.is_empty() || text.contains("Max-Age=0") {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_string(), value.to_string());
                }
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// Post a form (fields as pairs), as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// Load `page_path`, then post `fields` to `action` with that page's CSRF token.
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        assert_eq!(page.status, 200, "{page_path}: {}", page.body);
        let csrf = page.csrf();
        let mut all = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_form(action, &all).await
    }

    pub async fn log_in(&self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post_form(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    /// A JSON API call with a bearer token (or none).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Page {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.finish(request.send().await.unwrap()).await
    }

    /// Create an API token through the settings page and return its secret.
    pub async fn new_api_token(&self, name: &str, scopes: &[&str]) -> String {
        let mut fields = vec![("name", name)];
        for scope in scopes {
            fields.push((scope, "true"));
        }
        let page = self
            .submit("/staff/settings", "/staff/tokens", &fields)
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        extract_between(&page.body, "id=\"new-token\">", "<").expect("the new token on the page")
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    /// Upload a file through the JSON API for one account (by id); returns the
    /// response page.
    pub async fn upload(&self, token: &str, account: i64, file_name: &str, bytes: Vec<u8>) -> Page {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
        let form = reqwest::multipart::Form::new()
            .part("file", part)
            .text("account", account.to_string())
            .text("description", "test upload");
        let response = self
            .http
            .post(format!("{}/api/v1/media", self.base))
            .header("authorization", format!("Bearer {token}"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }
}

impl Client {
    /// POST a multipart form with this client's cookies (a staff page form that
    /// carries files, e.g. compose with a photo).
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }
}

impl TestApp {
    /// A demo user logged in, holding a read+write API token, who has acknowledged
    /// the demo force's policy (version 1): ready to post.
    pub async fn ready_to_post(&self, username: &str) -> (Client, String) {
        let client = self.logged_in(username).await;
        let token = client.new_api_token("test", &["read", "write"]).await;
        let ack = client
            .api(
                "POST",
                "/api/v1/policy/acknowledge",
                Some(&token),
                Some(serde_json::json!({"version": 1})),
            )
            .await;
        assert_eq!(ack.status, 200, "{}", ack.body);
        (client, token)
    }
}

impl Client {
    /// Post `text` on `account` through the API; asserts it was accepted (201)
    /// and returns the answer (`post` and the check's `report`).
    pub async fn compose(&self, token: &str, account: i64, text: &str) -> serde_json::Value {
        let page = self
            .api(
                "POST",
                &format!("/api/v1/accounts/{account}/posts"),
                Some(token),
                Some(serde_json::json!({"text": text})),
            )
            .await;
        assert_eq!(page.status, 201, "{}", page.body);
        page.json()
    }

    /// The id of one of the force's accounts, by handle.
    pub async fn account_id(&self, token: &str, handle: &str) -> i64 {
        let accounts = self
            .api("GET", "/api/v1/accounts", Some(token), None)
            .await
            .json();
        accounts
            .as_array()
            .and_then(|all| all.iter().find(|a| a["handle"] == handle))
            .and_then(|a| a["id"].as_i64())
            .unwrap_or_else(|| panic!("no account @{handle}"))
    }
}

impl TestApp {
    /// Another force on the server (code `code`), with one corporate account
    /// `@{code}police`, made as the command line would.
    pub async fn add_force(
        &self,
        code: &str,
        name: &str,
    ) -> (bluelamp_domain::ForceId, bluelamp_domain::AccountId) {
        use bluelamp_services::Staff;
        let force = bluelamp_services::forces::add_force(
            &self.store,
            &Staff::command_line(),
            &bluelamp_services::forces::AddForce {
                code: code.into(),
                name: name.into(),
                domain: format!("{code}.example"),
                time_zone: "Europe/London".into(),
                logo_url: None,
                settings: Default::default(),
            },
        )
        .await
        .unwrap();
        let account = bluelamp_services::accounts::add_account(
            &self.store,
            &Staff {
                force_id: Some(force.id),
                ..Staff::command_line()
            },
            &bluelamp_services::accounts::AddAccount {
                handle: format!("{code}police"),
                display_name: name.into(),
                bio: String::new(),
                kind: "corporate".into(),
                avatar_url: None,
            },
        )
        .await
        .unwrap();
        (force.id, account.id)
    }
}

impl TestApp {
    /// A server ready to federate over plain HTTP on loopback: actor ids use
    /// `http`, remote fetches and deliveries may reach 127.0.0.1 (the test-only
    /// switch), and the demo force's domain is this server's `127.0.0.1:PORT`,
    /// so requests to it resolve to the demo force by their `Host`.
    pub async fn spawn_federated() -> TestApp {
        let app = Self::spawn_with(WebConfig {
            cookie_secure: false,
            federation_scheme: "http".into(),
            federation_allow_loopback: true,
            ..WebConfig::default()
        })
        .await;
        let domain = app.base.trim_start_matches("http://").to_string();
        let mut tx = app.store.write().await.unwrap();
        let force = bluelamp_store::forces::by_code(&mut tx, "demo")
            .await
            .unwrap();
        bluelamp_store::federation::set_force_domain(&mut tx, force.id, &domain)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        app
    }

    /// `127.0.0.1:PORT`: the demo force's domain under [`TestApp::spawn_federated`].
    pub fn domain(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }
}
