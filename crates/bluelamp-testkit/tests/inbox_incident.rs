//! Raising an incident from a message: a structured record for the force's
//! command-and-control system, the export recorded on the message, and the
//! incident's own reference linked back.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_message_exports_an_incident_record_and_keeps_the_reference_back() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let inbox = sergeant
        .api("GET", "/api/v1/inbox", Some(&token), None)
        .await
        .json();
    let message = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"].as_str().unwrap().contains("white van"))
        .unwrap()
        .clone();
    let id = message["id"].as_i64().unwrap();

    let exported = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/incident-record"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(exported.status, 200, "{}", exported.body);
    let record = exported.json();
    assert_eq!(record["schema"], "bluelamp-incident-record/1");
    assert_eq!(record["source"]["message_id"], id);
    assert!(record["source"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/staff/inbox/{id}")));
    assert!(record["text"].as_str().unwrap().contains("Mill Lane"));
    assert_eq!(record["triage"]["primary"], message["primary"]);

    for bad in ["", "   ", &"x".repeat(101)] {
        let refused = sergeant
            .api(
                "POST",
                &format!("/api/v1/inbox/{id}/incident-reference"),
                Some(&token),
                Some(json!({"reference": bad})),
            )
            .await;
        assert_eq!(refused.status, 400, "{bad:?}: {}", refused.body);
    }
    let linked = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/incident-reference"),
            Some(&token),
            Some(json!({"reference": "CAD-2026-11-30-0412"})),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.body);
    let view = sergeant
        .api("GET", &format!("/api/v1/inbox/{id}"), Some(&token), None)
        .await
        .json();
    let kinds: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"incident-record-exported") && kinds.contains(&"incident-reference"),
        "{kinds:?}"
    );
    let page = sergeant.get(&format!("/staff/inbox/{id}")).await;
    assert!(page.body.contains("CAD-2026-11-30-0412"));

    // The staff page's button downloads the same record.
    let csrf = page.csrf();
    let download = sergeant
        .post_form(
            &format!("/staff/inbox/{id}/incident-record"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(download.status, 200);
    assert!(download
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("incident-record-"));
    assert!(download.body.contains("bluelamp-incident-record/1"));

    // A role without the inbox is refused.
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("read", &["read"]).await;
    let refused = analyst
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/incident-record"),
            Some(&analyst_token),
            None,
        )
        .await;
    assert_eq!(refused.status, 403);
}
