//! The storage story, run against every backend under test (SQLite always,
//! PostgreSQL when BLUELAMP_TEST_POSTGRES_URL is set).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
use bluelamp_domain::{
    AccountKind, AuditDraft, DisplayName, ForceCode, ForceSettings, Handle, MembershipPermissions,
    PublicDomain, Role, Signature, TimeZoneName, Username,
};
use bluelamp_store::testing::{backends_under_test, each_backend, TestDatabase};
use bluelamp_store::{accounts, audit, forces, policies, users, StoreError};

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
async fn migrations_run_twice_without_harm() {
    each_backend(|store| async move {
        store.migrate().await.expect("second migration is a no-op");
        let mut conn = store.read().await.unwrap();
        assert_eq!(forces::count(&mut conn).await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_force_code_or_handle_is_a_conflict_and_nothing_half_written() {
    each_backend(|store| async move {
        let mut tx = store.write().await.unwrap();
        let force = forces::insert(&mut tx, &new_force("dyfed")).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.write().await.unwrap();
        let err = forces::insert(&mut tx, &new_force("dyfed"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
        drop(tx);

        let account = |handle: &str| accounts::NewAccount {
            force_id: force.id,
            handle: Handle::parse(handle).unwrap(),
            display_name: DisplayName::parse("display_name", "Dyfed Police").unwrap(),
            bio: String::new(),
            avatar_url: None,
            kind: AccountKind::Corporate,
        };
        let mut tx = store.write().await.unwrap();
        accounts::insert(&mut tx, &account("dyfedpolice"))
            .await
            .unwrap();
        audit::append(
            &mut tx,
            AuditDraft {
                force_id: Some(force.id),
                actor_label: "t".into(),
                action: "account.create".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // A failing transaction leaves neither the row nor its audit entry.
        let mut tx = store.write().await.unwrap();
        audit::append(
            &mut tx,
            AuditDraft {
                force_id: Some(force.id),
                actor_label: "t".into(),
                action: "account.create".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let err = accounts::insert(&mut tx, &account("DyfedPolice"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already used"), "{err}");
        drop(tx);

        let mut conn = store.read().await.unwrap();
        assert_eq!(accounts::list(&mut conn, force.id).await.unwrap().len(), 1);
        let outcome = audit::verify(&mut conn).await.unwrap();
        assert!(outcome.first_break.is_none(), "{:?}", outcome.first_break);
        assert_eq!(outcome.chains, vec![("force:1".to_string(), 1)]);
    })
    .await;
}

#[tokio::test]
async fn the_audit_chain_names_an_edited_row() {
    each_backend(|store| async move {
        let mut tx = store.write().await.unwrap();
        let mut ids = Vec::new();
        for n in 0..5 {
            let record = audit::append(
                &mut tx,
                AuditDraft {
                    force_id: None,
                    actor_label: "admin".into(),
                    action: "user.create".into(),
                    target_type: "user".into(),
                    target_id: n.to_string(),
                    after: Some(format!("{{\"n\":{n}}}")),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            ids.push(record.id);
        }
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert!(audit::verify(&mut conn)
            .await
            .unwrap()
            .first_break
            .is_none());
        sqlx::query("UPDATE audit_log SET after_json = '{\"n\":42}' WHERE id = $1")
            .bind(ids[2])
            .execute(&mut *conn)
            .await
            .unwrap();
        let broken = audit::verify(&mut conn)
            .await
            .unwrap()
            .first_break
            .expect("a break");
        assert_eq!(broken.entry_id, ids[2]);
    })
    .await;
}

#[tokio::test]
async fn users_memberships_and_policy_acknowledgements_round_trip() {
    each_backend(|store| async move {
        let mut tx = store.write().await.unwrap();
        let force = forces::insert(&mut tx, &new_force("gwent")).await.unwrap();
        let user = users::insert(
            &mut tx,
            &users::NewUser {
                force_id: Some(force.id),
                username: Username::parse("pc.jones").unwrap(),
                display_name: DisplayName::parse("display_name", "PC Jones").unwrap(),
                role: Role::Officer,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();
        let account = accounts::insert(
            &mut tx,
            &accounts::NewAccount {
                force_id: force.id,
                handle: Handle::parse("chiefs").unwrap(),
                display_name: DisplayName::parse("display_name", "Chief officers").unwrap(),
                bio: "The chief officer team".into(),
                avatar_url: None,
                kind: AccountKind::Collective,
            },
        )
        .await
        .unwrap();
        let permissions = MembershipPermissions {
            post: true,
            post_without_approval: false,
            approve: true,
        };
        let (before, after) = accounts::upsert_member(
            &mut tx,
            account.id,
            user.id,
            permissions,
            Some(&Signature::parse("ACC MJ").unwrap()),
        )
        .await
        .unwrap();
        assert!(before.is_none());
        assert_eq!(after.permissions, permissions);
        assert_eq!(after.signature.as_deref(), Some("ACC MJ"));
        let v1 = policies::publish(&mut tx, force.id, "Policy", "Be kind", user.id)
            .await
            .unwrap();
        assert!(policies::acknowledge(&mut tx, v1.id, user.id)
            .await
            .unwrap());
        assert!(!policies::acknowledge(&mut tx, v1.id, user.id)
            .await
            .unwrap());
        let v2 = policies::publish(&mut tx, force.id, "Policy", "Be kinder", user.id)
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        tx.commit().await.unwrap();

        let mut conn = store.read().await.unwrap();
        let current = policies::current(&mut conn, force.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(current.version, 2);
        assert!(policies::acknowledged_at(&mut conn, current.id, user.id)
            .await
            .unwrap()
            .is_none());
        let found = users::by_username(&mut conn, "PC.Jones")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.role, Role::Officer);
        assert!(!found.disabled);
    })
    .await;
}

/// Says in the test summary whether the stories above also ran on PostgreSQL.
#[tokio::test]
#[cfg_attr(
    not(bluelamp_has_postgres),
    ignore = "BLUELAMP_TEST_POSTGRES_URL is not set: the storage stories ran on SQLite only (.ci/run sets it)"
)]
async fn the_storage_stories_also_ran_on_postgresql() {
    assert!(
        backends_under_test().contains(&bluelamp_store::Backend::Postgres),
        "BLUELAMP_TEST_POSTGRES_URL was set at build time but not now"
    );
    let db = TestDatabase::create(bluelamp_store::Backend::Postgres)
        .await
        .expect("PostgreSQL is reachable at BLUELAMP_TEST_POSTGRES_URL");
    let store = db.store().await.expect("migrated store");
    let mut conn = store.read().await.unwrap();
    assert_eq!(forces::count(&mut conn).await.unwrap(), 0);
}
