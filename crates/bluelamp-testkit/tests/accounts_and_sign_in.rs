//! Signing in and staying signed in, end to end: generic login failures and
//! lockout, disabled users, scoped API tokens, TOTP second factors, password
//! changes and forces that require a second factor.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::{demo_password, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_wrong_password_gets_one_generic_message_and_counts_toward_lockout() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let unknown = client.log_in("nobody.here", "whatever-password").await;
    let wrong = client.log_in("pc.morgan", "not-the-password").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    let message = "Wrong username or password.";
    assert!(unknown.body.contains(message) && wrong.body.contains(message));
    for _ in 0..4 {
        assert_eq!(
            client.log_in("pc.morgan", "not-the-password").await.status,
            401
        );
    }
    // Five failures in a row: now even the right password is refused for a while.
    let locked = client.log_in("pc.morgan", demo_password("pc.morgan")).await;
    assert_eq!(locked.status, 401, "a locked account must not log in");
    // Another user is unaffected.
    assert_eq!(
        client
            .log_in("sgt.evans", demo_password("sgt.evans"))
            .await
            .status,
        303
    );
    let admin = app.logged_in("chief.admin").await;
    let audit = admin
        .get("/staff/audit?action=login.failed&actor=pc.morgan")
        .await;
    assert_eq!(audit.status, 200);
    assert!(
        audit.body.matches("login.failed").count() >= 6,
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_their_history_stays() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let officer = app.logged_in("pc.morgan").await;
    let users = admin.get("/staff/users").await;
    let id = bluelamp_testkit::extract_between(&users.body, "/staff/users/", "/disable\"")
        .into_iter()
        .next()
        .unwrap();
    // Find pc.morgan's row id through the API instead of guessing from the page.
    let token = admin
        .new_api_token("admin script", &["read", "admin"])
        .await;
    let list = admin
        .api("GET", "/api/v1/users", Some(&token), None)
        .await
        .json();
    let morgan = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "pc.morgan")
        .unwrap();
    let morgan_id = morgan["id"].as_i64().unwrap();
    assert!(!id.is_empty());
    let disabled = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{morgan_id}/disable"),
            &[],
        )
        .await;
    assert_eq!(disabled.status, 303);
    // Their live session ends and they cannot log in again.
    assert_eq!(officer.get("/staff").await.status, 303);
    assert_eq!(
        app.client()
            .log_in("pc.morgan", demo_password("pc.morgan"))
            .await
            .status,
        401
    );
    let audit = admin.get("/staff/audit?action=user.disable").await;
    assert!(audit.body.contains("user.disable"));
    let list = admin
        .api("GET", "/api/v1/users", Some(&token), None)
        .await
        .json();
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "pc.morgan" && u["disabled"] == true));
}

#[tokio::test]
async fn api_tokens_are_scoped_and_revocable() {
    let app = TestApp::spawn().await;
    let comms = app.logged_in("comms.lewis").await;
    let read_only = comms.new_api_token("dashboard", &["read"]).await;
    assert!(read_only.starts_with("bl_"));
    let me = comms.api("GET", "/api/v1/me", Some(&read_only), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "comms.lewis");
    let write = comms
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&read_only),
            Some(json!({"handle": "newone", "display_name": "New", "kind": "unit"})),
        )
        .await;
    assert_eq!(write.status, 403);
    assert!(write.json()["detail"]
        .as_str()
        .unwrap()
        .contains("'write' scope"));
    let tokens = comms
        .api("GET", "/api/v1/tokens", Some(&read_only), None)
        .await
        .json();
    let id = tokens[0]["id"].as_i64().unwrap();
    assert!(
        tokens[0].get("token_hash").is_none(),
        "hashes never leave the server"
    );
    let revoke = comms
        .submit(
            "/staff/settings",
            &format!("/staff/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoke.status, 303);
    assert_eq!(
        comms
            .api("GET", "/api/v1/me", Some(&read_only), None)
            .await
            .status,
        401
    );
    assert_eq!(
        comms
            .api("GET", "/api/v1/me", Some("bl_made_up"), None)
            .await
            .status,
        401
    );
    assert_eq!(
        comms.api("GET", "/api/v1/me", None, None).await.status,
        200,
        "the session cookie also reads the API"
    );
    // With a session cookie, a write must carry the CSRF header.
    let no_header = comms
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            None,
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(no_header.status, 403);
}

#[tokio::test]
async fn a_user_with_totp_needs_their_code_to_log_in() {
    let app = TestApp::spawn().await;
    let supervisor = app.logged_in("sgt.evans").await;
    let page = supervisor.get("/staff/totp").await;
    let secret = bluelamp_testkit::extract_between(&page.body, "id=\"totp-secret\">", "<").unwrap();
    let wrong = supervisor
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[
                ("secret", &secret),
                ("code", "12345x"),
                ("current_password", demo_password("sgt.evans")),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let code = bluelamp_services::auth::totp_current_code(&secret).unwrap();
    let enabled = supervisor
        .submit(
            "/staff/totp",
            "/staff/totp",
            &[
                ("secret", &secret),
                ("code", &code),
                ("current_password", demo_password("sgt.evans")),
            ],
        )
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);

    let fresh = app.client();
    let login = fresh.log_in("sgt.evans", demo_password("sgt.evans")).await;
    assert_eq!(login.location(), Some("/login/totp"));
    // Half logged in is not logged in.
    assert_eq!(fresh.get("/staff").await.location(), Some("/login/totp"));
    let code_page = fresh.get("/login/totp").await;
    let csrf = code_page.csrf();
    let bad = fresh
        .post_form("/login/totp", &[("code", "000001"), ("csrf", &csrf)])
        .await;
    assert_eq!(bad.status, 401);
    // The code that confirmed enrolment was used once; the next one logs in.
    let code = bluelamp_services::auth::totp_next_code(&secret).unwrap();
    let good = fresh
        .post_form("/login/totp", &[("code", &code), ("csrf", &csrf)])
        .await;
    assert_eq!(good.location(), Some("/staff"));
    assert_eq!(fresh.get("/staff").await.status, 200);
}

#[tokio::test]
async fn a_password_change_needs_the_old_password_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let phone = app.logged_in("pc.morgan").await;
    let desk = app.logged_in("pc.morgan").await;
    let wrong = desk
        .submit(
            "/staff/settings",
            "/staff/settings/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let weak = desk
        .submit(
            "/staff/settings",
            "/staff/settings/password",
            &[
                ("current_password", demo_password("pc.morgan")),
                ("new_password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("at least 12 characters"));
    let changed = desk
        .submit(
            "/staff/settings",
            "/staff/settings/password",
            &[
                ("current_password", demo_password("pc.morgan")),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(desk.get("/staff").await.status, 200, "this session stays");
    assert_eq!(
        phone.get("/staff").await.location(),
        Some("/login"),
        "other sessions end"
    );
    assert_eq!(
        app.client()
            .log_in("pc.morgan", demo_password("pc.morgan"))
            .await
            .status,
        401
    );
    assert_eq!(
        app.client()
            .log_in("pc.morgan", "a brand new passphrase")
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn a_force_that_requires_a_second_factor_sends_its_staff_to_enrol_first() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("admin").await;
    let token = admin.new_api_token("server", &["read", "admin"]).await;
    let force = admin.api("POST", "/api/v1/forces", Some(&token), Some(json!({"code": "strict", "name": "Strict Police", "domain": "strict.test", "settings": {"require_totp": true}}))).await;
    assert_eq!(force.status, 201, "{}", force.body);
    let user = admin.api("POST", "/api/v1/users", Some(&token), Some(json!({"username": "strict.officer", "display_name": "Strict Officer", "role": "officer", "password": "strictly a long password", "force": "strict"}))).await;
    assert_eq!(user.status, 201, "{}", user.body);
    let officer = app.client();
    assert_eq!(
        officer
            .log_in("strict.officer", "strictly a long password")
            .await
            .status,
        303
    );
    assert_eq!(officer.get("/staff").await.location(), Some("/staff/totp"));
    assert_eq!(
        officer.get("/staff/accounts").await.location(),
        Some("/staff/totp")
    );
    let page = officer.get("/staff/totp").await;
    assert!(page.body.contains("Your force requires two-factor login"));
    let secret = bluelamp_testkit::extract_between(&page.body, "id=\"totp-secret\">", "<").unwrap();
    let code = bluelamp_services::auth::totp_current_code(&secret).unwrap();
    let enrolled = officer
        .post_form(
            "/staff/totp",
            &[
                ("secret", &secret),
                ("code", &code),
                ("current_password", "strictly a long password"),
                ("csrf", &page.csrf()),
            ],
        )
        .await;
    assert_eq!(enrolled.status, 303, "{}", enrolled.body);
    assert_eq!(officer.get("/staff").await.status, 200);
}
