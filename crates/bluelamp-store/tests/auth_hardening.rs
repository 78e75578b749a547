//! Storage for login hardening, on every backend under test (SQLite always,
//! PostgreSQL when BLUELAMP_TEST_POSTGRES_URL is set): a TOTP step is accepted
//! once, and the lock decision is made by the database, not by the caller's
//! earlier read.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
use bluelamp_domain::{DisplayName, Role, Username};
use bluelamp_store::testing::each_backend;
use bluelamp_store::{users, Store};

async fn a_user(store: &Store) -> users::User {
    let mut tx = store.write().await.unwrap();
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            force_id: None,
            username: Username::parse("pc.test").unwrap(),
            display_name: DisplayName::parse("name", "PC Test").unwrap(),
            role: Role::Officer,
            password_hash: "not-a-hash".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    user
}

#[tokio::test]
async fn a_totp_step_is_accepted_once_and_never_an_earlier_one() {
    each_backend(|store| async move {
        let user = a_user(&store).await;
        let mut tx = store.write().await.unwrap();
        users::set_totp_secret(&mut tx, user.id, Some("SECRET"), Some(100))
            .await
            .unwrap();
        assert!(!users::accept_totp_step(&mut tx, user.id, 100)
            .await
            .unwrap());
        assert!(!users::accept_totp_step(&mut tx, user.id, 99).await.unwrap());
        assert!(users::accept_totp_step(&mut tx, user.id, 101)
            .await
            .unwrap());
        assert!(!users::accept_totp_step(&mut tx, user.id, 101)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        let mut conn = store.read().await.unwrap();
        assert_eq!(
            users::get(&mut conn, user.id).await.unwrap().totp_last_step,
            Some(101)
        );
    })
    .await;
}

#[tokio::test]
async fn the_failure_that_reaches_the_threshold_locks_and_a_lock_is_not_extended() {
    each_backend(|store| async move {
        let user = a_user(&store).await;
        let mut tx = store.write().await.unwrap();
        let until = "2999-01-01T00:00:00.000Z";
        for n in 1..=2 {
            let (count, locked) = users::record_failed_login(&mut tx, user.id, 3, until)
                .await
                .unwrap();
            assert_eq!((count, locked), (n, false));
        }
        let (count, locked) = users::record_failed_login(&mut tx, user.id, 3, until)
            .await
            .unwrap();
        assert_eq!((count, locked), (3, true));
        // Already locked: counted, but the lock keeps its end.
        let (count, locked) =
            users::record_failed_login(&mut tx, user.id, 3, "3999-01-01T00:00:00.000Z")
                .await
                .unwrap();
        assert_eq!((count, locked), (4, false));
        let user = users::get(&mut tx, user.id).await.unwrap();
        assert_eq!(user.locked_until.as_deref(), Some(until));
        users::reset_failed_logins(&mut tx, user.id).await.unwrap();
        tx.commit().await.unwrap();
    })
    .await;
}
