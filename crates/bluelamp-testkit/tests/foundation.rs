//! The foundation, end to end: a real server on a random port, spoken to over
//! HTTP like a user and an API client would.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::{demo_password, TestApp};
use serde_json::json;

#[tokio::test]
async fn health_readiness_metrics_and_openapi_answer() {
    // /metrics is off unless a scrape token is configured (hardening_auth.rs).
    let app = TestApp::spawn_with(bluelamp_web::WebConfig {
        cookie_secure: false,
        metrics_token: Some("scrape-token-for-tests".into()),
        ..bluelamp_web::WebConfig::default()
    })
    .await;
    let client = app.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.headers["x-content-type-options"], "nosniff");
    assert!(health.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert!(health.headers.contains_key("referrer-policy"));
    assert_eq!(client.get("/readyz").await.status, 200);
    let metrics = client
        .http
        .get(format!("{}/metrics", app.base))
        .header("authorization", "Bearer scrape-token-for-tests")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("bluelamp_http_requests_total"),
        "{metrics}"
    );
    let spec = client.get("/api/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/accounts"].is_object());
}

#[tokio::test]
async fn an_officer_cannot_manage_users_or_accounts() {
    let app = TestApp::spawn().await;
    let officer = app.logged_in("pc.morgan").await;
    let page = officer.get("/staff/users").await;
    assert_eq!(page.status, 403);
    assert!(
        page.body
            .contains("Your role (officer) may not manage staff users"),
        "{}",
        page.body
    );
    let token = officer.new_api_token("phone", &["read", "write"]).await;
    let refused = officer
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"handle": "mine", "display_name": "Mine", "kind": "personal"})),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["error"], "forbidden");
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("manage public accounts"));
    let refused = officer
        .api("POST", "/api/v1/users", Some(&token), Some(json!({"username": "x.y.z", "display_name": "X", "role": "officer", "password": "a long enough password"})))
        .await;
    assert_eq!(refused.status, 403);
    // An officer cannot mint an admin token either.
    let page = officer
        .submit(
            "/staff/settings",
            "/staff/tokens",
            &[("name", "root"), ("admin", "true")],
        )
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn a_partner_sees_nothing_that_was_not_referred_to_them() {
    let app = TestApp::spawn().await;
    let partner = app.logged_in("partner.council").await;
    let home = partner.get("/staff").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Referrals to you"));
    for path in [
        "/staff/accounts",
        "/staff/users",
        "/staff/audit",
        "/staff/accounts/1",
    ] {
        let page = partner.get(path).await;
        assert_eq!(page.status, 403, "{path} must be refused to a partner");
        assert!(
            page.body.contains("Your role (partner) may not"),
            "{path}: {}",
            page.body
        );
    }
    let token = partner.new_api_token("partner", &["read"]).await;
    for path in ["/api/v1/accounts", "/api/v1/audit", "/api/v1/users"] {
        let answer = partner.api("GET", path, Some(&token), None).await;
        assert_eq!(answer.status, 403, "{path}");
        assert!(answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("partner"));
    }
}

#[tokio::test]
async fn nobody_posts_before_acknowledging_the_current_policy_and_a_new_version_asks_again() {
    let app = TestApp::spawn().await;
    let officer = app.logged_in("pc.morgan").await;
    let token = officer.new_api_token("phone", &["read", "write"]).await;
    let accounts = officer
        .api("GET", "/api/v1/accounts", Some(&token), None)
        .await
        .json();
    let beat = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "pcmorgan")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let post = |text: &'static str| {
        let officer = &officer;
        let token = token.clone();
        async move {
            officer
                .api(
                    "POST",
                    &format!("/api/v1/accounts/{beat}/posts"),
                    Some(&token),
                    Some(json!({"text": text})),
                )
                .await
        }
    };
    let refused = post("Out on foot patrol in Harbourside this morning.").await;
    assert_eq!(refused.status, 403);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("acknowledge the force's social-media policy (version 1)"));
    let home = officer.get("/staff").await;
    assert!(home.body.contains("policy-needed"));

    let ack = officer
        .submit(
            "/staff/policy",
            "/staff/policy/acknowledge",
            &[("version", "1"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(ack.status, 303, "{}", ack.body);
    let published = post("Out on foot patrol in Harbourside this morning.").await;
    assert_eq!(published.status, 201, "{}", published.body);

    // The force publishes version 2: everyone is asked again.
    let comms = app.logged_in("comms.lewis").await;
    let v2 = comms
        .submit(
            "/staff/policy",
            "/staff/policy/publish",
            &[
                ("title", "Social media policy"),
                ("body", "Version two: be kind, be careful."),
            ],
        )
        .await;
    assert_eq!(v2.status, 303, "{}", v2.body);
    let refused = post("Another patrol.").await;
    assert_eq!(refused.status, 403);
    assert!(refused.json()["detail"]
        .as_str()
        .unwrap()
        .contains("version 2"));
    // Acknowledging an out-of-date version is refused with a clear reason.
    let stale = officer
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(stale.status, 409);
    let fresh = officer
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&token),
            Some(json!({"version": 2})),
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    let accepted = post("Another patrol.").await;
    assert_eq!(accepted.status, 201);
    // PC Morgan may post but not without approval: it waits in the queue, not in public.
    assert_eq!(accepted.json()["post"]["status"], "pending");
    let public = app.client().get("/forces/demo/accounts/pcmorgan").await;
    assert!(!public.body.contains("Another patrol."));
}

#[tokio::test]
async fn a_collective_post_carries_its_author_signature() {
    let app = TestApp::spawn().await;
    let chief = app.logged_in("chief.admin").await;
    let token = chief.new_api_token("chiefs", &["read", "write"]).await;
    let accounts = chief
        .api("GET", "/api/v1/accounts", Some(&token), None)
        .await
        .json();
    let chiefs = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "chiefofficers")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let post = chief
        .api(
            "POST",
            &format!("/api/v1/accounts/{chiefs}/posts"),
            Some(&token),
            Some(json!({"text": "Proud of our officers today."})),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    assert_eq!(
        post.json()["post"]["body"],
        "ACC DA: Proud of our officers today."
    );
    assert_eq!(
        post.json()["post"]["status"],
        "published",
        "chief.admin posts without approval"
    );
    let audit = chief
        .api(
            "GET",
            "/api/v1/audit?action=post.publish",
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(audit[0]["actor_label"], "chief.admin");
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_nothing_is_half_written() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let token = admin
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    // Malformed JSON: 400 naming the field.
    let missing = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"display_name": "X", "kind": "unit"})),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.json()["detail"]
            .as_str()
            .unwrap()
            .contains("handle"),
        "{}",
        missing.body
    );
    let wrong_type = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"handle": 5, "display_name": "X", "kind": "unit"})),
        )
        .await;
    assert_eq!(wrong_type.status, 400);
    assert!(
        wrong_type.json()["detail"]
            .as_str()
            .unwrap()
            .contains("'handle'"),
        "{}",
        wrong_type.body
    );
    let bad_kind = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"handle": "heli", "display_name": "X", "kind": "blimp"})),
        )
        .await;
    assert_eq!(bad_kind.status, 400);
    assert!(bad_kind.json()["detail"].as_str().unwrap().contains("kind"));
    // Oversized body: 413.
    let huge = "x".repeat(2 * 1024 * 1024);
    let too_big = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(json!({"handle": "big", "display_name": huge, "kind": "unit"})),
        )
        .await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    // Unknown force and account: 404.
    assert_eq!(app.client().get("/forces/atlantis").await.status, 404);
    assert_eq!(
        app.client()
            .get("/forces/demo/accounts/nobody")
            .await
            .status,
        404
    );
    assert_eq!(
        admin
            .api("GET", "/api/v1/accounts/99999", Some(&token), None)
            .await
            .status,
        404
    );
    // Duplicate handle: 409, and the account list is unchanged.
    let before = admin
        .api("GET", "/api/v1/accounts", Some(&token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    let duplicate = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(
                json!({"handle": "DemoConstabulary", "display_name": "Copy", "kind": "corporate"}),
            ),
        )
        .await;
    assert_eq!(duplicate.status, 409);
    assert!(duplicate.json()["detail"]
        .as_str()
        .unwrap()
        .contains("already used"));
    let after = admin
        .api("GET", "/api/v1/accounts", Some(&token), None)
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
    let audit = admin
        .api(
            "GET",
            "/api/v1/audit?action=account.create",
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        audit.as_array().unwrap().len(),
        3,
        "only the three demo accounts were created"
    );
    // A good account goes through and is audited.
    let created = admin
        .api(
            "POST",
            "/api/v1/accounts",
            Some(&token),
            Some(
                json!({"handle": "npas_heli", "display_name": "Police helicopter", "kind": "unit"}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    // Not JSON at all.
    let not_json = admin
        .http
        .post(format!("{}/api/v1/accounts", admin.base))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    // Unknown API path: JSON 404; unknown page: HTML 404.
    let api_404 = admin
        .api("GET", "/api/v1/nothing", Some(&token), None)
        .await;
    assert_eq!(api_404.status, 404);
    assert_eq!(api_404.json()["error"], "not_found");
    let page_404 = app.client().get("/no/such/page").await;
    assert_eq!(page_404.status, 404);
    assert!(page_404.body.contains("<h1>Page not found</h1>"));
}

#[tokio::test]
async fn staff_forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let forged = admin
        .post_form(
            "/staff/accounts",
            &[
                ("handle", "forged"),
                ("display_name", "Forged"),
                ("kind", "unit"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let forged = admin
        .post_form(
            "/staff/accounts",
            &[
                ("handle", "forged"),
                ("display_name", "Forged"),
                ("kind", "unit"),
                ("csrf", "guess"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let real = admin
        .submit(
            "/staff/accounts",
            "/staff/accounts",
            &[
                ("handle", "realone"),
                ("display_name", "Real"),
                ("kind", "unit"),
            ],
        )
        .await;
    assert_eq!(real.status, 303);
    // A login form without its token is refused too.
    let login = app
        .client()
        .post_form(
            "/login",
            &[
                ("username", "chief.admin"),
                ("password", demo_password("chief.admin")),
            ],
        )
        .await;
    assert_eq!(login.status, 403);
}

#[tokio::test]
async fn staff_of_one_force_never_see_another_force() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("admin").await;
    let token = admin
        .new_api_token("server", &["read", "write", "admin"])
        .await;
    let force = admin.api("POST", "/api/v1/forces", Some(&token), Some(json!({"code": "north", "name": "Northshire Police", "domain": "police.north.test"}))).await;
    assert_eq!(force.status, 201, "{}", force.body);
    let user = admin.api("POST", "/api/v1/users", Some(&token), Some(json!({"username": "north.admin", "display_name": "North Admin", "role": "force-admin", "password": "northern lights policing", "force": "north"}))).await;
    assert_eq!(user.status, 201, "{}", user.body);
    let north = app.client();
    assert_eq!(
        north
            .log_in("north.admin", "northern lights policing")
            .await
            .status,
        303
    );
    let north_token = north.new_api_token("north", &["read", "write"]).await;
    let accounts = north
        .api("GET", "/api/v1/accounts", Some(&north_token), None)
        .await
        .json();
    assert_eq!(accounts.as_array().unwrap().len(), 0);
    assert_eq!(
        north
            .api("GET", "/api/v1/accounts/1", Some(&north_token), None)
            .await
            .status,
        404
    );
    let forces = north
        .api("GET", "/api/v1/forces", Some(&north_token), None)
        .await
        .json();
    assert_eq!(forces.as_array().unwrap().len(), 1);
    assert_eq!(forces[0]["code"], "north");
    // The force code is taken now.
    let again = admin
        .api(
            "POST",
            "/api/v1/forces",
            Some(&token),
            Some(json!({"code": "north", "name": "Again", "domain": "other.test"})),
        )
        .await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn the_governance_check_answers_over_the_api() {
    let app = TestApp::spawn().await;
    let officer = app.logged_in("pc.morgan").await;
    let token = officer.new_api_token("phone", &["read"]).await;
    let report = officer
        .api("POST", "/api/v1/check", Some(&token), Some(json!({"text": "Man, 45, arrested on suspicion of burglary, remains in custody.", "context": {"kind": "update", "case_status": "arrested"}})))
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.json()["decision"].is_string());
    let bad = officer
        .api(
            "POST",
            "/api/v1/check",
            Some(&token),
            Some(json!({"text": "x", "channels": ["myspace"]})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["detail"].as_str().unwrap().contains("channels"),
        "{}",
        bad.body
    );
    let not_utf8 = officer
        .http
        .post(format!("{}/api/v1/check", officer.base))
        .header("authorization", format!("Bearer {token}"))
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .unwrap();
    assert_eq!(not_utf8.status(), 400);
    assert_eq!(
        app.client()
            .api("POST", "/api/v1/check", None, Some(json!({"text": "x"})))
            .await
            .status,
        401
    );
}
