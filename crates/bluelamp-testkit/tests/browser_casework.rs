//! The coast-road and appeal stories in a real browser (headless Chromium), with
//! axe-core checking each page against the WCAG 2.2 AA rules.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use bluelamp_testkit::browser::*;
use bluelamp_testkit::smtp::{drain, SmtpSink};
use bluelamp_testkit::TestApp;
use fantoccini::Locator;

#[tokio::test]
#[cfg_attr(
    not(all(bluelamp_has_browser, bluelamp_has_smtp)),
    ignore = "needs Chromium, chromedriver, axe-core and aiosmtpd: apt-get install chromium chromium-driver; npm ci --prefix interop/axe; python3 -m pip install aiosmtpd (.ci/run installs them)"
)]
async fn the_coast_road_incident_updates_a_public_page_without_reloading() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    // A resident of Towyn (LL22) subscribes to area alerts in the browser and confirms.
    let sink = SmtpSink::start().await;
    let mail = sink.config(&app);
    let driver = start_driver().await;
    let resident = browser(&driver).await;
    resident
        .goto(&format!("{base}/forces/demo/subscribe"))
        .await
        .unwrap();
    assert_accessible(&resident, "the subscribe form").await;
    fill(&resident, "email", "towyn.resident@example.org").await;
    fill(&resident, "areas", "LL22").await;
    click(
        &resident,
        "form[action='/forces/demo/subscribe'] button[type=submit]",
    )
    .await;
    wait_for_text(&resident, "Check your inbox").await;
    drain(&app, &mail).await;
    let confirmation = sink.received_by("towyn.resident@example.org");
    let text = confirmation.last().expect("a confirmation mail")["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("LL22"),
        "the confirmation says which districts: {text}"
    );
    let start = text
        .find("/subscriptions/confirm/")
        .expect("a confirmation link");
    let link = text[start..].split_whitespace().next().unwrap().to_string();
    resident.goto(&format!("{base}{link}")).await.unwrap();
    wait_for_text(&resident, "is confirmed").await;
    resident.close().await.unwrap();
    let staff = browser(&driver).await;
    log_in(&staff, &base, "comms.lewis").await;
    acknowledge_policy(&staff, &base).await;
    staff
        .goto(&format!("{base}/staff/incidents"))
        .await
        .unwrap();
    assert_accessible(&staff, "/staff/incidents").await;
    fill(&staff, "reference", "COAST-1").await;
    fill(&staff, "title", "Coast road closed after a collision").await;
    fill(&staff, "area", "Towyn").await;
    fill(&staff, "districts", "LL22").await;
    fill(&staff, "area_geojson", r#"{"type":"Polygon","coordinates":[[[-3.575,53.292],[-3.530,53.292],[-3.530,53.276],[-3.575,53.276],[-3.575,53.292]]]}"#).await;
    click(
        &staff,
        "form[action='/staff/incidents'] button[type=submit]",
    )
    .await;
    wait_for_text(&staff, "The incident is open").await;
    assert_accessible(&staff, "/staff/incidents/COAST-1").await;

    // The public, in a second browser, open the page before any update.
    let public = browser(&driver).await;
    public
        .goto(&format!("{base}/forces/demo/incidents/COAST-1"))
        .await
        .unwrap();
    wait_for_text(&public, "No updates yet").await;
    assert_accessible(&public, "the public incident page").await;
    // Give the page's live stream a moment to connect.
    tokio::time::sleep(Duration::from_millis(500)).await;

    fill(
        &staff,
        "text",
        "Emergency services are at a collision on the coast road.",
    )
    .await;
    fill(&staff, "road", "A548 Coast Road").await;
    fill(&staff, "from", "Towyn").await;
    fill(&staff, "to", "Kinmel Bay").await;
    fill(
        &staff,
        "closure_line",
        r#"{"type":"LineString","coordinates":[[-3.570,53.287],[-3.538,53.281]]}"#,
    )
    .await;
    fill(&staff, "diversion", "via the A55").await;
    fill(
        &staff,
        "diversion_line",
        r#"{"type":"LineString","coordinates":[[-3.570,53.287],[-3.545,53.277]]}"#,
    )
    .await;
    click(&staff, "form[action$='/updates'] button[type=submit]").await;
    wait_for_text(&staff, "The update is published").await;

    // The public page changes in place: the script marks the swap, no navigation.
    let text = wait_for_text(&public, "Road closed: A548 Coast Road").await;
    assert!(text.contains("Diversion: via the A55."));
    let swapped = public.find(Locator::Css("body[data-updated]")).await;
    assert!(swapped.is_ok(), "the update arrived without a reload");
    assert!(
        public
            .find(Locator::Css(
                "figure.incident-map svg path[stroke='#c00000']"
            ))
            .await
            .is_ok(),
        "the closure is on the map"
    );
    assert_accessible(&public, "the public incident page with a map").await;
    // The area subscriber has the update by e-mail.
    drain(&app, &mail).await;
    let alerts = sink.received_by("towyn.resident@example.org");
    assert!(
        alerts.iter().any(|m| m["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Road closed: A548 Coast Road")),
        "the LL22 subscriber's e-mail: {alerts:?}"
    );

    staff
        .goto(&format!("{base}/staff/incidents/COAST-1"))
        .await
        .unwrap();
    fill(
        &staff,
        "summary",
        "The coast road has reopened. Thank you for your patience.",
    )
    .await;
    click(&staff, "form[action$='/close'] button[type=submit]").await;
    wait_for_text(&staff, "The incident is closed").await;
    wait_for_text(&public, "this page stays as the record").await;
    staff.close().await.unwrap();
    public.close().await.unwrap();
}

#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_browser),
    ignore = "needs Chromium, chromedriver and axe-core: apt-get install chromium chromium-driver; npm ci --prefix interop/axe (.ci/run installs them)"
)]
async fn an_appeal_takes_a_tip_with_a_photo_and_its_bundle_verifies() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let work = app.db.data_dir.clone().unwrap().join("browser");
    std::fs::create_dir_all(&work).unwrap();
    let photo = work.join("cctv.jpg");
    std::fs::write(&photo, bluelamp_media::testing::jpeg(320, 240)).unwrap();
    let driver = start_driver().await;
    let staff = browser(&driver).await;
    log_in(&staff, &base, "comms.lewis").await;
    acknowledge_policy(&staff, &base).await;
    staff.goto(&format!("{base}/staff/appeals")).await.unwrap();
    assert_accessible(&staff, "/staff/appeals").await;
    fill(&staff, "reference", "APPEAL-3").await;
    fill(&staff, "title", "Can you help identify this man?").await;
    fill(
        &staff,
        "what_happened",
        "A shop on Quay Street was broken into.",
    )
    .await;
    fill(&staff, "place", "Quay Street, Harbourside").await;
    fill(&staff, "photo", photo.to_str().unwrap()).await;
    fill(
        &staff,
        "alt",
        "A man in a dark hooded jacket at a shop door",
    )
    .await;
    click(&staff, "form[action='/staff/appeals'] button[type=submit]").await;
    wait_for_text(&staff, "The appeal is submitted").await;
    assert_accessible(&staff, "/staff/appeals/APPEAL-3").await;

    // A member of the public, in a second browser, sends a tip with a photo.
    let public = browser(&driver).await;
    public
        .goto(&format!("{base}/forces/demo/appeals/APPEAL-3"))
        .await
        .unwrap();
    wait_for_text(&public, "Send information").await;
    assert_accessible(&public, "the public appeal page").await;
    fill(
        &public,
        "text",
        "I saw him get into a blue car on Quay Street.",
    )
    .await;
    fill(&public, "files", photo.to_str().unwrap()).await;
    click(&public, "form[action$='/tips'] button[type=submit]").await;
    let thanks = wait_for_text(&public, "Your reference is").await;
    assert!(thanks.contains("TIP-"));
    assert_accessible(&public, "the thank-you page").await;

    // Staff triage it and export the evidence bundle.
    staff.goto(&format!("{base}/staff/tips")).await.unwrap();
    assert_accessible(&staff, "/staff/tips").await;
    click(&staff, "table a[href^='/staff/tips/']").await;
    wait_for_text(&staff, "Custody log").await;
    assert_accessible(&staff, "a tip's page").await;
    click(&staff, "form[action$='/decision'] button[type=submit]").await;
    wait_for_text(&staff, "The decision is recorded").await;
    let tip_path = staff.current_url().await.unwrap().path().to_string();
    let zip = reqwest::Client::new()
        .get(format!("{base}{tip_path}/bundle"))
        .header("cookie", cookie_header(&staff).await)
        .send()
        .await
        .unwrap();
    assert_eq!(zip.status(), 200);
    std::fs::write(work.join("bundle.zip"), zip.bytes().await.unwrap()).unwrap();
    assert!(std::process::Command::new("unzip")
        .args(["-q", "bundle.zip"])
        .current_dir(&work)
        .status()
        .unwrap()
        .success());
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    staff.close().await.unwrap();
    public.close().await.unwrap();
}
