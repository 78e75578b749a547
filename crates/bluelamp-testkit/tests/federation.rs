//! Federation end to end: signed inbound activities (and every way they can be
//! wrong), Follow → Accept, and a post's Create, Update
//! and Delete delivered, signed, to a remote actor served by this test.
//! Discovery documents are in `federation_discovery.rs`, interop with
//! fediverse-pasture in `interop_pasture.rs`.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::{get, post};
use axum::Router;
use bluelamp_federation::signatures::{generate_keypair, sign_request, verify_request, Signer};
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

/// What a remote inbox received.
#[derive(Clone, Debug)]
struct Delivered {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Delivered {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny remote server with actors `alice` and `mallory`, each with its own key.
struct Remote {
    base: String,
    received: Arc<Mutex<Vec<Delivered>>>,
    /// GETs of the actor documents (our key fetches), to check they are signed.
    fetches: Arc<Mutex<Vec<Delivered>>>,
    alice: Signer,
    mallory: Signer,
}

#[derive(Clone)]
struct RemoteState {
    base: String,
    pems: Arc<Vec<(String, String)>>,
    received: Arc<Mutex<Vec<Delivered>>>,
    fetches: Arc<Mutex<Vec<Delivered>>>,
}

async fn actor_doc(
    State(s): State<RemoteState>,
    Path(name): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    s.fetches.lock().unwrap().push(Delivered {
        path: uri.path().to_string(),
        headers,
        body: Vec::new(),
    });
    let Some((_, pem)) = s.pems.iter().find(|(n, _)| *n == name) else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("{}/users/{name}", s.base);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Person", "preferredUsername": name, "name": format!("{name} remote"),
        "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
        "endpoints": {"sharedInbox": format!("{}/inbox", s.base)},
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

async fn inbox(
    State(s): State<RemoteState>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> &'static str {
    s.received.lock().unwrap().push(Delivered {
        path: uri.path().to_string(),
        headers,
        body: body.to_vec(),
    });
    "ok"
}

impl Remote {
    async fn start() -> Remote {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (alice_private, alice_public) = generate_keypair().unwrap();
        let (mallory_private, mallory_public) = generate_keypair().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let fetches = Arc::new(Mutex::new(Vec::new()));
        let state = RemoteState {
            fetches: fetches.clone(),
            base: base.clone(),
            pems: Arc::new(vec![
                ("alice".into(), alice_public),
                ("mallory".into(), mallory_public),
            ]),
            received: received.clone(),
        };
        let app = Router::new()
            .route("/users/{name}", get(actor_doc))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Remote {
            alice: Signer::from_pem(&format!("{base}/users/alice#main-key"), &alice_private)
                .unwrap(),
            mallory: Signer::from_pem(&format!("{base}/users/mallory#main-key"), &mallory_private)
                .unwrap(),
            base,
            received,
            fetches,
        }
    }

    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// Wait for a delivered activity of `kind` whose object satisfies `matches`.
    async fn wait_for(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Delivered {
        for _ in 0..150 {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|d| {
                    let v = d.json();
                    v["type"] == kind && matches(&v)
                })
                .cloned();
            if let Some(found) = found {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {kind} delivered; got {:?}",
            self.received
                .lock()
                .unwrap()
                .iter()
                .map(|d| d.json()["type"].clone())
                .collect::<Vec<_>>()
        );
    }
}

/// POST `activity` to `path` on the app, signed by `signer`.
async fn send_signed(
    app: &TestApp,
    path: &str,
    activity: &Value,
    signer: &Signer,
) -> (u16, String) {
    let body = activity.to_string().into_bytes();
    let url = url::Url::parse(&format!("{}{path}", app.base)).unwrap();
    let mut request = reqwest::Client::new()
        .post(url.clone())
        .header("content-type", "application/activity+json");
    for (name, value) in sign_request("POST", &url, Some(&body), signer, SystemTime::now()) {
        if name.eq_ignore_ascii_case("host") {
            continue; // reqwest sends the same Host itself
        }
        request = request.header(name, value);
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// Check a delivery's signature against our actor's published key.
async fn verify_from_us(app: &TestApp, delivered: &Delivered, handle: &str) {
    verify_signed_by_us(app, "POST", delivered, Some(&delivered.body), handle).await;
}

/// Check a GET we made (a key fetch) was signed by `handle`'s published key.
async fn verify_get_from_us(app: &TestApp, fetched: &Delivered, handle: &str) {
    verify_signed_by_us(app, "GET", fetched, None, handle).await;
}

async fn verify_signed_by_us(
    app: &TestApp,
    method: &str,
    request: &Delivered,
    body: Option<&[u8]>,
    handle: &str,
) {
    let actor: Value = reqwest::Client::new()
        .get(format!("{}/users/{handle}", app.base))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let signed = verify_request(
        method,
        &request.path,
        &request.headers,
        body,
        pem,
        SystemTime::now(),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("our {method}'s signature must verify: {e}"));
    assert_eq!(
        signed.key_id,
        format!("{}/users/{handle}#main-key", app.base)
    );
}

/// POST `activity` to `path`, signed the RFC 9421 way (as Fedify does first):
/// `Signature-Input` + `Signature` over method, target URI, authority and
/// `Content-Digest`.
async fn send_message_signed(
    app: &TestApp,
    path: &str,
    activity: &Value,
    signer: &Signer,
    tamper: bool,
) -> (u16, String) {
    use bluelamp_federation::message_signatures::{
        content_digest_header, parse_signature_input, signature_base, RequestParts,
    };
    let body = activity.to_string().into_bytes();
    let created = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let input = format!(
        "sig1=(\"@method\" \"@target-uri\" \"@authority\" \"content-digest\");created={created};keyid=\"{}\";alg=\"rsa-v1_5-sha256\"",
        signer.key_id()
    );
    let mut headers = HeaderMap::new();
    headers.insert("host", app.domain().parse().unwrap());
    headers.insert(
        "content-digest",
        content_digest_header(&body).parse().unwrap(),
    );
    let parsed = parse_signature_input(&input).unwrap();
    let base = signature_base(
        &parsed,
        &RequestParts {
            method: "POST",
            scheme: "http",
            path_and_query: path,
            body: Some(&body),
        },
        &headers,
    )
    .unwrap();
    let signature = signer.sign_base64(base.as_bytes());
    let body = if tamper {
        activity.to_string().replace("hello", "HELLO").into_bytes()
    } else {
        body
    };
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/activity+json")
        .header("content-digest", headers["content-digest"].clone())
        .header("signature-input", input)
        .header("signature", format!("sig1=:{signature}:"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn an_rfc_9421_signed_note_is_accepted_and_a_tampered_one_refused() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let note = note_create(&remote, &app, 9421, "hello from a message-signed server");
    let (status, body) = send_message_signed(&app, "/inbox", &note, &remote.alice, true).await;
    assert_eq!(
        status, 401,
        "a body that does not match its Content-Digest: {body}"
    );
    assert!(body.contains("Digest"), "{body}");
    let (status, body) = send_message_signed(&app, "/inbox", &note, &remote.alice, false).await;
    assert_eq!(status, 202, "{body}");
    // Mallory cannot sign for Alice this way either.
    let forged = note_create(&remote, &app, 9422, "hello, forged");
    let (status, _) = send_message_signed(&app, "/inbox", &forged, &remote.mallory, false).await;
    assert_eq!(status, 401);
    let comms = app.logged_in("comms.lewis").await;
    let inbox = comms.get("/staff/inbox").await;
    assert!(
        inbox.body.contains("hello from a message-signed server"),
        "{}",
        inbox.body
    );
    assert!(!inbox.body.contains("hello, forged"), "{}", inbox.body);
}

#[tokio::test]
async fn one_remote_host_over_its_rate_is_answered_429_while_another_is_served() {
    let app = TestApp::spawn_with(bluelamp_web::WebConfig {
        cookie_secure: false,
        federation_scheme: "http".into(),
        federation_allow_loopback: true,
        // 1 a second: a burst of 10, then refusals.
        federation_inbox_per_host_per_second: 1,
        ..bluelamp_web::WebConfig::default()
    })
    .await;
    let mut tx = app.store.write().await.unwrap();
    let force = bluelamp_store::forces::by_code(&mut tx, "demo")
        .await
        .unwrap();
    bluelamp_store::federation::set_force_domain(&mut tx, force.id, &app.domain())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let busy = Remote::start().await;
    let quiet = Remote::start().await;
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    for n in 0..12 {
        let (status, _) = send_signed(
            &app,
            "/inbox",
            &note_create(&busy, &app, n, "hello"),
            &busy.alice,
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(&statuses[..10], &[202; 10], "{statuses:?}");
    // The budget refills at one a second: a slow run (PostgreSQL, a busy machine) may
    // legitimately earn one more acceptance per second it took, never more.
    let earned = started.elapsed().as_secs() as usize;
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    assert!(accepted <= 10 + earned, "{statuses:?} in {earned} s");
    assert!(
        statuses[10..].iter().all(|s| *s == 202 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        earned >= 2 || statuses.contains(&429),
        "over its rate the host is refused: {statuses:?}"
    );
    let (status, body) = send_signed(
        &app,
        "/inbox",
        &note_create(&quiet, &app, 1, "hello"),
        &quiet.alice,
    )
    .await;
    assert_eq!(status, 202, "another host is not held back: {body}");
}

#[tokio::test]
async fn a_follower_gets_an_accept_then_the_posts_create_update_and_delete() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let alice = remote.actor("alice");
    let ours = format!("{}/users/pcmorgan", app.base);
    let follow = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{alice}/follows/1"), "type": "Follow", "actor": alice, "object": ours});
    let (status, body) = send_signed(&app, "/users/pcmorgan/inbox", &follow, &remote.alice).await;
    assert_eq!(status, 202, "{body}");
    let accept = remote.wait_for("Accept", |_| true).await;
    assert_eq!(accept.json()["object"]["id"], format!("{alice}/follows/1"));
    assert_eq!(accept.json()["actor"], ours.as_str());
    verify_from_us(&app, &accept, "pcmorgan").await;
    // Our fetch of alice's key was itself signed (servers in authorized-fetch
    // mode answer nothing else), as the account she followed.
    let fetch = remote.fetches.lock().unwrap()[0].clone();
    verify_get_from_us(&app, &fetch, "pcmorgan").await;
    let followers = reqwest::Client::new()
        .get(format!("{ours}/followers"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(followers["totalItems"], 1);

    // The sergeant posts on the beat account without needing approval.
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let account = officer.account_id(&token, "pcmorgan").await;
    let created = officer
        .api("POST", &format!("/api/v1/accounts/{account}/posts"), Some(&token),
            Some(json!({"text": "Harbourside beat surgery at the library on Tuesday from 2pm.", "kind": "update"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let post = created.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    let id = post["id"].as_i64().unwrap();
    let note_id = format!("{ours}/posts/{id}");
    let create = remote
        .wait_for("Create", |v| v["object"]["id"] == note_id.as_str())
        .await;
    assert_eq!(create.path, "/inbox", "delivered once, to the shared inbox");
    assert!(create.json()["object"]["content"]
        .as_str()
        .unwrap()
        .contains("beat surgery"));
    verify_from_us(&app, &create, "pcmorgan").await;

    // The outbox shows it too: a server meeting the account sees recent posts.
    let fetch_json = |url: String| async move {
        reqwest::Client::new()
            .get(url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let outbox = fetch_json(format!("{ours}/outbox")).await;
    assert_eq!(outbox["type"], "OrderedCollection");
    let first = outbox["first"].as_str().unwrap().to_owned();
    let page = fetch_json(first).await;
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["orderedItems"][0]["type"], "Create");
    assert_eq!(page["orderedItems"][0]["object"]["id"], note_id.as_str());

    // Alice likes and boosts it, and Mallory likes it; the staff page counts
    // each actor's like or boost once (one actor cannot inflate the counts:
    // see hardening_federation.rs).
    let mallory = remote.actor("mallory");
    for (n, kind, actor, signer) in [
        (1, "Like", &alice, &remote.alice),
        (2, "Announce", &alice, &remote.alice),
        (3, "Like", &mallory, &remote.mallory),
    ] {
        let reaction = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/reactions/{n}"), "type": kind, "actor": actor, "object": note_id});
        let (status, body) = send_signed(&app, "/inbox", &reaction, signer).await;
        assert_eq!(status, 202, "{kind}: {body}");
    }
    // Mallory reports the post: the report waits in the inbox's review queue.
    let flag = json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{mallory}/reports/1"), "type": "Flag", "actor": mallory,
        "object": [note_id], "content": "This post is misleading"});
    let (status, body) = send_signed(&app, "/inbox", &flag, &remote.mallory).await;
    assert_eq!(status, 202, "Flag: {body}");
    let review = officer
        .api("GET", "/api/v1/inbox?hidden=true", Some(&token), None)
        .await
        .json();
    let report = review
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["hidden_reason"] == "fediverse report")
        .unwrap_or_else(|| panic!("no report in the review queue: {review}"));
    assert!(report["body"]
        .as_str()
        .unwrap()
        .contains("This post is misleading"));
    let page = officer.get(&format!("/staff/posts/{id}")).await;
    assert!(
        page.body
            .contains("On the fediverse: <strong>2</strong> likes, <strong>1</strong> boost."),
        "{}",
        page.body
    );

    let edited = officer
        .api("PATCH", &format!("/api/v1/posts/{id}"), Some(&token),
            Some(json!({"version": post["version"], "text": "Harbourside beat surgery at the library on Wednesday from 2pm."})))
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let update = remote
        .wait_for("Update", |v| v["object"]["id"] == note_id.as_str())
        .await;
    assert!(update.json()["object"]["content"]
        .as_str()
        .unwrap()
        .contains("Wednesday"));
    assert!(update.json()["object"]["updated"].is_string());
    verify_from_us(&app, &update, "pcmorgan").await;

    let version = edited.json()["version"].clone();
    let deleted = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/delete"),
            Some(&token),
            Some(json!({"version": version, "reason": "wrong day"})),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let delete = remote
        .wait_for("Delete", |v| v["object"]["id"] == note_id.as_str())
        .await;
    verify_from_us(&app, &delete, "pcmorgan").await;
    let creates = remote
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|d| d.json()["type"] == "Create")
        .count();
    assert_eq!(creates, 1, "one Create per post");
}

fn note_create(remote: &Remote, app: &TestApp, n: u32, text: &str) -> Value {
    let alice = remote.actor("alice");
    let ours = format!("{}/users/pcmorgan", app.base);
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{alice}/statuses/{n}/activity"), "type": "Create", "actor": alice,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
        "object": {"id": format!("{alice}/statuses/{n}"), "type": "Note", "attributedTo": alice,
            "content": text, "published": "2026-01-01T10:00:00Z",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
            "tag": [{"type": "Mention", "href": ours, "name": "@pcmorgan"}],
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": format!("{}/img.png", remote.base), "name": "a bike"}]}})
}

#[tokio::test]
async fn a_mention_lands_in_the_staff_inbox_sanitised_and_bad_requests_are_refused() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let create = note_create(&remote, &app, 1,
        "<p>@pcmorgan my bike was stolen<script>alert('x')</script> <a href=\"javascript:alert(1)\">here</a></p>");
    let (status, body) = send_signed(&app, "/users/pcmorgan/inbox", &create, &remote.alice).await;
    assert_eq!(status, 202, "{body}");
    // A replay of the same activity id (with a different object) is processed once.
    let mut replay = note_create(&remote, &app, 2, "<p>replayed-marker</p>");
    replay["id"] = create["id"].clone();
    assert_eq!(
        send_signed(&app, "/inbox", &replay, &remote.alice).await.0,
        202
    );

    let comms = app.logged_in("comms.lewis").await;
    let page = comms.get("/staff/inbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("my bike was stolen"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"), "scripts are stripped");
    assert!(
        !page.body.contains("javascript:"),
        "script links are stripped"
    );
    assert!(
        page.body.contains("alice remote"),
        "the author's name is shown"
    );
    assert!(
        page.body.contains("a bike"),
        "attachments keep their alt text"
    );
    assert!(
        !page.body.contains("replayed-marker"),
        "the replay was not processed"
    );

    // Unsigned.
    let unsigned = reqwest::Client::new()
        .post(format!("{}/users/pcmorgan/inbox", app.base))
        .header("content-type", "application/activity+json")
        .body(note_create(&remote, &app, 3, "x").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    // Signed by a key that is not the one the key id names (alice's id, mallory's key).
    let forger = Signer::from_pem(
        &format!("{}/users/alice#main-key", remote.base),
        &generate_keypair().unwrap().0,
    )
    .unwrap();
    assert_eq!(
        send_signed(
            &app,
            "/users/pcmorgan/inbox",
            &note_create(&remote, &app, 4, "x"),
            &forger
        )
        .await
        .0,
        401
    );
    // Mallory's own valid key, acting for alice.
    assert_eq!(
        send_signed(
            &app,
            "/users/pcmorgan/inbox",
            &note_create(&remote, &app, 5, "x"),
            &remote.mallory
        )
        .await
        .0,
        401
    );
    // Too big.
    let mut huge = note_create(&remote, &app, 6, "x");
    huge["object"]["content"] = Value::String("a".repeat(2 * 1024 * 1024));
    let big = reqwest::Client::new()
        .post(format!("{}/users/pcmorgan/inbox", app.base))
        .body(huge.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(big.status().as_u16(), 413);
    // Not ActivityStreams.
    let (status, reason) =
        send_signed(&app, "/inbox", &json!({"hello": "world"}), &remote.alice).await;
    assert_eq!(status, 400);
    assert!(reason.contains("type"), "{reason}");
    // An actor we do not have.
    assert_eq!(
        send_signed(
            &app,
            "/users/nobody/inbox",
            &note_create(&remote, &app, 7, "x"),
            &remote.alice
        )
        .await
        .0,
        404
    );
    let follow_nobody = json!({"id": format!("{}/f/9", remote.actor("alice")), "type": "Follow",
        "actor": remote.actor("alice"), "object": format!("{}/users/nobody", app.base)});
    assert_eq!(
        send_signed(&app, "/inbox", &follow_nobody, &remote.alice)
            .await
            .0,
        404
    );

    // A blocked domain is heard no more.
    let page = comms.get("/staff/inbox").await;
    let blocked = comms
        .post_form(
            "/staff/inbox/block",
            &[("target", "127.0.0.1"), ("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(blocked.status, 303, "{}", blocked.body);
    assert_eq!(
        send_signed(
            &app,
            "/inbox",
            &note_create(&remote, &app, 8, "<p>after the block</p>"),
            &remote.alice
        )
        .await
        .0,
        202
    );
    assert!(!comms
        .get("/staff/inbox")
        .await
        .body
        .contains("after the block"));
}
