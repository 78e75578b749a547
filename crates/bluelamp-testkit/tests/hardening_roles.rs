//! Who may read what, over real HTTP: the fediverse inbox only for the roles
//! that answer the public, the force's internal policy not for partner
//! agencies, and uploads only by members who may post on the account named.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::fixtures::photo_with_gps;
use bluelamp_testkit::{Client, TestApp};

#[tokio::test]
async fn analysts_and_partners_cannot_read_the_fediverse_inbox() {
    let app = TestApp::spawn().await;
    for username in ["analyst.price", "partner.council"] {
        let client = app.logged_in(username).await;
        let page = client.get("/staff/inbox").await;
        assert_eq!(page.status, 403, "{username}: {}", page.body);
        assert!(
            page.body.contains("read the messages sent to the force"),
            "{username}: the refusal says why: {}",
            page.body
        );
    }
    for username in ["pc.morgan", "sgt.evans", "comms.lewis", "chief.admin"] {
        let client = app.logged_in(username).await;
        let page = client.get("/staff/inbox").await;
        assert_eq!(page.status, 200, "{username}: {}", page.body);
    }
}

#[tokio::test]
async fn partners_cannot_read_the_internal_policy_on_the_page_or_through_the_api() {
    let app = TestApp::spawn().await;
    let partner = app.logged_in("partner.council").await;
    let page = partner.get("/staff/policy").await;
    assert_eq!(page.status, 403, "{}", page.body);
    let token = partner.new_api_token("partner", &["read"]).await;
    let api = partner
        .api("GET", "/api/v1/policy", Some(&token), None)
        .await;
    assert_eq!(api.status, 403, "{}", api.body);
    assert_eq!(api.json()["error"], "forbidden");
    // The partner's home page still works; it just does not show the policy.
    let home = partner.get("/staff").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(!home.body.contains("policy-needed"), "{}", home.body);

    // Analysts are force staff and judge the accounts' output by the policy.
    let analyst = app.logged_in("analyst.price").await;
    assert_eq!(analyst.get("/staff/policy").await.status, 200);
    let token = analyst.new_api_token("analyst", &["read"]).await;
    let api = analyst
        .api("GET", "/api/v1/policy", Some(&token), None)
        .await;
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json()["current"]["version"], 1);
}

async fn upload_without_account(client: &Client, token: &str) -> bluelamp_testkit::Page {
    let part = reqwest::multipart::Part::bytes(photo_with_gps()).file_name("IMG_1.jpg");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = client
        .http
        .post(format!("{}/api/v1/media", client.base))
        .header("authorization", format!("Bearer {token}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    bluelamp_testkit::Page {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn an_upload_must_name_an_account_the_uploader_may_post_to() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let chiefs = sergeant.account_id(&token, "chiefofficers").await;

    let unnamed = upload_without_account(&sergeant, &token).await;
    assert_eq!(unnamed.status, 400, "{}", unnamed.body);
    assert!(unnamed.json()["detail"]
        .as_str()
        .unwrap()
        .contains("account"));

    // A member with post permission: accepted.
    let ok = sergeant
        .upload(&token, beat, "IMG_1.jpg", photo_with_gps())
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    // Not a member of the chief officers' account: refused before any decoding.
    let refused = sergeant
        .upload(&token, chiefs, "IMG_2.jpg", photo_with_gps())
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("chiefofficers"), "{}", refused.body);

    // An officer may post only on the beat account.
    let (officer, officer_token) = app.ready_to_post("pc.morgan").await;
    let refused = officer
        .upload(&officer_token, corporate, "IMG_3.jpg", photo_with_gps())
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);

    // Roles that never post may not upload at all.
    // Analysts and partners cannot even hold a write token (their roles do not
    // post); with the token they can hold, an upload is refused.
    let analyst = app.logged_in("analyst.price").await;
    let analyst_token = analyst.new_api_token("a", &["read"]).await;
    let refused = analyst
        .upload(&analyst_token, beat, "IMG_4.jpg", photo_with_gps())
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let partner = app.logged_in("partner.council").await;
    let partner_token = partner.new_api_token("p", &["read"]).await;
    let refused = partner
        .upload(&partner_token, beat, "IMG_5.jpg", photo_with_gps())
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

#[tokio::test]
async fn the_compose_page_still_takes_a_photo_for_its_own_account() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let beat = sergeant.account_id(&token, "pcmorgan").await;
    let chiefs = sergeant.account_id(&token, "chiefofficers").await;
    let csrf = sergeant
        .get(&format!("/staff/accounts/{beat}"))
        .await
        .csrf();
    let form = |csrf: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .text("text", "Have you seen this bike? Call 101 quoting 556.")
            .text("kind", "appeal")
            .text("alt", "A red bicycle")
            .part(
                "media",
                reqwest::multipart::Part::bytes(photo_with_gps()).file_name("bike.jpg"),
            )
    };
    let posted = sergeant
        .post_multipart(&format!("/staff/accounts/{beat}/posts"), form(&csrf))
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let post = posted.location().unwrap().to_string();
    let page = sergeant.get(&post).await;
    assert!(page.body.contains("A red bicycle"), "{}", page.body);

    // Two photos, each with its own description.
    let two = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("text", "Have you seen these bikes? Call 101 quoting 557.")
        .text("kind", "appeal")
        .text("alt", "A red bicycle")
        .text("alt_2", "A blue tandem with a basket")
        .part(
            "media",
            reqwest::multipart::Part::bytes(photo_with_gps()).file_name("red.jpg"),
        )
        .part(
            "media",
            reqwest::multipart::Part::bytes(photo_with_gps()).file_name("blue.jpg"),
        );
    let posted = sergeant
        .post_multipart(&format!("/staff/accounts/{beat}/posts"), two)
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let page = sergeant.get(posted.location().unwrap()).await;
    assert!(
        page.body.contains("Alt text: A red bicycle")
            && page.body.contains("Alt text: A blue tandem with a basket"),
        "each photo keeps its own description: {}",
        page.body
    );

    // The same form for an account the sergeant is not a member of is refused.
    let refused = sergeant
        .post_multipart(&format!("/staff/accounts/{chiefs}/posts"), form(&csrf))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
