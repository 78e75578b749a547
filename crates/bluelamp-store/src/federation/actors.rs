//! Who we are on the fediverse: actor key pairs and the domain each force answers on.

use bluelamp_domain::{AccountId, ForceId};
use sqlx::{AnyConnection, Row};

use crate::{now_text, Result};

#[derive(Debug, Clone)]
pub struct ActorKey {
    pub account_id: AccountId,
    pub private_pem: String,
    pub public_pem: String,
    pub created_at: String,
}

pub async fn actor_key(conn: &mut AnyConnection, account: AccountId) -> Result<Option<ActorKey>> {
    let row = sqlx::query(
        "SELECT account_id, private_pem, public_pem, created_at FROM actor_keys WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(ActorKey {
            account_id: AccountId(r.try_get("account_id")?),
            private_pem: r.try_get("private_pem")?,
            public_pem: r.try_get("public_pem")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Store a key pair unless the account already has one (two first requests may
/// race; the first stored wins and both callers read it back).
pub async fn insert_actor_key(
    conn: &mut AnyConnection,
    account: AccountId,
    private_pem: &str,
    public_pem: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO actor_keys (account_id, private_pem, public_pem, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account.0)
    .bind(private_pem)
    .bind(public_pem)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- forces by domain -------------------------------------------------------

/// The force whose public domain (host, with a port when not the default) is
/// `domain`, compared case-insensitively.
pub async fn force_id_by_domain(conn: &mut AnyConnection, domain: &str) -> Result<Option<ForceId>> {
    let row = sqlx::query("SELECT id FROM forces WHERE LOWER(domain) = LOWER($1)")
        .bind(domain)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get("id")).transpose()?.map(ForceId))
}

/// Change a force's public domain (the CLI and the tests use it; actor ids are
/// derived from it).
pub async fn set_force_domain(
    conn: &mut AnyConnection,
    force: ForceId,
    domain: &str,
) -> Result<()> {
    sqlx::query("UPDATE forces SET domain = $1 WHERE id = $2")
        .bind(domain)
        .bind(force.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
