//! Federation discovery end to end: WebFinger, the actor documents of a
//! person and of the force, the HTML profile redirect, NodeInfo and host-meta,
//! all on the force's own domain.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::Value;

#[tokio::test]
async fn discovery_documents_describe_our_accounts_on_the_forces_domain() {
    let app = TestApp::spawn_federated().await;
    let client = app.client();
    let domain = app.domain();
    let finger = client
        .get(&format!(
            "/.well-known/webfinger?resource=acct:pcmorgan@{domain}"
        ))
        .await;
    assert_eq!(finger.status, 200, "{}", finger.body);
    let jrd = finger.json();
    assert_eq!(jrd["subject"], format!("acct:pcmorgan@{domain}"));
    let actor_url = format!("{}/users/pcmorgan", app.base);
    assert!(jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "self" && l["href"] == actor_url.as_str()));
    assert_eq!(
        client
            .get(&format!(
                "/.well-known/webfinger?resource=acct:nobody@{domain}"
            ))
            .await
            .status,
        404
    );

    let actor: Value = reqwest::Client::new()
        .get(&actor_url)
        .header(
            "accept",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actor["id"], actor_url.as_str());
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["inbox"], format!("{actor_url}/inbox"));
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        format!("{}/inbox", app.base)
    );
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("BEGIN PUBLIC KEY"));
    let corporate: Value = reqwest::Client::new()
        .get(format!("{}/users/democonstabulary", app.base))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(corporate["type"], "Organization");

    let html = client.get("/users/pcmorgan").await;
    assert!((300..400).contains(&html.status), "{}", html.status);
    assert_eq!(html.location(), Some("/forces/demo/accounts/pcmorgan"));
    // The profile says what verifies the account: the force's own domain.
    let profile = client.get("/forces/demo/accounts/pcmorgan").await;
    assert!(
        profile.body.contains("id=\"verification\""),
        "{}",
        profile.body
    );
    assert!(
        profile.body.contains(&format!("@pcmorgan@{domain}")),
        "{}",
        profile.body
    );
    // The actor links the force's website (rel="me") and names the verification.
    let fields = actor["attachment"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["name"] == "Website"));
    assert!(fields
        .iter()
        .any(|f| f["name"] == "Verified" && f["value"].as_str().unwrap().contains(&domain)));
    assert_eq!(actor["following"], format!("{actor_url}/following"));
    assert_eq!(actor["outbox"], format!("{actor_url}/outbox"));

    let index = client.get("/.well-known/nodeinfo").await.json();
    assert_eq!(
        index["links"][0]["href"],
        format!("{}/nodeinfo/2.1", app.base)
    );
    let nodeinfo = client.get("/nodeinfo/2.1").await.json();
    assert_eq!(nodeinfo["software"]["name"], "bluelamp");
    assert_eq!(nodeinfo["protocols"][0], "activitypub");
    assert_eq!(nodeinfo["openRegistrations"], false);
    let meta = client.get("/.well-known/host-meta").await;
    assert!(
        meta.body.contains("/.well-known/webfinger?resource={uri}"),
        "{}",
        meta.body
    );
}
