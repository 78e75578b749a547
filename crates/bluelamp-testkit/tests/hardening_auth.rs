//! Authentication hardening, end to end through real HTTP: what an attacker of
//! the release binary found, each shown refused. Token scopes, the second
//! factor (lockout, replay, locked accounts, replacing it, forces that require
//! it), the login throttle behind a reverse proxy, HSTS and `/metrics`.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use bluelamp_testkit::{demo_password, extract_between, Client, TestApp};
use bluelamp_web::{TrustedProxies, WebConfig, LOGIN_FAILURES_PER_WINDOW};
use serde_json::json;

// ----- helpers -----

/// Turn on two-factor login for a logged-in user; returns the secret. The
/// code that confirms it is the current step's, so it is spent from then on.
async fn enrol(client: &Client, username: &str) -> String {
    let page = client.get("/staff/totp").await;
    let secret = extract_between(&page.body, "id=\"totp-secret\">", "<").unwrap();
    let code = bluelamp_services::auth::totp_current_code(&secret).unwrap();
    let done = client
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[
                ("secret", &secret),
                ("code", &code),
                ("current_password", demo_password(username)),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    secret
}

/// A six-digit code that is none of the codes valid around now.
fn wrong_code(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let valid: Vec<String> = [now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| bluelamp_services::auth::totp_code_at(secret, *t).unwrap())
        .collect();
    ["000000", "111111", "222222", "333333", "444444"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .unwrap()
        .to_string()
}

/// Submit a code on the second-factor page of a half-logged-in client.
async fn send_code(client: &Client, code: &str) -> bluelamp_testkit::Page {
    let page = client.get("/login/totp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.csrf();
    client
        .post_form("/login/totp", &[("code", code), ("csrf", &csrf)])
        .await
}

/// A browser behind a reverse proxy: every request carries the
/// `X-Forwarded-For` the proxy would add.
struct Proxied {
    http: reqwest::Client,
    base: String,
    forwarded_for: String,
    cookies: HashMap<String, String>,
}

impl Proxied {
    fn new(app: &TestApp, forwarded_for: &str) -> Proxied {
        Proxied {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            forwarded_for: forwarded_for.into(),
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = request
            .header("cookie", cookie.join("; "))
            .header("x-forwarded-for", &self.forwarded_for)
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.insert(name.into(), value.into());
            }
        }
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> u16 {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await.0
    }

    async fn csrf_of(&mut self, path: &str) -> String {
        let request = self.http.get(format!("{}{path}", self.base));
        let (status, body) = self.send(request).await;
        assert_eq!(status, 200, "{path}: {body}");
        extract_between(&body, "name=\"csrf\" value=\"", "\"").unwrap()
    }

    async fn log_in(&mut self, username: &str, password: &str) -> u16 {
        let csrf = self.csrf_of("/login").await;
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
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(WebConfig {
        cookie_secure: false,
        trusted_proxies: TrustedProxies::parse(&["127.0.0.1/32"]).unwrap(),
        ..WebConfig::default()
    })
    .await
}

// ----- 2. token scopes -----

#[tokio::test]
async fn a_token_cannot_mint_tokens_and_read_tokens_cannot_revoke_or_sign_the_policy() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let read = admin.new_api_token("dashboard", &["read"]).await;
    let write = admin.new_api_token("script", &["read", "write"]).await;
    for token in [&read, &write] {
        for scopes in [json!(["admin"]), json!(["write"]), json!(["read"])] {
            let minted = admin
                .api(
                    "POST",
                    "/api/v1/tokens",
                    Some(token),
                    Some(json!({"name": "escalate", "scopes": scopes})),
                )
                .await;
            assert_eq!(minted.status, 403, "{}", minted.body);
        }
    }
    let tokens = admin
        .api("GET", "/api/v1/tokens", Some(&read), None)
        .await
        .json();
    assert_eq!(tokens.as_array().unwrap().len(), 2, "nothing was minted");
    let id = tokens[0]["id"].as_i64().unwrap();
    let revoke = admin
        .api("DELETE", &format!("/api/v1/tokens/{id}"), Some(&read), None)
        .await;
    assert_eq!(revoke.status, 403, "{}", revoke.body);
    let acknowledge = admin
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&read),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(acknowledge.status, 403, "{}", acknowledge.body);
    let revoke = admin
        .api(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&write),
            None,
        )
        .await;
    assert_eq!(revoke.status, 204, "{}", revoke.body);
}

#[tokio::test]
async fn a_session_mints_no_token_beyond_its_role() {
    let app = TestApp::spawn().await;
    let analyst = app.logged_in("analyst.price").await;
    for scope in ["write", "admin"] {
        let page = analyst
            .submit(
                "/staff/settings",
                "/staff/tokens",
                &[("name", "too much"), (scope, "true")],
            )
            .await;
        assert_eq!(page.status, 403, "{scope}: {}", page.body);
    }
    let officer = app.logged_in("pc.morgan").await;
    let page = officer
        .submit(
            "/staff/settings",
            "/staff/tokens",
            &[("name", "too much"), ("admin", "true")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    // What the role allows still works.
    analyst.new_api_token("reports", &["read"]).await;
    officer.new_api_token("phone", &["read", "write"]).await;
}

// ----- 3. second factor -----

#[tokio::test]
async fn password_then_wrong_codes_repeated_locks_the_account() {
    let app = TestApp::spawn().await;
    let secret = enrol(&app.logged_in("sgt.evans").await, "sgt.evans").await;
    let wrong = wrong_code(&secret);
    let password = demo_password("sgt.evans");
    // Four wrong codes, then the right password again: before the fix the
    // password cleared the count and this went on for ever.
    let first = app.client();
    assert_eq!(first.log_in("sgt.evans", password).await.status, 303);
    for _ in 0..4 {
        assert_eq!(send_code(&first, &wrong).await.status, 401);
    }
    let second = app.client();
    assert_eq!(second.log_in("sgt.evans", password).await.status, 303);
    assert_eq!(send_code(&second, &wrong).await.status, 401);
    // Five failures in a row: locked, even for the right password.
    let third = app.client();
    let locked = third.log_in("sgt.evans", password).await;
    assert_eq!(locked.status, 401, "the account must be locked");
    // And the session that reached the fifth failure has ended.
    assert_eq!(second.get("/login/totp").await.location(), Some("/login"));
}

#[tokio::test]
async fn a_totp_code_works_once() {
    let app = TestApp::spawn().await;
    let secret = enrol(&app.logged_in("sgt.evans").await, "sgt.evans").await;
    let password = demo_password("sgt.evans");
    // The code that confirmed enrolment cannot log in.
    let enrolment_code = bluelamp_services::auth::totp_current_code(&secret).unwrap();
    let client = app.client();
    assert_eq!(client.log_in("sgt.evans", password).await.status, 303);
    assert_eq!(send_code(&client, &enrolment_code).await.status, 401);
    // A fresh code works once...
    let code = bluelamp_services::auth::totp_next_code(&secret).unwrap();
    let good = send_code(&client, &code).await;
    assert_eq!(good.location(), Some("/staff"), "{}", good.body);
    // ...and replaying it (someone watching over the shoulder) is refused.
    let attacker = app.client();
    assert_eq!(attacker.log_in("sgt.evans", password).await.status, 303);
    let replay = send_code(&attacker, &code).await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert_eq!(attacker.get("/staff").await.location(), Some("/login/totp"));
}

#[tokio::test]
async fn a_locked_accounts_pending_session_cannot_complete() {
    let app = TestApp::spawn().await;
    let secret = enrol(&app.logged_in("sgt.evans").await, "sgt.evans").await;
    let pending = app.client();
    let password = demo_password("sgt.evans");
    assert_eq!(pending.log_in("sgt.evans", password).await.status, 303);
    // Meanwhile the account is locked by wrong passwords elsewhere.
    let guesser = app.client();
    for _ in 0..5 {
        assert_eq!(
            guesser
                .log_in("sgt.evans", "guess-guess-guess")
                .await
                .status,
            401
        );
    }
    let code = bluelamp_services::auth::totp_next_code(&secret).unwrap();
    let finish = send_code(&pending, &code).await;
    assert_eq!(finish.status, 401, "{}", finish.body);
    assert!(finish.body.contains("locked"), "{}", finish.body);
    assert_eq!(pending.get("/staff").await.location(), Some("/login"));
}

#[tokio::test]
async fn replacing_the_second_factor_needs_the_password_and_the_current_code() {
    let app = TestApp::spawn().await;
    let owner = app.logged_in("sgt.evans").await;
    let old_secret = enrol(&owner, "sgt.evans").await;
    // Someone holding only the session tries to put their own authenticator in.
    let page = owner.get("/staff/totp").await;
    let new_secret = extract_between(&page.body, "id=\"totp-secret\">", "<").unwrap();
    let new_code = bluelamp_services::auth::totp_current_code(&new_secret).unwrap();
    let no_password = owner
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[("secret", &new_secret), ("code", &new_code)],
        )
        .await;
    assert_eq!(no_password.status, 400, "{}", no_password.body);
    assert!(
        no_password.body.contains("current_password"),
        "{}",
        no_password.body
    );
    let no_current_code = owner
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[
                ("secret", &new_secret),
                ("code", &new_code),
                ("current_password", demo_password("sgt.evans")),
            ],
        )
        .await;
    assert_eq!(no_current_code.status, 400, "{}", no_current_code.body);
    assert!(
        no_current_code.body.contains("current_code"),
        "{}",
        no_current_code.body
    );
    // The owner, with both, can move to a new authenticator.
    let current_code = bluelamp_services::auth::totp_next_code(&old_secret).unwrap();
    let replaced = owner
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[
                ("secret", &new_secret),
                ("code", &new_code),
                ("current_password", demo_password("sgt.evans")),
                ("current_code", &current_code),
            ],
        )
        .await;
    assert_eq!(replaced.status, 303, "{}", replaced.body);
}

#[tokio::test]
async fn a_force_that_requires_totp_refuses_unenrolled_users_on_the_api() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    // A token minted before the force turned the requirement on.
    let token = admin
        .new_api_token("script", &["read", "write", "admin"])
        .await;
    let mut tx = app.store.write().await.unwrap();
    let force = bluelamp_store::forces::by_code(&mut tx, "demo")
        .await
        .unwrap();
    let mut settings = force.settings.clone();
    settings.require_totp = true;
    bluelamp_store::forces::update_settings(&mut tx, force.id, &settings)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let by_token = admin.api("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(by_token.status, 403, "{}", by_token.body);
    let users = admin.api("GET", "/api/v1/users", Some(&token), None).await;
    assert_eq!(users.status, 403, "{}", users.body);
    let by_session = admin.api("GET", "/api/v1/tokens", None, None).await;
    assert_eq!(by_session.status, 403, "{}", by_session.body);
    assert!(
        by_session.body.contains("two-factor"),
        "{}",
        by_session.body
    );
    // Once enrolled, the API answers again.
    enrol(&admin, "chief.admin").await;
    assert_eq!(
        admin
            .api("GET", "/api/v1/me", Some(&token), None)
            .await
            .status,
        200
    );
}

// ----- 7. login throttle -----

#[tokio::test]
async fn behind_a_trusted_proxy_valid_logins_pass_and_one_clients_failures_are_throttled() {
    let app = behind_proxy().await;
    let users = ["sgt.evans", "pc.morgan", "comms.lewis", "analyst.price"];
    // Shift change: more correct logins through the proxy than the failure
    // budget, some from one shared station address. None is refused.
    for n in 0..(LOGIN_FAILURES_PER_WINDOW + 10) {
        let user = users[n as usize % users.len()];
        let station = if n % 2 == 0 {
            "198.51.100.1".to_string()
        } else {
            format!("198.51.100.{}", n + 2)
        };
        let mut officer = Proxied::new(&app, &station);
        assert_eq!(
            officer.log_in(user, demo_password(user)).await,
            303,
            "login {n}"
        );
    }
    // A sprayer behind the same proxy: its failures count against its address.
    let mut sprayer = Proxied::new(&app, "203.0.113.7");
    for n in 0..LOGIN_FAILURES_PER_WINDOW {
        assert_eq!(
            sprayer
                .log_in(&format!("nobody{n}"), "password-spray")
                .await,
            401
        );
    }
    assert_eq!(
        sprayer
            .log_in("pc.morgan", demo_password("pc.morgan"))
            .await,
        429
    );
    // Forging an address to the left changes nothing: the right-most untrusted one counts.
    let mut forged = Proxied::new(&app, "192.0.2.1, 203.0.113.7");
    assert_eq!(forged.log_in("nobody", "password-spray").await, 429);
    // Others behind the proxy are not affected.
    let mut colleague = Proxied::new(&app, "203.0.113.8");
    assert_eq!(
        colleague
            .log_in("pc.morgan", demo_password("pc.morgan"))
            .await,
        303
    );
}

#[tokio::test]
async fn the_second_factor_step_shares_the_per_address_failure_budget() {
    let app = behind_proxy().await;
    let secret = enrol(&app.logged_in("sgt.evans").await, "sgt.evans").await;
    let mut attacker = Proxied::new(&app, "203.0.113.9");
    assert_eq!(
        attacker
            .log_in("sgt.evans", demo_password("sgt.evans"))
            .await,
        303
    );
    // Spend the address's budget (on other names, so no account locks)...
    let mut same_address = Proxied::new(&app, "203.0.113.9");
    for n in 0..LOGIN_FAILURES_PER_WINDOW {
        assert_eq!(
            same_address.log_in(&format!("nobody{n}"), "spray").await,
            401
        );
    }
    // ...and the code step from that address is refused too.
    let csrf = attacker.csrf_of("/login/totp").await;
    let code = bluelamp_services::auth::totp_next_code(&secret).unwrap();
    let status = attacker
        .post_form("/login/totp", &[("code", &code), ("csrf", &csrf)])
        .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_for_header_is_ignored() {
    let app = TestApp::spawn().await;
    for n in 0..LOGIN_FAILURES_PER_WINDOW {
        let mut client = Proxied::new(&app, &format!("192.0.2.{n}"));
        assert_eq!(client.log_in(&format!("nobody{n}"), "spray").await, 401);
    }
    // A new made-up address each time did not buy a new budget.
    let mut client = Proxied::new(&app, "192.0.2.200");
    assert_eq!(client.log_in("nobody", "spray").await, 429);
}

// ----- 8. HSTS and /metrics -----

#[tokio::test]
async fn hsts_is_sent_when_served_over_https_only() {
    let https = TestApp::spawn_with(WebConfig {
        cookie_secure: true,
        ..WebConfig::default()
    })
    .await;
    let page = https.client().get("/healthz").await;
    let hsts = page.headers.get("strict-transport-security").unwrap();
    assert!(hsts.to_str().unwrap().starts_with("max-age="), "{hsts:?}");
    let plain = TestApp::spawn().await;
    let page = plain.client().get("/healthz").await;
    assert!(page.headers.get("strict-transport-security").is_none());
}

#[tokio::test]
async fn metrics_are_not_public() {
    let off = TestApp::spawn().await;
    assert_eq!(off.client().get("/metrics").await.status, 404);

    let app = TestApp::spawn_with(WebConfig {
        cookie_secure: false,
        metrics_token: Some("scrape-secret-0123456789".into()),
        ..WebConfig::default()
    })
    .await;
    let client = app.client();
    assert_eq!(client.get("/metrics").await.status, 401);
    let scrape = |token: &'static str| {
        client
            .http
            .get(format!("{}/metrics", app.base))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(scrape("wrong-secret").await.unwrap().status(), 401);
    let ok = scrape("scrape-secret-0123456789").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok
        .text()
        .await
        .unwrap()
        .contains("bluelamp_http_requests_total"));
    // A staff API token is not a metrics token.
    let admin = app.logged_in("admin").await;
    let token = admin.new_api_token("ops", &["read", "admin"]).await;
    let status = client
        .http
        .get(format!("{}/metrics", app.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}
