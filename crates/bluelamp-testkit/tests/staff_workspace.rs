//! The staff workspace: staff are told (a supervisor when a post waits for their
//! approval, with a count in the navigation and a list; the author when it is
//! approved, rejected or goes public; nobody twice; nobody else's); an approver who
//! has not acknowledged the current policy may not approve; a refused post is
//! written again in place, never retyped.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

/// The kinds of notification about posts, newest first. (The demo's inbox has an
/// emergency and a safeguarding message, told to the sergeant on duty and the
/// comms officer trained in safeguarding; `inbox_alerts.rs` tests those.)
fn kinds(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .filter(|kind| kind.starts_with("post-"))
        .collect()
}

#[tokio::test]
async fn the_supervisor_is_told_a_post_waits_and_the_author_what_became_of_it() {
    let app = TestApp::spawn().await;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    let compose = |text: &str| json!({"text": text, "channels": ["fediverse"]});
    let first = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&officer_token),
            Some(compose(
                "Out on foot patrol in Harbourside this afternoon: come and say hello.",
            )),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.json()["post"]["status"], "pending", "{}", first.body);
    let first = &first.json()["post"];

    // The supervisor has not yet acknowledged the policy: told, but may not approve.
    // (The count also holds the demo's emergency message: the sergeant is on duty.)
    let sergeant = app.logged_in("sgt.evans").await;
    let home = sergeant.get("/staff").await;
    assert!(
        home.body
            .contains("Notifications <span class=\"count\">2</span>"),
        "the count is in the navigation: {}",
        home.body
    );
    let page = sergeant.get("/staff/notifications").await;
    assert!(
        page.body
            .contains("asks you to approve a post on @pcmorgan")
            && page.body.contains("Out on foot patrol"),
        "{}",
        page.body
    );
    // The queue says who, where and why it waits.
    let queue = sergeant.get("/staff/posts").await;
    assert!(
        queue.body.contains("the author posts with approval")
            && queue.body.contains("@pcmorgan")
            && queue.body.contains("waiting "),
        "{}",
        queue.body
    );
    let review = sergeant.get(&format!("/staff/posts/{}", first["id"])).await;
    assert!(
        review.body.contains("<dt>Author</dt>")
            && review.body.contains("<dt>Channels</dt><dd>fediverse</dd>"),
        "{}",
        review.body
    );
    let sergeant_token = sergeant.new_api_token("test", &["read", "write"]).await;
    let approve = json!({"version": first["version"]});
    let refused = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", first["id"]),
            Some(&sergeant_token),
            Some(approve.clone()),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("polic"), "{}", refused.body);
    let ack = sergeant
        .api(
            "POST",
            "/api/v1/policy/acknowledge",
            Some(&sergeant_token),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    let approved = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", first["id"]),
            Some(&sergeant_token),
            Some(approve),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    // A second post, rejected with a reason.
    let second = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&officer_token),
            Some(compose("Bike marking at the library on Saturday from ten.")),
        )
        .await
        .json();
    let rejected = sergeant
        .api("POST", &format!("/api/v1/posts/{}/reject", second["post"]["id"]), Some(&sergeant_token), Some(json!({"version": second["post"]["version"], "reason": "The library event moved to Sunday; please check the date."})))
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);

    let mine = officer
        .api(
            "GET",
            "/api/v1/staff-notifications",
            Some(&officer_token),
            None,
        )
        .await
        .json();
    assert_eq!(kinds(&mine), ["post-rejected", "post-published"], "{mine}");
    assert_eq!(mine["unread"], 2);
    assert!(mine["items"][0]["text"]
        .as_str()
        .unwrap()
        .contains("moved to Sunday"));

    // The sergeant's list is theirs alone; marking someone else's does nothing.
    let theirs = sergeant
        .api(
            "GET",
            "/api/v1/staff-notifications",
            Some(&sergeant_token),
            None,
        )
        .await
        .json();
    assert_eq!(kinds(&theirs), ["post-waiting", "post-waiting"], "{theirs}");
    let foreign = officer
        .api(
            "POST",
            "/api/v1/staff-notifications/read",
            Some(&officer_token),
            Some(json!({"id": theirs["items"][0]["id"]})),
        )
        .await;
    assert_eq!(foreign.json()["changed"], 0, "{}", foreign.body);
    let all = sergeant
        .api(
            "POST",
            "/api/v1/staff-notifications/read",
            Some(&sergeant_token),
            Some(json!({})),
        )
        .await;
    // Both posts waiting, and the demo's emergency.
    assert_eq!(all.json()["changed"], 3, "{}", all.body);
    let home = sergeant.get("/staff").await;
    assert!(!home.body.contains("class=\"count\""), "nothing unread now");
    let read_only = officer.new_api_token("read", &["read"]).await;
    let weak = officer
        .api(
            "POST",
            "/api/v1/staff-notifications/read",
            Some(&read_only),
            Some(json!({})),
        )
        .await;
    assert_eq!(weak.status, 403, "{}", weak.body);
}

#[tokio::test]
async fn a_refused_post_is_written_again_in_place_and_keeps_its_history() {
    let app = TestApp::spawn().await;
    let (officer, token) = app.ready_to_post("pc.morgan").await;
    let t = Some(token.as_str());
    let beat = officer.account_id(&token, "pcmorgan").await;
    let too_long = "Patrolling the harbour. ".repeat(30);
    let refused = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            t,
            Some(json!({"text": too_long, "channels": ["fediverse"]})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let post = refused.json()["post"].clone();
    let id = post["id"].as_i64().unwrap();

    // Its page offers the text back to change, not a dead end.
    let page = officer.get(&format!("/staff/posts/{id}")).await;
    assert!(
        page.body.contains("Write it again")
            && page.body.contains("Patrolling the harbour. Patrolling"),
        "{}",
        page.body
    );
    // Someone else may not; a stale version is refused; the same text is refused again.
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let theirs = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/resubmit"),
            Some(&sergeant_token),
            Some(json!({"version": post["version"], "text": "Short now."})),
        )
        .await;
    assert_eq!(theirs.status, 403, "{}", theirs.body);
    let stale = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/resubmit"),
            t,
            Some(json!({"version": 99, "text": "Short now."})),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let again = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/resubmit"),
            t,
            Some(json!({"version": post["version"], "text": too_long})),
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    let version = again.json()["post"]["version"].clone();

    // Shortened, it goes where a new post would: waiting for the sergeant, who is told.
    let fixed = officer
        .api("POST", &format!("/api/v1/posts/{id}/resubmit"), t, Some(json!({"version": version, "text": "Patrolling the harbour this afternoon: come and say hello."})))
        .await;
    assert_eq!(fixed.status, 201, "{}", fixed.body);
    assert_eq!(fixed.json()["post"]["status"], "pending", "{}", fixed.body);
    assert_eq!(fixed.json()["post"]["id"], id, "the same post, not a copy");
    let told = sergeant
        .api(
            "GET",
            "/api/v1/staff-notifications",
            Some(&sergeant_token),
            None,
        )
        .await
        .json();
    assert_eq!(kinds(&told), ["post-waiting"], "{told}");
    let history = officer.get(&format!("/staff/posts/{id}")).await;
    assert!(
        history.body.contains("written again"),
        "the earlier text is kept as history"
    );
    let twice = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/resubmit"),
            t,
            Some(json!({"version": fixed.json()["post"]["version"], "text": "Again?"})),
        )
        .await;
    assert_eq!(
        twice.status, 409,
        "a waiting post is edited, not written again: {}",
        twice.body
    );
}

#[tokio::test]
async fn each_role_sees_the_pages_it_may_use_and_compose_is_one_step_from_home() {
    let app = TestApp::spawn().await;
    let nav = |body: &str| -> Vec<String> {
        let nav = body
            .split("<nav aria-label=\"Staff\">")
            .nth(1)
            .unwrap_or_default();
        let nav = nav.split("</nav>").next().unwrap_or_default();
        nav.split("href=\"")
            .skip(1)
            .map(|h| h.split('"').next().unwrap_or_default().to_string())
            .collect()
    };
    let (officer, _) = app.ready_to_post("pc.morgan").await;
    let home = officer.get("/staff").await;
    let links = nav(&home.body);
    assert!(
        links.contains(&"/staff/compose".to_string())
            && links.contains(&"/staff/inbox".to_string()),
        "{links:?}"
    );
    assert!(
        !links.contains(&"/staff/users".to_string()),
        "an officer is not offered user management: {links:?}"
    );
    assert!(home.body.contains("Write a post"), "compose from home");
    let compose = officer.get("/staff/compose").await;
    assert!(
        compose.status == 303 || compose.body.contains("id=\"compose\""),
        "one account: straight to its compose form ({})",
        compose.status
    );
    let analyst = app.logged_in("analyst.price").await;
    let links = nav(&analyst.get("/staff").await.body);
    assert!(
        !links.contains(&"/staff/compose".to_string())
            && !links.contains(&"/staff/inbox".to_string()),
        "{links:?}"
    );
    assert_eq!(analyst.get("/staff/compose").await.status, 403);
    let partner = app.logged_in("partner.council").await;
    let links = nav(&partner.get("/staff").await.body);
    assert_eq!(
        links,
        [
            "/staff",
            "/staff/referrals",
            "/staff/notifications",
            "/staff/settings"
        ],
        "a partner agency sees its referrals and nothing of the force"
    );
    let admin = app.logged_in("chief.admin").await;
    assert!(nav(&admin.get("/staff").await.body).contains(&"/staff/users".to_string()));
    // Installable: the pages name a web-app manifest that starts on the staff side.
    assert!(home
        .body
        .contains("rel=\"manifest\" href=\"/manifest.webmanifest\""));
    let manifest = app.client().get("/manifest.webmanifest").await;
    assert_eq!(manifest.json()["start_url"], "/staff", "{}", manifest.body);
    assert_eq!(app.client().get("/assets/icon.svg").await.status, 200);
    // A malformed address gets the HTML error page a browser expects, not plain text.
    let bad = officer.get("/staff/posts/abc").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("<!DOCTYPE html>") && bad.body.contains("nav aria-label=\"Staff\""),
        "{}",
        bad.body
    );
}

#[tokio::test]
async fn a_time_from_the_compose_form_is_the_forces_local_time_in_summer_and_winter() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    // The next 1 July (British Summer Time, UTC+1) and 1 December (GMT), both ahead.
    let now = time::OffsetDateTime::now_utc();
    let next = |month: u8| {
        let year = if (now.month() as u8) < month {
            now.year()
        } else {
            now.year() + 1
        };
        format!("{year}-{month:02}-01")
    };
    for (day, wall, utc) in [(next(7), "18:00", "17:00"), (next(12), "18:00", "18:00")] {
        let posted = sergeant
            .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "Station open day: come and meet the team.", "scheduled_at": format!("{day}T{wall}")})))
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        let stored = posted.json()["post"]["scheduled_at"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            stored.starts_with(&format!("{day}T{utc}")),
            "{day} {wall} in London is {utc} UTC, not {stored}"
        );
        let page = sergeant
            .get(&format!("/staff/posts/{}", posted.json()["post"]["id"]))
            .await;
        assert!(
            page.body.contains(&format!("{wall} ")),
            "shown in local time: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn a_supervisors_own_held_post_can_be_approved_by_the_forces_other_approvers() {
    let app = TestApp::spawn().await;
    // The sergeant is the beat account's only approver; the check holds this.
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let held = sergeant
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "John Smith, 34, of Harbourside has been arrested on suspicion of burglary.", "channels": ["fediverse"]})))
        .await;
    assert_eq!(held.json()["post"]["status"], "pending", "{}", held.body);
    let post = held.json()["post"].clone();
    let own = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", post["id"]),
            Some(&token),
            Some(json!({"version": post["version"], "reason": "mine"})),
        )
        .await;
    assert_eq!(own.status, 403, "never one's own: {}", own.body);

    // The comms team, not a member of the beat account, is asked and may approve.
    let (comms, comms_token) = app.ready_to_post("comms.lewis").await;
    let told = comms
        .api(
            "GET",
            "/api/v1/staff-notifications",
            Some(&comms_token),
            None,
        )
        .await
        .json();
    assert_eq!(kinds(&told), ["post-waiting"], "{told}");
    // An officer is no fallback approver.
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let not_theirs = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{}/approve", post["id"]),
            Some(&officer_token),
            Some(json!({"version": post["version"], "reason": "ok"})),
        )
        .await;
    assert_eq!(not_theirs.status, 403, "{}", not_theirs.body);
    let approved = comms
        .api("POST", &format!("/api/v1/posts/{}/approve", post["id"]), Some(&comms_token), Some(json!({"version": post["version"], "reason": "Named on charge; the custody sergeant confirmed it may be released."})))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.json()["status"], "published", "{}", approved.body);
}

#[tokio::test]
async fn deleting_asks_for_confirmation_and_a_refused_post_is_kept() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let posted = sergeant
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), t, Some(json!({"text": "Bike marking at the library on Saturday.", "channels": ["fediverse"]})))
        .await;
    assert_eq!(
        posted.json()["post"]["status"],
        "published",
        "{}",
        posted.body
    );
    let id = posted.json()["post"]["id"].as_i64().unwrap();
    let page = format!("/staff/posts/{id}");
    let version = posted.json()["post"]["version"].to_string();
    let unconfirmed = sergeant
        .submit(
            &page,
            &format!("{page}/delete"),
            &[("version", version.as_str()), ("reason", "duplicate")],
        )
        .await;
    assert_eq!(unconfirmed.status, 400, "{}", unconfirmed.body);
    assert!(
        unconfirmed.body.contains("Nothing was deleted"),
        "{}",
        unconfirmed.body
    );
    let still = sergeant
        .api("GET", &format!("/api/v1/posts/{id}"), t, None)
        .await;
    assert_eq!(
        still.json()["post"]["status"],
        "published",
        "{}",
        still.body
    );
    let confirmed = sergeant
        .submit(
            &page,
            &format!("{page}/delete"),
            &[
                ("version", version.as_str()),
                ("reason", "duplicate"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(confirmed.status < 400, "{}", confirmed.body);

    // A refused post never went out: it is kept, not deleted, and not offered for it.
    let refused = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            t,
            Some(json!({"text": "Patrolling the harbour. ".repeat(30), "channels": ["fediverse"]})),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let refused_id = refused.json()["post"]["id"].as_i64().unwrap();
    assert!(!sergeant
        .get(&format!("/staff/posts/{refused_id}"))
        .await
        .body
        .contains("Delete post"));
    let delete = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{refused_id}/delete"),
            t,
            Some(json!({"version": refused.json()["post"]["version"], "reason": "x"})),
        )
        .await;
    assert_eq!(delete.status, 409, "{}", delete.body);
    assert!(delete.body.contains("write it again"), "{}", delete.body);
}

/// A scheduled post that cannot be published (here the database refuses the
/// change, as a full disk would) is retried, and when the runner gives up its
/// author is told why, once.
#[tokio::test]
async fn the_author_is_told_when_a_scheduled_post_cannot_go_out() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    {
        let mut conn = app.store.write().await.unwrap();
        let refuse: &[&str] = match app.store.backend() {
            bluelamp_store::Backend::Sqlite => &["CREATE TRIGGER refuse_publish BEFORE UPDATE OF status ON posts \
                 WHEN NEW.status = 'published' BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"],
            bluelamp_store::Backend::Postgres => &[
                "CREATE FUNCTION refuse_publish() RETURNS trigger AS $$ BEGIN \
                 IF NEW.status = 'published' THEN RAISE EXCEPTION 'the disk is full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_publish BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION refuse_publish()",
            ],
        };
        for statement in refuse {
            sqlx::query(statement).execute(&mut *conn).await.unwrap();
        }
        conn.commit().await.unwrap();
    }
    let at = bluelamp_store::format_time(bluelamp_store::clock::now() + time::Duration::seconds(2));
    let posted = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "Bike marking at Prestatyn library on Saturday from ten.", "channels": ["fediverse"], "scheduled_at": at})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_eq!(
        posted.json()["post"]["status"],
        "scheduled",
        "{}",
        posted.body
    );
    {
        // Give up after the first failure rather than after hours of backoff.
        let mut conn = app.store.write().await.unwrap();
        sqlx::query("UPDATE jobs SET max_attempts = 1 WHERE kind = 'publish_scheduled_post'")
            .execute(&mut *conn)
            .await
            .unwrap();
        conn.commit().await.unwrap();
    }
    for _ in 0..100 {
        let told = sergeant
            .api("GET", "/api/v1/staff-notifications", Some(&token), None)
            .await
            .json();
        let failed: Vec<&Value> = told["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "post-failed")
            .collect();
        if let Some(note) = failed.first() {
            assert_eq!(failed.len(), 1);
            assert!(
                note["text"]
                    .as_str()
                    .unwrap()
                    .contains("could not be published"),
                "{note}"
            );
            // The failure was the point: clear it so the end-of-test check (no
            // failed background work) stays meaningful for every other test.
            let mut conn = app.store.write().await.unwrap();
            sqlx::query("DELETE FROM jobs WHERE kind = 'publish_scheduled_post'")
                .execute(&mut *conn)
                .await
                .unwrap();
            conn.commit().await.unwrap();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the author was never told the post could not go out");
}
