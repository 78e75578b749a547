//! Cases (story 9): a journal of status that feeds the governance check of every
//! post linked to the case, names recognised from the case's people, backwards moves
//! only with a reason, the follow-up owed after a change, and the refusals.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_case_feeds_the_check_and_keeps_its_journal() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;

    let opened = sergeant
        .api("POST", "/api/v1/cases", t, Some(json!({"reference": "nwp-0519", "title": "Assault in the park", "sexual_offence": true})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(
        opened.json()["reference"],
        "NWP-0519",
        "references are kept in capitals"
    );
    let again = sergeant
        .api(
            "POST",
            "/api/v1/cases",
            t,
            Some(json!({"reference": "NWP-0519", "title": "Another"})),
        )
        .await;
    assert_eq!(
        again.status, 409,
        "a reference is used once: {}",
        again.body
    );
    for (bad, field) in [
        (json!({"reference": "NW/0519", "title": "x"}), "reference"),
        (json!({"reference": "NWP-1", "title": " "}), "title"),
    ] {
        let refused = sergeant.api("POST", "/api/v1/cases", t, Some(bad)).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains(field), "{}", refused.body);
    }
    let person = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0519/people",
            t,
            Some(json!({"name": "Sophie Marsh", "role": "complainant", "age": 24})),
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.body);
    let bad_role = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0519/people",
            t,
            Some(json!({"name": "X Y", "role": "victim"})),
        )
        .await;
    assert_eq!(bad_role.status, 400);

    // The complainant's first name alone, in a post linked to the case, is refused:
    // nothing else in the words says she is the complainant.
    let draft = "Thank you to Sophie for her courage in coming forward. Our enquiries continue.";
    let linked = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{corporate}/posts"),
            t,
            Some(json!({"text": draft, "link": {"kind": "case", "reference": "NWP-0519"}})),
        )
        .await;
    assert_eq!(linked.status, 422, "{}", linked.body);
    assert!(
        linked.body.contains("case-complainant-named"),
        "{}",
        linked.body
    );
    // The same words with no case linked are not refused for a name.
    let unlinked = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{corporate}/posts"),
            t,
            Some(json!({"text": draft})),
        )
        .await;
    assert!(
        !unlinked.body.contains("case-complainant-named"),
        "{}",
        unlinked.body
    );
    // A link to a case that does not exist is an error on the field, not a silent pass.
    let missing = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{corporate}/posts"),
            t,
            Some(json!({"text": "An update.", "link": {"kind": "case", "reference": "NWP-9999"}})),
        )
        .await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    assert!(missing.body.contains("NWP-9999"));

    // The status moves forward freely, backwards only with a reason.
    sergeant
        .api(
            "POST",
            "/api/v1/cases",
            t,
            Some(json!({"reference": "NWP-0412", "title": "Burglary"})),
        )
        .await;
    sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0412/people",
            t,
            Some(json!({"name": "Gareth Hughes", "role": "suspect", "age": 34})),
        )
        .await;
    let arrested = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0412/status",
            t,
            Some(json!({"status": "arrested"})),
        )
        .await;
    assert_eq!(arrested.status, 200, "{}", arrested.body);
    // While he is under arrest, his surname in a linked post is held for the SIO.
    let named = sergeant
        .api("POST", &format!("/api/v1/accounts/{corporate}/posts"), t,
            Some(json!({"text": "Officers have spoken to Hughes about the break-in.", "link": {"kind": "case", "reference": "NWP-0412"}})))
        .await;
    assert_eq!(named.status, 201, "{}", named.body);
    assert_eq!(named.json()["post"]["status"], "pending", "{}", named.body);
    assert!(
        named.body.contains("case-suspect-named-on-arrest"),
        "{}",
        named.body
    );
    let released = sergeant
        .api("POST", &format!("/api/v1/accounts/{corporate}/posts"), t,
            Some(json!({"text": "A 34-year-old man has been arrested on suspicion of burglary and remains in custody.", "link": {"kind": "case", "reference": "NWP-0412"}})))
        .await;
    assert_eq!(
        released.json()["post"]["status"],
        "published",
        "{}",
        released.body
    );
    let no_court = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0412/status",
            t,
            Some(json!({"status": "in-court"})),
        )
        .await;
    assert_eq!(
        no_court.status, 400,
        "in court needs the court: {}",
        no_court.body
    );
    let bad_date = sergeant
        .api("POST", "/api/v1/cases/NWP-0412/status", t, Some(json!({"status": "in-court", "court": "Harbourside Magistrates", "court_date": "14/12/2026"})))
        .await;
    assert_eq!(bad_date.status, 400, "{}", bad_date.body);
    let in_court = sergeant
        .api("POST", "/api/v1/cases/NWP-0412/status", t, Some(json!({"status": "in-court", "court": "Harbourside Magistrates", "court_date": "2026-12-14"})))
        .await;
    assert_eq!(in_court.status, 200, "{}", in_court.body);
    let backwards = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-0412/status",
            t,
            Some(json!({"status": "arrested"})),
        )
        .await;
    assert_eq!(backwards.status, 400, "{}", backwards.body);
    assert!(backwards.body.contains("reason"));

    // The case's page: journal, linked posts and the follow-up the public are owed,
    // built from releasable facts only (no name).
    let view = sergeant
        .api("GET", "/api/v1/cases/NWP-0412", t, None)
        .await
        .json();
    let journal: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(journal, ["arrested", "in-court"]);
    assert_eq!(view["posts"].as_array().unwrap().len(), 2);
    let follow_up = view["follow_up"].as_str().unwrap();
    assert!(
        follow_up.contains("Harbourside Magistrates") && follow_up.contains("2026-12-14"),
        "{follow_up}"
    );
    assert!(!follow_up.contains("Hughes"), "{follow_up}");
    let hanging = sergeant
        .api("GET", "/api/v1/cases/hanging", t, None)
        .await
        .json();
    assert!(
        hanging
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["reference"] == "NWP-0412"),
        "{hanging}"
    );
    // The author of the linked posts is asked for the follow-up (on their home
    // page and in the API); someone who never posted about the case is not.
    let owed = sergeant
        .api("GET", "/api/v1/cases/follow-ups", t, None)
        .await
        .json();
    assert_eq!(owed[0]["reference"], "NWP-0412", "{owed}");
    assert_eq!(owed[0]["follow_up"].as_str(), Some(follow_up));
    let home = sergeant.get("/staff").await;
    assert!(
        home.body.contains("Follow-ups you are asked to publish") && home.body.contains("NWP-0412"),
        "the author's home page asks for it"
    );
    let (comms, comms_token) = app.ready_to_post("comms.lewis").await;
    let not_theirs = comms
        .api(
            "GET",
            "/api/v1/cases/follow-ups",
            Some(comms_token.as_str()),
            None,
        )
        .await;
    assert_eq!(not_theirs.status, 200);
    assert_eq!(
        not_theirs.json(),
        json!([]),
        "nothing is asked of a non-author"
    );
    let after = sergeant
        .api("POST", "/api/v1/cases/NWP-0412/status", t, Some(json!({"status": "arrested", "reason": "Charge withdrawn by the CPS pending a review of the evidence"})))
        .await;
    assert_eq!(
        after.status, 200,
        "with a reason it may go back: {}",
        after.body
    );

    // The staff page shows the same.
    let page = sergeant.get("/staff/cases/NWP-0412").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Charge withdrawn by the CPS"),
        "the journal keeps the reason"
    );
}

#[tokio::test]
async fn cases_are_refused_to_the_wrong_role_a_weak_token_and_another_force() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    sergeant
        .api(
            "POST",
            "/api/v1/cases",
            Some(&token),
            Some(json!({"reference": "NWP-7", "title": "Theft"})),
        )
        .await;
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("read", &["read"]).await;
    let refused = analyst
        .api("GET", "/api/v1/cases/NWP-7", Some(&analyst_token), None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let partner = app.logged_in("partner.council").await;
    assert_eq!(partner.get("/staff/cases").await.status, 403);
    let read_only = sergeant.new_api_token("read only", &["read"]).await;
    let write = sergeant
        .api(
            "POST",
            "/api/v1/cases/NWP-7/status",
            Some(&read_only),
            Some(json!({"status": "arrested"})),
        )
        .await;
    assert_eq!(
        write.status, 403,
        "a read token cannot change a case: {}",
        write.body
    );
    // Another force's administrator does not see this force's case.
    let admin = app.logged_in("admin").await;
    let admin_token = admin
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let other = admin
        .api(
            "POST",
            "/api/v1/forces",
            Some(&admin_token),
            Some(json!({"code": "other", "name": "Other Police", "domain": "other.example"})),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.body);
    let user = admin
        .api("POST", "/api/v1/users", Some(&admin_token), Some(json!({"username": "other.admin", "display_name": "Other Admin", "role": "force-admin", "password": "other force long password", "force": "other"})))
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let outsider = app.client();
    assert_eq!(
        outsider
            .log_in("other.admin", "other force long password")
            .await
            .status,
        303
    );
    let outsider_token = outsider.new_api_token("o", &["read", "write"]).await;
    let seen = outsider
        .api("GET", "/api/v1/cases/NWP-7", Some(&outsider_token), None)
        .await;
    assert_eq!(seen.status, 404, "{}", seen.body);
    let moved = outsider
        .api(
            "POST",
            "/api/v1/cases/NWP-7/status",
            Some(&outsider_token),
            Some(json!({"status": "nfa"})),
        )
        .await;
    assert_eq!(moved.status, 404, "{}", moved.body);
}

#[tokio::test]
async fn the_demo_force_shows_an_incident_an_appeal_a_case_and_a_tip() {
    let app = TestApp::spawn().await;
    let data = app.db.data_dir.clone().unwrap();
    bluelamp_services::demo_casework::seed_casework(&app.store, &data)
        .await
        .unwrap();
    let public = app.client();
    let incident = public.get("/forces/demo/incidents/DEMO-INC-1").await;
    assert_eq!(incident.status, 200);
    assert!(
        incident.body.contains("Road closed: A548 Coast Road") && incident.body.contains("<svg")
    );
    let appeal = public.get("/forces/demo/appeals/DEMO-APP-7").await;
    assert_eq!(appeal.status, 200);
    assert!(appeal.body.contains("<img"), "the appeal shows its photo");
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let case = sergeant
        .api("GET", "/api/v1/cases/DEMO-0412", Some(&token), None)
        .await
        .json();
    assert_eq!(case["case"]["status"], "in-court");
    assert!(
        case["follow_up"].is_string(),
        "the demo shows a follow-up owed: {case}"
    );
    let tips = sergeant
        .api("GET", "/api/v1/tips", Some(&token), None)
        .await
        .json();
    assert_eq!(tips.as_array().unwrap().len(), 1);
    let protected = sergeant
        .api("GET", "/api/v1/cases/DEMO-0519", Some(&token), None)
        .await
        .json();
    assert_eq!(protected["case"]["sexual_offence"], true);
}
