//! Resumable evidence uploads over tus 1.0: a real client (tuspy) uploads, breaks
//! off and resumes; the protocol's refusals (version, length, offset, checksum,
//! content type, expiry, termination) each answer as the specification says.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::TestApp;
use serde_json::Value;

fn tus(method: &str, url: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
        .header("Tus-Resumable", "1.0.0")
}

async fn create(app: &TestApp, length: usize) -> String {
    let created = tus("POST", &format!("{}/forces/demo/uploads", app.base))
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            "filename Y2xpcC5tcDQ=,filetype dmlkZW8vbXA0",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    assert!(created.headers().contains_key("upload-expires"));
    format!("{}{location}", app.base)
}

fn mp4(len: usize) -> Vec<u8> {
    let mut data = 24u32.to_be_bytes().to_vec();
    data.extend_from_slice(b"ftypisom\0\0\x02\0isommp41");
    data.resize(len, 7);
    data
}

async fn patch(
    url: &str,
    offset: usize,
    bytes: Vec<u8>,
    checksum: Option<String>,
) -> reqwest::Response {
    let mut request = tus("PATCH", url)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string());
    if let Some(c) = checksum {
        request = request.header("Upload-Checksum", c);
    }
    request.body(bytes).send().await.unwrap()
}

#[tokio::test]
async fn the_protocol_refuses_what_it_must_and_keeps_what_it_accepted() {
    let app = TestApp::spawn().await;
    let options = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/forces/demo/uploads", app.base),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 204);
    assert_eq!(options.headers()["tus-version"], "1.0.0");
    let extensions = options.headers()["tus-extension"].to_str().unwrap();
    for e in ["creation", "termination", "checksum", "expiration"] {
        assert!(extensions.contains(e), "{extensions}");
    }
    assert!(options.headers()["tus-checksum-algorithm"]
        .to_str()
        .unwrap()
        .contains("sha1"));

    let no_version = reqwest::Client::new()
        .post(format!("{}/forces/demo/uploads", app.base))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 412);
    let no_length = tus("POST", &format!("{}/forces/demo/uploads", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(no_length.status(), 400);
    let huge = tus("POST", &format!("{}/forces/demo/uploads", app.base))
        .header("Upload-Length", (3u64 << 30).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let bad_meta = tus("POST", &format!("{}/forces/demo/uploads", app.base))
        .header("Upload-Length", "10")
        .header("Upload-Metadata", "filename not*base64")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_meta.status(), 400);
    let no_force = tus("POST", &format!("{}/forces/nowhere/uploads", app.base))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_force.status(), 404);

    let data = mp4(300_000);
    let url = create(&app, data.len()).await;
    let wrong_type = tus("PATCH", &url)
        .header("Content-Type", "application/octet-stream")
        .header("Upload-Offset", "0")
        .body(data[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let first = patch(&url, 0, data[..100_000].to_vec(), None).await;
    assert_eq!(first.status(), 204);
    assert_eq!(first.headers()["upload-offset"], "100000");
    // A duplicated chunk (the same offset again) is refused: the offset is 100000.
    let duplicate = patch(&url, 0, data[..100_000].to_vec(), None).await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(duplicate.headers()["upload-offset"], "100000");
    let out_of_order = patch(&url, 200_000, data[200_000..].to_vec(), None).await;
    assert_eq!(out_of_order.status(), 409);
    // A chunk whose checksum does not match is discarded whole.
    let wrong = base64_sha1(b"something else");
    let mismatch = patch(
        &url,
        100_000,
        data[100_000..200_000].to_vec(),
        Some(format!("sha1 {wrong}")),
    )
    .await;
    assert_eq!(mismatch.status().as_u16(), 460);
    let head = tus("HEAD", &url).send().await.unwrap();
    assert_eq!(
        head.headers()["upload-offset"],
        "100000",
        "nothing of the bad chunk was kept"
    );
    assert_eq!(head.headers()["upload-length"], "300000");
    assert_eq!(head.headers()["cache-control"], "no-store");
    let too_much = patch(&url, 100_000, vec![0; 300_000], None).await;
    assert_eq!(
        too_much.status(),
        400,
        "more bytes than the length promised"
    );
    let good = base64_sha1(&data[100_000..]);
    let last = patch(
        &url,
        100_000,
        data[100_000..].to_vec(),
        Some(format!("sha1 {good}")),
    )
    .await;
    assert_eq!(last.status(), 204);
    assert_eq!(last.headers()["upload-offset"], "300000");
    let done = tus("DELETE", &url).send().await.unwrap();
    assert_eq!(
        done.status(),
        409,
        "a finished upload is evidence and stays"
    );

    // Termination of an unfinished upload.
    let abandoned = create(&app, 1000).await;
    assert_eq!(
        tus("DELETE", &abandoned).send().await.unwrap().status(),
        204
    );
    assert_eq!(tus("HEAD", &abandoned).send().await.unwrap().status(), 404);

    // A "video" that is not one is refused when it completes, and discarded.
    let text = b"This is a text file pretending to be a video.".to_vec();
    let fake = create(&app, text.len()).await;
    let refused = patch(&fake, 0, text, None).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused.text().await.unwrap().contains("not"),
        "the reason is given"
    );
    assert_eq!(tus("HEAD", &fake).send().await.unwrap().status(), 404);

    // An upload past its expiry is gone, and its file is swept at the next creation.
    let stale = create(&app, 1000).await;
    let id = stale.rsplit('/').next().unwrap().to_string();
    let mut conn = app.store.write().await.unwrap();
    sqlx::query("UPDATE tus_uploads SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await
        .unwrap();
    conn.commit().await.unwrap();
    assert_eq!(tus("HEAD", &stale).send().await.unwrap().status(), 404);
    let part = app
        .db
        .data_dir
        .clone()
        .unwrap()
        .join("evidence/incoming")
        .join(format!("{id}.part"));
    assert!(part.exists());
    create(&app, 10).await;
    assert!(!part.exists(), "the expired upload's bytes are discarded");
    assert_eq!(
        tus(
            "HEAD",
            &format!("{}/forces/demo/uploads/../../etc", app.base)
        )
        .send()
        .await
        .unwrap()
        .status(),
        404
    );
}

fn base64_sha1(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha1::Sha1::digest(bytes))
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_tuspy),
    ignore = "needs the tus client tuspy: python3 -m pip install tuspy (.ci/run installs it)"
)]
async fn tuspy_uploads_breaks_off_resumes_and_the_video_reaches_a_tip() {
    let app = TestApp::spawn().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tus_client.py");
    let work = app.db.data_dir.clone().unwrap().join("tus");
    std::fs::create_dir_all(&work).unwrap();
    let base = app.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([script, base.as_str(), "demo", work.to_str().unwrap()])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["broken_at"], 1024 * 1024);
    assert_eq!(
        seen["resumed_from"],
        1024 * 1024,
        "the second uploader resumed where the first stopped"
    );
    assert_eq!(seen["final_offset"], seen["length"]);
    let upload_id = seen["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    // The finished upload is named by a tip from the public.
    let public = app.client();
    let page = public.get("/forces/demo/tips").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", page.csrf())
        .text("text", "My dashcam caught the crash.")
        .text("upload", upload_id.clone());
    let sent = public.post_multipart("/forces/demo/tips", form).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let (sergeant, token) = app.ready_to_post("sgt.evans").await;
    let tips = sergeant
        .api("GET", "/api/v1/tips", Some(&token), None)
        .await
        .json();
    let tip = tips[0]["id"].as_i64().unwrap();
    let view = sergeant
        .api("GET", &format!("/api/v1/tips/{tip}"), Some(&token), None)
        .await
        .json();
    let item = &view["evidence"][0]["item"];
    assert_eq!(
        item["sha256"], seen["sha256"],
        "the video arrived byte for byte"
    );
    assert_eq!(item["content_type"], "video/mp4");
    assert_eq!(item["filename"], "clip.mp4");
    // An upload cannot be claimed twice.
    let page = public.get("/forces/demo/tips").await;
    let again = reqwest::multipart::Form::new()
        .text("csrf", page.csrf())
        .text("text", "again")
        .text("upload", upload_id);
    assert_eq!(
        public
            .post_multipart("/forces/demo/tips", again)
            .await
            .status,
        400
    );
}
