//! Appeals (story 5) and the tips that answer them: a public appeal with a photo and
//! its "latest appeals" feed; a tip with a photo from the public kept byte for byte;
//! triage; an evidence bundle that `sha256sum -c` verifies; the images taken down on
//! every channel that can delete them once the appeal is solved.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::json;

fn tip_form(csrf: &str, text: &str, file: Option<(&str, Vec<u8>)>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_string())
        .text("text", text.to_string())
        .text("contact_name", "A witness")
        .text("contact_detail", "witness@example.org")
        .text("website", "");
    if let Some((name, bytes)) = file {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("image/jpeg")
                .unwrap(),
        );
    }
    form
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

#[tokio::test]
async fn an_appeal_takes_a_tip_whose_evidence_bundle_verifies_and_its_images_come_down() {
    let app = TestApp::spawn().await;
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let t = Some(token.as_str());
    let corporate = sergeant.account_id(&token, "democonstabulary").await;
    let photo = bluelamp_media::testing::jpeg(320, 240);
    let uploaded = sergeant
        .upload(&token, corporate, "cctv.jpg", photo.clone())
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let media_id = uploaded.json()["id"].as_i64().unwrap();
    let video = sergeant
        .upload(
            &token,
            corporate,
            "cctv.mp4",
            bluelamp_media::testing::mp4(4000),
        )
        .await;
    assert_eq!(video.status, 201, "CCTV video: {}", video.body);
    let video_id = video.json()["id"].as_i64().unwrap();
    let appeal = sergeant
        .api("POST", "/api/v1/appeals", t, Some(json!({
            "reference": "APP-7", "title": "Can you help identify this man?",
            "what_happened": "A shop on Quay Street was broken into.", "happened_at": "Saturday about 11pm",
            "place": "Quay Street, Harbourside", "respond": ["101", "online", "crimestoppers"],
            "account_id": corporate, "channels": ["fediverse", "email"],
            "media": [{"id": media_id, "alt": "A man in a dark hooded jacket at a shop door"}]
        })))
        .await;
    assert_eq!(appeal.status, 201, "{}", appeal.body);
    // Another appeal shows CCTV video (a post carries photos or one video).
    let cctv = sergeant
        .api("POST", "/api/v1/appeals", t, Some(json!({
            "reference": "APP-8", "title": "Do you recognise this driver?",
            "what_happened": "A van was driven at a cyclist on the promenade.", "place": "The promenade",
            "respond": ["101"], "account_id": corporate, "channels": ["fediverse"],
            "media": [{"id": video_id, "alt": "CCTV: a white van turning onto the promenade"}]
        })))
        .await;
    assert_eq!(cctv.status, 201, "{}", cctv.body);
    let page = app.client().get("/forces/demo/appeals/APP-8").await;
    assert!(
        page.body.contains("<video") && page.body.contains(&format!("/media/{video_id}")),
        "the appeal page plays the CCTV: {}",
        page.body
    );
    assert_eq!(
        appeal.json()["post"]["status"],
        "published",
        "{}",
        appeal.body
    );
    let text = appeal.json()["post"]["body"].as_str().unwrap().to_string();
    assert!(
        text.contains("Please quote APP-7") && text.contains("Crimestoppers"),
        "{text}"
    );
    let reused = sergeant
        .api("POST", "/api/v1/appeals", t, Some(json!({"reference": "APP-7", "title": "x", "what_happened": "x", "place": "x", "respond": ["101"], "account_id": corporate})))
        .await;
    assert_eq!(
        reused.status, 409,
        "an appeal reference is used once: {}",
        reused.body
    );
    let bad_respond = sergeant
        .api("POST", "/api/v1/appeals", t, Some(json!({"reference": "APP-8", "title": "x", "what_happened": "x", "place": "x", "respond": ["carrier pigeon"], "account_id": corporate})))
        .await;
    assert_eq!(bad_respond.status, 400);

    // The public: the appeal's page with its photo, and the latest-appeals feed.
    let public = app.client();
    let page = public.get("/forces/demo/appeals/APP-7").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("A man in a dark hooded jacket")
            && page.body.contains("Send information")
    );
    let feed = public.get("/forces/demo/appeals/feed.atom").await;
    assert!(
        feed.body.contains("Can you help identify this man?"),
        "{}",
        feed.body
    );
    let rss = public.get("/forces/demo/appeals/feed.rss").await;
    assert!(rss.body.contains("<rss") && rss.body.contains("APP-7"));

    // A tip with a photo, as the public send it (the form's CSRF cookie and field).
    let csrf = page.csrf();
    let sent = public
        .post_multipart(
            "/forces/demo/appeals/APP-7/tips",
            tip_form(
                &csrf,
                "I saw him get into a blue car.",
                Some(("IMG_1.jpg", photo.clone())),
            ),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("TIP-"), "{}", sent.body);

    // Bad files come back with the reason and the words kept.
    let page = public.get("/forces/demo/appeals/APP-7").await;
    let refused = public
        .post_multipart(
            "/forces/demo/appeals/APP-7/tips",
            tip_form(
                &page.csrf(),
                "Here is my video of it",
                Some(("clip.mp4", b"this is not a video".to_vec())),
            ),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("Here is my video of it"),
        "the text is kept"
    );
    assert!(
        refused.body.contains("clip.mp4"),
        "the file is named: {}",
        refused.body
    );
    let page = public.get("/forces/demo/appeals/APP-7").await;
    let bomb = public
        .post_multipart(
            "/forces/demo/appeals/APP-7/tips",
            tip_form(
                &page.csrf(),
                "A huge picture",
                Some(("big.png", png_header(50_000, 50_000))),
            ),
        )
        .await;
    assert_eq!(bomb.status, 400, "{}", bomb.body);
    assert!(bomb.body.contains("50,000"), "{}", bomb.body);
    // A robot that fills the trap is thanked and nothing is kept.
    let page = public.get("/forces/demo/appeals/APP-7").await;
    let robot = public
        .post_multipart(
            "/forces/demo/appeals/APP-7/tips",
            tip_form(&page.csrf(), "buy cheap watches", None)
                .text("website", "http://spam.example"),
        )
        .await;
    assert_eq!(robot.status, 200);
    // Without the form's token it is refused, the words kept.
    let forged = app
        .client()
        .post_multipart(
            "/forces/demo/appeals/APP-7/tips",
            tip_form("forged", "No token", None),
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("No token"));
    let missing = public
        .post_multipart("/forces/demo/appeals/NOPE/tips", tip_form(&csrf, "x", None))
        .await;
    assert_eq!(missing.status, 404);

    // Staff triage: one tip arrived (the refusals and the robot left nothing).
    let tips = sergeant.api("GET", "/api/v1/tips", t, None).await.json();
    let tips = tips.as_array().unwrap();
    assert_eq!(tips.len(), 1, "{tips:?}");
    let tip_id = tips[0]["id"].as_i64().unwrap();
    let view = sergeant
        .api("GET", &format!("/api/v1/tips/{tip_id}"), t, None)
        .await
        .json();
    let item = &view["evidence"][0]["item"];
    assert_eq!(item["content_type"], "image/jpeg");
    assert_eq!(item["byte_size"], photo.len() as i64);
    let expected = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&photo))
    };
    assert_eq!(item["sha256"], expected.as_str(), "kept byte for byte");
    assert_eq!(
        view["evidence"][0]["custody"][0]["action"], "viewed",
        "opening the tip is logged"
    );
    assert_eq!(view["evidence"][0]["custody"][0]["user_label"], "sgt.evans");
    let declined = sergeant
        .api(
            "POST",
            &format!("/api/v1/tips/{tip_id}/decision"),
            t,
            Some(json!({"status": "declined"})),
        )
        .await;
    assert_eq!(
        declined.status, 400,
        "declining needs a reason: {}",
        declined.body
    );
    let no_case = sergeant
        .api(
            "POST",
            &format!("/api/v1/tips/{tip_id}/decision"),
            t,
            Some(json!({"status": "accepted", "case_reference": "NONE-1"})),
        )
        .await;
    assert_eq!(no_case.status, 400);
    sergeant
        .api(
            "POST",
            "/api/v1/cases",
            t,
            Some(json!({"reference": "CASE-12", "title": "Quay Street burglary"})),
        )
        .await;
    let accepted = sergeant
        .api(
            "POST",
            &format!("/api/v1/tips/{tip_id}/decision"),
            t,
            Some(json!({"status": "accepted", "case_reference": "CASE-12"})),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);

    // The evidence bundle verifies with standard tools.
    let zip = reqwest::Client::new()
        .get(format!("{}/api/v1/tips/{tip_id}/bundle", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    let bytes = zip.bytes().await.unwrap();
    let dir = app.db.data_dir.clone().unwrap().join("bundle");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bundle.zip"), &bytes).unwrap();
    let unzip = std::process::Command::new("unzip")
        .arg("-q")
        .arg("bundle.zip")
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(unzip.success());
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("evidence/1-IMG_1.jpg: OK"));
    let custody = std::fs::read_to_string(dir.join("custody.csv")).unwrap();
    assert!(
        custody.contains(",viewed,sgt.evans,") && custody.contains(",exported,sgt.evans,"),
        "{custody}"
    );
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tip.json")).unwrap()).unwrap();
    assert_eq!(record["case"], "CASE-12");

    // Solved: the images come down on confirmation, not before.
    let solved = sergeant
        .api(
            "POST",
            "/api/v1/appeals/APP-7/status",
            t,
            Some(json!({"status": "solved"})),
        )
        .await;
    assert_eq!(solved.status, 200, "{}", solved.body);
    let before = sergeant
        .api("GET", "/api/v1/appeals/APP-7", t, None)
        .await
        .json();
    let states: Vec<(&str, &str)> = before["removals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["channel"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert!(
        states.contains(&("fediverse", "pending")) && states.contains(&("email", "cannot")),
        "{states:?}"
    );
    assert_eq!(
        public.get(&format!("/media/{media_id}")).await.status,
        200,
        "still up until confirmed"
    );
    let removed = sergeant
        .api("POST", "/api/v1/appeals/APP-7/remove-images", t, None)
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(removed.body.contains("\"removed\""), "{}", removed.body);
    assert_eq!(
        public.get(&format!("/media/{media_id}")).await.status,
        404,
        "the photo is gone"
    );
    let page = public.get("/forces/demo/appeals/APP-7").await;
    assert!(
        page.body.contains("This appeal is solved") && !page.body.contains("dark hooded jacket"),
        "{}",
        page.body
    );
    let feed = public.get("/forces/demo/appeals/feed.json").await.json();
    let left: Vec<String> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content_text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        left.len() == 1 && left[0].contains("APP-8"),
        "a solved appeal leaves the feed; the open one stays: {left:?}"
    );
}

#[tokio::test]
async fn tips_and_evidence_are_refused_to_other_roles_and_forces() {
    let app = TestApp::spawn().await;
    let analyst = app.logged_in("analyst.price").await;
    let token = analyst.new_api_token("read", &["read"]).await;
    assert_eq!(
        analyst
            .api("GET", "/api/v1/tips", Some(&token), None)
            .await
            .status,
        403
    );
    assert_eq!(
        analyst
            .api("GET", "/api/v1/evidence/1", Some(&token), None)
            .await
            .status,
        403
    );
    let partner = app.logged_in("partner.council").await;
    assert_eq!(partner.get("/staff/tips").await.status, 403);
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    assert_eq!(
        sergeant
            .api("GET", "/api/v1/tips/999", Some(&token), None)
            .await
            .status,
        404
    );
    assert_eq!(
        sergeant
            .api("GET", "/api/v1/evidence/999", Some(&token), None)
            .await
            .status,
        404
    );
    assert_eq!(app.client().get("/api/v1/tips").await.status, 401);
}
