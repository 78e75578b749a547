//! Statuses from apps go through the governance check; bad input, weaker tokens
//! and another force are answered as Mastodon answers them.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::apps::*;
use bluelamp_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn statuses_go_through_the_check_and_bad_input_is_answered_as_mastodon_answers() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let token = app_token(&app, "sgt.evans", "pcmorgan", "read write").await;

    // Published, held (422 with the reason; the draft waits in the queue), refused.
    let (status, published) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", "The harbour path is open again.")],
        None,
    )
    .await;
    assert_eq!(status, 200, "{published}");
    let id = published["id"].as_str().unwrap().to_string();
    assert!(
        published.get("scheduled_at").is_none(),
        "a Status is not a ScheduledStatus"
    );
    assert_eq!(published["account"]["username"], "pcmorgan");
    let (status, held) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", HELD)],
        None,
    )
    .await;
    assert_eq!(status, 422, "{held}");
    assert!(
        held["error"]
            .as_str()
            .unwrap()
            .starts_with("Held for approval by a supervisor: "),
        "{held}"
    );
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let queue = sergeant
        .api(
            "GET",
            "/api/v1/posts?status=pending",
            Some(&sergeant_token),
            None,
        )
        .await;
    assert!(
        queue.body.contains("07700 900123"),
        "the held draft waits in the queue: {}",
        queue.body
    );
    let (status, refused) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", REFUSED)],
        None,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("Remove the name"),
        "{refused}"
    );

    // Idempotency-Key: the same request answers the same status; a different one is refused.
    let key = "3f8a0c1e-key";
    let (_, first) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", "Station open day on Saturday.")],
        Some(key),
    )
    .await;
    let (status, again) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", "Station open day on Saturday.")],
        Some(key),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first["id"], again["id"], "one post for one key");
    let (status, other) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", "Something else entirely.")],
        Some(key),
    )
    .await;
    assert_eq!(status, 422, "{other}");

    // Bad input, each a 422 with {"error"}.
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::minutes(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let long = "word ".repeat(101);
    let url_heavy = format!(
        "{} {}",
        "https://example.org/".to_string() + &"x".repeat(300),
        "y".repeat(470)
    );
    for (fields, says) in [
        (
            vec![("status", "Later."), ("scheduled_at", soon.as_str())],
            "5 minutes",
        ),
        (vec![("status", long.as_str())], "character limit"),
        (
            vec![("status", "Photo."), ("media_ids[]", "999999")],
            "not found",
        ),
        (
            vec![("status", "Reply."), ("in_reply_to_id", "999999")],
            "not found",
        ),
        (
            vec![("status", "Quiet."), ("visibility", "direct")],
            "publicly",
        ),
        (vec![("status", "")], "blank"),
    ] {
        let (status, body) = form(&client, "/api/v1/statuses", &token, &fields, None).await;
        assert_eq!(status, 422, "{fields:?}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{fields:?}: {body}"
        );
    }
    // A link counts as 23 characters, as the instance says: this fits.
    let (status, body) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", url_heavy.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Scheduled far enough ahead: a ScheduledStatus, listed and cancellable.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, scheduled) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[
            ("status", "Beat surgery at the library tonight."),
            ("scheduled_at", later.as_str()),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");
    assert!(scheduled["scheduled_at"].is_string());
    let sid = scheduled["id"].as_str().unwrap();
    let listed = client
        .api("GET", "/api/v1/scheduled_statuses", Some(&token), None)
        .await
        .json();
    assert!(listed.as_array().unwrap().iter().any(|s| s["id"] == sid));
    let cancelled = client
        .api(
            "DELETE",
            &format!("/api/v1/scheduled_statuses/{sid}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(
        client
            .api(
                "GET",
                &format!("/api/v1/scheduled_statuses/{sid}"),
                Some(&token),
                None
            )
            .await
            .status,
        404
    );

    // Paging: a Link header to older statuses.
    let page = client
        .api("GET", "/api/v1/timelines/home?limit=1", Some(&token), None)
        .await;
    assert_eq!(page.json().as_array().unwrap().len(), 1);
    let link = page
        .headers
        .get("link")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        link.contains("rel=\"next\"") && link.contains("max_id="),
        "{link}"
    );

    // Tokens: none or wrong (401), too weak (403), a connector's (403).
    let none = client
        .api("GET", "/api/v1/timelines/home", None, None)
        .await;
    assert_eq!(none.status, 401);
    assert_eq!(none.json()["error"], "The access token is invalid");
    assert_eq!(
        client
            .api("GET", "/api/v1/timelines/home", Some("bl_wrong"), None)
            .await
            .status,
        401
    );
    let reader = app_token(&app, "sgt.evans", "pcmorgan", "read").await;
    let (status, body) = form(
        &client,
        "/api/v1/statuses",
        &reader,
        &[("status", "Hello")],
        None,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"],
        "This action is outside the authorized scopes"
    );
    let narrow = app_token(&app, "sgt.evans", "pcmorgan", "read:statuses write:media").await;
    assert_eq!(
        client
            .api("GET", "/api/v1/timelines/home", Some(&narrow), None)
            .await
            .status,
        200
    );
    let (status, _) = form(
        &client,
        "/api/v1/statuses",
        &narrow,
        &[("status", "Hello")],
        None,
    )
    .await;
    assert_eq!(status, 403, "write:media does not post");

    // Media: another officer's upload can be neither used nor read.
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let upload = officer
        .upload(
            &officer_token,
            beat,
            "photo.jpg",
            bluelamp_testkit::fixtures::photo_with_gps(),
        )
        .await;
    assert_eq!(upload.status, 201, "{}", upload.body);
    let theirs = upload.json()["id"].as_i64().unwrap().to_string();
    let (status, body) = form(
        &client,
        "/api/v1/statuses",
        &token,
        &[("status", "Look."), ("media_ids[]", theirs.as_str())],
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        client
            .api(
                "GET",
                &format!("/api/v1/media/{theirs}"),
                Some(&token),
                None
            )
            .await
            .status,
        404
    );
    let put = client
        .api(
            "PUT",
            &format!("/api/v1/media/{theirs}"),
            Some(&token),
            Some(json!({"description": "mine now"})),
        )
        .await;
    assert_eq!(put.status, 404);

    // Another force's officer sees none of this force's statuses.
    let outsider = outsider_token(&app).await;
    for path in [
        format!("/api/v1/statuses/{id}"),
        format!("/api/v1/statuses/{id}/context"),
        format!("/api/v1/accounts/{beat}/statuses"),
    ] {
        let page = client.api("GET", &path, Some(&outsider), None).await;
        assert_eq!(page.status, 404, "{path}: {}", page.body);
        assert_eq!(page.json()["error"], "Record not found");
    }
    assert_eq!(
        client
            .api(
                "DELETE",
                &format!("/api/v1/statuses/{id}"),
                Some(&outsider),
                None
            )
            .await
            .status,
        404
    );

    // Delete answers the deleted status with its text (for "delete and redraft").
    let deleted = client
        .api(
            "DELETE",
            &format!("/api/v1/statuses/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json()["text"], "The harbour path is open again.");
    assert_eq!(
        client
            .api("GET", &format!("/api/v1/statuses/{id}"), Some(&token), None)
            .await
            .status,
        404
    );
}

/// A plain API token of an officer in another force.
async fn outsider_token(app: &TestApp) -> String {
    use bluelamp_services::{forces, users, Staff};
    let cli = Staff::command_line();
    let other = forces::add_force(
        &app.store,
        &cli,
        &forces::AddForce {
            code: "other".into(),
            name: "Other Police".into(),
            domain: "other.test".into(),
            time_zone: "Europe/London".into(),
            logo_url: None,
            settings: Default::default(),
        },
    )
    .await
    .unwrap();
    let mut in_other = Staff::command_line();
    in_other.force_id = Some(other.id);
    users::add_user(
        &app.store,
        &in_other,
        &users::AddUser {
            username: "pc.other".into(),
            display_name: "PC Other".into(),
            role: "officer".into(),
            password: "other-force-password-2026".into(),
            force: Some("other".into()),
        },
    )
    .await
    .unwrap();
    let browser = app.client();
    let login = browser
        .log_in("pc.other", "other-force-password-2026")
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    browser.new_api_token("outsider", &["read", "write"]).await
}
