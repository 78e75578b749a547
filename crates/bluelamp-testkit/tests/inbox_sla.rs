//! Response-time clocks in the inbox: each open message shows how long is left
//! (or how long it is overdue) in the force's time zone; a force sets its office
//! hours and bad hours are refused beside the field.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn open_messages_show_their_clock_in_local_time_and_office_hours_are_validated() {
    let app = TestApp::spawn().await;
    let chief = app.logged_in("chief.admin").await;
    let token = chief
        .new_api_token("admin", &["read", "write", "admin"])
        .await;

    // Bad hours are refused with the field named; nothing changes.
    for bad in ["20:00-08:00", "8-20", "25:00-26:00"] {
        let refused = chief
            .api(
                "PATCH",
                "/api/v1/forces/demo",
                Some(&token),
                Some(json!({"office_hours": bad})),
            )
            .await;
        assert_eq!(refused.status, 400, "{bad}: {}", refused.body);
        assert!(refused.body.contains("office_hours"), "{}", refused.body);
    }
    let set = chief
        .api(
            "PATCH",
            "/api/v1/forces/demo",
            Some(&token),
            Some(json!({"office_hours": "08:00-20:00"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    assert_eq!(set.json()["settings"]["office_hours"], "08:00-20:00");

    // The demo's messages are new: each shows its clock, times in the force's zone.
    let page = chief.get("/staff/inbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Times are Europe/London"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("due in") || page.body.contains("overdue by"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Response clocks run in office hours (08:00-20:00)"));
    assert!(page.body.contains(" GMT") || page.body.contains(" BST"));

    // The settings page keeps a bad value beside the field.
    let form = chief.get("/staff/force-settings").await;
    let csrf = form.csrf();
    let saved = chief
        .post_form(
            "/staff/force-settings",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/London"),
                ("office_hours", "late-early"),
            ],
        )
        .await;
    assert_eq!(saved.status, 400, "{}", saved.body);
    assert!(
        saved.body.contains("value=\"late-early\"") && saved.body.contains("office_hours-error"),
        "{}",
        saved.body
    );

    // Removing them.
    let cleared = chief
        .api(
            "PATCH",
            "/api/v1/forces/demo",
            Some(&token),
            Some(json!({"office_hours": ""})),
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.json()["settings"].get("office_hours").is_none());
}

#[tokio::test]
async fn outside_office_hours_an_account_answers_at_once_with_its_auto_reply() {
    let app = TestApp::spawn().await;
    let chief = app.logged_in("chief.admin").await;
    let token = chief
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let connector = chief.new_api_token("connector", &["inbound"]).await;
    let beat = chief.account_id(&token, "pcmorgan").await;
    let away = "Thanks for your message. This account is staffed 8am to 8pm; in an emergency call 999, otherwise 101.";

    let long = "x".repeat(501);
    let refused = chief
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/away-reply"),
            Some(&token),
            Some(json!({"text": long})),
        )
        .await;
    assert_eq!(refused.status, 400);
    let officer = app.logged_in("pc.morgan").await;
    let officer_token = officer.new_api_token("w", &["read", "write"]).await;
    let forbidden = officer
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/away-reply"),
            Some(&officer_token),
            Some(json!({"text": away})),
        )
        .await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.body);
    let saved = chief
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/away-reply"),
            Some(&token),
            Some(json!({"text": away})),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);

    // Office hours that exclude now: half an hour twelve hours away.
    let hour = (time::OffsetDateTime::now_utc().hour() + 12) % 24;
    let hours = format!("{hour:02}:00-{hour:02}:30");
    let set = chief
        .api(
            "PATCH",
            "/api/v1/forces/demo",
            Some(&token),
            Some(json!({"office_hours": hours})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let deliver = |id: &str, text: &str| json!({"messages": [{"channel": "fediverse", "external_id": id, "author": {"handle": "sam@town.example"}, "text": text, "account_id": beat}]});
    let out = chief
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(deliver("away-1", "Is the station open on Sunday?")),
        )
        .await
        .json();
    assert_eq!(out["results"][0]["auto_reply"], away, "{out}");
    let emergency = chief
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(deliver("away-2", "help")),
        )
        .await
        .json();
    assert!(emergency["results"][0]["auto_reply"]
        .as_str()
        .unwrap()
        .contains("999"));
    assert_ne!(emergency["results"][0]["auto_reply"], away);

    // Inside office hours: no auto-reply.
    let set = chief
        .api(
            "PATCH",
            "/api/v1/forces/demo",
            Some(&token),
            Some(json!({"office_hours": ""})),
        )
        .await;
    assert_eq!(set.status, 200);
    let inside = chief
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&connector),
            Some(deliver("away-3", "Is the station open on Monday?")),
        )
        .await
        .json();
    assert!(inside["results"][0].get("auto_reply").is_none(), "{inside}");
}
