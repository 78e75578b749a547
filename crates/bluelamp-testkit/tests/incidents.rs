//! Live incidents (story 3): structured updates that publish through the check, a
//! public page with a map drawn from the geometry, its own feeds, a live stream that
//! announces each new update, and a closing summary that keeps the page as a record.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::json;

const AREA: &str = r#"{"type":"Polygon","coordinates":[[[-3.575,53.292],[-3.530,53.292],[-3.530,53.276],[-3.575,53.276],[-3.575,53.292]]]}"#;

#[tokio::test]
async fn an_incident_updates_live_and_closes_as_a_record() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let area: serde_json::Value = serde_json::from_str(AREA).unwrap();
    let opened = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-1", "title": "Coast road closed", "area": "Towyn", "area_geojson": area, "severity": "high", "account_id": corporate})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);

    // The public page exists with no updates, and its stream is open.
    let public = app.client();
    let page = public.get("/forces/demo/incidents/INC-1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No updates yet"));
    let mut live = reqwest::Client::new()
        .get(format!("{}/forces/demo/incidents/INC-1/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert!(live.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));

    let update = sergeant
        .api("POST", "/api/v1/incidents/INC-1/updates", t, Some(json!({
            "text": "Emergency services are at a collision on the coast road.",
            "facts": [
                {"type": "road-closure", "road": "A548 Coast Road", "from": "Towyn", "to": "Kinmel Bay", "direction": "both directions",
                 "line": {"type": "LineString", "coordinates": [[-3.570, 53.287], [-3.538, 53.281]]}},
                {"type": "diversion", "route": "via the A55", "line": {"type": "LineString", "coordinates": [[-3.570, 53.287], [-3.545, 53.277]]}},
                {"type": "avoid-area"}
            ],
            "channels": ["fediverse"]
        })))
        .await;
    assert_eq!(update.status, 201, "{}", update.body);
    let body = update.json()["post"]["body"].as_str().unwrap().to_string();
    assert!(
        body.contains(
            "Road closed: A548 Coast Road (both directions) between Towyn and Kinmel Bay."
        ),
        "{body}"
    );
    assert!(
        body.contains("Diversion: via the A55.") && body.contains("Please avoid the Towyn area."),
        "{body}"
    );

    // The stream says so without the reader reloading.
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(chunk) = live.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: update") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("an update event within 10 s");
    assert!(event.contains("event: update"), "{event}");

    let page = public.get("/forces/demo/incidents/INC-1").await;
    assert!(
        page.body.contains("Road closed: A548 Coast Road"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<svg") && page.body.contains("1 road closure(s) in red"),
        "the map is drawn from the geometry"
    );
    assert!(
        page.body.contains("stroke=\"#c00000\""),
        "the closure line is drawn"
    );
    assert!(
        !page.body.contains("<image"),
        "no tiles unless the force sets a layer"
    );
    assert!(
        !page.body.contains("Earlier updates"),
        "one update: nothing earlier"
    );
    let record = public.get("/forces/demo/incidents/INC-1/updates").await;
    assert!(
        record.body.contains("Road closed: A548 Coast Road"),
        "the full record"
    );

    // A force that configures a tile layer gets street-map tiles under the drawing;
    // a template that is not https with every placeholder is refused.
    let chief = app.logged_in("chief.admin").await;
    let admin_token = chief
        .new_api_token("admin", &["read", "write", "admin"])
        .await;
    let refused = chief
        .api(
            "PATCH",
            "/api/v1/forces/demo",
            Some(&admin_token),
            Some(json!({"map_tiles": "http://tiles.example.org/{z}/{x}/{y}.png"})),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("https"), "{}", refused.body);
    let set = chief
        .api("PATCH", "/api/v1/forces/demo", Some(&admin_token), Some(json!({"map_tiles": "https://tiles.example.org/{z}/{x}/{y}.png", "map_attribution": "Map data: Example contributors"})))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let tiled = public.get("/forces/demo/incidents/INC-1").await;
    assert!(
        tiled
            .body
            .contains("<image href=\"https://tiles.example.org/")
            && tiled.body.contains("Map data: Example contributors")
            && tiled.body.contains("stroke=\"#c00000\""),
        "tiles under the same drawing, credited: {}",
        tiled.body
    );
    let feed = public.get("/forces/demo/incidents/INC-1/feed.atom").await;
    assert_eq!(feed.status, 200);
    assert!(
        feed.body.contains("Road closed: A548 Coast Road") && feed.body.contains("incidents/INC-1"),
        "{}",
        feed.body
    );
    let json_feed = public
        .get("/forces/demo/incidents/INC-1/feed.json")
        .await
        .json();
    assert_eq!(json_feed["items"].as_array().unwrap().len(), 1);

    // Bad input: clear errors, nothing recorded.
    for (facts, needle) in [
        (
            json!([{"type": "road-closure", "road": ""}]),
            "names the road",
        ),
        (
            json!([{"type": "road-closure", "road": "A55", "line": {"type": "LineString", "coordinates": [[0, 0], [200, 0]]}}]),
            "180",
        ),
        (
            json!([{"type": "meteor-strike"}]),
            "expected a list of facts",
        ),
    ] {
        let refused = sergeant
            .api(
                "POST",
                "/api/v1/incidents/INC-1/updates",
                t,
                Some(json!({"text": "x", "facts": facts})),
            )
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains(needle), "{needle}: {}", refused.body);
    }
    let open_ring = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-2", "title": "x", "area": "x", "severity": "low", "account_id": corporate,
            "area_geojson": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}})))
        .await;
    assert_eq!(open_ring.status, 400, "{}", open_ring.body);
    assert!(open_ring.body.contains("area_geojson"));
    let reused = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-1", "title": "x", "area": "x", "severity": "low", "account_id": corporate})))
        .await;
    assert_eq!(reused.status, 409);
    let view = sergeant
        .api("GET", "/api/v1/incidents/INC-1", t, None)
        .await
        .json();
    assert_eq!(
        view["updates"].as_array().unwrap().len(),
        1,
        "the refused updates left nothing behind"
    );

    // A held update stays off the public page until approved.
    let held = sergeant
        .api(
            "POST",
            "/api/v1/incidents/INC-1/updates",
            t,
            Some(json!({"text": "Jake Smith, 15, from Towyn was hurt in the crash."})),
        )
        .await;
    assert!(
        held.status == 422 || held.json()["post"]["status"] == "pending",
        "{}",
        held.body
    );
    let page = public.get("/forces/demo/incidents/INC-1").await;
    assert!(!page.body.contains("Jake Smith"));

    let closed = sergeant
        .api(
            "POST",
            "/api/v1/incidents/INC-1/close",
            t,
            Some(json!({"summary": "The coast road has reopened. Thank you for your patience."})),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.body);
    let page = public.get("/forces/demo/incidents/INC-1").await;
    assert!(
        page.body.contains("Closed") && page.body.contains("this page stays as the record"),
        "{}",
        page.body
    );
    assert!(page.body.contains("The coast road has reopened."));
    let after = sergeant
        .api(
            "POST",
            "/api/v1/incidents/INC-1/updates",
            t,
            Some(json!({"text": "More"})),
        )
        .await;
    assert_eq!(
        after.status, 409,
        "a closed incident takes no updates: {}",
        after.body
    );

    // Staff pages: the list and the incident, for a role that may; not for an analyst.
    assert_eq!(sergeant.get("/staff/incidents").await.status, 200);
    assert_eq!(sergeant.get("/staff/incidents/INC-1").await.status, 200);
    let analyst = app.logged_in("analyst.price").await;
    assert_eq!(analyst.get("/staff/incidents").await.status, 403);
    assert_eq!(public.get("/forces/demo/incidents/NOPE").await.status, 404);
}

#[tokio::test]
async fn area_alerts_reach_only_the_subscribers_of_the_districts_an_incident_touches() {
    let app = TestApp::spawn().await;
    let public = app.client();
    // Towyn drawn by a resident: it overlaps the incident's area though the
    // district they named (LL18) does not match.
    let drawn = r#"{"type":"Polygon","coordinates":[[[-3.56,53.28],[-3.50,53.28],[-3.50,53.30],[-3.56,53.30],[-3.56,53.28]]]}"#;
    for (email, areas, area_geojson, topic) in [
        ("towyn@example.org", "ll22", "", None),
        ("rhyl@example.org", "LL18", "", None),
        ("everything@example.org", "", "", None),
        ("drawn@example.org", "LL18", drawn, Some("topic_incidents")),
        ("appeals@example.org", "", "", Some("topic_appeals")),
    ] {
        let mut fields = vec![
            ("email", email),
            ("account", ""),
            ("mode", "immediate"),
            ("areas", areas),
            ("area_geojson", area_geojson),
        ];
        fields.extend(topic.map(|t| (t, "on")));
        let sent = public
            .submit("/forces/demo/subscribe", "/forces/demo/subscribe", &fields)
            .await;
        assert!(sent.status < 400, "{email}: {}", sent.body);
    }
    let bad_area = public
        .submit(
            "/forces/demo/subscribe",
            "/forces/demo/subscribe",
            &[
                ("email", "y@example.org"),
                ("account", ""),
                ("mode", "immediate"),
                ("area_geojson", r#"{"type":"Point","coordinates":[0,0]}"#),
                ("topic_news", "on"),
            ],
        )
        .await;
    assert_eq!(bad_area.status, 400, "{}", bad_area.body);
    assert!(
        bad_area.body.contains("Polygon") && bad_area.body.contains("&quot;Point&quot;"),
        "the error is given and the drawing kept: {}",
        bad_area.body
    );
    assert!(
        bad_area
            .body
            .contains(r#"id="topic_news" name="topic_news" value="on" checked"#),
        "the ticked topic is kept"
    );
    let refused = public
        .submit(
            "/forces/demo/subscribe",
            "/forces/demo/subscribe",
            &[
                ("email", "x@example.org"),
                ("account", ""),
                ("mode", "immediate"),
                ("areas", "Towyn"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("postcode district") && refused.body.contains("value=\"Towyn\""),
        "the error is given and the input kept"
    );
    // Confirmation is another test's subject (real SMTP); here the three confirm at once.
    let mut conn = app.store.write().await.unwrap();
    sqlx::query("UPDATE subscribers SET status = 'confirmed'")
        .execute(&mut *conn)
        .await
        .unwrap();
    conn.commit().await.unwrap();

    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let bad = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-9", "title": "x", "area": "x", "severity": "low", "account_id": corporate, "districts": ["LL22 9AA"]})))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    let opened = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-9", "title": "Flooding on the seafront", "area": "Towyn", "area_geojson": serde_json::from_str::<serde_json::Value>(AREA).unwrap(), "severity": "medium", "account_id": corporate, "districts": ["LL22"]})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    let update = sergeant
        .api("POST", "/api/v1/incidents/INC-9/updates", t, Some(json!({"text": "The seafront road is flooded near the caravan parks.", "facts": [{"type": "avoid-area"}], "channels": ["email"]})))
        .await;
    assert_eq!(update.status, 201, "{}", update.body);
    let mut conn = app.store.read().await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT to_address FROM mail_outbox WHERE subject LIKE '%new post%' ORDER BY to_address",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let to: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        to,
        [
            "drawn@example.org",
            "everything@example.org",
            "towyn@example.org"
        ],
        "the LL18 subscriber is not told of an LL22 incident, nor the appeals-only one"
    );
    drop(conn);

    // General news has no place: only the subscribers of everything get it.
    let news = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{corporate}/posts"),
            t,
            Some(json!({"text": "Our front counter opens at 8 tomorrow.", "channels": ["email"]})),
        )
        .await;
    assert_eq!(news.status, 201, "{}", news.body);
    let mut conn = app.store.read().await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT to_address FROM mail_outbox WHERE subject LIKE '%new post%' AND text_body LIKE '%front counter%' ORDER BY to_address",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let to: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(to, ["everything@example.org"]);
}

#[tokio::test]
async fn other_speaking_accounts_share_every_update() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let chiefs = sergeant.account_id(&token, "chiefofficers").await;
    // Not a member of the chief officers' account: it cannot be made to share.
    let refused = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-5", "title": "Fire at the harbour", "area": "Harbourside", "severity": "high", "account_id": corporate, "also_speaking": [chiefs]})))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let opened = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-5", "title": "Fire at the harbour", "area": "Harbourside", "severity": "high", "account_id": corporate, "also_speaking": [beat, corporate]})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    assert_eq!(
        opened.json()["also_speaking"],
        json!([beat]),
        "the lead account is not listed twice"
    );
    let update = sergeant
        .api("POST", "/api/v1/incidents/INC-5/updates", t, Some(json!({"text": "Smoke is drifting over the harbour; keep windows closed.", "facts": [], "channels": ["fediverse"]})))
        .await;
    assert_eq!(update.status, 201, "{}", update.body);
    let post = update.json()["post"]["id"].as_i64().unwrap();
    let mut conn = app.store.read().await.unwrap();
    let shares: Vec<(i64,)> = sqlx::query_as(
        "SELECT account_id FROM post_shares WHERE post_id = $1 AND undone_at IS NULL",
    )
    .bind(post)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(shares, [(beat,)], "the beat account shares the update");
    let audited: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'post.share' AND actor_label = 'platform' AND target_id = $1",
    )
    .bind(post.to_string())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(audited.0, 1);
}

#[tokio::test]
async fn a_long_incident_shows_its_newest_updates_and_links_the_full_record() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let opened = sergeant
        .api("POST", "/api/v1/incidents", t, Some(json!({"reference": "INC-L", "title": "Flooding", "area": "Towyn", "severity": "medium", "account_id": corporate})))
        .await;
    assert_eq!(opened.status, 201, "{}", opened.body);
    for n in 1..=42 {
        let update = sergeant
            .api("POST", "/api/v1/incidents/INC-L/updates", t, Some(json!({"text": format!("Update number {n}: water levels are being watched."), "facts": [], "channels": ["fediverse"]})))
            .await;
        assert_eq!(update.status, 201, "{}", update.body);
    }
    let page = app.client().get("/forces/demo/incidents/INC-L").await;
    assert!(page.body.contains("Update number 42:") && page.body.contains("Update number 3:"));
    assert!(
        !page.body.contains("Update number 2:"),
        "only the newest 40 on the live page"
    );
    assert!(
        page.body.contains("Earlier updates (2 more)"),
        "{}",
        page.body
    );
    let record = app
        .client()
        .get("/forces/demo/incidents/INC-L/updates")
        .await;
    assert!(record.body.contains("Update number 1:") && record.body.contains("Update number 42:"));
}
