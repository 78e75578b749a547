//! The inbox: connectors deliver through `POST /api/v1/inbound` (a token with the
//! `inbound` scope and nothing else), every message is triaged and stored once, staff
//! handle it, and the refusals hold: weaker tokens, other roles, another force's ids.

use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

fn message(external_id: &str, text: &str) -> Value {
    json!({
        "channel": "x",
        "external_id": external_id,
        "author": {"handle": "@someone", "name": "Some One", "url": "https://x.example/someone"},
        "text": text,
    })
}

async fn connector(app: &TestApp) -> String {
    app.logged_in("chief.admin")
        .await
        .new_api_token("x connector", &["inbound"])
        .await
}

#[tokio::test]
async fn a_connector_delivers_once_and_bad_messages_are_named_without_losing_the_rest() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let fifty: Vec<Value> = (0..50)
        .map(|i| json!({"url": format!("https://x.example/{i}.jpg")}))
        .collect();
    let mut too_many = message("m-4", "look at these");
    too_many["media"] = Value::Array(fifty);
    let mut unknown = message("m-5", "hello");
    unknown["channel"] = json!("telex");
    let batch = json!({"messages": [
        message("m-1", "Thank you to the officers who found my dad last night, brilliant work"),
        message("m-2", "<script>alert(1)</script> is anyone there?"),
        message("m-1", "Thank you to the officers who found my dad last night, brilliant work"),
        too_many,
        unknown,
        message("m-6", &"a".repeat(20_001)),
        message("m-7", "help"),
    ]});
    let r = admin
        .api("POST", "/api/v1/inbound", Some(&token), Some(batch.clone()))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "created",
            "created",
            "duplicate",
            "invalid",
            "invalid",
            "invalid",
            "created"
        ]
    );
    assert_eq!(body["results"][3]["field"], "media");
    assert_eq!(body["results"][4]["field"], "channel");
    assert_eq!(body["results"][5]["field"], "text");
    // The bare cry for help is an emergency: urgent, with the 999 reply for the channel.
    assert_eq!(body["results"][6]["primary"], "emergency");
    assert!(body["results"][6]["auto_reply"]
        .as_str()
        .unwrap()
        .contains("999"));
    // Sent again: every one is a duplicate of what is stored, nothing new.
    let again = admin
        .api("POST", "/api/v1/inbound", Some(&token), Some(batch))
        .await
        .json();
    assert_eq!(again["created"], 0);
    assert_eq!(again["duplicates"], 4);

    // Staff see them; the script is shown as text, never run.
    let comms = app.logged_in("comms.lewis").await;
    let page = comms.get("/staff/inbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(page.body.contains("found my dad"));
}

#[tokio::test]
async fn tokens_and_roles_that_may_not_are_refused() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    // The connector's token reads nothing.
    for path in ["/api/v1/inbox", "/api/v1/posts", "/api/v1/me/../inbox"] {
        let r = admin.api("GET", path, Some(&token), None).await;
        assert!(
            r.status == 403 || r.status == 404,
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    // A read-write token may not deliver.
    let officer = app.logged_in("pc.morgan").await;
    let rw = officer.new_api_token("mine", &["read", "write"]).await;
    let r = officer
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&rw),
            Some(json!({"messages": [message("z", "hi")]})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // An officer may not hold an inbound token at all.
    let page = officer
        .submit(
            "/staff/settings",
            "/staff/tokens",
            &[("name", "sneaky"), ("inbound", "true")],
        )
        .await;
    assert_ne!(page.status, 200, "{}", page.body);
    // Analysts and partners cannot read the inbox.
    for username in ["analyst.price", "partner.council"] {
        let client = app.logged_in(username).await;
        assert_eq!(client.get("/staff/inbox").await.status, 403, "{username}");
        assert_eq!(client.get("/staff/inbox/1").await.status, 403, "{username}");
    }
}

#[tokio::test]
async fn hiding_keeps_the_message_and_only_a_reviewer_restores_it_with_a_reason() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let r = admin
        .api("POST", "/api/v1/inbound", Some(&token), Some(json!({"messages": [message("c-1", "Three hours to turn up to a burglary. Useless response, I want to complain.")]})))
        .await
        .json();
    let id = r["results"][0]["id"].as_i64().unwrap();
    let officer = app.logged_in("pc.morgan").await;
    let officer_token = officer.new_api_token("rw", &["read", "write"]).await;
    let hide = |reason: &str| json!({"reason": reason});
    let r = officer
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/hide"),
            Some(&officer_token),
            Some(hide("   ")),
        )
        .await;
    assert_eq!(r.status, 400, "a blank reason: {}", r.body);
    let r = officer
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/hide"),
            Some(&officer_token),
            Some(hide("looked like abuse")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let queue = officer
        .api(
            "GET",
            "/api/v1/inbox?hidden=true",
            Some(&officer_token),
            None,
        )
        .await
        .json();
    assert!(
        queue.as_array().unwrap().iter().any(|m| m["id"] == id),
        "hidden messages wait for review"
    );
    let r = officer
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/restore"),
            Some(&officer_token),
            Some(hide("fair criticism")),
        )
        .await;
    assert_eq!(r.status, 403, "an officer is not a reviewer: {}", r.body);
    let sergeant = app.logged_in("sgt.evans").await;
    let sgt_token = sergeant.new_api_token("rw", &["read", "write"]).await;
    let r = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/restore"),
            Some(&sgt_token),
            Some(hide("sharp but fair criticism, not abuse")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{id}"),
            Some(&sgt_token),
            None,
        )
        .await
        .json();
    assert!(view["message"]["hidden_at"].is_null());
    let kinds: Vec<&str> = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["hidden", "restored"]);

    // An overrule is recorded with the new labels, the primary by the guide's order.
    let r = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/overrule"),
            Some(&sgt_token),
            Some(json!({"labels": ["question", "complaint"]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{id}"),
            Some(&sgt_token),
            None,
        )
        .await
        .json();
    assert_eq!(view["message"]["primary"], "complaint");
    let exported = bluelamp_services::inbox::handling::export_overrules(&app.store, None)
        .await
        .unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0]["labels"], json!(["complaint", "question"]));
    let r = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/overrule"),
            Some(&sgt_token),
            Some(json!({"labels": ["gossip"]})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Assign to me, then hand over at the end of the shift.
    let me = sergeant
        .api("GET", "/api/v1/me", Some(&sgt_token), None)
        .await
        .json();
    assert_eq!(me["username"], "sgt.evans");
    let page = sergeant
        .submit(
            &format!("/staff/inbox/{id}"),
            &format!("/staff/inbox/{id}/assign"),
            &[("me", "1")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let r = sergeant
        .api(
            "POST",
            "/api/v1/inbox/hand-over",
            Some(&sgt_token),
            Some(json!({"team": "late shift"})),
        )
        .await
        .json();
    assert_eq!(r["handed_over"], 1);
    let view = sergeant
        .api(
            "GET",
            &format!("/api/v1/inbox/{id}"),
            Some(&sgt_token),
            None,
        )
        .await
        .json();
    assert_eq!(view["message"]["team"], "late shift");
    assert!(view["message"]["assignee_id"].is_null());
}

#[tokio::test]
async fn another_forces_message_is_not_found() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&token),
            Some(json!({"messages": [message("o-1", "is the bypass open?")]})),
        )
        .await
        .json();
    let id = r["results"][0]["id"].as_i64().unwrap();
    // A second force with its own administrator.
    let root = app.logged_in("admin").await;
    let root_token = root
        .new_api_token("root", &["read", "write", "admin"])
        .await;
    let r = root
        .api(
            "POST",
            "/api/v1/forces",
            Some(&root_token),
            Some(json!({"code": "other", "name": "Other Constabulary", "domain": "other.example"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = root.api("POST", "/api/v1/users", Some(&root_token), Some(json!({"username": "other.admin", "display_name": "Other Admin", "role": "force-admin", "force": "other", "password": "another-long-password-2026"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let other = app.client();
    assert_eq!(
        other
            .log_in("other.admin", "another-long-password-2026")
            .await
            .status,
        303
    );
    let other_token = other.new_api_token("rw", &["read", "write"]).await;
    for path in [format!("/api/v1/inbox/{id}"), format!("/staff/inbox/{id}")] {
        let r = if path.starts_with("/api") {
            other.api("GET", &path, Some(&other_token), None).await
        } else {
            other.get(&path).await
        };
        assert_eq!(r.status, 404, "{path}: {}", r.body);
    }
    let r = other
        .api(
            "POST",
            &format!("/api/v1/inbox/{id}/hide"),
            Some(&other_token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let list = other
        .api("GET", "/api/v1/inbox", Some(&other_token), None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_public_contact_form_reaches_the_inbox_and_answers_an_emergency_at_once() {
    let app = TestApp::spawn().await;
    let public = app.client();
    let form = public.get("/forces/demo/contact").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("call 999"));
    let sent = public
        .submit(
            "/forces/demo/contact",
            "/forces/demo/contact",
            &[
                ("name", "Pat"),
                ("contact", "pat@example.org"),
                (
                    "message",
                    "There's a man outside my house with a knife right now, please help",
                ),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("WEB-"), "a reference: {}", sent.body);
    assert!(
        sent.body.contains("call 999"),
        "the emergency reply: {}",
        sent.body
    );
    // An empty message is refused beside the field, the rest kept.
    let empty = public
        .submit(
            "/forces/demo/contact",
            "/forces/demo/contact",
            &[("name", "Pat"), ("message", "  ")],
        )
        .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty.body.contains("value=\"Pat\""),
        "the input is kept: {}",
        empty.body
    );
    let comms = app.logged_in("comms.lewis").await;
    let page = comms.get("/staff/inbox?priority=critical").await;
    assert!(
        page.body.contains("with a knife right now"),
        "{}",
        page.body
    );
}

/// Story 4 in small: many people ask about the same claim in their own words; they
/// land in one rumour, and one published answer answers them all, each recorded.
#[tokio::test]
async fn messages_about_one_claim_become_one_rumour_answered_once() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let openers = [
        "is it true",
        "heard that",
        "people saying",
        "someone said",
        "my mate says",
        "apparently",
    ];
    let claims = [
        "the town centre is on fire and there are riots",
        "there are riots in the town centre and shops on fire",
        "riots in the town centre tonight, shops on fire",
    ];
    let mut messages = Vec::new();
    for (i, opener) in openers.iter().enumerate() {
        for (j, claim) in claims.iter().enumerate() {
            messages.push(message(
                &format!("r-{i}-{j}"),
                &format!("{opener} {claim}?? is this true"),
            ));
        }
    }
    messages.push(message(
        "other-1",
        "what time does the front desk at the station open on Sunday?",
    ));
    let r = admin
        .api(
            "POST",
            "/api/v1/inbound",
            Some(&token),
            Some(json!({"messages": messages})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let (officer, sgt) = app.ready_to_post("sgt.evans").await;
    let clusters = officer
        .api("GET", "/api/v1/rumours", Some(&sgt), None)
        .await
        .json();
    let biggest = &clusters.as_array().unwrap()[0];
    assert!(
        biggest["size"].as_i64().unwrap() >= 12,
        "most of the 18 land together: {clusters}"
    );
    let id = biggest["id"].as_i64().unwrap();

    // A post that is not published, or another force's, is refused.
    let r = officer
        .api(
            "POST",
            &format!("/api/v1/rumours/{id}/answer"),
            Some(&sgt),
            Some(json!({"post_id": 999})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The sergeant publishes the answer, then answers them all with it: each
    // message gets its own reply through the publishing path, on its channel.
    let beat = officer.account_id(&sgt, "pcmorgan").await;
    let answer = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&sgt),
            Some(json!({"text": "There are no riots in the town centre tonight. Officers are on patrol and the shops are open as usual.", "channels": ["fediverse"]})),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let answer_id = answer.json()["post"]["id"].as_i64().unwrap();
    let r = officer
        .api(
            "POST",
            &format!("/api/v1/rumours/{id}/answer"),
            Some(&sgt),
            Some(json!({"post_id": answer_id})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let answered = r.json();
    assert_eq!(answered["answered"], biggest["size"], "{answered}");
    assert_eq!(answered["refused"], 0);
    let reply = &answered["replies"][0];
    assert_eq!(reply["channel"], "x");
    assert!(reply["text"].as_str().unwrap().contains("no riots"));
    let view = officer
        .api("GET", &format!("/api/v1/rumours/{id}"), Some(&sgt), None)
        .await
        .json();
    assert_eq!(view["cluster"]["answer_post_id"], answer_id);
    assert!(view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["status"] == "answered"));
    let page = officer.get(&format!("/staff/rumours/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Answered with"));
}

/// Story 7: a safeguarding message becomes a referral that the partner agency's user
/// sees, and nothing else: not the message, not the inbox, not another agency's
/// referral, by page, API or id guessing.
/// Two connectors deliver the same new claim at the same moment. On PostgreSQL their
/// batches commit side by side; the claim must still be one rumour, not one each.
#[tokio::test]
async fn the_same_claim_from_two_connectors_at_once_is_one_rumour() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let openers = ["is it true", "people saying", "heard that", "apparently"];
    let batch = |prefix: &str| -> Value {
        let messages: Vec<Value> = (0..40)
            .map(|i| {
                json!({
                    "channel": "x",
                    "external_id": format!("{prefix}-{i}"),
                    "author": {"handle": format!("@{prefix}{i}")},
                    "text": format!(
                        "{} the old bridge on Mill Lane has collapsed and the river is closed?? #{i}",
                        openers[i % openers.len()]
                    ),
                })
            })
            .collect();
        json!({ "messages": messages })
    };
    let (a, b) = tokio::join!(
        admin.api("POST", "/api/v1/inbound", Some(&token), Some(batch("a"))),
        admin.api("POST", "/api/v1/inbound", Some(&token), Some(batch("b"))),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(b.status, 200, "{}", b.body);
    let (officer, sgt) = app.ready_to_post("sgt.evans").await;
    let clusters = officer
        .api("GET", "/api/v1/rumours", Some(&sgt), None)
        .await
        .json();
    let about_the_bridge: Vec<&Value> = clusters
        .as_array()
        .expect("a list")
        .iter()
        .filter(|c| c["sample"].as_str().unwrap_or("").contains("Mill Lane"))
        .collect();
    assert_eq!(
        about_the_bridge.len(),
        1,
        "one claim, one rumour: {clusters}"
    );
    assert!(
        about_the_bridge[0]["size"].as_i64().unwrap_or(0) >= 60,
        "both connectors' messages are in it: {clusters}"
    );
}

#[tokio::test]
async fn a_referral_reaches_its_partner_and_the_partner_sees_nothing_else() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let r = admin
        .api("POST", "/api/v1/inbound", Some(&token), Some(json!({"messages": [
            message("s-1", "my neighbour is 89 and has dementia, she keeps going out at night in her nightie and her son takes her pension"),
            message("s-2", "someone is dealing from the flat above the chip shop"),
        ]})))
        .await
        .json();
    let safeguarding = r["results"][0]["id"].as_i64().unwrap();
    let other_message = r["results"][1]["id"].as_i64().unwrap();
    let council = admin.api("POST", "/api/v1/partners", Some(&admin_token), Some(json!({"name": "County Council Children's Services", "contact": "mash@council.example"}))).await;
    assert_eq!(council.status, 201, "{}", council.body);
    let council = council.json()["id"].as_i64().unwrap();
    let health = admin
        .api(
            "POST",
            "/api/v1/partners",
            Some(&admin_token),
            Some(json!({"name": "Health Board", "contact": "mash@health.example"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = admin
        .api(
            "POST",
            &format!("/api/v1/partners/{council}/members"),
            Some(&admin_token),
            Some(json!({"username": "partner.council"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = admin
        .api(
            "POST",
            &format!("/api/v1/partners/{council}/members"),
            Some(&admin_token),
            Some(json!({"username": "pc.morgan"})),
        )
        .await;
    assert_eq!(
        r.status, 400,
        "only partner users join an agency: {}",
        r.body
    );

    // The sergeant refers from the message's page.
    let sergeant = app.logged_in("sgt.evans").await;
    let page = sergeant.get(&format!("/staff/inbox/{safeguarding}")).await;
    assert!(
        page.body.contains("Refer to a partner agency"),
        "{}",
        page.body
    );
    let referred = sergeant
        .submit(
            &format!("/staff/inbox/{safeguarding}"),
            &format!("/staff/inbox/{safeguarding}/refer"),
            &[("agency_id", &council.to_string()), ("shared", "Older woman with dementia at 4 Mill Lane, possible financial abuse by a relative."), ("lawful_basis", "safeguarding-individuals-at-risk"), ("consent", "not-asked"), ("reasoning", "Risk of harm at night and of financial abuse; the sender is a neighbour.")],
        )
        .await;
    assert_eq!(referred.status, 303, "{}", referred.body);
    let sgt = sergeant.new_api_token("rw", &["read", "write"]).await;
    let r = sergeant.api("POST", "/api/v1/referrals", Some(&sgt), Some(json!({"message_id": other_message, "agency_id": health, "shared": "x", "lawful_basis": "whim", "consent": "given", "reasoning": "y"}))).await;
    assert_eq!(r.status, 400, "an unknown lawful basis: {}", r.body);
    let r = sergeant.api("POST", "/api/v1/referrals", Some(&sgt), Some(json!({"message_id": other_message, "agency_id": health, "shared": "Address of a suspected drug flat", "lawful_basis": "public-task", "consent": "not-asked", "reasoning": "Children seen going in"}))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let health_referral = r.json()["id"].as_i64().unwrap();

    // The partner sees their referral, without the message id, and acknowledges it.
    let partner = app.logged_in("partner.council").await;
    let list = partner.get("/staff/referrals").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        !list.body.contains("href=\"/staff/inbox\""),
        "no inbox in a partner's navigation"
    );
    let partner_token = partner.new_api_token("read", &["read"]).await;
    let mine = partner
        .api("GET", "/api/v1/referrals", Some(&partner_token), None)
        .await
        .json();
    let mine = mine.as_array().unwrap();
    // The demo force's own referral (to the adult team) and this one; not the health board's.
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(
        mine.iter().all(|r| r["message_id"].is_null()),
        "partners never get the message"
    );
    assert!(mine.iter().all(|r| r["agency_id"] != health));
    let id = mine.iter().find(|r| r["agency_id"] == council).unwrap()["id"]
        .as_i64()
        .unwrap();
    let page = partner.get(&format!("/staff/referrals/{id}")).await;
    assert!(page.body.contains("Older woman with dementia"));
    let ack = partner
        .submit(
            &format!("/staff/referrals/{id}"),
            &format!("/staff/referrals/{id}/update"),
            &[("status", "acknowledged"), ("note", "Visit booked")],
        )
        .await;
    assert_eq!(ack.status, 303, "{}", ack.body);
    // Nothing else: another agency's referral, the messages, the inbox, by page and API.
    assert_eq!(
        partner
            .get(&format!("/staff/referrals/{health_referral}"))
            .await
            .status,
        404
    );
    assert_eq!(
        partner
            .api(
                "GET",
                &format!("/api/v1/referrals/{health_referral}"),
                Some(&partner_token),
                None
            )
            .await
            .status,
        404
    );
    for path in [
        format!("/staff/inbox/{safeguarding}"),
        "/staff/inbox".to_string(),
        "/staff/rumours".to_string(),
    ] {
        assert_eq!(partner.get(&path).await.status, 403, "{path}");
    }
    for path in [
        format!("/api/v1/inbox/{safeguarding}"),
        "/api/v1/inbox".to_string(),
        "/api/v1/partners".to_string(),
    ] {
        assert_eq!(
            partner
                .api("GET", &path, Some(&partner_token), None)
                .await
                .status,
            403,
            "{path}"
        );
    }
    let r = partner
        .api(
            "POST",
            &format!("/api/v1/referrals/{health_referral}/updates"),
            Some(&partner_token),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert!(r.status == 403 || r.status == 404, "{}", r.body);
    // The force sees the acknowledgement.
    let view = sergeant
        .api("GET", &format!("/api/v1/referrals/{id}"), Some(&sgt), None)
        .await
        .json();
    assert_eq!(view["referral"]["status"], "acknowledged");
    assert_eq!(view["updates"][0]["note"], "Visit booked");
}

/// The live alert: an officer's open inbox hears of an emergency the moment it is
/// delivered (server-sent events), with no reload.
#[tokio::test]
async fn an_emergency_is_announced_live_to_the_open_inbox() {
    let app = TestApp::spawn().await;
    let token = connector(&app).await;
    let comms = app.logged_in("comms.lewis").await;
    let mut stream = comms
        .http
        .get(format!("{}/staff/inbox/alerts", comms.base))
        .header("cookie", comms.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let admin = app.logged_in("chief.admin").await;
    let r = admin
        .api("POST", "/api/v1/inbound", Some(&token), Some(json!({"messages": [message("e-1", "HELP there's a man with a knife outside my door right now")]})))
        .await
        .json();
    assert_eq!(r["results"][0]["urgent"], true, "{r}");
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: urgent") {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("the alert arrives in time")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    // Analysts may not listen.
    let analyst = app.logged_in("analyst.price").await;
    let refused = analyst
        .http
        .get(format!("{}/staff/inbox/alerts", analyst.base))
        .header("cookie", analyst.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}
