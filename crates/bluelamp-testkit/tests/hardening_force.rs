//! A force administrator's own rules and settings, end to end: the governance rule
//! file (validated, versioned, audited, used by every check of the force at once,
//! also when another process saved it) and the force's settings (pre-election,
//! required second factor, time zone, logo) through the staff pages, the API and
//! the service the CLI calls.

#![allow(clippy::unwrap_used)]

use bluelamp_services::force_rules::{self, ForceEngines};
use bluelamp_services::Staff;
use bluelamp_testkit::{Client, TestApp};
use serde_json::{json, Value};

/// A rule file that refuses a live operation's codename.
const CODENAME_RULES: &str = r#"[force]
name = "Demo Constabulary"

[[blocked]]
id = "operation-codenames"
terms = ["Operation Nightjar"]
category = "operational"
severity = "refuse"
message = "\"{words}\" is a live operation's codename."
basis = "Demo Constabulary operational security policy"
"#;

const CODENAME_TEXT: &str = "Operation Nightjar starts in the town centre tonight.";

async fn admin(app: &TestApp) -> (Client, String) {
    let client = app.logged_in("chief.admin").await;
    let token = client
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    (client, token)
}

async fn check(client: &Client, token: &str, text: &str) -> Value {
    let page = client
        .api(
            "POST",
            "/api/v1/check",
            Some(token),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.json()
}

async fn put_rules(client: &Client, token: &str, rules: &str) -> (u16, Value) {
    let page = client
        .api(
            "PUT",
            "/api/v1/forces/demo/rules",
            Some(token),
            Some(json!({ "rules": rules })),
        )
        .await;
    (page.status, page.json())
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_force_admins_rule_file_is_used_by_the_check_and_compose_at_once_and_is_versioned_and_audited(
) {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (chief, chief_token) = admin(&app).await;

    let before = check(&officer, &officer_token, CODENAME_TEXT).await;
    assert_eq!(before["decision"], "publish", "{before}");

    let (status, saved) = put_rules(&chief, &chief_token, CODENAME_RULES).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["saved_by_label"], "chief.admin");

    // The very next check in the force uses the new rules.
    let after = check(&officer, &officer_token, CODENAME_TEXT).await;
    assert_eq!(after["decision"], "refuse", "{after}");
    assert!(rule_ids(&after).contains(&"operation-codenames".to_string()));

    // And so does compose: the post is kept but refused.
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let composed = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&officer_token),
            Some(json!({ "text": CODENAME_TEXT })),
        )
        .await;
    assert_eq!(composed.status, 422, "{}", composed.body);
    assert_eq!(composed.json()["post"]["status"], "refused");

    // A second save is version 2; both are kept, with who and when.
    let relaxed = CODENAME_RULES.replace("severity = \"refuse\"", "severity = \"advice\"");
    let (status, saved) = put_rules(&chief, &chief_token, &relaxed).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(
        check(&officer, &officer_token, CODENAME_TEXT).await["decision"],
        "publish"
    );
    let view = chief
        .api("GET", "/api/v1/forces/demo/rules", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(view["version"], 2);
    assert_eq!(view["rules"], relaxed.as_str());
    let history = view["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{view}");
    assert_eq!(history[1]["version"], 1);
    assert_eq!(history[1]["saved_by_label"], "chief.admin");
    assert!(history[1]["saved_at"].as_str().is_some());

    let audit = chief
        .api(
            "GET",
            "/api/v1/audit?action=force.rules",
            Some(&chief_token),
            None,
        )
        .await
        .json();
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["actor_label"], "chief.admin");
}

#[tokio::test]
async fn edits_and_approvals_are_rechecked_with_the_forces_rules() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let (chief, chief_token) = admin(&app).await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let path = format!("/api/v1/accounts/{beat}/posts");
    let compose = |text: &'static str, extra: Value| {
        let mut body = json!({ "text": text });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        officer.api("POST", &path, Some(&officer_token), Some(body))
    };
    // An officer's posts wait for approval: both are pending, and editable.
    let patrol = compose("Out on foot patrol in the town centre today.", json!({}))
        .await
        .json();
    assert_eq!(patrol["post"]["status"], "pending", "{patrol}");
    let held = compose(
        "John Smith, 34, of Harbourside has been arrested on suspicion of burglary.",
        json!({"kind": "update", "case_status": "arrested"}),
    )
    .await
    .json();
    assert_eq!(held["post"]["status"], "pending", "{held}");

    let (status, saved) = put_rules(&chief, &chief_token, CODENAME_RULES).await;
    assert_eq!(status, 200, "{saved}");

    let edit = officer
        .api(
            "PATCH",
            &format!("/api/v1/posts/{}", patrol["post"]["id"]),
            Some(&officer_token),
            Some(json!({"version": patrol["post"]["version"], "text": CODENAME_TEXT})),
        )
        .await;
    assert_eq!(edit.status, 409, "{}", edit.body);
    assert!(edit.body.contains("codename"), "{}", edit.body);

    let approve = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", held["post"]["id"]),
            Some(&sergeant_token),
            Some(json!({"version": held["post"]["version"], "text": CODENAME_TEXT})),
        )
        .await;
    assert_eq!(approve.status, 409, "{}", approve.body);
    assert!(approve.body.contains("codename"), "{}", approve.body);
}

#[tokio::test]
async fn a_rule_file_with_a_typo_is_refused_with_its_line_and_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let (chief, chief_token) = admin(&app).await;
    let typo = "[severity]\ntone = \"advice\"\n\n[terms]\nown_numbrs = [\"01234 567890\"]\n";
    let (status, body) = put_rules(&chief, &chief_token, typo).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_rules");
    assert_eq!(body["line"], 5, "{body}");
    assert_eq!(body["field"], "own_numbrs", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("line 5"),
        "{body}"
    );

    let bad_severity = "[severity]\ntone = \"loud\"\n";
    let (status, body) = put_rules(&chief, &chief_token, bad_severity).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "severity.tone", "{body}");
    assert_eq!(body["line"], 2, "{body}");

    let view = chief
        .api("GET", "/api/v1/forces/demo/rules", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(view["version"], Value::Null, "{view}");
    assert_eq!(view["history"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn only_force_administrators_may_change_the_rules() {
    let app = TestApp::spawn().await;
    for username in ["pc.morgan", "comms.lewis", "sgt.evans"] {
        let (client, token) = app.ready_to_post(username).await;
        let (status, body) = put_rules(&client, &token, CODENAME_RULES).await;
        assert_eq!(status, 403, "{username}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("force administrator"),
            "{body}"
        );
        // Nor through the staff page (the form is not even offered).
        let page = client.get("/staff/rules").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(!page.body.contains("<textarea"), "{username}");
        let posted = client
            .submit(
                "/staff/rules",
                "/staff/rules",
                &[("rules", CODENAME_RULES), ("based_on", "0")],
            )
            .await;
        assert_eq!(posted.status, 403, "{username}: {}", posted.body);
    }
    let (chief, chief_token) = admin(&app).await;
    let view = chief
        .api("GET", "/api/v1/forces/demo/rules", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(view["version"], Value::Null, "nothing was saved: {view}");
    // The server administrator may change any force's rules, named by its code.
    let server = app.logged_in("admin").await;
    let server_token = server
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let (status, saved) = put_rules(&server, &server_token, CODENAME_RULES).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["saved_by_label"], "admin");
    assert_eq!(saved["version"], 1, "{saved}");
    // Another force's rules and settings do not exist as far as this force's
    // administrator can tell.
    let other = server
        .api(
            "POST",
            "/api/v1/forces",
            Some(&server_token),
            Some(json!({"code": "other", "name": "Other Police", "domain": "other.test"})),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.body);
    for (method, path, body) in [
        ("GET", "/api/v1/forces/other/rules", None),
        (
            "PUT",
            "/api/v1/forces/other/rules",
            Some(json!({"rules": CODENAME_RULES})),
        ),
        (
            "PATCH",
            "/api/v1/forces/other",
            Some(json!({"pre_election": true})),
        ),
    ] {
        let page = chief.api(method, path, Some(&chief_token), body).await;
        assert_eq!(page.status, 404, "{method} {path}: {}", page.body);
    }
}

#[tokio::test]
async fn the_rules_page_shows_an_error_beside_the_field_keeps_the_input_and_saves_a_good_file() {
    let app = TestApp::spawn().await;
    let chief = app.logged_in("chief.admin").await;
    let home = chief.get("/staff").await;
    assert!(home.body.contains("href=\"/staff/rules\""), "{}", home.body);
    let page = chief.get("/staff/rules").await;
    assert!(page.body.contains("built-in rules only"), "{}", page.body);

    let typo = "[terms]\nplaces = [\"Riverside Estate\"]\npoliticans = [\"Jane Example\"]\n";
    let refused = chief
        .submit(
            "/staff/rules",
            "/staff/rules",
            &[("rules", typo), ("based_on", "0")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("id=\"rules-error\""),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("line 3"), "{}", refused.body);
    assert!(refused.body.contains("politicans"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains("places = [&quot;Riverside Estate&quot;]"),
        "the typed file is kept: {}",
        refused.body
    );

    let saved = chief
        .submit(
            "/staff/rules",
            "/staff/rules",
            &[("rules", CODENAME_RULES), ("based_on", "0")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let page = chief.get(saved.location().unwrap()).await;
    assert!(page.body.contains("Version 1 is in force"), "{}", page.body);
    assert!(page.body.contains("Operation Nightjar"), "{}", page.body);

    // A save based on a version that is no longer current is refused, input kept.
    let stale = chief
        .submit(
            "/staff/rules",
            "/staff/rules",
            &[("rules", "[severity]\ntone = \"off\"\n"), ("based_on", "0")],
        )
        .await;
    assert_eq!(stale.status, 400, "{}", stale.body);
    assert!(
        stale.body.contains("since you read version 0"),
        "{}",
        stale.body
    );
    assert!(
        stale.body.contains("tone = &quot;off&quot;"),
        "{}",
        stale.body
    );
}

#[tokio::test]
async fn a_rules_version_saved_by_another_process_is_used_on_the_next_check() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (chief, chief_token) = admin(&app).await;
    // This server compiles and caches version 1 (advice only).
    let advice = CODENAME_RULES.replace("severity = \"refuse\"", "severity = \"advice\"");
    let (status, _) = put_rules(&chief, &chief_token, &advice).await;
    assert_eq!(status, 200);
    assert_eq!(
        check(&officer, &officer_token, CODENAME_TEXT).await["decision"],
        "publish"
    );

    // Another process (its own engine cache, the same database) saves version 2.
    let force_id = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::forces::by_code(&mut conn, "demo")
            .await
            .unwrap()
            .id
    };
    let mut elsewhere = Staff::command_line();
    elsewhere.force_id = Some(force_id);
    let saved = force_rules::save(
        &app.store,
        &ForceEngines::default(),
        &elsewhere,
        None,
        CODENAME_RULES,
        Some(1),
    )
    .await
    .unwrap();
    assert_eq!(saved.version, 2);

    let after = check(&officer, &officer_token, CODENAME_TEXT).await;
    assert_eq!(
        after["decision"], "refuse",
        "the cached version 1 is stale: {after}"
    );
}

async fn patch_force(client: &Client, token: &str, code: &str, body: Value) -> (u16, Value) {
    let page = client
        .api(
            "PATCH",
            &format!("/api/v1/forces/{code}"),
            Some(token),
            Some(body),
        )
        .await;
    (page.status, page.json())
}

#[tokio::test]
async fn a_force_admin_changes_each_setting_and_the_next_check_and_page_reflect_it() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (chief, chief_token) = admin(&app).await;
    let political = "Our local MP visited the station today.";
    assert_eq!(
        check(&officer, &officer_token, political).await["decision"],
        "publish"
    );

    // Pre-election period: the next check holds a mention of a politician.
    let (status, force) =
        patch_force(&chief, &chief_token, "demo", json!({"pre_election": true})).await;
    assert_eq!(status, 200, "{force}");
    assert_eq!(force["settings"]["pre_election"], true);
    let held = check(&officer, &officer_token, political).await;
    assert_eq!(held["decision"], "hold", "{held}");

    // Time zone and logo, through the API.
    let (status, force) = patch_force(
        &chief,
        &chief_token,
        "demo",
        json!({"time_zone": "Europe/Dublin", "logo_url": "https://police.example.org/logo.png"}),
    )
    .await;
    assert_eq!(status, 200, "{force}");
    assert_eq!(force["time_zone"], "Europe/Dublin");
    assert_eq!(
        force["settings"]["pre_election"], true,
        "unchanged fields stay"
    );
    let public = app.client().get("/forces/demo").await;
    assert!(
        public
            .body
            .contains("src=\"https://police.example.org/logo.png\""),
        "{}",
        public.body
    );
    let settings = chief.get("/staff/force-settings").await;
    assert!(
        settings.body.contains("value=\"Europe/Dublin\""),
        "{}",
        settings.body
    );

    // Through the staff page: pre-election off, TOTP required, logo removed.
    let saved = chief
        .submit(
            "/staff/force-settings",
            "/staff/force-settings",
            &[("time_zone", "Europe/London"), ("logo_url", "")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let forces = chief
        .api("GET", "/api/v1/forces", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(forces[0]["settings"]["pre_election"], false, "{forces}");
    assert_eq!(forces[0]["settings"]["require_totp"], false, "{forces}");
    assert_eq!(forces[0]["time_zone"], "Europe/London");
    assert_eq!(forces[0]["logo_url"], Value::Null);
    assert_eq!(
        check(&officer, &officer_token, political).await["decision"],
        "publish"
    );
    assert!(!app
        .client()
        .get("/forces/demo")
        .await
        .body
        .contains("logo.png"));

    let audit = chief
        .api(
            "GET",
            "/api/v1/audit?action=force.settings",
            Some(&chief_token),
            None,
        )
        .await
        .json();
    assert_eq!(audit.as_array().unwrap().len(), 3, "{audit}");
    assert_eq!(audit[0]["actor_label"], "chief.admin");

    // A required second factor (set last: from then on the unenrolled reach
    // neither pages nor API): an officer without one is sent to enrol.
    let saved = chief
        .submit(
            "/staff/force-settings",
            "/staff/force-settings",
            &[
                ("require_totp", "on"),
                ("time_zone", "Europe/London"),
                ("logo_url", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let fresh = app.logged_in("pc.morgan").await;
    let home = fresh.get("/staff").await;
    assert_eq!(home.status, 303, "{}", home.body);
    assert_eq!(home.location(), Some("/staff/totp"));
    let refused = officer
        .api("GET", "/api/v1/me", Some(&officer_token), None)
        .await;
    assert_eq!(refused.status, 403, "the API holds the same rule");
}

#[tokio::test]
async fn an_officer_may_not_change_force_settings() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (status, body) = patch_force(
        &officer,
        &officer_token,
        "demo",
        json!({"pre_election": true}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let page = officer.get("/staff/force-settings").await;
    assert_eq!(page.status, 403, "{}", page.body);
    // The form's CSRF token comes from a page the officer may see.
    let posted = officer
        .submit(
            "/staff/settings",
            "/staff/force-settings",
            &[("pre_election", "on"), ("time_zone", "Europe/London")],
        )
        .await;
    assert_eq!(posted.status, 403, "{}", posted.body);
    let (chief, chief_token) = admin(&app).await;
    let forces = chief
        .api("GET", "/api/v1/forces", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(forces[0]["settings"]["pre_election"], false, "{forces}");
}

#[tokio::test]
async fn a_bad_time_zone_or_logo_is_a_400_naming_the_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (chief, chief_token) = admin(&app).await;
    let (status, body) = patch_force(
        &chief,
        &chief_token,
        "demo",
        json!({"time_zone": "Europe/Londn", "pre_election": true}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().starts_with("time_zone:"),
        "{body}"
    );
    for logo in ["http://police.example.org/logo.png", "//evil.example/x.png"] {
        let (status, body) =
            patch_force(&chief, &chief_token, "demo", json!({ "logo_url": logo })).await;
        assert_eq!(status, 400, "{logo}: {body}");
        assert!(
            body["detail"].as_str().unwrap().starts_with("logo_url:"),
            "{body}"
        );
    }
    let (status, body) =
        patch_force(&chief, &chief_token, "demo", json!({"time_zon": "UTC"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("time_zon"),
        "{body}"
    );
    let (status, _) = patch_force(&chief, &chief_token, "nowhere", json!({})).await;
    assert_eq!(status, 404);

    // The staff page shows the error beside the field and keeps what was typed.
    let page = chief
        .submit(
            "/staff/force-settings",
            "/staff/force-settings",
            &[("pre_election", "on"), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("id=\"time_zone-error\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"Mars/Olympus\""),
        "{}",
        page.body
    );

    let forces = chief
        .api("GET", "/api/v1/forces", Some(&chief_token), None)
        .await
        .json();
    assert_eq!(forces[0]["time_zone"], "Europe/London", "{forces}");
    assert_eq!(forces[0]["settings"]["pre_election"], false, "{forces}");
}
