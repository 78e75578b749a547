//! Approval steps and escalation: an account's chain (a sergeant, then the comms
//! team) is walked in order and each step's approvers are told in turn; nobody
//! approves out of turn or twice; only a force administrator sets a chain. A draft
//! the check refused can be escalated with a reason and approved with a recorded
//! rationale, never when it does not fit a network, and for a sexual-offence
//! complainant or a child only with the waiver or court order referenced.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::{Client, TestApp};
use serde_json::{json, Value};

async fn compose(officer: &Client, token: &str, account: i64, text: &str) -> Value {
    let page = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(token),
            Some(json!({"text": text, "channels": ["fediverse"]})),
        )
        .await;
    assert!(matches!(page.status, 201 | 422), "{}", page.body);
    page.json()["post"].clone()
}

async fn approve(
    client: &Client,
    token: &str,
    post: &Value,
    reason: Option<&str>,
) -> bluelamp_testkit::Page {
    let mut body = json!({"version": post["version"]});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    client
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", post["id"]),
            Some(token),
            Some(body),
        )
        .await
}

async fn escalate(
    officer: &Client,
    token: &str,
    post: &Value,
    body: Value,
) -> bluelamp_testkit::Page {
    officer
        .api(
            "POST",
            &format!("/api/v1/posts/{}/escalate", post["id"]),
            Some(token),
            Some(body),
        )
        .await
}

async fn notifications(client: &Client, token: &str) -> String {
    client
        .api("GET", "/api/v1/staff-notifications", Some(token), None)
        .await
        .body
}

#[tokio::test]
async fn a_post_passes_each_approval_step_in_turn() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let (admin, admin_token) = app.ready_to_post("chief.admin").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let (comms, comms_token) = app.ready_to_post("comms.lewis").await;
    let steps_path = format!("/api/v1/accounts/{beat}/approval-steps");
    let chain = json!({"steps": [
        {"name": "Duty sergeant", "approvers": ["sgt.evans"]},
        {"name": "Corporate comms", "needs_all": true, "approvers": ["comms.lewis"]}
    ]});

    // Only those who manage accounts set a chain; unknown staff are named back.
    let refused = officer
        .api(
            "PUT",
            &steps_path,
            Some(&officer_token),
            Some(chain.clone()),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let unknown = admin
        .api(
            "PUT",
            &steps_path,
            Some(&admin_token),
            Some(json!({"steps": [{"name": "Sergeant", "approvers": ["sgt.nobody"]}]})),
        )
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(unknown.body.contains("sgt.nobody"), "{}", unknown.body);
    let blank = admin
        .api(
            "PUT",
            &steps_path,
            Some(&admin_token),
            Some(json!({"steps": [{"name": " ", "approvers": ["sgt.evans"]}]})),
        )
        .await;
    assert_eq!(blank.status, 400, "{}", blank.body);
    let saved = admin
        .api("PUT", &steps_path, Some(&admin_token), Some(chain))
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let read = officer
        .api("GET", &steps_path, Some(&officer_token), None)
        .await
        .json();
    assert_eq!(read["steps"][1]["name"], "Corporate comms");
    assert_eq!(read["steps"][0]["approvers"], json!(["sgt.evans"]));

    let post = compose(
        &officer,
        &officer_token,
        beat,
        "Speed checks on the A55 near Abergele this week: slow down.",
    )
    .await;
    assert_eq!(post["status"], "pending", "{post}");
    assert!(notifications(&sergeant, &sergeant_token)
        .await
        .contains("step 1 of 2: Duty sergeant"));
    assert!(!notifications(&comms, &comms_token)
        .await
        .contains("Speed checks"));

    // The comms team may not approve before the sergeant has.
    let early = approve(&comms, &comms_token, &post, None).await;
    assert_eq!(early.status, 403, "{}", early.body);
    let first = approve(
        &sergeant,
        &sergeant_token,
        &post,
        Some("Sites are published."),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let post = first.json();
    assert_eq!(post["status"], "pending", "{post}");
    // Not twice, and now the comms team is told.
    let again = approve(&sergeant, &sergeant_token, &post, None).await;
    assert_eq!(again.status, 403, "{}", again.body);
    assert!(notifications(&comms, &comms_token)
        .await
        .contains("step 2 of 2: Corporate comms"));
    let queue = comms.get("/staff/posts").await;
    assert!(
        queue.body.contains("now at step 2 of 2: Corporate comms"),
        "{}",
        queue.body
    );
    let page = comms.get(&format!("/staff/posts/{}", post["id"])).await;
    assert!(
        page.body.contains("Sites are published."),
        "the first approval's rationale is shown: {}",
        page.body
    );
    let last = approve(&comms, &comms_token, &post, None).await;
    assert_eq!(last.status, 200, "{}", last.body);
    assert_eq!(last.json()["status"], "published", "{}", last.body);

    // Both approvals are in the audit trail.
    let audit = admin
        .api("GET", "/api/v1/audit?limit=50", Some(&admin_token), None)
        .await;
    assert!(
        audit.body.contains("post.approve-step") && audit.body.contains("post.approve"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn a_refused_draft_is_escalated_and_approved_only_where_the_law_allows() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;

    // Too long for the fediverse: nobody can approve that.
    let long = compose(
        &officer,
        &officer_token,
        beat,
        &"Patrolling the harbour. ".repeat(30),
    )
    .await;
    assert_eq!(long["status"], "refused", "{long}");
    let never = escalate(
        &officer,
        &officer_token,
        &long,
        json!({"version": long["version"], "reason": "It matters."}),
    )
    .await;
    assert_eq!(never.status, 409, "{}", never.body);
    assert!(never.body.contains("too long"), "{}", never.body);

    // A sexual-offence complainant's workplace: only with a waiver referenced.
    let victim = compose(
        &officer,
        &officer_token,
        beat,
        "A woman who works at Tesco in Bangor was sexually assaulted in the car park.",
    )
    .await;
    assert_eq!(victim["status"], "refused", "{victim}");
    let no_reason = escalate(
        &officer,
        &officer_token,
        &victim,
        json!({"version": victim["version"], "reason": " "}),
    )
    .await;
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let no_waiver = escalate(
        &officer,
        &officer_token,
        &victim,
        json!({"version": victim["version"], "reason": "She asked us to appeal for witnesses."}),
    )
    .await;
    assert_eq!(no_waiver.status, 400, "{}", no_waiver.body);
    assert!(no_waiver.body.contains("waiver"), "{}", no_waiver.body);
    // Someone else may not escalate the officer's post.
    let not_author = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/escalate", victim["id"]),
            Some(&sergeant_token),
            Some(json!({"version": victim["version"], "reason": "x"})),
        )
        .await;
    assert!(
        matches!(not_author.status, 403 | 404),
        "{}",
        not_author.body
    );
    let sent = escalate(&officer, &officer_token, &victim, json!({"version": victim["version"], "reason": "She asked us to appeal for witnesses.", "waiver": "Written waiver WV-2026-0113, signed 28 Nov"})).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let victim = sent.json();
    assert_eq!(victim["status"], "pending");
    assert!(notifications(&sergeant, &sergeant_token)
        .await
        .contains("asks you to overrule the check"));
    let page = sergeant
        .get(&format!("/staff/posts/{}", victim["id"]))
        .await;
    assert!(
        page.body.contains("WV-2026-0113") && page.body.contains("She asked us to appeal"),
        "{}",
        page.body
    );
    // A rationale is needed, then it goes out.
    let bare = approve(&sergeant, &sergeant_token, &victim, None).await;
    assert_eq!(bare.status, 400, "{}", bare.body);
    let approved = approve(
        &sergeant,
        &sergeant_token,
        &victim,
        Some("Waiver seen and filed; witnesses needed."),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.json()["status"], "published");
    let told = notifications(&officer, &officer_token).await;
    assert!(told.contains("published"), "{told}");

    // The officer's own refused post appears with the escalation form on its page.
    let child = compose(
        &officer,
        &officer_token,
        beat,
        "Jake Smith, 15, has been charged with robbery.",
    )
    .await;
    assert_eq!(child["status"], "refused", "{child}");
    let page = officer.get(&format!("/staff/posts/{}", child["id"])).await;
    assert!(page.body.contains("escalate-waiver"), "{}", page.body);
}

/// As an attacker would try: another force's administrator gets 404 for our
/// account's approval steps and connections and our posts' escalation and
/// channels; our own administrator with a token lacking the admin scope cannot
/// connect a network.
#[tokio::test]
async fn another_force_and_a_weaker_token_are_refused_on_the_new_routes() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let refused = compose(
        &officer,
        &officer_token,
        beat,
        "Jake Smith, 15, has been charged with robbery.",
    )
    .await;
    let server = app.logged_in("admin").await;
    let server_token = server
        .new_api_token("server", &["read", "write", "admin"])
        .await;
    let force = server.api("POST", "/api/v1/forces", Some(&server_token), Some(json!({"code": "north", "name": "Northshire Police", "domain": "police.north.test"}))).await;
    assert_eq!(force.status, 201, "{}", force.body);
    let user = server
        .api("POST", "/api/v1/users", Some(&server_token), Some(json!({"username": "north.admin", "display_name": "North Admin", "role": "force-admin", "password": "northern lights policing", "force": "north"})))
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let north = app.client();
    assert_eq!(
        north
            .log_in("north.admin", "northern lights policing")
            .await
            .status,
        303
    );
    let token = north
        .new_api_token("north", &["read", "write", "admin"])
        .await;
    let steps = format!("/api/v1/accounts/{beat}/approval-steps");
    for (method, path, body) in [
        ("GET", steps.clone(), None),
        ("PUT", steps.clone(), Some(json!({"steps": []}))),
        ("GET", format!("/api/v1/accounts/{beat}/connections"), None),
        (
            "PUT",
            format!("/api/v1/accounts/{beat}/connections/facebook"),
            Some(
                json!({"service": "https://graph.facebook.com", "identifier": "1", "secret": "x"}),
            ),
        ),
        (
            "DELETE",
            format!("/api/v1/accounts/{beat}/connections/bluesky"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/posts/{}/escalate", refused["id"]),
            Some(
                json!({"version": refused["version"], "reason": "mine now", "waiver": "forged waiver 123"}),
            ),
        ),
        (
            "GET",
            format!("/api/v1/posts/{}/channels", refused["id"]),
            None,
        ),
    ] {
        let page = north.api(method, &path, Some(&token), body).await;
        assert!(
            matches!(page.status, 403 | 404),
            "{method} {path}: {} {}",
            page.status,
            page.body
        );
    }
    // Our own administrator, with a token that lacks the admin scope.
    let chief = app.logged_in("chief.admin").await;
    let weak = chief.new_api_token("weak", &["read", "write"]).await;
    let page = chief
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/connections/facebook"),
            Some(&weak),
            Some(
                json!({"service": "https://graph.facebook.com", "identifier": "1", "secret": "x"}),
            ),
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    // Nothing changed for us.
    let ours = officer
        .api("GET", &steps, Some(&officer_token), None)
        .await
        .json();
    assert_eq!(ours["steps"], json!([]));
}
