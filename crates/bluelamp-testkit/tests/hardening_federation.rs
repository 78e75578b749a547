//! Federation hardening, end to end over real HTTP: de-duplication per force,
//! ids only from the sender's own origin, one like/boost per remote actor,
//! no internal error text for remote senders, and domain blocks that cover
//! subdomains (inbound and for deliveries).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use bluelamp_domain::AccountId;
use bluelamp_federation::signatures::{generate_keypair, sign_request, Signer};
use bluelamp_services::federation::{receive, Received, RemoteActorInfo};
use bluelamp_services::Staff;
use bluelamp_testkit::fediverse::{Behaviour, FakeHost};
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

/// A remote server on its own port (its own origin) serving actor documents
/// for the names it was given, each with a key pair.
struct Origin {
    base: String,
    signers: Vec<(String, Signer)>,
}

/// The server's base URL and each actor's (name, public key PEM).
type OriginState = (String, Arc<Vec<(String, String)>>);

async fn actor_doc(
    State((base, pems)): State<OriginState>,
    Path(name): Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Some((_, pem)) = pems.iter().find(|(n, _)| *n == name) else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("{base}/users/{name}");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Person", "preferredUsername": name,
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

impl Origin {
    async fn start(names: &[&str]) -> Origin {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut pems = Vec::new();
        let mut signers = Vec::new();
        for name in names {
            let (private, public) = generate_keypair().unwrap();
            pems.push((name.to_string(), public));
            let key_id = format!("{base}/users/{name}#main-key");
            signers.push((
                name.to_string(),
                Signer::from_pem(&key_id, &private).unwrap(),
            ));
        }
        let app = Router::new()
            .route("/users/{name}", get(actor_doc))
            .with_state((base.clone(), Arc::new(pems)));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Origin { base, signers }
    }

    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    fn signer(&self, name: &str) -> &Signer {
        &self.signers.iter().find(|(n, _)| n == name).unwrap().1
    }
}

/// POST a signed activity to `{base}{path}`; `(status, body)`.
async fn send_signed(base: &str, path: &str, activity: &Value, signer: &Signer) -> (u16, String) {
    let body = activity.to_string().into_bytes();
    let url = url::Url::parse(&format!("{base}{path}")).unwrap();
    let mut request = reqwest::Client::new()
        .post(url.clone())
        .header("content-type", "application/activity+json");
    for (name, value) in sign_request("POST", &url, Some(&body), signer, SystemTime::now()) {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A Create of a Note mentioning `ours`, with explicit activity and note ids.
fn create(actor: &str, activity_id: &str, note_id: &str, ours: &str, text: &str) -> Value {
    json!({"@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id, "type": "Create", "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
        "object": {"id": note_id, "type": "Note", "attributedTo": actor, "content": text,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [ours],
            "tag": [{"type": "Mention", "href": ours, "name": "@x"}]}})
}

/// A second force, served by the same server at `localhost:PORT`, with one account.
async fn second_force(app: &TestApp) -> (String, i64) {
    let cli = Staff::command_line();
    let force = bluelamp_services::forces::add_force(
        &app.store,
        &cli,
        &bluelamp_services::forces::AddForce {
            code: "north".into(),
            name: "North Constabulary".into(),
            domain: "north.example".into(),
            time_zone: "Europe/London".into(),
            logo_url: None,
            settings: Default::default(),
        },
    )
    .await
    .unwrap();
    let port = app.base.rsplit(':').next().unwrap();
    let domain = format!("localhost:{port}");
    {
        let mut tx = app.store.write().await.unwrap();
        bluelamp_store::federation::set_force_domain(&mut tx, force.id, &domain)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let as_cli = Staff {
        force_id: Some(force.id),
        ..Staff::command_line()
    };
    let account = bluelamp_services::accounts::add_account(
        &app.store,
        &as_cli,
        &bluelamp_services::accounts::AddAccount {
            handle: "northpolice".into(),
            display_name: "North Constabulary".into(),
            bio: String::new(),
            kind: "corporate".into(),
            avatar_url: None,
        },
    )
    .await
    .unwrap();
    (format!("http://{domain}"), account.id.0)
}

async fn inbox_page(app: &TestApp, username: &str) -> String {
    app.logged_in(username).await.get("/staff/inbox").await.body
}

#[tokio::test]
async fn the_same_create_sent_to_two_forces_reaches_both() {
    let app = TestApp::spawn_federated().await;
    let (north_base, _) = second_force(&app).await;
    let remote = Origin::start(&["alice"]).await;
    let alice = remote.actor("alice");
    let ours = format!("{}/users/pcmorgan", app.base);
    let theirs = format!("{north_base}/users/northpolice");
    // One Create addressed to an account of each force, as Mastodon sends it:
    // the same activity to each server's shared inbox.
    let mut activity = create(
        &alice,
        &format!("{alice}/statuses/1/activity"),
        &format!("{alice}/statuses/1"),
        &ours,
        "<p>both-forces-marker</p>",
    );
    activity["cc"] = json!([ours, theirs]);
    activity["object"]["cc"] = json!([ours, theirs]);
    activity["object"]["tag"] =
        json!([{"type": "Mention", "href": ours}, {"type": "Mention", "href": theirs}]);
    let signer = remote.signer("alice");
    let (status, body) = send_signed(&app.base, "/inbox", &activity, signer).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = send_signed(&north_base, "/inbox", &activity, signer).await;
    assert_eq!(status, 202, "{body}");

    assert!(inbox_page(&app, "comms.lewis")
        .await
        .contains("both-forces-marker"));
    let stored = {
        let mut conn = app.store.read().await.unwrap();
        let north = bluelamp_store::forces::by_code(&mut conn, "north")
            .await
            .unwrap();
        bluelamp_store::federation::messages(&mut conn, north.id, 10)
            .await
            .unwrap()
    };
    assert_eq!(stored.len(), 1, "the second force got the message too");
    assert!(stored[0].content_html.contains("both-forces-marker"));
    // A replay to either force is still processed once.
    let (status, _) = send_signed(&north_base, "/inbox", &activity, signer).await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn ids_from_another_origin_are_refused_so_a_real_reply_cannot_be_pre_claimed() {
    let app = TestApp::spawn_federated().await;
    let victim = Origin::start(&["alice"]).await;
    let attacker = Origin::start(&["mallory"]).await;
    let alice = victim.actor("alice");
    let mallory = attacker.actor("mallory");
    let ours = format!("{}/users/pcmorgan", app.base);
    // The ids alice's server will use for her next reply.
    let real_activity = format!("{alice}/statuses/7/activity");
    let real_note = format!("{alice}/statuses/7");

    // Mallory claims alice's activity id...
    let claim = create(
        &mallory,
        &real_activity,
        &format!("{mallory}/statuses/1"),
        &ours,
        "decoy",
    );
    let (status, reason) =
        send_signed(&app.base, "/inbox", &claim, attacker.signer("mallory")).await;
    assert_eq!(status, 400, "{reason}");
    assert!(reason.contains("activity id"), "{reason}");
    assert!(reason.contains("origin"), "{reason}");
    // ...and alice's note id.
    let claim = create(
        &mallory,
        &format!("{mallory}/statuses/2/activity"),
        &real_note,
        &ours,
        "decoy",
    );
    let (status, reason) =
        send_signed(&app.base, "/inbox", &claim, attacker.signer("mallory")).await;
    assert_eq!(status, 400, "{reason}");
    assert!(reason.contains("object id"), "{reason}");

    // Alice's real reply arrives and is shown.
    let real = create(
        &alice,
        &real_activity,
        &real_note,
        &ours,
        "<p>the-real-reply</p>",
    );
    let (status, body) = send_signed(&app.base, "/inbox", &real, victim.signer("alice")).await;
    assert_eq!(status, 202, "{body}");
    let page = inbox_page(&app, "comms.lewis").await;
    assert!(page.contains("the-real-reply"), "{page}");
    assert!(!page.contains("decoy"), "{page}");
}

#[tokio::test]
async fn one_remote_actor_counts_once_however_many_likes_or_boosts_it_sends() {
    let app = TestApp::spawn_federated().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let post = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "The Harbour Road footbridge reopens on Monday."})),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let post_id = post.json()["post"]["id"].as_i64().unwrap();
    assert_eq!(post.json()["post"]["status"], "published", "{}", post.body);
    let note = format!("{}/users/pcmorgan/posts/{post_id}", app.base);
    let remote = Origin::start(&["alice", "bob"]).await;
    for (name, n) in [("alice", 1), ("alice", 2), ("alice", 3), ("bob", 1)] {
        let actor = remote.actor(name);
        for kind in ["Like", "Announce"] {
            let activity = json!({"id": format!("{actor}/{kind}/{n}"), "type": kind,
                "actor": actor, "object": note});
            let (status, body) =
                send_signed(&app.base, "/inbox", &activity, remote.signer(name)).await;
            assert_eq!(status, 202, "{body}");
        }
    }
    let counts = bluelamp_services::federation::reaction_counts(&app.store, post_id)
        .await
        .unwrap();
    assert_eq!(counts, (2, 2), "alice and bob once each");

    // Alice takes back her like naming one that was never counted: her one
    // counted like goes all the same.
    let alice = remote.actor("alice");
    let undo = json!({"id": format!("{alice}/undo/1"), "type": "Undo", "actor": alice,
        "object": {"id": format!("{alice}/Like/3"), "type": "Like", "actor": alice, "object": note}});
    let (status, body) = send_signed(&app.base, "/inbox", &undo, remote.signer("alice")).await;
    assert_eq!(status, 202, "{body}");
    let counts = bluelamp_services::federation::reaction_counts(&app.store, post_id)
        .await
        .unwrap();
    assert_eq!(counts, (1, 2));
}

#[tokio::test]
async fn a_remote_sender_is_not_shown_our_internal_errors() {
    let app = TestApp::spawn_federated().await;
    // A key on a server that is not there: the fetch fails inside our client.
    let (private, _) = generate_keypair().unwrap();
    let gone = "http://127.0.0.1:9/users/ghost";
    let signer = Signer::from_pem(&format!("{gone}#main-key"), &private).unwrap();
    let activity = create(
        gone,
        &format!("{gone}/statuses/1/activity"),
        &format!("{gone}/statuses/1"),
        &format!("{}/users/pcmorgan", app.base),
        "x",
    );
    let (status, body) = send_signed(&app.base, "/inbox", &activity, &signer).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("could not be fetched"), "{body}");
    for internal in ["onnect", "refused", "error", "os error", "dns", "resolve"] {
        assert!(
            !body.to_ascii_lowercase().contains(internal),
            "'{internal}' leaked: {body}"
        );
    }
}

#[tokio::test]
async fn a_domain_block_covers_its_subdomains_inbound_and_for_deliveries() {
    let app = TestApp::spawn_federated().await;
    let comms = app.logged_in("comms.lewis").await;
    let page = comms.get("/staff/inbox").await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = AccountId(sergeant.account_id(&token, "pcmorgan").await);
    // A follower on a subdomain, from before the block...
    let before = FakeHost::start(Behaviour::Answer(Duration::ZERO)).await;
    {
        let mut tx = app.store.write().await.unwrap();
        bluelamp_store::federation::upsert_follower(
            &mut tx,
            beat,
            "https://social.example.org/users/early",
            "https://social.example.org/users/early/inbox",
            None,
            "https://social.example.org/follows/1",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let blocked = comms
        .post_form(
            "/staff/inbox/block",
            &[("target", "example.org"), ("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(blocked.status, 303, "{}", blocked.body);
    let followers = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::federation::followers(&mut conn, beat)
            .await
            .unwrap()
    };
    assert!(
        followers
            .iter()
            .all(|f| !f.actor_id.contains("example.org")),
        "the block ended the subdomain's follow: {followers:?}"
    );

    // Inbound: an activity from a subdomain is dropped, however deep.
    let demo = {
        let mut conn = app.store.read().await.unwrap();
        bluelamp_store::forces::by_code(&mut conn, "demo")
            .await
            .unwrap()
    };
    for host in ["example.org", "a.example.org", "b.a.example.org:8443"] {
        let actor = format!("https://{host}/users/x");
        let activity = bluelamp_federation::parse_activity(
            create(
                &actor,
                &format!("https://{host}/s/1/a"),
                &format!("https://{host}/s/1"),
                &format!("{}/users/pcmorgan", app.base),
                "<p>from-a-blocked-domain</p>",
            )
            .to_string()
            .as_bytes(),
        )
        .unwrap();
        let outcome = receive(
            &app.store,
            demo.id,
            None,
            &activity,
            &RemoteActorInfo::default(),
        )
        .await
        .unwrap();
        assert_eq!(outcome, Received::Blocked, "{host}");
    }
    assert!(!inbox_page(&app, "comms.lewis")
        .await
        .contains("from-a-blocked-domain"));

    // Deliveries: a follower on a subdomain that got in anyway is skipped; one
    // on an unblocked server gets the post.
    before.add_follower(&app.store, beat, "ok", false).await;
    {
        let mut tx = app.store.write().await.unwrap();
        bluelamp_store::federation::upsert_follower(
            &mut tx,
            beat,
            "https://late.example.org/users/late",
            "https://late.example.org/users/late/inbox",
            None,
            "https://late.example.org/follows/2",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let post = sergeant
        .api(
            "POST",
            &format!("/api/v1/accounts/{}/posts", beat.0),
            Some(&token),
            Some(json!({"text": "Harbourside surgery this Thursday at the library."})),
        )
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    // The worker records each outcome after the POST: wait for it.
    let mut counts = (0, 0, 0);
    for _ in 0..100 {
        counts = {
            let mut conn = app.store.read().await.unwrap();
            bluelamp_store::federation::delivery_counts(&mut conn)
                .await
                .unwrap()
        };
        if counts.1 > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        before
            .received
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.json()["type"] == "Create"),
        "the unblocked follower got the post"
    );
    assert_eq!(
        counts,
        (0, 1, 0),
        "no delivery row for the blocked subdomain"
    );
}
