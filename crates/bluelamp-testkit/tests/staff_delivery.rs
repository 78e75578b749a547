//! Staff are told beyond the staff pages, as they choose: by e-mail through a
//! real SMTP server, and by Web Push to a browser they subscribed. The test plays
//! the browser (its own P-256 keys) and a push service on this machine: the
//! message it receives decrypts with the browser's keys alone and carries a VAPID
//! token that verifies for that push service; a subscription the service says is
//! gone is forgotten. Push services other than the browsers' own and the
//! configured ones are refused, and nobody removes another person's device.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use bluelamp_services::web_push::crypto;
use bluelamp_testkit::smtp::{drain, SmtpSink};
use bluelamp_testkit::TestApp;
use bluelamp_web::WebConfig;
use ring::agreement;
use serde_json::json;

type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A push service on a free port: records each message; answers 201, or 410
/// ("gone") once `gone` is set.
async fn push_service() -> (String, Seen, Arc<Mutex<bool>>) {
    let seen: Seen = Arc::default();
    let gone = Arc::new(Mutex::new(false));
    let (record, is_gone) = (seen.clone(), gone.clone());
    let app = axum::Router::new().route(
        "/push/{id}",
        post(move |headers: HeaderMap, body: Bytes| {
            let (record, is_gone) = (record.clone(), is_gone.clone());
            async move {
                record.lock().unwrap().push((headers, body.to_vec()));
                if *is_gone.lock().unwrap() {
                    StatusCode::GONE
                } else {
                    StatusCode::CREATED
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (host, seen, gone)
}

async fn wait_for(seen: &Seen, count: usize) {
    for _ in 0..150 {
        if seen.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the push service received {} messages, not {count}",
        seen.lock().unwrap().len()
    );
}

#[tokio::test]
async fn a_waiting_post_reaches_the_supervisors_browser_encrypted_and_signed() {
    let (host, seen, gone) = push_service().await;
    let app = TestApp::spawn_with(WebConfig {
        cookie_secure: false,
        push_services: vec![host.clone()],
        ..WebConfig::default()
    })
    .await;
    // The browser's keys, as PushManager.subscribe() makes them.
    let rng = ring::rand::SystemRandom::new();
    let browser_key =
        agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng).unwrap();
    let browser_public = browser_key.compute_public_key().unwrap().as_ref().to_vec();
    let auth = [9u8; 16];
    let endpoint = format!("http://{host}/push/sergeant-phone");

    let sergeant = app.logged_in("sgt.evans").await;
    let settings = sergeant.get("/staff/settings").await;
    let key = bluelamp_testkit::extract_between(&settings.body, "data-key=\"", "\"").unwrap();
    let subscribe = |endpoint: String, p256dh: String| {
        let sergeant = &sergeant;
        async move {
            sergeant
                .submit(
                    "/staff/settings",
                    "/staff/push/subscribe",
                    &[
                        ("endpoint", &endpoint),
                        ("p256dh", &p256dh),
                        ("auth", &URL_SAFE_NO_PAD.encode(auth)),
                    ],
                )
                .await
        }
    };
    // Only push services this server sends to; only real browser keys.
    let inside = subscribe(
        "http://10.1.2.3/push/x".into(),
        URL_SAFE_NO_PAD.encode(&browser_public),
    )
    .await;
    assert_eq!(inside.status, 400, "{}", inside.body);
    let bad_key = subscribe(endpoint.clone(), URL_SAFE_NO_PAD.encode([4u8; 10])).await;
    assert_eq!(bad_key.status, 400, "{}", bad_key.body);
    let ok = subscribe(endpoint.clone(), URL_SAFE_NO_PAD.encode(&browser_public)).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let settings = sergeant.get("/staff/settings").await;
    assert!(
        settings.body.contains(&host) && settings.body.contains("Stop notifying this device"),
        "{}",
        settings.body
    );

    // Someone else cannot remove the sergeant's device.
    let device =
        bluelamp_testkit::extract_between(&settings.body, "/staff/push/", "/remove").unwrap();
    let officer = app.logged_in("pc.morgan").await;
    officer
        .submit(
            "/staff/settings",
            &format!("/staff/push/{device}/remove"),
            &[],
        )
        .await;
    assert!(sergeant
        .get("/staff/settings")
        .await
        .body
        .contains("Stop notifying this device"));

    // A post waits for the sergeant: the push arrives.
    let (officer, token) = app.ready_to_post("pc.morgan").await;
    let beat = officer.account_id(&token, "pcmorgan").await;
    let posted = officer
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "Bike marking at Prestatyn library on Saturday from ten.", "channels": ["fediverse"]})))
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post_id = posted.json()["post"]["id"].as_i64().unwrap();
    wait_for(&seen, 1).await;
    let (headers, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(headers["content-encoding"], "aes128gcm");
    assert!(headers.contains_key("ttl"));
    let message = crypto::decrypt(browser_key, &browser_public, &auth, &body)
        .expect("it decrypts with the browser's keys");
    let message: serde_json::Value = serde_json::from_slice(&message).unwrap();
    assert!(
        message["body"]
            .as_str()
            .unwrap()
            .contains("asks you to approve a post on @pcmorgan"),
        "{message}"
    );
    assert_eq!(message["url"], format!("/staff/posts/{post_id}"));
    // VAPID: signed by the key the browser subscribed with, for this push service.
    let authorization = headers["authorization"].to_str().unwrap();
    let token_part = authorization
        .strip_prefix("vapid t=")
        .unwrap()
        .split(", k=")
        .next()
        .unwrap();
    assert_eq!(authorization.split(", k=").nth(1).unwrap(), key);
    let pieces: Vec<&str> = token_part.split('.').collect();
    let claims: serde_json::Value =
        serde_json::from_slice(&crypto::decode_b64url(pieces[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], format!("http://{host}"));
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        crypto::decode_b64url(&key).unwrap(),
    )
    .verify(
        format!("{}.{}", pieces[0], pieces[1]).as_bytes(),
        &crypto::decode_b64url(pieces[2]).unwrap(),
    )
    .expect("the VAPID signature verifies with the server's public key");

    // The push service says the subscription is gone: it is forgotten.
    *gone.lock().unwrap() = true;
    let second = officer
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "Coffee with a cop at Rhyl market on Friday morning.", "channels": ["fediverse"]})))
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    wait_for(&seen, 2).await;
    for _ in 0..50 {
        if !sergeant
            .get("/staff/settings")
            .await
            .body
            .contains("Stop notifying this device")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a subscription the push service called gone is still kept");
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_smtp),
    ignore = "needs aiosmtpd, a real SMTP server: python3 -m pip install aiosmtpd (.ci/run installs it)"
)]
async fn the_author_is_emailed_when_their_post_is_rejected_if_they_asked() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let mail = sink.config(&app);
    let (officer, token) = app.ready_to_post("pc.morgan").await;
    // Asking for e-mail without an address is refused beside the field.
    let refused = officer
        .submit(
            "/staff/settings",
            "/staff/settings/notifications",
            &[("email", ""), ("by_email", "true")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("data-field=\"email\""),
        "{}",
        refused.body
    );
    let saved = officer
        .submit(
            "/staff/settings",
            "/staff/settings/notifications",
            &[
                ("email", "rhian.morgan@demo.example.org"),
                ("by_email", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let beat = officer.account_id(&token, "pcmorgan").await;
    let post = officer
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": "Bike marking at the library on Saturday from ten.", "channels": ["fediverse"]})))
        .await
        .json();
    let (_sergeant, sergeant_token) = app.ready_to_post("sgt.evans").await;
    let rejected = _sergeant
        .api("POST", &format!("/api/v1/posts/{}/reject", post["post"]["id"]), Some(&sergeant_token), Some(json!({"version": post["post"]["version"], "reason": "The library event moved to Sunday."})))
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    // The sergeant asked for no e-mail: only the author's message goes out.
    assert_eq!(drain(&app, &mail).await, 1);
    let got = sink.received_by("rhian.morgan@demo.example.org");
    assert_eq!(got.len(), 1, "{got:?}");
    let text = got[0]["text"].as_str().unwrap();
    assert!(
        text.contains("was rejected: The library event moved to Sunday."),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}/staff/posts/{}", app.base, post["post"]["id"])),
        "{text}"
    );
    // Told once only, however often the mail runs.
    assert_eq!(drain(&app, &mail).await, 0);
}
