//! Inbound de-duplication is per force, on every backend under test: the same
//! activity and the same note sent to two forces are stored by both, and a
//! replay to either is recognised.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
use bluelamp_domain::{ForceCode, ForceSettings, PublicDomain, TimeZoneName};
use bluelamp_store::federation::{self as fed, NewInboundMessage};
use bluelamp_store::forces;
use bluelamp_store::testing::{backends_under_test, TestDatabase};

fn new_force(code: &str) -> forces::NewForce {
    forces::NewForce {
        code: ForceCode::parse(code).unwrap(),
        name: format!("{code} Police"),
        domain: PublicDomain::parse(&format!("{code}.police.test")).unwrap(),
        time_zone: TimeZoneName::parse("Europe/London").unwrap(),
        logo_url: None,
        settings: ForceSettings::default(),
    }
}

#[tokio::test]
async fn the_same_activity_and_note_are_recorded_once_per_force() {
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.expect("test database");
        let store = db.store().await.expect("migrated store");
        let mut tx = store.write().await.unwrap();
        let gwent = forces::insert(&mut tx, &new_force("gwent")).await.unwrap();
        let dyfed = forces::insert(&mut tx, &new_force("dyfed")).await.unwrap();
        let id = "https://a.example/statuses/1/activity";
        let actor = "https://a.example/users/alice";
        assert!(fed::record_inbound(&mut tx, gwent.id, id, actor, "Create")
            .await
            .unwrap());
        assert!(fed::record_inbound(&mut tx, dyfed.id, id, actor, "Create")
            .await
            .unwrap());
        assert!(!fed::record_inbound(&mut tx, gwent.id, id, actor, "Create")
            .await
            .unwrap());
        let attachments = serde_json::json!([]);
        for (force, first) in [(gwent.id, true), (dyfed.id, true), (dyfed.id, false)] {
            let stored = fed::insert_message(
                &mut tx,
                &NewInboundMessage {
                    force_id: force,
                    account_id: None,
                    object_id: "https://a.example/statuses/1",
                    actor_id: actor,
                    author_name: None,
                    in_reply_to: None,
                    content_html: "<p>hello</p>",
                    content_warning: None,
                    attachments: &attachments,
                    url: None,
                    published: None,
                },
            )
            .await
            .unwrap();
            assert_eq!(stored, first, "{}", backend.as_str());
        }
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            fed::messages(&mut conn, gwent.id, 10).await.unwrap().len(),
            1
        );
        assert_eq!(
            fed::messages(&mut conn, dyfed.id, 10).await.unwrap().len(),
            1
        );
        drop(conn);
        store.close().await;
    }
}
