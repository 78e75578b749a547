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
