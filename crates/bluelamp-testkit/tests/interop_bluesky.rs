//! Cross-posting to Bluesky, proved against a real local AT Protocol network
//! (`@atproto/dev-env`: PLC, PDS and AppView; interop/atproto). A force
//! administrator connects an account with an app password (a wrong one is refused,
//! nothing stored; an officer may not); a post with a photo, its alt text, a link,
//! a mention and a hashtag reaches Bluesky, read back from the AppView with its
//! facets on UTF-8 byte offsets; a second account's reply arrives in the inbox;
//! deleting the post here removes it there.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_testkit::atproto::AtprotoNetwork;
use bluelamp_testkit::fixtures::photo_with_gps;
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

async fn channel(
    app_client: &bluelamp_testkit::Client,
    token: &str,
    post: i64,
    want: &str,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        last = app_client
            .api(
                "GET",
                &format!("/api/v1/posts/{post}/channels"),
                Some(token),
                None,
            )
            .await
            .json();
        if last["channels"][0]["status"] == want {
            return last["channels"][0].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the post never became {want} on Bluesky: {last}");
}

/// The Bluesky followers of @pcmorgan in an audience view (the demo's other
/// accounts have a generated history there).
fn beat_bluesky(audience: &Value) -> i64 {
    audience["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["handle"] == "pcmorgan")
        .and_then(|a| a["channels"]["bluesky"]["end"].as_i64())
        .unwrap_or(-1)
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_atproto),
    ignore = "needs the local AT Protocol network: (cd interop/atproto && npm ci) (.ci/run does)"
)]
async fn a_post_reaches_bluesky_with_its_photo_and_facets_and_a_reply_comes_back() {
    let network = AtprotoNetwork::start().await;
    let pds = network.pds.clone();
    let police = network
        .client(&[
            "create-account",
            &pds,
            "nwpolice.test",
            "comms@nw.example",
            "police-password-1",
        ])
        .await;
    let public = network
        .client(&[
            "create-account",
            &pds,
            "bob.test",
            "bob@example.net",
            "bob-password-1",
        ])
        .await;
    let bob_did = public["did"].as_str().unwrap().to_string();
    let app_password = network
        .client(&[
            "app-password",
            &pds,
            "nwpolice.test",
            "police-password-1",
            "bluelamp",
        ])
        .await;
    let app_password = app_password["password"].as_str().unwrap().to_string();

    // Link cards are fetched like fediverse documents: this switch lets them
    // reach the test server's own pages on 127.0.0.1.
    let app = TestApp::spawn_with(bluelamp_web::WebConfig {
        cookie_secure: false,
        federation_allow_loopback: true,
        ..bluelamp_web::WebConfig::default()
    })
    .await;
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("connector", &["read", "write", "admin"])
        .await;
    let beat = admin.account_id(&admin_token, "pcmorgan").await;
    let path = format!("/api/v1/accounts/{beat}/connections/bluesky");

    // A wrong password: refused, nothing stored, the failure audited.
    let wrong = admin
        .api("PUT", &path, Some(&admin_token), Some(json!({"service": pds, "identifier": "nwpolice.test", "secret": "not-the-password"})))
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    let listed = admin
        .api(
            "GET",
            &format!("/api/v1/accounts/{beat}/connections"),
            Some(&admin_token),
            None,
        )
        .await
        .json();
    assert_eq!(listed["connections"], json!([]));
    // An officer may not connect the account.
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let refused = officer
        .api(
            "PUT",
            &path,
            Some(&officer_token),
            Some(json!({"service": pds, "identifier": "nwpolice.test", "secret": app_password})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let connected = admin
        .api(
            "PUT",
            &path,
            Some(&admin_token),
            Some(json!({"service": pds, "identifier": "nwpolice.test", "secret": app_password})),
        )
        .await;
    assert_eq!(connected.status, 200, "{}", connected.body);
    assert_eq!(connected.json()["status"], "connected");
    assert_eq!(connected.json()["remote_id"], police["did"]);
    assert!(
        !connected.body.contains(&app_password),
        "the credential never comes back"
    );
    // The handle is a domain name: served from Bluelamp, Bluesky can verify it.
    let did = reqwest::Client::new()
        .get(format!("{}/.well-known/atproto-did", app.base))
        .header("host", "nwpolice.test")
        .send()
        .await
        .unwrap();
    assert_eq!(did.status(), 200);
    assert_eq!(did.text().await.unwrap(), police["did"].as_str().unwrap());
    let unknown = reqwest::Client::new()
        .get(format!("{}/.well-known/atproto-did", app.base))
        .header("host", "someone-else.test")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // The sergeant posts without approval, with a photo and its alt text.
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let upload = sergeant
        .upload(&token, beat, "closure.jpg", photo_with_gps())
        .await;
    assert_eq!(upload.status, 201, "{}", upload.body);
    let media = upload.json()["id"].as_i64().unwrap();
    let text = "A55 westbound closed at Llanddulas: diversion via the B5443. Ask @bob.test, see https://example.com/a55 #RoadSafety";
    let posted = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": text, "channels": ["fediverse", "bluesky"],
                "media": [{"id": media, "alt": "Police cars blocking the westbound carriageway at the Llanddulas junction"}]})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post = posted.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    let post_id = post["id"].as_i64().unwrap();
    let sent = channel(&sergeant, &token, post_id, "sent").await;
    let uri = sent["remote_uri"].as_str().unwrap().to_string();
    assert!(
        uri.starts_with(&format!(
            "at://{}/app.bsky.feed.post/",
            police["did"].as_str().unwrap()
        )),
        "{sent}"
    );

    // Read back from the AppView, as a reader's app sees it.
    let seen = network
        .client(&[
            "get-post",
            &network.appview,
            &uri,
            "--control",
            &network.control,
        ])
        .await;
    let record = &seen["record"];
    assert_eq!(record["text"], text);
    let facets = record["facets"].as_array().unwrap();
    let feature = |kind: &str| {
        facets
            .iter()
            .find(|f| f["features"][0]["$type"] == kind)
            .unwrap()
            .clone()
    };
    let mention = feature("app.bsky.richtext.facet#mention");
    assert_eq!(mention["features"][0]["did"], bob_did);
    let start = mention["index"]["byteStart"].as_u64().unwrap() as usize;
    let end = mention["index"]["byteEnd"].as_u64().unwrap() as usize;
    assert_eq!(&text.as_bytes()[start..end], b"@bob.test");
    assert_eq!(
        feature("app.bsky.richtext.facet#link")["features"][0]["uri"],
        "https://example.com/a55"
    );
    assert_eq!(
        feature("app.bsky.richtext.facet#tag")["features"][0]["tag"],
        "RoadSafety"
    );
    assert_eq!(
        record["embed"]["images"][0]["alt"],
        "Police cars blocking the westbound carriageway at the Llanddulas junction"
    );
    assert_eq!(
        seen["embedView"]["images"][0]["alt"],
        "Police cars blocking the westbound carriageway at the Llanddulas junction"
    );

    assert_eq!(record["langs"], json!(["en"]));

    // A post in Welsh with a link and no photo: tagged `cy`, with a card built
    // from the linked page (here the first post's public page and its photo).
    let page_url = format!("{}/forces/demo/posts/{post_id}", app.base);
    let welsh = format!(
        "Mae'r ffordd ar gau heddiw. Diolch i chi am eich amynedd, mae'r manylion yma: {page_url}"
    );
    let carded = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": welsh, "channels": ["bluesky"]})),
        )
        .await;
    assert_eq!(carded.status, 201, "{}", carded.body);
    let carded_id = carded.json()["post"]["id"].as_i64().unwrap();
    let carded_uri = channel(&sergeant, &token, carded_id, "sent").await["remote_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let carded_seen = network
        .client(&[
            "get-post",
            &network.appview,
            &carded_uri,
            "--control",
            &network.control,
        ])
        .await;
    let carded_record = &carded_seen["record"];
    assert_eq!(carded_record["langs"], json!(["cy"]), "{carded_seen}");
    let external = &carded_record["embed"]["external"];
    assert_eq!(
        carded_record["embed"]["$type"], "app.bsky.embed.external",
        "{carded_seen}"
    );
    assert_eq!(external["uri"], page_url.as_str());
    assert!(
        external["title"].as_str().unwrap().contains(" on "),
        "the card's title is the page's og:title: {external}"
    );
    assert!(
        external["description"]
            .as_str()
            .unwrap()
            .contains("A55 westbound closed"),
        "{external}"
    );
    assert_eq!(
        external["thumb"]["$type"], "blob",
        "the page's picture went up as the card's thumbnail: {external}"
    );

    // Bob follows the force there: the follower snapshot reads the count from
    // the AppView through the connection.
    let police_did = police["did"].as_str().unwrap().to_string();
    network
        .client(&["follow", &pds, "bob.test", "bob-password-1", &police_did])
        .await;
    network.process_all().await;
    bluelamp_services::analytics::schedule(&app.store)
        .await
        .unwrap();
    let mut audience = Value::Null;
    for _ in 0..100 {
        {
            // Ask again now rather than in an hour, until the AppView has it.
            let mut tx = app.store.write().await.unwrap();
            bluelamp_store::jobs::run_now(&mut tx, bluelamp_services::analytics::SNAPSHOT_JOB)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        audience = sergeant
            .api("GET", "/api/v1/analytics/audience", Some(&token), None)
            .await
            .json();
        if beat_bluesky(&audience) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(beat_bluesky(&audience), 1, "{audience}");

    // Bob replies on Bluesky: the reply reaches the inbox.
    let reply = network
        .client(&[
            "reply",
            &pds,
            "bob.test",
            "bob-password-1",
            &uri,
            "Is the B5443 open to lorries?",
        ])
        .await;
    let reply_uri = reply["uri"].as_str().unwrap().to_string();
    network.process_all().await;
    let mut arrived = Value::Null;
    for _ in 0..120 {
        let inbox = sergeant
            .api("GET", "/api/v1/inbox", Some(&token), None)
            .await;
        if inbox.body.contains("Is the B5443 open to lorries?") {
            arrived = inbox.json();
            break;
        }
        network.process_all().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        !arrived.is_null(),
        "the Bluesky reply never reached the inbox"
    );
    assert!(
        arrived.to_string().contains(&reply_uri) || arrived.to_string().contains("bob.test"),
        "{arrived}"
    );

    // Bob's reply amplifies the post: it is listed with it, on Bluesky.
    bluelamp_services::analytics::count::count_all(&app.store)
        .await
        .unwrap();
    let amplified = sergeant
        .api(
            "GET",
            &format!("/api/v1/analytics/posts/{post_id}/amplifiers"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(amplified["replies"][0]["channel"], "bluesky", "{amplified}");
    assert!(
        amplified["replies"][0]["who"]
            .as_str()
            .unwrap_or_default()
            .contains("bob.test"),
        "{amplified}"
    );

    // Bluesky has no edit: an edit here goes there as a correction, a reply
    // threaded under the original, which stays.
    let version = sergeant
        .api(
            "GET",
            &format!("/api/v1/posts/{post_id}"),
            Some(&token),
            None,
        )
        .await
        .json()["post"]["version"]
        .clone();
    let edited = sergeant
        .api("PATCH", &format!("/api/v1/posts/{post_id}"), Some(&token), Some(json!({"version": version, "text": "A55 westbound closed at Llanddulas: diversion via the A547 (not the B5443)."})))
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let did = police["did"].as_str().unwrap();
    let listing = format!(
        "{pds}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=50"
    );
    let mut correction = Value::Null;
    for _ in 0..100 {
        let records: Value = reqwest::get(&listing).await.unwrap().json().await.unwrap();
        if let Some(found) = records["records"].as_array().unwrap().iter().find(|r| {
            r["value"]["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("Correction: ")
        }) {
            correction = found.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        correction["value"]["reply"]["parent"]["uri"], uri,
        "{correction}"
    );
    assert!(
        correction["value"]["text"]
            .as_str()
            .unwrap()
            .contains("A547"),
        "{correction}"
    );
    let records: Value = reqwest::get(&listing).await.unwrap().json().await.unwrap();
    assert_eq!(
        records["records"].as_array().unwrap().len(),
        3,
        "the original, its correction and the Welsh post, each once"
    );

    // Deleted here, removed there.
    let version = sergeant
        .api(
            "GET",
            &format!("/api/v1/posts/{post_id}"),
            Some(&token),
            None,
        )
        .await
        .json()["post"]["version"]
        .clone();
    let deleted = sergeant
        .api(
            "POST",
            &format!("/api/v1/posts/{post_id}/delete"),
            Some(&token),
            Some(json!({"version": version, "reason": "Road reopened"})),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    channel(&sergeant, &token, post_id, "removed").await;
    let exists = network.client(&["exists", &pds, &uri]).await;
    assert_eq!(exists["exists"], false, "{exists}");
    drop(officer);
}

/// The bad inputs a comms team meets: a post too long for Bluesky is refused
/// before anything is sent, naming the network; an app password revoked on
/// Bluesky shows "reconnect needed" on the account and the post waits, lost
/// nowhere, and goes once the account is reconnected.
#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_atproto),
    ignore = "needs the local AT Protocol network: (cd interop/atproto && npm ci) (.ci/run does)"
)]
async fn too_long_is_refused_first_and_a_revoked_password_waits_for_reconnection() {
    let network = AtprotoNetwork::start().await;
    let pds = network.pds.clone();
    network
        .client(&[
            "create-account",
            &pds,
            "nwpolice.test",
            "comms@nw.example",
            "police-password-1",
        ])
        .await;
    let first = network
        .client(&[
            "app-password",
            &pds,
            "nwpolice.test",
            "police-password-1",
            "bluelamp",
        ])
        .await;
    // Sign in afresh for each call, so the revocation shows at once rather than
    // when the session would have been renewed (90 minutes by default).
    let app = TestApp::spawn_with(bluelamp_web::WebConfig {
        cookie_secure: false,
        connector_session_reuse: Duration::ZERO,
        ..bluelamp_web::WebConfig::default()
    })
    .await;
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("connector", &["read", "write", "admin"])
        .await;
    let beat = admin.account_id(&admin_token, "pcmorgan").await;
    let path = format!("/api/v1/accounts/{beat}/connections/bluesky");
    let connect =
        |secret: String| json!({"service": pds, "identifier": "nwpolice.test", "secret": secret});
    let connected = admin
        .api(
            "PUT",
            &path,
            Some(&admin_token),
            Some(connect(first["password"].as_str().unwrap().into())),
        )
        .await;
    assert_eq!(connected.status, 200, "{}", connected.body);

    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let compose = |text: String| json!({"text": text, "channels": ["fediverse", "bluesky"]});
    let long = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(compose("Road safety week: ".repeat(20))),
        )
        .await;
    assert_eq!(long.status, 422, "{}", long.body);
    assert!(
        long.body.to_lowercase().contains("bluesky"),
        "the refusal names the network: {}",
        long.body
    );

    // Revoke the app password on Bluesky, as a careful admin would after a leak.
    let http = reqwest::Client::new();
    let session: Value = http
        .post(format!("{pds}/xrpc/com.atproto.server.createSession"))
        .json(&json!({"identifier": "nwpolice.test", "password": "police-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revoked = http
        .post(format!("{pds}/xrpc/com.atproto.server.revokeAppPassword"))
        .bearer_auth(session["accessJwt"].as_str().unwrap())
        .json(&json!({"name": "bluelamp"}))
        .send()
        .await
        .unwrap();
    assert!(
        revoked.status().is_success(),
        "{}",
        revoked.text().await.unwrap()
    );

    let posted = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(compose("Speed checks on the A55 this week.".into())),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post_id = posted.json()["post"]["id"].as_i64().unwrap();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = admin
            .api(
                "GET",
                &format!("/api/v1/accounts/{beat}/connections"),
                Some(&admin_token),
                None,
            )
            .await
            .json();
        if status["connections"][0]["status"] == "reconnect-needed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        status["connections"][0]["status"], "reconnect-needed",
        "{status}"
    );
    let waiting = sergeant
        .api(
            "GET",
            &format!("/api/v1/posts/{post_id}/channels"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(waiting["channels"][0]["status"], "queued", "{waiting}");
    assert!(
        waiting["channels"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("reconnect"),
        "{waiting}"
    );
    let page = admin.get(&format!("/staff/accounts/{beat}")).await;
    assert!(
        page.body.contains("reconnect needed"),
        "the account page says so"
    );

    // Reconnected with a new app password: the waiting post goes at once.
    let second = network
        .client(&[
            "app-password",
            &pds,
            "nwpolice.test",
            "police-password-1",
            "bluelamp-2",
        ])
        .await;
    let again = admin
        .api(
            "PUT",
            &path,
            Some(&admin_token),
            Some(connect(second["password"].as_str().unwrap().into())),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    channel(&sergeant, &token, post_id, "sent").await;
}
