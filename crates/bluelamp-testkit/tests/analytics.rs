//! Reach, response, style and campaigns, from the roll-ups: counting survives a
//! crash without counting twice; the national view honours each force's choice
//! (named, totals only, or not at all) by page and API; growth reads straight
//! off the seeded follower history; campaign tags match whatever their case or
//! lookalike letters; a style profile is private to the officer and their
//! supervisors; a ten-year range is refused with a reason; fediverse followers
//! and feed readers are counted from what the server sees.

#![allow(clippy::unwrap_used)]

use bluelamp_domain::{AccountId, ForceId};
use bluelamp_services::analytics::{count, snapshot};
use bluelamp_services::Staff;
use bluelamp_store::analytics::audience;
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

/// A force with one account, appearing in the national view as `view` says.
async fn add_force(app: &TestApp, code: &str, name: &str, view: &str) -> (ForceId, AccountId) {
    let (force, account) = app.add_force(code, name).await;
    bluelamp_services::forces::change_settings(
        &app.store,
        &Staff {
            force_id: Some(force),
            ..Staff::command_line()
        },
        Some(code),
        &bluelamp_services::forces::ForceChanges {
            national_view: Some(view.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (force, account)
}

async fn add_user(app: &TestApp, force: &str, username: &str, role: &str) {
    bluelamp_services::users::add_user(
        &app.store,
        &Staff::command_line(),
        &bluelamp_services::users::AddUser {
            username: username.into(),
            display_name: username.into(),
            role: role.into(),
            password: "a long test password 2026".into(),
            force: Some(force.into()),
        },
    )
    .await
    .unwrap();
}

/// Thirty days of followers on one channel, from `start` to `end` linearly.
async fn history(
    app: &TestApp,
    force: ForceId,
    account: AccountId,
    channel: &str,
    start: i64,
    end: i64,
) {
    let mut tx = app.store.write().await.unwrap();
    for d in 1..=30i64 {
        let day = format!("2026-10-{d:02}");
        let n = start + (end - start) * (d - 1) / 29;
        audience::record(&mut tx, account.0, force.0, channel, &day, n)
            .await
            .unwrap();
        audience::sum_force_day(&mut tx, force.0, &day)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The seeded month (before the demo force's own generated history).
const OCTOBER: &str = "from=2026-10-01&to=2026-10-31";

#[tokio::test]
async fn counting_survives_a_crash_and_never_counts_twice() {
    let app = TestApp::spawn().await;
    count::count_all(&app.store).await.unwrap();
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let mut posts = Vec::new();
    for text in [
        "Shop watch meeting at 7pm tonight.",
        "Thank you to everyone who came.",
        "Patrols on the seafront this weekend.",
    ] {
        posts.push(
            sergeant.compose(&token, beat, text).await["post"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    {
        let mut tx = app.store.write().await.unwrap();
        for (n, actor) in ["https://a.example/users/1", "https://b.example/users/2"]
            .iter()
            .enumerate()
        {
            bluelamp_store::federation::add_reaction(
                &mut tx,
                &format!("{actor}/like/{n}"),
                posts[0],
                actor,
                "like",
            )
            .await
            .unwrap();
        }
        // The same actor's second like of the same post is the same like.
        assert!(!bluelamp_store::federation::add_reaction(
            &mut tx,
            "https://a.example/users/1/like/again",
            posts[0],
            "https://a.example/users/1",
            "like"
        )
        .await
        .unwrap());
        bluelamp_store::federation::add_reaction(
            &mut tx,
            "https://b.example/users/2/boost",
            posts[1],
            "https://b.example/users/2",
            "announce",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    // A round that crashes halfway: its transaction is never committed.
    {
        let mut tx = app.store.write().await.unwrap();
        let counted = count::round(&mut tx).await.unwrap();
        assert_eq!(
            counted.items,
            3 + 3,
            "three posts and three reactions were waiting"
        );
        // What a crash leaves: the database undoes the open transaction.
        tx.rollback().await.unwrap();
    }
    let mut conn = app.store.read().await.unwrap();
    assert_eq!(
        bluelamp_store::analytics::counting::backlog(&mut conn)
            .await
            .unwrap(),
        6,
        "the crash left everything to count"
    );
    drop(conn);
    assert_eq!(count::count_all(&app.store).await.unwrap(), 6);
    assert_eq!(
        count::count_all(&app.store).await.unwrap(),
        0,
        "a second run finds nothing new"
    );

    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin.new_api_token("analytics", &["read"]).await;
    let view = admin
        .api(
            "GET",
            "/api/v1/analytics/audience",
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(view.status, 200, "{}", view.body);
    let row = view.json()["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "pcmorgan")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            row["posts"].as_i64(),
            row["likes"].as_i64(),
            row["boosts"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{row}"
    );

    // Who amplified the first post; an undone like comes off its total.
    let amp = admin
        .api(
            "GET",
            &format!("/api/v1/analytics/posts/{}/amplifiers", posts[0]),
            Some(&admin_token),
            None,
        )
        .await
        .json();
    assert_eq!(amp["likes"], 2, "{amp}");
    {
        let mut tx = app.store.write().await.unwrap();
        bluelamp_store::federation::remove_reaction_to(
            &mut tx,
            posts[0],
            "https://a.example/users/1",
            "like",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let amp = admin
        .api(
            "GET",
            &format!("/api/v1/analytics/posts/{}/amplifiers", posts[0]),
            Some(&admin_token),
            None,
        )
        .await
        .json();
    assert_eq!(amp["likes"], 1, "{amp}");
    let top = admin
        .api(
            "GET",
            &format!("/api/v1/analytics/accounts/{beat}/amplifiers"),
            Some(&admin_token),
            None,
        )
        .await
        .json();
    assert_eq!(
        top["amplifiers"][0]["actor_id"], "https://b.example/users/2",
        "the person who both liked and boosted leads: {top}"
    );

    // Another force's post and account are not ours to look at.
    let (_, north_account) = add_force(&app, "north", "North Constabulary", "shown").await;
    let other = admin
        .api(
            "GET",
            &format!("/api/v1/analytics/accounts/{}/amplifiers", north_account.0),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(other.status, 404, "{}", other.body);
}

#[tokio::test]
async fn the_national_view_shows_each_force_as_it_chose() {
    let app = TestApp::spawn().await;
    let (north, north_account) = add_force(&app, "north", "North Constabulary", "shown").await;
    let (east, east_account) = add_force(&app, "east", "East Constabulary", "totals").await;
    let (west, west_account) = add_force(&app, "west", "West Constabulary", "hidden").await;
    history(&app, north, north_account, "fediverse", 1000, 1370).await;
    history(&app, east, east_account, "bluesky", 2000, 2000).await;
    history(&app, west, west_account, "fediverse", 5000, 9000).await;
    // The demo force's history for October: 7,000 all month.
    let demo_account = AccountId(1);
    history(&app, ForceId(1), demo_account, "email", 7000, 7000).await;

    let server = app.logged_in("admin").await;
    let token = server.new_api_token("national", &["read"]).await;
    let national = server
        .api(
            "GET",
            &format!("/api/v1/analytics/national?{OCTOBER}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(national.status, 200, "{}", national.body);
    let view = national.json();
    // North 1,000 → 1,370, East 2,000 flat, Demo 7,000 flat; West not counted.
    assert_eq!(view["total"]["start"], 10_000, "{view}");
    assert_eq!(view["total"]["end"], 10_370, "{view}");
    let north_row = view["forces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "north")
        .cloned()
        .unwrap();
    assert_eq!(
        north_row["growth"]["percent"].as_f64().map(|p| p.round()),
        Some(37.0),
        "{north_row}"
    );
    assert_eq!(view["counted_unnamed"], 1);
    let named: Vec<&str> = view["forces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        !named.contains(&"east") && !named.contains(&"west"),
        "{named:?}"
    );
    let page = server
        .get(&format!("/staff/analytics/national?{OCTOBER}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("North Constabulary") && page.body.contains("37%"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("West Constabulary") && !page.body.contains("East Constabulary"));
    let csv = server
        .get(&format!("/staff/analytics/national?{OCTOBER}&format=csv"))
        .await;
    assert!(
        csv.body
            .starts_with("force,followers_start,followers_end,growth_percent\r\n"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains("North Constabulary,1000,1370,37.0\r\n"),
        "{}",
        csv.body
    );

    // A force administrator has no national view; a ten-year range is refused.
    let force_admin = app.logged_in("chief.admin").await;
    let fa_token = force_admin.new_api_token("fa", &["read"]).await;
    let refused = force_admin
        .api("GET", "/api/v1/analytics/national", Some(&fa_token), None)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let long = force_admin
        .api(
            "GET",
            "/api/v1/analytics/audience?from=2016-11-30&to=2026-11-30",
            Some(&fa_token),
            None,
        )
        .await;
    assert_eq!(long.status, 400, "{}", long.body);
    assert!(long.body.contains("shorter period"), "{}", long.body);
    let own = force_admin
        .api(
            "GET",
            &format!("/api/v1/analytics/audience?{OCTOBER}"),
            Some(&fa_token),
            None,
        )
        .await
        .json();
    assert_eq!(own["total"]["end"], 7000, "{own}");
}

#[tokio::test]
async fn campaign_tags_match_whatever_the_case_or_lookalike_letters() {
    let app = TestApp::spawn().await;
    count::count_all(&app.store).await.unwrap();
    let (north, north_account) = add_force(&app, "north", "North Constabulary", "shown").await;
    add_force(&app, "south", "South Constabulary", "shown").await;
    add_user(&app, "north", "north.comms", "comms").await;
    let comms = app.logged_in("chief.admin").await;
    let token = comms.new_api_token("campaign", &["read", "write"]).await;
    let now = time::OffsetDateTime::now_utc();
    let at = |hours: i64| bluelamp_store::format_time(now + time::Duration::hours(hours));
    let made = comms
        .api("POST", "/api/v1/campaigns", Some(&token), Some(json!({"tag": "#Tweetathon2026", "title": "Tweet-a-thon", "starts_at": at(-1), "ends_at": at(12), "national": true})))
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_i64().unwrap();
    let bad = comms
        .api(
            "POST",
            "/api/v1/campaigns",
            Some(&token),
            Some(json!({"tag": "#no spaces", "title": "x", "starts_at": at(0), "ends_at": at(1)})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("tag: a hashtag"), "{}", bad.body);

    // North joins; South does not.
    let north_comms = app.client();
    north_comms
        .log_in("north.comms", "a long test password 2026")
        .await;
    let north_token = north_comms.new_api_token("n", &["read", "write"]).await;
    let joined = north_comms
        .api(
            "POST",
            &format!("/api/v1/campaigns/{id}/join"),
            Some(&north_token),
            None,
        )
        .await;
    assert_eq!(joined.status, 200, "{}", joined.body);

    let (sergeant, s_token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&s_token, "pcmorgan").await;
    for text in [
        "Out on patrol for #Tweetathon2026 tonight.",
        "Another call answered. #TWEETATHON2026",
        "A lost dog found its way home #tweеtathon2026",
        "Not part of it: #Tweetathon2025 and https://example.org/page#Tweetathon2026",
    ] {
        let sent = sergeant.compose(&s_token, beat, text).await;
        if sent["post"]["status"] == "pending" {
            // The check holds the lookalike letters; a second pair of eyes lets it go.
            assert_eq!(
                sent["report"]["findings"][0]["rule"], "disguised-letters",
                "{sent}"
            );
            let approved = comms
                .api("POST", &format!("/api/v1/posts/{}/approve", sent["post"]["id"]), Some(&token), Some(json!({"version": sent["post"]["version"], "reason": "A real hashtag typed on a Cyrillic keyboard; the campaign tag is right."})))
                .await;
            assert_eq!(approved.status, 200, "{}", approved.body);
        } else {
            assert_eq!(sent["post"]["status"], "published", "{sent}");
        }
    }
    // Posts of the other forces, as their own staff would have published them.
    {
        let mut tx = app.store.write().await.unwrap();
        for (force, account, text) in [(
            north,
            north_account,
            "North's first #ＴｗｅｅｔａｔｈｏｎＴｗｏ #Tweetathon2026",
        )] {
            let post = bluelamp_store::posts::NewPost {
                force_id: force,
                account_id: account,
                author: bluelamp_domain::UserId(1),
                text,
                body: text,
                status: bluelamp_domain::PostStatus::Published,
                kind: "update",
                channels: &[],
                reply_to_post_id: None,
                link_kind: None,
                link_ref: None,
                decision: "publish",
                findings: &json!([]),
                scheduled_at: None,
                content_warning: None,
            };
            bluelamp_store::posts::insert(&mut tx, &post).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    count::count_all(&app.store).await.unwrap();
    let view = comms
        .api(
            "GET",
            &format!("/api/v1/campaigns/{id}"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        view["posts"], 4,
        "three of ours (any case, a Cyrillic е) and North's one: {view}"
    );
    let per: Vec<(String, i64)> = view["forces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["posts"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(per, vec![("demo".to_string(), 3), ("north".to_string(), 1)]);
    let page = comms.get(&format!("/staff/campaigns/{id}")).await;
    assert!(
        page.body.contains("id=\"campaign-total\"") && page.body.contains("<svg"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_style_profile_is_private_to_the_officer_and_their_supervisors() {
    let app = TestApp::spawn().await;
    add_force(&app, "north", "North Constabulary", "shown").await;
    add_user(&app, "north", "north.sergeant", "supervisor").await;
    let users = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::users::list(&mut conn, None).await.unwrap()
    };
    let id_of = |name: &str| users.iter().find(|u| u.username == name).unwrap().id.0;
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&officer_token, "pcmorgan").await;
    officer
        .compose(
            &officer_token,
            beat,
            "Speeding checks on the school road this morning.",
        )
        .await;
    count::count_all(&app.store).await.unwrap();
    let path = |name: &str| format!("/api/v1/analytics/style/{}", id_of(name));

    let own = officer
        .api("GET", &path("pc.morgan"), Some(&officer_token), None)
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(own.json()["drafts"], 1, "{}", own.body);
    let other = officer
        .api("GET", &path("sgt.evans"), Some(&officer_token), None)
        .await;
    assert_eq!(other.status, 403, "{}", other.body);
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("a", &["read"]).await;
    assert_eq!(
        analyst
            .api("GET", &path("pc.morgan"), Some(&analyst_token), None)
            .await
            .status,
        403
    );
    let (sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    assert_eq!(
        sergeant
            .api("GET", &path("pc.morgan"), Some(&sergeant_token), None)
            .await
            .status,
        200
    );
    let north = app.client();
    north
        .log_in("north.sergeant", "a long test password 2026")
        .await;
    let north_token = north.new_api_token("n", &["read"]).await;
    assert_eq!(
        north
            .api("GET", &path("pc.morgan"), Some(&north_token), None)
            .await
            .status,
        404,
        "another force's officer does not exist"
    );
    let page = officer
        .get(&format!("/staff/analytics/style/{}", id_of("sgt.evans")))
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
}

#[tokio::test]
async fn followers_feed_readers_and_response_times_are_counted_from_what_arrives() {
    let app = TestApp::spawn().await;
    let beat = AccountId(2);
    {
        let mut tx = app.store.write().await.unwrap();
        for n in 0..7 {
            let actor = format!("https://social.example/users/f{n}");
            bluelamp_store::federation::upsert_follower(
                &mut tx,
                beat,
                &actor,
                &format!("{actor}/inbox"),
                None,
                &format!("{actor}/follows/1"),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let client = app.client();
    let feed = client
        .http
        .get(format!("{}/forces/demo/accounts/pcmorgan/feed.atom", app.base))
        .header("User-Agent", "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; like FeedFetcher-Google)")
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    snapshot::take(&app.store, None).await.unwrap();
    let admin = app.logged_in("chief.admin").await;
    let token = admin.new_api_token("a", &["read", "write"]).await;
    let view = admin
        .api("GET", "/api/v1/analytics/audience", Some(&token), None)
        .await
        .json();
    let row = view["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "pcmorgan")
        .cloned()
        .unwrap();
    assert_eq!(row["channels"]["fediverse"]["end"], 7, "{row}");
    assert_eq!(row["channels"]["feeds"]["end"], 42, "{row}");

    // A message answered, one closed: the response table has both.
    let totals = |v: &Value| -> (i64, i64, i64) {
        let lines = v["by_category"].as_array().unwrap();
        let sum = |f: &str| lines.iter().map(|l| l[f].as_i64().unwrap()).sum::<i64>();
        (sum("received"), sum("answered"), sum("closed"))
    };
    let before = totals(
        &admin
            .api("GET", "/api/v1/analytics/responses", Some(&token), None)
            .await
            .json(),
    );
    let connector = admin.new_api_token("inbound", &["inbound"]).await;
    let sent = admin
        .api("POST", "/api/v1/inbound", Some(&connector), Some(json!({"messages": [
            {"channel": "x", "external_id": "q1", "author": {"handle": "@asker"}, "text": "What time does the front counter open on Saturday?"},
            {"channel": "x", "external_id": "q2", "author": {"handle": "@thanks"}, "text": "Thanks for finding my bike, brilliant work."}
        ]})))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let ids: Vec<i64> = sent.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    for (id, status) in ids.iter().zip(["answered", "closed"]) {
        let r = admin
            .api(
                "POST",
                &format!("/api/v1/inbox/{id}/status"),
                Some(&token),
                Some(json!({"status": status})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    count::count_all(&app.store).await.unwrap();
    let responses = admin
        .api("GET", "/api/v1/analytics/responses", Some(&token), None)
        .await
        .json();
    let after = totals(&responses);
    assert_eq!(
        (after.0 - before.0, after.1 - before.1, after.2 - before.2),
        (2, 1, 1),
        "{responses}"
    );
}
