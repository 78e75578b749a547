//! Client apps (the Mastodon-compatible API): an officer logs an app in through
//! our own login and consent, and the OAuth flow refuses what it must.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::apps::*;
use bluelamp_testkit::{demo_password, TestApp};
use serde_json::json;

#[tokio::test]
async fn an_officer_logs_an_app_in_through_consent_and_the_flow_refuses_what_it_must() {
    let app = TestApp::spawn().await;
    let anonymous = app.client();
    // Clients read the instance first, with or without a trailing slash.
    for path in ["/api/v1/instance", "/api/v1/instance/", "/api/v2/instance/"] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        let body = page.json();
        assert!(body["version"].as_str().unwrap().starts_with("4.3.0"));
        assert_eq!(body["configuration"]["statuses"]["max_characters"], 500);
        assert_eq!(
            body["configuration"]["statuses"]["characters_reserved_per_url"],
            23
        );
    }
    assert!(anonymous.get("/api/v1/instance").await.json()["urls"]["streaming_api"].is_string());
    assert_eq!(
        anonymous.get("/api/v2/instance").await.json()["api_versions"]["mastodon"],
        2
    );
    let metadata = anonymous
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert!(!metadata["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));

    // Registration: form and JSON alike; a script URI is refused.
    let registered = anonymous
        .post_form(
            "/api/v1/apps",
            &[
                ("client_name", "Form app"),
                ("redirect_uris", OOB),
                ("scopes", "read write"),
            ],
        )
        .await;
    assert_eq!(registered.status, 200, "{}", registered.body);
    let bad = anonymous
        .api(
            "POST",
            "/api/v1/apps",
            None,
            Some(json!({"client_name": "Evil", "redirect_uris": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.json()["error"].as_str().unwrap().contains("redirect"));

    // Not logged in: the consent page sends the officer to log in, then back.
    let browser = app.client();
    let (id, secret) = register(&browser, "read write").await;
    let query = authorize_query(&id, "read write", "");
    let first = browser.get(&format!("/oauth/authorize/?{query}")).await;
    assert_eq!(first.location(), Some("/login"), "{}", first.body);
    let login = browser
        .log_in("sgt.evans", demo_password("sgt.evans"))
        .await;
    assert_eq!(login.status, 303);
    assert!(
        login.location().unwrap().starts_with("/oauth/authorize?"),
        "{:?}",
        login.location()
    );
    let page = browser.get(login.location().unwrap()).await;
    assert!(
        page.body.contains("(@pcmorgan)") && page.body.contains("(@"),
        "the sergeant chooses among the accounts they post to"
    );
    let code = consent(&browser, &query, "pcmorgan").await;

    // A wrong secret, then the right one; the code works once.
    let wrong = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", "nope"),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(wrong.0, 401, "{}", wrong.1);
    assert_eq!(wrong.1["error"], "invalid_client");
    let code = consent(&browser, &query, "pcmorgan").await;
    let good = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(good.0, 200, "{}", good.1);
    assert_eq!(good.1["token_type"], "Bearer");
    let replay = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("client_secret", &secret),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(replay.0, 400);
    assert_eq!(replay.1["error"], "invalid_grant");
    let password = exchange(
        &browser,
        &[
            ("grant_type", "password"),
            ("username", "sgt.evans"),
            ("password", demo_password("sgt.evans")),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(password.1["error"], "unsupported_grant_type");

    // The token acts as the chosen account and is listed on the settings page.
    let token = good.1["access_token"].as_str().unwrap().to_string();
    let me = browser
        .api(
            "GET",
            "/api/v1/accounts/verify_credentials",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["username"], "pcmorgan");
    assert!(me.json()["source"].is_object());
    let settings = browser.get("/staff/settings").await;
    assert!(
        settings.body.contains("Test app (app) as @pcmorgan"),
        "{}",
        settings.body
    );

    // PKCE: a wrong verifier is refused; the right one needs no secret.
    let verifier = "a-very-long-verifier-string-of-at-least-forty-three-characters-1234";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let pkce_query = authorize_query(
        &id,
        "read",
        &format!("&code_challenge={challenge}&code_challenge_method=S256"),
    );
    let code = consent(&browser, &pkce_query, "pcmorgan").await;
    let bad_verifier = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            (
                "code_verifier",
                "wrong-wrong-wrong-wrong-wrong-wrong-wrong-wrong",
            ),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(
        bad_verifier.1["error"], "invalid_grant",
        "{}",
        bad_verifier.1
    );
    let code = consent(&browser, &pkce_query, "pcmorgan").await;
    let pkce = exchange(
        &browser,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &id),
            ("code_verifier", verifier),
            ("redirect_uri", OOB),
        ],
    )
    .await;
    assert_eq!(pkce.0, 200, "{}", pkce.1);
    assert_eq!(pkce.1["scope"], "read");

    // The app's own token reads the app, not a person's account.
    let own = exchange(
        &browser,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(own.0, 200, "{}", own.1);
    let app_token = own.1["access_token"].as_str().unwrap();
    let verified = browser
        .api(
            "GET",
            "/api/v1/apps/verify_credentials",
            Some(app_token),
            None,
        )
        .await;
    assert_eq!(verified.json()["name"], "Test app");
    let as_person = browser
        .api(
            "GET",
            "/api/v1/accounts/verify_credentials",
            Some(app_token),
            None,
        )
        .await;
    assert_eq!(as_person.status, 422, "{}", as_person.body);

    // Revoked tokens stop at once.
    let revoked = browser
        .post_form(
            "/oauth/revoke",
            &[
                ("client_id", &id),
                ("client_secret", &secret),
                ("token", &token),
            ],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let after = browser
        .api(
            "GET",
            "/api/v1/accounts/verify_credentials",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(after.status, 401);
    assert_eq!(after.json()["error"], "The access token is invalid");

    // An analyst reads but does not post: an app asking to write is refused at consent.
    let analyst = app.logged_in("analyst.price").await;
    let (analyst_app, _) = register(&analyst, "read write").await;
    let refused = analyst
        .get(&format!(
            "/oauth/authorize?{}",
            authorize_query(&analyst_app, "read write", "")
        ))
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("does not post"), "{}", refused.body);
}
