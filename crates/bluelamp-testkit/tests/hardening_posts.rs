//! Hardening of the publishing workflow: an approved post cannot be changed into
//! unreviewed text by editing it.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::{Client, TestApp};
use serde_json::{json, Value};

async fn compose(client: &Client, token: &str, account: i64, text: &str) -> Value {
    let page = client
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(token),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    page.json()["post"].clone()
}

async fn post(client: &Client, token: &str, id: i64) -> Value {
    client
        .api("GET", &format!("/api/v1/posts/{id}"), Some(token), None)
        .await
        .json()["post"]
        .clone()
}

async fn send(client: &Client, token: &str, path: &str, body: Value) -> (u16, Value) {
    let method = if path.ends_with("approve") || path.ends_with("reject") {
        "POST"
    } else {
        "PATCH"
    };
    let page = client.api(method, path, Some(token), Some(body)).await;
    let status = page.status;
    (status, page.json())
}

/// An RFC 3339 time `days` from now.
fn days_ahead(days: i64) -> String {
    let at =
        bluelamp_store::format_time(time::OffsetDateTime::now_utc() + time::Duration::days(days));
    format!("{}Z", &at[..19])
}

fn version(post: &Value) -> i64 {
    post["version"].as_i64().unwrap()
}

#[tokio::test]
async fn an_edit_of_an_approved_post_by_an_officer_waits_for_approval_and_the_approved_text_stays_public(
) {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;

    let approved_text = "Thanks to everyone who came to the beat surgery at the library today.";
    let submitted = compose(&officer, &officer_token, beat, approved_text).await;
    assert_eq!(submitted["status"], "pending", "pc.morgan needs approval");
    let id = submitted["id"].as_i64().unwrap();
    let (status, approved) = send(
        &sergeant,
        &sergeant_token,
        &format!("/api/v1/posts/{id}/approve"),
        json!({"version": version(&submitted)}),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "published");

    // The officer edits the approved post: the check would let this through, but
    // the officer may not post without approval, so it must not go out.
    let unreviewed = "Thanks to everyone who came today. Next surgery: the Red Lion, Friday 8pm.";
    let (status, edited) = send(
        &officer,
        &officer_token,
        &format!("/api/v1/posts/{id}"),
        json!({"version": version(&approved), "text": unreviewed}),
    )
    .await;
    assert_eq!(status, 202, "the edit is accepted for review: {edited}");
    assert_eq!(edited["status"], "published");
    assert_eq!(edited["body"], approved_text, "the approved text is kept");
    assert_eq!(edited["proposed_edit"]["text"], unreviewed);
    let public = app.client().get(&format!("/forces/demo/posts/{id}")).await;
    assert!(public.body.contains("beat surgery at the library"));
    assert!(
        !public.body.contains("Red Lion"),
        "unreviewed text went public"
    );
    let feed = app
        .client()
        .get("/forces/demo/accounts/pcmorgan/feed.atom")
        .await;
    assert!(
        !feed.body.contains("Red Lion"),
        "unreviewed text is in the feed"
    );

    // It waits in the approval queue, and the officer cannot approve it.
    let queue = sergeant
        .api(
            "GET",
            "/api/v1/posts?status=pending",
            Some(&sergeant_token),
            None,
        )
        .await
        .json();
    assert!(
        queue.as_array().unwrap().iter().any(|p| p["id"] == id),
        "{queue}"
    );
    let (status, _) = send(
        &officer,
        &officer_token,
        &format!("/api/v1/posts/{id}/approve"),
        json!({"version": version(&edited)}),
    )
    .await;
    assert_eq!(status, 403, "nobody approves their own edit");

    // The sergeant approves it: now it is public.
    let (status, after) = send(
        &sergeant,
        &sergeant_token,
        &format!("/api/v1/posts/{id}/approve"),
        json!({"version": version(&edited)}),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["body"], unreviewed);
    assert!(after["proposed_edit"].is_null());
    let public = app.client().get(&format!("/forces/demo/posts/{id}")).await;
    assert!(public.body.contains("Red Lion"));

    // A second edit is turned down with a reason: the approved text stays.
    let (status, second) = send(
        &officer,
        &officer_token,
        &format!("/api/v1/posts/{id}"),
        json!({"version": version(&after), "text": "Surgery cancelled, sorry all."}),
    )
    .await;
    assert_eq!(status, 202, "{second}");
    let (status, _) = send(
        &sergeant,
        &sergeant_token,
        &format!("/api/v1/posts/{id}/reject"),
        json!({"version": version(&second), "reason": ""}),
    )
    .await;
    assert_eq!(status, 400, "turning an edit down needs a reason");
    let (status, rejected) = send(
        &sergeant,
        &sergeant_token,
        &format!("/api/v1/posts/{id}/reject"),
        json!({"version": version(&second), "reason": "Not cancelled: check with the inspector"}),
    )
    .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "published");
    assert_eq!(rejected["body"], unreviewed);
    assert!(rejected["proposed_edit"].is_null());
    assert_eq!(
        post(&officer, &officer_token, id).await["review_note"],
        "Not cancelled: check with the inspector"
    );

    // Every step is audited.
    let admin = app.logged_in("chief.admin").await;
    let audit = admin.get("/staff/audit?action=post.edit").await.body;
    for action in [
        "post.edit_proposed",
        "post.edit_approve",
        "post.edit_reject",
    ] {
        assert!(
            audit.contains(action),
            "{action} missing from the audit trail"
        );
    }
}

#[tokio::test]
async fn an_edit_of_a_scheduled_post_waits_too_and_the_editor_must_still_be_allowed_to_post() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let page = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&officer_token),
            Some(json!({"text": "Bike marking at the market on Saturday.", "scheduled_at": days_ahead(30)})),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let submitted = page.json()["post"].clone();
    let id = submitted["id"].as_i64().unwrap();
    let (status, approved) = send(
        &sergeant,
        &sergeant_token,
        &format!("/api/v1/posts/{id}/approve"),
        json!({"version": version(&submitted)}),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "scheduled");
    let (status, edited) = send(
        &officer,
        &officer_token,
        &format!("/api/v1/posts/{id}"),
        json!({"version": version(&approved), "text": "Bike marking moved to the pub car park."}),
    )
    .await;
    assert_eq!(status, 202, "{edited}");
    assert_eq!(edited["body"], "Bike marking at the market on Saturday.");

    // Once the officer's membership no longer allows posting, editing is refused.
    let admin_token = app.logged_in("chief.admin").await;
    let admin_api = admin_token
        .new_api_token("members", &["write", "admin"])
        .await;
    let removed = admin_token
        .api(
            "PUT",
            &format!("/api/v1/accounts/{beat}/members"),
            Some(&admin_api),
            Some(json!({"username": "pc.morgan", "post": false})),
        )
        .await;
    assert!(removed.status < 300, "{}", removed.body);
    let (status, refused) = send(
        &officer,
        &officer_token,
        &format!("/api/v1/posts/{id}"),
        json!({"version": version(&edited), "text": "Bike marking is off."}),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
}

#[tokio::test]
async fn a_post_scheduled_years_ahead_is_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    for far in ["9999-12-31T10:00:00Z".to_string(), days_ahead(400)] {
        let page = sergeant
            .api(
                "POST",
                &format!("/api/v1/accounts/{beat}/posts"),
                Some(&token),
                Some(json!({"text": "Open day at the station.", "scheduled_at": far})),
            )
            .await;
        assert_eq!(page.status, 400, "{}", page.body);
        let detail = page.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.contains("scheduled_at") && detail.contains("check the year"),
            "{detail}"
        );
    }
    let page = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "Open day at the station.", "scheduled_at": days_ahead(300)})),
        )
        .await;
    assert_eq!(
        page.status, 201,
        "a date within the year is fine: {}",
        page.body
    );
}

#[tokio::test]
async fn checking_a_draft_longer_than_any_post_is_a_clear_error() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let page = sergeant
        .api(
            "POST",
            "/api/v1/check",
            Some(&token),
            Some(json!({"text": "a".repeat(200_000)})),
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.json()["detail"].as_str().unwrap().contains("at most"));
}

/// Messages queued for posts, and Create activities queued for the fediverse.
async fn sent_for(app: &TestApp, post: i64) -> (usize, i64) {
    let mut conn = app.store.read().await.unwrap();
    let mails = bluelamp_store::subscriptions::all_messages(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == "post" && m.text_body.contains(&format!("/posts/{post}")))
        .count();
    let creates: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbound_activities WHERE post_id = $1")
            .bind(post)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    (mails, creates)
}

#[tokio::test]
async fn channels_mean_what_they_say_unticked_email_mails_nobody_and_unconnected_networks_are_refused(
) {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    // A confirmed subscriber to the whole force.
    let public = app.client();
    let form = public
        .submit(
            "/forces/demo/subscribe",
            "/forces/demo/subscribe",
            &[("email", "reader@example.org"), ("mode", "immediate")],
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    {
        let mut conn = app.store.write().await.unwrap();
        sqlx::query("UPDATE subscribers SET status = 'confirmed', confirmed_at = created_at")
            .execute(&mut *conn)
            .await
            .unwrap();
        // And a follower on the fediverse (an unreachable one: only the queue is looked at).
        sqlx::query(
            "INSERT INTO followers (account_id, actor_id, inbox, follow_id, created_at) \
             VALUES ($1, 'https://social.invalid/users/reader', 'https://social.invalid/inbox', \
             'https://social.invalid/follows/1', '2026-01-01T00:00:00.000Z')",
        )
        .bind(beat)
        .execute(&mut *conn)
        .await
        .unwrap();
        conn.commit().await.unwrap();
    }
    let publish = |channels: Value| {
        let sergeant = &sergeant;
        let token = &token;
        async move {
            let page = sergeant
                .api(
                    "POST",
                    &format!("/api/v1/accounts/{beat}/posts"),
                    Some(token),
                    Some(json!({"text": "Road open again after the earlier collision.", "channels": channels})),
                )
                .await;
            (page.status, page.json())
        }
    };

    let (status, only_fediverse) = publish(json!(["fediverse"])).await;
    assert_eq!(status, 201, "{only_fediverse}");
    assert_eq!(
        only_fediverse["post"]["status"], "published",
        "{only_fediverse}"
    );
    let id = only_fediverse["post"]["id"].as_i64().unwrap();
    assert_eq!(sent_for(&app, id).await, (0, 1), "e-mail was unticked");

    let (status, only_email) = publish(json!(["email"])).await;
    assert_eq!(status, 201, "{only_email}");
    let id = only_email["post"]["id"].as_i64().unwrap();
    assert_eq!(sent_for(&app, id).await, (1, 0), "fediverse was unticked");

    for network in ["bluesky", "x", "facebook"] {
        let (status, refused) = publish(json!([network])).await;
        assert_eq!(status, 400, "{refused}");
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("not connected"),
            "{refused}"
        );
    }
    // The compose page offers only what is connected.
    let page = sergeant.get(&format!("/staff/accounts/{beat}")).await.body;
    assert!(page.contains("value=\"fediverse\"") && page.contains("value=\"email\""));
    assert!(!page.contains("value=\"bluesky\"") && !page.contains("value=\"x\""));
}

#[tokio::test]
async fn feeds_and_pages_list_posts_in_the_order_they_went_public_not_the_order_written() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let mut ids = Vec::new();
    for text in [
        "Held back, published last.",
        "Published first.",
        "Published second.",
    ] {
        let post = compose(&sergeant, &token, beat, text).await;
        assert_eq!(post["status"], "published");
        ids.push(post["id"].as_i64().unwrap());
    }
    // The first post written went public last (as a paused or held post does).
    {
        let mut conn = app.store.write().await.unwrap();
        sqlx::query("UPDATE posts SET published_at = '2099-01-01T00:00:00.000Z' WHERE id = $1")
            .bind(ids[0])
            .execute(&mut *conn)
            .await
            .unwrap();
        conn.commit().await.unwrap();
    }
    let feed = app
        .client()
        .get("/forces/demo/accounts/pcmorgan/feed.json")
        .await
        .json();
    let order: Vec<String> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            item["content_text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let position = |needle: &str| order.iter().position(|t| t.contains(needle)).unwrap();
    assert!(
        position("published last") < position("Published second")
            && position("Published second") < position("Published first"),
        "{order:?}"
    );
}

#[tokio::test]
async fn a_collective_accounts_signed_copy_of_the_corporate_text_counts_as_a_duplicate() {
    let app = TestApp::spawn().await;
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let (chief, chief_token) = app.ready_to_post("chief.admin").await;
    let beat = sergeant.account_id(&sergeant_token, "pcmorgan").await;
    let corporate = sergeant
        .account_id(&sergeant_token, "democonstabulary")
        .await;
    let collective = chief.account_id(&chief_token, "chiefofficers").await;
    let duplicate_noticed = |submitted: &Value| {
        submitted["report"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "duplicate-corporate")
    };
    async fn post(client: &Client, token: &str, account: i64, text: &str) -> Value {
        let page = client
            .api(
                "POST",
                &format!("/api/v1/accounts/{account}/posts"),
                Some(token),
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(page.status, 201, "{}", page.body);
        page.json()
    }

    // The signed copy is stored: the third account's post notices it.
    let first = "Lock your sheds tonight: bikes and tools are being taken across the county.";
    post(&sergeant, &sergeant_token, beat, first).await;
    let signed = post(&chief, &chief_token, collective, first).await;
    assert!(signed["post"]["body"]
        .as_str()
        .unwrap()
        .starts_with("ACC DA: "));
    let third = post(&sergeant, &sergeant_token, corporate, first).await;
    assert!(duplicate_noticed(&third), "{third}");

    // The signed copy is the one being checked: it notices the two before it.
    let second = "Darker evenings are here: wear something bright when you walk home.";
    post(&sergeant, &sergeant_token, beat, second).await;
    post(&sergeant, &sergeant_token, corporate, second).await;
    let signed = post(&chief, &chief_token, collective, second).await;
    assert!(duplicate_noticed(&signed), "{signed}");
}
