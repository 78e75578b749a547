//! Who may read the figures and start campaigns (refusals by role, scope and
//! force), and replies from the public counted as amplification.

#![allow(clippy::unwrap_used)]

use bluelamp_services::analytics::count;
use bluelamp_services::Staff;
use bluelamp_testkit::TestApp;
use serde_json::json;

/// North, shown in the national view, with a comms officer.
async fn north_with_comms(app: &TestApp) {
    app.add_force("north", "North Constabulary").await;
    bluelamp_services::users::add_user(
        &app.store,
        &Staff::command_line(),
        &bluelamp_services::users::AddUser {
            username: "north.comms".into(),
            display_name: "North comms".into(),
            role: "comms".into(),
            password: "a long test password 2026".into(),
            force: Some("north".into()),
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn roles_scopes_and_other_forces_are_refused() {
    let app = TestApp::spawn().await;
    north_with_comms(&app).await;
    let north = app.client();
    north
        .log_in("north.comms", "a long test password 2026")
        .await;
    let north_token = north.new_api_token("n", &["read", "write"]).await;
    let now = time::OffsetDateTime::now_utc();
    let at = |hours: i64| bluelamp_store::format_time(now + time::Duration::hours(hours));
    let body = json!({"tag": "#NorthOnly", "title": "North's own day", "starts_at": at(0), "ends_at": at(5)});
    let made = north
        .api(
            "POST",
            "/api/v1/campaigns",
            Some(&north_token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_i64().unwrap();

    // Another force's own campaign does not exist for the demo force.
    let chief = app.logged_in("chief.admin").await;
    let write = chief.new_api_token("w", &["read", "write"]).await;
    assert_eq!(
        chief
            .api(
                "GET",
                &format!("/api/v1/campaigns/{id}"),
                Some(&write),
                None
            )
            .await
            .status,
        404
    );
    assert_eq!(
        chief
            .api(
                "POST",
                &format!("/api/v1/campaigns/{id}/join"),
                Some(&write),
                None
            )
            .await
            .status,
        404
    );
    assert_eq!(
        chief
            .get(&format!("/staff/campaigns/{id}/live"))
            .await
            .status,
        404
    );
    // A read-only token may not start one; nor may an analyst, whatever the token.
    let read = chief.new_api_token("r", &["read"]).await;
    assert_eq!(
        chief
            .api("POST", "/api/v1/campaigns", Some(&read), Some(body.clone()))
            .await
            .status,
        403
    );
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("a", &["read"]).await;
    assert_eq!(
        analyst
            .api(
                "POST",
                "/api/v1/campaigns",
                Some(&analyst_token),
                Some(body)
            )
            .await
            .status,
        403
    );
    assert_eq!(
        analyst
            .api(
                "GET",
                "/api/v1/analytics/audience",
                Some(&analyst_token),
                None
            )
            .await
            .status,
        200
    );
    // Officers see their own profile and campaigns, not the force's figures;
    // partners see none of it.
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    assert_eq!(
        officer
            .api(
                "GET",
                "/api/v1/analytics/audience",
                Some(&officer_token),
                None
            )
            .await
            .status,
        403
    );
    assert_eq!(
        officer
            .api("GET", "/api/v1/campaigns", Some(&officer_token), None)
            .await
            .status,
        200
    );
    let partner = app.logged_in("partner.council").await;
    let partner_token = partner.new_api_token("p", &["read"]).await;
    for path in [
        "/api/v1/analytics/audience",
        "/api/v1/analytics/responses",
        "/api/v1/campaigns",
    ] {
        assert_eq!(
            partner
                .api("GET", path, Some(&partner_token), None)
                .await
                .status,
            403,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_reply_from_the_public_counts_as_amplification_once() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let post = sergeant
        .compose(&token, beat, "Lost cat found near the lifeboat station.")
        .await["post"]["id"]
        .as_i64()
        .unwrap();
    let admin = app.logged_in("chief.admin").await;
    let connector = admin.new_api_token("inbound", &["inbound"]).await;
    let reply = json!({"messages": [{
        "channel": "fediverse",
        "external_id": "https://social.example/notes/1",
        "author": {"handle": "@alys@social.example", "url": "https://social.example/users/alys"},
        "text": "That's our Mittens! Thank you so much.",
        "reply_to": format!("https://localhost/users/pcmorgan/posts/{post}")
    }]});
    let sent = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(reply.clone()),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    count::count_all(&app.store).await.unwrap();
    // The connector sends it again: the same message, counted once.
    admin
        .api("POST", "/api/v1/inbound", Some(&connector), Some(reply))
        .await;
    count::count_all(&app.store).await.unwrap();

    let amp = sergeant
        .api(
            "GET",
            &format!("/api/v1/analytics/posts/{post}/amplifiers"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(amp["replies"].as_array().map(Vec::len), Some(1), "{amp}");
    assert_eq!(
        amp["replies"][0]["who"], "https://social.example/users/alys",
        "{amp}"
    );
    assert_eq!(amp["replies"][0]["channel"], "fediverse", "{amp}");
    let top = sergeant
        .api(
            "GET",
            &format!("/api/v1/analytics/accounts/{beat}/amplifiers"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        top["amplifiers"][0]["actor_id"], "https://social.example/users/alys",
        "{top}"
    );
    assert_eq!(top["amplifiers"][0]["replies"], 1, "{top}");
    let page = sergeant.get(&format!("/staff/posts/{post}")).await;
    assert!(
        page.body.contains("@alys@social.example on fediverse"),
        "{}",
        page.body
    );
}
