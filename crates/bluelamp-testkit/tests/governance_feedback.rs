//! The governance check learning from use: approving a held post needs a reason,
//! published posts can be reported, and both come out of the export as labelled
//! examples in the corpus format.

#![allow(clippy::unwrap_used)]

use bluelamp_governance::corpus::parse_corpus;
use bluelamp_governance::Decision;
use bluelamp_testkit::{Client, TestApp};
use serde_json::json;

/// Composes a post on the account and returns it as the API answered.
async fn compose(client: &Client, token: &str, account: i64, text: &str) -> serde_json::Value {
    let page = client
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(token),
            Some(json!({ "text": text })),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    page.json()["post"].clone()
}

/// Held by the check (a private person's phone number), allowed by the author's role.
const HELD: &str =
    "Lost: a blue bike outside the library. If it is yours, ring Dave on 07700 900123.";

#[tokio::test]
async fn approving_a_held_post_needs_a_reason_and_records_an_example() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let post = compose(&officer, &officer_token, beat, HELD).await;
    assert_eq!(post["decision"], "hold", "{post}");
    let id = post["id"].as_i64().unwrap();
    let approve = format!("/api/v1/posts/{id}/approve");

    for reason in [None, Some("   ")] {
        let mut body = json!({"version": post["version"]});
        if let Some(r) = reason {
            body["reason"] = json!(r);
        }
        let refused = sergeant
            .api("POST", &approve, Some(&sergeant_token), Some(body))
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains("reason"), "{}", refused.body);
    }
    let too_long = "x".repeat(2_001);
    let refused = sergeant
        .api(
            "POST",
            &approve,
            Some(&sergeant_token),
            Some(json!({"version": post["version"], "reason": too_long})),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let still = sergeant
        .api(
            "GET",
            &format!("/api/v1/posts/{id}"),
            Some(&sergeant_token),
            None,
        )
        .await;
    assert_eq!(
        still.json()["post"]["status"],
        "pending",
        "a refused approval changes nothing"
    );

    let why = "Dave asked us to post his number: the bike is his son's.";
    let ok = sergeant
        .api(
            "POST",
            &approve,
            Some(&sergeant_token),
            Some(json!({"version": post["version"], "reason": why})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["status"], "published");

    let audit = sergeant
        .api(
            "GET",
            "/api/v1/audit?action=post.approve",
            Some(&sergeant_token),
            None,
        )
        .await;
    assert!(
        audit.body.contains("bike is his son"),
        "the reason is audited: {}",
        audit.body
    );

    let records = bluelamp_services::governance_feedback::export(&app.store, Some("demo"))
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
    let corpus = parse_corpus(&lines).expect("the export is in the corpus format");
    assert_eq!(corpus[0].decision, Decision::Publish);
    assert!(corpus[0].categories.is_empty());
    assert!(corpus[0].draft.text.contains("07700 900123"));
    assert_eq!(records[0]["source"]["kind"], "approved-held");
    assert!(records[0]["note"]
        .as_str()
        .unwrap()
        .contains("bike is his son"));
}

#[tokio::test]
async fn a_published_post_can_be_reported_by_the_force_and_by_nobody_else() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let text = "Thanks to everyone who came to the beat surgery at the library today.";
    let post = compose(&sergeant, &token, beat, text).await;
    let id = post["id"].as_i64().unwrap();
    let report = format!("/api/v1/posts/{id}/report");

    // Someone else in the force, with a write token.
    let analyst = app.logged_in("comms.lewis").await;
    let analyst_token = analyst.new_api_token("t", &["read", "write"]).await;
    let done = analyst
        .api(
            "POST",
            &report,
            Some(&analyst_token),
            Some(json!({"reason": "Gives away when the beat officer is at the library.", "categories": ["operational"]})),
        )
        .await;
    if post["status"] == "published" {
        assert_eq!(done.status, 201, "{}", done.body);
        assert!(done.json()["feedback"].as_i64().is_some());
    } else {
        panic!("the sergeant's post should publish at once: {post}");
    }

    // Refusals: a read-only token, a partner, a server admin of no force, a bad
    // category, a blank reason, an unknown post.
    let read_only = analyst.new_api_token("ro", &["read"]).await;
    let r = analyst
        .api(
            "POST",
            &report,
            Some(&read_only),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let partner = app.logged_in("partner.council").await;
    let r = partner
        .submit(
            "/staff",
            &format!("/staff/posts/{id}/report"),
            &[("reason", "x")],
        )
        .await;
    assert!(
        r.status == 403 || r.status == 404,
        "{} {}",
        r.status,
        r.body
    );
    let admin = app.logged_in("admin").await;
    let admin_token = admin.new_api_token("a", &["read", "write"]).await;
    let r = admin
        .api(
            "POST",
            &report,
            Some(&admin_token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(
        r.status, 404,
        "another force's post is not found: {}",
        r.body
    );
    let r = analyst
        .api(
            "POST",
            &report,
            Some(&analyst_token),
            Some(json!({"reason": "x", "categories": ["rudeness"]})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("categories"), "{}", r.body);
    let r = analyst
        .api(
            "POST",
            &report,
            Some(&analyst_token),
            Some(json!({"reason": " \n "})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = analyst
        .api(
            "POST",
            "/api/v1/posts/999999/report",
            Some(&analyst_token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);

    let audit = sergeant
        .api(
            "GET",
            "/api/v1/audit?action=governance.report",
            Some(&token),
            None,
        )
        .await;
    assert!(
        audit.body.contains("beat officer is at the library"),
        "{}",
        audit.body
    );

    let records = bluelamp_services::governance_feedback::export(&app.store, None)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "only the accepted report: {records:?}");
    let corpus = parse_corpus(&format!("{}\n", records[0])).unwrap();
    assert_eq!(corpus[0].decision, Decision::Hold);
    assert_eq!(
        corpus[0]
            .categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        vec!["operational"]
    );
}

#[tokio::test]
async fn an_analyst_reports_a_post_from_its_staff_page() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let id = compose(
        &sergeant,
        &token,
        beat,
        "Lovely sunny day for the school fete.",
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let view = sergeant.get(&format!("/staff/posts/{id}")).await;
    assert!(
        view.body
            .contains("Should the check have stopped this post?"),
        "{}",
        view.body
    );
    let done = sergeant
        .submit(
            &format!("/staff/posts/{id}"),
            &format!("/staff/posts/{id}/report"),
            &[
                ("reason", "It names the school."),
                ("category", "child-identity"),
            ],
        )
        .await;
    assert!(
        done.status == 303 || done.status == 200,
        "{} {}",
        done.status,
        done.body
    );
    let records = bluelamp_services::governance_feedback::export(&app.store, Some("demo"))
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["expect"]["categories"],
        json!(["child-identity"])
    );
}

/// With the full check (the built-in model, as `serve` runs it), phrasing no rule
/// knows is held for a supervisor, and the finding points at the words that decided.
#[tokio::test]
async fn the_learned_check_holds_mockery_no_rule_knows_and_points_at_the_words() {
    let app = TestApp::spawn_with_model().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let text = "Absolute state of the drunk lad we picked up last night, couldn't even spell his own name 😂";
    let post = compose(&sergeant, &token, beat, text).await;
    assert_eq!(post["decision"], "hold", "{post}");
    assert_eq!(
        post["status"], "pending",
        "held for a supervisor even though the sergeant may post without approval"
    );
    let learned: Vec<&serde_json::Value> = post["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["rule"]
                .as_str()
                .unwrap_or_default()
                .starts_with("learned-")
        })
        .collect();
    assert!(!learned.is_empty(), "{post}");
    for f in learned {
        assert_ne!(
            f["severity"], "refuse",
            "a learned finding never refuses: {f}"
        );
        let (s, e) = (
            f["start"].as_u64().unwrap() as usize,
            f["end"].as_u64().unwrap() as usize,
        );
        assert!(s < e && e <= text.len(), "{f}");
        assert!(
            f["message"].as_str().unwrap().contains(&text[s..e]),
            "the message quotes the words it points at: {f}"
        );
        assert!(!f["basis"].as_str().unwrap_or_default().is_empty());
    }
    // The same draft through the check endpoint gives the same decision.
    let checked = sergeant
        .api(
            "POST",
            "/api/v1/check",
            Some(&token),
            Some(json!({"text": text, "context": {"account_kind": "personal"}})),
        )
        .await;
    assert_eq!(checked.json()["decision"], "hold", "{}", checked.body);
}
