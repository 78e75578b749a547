//! X and Facebook, against a local stand-in that follows their published API
//! documents (neither can be reached from here): X connected by OAuth 2 with
//! PKCE, its two-hour token renewed and the rotated refresh token kept; a
//! Facebook Page by its access token; a post with a photo and its alt text reaches
//! both; X's 429 waits for its reset; a post already there is not posted twice;
//! deleting here deletes there; a used authorisation cannot be replayed.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_testkit::fixtures::photo_with_gps;
use bluelamp_testkit::standins::{self, PAGE_ID, PAGE_TOKEN};
use bluelamp_testkit::{Client, TestApp};
use bluelamp_web::WebConfig;
use serde_json::{json, Value};

async fn channels(client: &Client, token: &str, post: i64, want: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = client
            .api(
                "GET",
                &format!("/api/v1/posts/{post}/channels"),
                Some(token),
                None,
            )
            .await
            .json();
        let all = last["channels"].as_array().unwrap();
        if !all.is_empty() && all.iter().all(|c| c["status"] == want) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not all channels became {want}: {last}");
}

#[tokio::test]
async fn a_post_reaches_x_and_a_facebook_page_and_leaves_with_them() {
    let (standin, seen) = standins::start().await;
    let app = TestApp::spawn_with(WebConfig {
        cookie_secure: false,
        x_client_id: "bluelamp-test-client".into(),
        x_api_base: standin.clone(),
        x_authorize_url: format!("{standin}/i/oauth2/authorize"),
        ..WebConfig::default()
    })
    .await;
    let admin = app.logged_in("chief.admin").await;
    let admin_token = admin
        .new_api_token("connect", &["read", "write", "admin"])
        .await;
    let beat = admin.account_id(&admin_token, "pcmorgan").await;
    let page = format!("/staff/accounts/{beat}");

    // X: off to X's page (PKCE, S256), back with a code, connected.
    let start = admin
        .submit(
            &page,
            &format!("/staff/accounts/{beat}/connections/x/start"),
            &[],
        )
        .await;
    assert_eq!(start.status, 303, "{}", start.body);
    let authorize = start.location().unwrap().to_string();
    assert!(
        authorize.starts_with(&format!("{standin}/i/oauth2/authorize?"))
            && authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    let x_page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let back = x_page.get(&authorize).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_string();
    let path = &callback[callback.find("/staff/").unwrap()..];
    let done = admin.get(path).await;
    assert_eq!(done.status, 303, "{}", done.body);
    // The same authorisation cannot be used twice.
    assert_eq!(admin.get(path).await.status, 400);

    // Facebook: a wrong Page token is refused; the right one connects.
    let fb = format!("/api/v1/accounts/{beat}/connections/facebook");
    let wrong = admin
        .api(
            "PUT",
            &fb,
            Some(&admin_token),
            Some(json!({"service": standin, "identifier": PAGE_ID, "secret": "EAAGnot-the-token"})),
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    let ok = admin
        .api(
            "PUT",
            &fb,
            Some(&admin_token),
            Some(json!({"service": standin, "identifier": PAGE_ID, "secret": PAGE_TOKEN})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let listed = admin
        .api(
            "GET",
            &format!("/api/v1/accounts/{beat}/connections"),
            Some(&admin_token),
            None,
        )
        .await;
    assert!(
        listed.body.contains("\"identifier\":\"nwpolice\"") && listed.body.contains(PAGE_ID),
        "{}",
        listed.body
    );
    assert!(
        !listed.body.contains(PAGE_TOKEN) && !listed.body.contains("refresh-"),
        "credentials never come back"
    );

    // The follower snapshot asks each network for its count.
    bluelamp_services::analytics::schedule(&app.store)
        .await
        .unwrap();
    let mut audience = Value::Null;
    for _ in 0..100 {
        audience = admin
            .api(
                "GET",
                "/api/v1/analytics/audience",
                Some(&admin_token),
                None,
            )
            .await
            .json();
        let channels = &audience["channels"];
        if channels["x"]["end"] == standins::X_FOLLOWERS
            && channels["facebook"]["end"] == standins::PAGE_FOLLOWERS
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        audience["channels"]["x"]["end"],
        standins::X_FOLLOWERS,
        "{audience}"
    );
    assert_eq!(
        audience["channels"]["facebook"]["end"],
        standins::PAGE_FOLLOWERS,
        "{audience}"
    );

    // A post with a photo and its alt text goes to both.
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let upload = sergeant
        .upload(&token, beat, "closure.jpg", photo_with_gps())
        .await;
    let media = upload.json()["id"].as_i64().unwrap();
    let alt = "Police cars blocking the westbound carriageway at Llanddulas";
    let text = "A55 westbound closed at Llanddulas after a collision. Diversion via the A547.";
    let posted = sergeant
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token),
            Some(json!({"text": text, "channels": ["fediverse", "x", "facebook"], "media": [{"id": media, "alt": alt}]})))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post_id = posted.json()["post"]["id"].as_i64().unwrap();
    let sent = channels(&sergeant, &token, post_id, "sent").await;
    assert!(
        sent.to_string().contains("https://x.com/nwpolice/status/"),
        "{sent}"
    );
    {
        let seen = seen.lock().unwrap();
        let tweet = seen
            .posts
            .iter()
            .find(|((n, _), _)| n == "x")
            .unwrap()
            .1
            .clone();
        assert_eq!(tweet["text"], text);
        let media_id = tweet["media"]["media_ids"][0].as_str().unwrap();
        assert_eq!(seen.media[media_id]["alt"], alt);
        let fb_post = seen
            .posts
            .iter()
            .find(|((n, _), _)| n == "facebook")
            .unwrap()
            .1
            .clone();
        assert_eq!(fb_post["message"], text);
        let attached: Value =
            serde_json::from_str(fb_post["attached_media"][0].as_str().unwrap()).unwrap();
        let photo = &seen.media[attached["media_fbid"].as_str().unwrap()];
        assert_eq!(photo["alt"], alt);
        assert_eq!(
            photo["published"], "false",
            "the photo is attached, not posted on its own"
        );
    }

    // The X token ends within the minute: each later post renews it, and the
    // rotated refresh token (single use) is kept, or the second renewal would fail.
    // X answers 429 once: the post waits for the reset, then goes.
    seen.lock().unwrap().rate_limit_next = true;
    for (n, text) in [
        "Speed checks on the A548 at Abergele this week.",
        "Bike marking at Rhyl library on Saturday from ten.",
    ]
    .iter()
    .enumerate()
    {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let posted = sergeant
            .api(
                "POST",
                &format!("/api/v1/accounts/{beat}/posts"),
                Some(&token),
                Some(json!({"text": text, "channels": ["x"]})),
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
        channels(
            &sergeant,
            &token,
            posted.json()["post"]["id"].as_i64().unwrap(),
            "sent",
        )
        .await;
        let renewals = seen
            .lock()
            .unwrap()
            .token_calls
            .iter()
            .filter(|c| *c == "refresh_token")
            .count();
        assert!(
            renewals > n,
            "post {n}: {renewals} renewals: {:?}",
            seen.lock().unwrap().token_calls
        );
    }

    // Already on the Page (an answer lost in a crash): not posted twice.
    let again = "Missing dog found safe in Prestatyn, thank you for sharing.";
    let posted = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": again, "channels": ["facebook"]})),
        )
        .await;
    let again_id = posted.json()["post"]["id"].as_i64().unwrap();
    channels(&sergeant, &token, again_id, "sent").await;
    let count = |seen: &standins::Seen, text: &str| {
        seen.posts
            .values()
            .filter(|p| p["message"] == text || p["text"] == text)
            .count()
    };
    assert_eq!(count(&seen.lock().unwrap(), again), 1);

    // Coming back: an X mention and a comment on the Page reach the inbox.
    let fb_id = sent["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["network"] == "facebook")
        .unwrap()["remote_uri"]
        .as_str()
        .unwrap()
        .to_string();
    {
        let mut seen = seen.lock().unwrap();
        seen.mention("troll99", "@nwpolice you lot are useless");
        seen.comment(&fb_id, "Carys Hughes", "Is the A547 open to lorries?");
        // A post Bluelamp never made (written on Facebook itself): a comment on it
        // is still someone talking to the force, so it reaches the inbox too.
        let direct = format!("{PAGE_ID}_9999");
        seen.posts.insert(
            ("facebook".into(), direct.clone()),
            json!({"message": "Posted straight on Facebook"}),
        );
        seen.comment(
            &direct,
            "Owain Jones",
            "Which car park is open for the fair?",
        );
    }
    let inbox_has = |body: &str, text: &str| body.contains(text);
    let mut inbox = String::new();
    for _ in 0..150 {
        inbox = sergeant
            .api("GET", "/api/v1/inbox", Some(&token), None)
            .await
            .body;
        if inbox_has(&inbox, "you lot are useless")
            && inbox_has(&inbox, "open to lorries")
            && inbox_has(&inbox, "car park is open for the fair")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        inbox_has(&inbox, "you lot are useless")
            && inbox_has(&inbox, "open to lorries")
            && inbox_has(&inbox, "car park is open for the fair"),
        "{inbox}"
    );
    // A blocked sender's next message is kept but not shown.
    let listed: Value = serde_json::from_str(&inbox).unwrap();
    let troll = listed["items"]
        .as_array()
        .or(listed.as_array())
        .unwrap()
        .iter()
        .find(|m| m.to_string().contains("you lot are useless"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let muted = sergeant
        .api(
            "POST",
            &format!("/api/v1/inbox/{troll}/mute"),
            Some(&token),
            Some(json!({"reason": "Abuse of officers"})),
        )
        .await;
    assert_eq!(muted.status, 200, "{}", muted.body);
    seen.lock()
        .unwrap()
        .mention("troll99", "@nwpolice you lot are useless again");
    seen.lock()
        .unwrap()
        .mention("dafydd_j", "@nwpolice thanks for the quick reply");
    for _ in 0..150 {
        inbox = sergeant
            .api("GET", "/api/v1/inbox", Some(&token), None)
            .await
            .body;
        if inbox.contains("thanks for the quick reply") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(inbox.contains("thanks for the quick reply"), "{inbox}");
    let listed: Value = serde_json::from_str(&inbox).unwrap();
    let again = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "@nwpolice you lot are useless again")
        .expect("kept");
    assert!(
        !again["hidden_at"].is_null(),
        "the blocked sender's message is hidden: {again}"
    );

    // An image X refuses: that channel fails, saying why, and the author is told.
    seen.lock().unwrap().refuse_media_next = true;
    let upload = sergeant
        .upload(&token, beat, "cctv.jpg", photo_with_gps())
        .await;
    let media = upload.json()["id"].as_i64().unwrap();
    let posted = sergeant
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "Do you recognise this man? Call 101 quoting 26000123.", "channels": ["x"], "media": [{"id": media, "alt": "A man in a grey hoodie at a shop till"}]})))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let failed = channels(
        &sergeant,
        &token,
        posted.json()["post"]["id"].as_i64().unwrap(),
        "failed",
    )
    .await;
    assert!(
        failed.to_string().contains("media type unrecognized"),
        "{failed}"
    );
    let told = sergeant
        .api("GET", "/api/v1/staff-notifications", Some(&token), None)
        .await
        .body;
    assert!(told.contains("could not go to x"), "{told}");

    // Deleted here, deleted there.
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
    channels(&sergeant, &token, post_id, "removed").await;
    assert_eq!(count(&seen.lock().unwrap(), text), 0, "gone from both");
}
