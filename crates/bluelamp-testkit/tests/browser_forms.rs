//! No staff form loses what was typed: each form is submitted in a real browser
//! with one bad field; the message appears beside that field (or at the top of the
//! form when it concerns the whole record), on the same page, and every other
//! value is still there. Without JavaScript the refusal comes back as a page
//! inside the staff navigation. axe-core checks each page with its error showing.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::browser::*;
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use fantoccini::Client;
use serde_json::{json, Value};

/// Every named, visible value of the form matching `form`, in order.
const SNAPSHOT: &str = r#"
const form = document.querySelector(arguments[0]);
if (!form) { return null; }
return Array.from(form.elements)
  .filter(e => e.name && e.type !== "hidden" && e.type !== "file" && e.type !== "submit")
  .map(e => [e.name, (e.type === "checkbox" || e.type === "radio") ? String(e.checked) : e.value]);
"#;

/// Set the named fields of the form (text, selects, text areas).
const FILL: &str = r#"
const form = document.querySelector(arguments[0]);
for (const [name, value] of Object.entries(arguments[1])) {
  const field = form.querySelector(`[name="${name}"]`);
  if (!field) { throw new Error("no field " + name); }
  field.value = value;
}
"#;

/// Submit `form` on `page` with `fields`, and check that the refusal shows beside
/// `bad` (or at the top of the form when `bad` is `None`) and nothing typed is lost.
async fn refused_in_place(
    client: &Client,
    base: &str,
    page: &str,
    form: &str,
    fields: Value,
    bad: Option<&str>,
) {
    client.goto(&format!("{base}{page}")).await.unwrap();
    client
        .execute(FILL, vec![json!(form), fields])
        .await
        .unwrap_or_else(|e| panic!("{page} {form}: {e}"));
    let before = client.execute(SNAPSHOT, vec![json!(form)]).await.unwrap();
    assert!(before.is_array(), "{page}: no form {form}");
    client
        .execute(
            "const f = document.querySelector(arguments[0]); f.requestSubmit(f.querySelector('button[type=submit]'));",
            vec![json!(form)],
        )
        .await
        .unwrap();
    let shown = format!("{form} .field-error, {form} .form-error");
    let mut message = Value::Null;
    for _ in 0..200 {
        message = client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(shown)],
            )
            .await
            .unwrap();
        if !message.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        !message.is_null(),
        "{page} {form}: no error shown in the form"
    );
    assert_eq!(
        client.current_url().await.unwrap().path(),
        page.split('?').next().unwrap(),
        "stayed on the page"
    );
    let after = client.execute(SNAPSHOT, vec![json!(form)]).await.unwrap();
    assert_eq!(
        before, after,
        "{page} {form}: what was typed is all still there ({message})"
    );
    if let Some(bad) = bad {
        let beside = client
            .execute(
                "const f = document.querySelector(arguments[0]).querySelector(`[name$='${arguments[1]}']:not([type=hidden])`);\
                 return f && f.getAttribute('aria-invalid') === 'true' && f.nextElementSibling && f.nextElementSibling.classList.contains('field-error');",
                vec![json!(form), json!(bad)],
            )
            .await
            .unwrap();
        assert_eq!(
            beside,
            json!(true),
            "{page} {form}: the message is beside {bad}: {message}"
        );
    }
    assert_accessible(client, &format!("{page} with an error")).await;
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium and chromedriver: apt-get install chromium chromium-driver (.ci/run installs them)"
)]
async fn every_staff_form_keeps_its_values_and_shows_the_error_beside_the_field() {
    let driver = start_driver().await;
    let app = TestApp::spawn_with(WebConfig::default()).await;
    let base = app.base.clone();
    let (api_officer, token) = app.ready_to_post("pc.morgan").await;
    let beat = api_officer.account_id(&token, "pcmorgan").await;
    let refused = api_officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "A woman who works at Tesco in Bangor was sexually assaulted in the car park.", "channels": ["fediverse"]})),
        )
        .await
        .json();
    let refused_id = refused["post"]["id"].as_i64().unwrap();

    let admin = browser(&driver).await;
    log_in(&admin, &base, "chief.admin").await;
    refused_in_place(&admin, &base, "/staff/users", "form[action='/staff/users']",
        json!({"username": "ab", "display_name": "Cadet Sian Jones", "password": "a-long-and-unusual-passphrase-2026"}), Some("username")).await;
    refused_in_place(&admin, &base, &format!("/staff/accounts/{beat}"), "form[action$='/approval-steps']",
        json!({"step1_name": "Duty sergeant", "step1_approvers": "sgt.nobody", "step2_name": "Corporate comms", "step2_approvers": "comms.lewis"}), Some("approvers")).await;
    refused_in_place(
        &admin,
        &base,
        &format!("/staff/accounts/{beat}"),
        "form[action$='/members']",
        json!({"username": "nobody.here"}),
        None,
    )
    .await;
    refused_in_place(
        &admin,
        &base,
        "/staff/force-settings",
        "form[action='/staff/force-settings']",
        json!({"time_zone": "Mars/Olympus_Mons"}),
        Some("time_zone"),
    )
    .await;
    refused_in_place(&admin, &base, "/staff/incidents", "form[action='/staff/incidents']",
        json!({"reference": "INC-2026-77", "title": "A55 closed at Llanddulas", "area": "Abergele", "area_geojson": "{not geojson"}), Some("area_geojson")).await;
    refused_in_place(
        &admin,
        &base,
        "/staff/cases",
        "form[action='/staff/cases']",
        json!({"reference": "CASE-2026-0412", "title": "   "}),
        Some("title"),
    )
    .await;
    refused_in_place(&admin, &base, "/staff/settings", "form[action='/staff/settings/password']",
        json!({"current_password": "not-my-password", "new_password": "a-long-and-unusual-passphrase-2026"}), None).await;

    refused_in_place(
        &admin,
        &base,
        "/staff/settings",
        "form[action='/staff/tokens']",
        json!({"name": "   "}),
        Some("name"),
    )
    .await;
    refused_in_place(
        &admin,
        &base,
        "/staff/policy",
        "form[action='/staff/policy/publish']",
        json!({"title": "Social media policy 2027", "body": "   "}),
        Some("body"),
    )
    .await;
    refused_in_place(&admin, &base, "/staff/appeals", "form[action='/staff/appeals']",
        json!({"reference": "APP-2026-9", "title": "Witnesses sought after a collision", "what_happened": "A car and a cyclist collided on the A55 slip road.", "place": "   "}), Some("place")).await;

    let officer = browser(&driver).await;
    // (pc.morgan acknowledged the policy through the API above.)
    log_in(&officer, &base, "pc.morgan").await;
    refused_in_place(&officer, &base, &format!("/staff/accounts/{beat}"), "form#compose",
        json!({"text": "Community surgery at Rhyl library on Saturday from ten.", "scheduled_at": "2020-01-06T10:00"}), Some("scheduled_at")).await;
    refused_in_place(
        &officer,
        &base,
        &format!("/staff/posts/{refused_id}"),
        "form[action$='/escalate']",
        json!({"reason": "She asked us to appeal for witnesses.", "waiver": "abc"}),
        Some("waiver"),
    )
    .await;
    refused_in_place(
        &officer,
        &base,
        &format!("/staff/posts/{refused_id}"),
        "form[action$='/resubmit']",
        json!({"text": " "}),
        Some("text"),
    )
    .await;
}

#[tokio::test]
async fn without_javascript_a_refused_form_comes_back_inside_the_staff_navigation() {
    let app = TestApp::spawn().await;
    let admin = app.logged_in("chief.admin").await;
    let page = admin
        .submit(
            "/staff/users",
            "/staff/users",
            &[
                ("username", "ab"),
                ("display_name", "Cadet Sian Jones"),
                ("role", "officer"),
                ("password", "a-long-and-unusual-passphrase-2026"),
            ],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("nav aria-label=\"Staff\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data-field=\"username\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("what you typed is still there"),
        "{}",
        page.body
    );
    // A malformed address on a staff route: HTML with the navigation, not plain text.
    let page = admin.get("/staff/posts/abc").await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("nav aria-label=\"Staff\"") && page.body.contains("<html"),
        "{}",
        page.body
    );
}
