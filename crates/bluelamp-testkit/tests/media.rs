//! Media end to end: photos lose their metadata (GPS above all), wrong types and
//! decompression bombs are refused clearly, and nothing is public before its post.

#![allow(clippy::unwrap_used)]

use bluelamp_testkit::fixtures::{contains, photo_with_gps};
use bluelamp_testkit::TestApp;
use serde_json::json;

async fn sergeant(app: &TestApp) -> (bluelamp_testkit::Client, String, i64) {
    let (client, token) = app.ready_to_post("sgt.evans").await;
    let beat = client.account_id(&token, "pcmorgan").await;
    (client, token, beat)
}

#[tokio::test]
async fn a_published_photo_has_no_gps_metadata_and_keeps_its_evidence_hash() {
    let app = TestApp::spawn().await;
    let (client, token, beat) = sergeant(&app).await;
    let photo = photo_with_gps();
    assert!(
        contains(&photo, b"GPS") || contains(&photo, b"Exif"),
        "the fixture carries EXIF"
    );
    let uploaded = client
        .upload(&token, beat, "IMG_0042.jpg", photo.clone())
        .await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let id = uploaded.json()["id"].as_i64().unwrap();

    // Not public while it belongs to no published post.
    assert_eq!(app.client().get(&format!("/media/{id}")).await.status, 404);

    let text = "Have you seen this bike? Stolen from Harbourside station. Call 101 quoting 555.";
    let post = client
        .api("POST", &format!("/api/v1/accounts/{beat}/posts"), Some(&token), Some(json!({"text": text, "kind": "appeal", "media": [{"id": id, "alt": "A red bicycle leaning on railings"}]})))
        .await;
    assert_eq!(post.status, 201, "{}", post.body);
    let post_id = post.json()["post"]["id"].as_i64().unwrap();

    let served = app
        .client()
        .http
        .get(format!("{}/media/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let bytes = served.bytes().await.unwrap();
    assert!(
        !contains(&bytes, b"Exif") && !contains(&bytes, b"GPS"),
        "no EXIF or GPS may be served"
    );
    assert_eq!(
        app.client()
            .get(&format!("/media/{id}/thumbnail"))
            .await
            .status,
        200
    );

    let page = app
        .client()
        .get(&format!("/forces/demo/posts/{post_id}"))
        .await;
    assert!(
        page.body
            .contains("alt=\"A red bicycle leaning on railings\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("og:image"));
    let detail = client
        .api(
            "GET",
            &format!("/api/v1/posts/{post_id}"),
            Some(&token),
            None,
        )
        .await
        .json();
    let sha = detail["media"][0]["sha256_original"].as_str().unwrap();
    assert_eq!(
        sha.len(),
        64,
        "the original upload's hash is kept as evidence"
    );
}

#[tokio::test]
async fn wrong_types_and_decompression_bombs_are_refused_with_clear_messages() {
    let app = TestApp::spawn().await;
    let (client, token, beat) = sergeant(&app).await;
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n".to_vec();
    let refused = client.upload(&token, beat, "photo.jpg", pdf).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("looks like a PDF"),
        "{}",
        refused.body
    );

    // A PNG whose header claims 100,000 x 100,000 pixels.
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    bomb.extend_from_slice(&13u32.to_be_bytes());
    bomb.extend_from_slice(&ihdr);
    bomb.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let refused = client.upload(&token, beat, "huge.png", bomb).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("100,000 x 100,000"),
        "{}",
        refused.body
    );

    let empty = client.upload(&token, beat, "nothing.jpg", Vec::new()).await;
    assert!(empty.status == 422 || empty.status == 400, "{}", empty.body);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
