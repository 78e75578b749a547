//! axe-core on every page a person can open: each public page and each staff page
//! (as a force administrator, who may open nearly all, and as a partner agency,
//! who sees the fewest), the error pages included, on the demo force with its case
//! work (an incident, an appeal, a case, a tip, inbox messages). No serious or
//! critical WCAG 2.2 AA violation anywhere.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use serde_json::Value;

/// The first item's `key` of a JSON list (or of `field` inside an object).
fn first(list: &Value, key: &str) -> String {
    let items = list
        .as_array()
        .or_else(|| list["items"].as_array())
        .unwrap();
    match &items[0][key] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn every_public_and_staff_page_passes_axe() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let data = app.db.data_dir.clone().unwrap();
    bluelamp_services::demo_casework::seed_casework(&app.store, &data)
        .await
        .unwrap();
    let base = app.base.clone();

    // Ids to visit, read through the API as the force administrator.
    let (admin_api, token) = app.ready_to_post("chief.admin").await;
    let t = Some(token.as_str());
    let get = |path: &'static str| {
        let admin_api = &admin_api;
        async move { admin_api.api("GET", path, t, None).await.json() }
    };
    let post = first(&get("/api/v1/posts").await, "id");
    let message = first(&get("/api/v1/inbox").await, "id");
    let tip = first(&get("/api/v1/tips").await, "id");
    let account = admin_api.account_id(&token, "pcmorgan").await;

    let public = [
        "/".to_string(),
        "/forces/demo".into(),
        "/forces/demo/accounts/pcmorgan".into(),
        format!("/forces/demo/posts/{post}"),
        "/forces/demo/appeals".into(),
        "/forces/demo/appeals/DEMO-APP-7".into(),
        "/forces/demo/incidents/DEMO-INC-1".into(),
        "/forces/demo/tips".into(),
        "/forces/demo/subscribe".into(),
        "/forces/demo/contact".into(),
        "/login".into(),
        "/forces/nowhere".into(),
    ];
    let client = browser(&driver).await;
    for path in &public {
        client.goto(&format!("{base}{path}")).await.unwrap();
        assert_accessible(&client, path).await;
    }

    log_in(&client, &base, "chief.admin").await;
    let staff = [
        "/staff".to_string(),
        "/staff/posts".into(),
        format!("/staff/posts/{post}"),
        "/staff/notifications".into(),
        "/staff/inbox".into(),
        format!("/staff/inbox/{message}"),
        "/staff/rumours".into(),
        "/staff/incidents".into(),
        "/staff/incidents/DEMO-INC-1".into(),
        "/staff/appeals".into(),
        "/staff/appeals/DEMO-APP-7".into(),
        "/staff/cases".into(),
        "/staff/cases/DEMO-0412".into(),
        "/staff/tips".into(),
        format!("/staff/tips/{tip}"),
        "/staff/referrals".into(),
        "/staff/accounts".into(),
        format!("/staff/accounts/{account}"),
        "/staff/users".into(),
        "/staff/policy".into(),
        "/staff/audit".into(),
        "/staff/settings".into(),
        "/staff/force-settings".into(),
        "/staff/rules".into(),
        "/staff/fediverse".into(),
        // Error pages keep to the same standard.
        "/staff/posts/999999".into(),
        "/staff/posts/abc".into(),
    ];
    for path in &staff {
        client.goto(&format!("{base}{path}")).await.unwrap();
        let text = body_text(&client).await;
        let error_page = path.ends_with("999999") || path.ends_with("abc");
        assert_eq!(
            error_page,
            text.contains("Nothing you had already saved was lost"),
            "{path} should {}be an error page: {text}",
            if error_page { "" } else { "not " }
        );
        assert_accessible(&client, path).await;
    }

    // A partner agency's few pages, and the refusal it meets elsewhere.
    let partner = browser(&driver).await;
    log_in(&partner, &base, "partner.council").await;
    for path in [
        "/staff",
        "/staff/referrals",
        "/staff/notifications",
        "/staff/settings",
        "/staff/inbox",
    ] {
        partner.goto(&format!("{base}{path}")).await.unwrap();
        assert_accessible(&partner, path).await;
    }
}
