//! What our posts look like on the fediverse: a content warning becomes the
//! Note's `summary` with `sensitive`; `@user@domain` mentions are resolved
//! through WebFinger, linked, tagged and delivered to the mentioned actor's own
//! inbox, and the Note served at its URL is the one delivered; a share from
//! another force account goes out as an `Announce` (and an unshare as its
//! `Undo`), and only staff who may post there without approval may share.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use bluelamp_domain::AccountId;
use bluelamp_federation::signatures::generate_keypair;
use bluelamp_testkit::TestApp;
use serde_json::{json, Value};

/// A remote server that answers WebFinger and actor documents for any name,
/// and records what its inboxes receive.
struct Remote {
    base: String,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

#[derive(Clone)]
struct RemoteState {
    base: String,
    pem: Arc<String>,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn webfinger(State(s): State<RemoteState>, uri: Uri) -> Response {
    // Enough percent-decoding for `resource=acct:name@127.0.0.1:PORT`.
    let query = uri
        .query()
        .unwrap_or_default()
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%40", "@");
    let host = s.base.trim_start_matches("http://");
    let Some(name) = query
        .strip_prefix("resource=acct:")
        .and_then(|rest| rest.strip_suffix(&format!("@{host}")))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if name == "nobody" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let jrd = json!({
        "subject": format!("acct:{name}@{host}"),
        "links": [{"rel": "self", "type": "application/activity+json",
                   "href": format!("{}/users/{name}", s.base)}]
    });
    ([("content-type", "application/jrd+json")], jrd.to_string()).into_response()
}

async fn actor(State(s): State<RemoteState>, Path(name): Path<String>) -> Response {
    let id = format!("{}/users/{name}", s.base);
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Person", "preferredUsername": name,
        "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"),
        "endpoints": {"sharedInbox": format!("{}/inbox", s.base)},
        "followers": format!("{id}/followers"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": *s.pem}
    });
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

/// Each remote person has 100 followers per letter of their name.
async fn followers(State(s): State<RemoteState>, Path(name): Path<String>) -> Response {
    let id = format!("{}/users/{name}/followers", s.base);
    let doc = json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id,
        "type": "OrderedCollection", "totalItems": name.len() * 100});
    (
        [("content-type", "application/activity+json")],
        doc.to_string(),
    )
        .into_response()
}

async fn inbox(State(s): State<RemoteState>, uri: Uri, body: axum::body::Bytes) -> StatusCode {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.received
        .lock()
        .unwrap()
        .push((uri.path().to_string(), value));
    StatusCode::ACCEPTED
}

impl Remote {
    async fn start() -> Remote {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = RemoteState {
            base: base.clone(),
            pem: Arc::new(generate_keypair().unwrap().1),
            received: received.clone(),
        };
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/users/{name}", get(actor))
            .route("/users/{name}/followers", get(followers))
            .route("/users/{name}/inbox", post(inbox))
            .route("/inbox", post(inbox))
            .with_state(state);
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Remote { base, received }
    }

    fn host(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    /// Make `name` here a follower of `account`, with its own inbox only, so
    /// each delivery's path tells whose inbox it went to.
    async fn follow(&self, app: &TestApp, account: i64, name: &str) {
        let mut tx = app.store.write().await.unwrap();
        let actor = self.actor(name);
        bluelamp_store::federation::upsert_follower(
            &mut tx,
            AccountId(account),
            &actor,
            &format!("{actor}/inbox"),
            None,
            &format!("{actor}/follows/1"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Everything `name`'s inbox received.
    fn inbox_of(&self, name: &str) -> Vec<Value> {
        let path = format!("/users/{name}/inbox");
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Wait (up to 20 s) for `name`'s inbox to receive an activity matching `found`.
    async fn wait_for(&self, name: &str, found: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            if let Some(hit) = self.inbox_of(name).into_iter().find(|v| found(v)) {
                return hit;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "nothing matching arrived at {name}'s inbox; all received: {:?}",
            self.received.lock().unwrap()
        );
    }
}

async fn note_document(url: &str) -> Value {
    reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_content_warning_arrives_as_summary_and_sensitive_and_hashtags_link_to_a_real_page() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let account = officer.account_id(&token, "pcmorgan").await;
    remote.follow(&app, account, "fan").await;

    let too_long = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": "Anything at all.", "content_warning": "x".repeat(201)})),
        )
        .await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(
        too_long.body.contains("content_warning"),
        "{}",
        too_long.body
    );

    let warning = "Photo of a damaged car";
    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(
                json!({"text": "Please slow down on Harbour Road this winter. #RoadSafety",
                        "content_warning": warning}),
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let post = created.json()["post"].clone();
    assert_eq!(post["status"], "published", "{post}");
    assert_eq!(post["content_warning"], warning);
    let id = post["id"].as_i64().unwrap();
    let note_id = format!("{}/users/pcmorgan/posts/{id}", app.base);

    let create = remote
        .wait_for("fan", |v| {
            v["type"] == "Create" && v["object"]["id"] == note_id.as_str()
        })
        .await;
    let note = &create["object"];
    assert_eq!(note["summary"], warning);
    assert_eq!(note["sensitive"], true);
    let tag_url = format!("{}/tags/roadsafety", app.base);
    assert!(
        note["tag"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "Hashtag" && t["href"] == tag_url.as_str()),
        "{note}"
    );

    // The hashtag link leads to a page of the force's posts with that tag.
    let client = app.client();
    let tag_page = client.get("/tags/RoadSafety").await;
    assert_eq!(tag_page.status, 200, "{}", tag_page.body);
    assert!(
        tag_page.body.contains("Harbour Road this winter"),
        "{}",
        tag_page.body
    );
    assert!(!client
        .get("/tags/nothing_here")
        .await
        .body
        .contains("Harbour Road"));

    // The public pages show the warning first, the text behind it.
    let page = client.get(&format!("/forces/demo/posts/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<details") && page.body.contains(warning),
        "{}",
        page.body
    );
    let profile = client.get("/forces/demo/accounts/pcmorgan").await;
    assert!(profile
        .body
        .contains("<summary>Content warning: Photo of a damaged car</summary>"));

    // An edit keeps the warning.
    let edited = officer
        .api(
            "PATCH",
            &format!("/api/v1/posts/{id}"),
            Some(&token),
            Some(json!({"version": post["version"], "text": "Please slow down on Harbour Road this winter, it is icy. #RoadSafety"})),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.json()["content_warning"], warning);
    let update = remote
        .wait_for("fan", |v| {
            v["type"] == "Update" && v["object"]["id"] == note_id.as_str()
        })
        .await;
    assert_eq!(update["object"]["summary"], warning);
    assert_eq!(update["object"]["sensitive"], true);

    // The compose form offers the field.
    let comms = app.logged_in("sgt.evans").await;
    let form = comms.get(&format!("/staff/accounts/{account}")).await;
    assert!(
        form.body.contains("name=\"content_warning\""),
        "{}",
        form.body
    );
}

#[tokio::test]
async fn a_mention_is_resolved_linked_and_delivered_to_the_mentioned_actor() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let account = officer.account_id(&token, "pcmorgan").await;
    // No followers at all: the mention alone is reason to send the post.
    let host = remote.host();
    let text = format!(
        "Thank you @someone@{host} for handing in the wallet, and @democonstabulary for the appeal. @nobody@{host} stays plain."
    );
    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{account}/posts"),
            Some(&token),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.json()["post"]["status"],
        "published",
        "{}",
        created.body
    );
    let id = created.json()["post"]["id"].as_i64().unwrap();
    let note_id = format!("{}/users/pcmorgan/posts/{id}", app.base);
    let someone = remote.actor("someone");

    let create = remote
        .wait_for("someone", |v| {
            v["type"] == "Create" && v["object"]["id"] == note_id.as_str()
        })
        .await;
    let note = &create["object"];
    let tags = note["tag"].as_array().unwrap();
    assert!(
        tags.iter().any(|t| t["type"] == "Mention"
            && t["href"] == someone.as_str()
            && t["name"] == format!("@someone@{host}").as_str()),
        "{note}"
    );
    let corporate = format!("{}/users/democonstabulary", app.base);
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == corporate.as_str()),
        "a local mention is linked too: {note}"
    );
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains(&format!(
            "<span class=\"h-card\"><a href=\"{someone}\" class=\"u-url mention\">@<span>someone</span></a></span>"
        )),
        "{content}"
    );
    assert!(
        content.contains(&format!("@nobody@{host}")),
        "an unresolvable mention stays plain text: {content}"
    );
    assert!(note["cc"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == someone.as_str()));
    assert!(
        remote.inbox_of("nobody").is_empty(),
        "nothing goes to an actor that did not resolve"
    );

    // The Note served at its id is the one delivered.
    let mut served = note_document(&note_id).await;
    served.as_object_mut().unwrap().remove("@context");
    assert_eq!(&served, note, "served and delivered Notes differ");

    // Deleting the post tells the mentioned actor too.
    let version = created.json()["post"]["version"].clone();
    let deleted = officer
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/delete"),
            Some(&token),
            Some(json!({"version": version, "reason": "test"})),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let delete = remote
        .wait_for("someone", |v| {
            v["type"] == "Delete" && v["object"]["id"] == note_id.as_str()
        })
        .await;
    assert!(delete["cc"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == someone.as_str()));
}

#[tokio::test]
async fn a_share_goes_out_as_an_announce_once_and_only_permitted_staff_may_share() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let beat = officer.account_id(&token, "pcmorgan").await;
    let corporate = officer.account_id(&token, "democonstabulary").await;
    remote.follow(&app, corporate, "reader").await;

    let created = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "Have you seen this bike? It was taken from outside the library on Tuesday.", "kind": "appeal"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["post"]["id"].as_i64().unwrap();
    let note_id = format!("{}/users/pcmorgan/posts/{id}", app.base);

    // An officer who is not a member of the corporate account is refused.
    let (pc, pc_token) = app.ready_to_post("pc.morgan").await;
    let refused = pc
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/share"),
            Some(&pc_token),
            Some(json!({"account_id": corporate})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // The comms team shares it from the corporate account: the button is there.
    let (comms, comms_token) = app.ready_to_post("comms.lewis").await;
    let page = comms.get(&format!("/staff/posts/{id}")).await;
    assert!(
        page.body.contains("Share from @democonstabulary"),
        "{}",
        page.body
    );
    let shared = comms
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/share"),
            Some(&comms_token),
            Some(json!({"account_id": corporate})),
        )
        .await;
    assert_eq!(shared.status, 201, "{}", shared.body);
    let again = comms
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/share"),
            Some(&comms_token),
            Some(json!({"account_id": corporate})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["created"], false);
    assert_eq!(again.json()["share"]["id"], shared.json()["share"]["id"]);

    let announce = remote.wait_for("reader", |v| v["type"] == "Announce").await;
    assert_eq!(announce["object"], note_id.as_str());
    assert_eq!(
        announce["actor"],
        format!("{}/users/democonstabulary", app.base)
    );
    let author = format!("{}/users/pcmorgan", app.base);
    assert!(announce["cc"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == author.as_str()));
    assert!(announce["id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/users/democonstabulary/announces/", app.base)));

    // The audit trail names the share.
    let audit = comms
        .api(
            "GET",
            "/api/v1/audit?action=post.share",
            Some(&comms_token),
            None,
        )
        .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(audit.body.contains("democonstabulary"), "{}", audit.body);

    // Unsharing sends the Undo of that same Announce.
    let unshared = comms
        .api(
            "POST",
            &format!("/api/v1/posts/{id}/unshare"),
            Some(&comms_token),
            Some(json!({"account_id": corporate})),
        )
        .await;
    assert_eq!(unshared.status, 200, "{}", unshared.body);
    let undo = remote.wait_for("reader", |v| v["type"] == "Undo").await;
    assert_eq!(undo["object"]["id"], announce["id"]);
    assert_eq!(undo["object"]["type"], "Announce");
    let announces = remote
        .inbox_of("reader")
        .iter()
        .filter(|v| v["type"] == "Announce")
        .count();
    assert_eq!(announces, 1, "sharing twice sent one Announce");
}

#[tokio::test]
async fn the_people_who_amplify_a_post_are_listed_with_how_many_they_reach() {
    let app = TestApp::spawn_federated().await;
    let remote = Remote::start().await;
    let (officer, token) = app.ready_to_post("sgt.evans").await;
    let beat = officer.account_id(&token, "pcmorgan").await;
    let posted = officer
        .api(
            "POST",
            &format!("/api/v1/accounts/{beat}/posts"),
            Some(&token),
            Some(json!({"text": "Bike marking at the library on Saturday, 10 till 2."})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let post = posted.json()["post"]["id"].as_i64().unwrap();
    {
        // A boost from alys (400 followers) and a like from bryn (400 too: four letters).
        let mut tx = app.store.write().await.unwrap();
        for (name, kind) in [("alys", "announce"), ("bryn", "like")] {
            let actor = remote.actor(name);
            bluelamp_store::federation::add_reaction(
                &mut tx,
                &format!("{actor}/{kind}/1"),
                post,
                &actor,
                kind,
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    bluelamp_services::analytics::schedule_counting(&app.store)
        .await
        .unwrap();
    let path = format!("/api/v1/analytics/posts/{post}/amplifiers");
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = officer.api("GET", &path, Some(&token), None).await.json();
        if seen["boosters_reach"] == 400 && seen["reactions"][1]["reach"] == 400 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["boosts"], 1, "{seen}");
    assert_eq!(seen["likes"], 1, "{seen}");
    assert_eq!(seen["boosters_reach"], 400, "{seen}");
    let top = officer
        .api(
            "GET",
            &format!("/api/v1/analytics/accounts/{beat}/amplifiers"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(
        top["amplifiers"][0]["actor_id"],
        remote.actor("alys"),
        "a boost counts for more: {top}"
    );
    assert_eq!(top["amplifiers"][0]["reach"], 400, "{top}");
    let page = officer
        .get(&format!("/staff/analytics/accounts/{beat}/amplifiers"))
        .await;
    assert!(
        page.body.contains("Their followers") && page.body.contains(">400<"),
        "{}",
        page.body
    );
    let detail = officer.get(&format!("/staff/posts/{post}")).await;
    assert!(
        detail.body.contains("the people who boosted it reach 400")
            && detail.body.contains("boosted it (400 followers)"),
        "{}",
        detail.body
    );
}
