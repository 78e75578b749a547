//! Telling every server process on the same PostgreSQL database that something
//! changed, with `LISTEN`/`NOTIFY`. A notification sent inside a transaction is
//! delivered when it commits (and never if it rolls back), so listeners never
//! react to a change they cannot yet read. On SQLite, which one server process
//! owns, there is nobody else to tell and these do nothing.

use sqlx::postgres::PgListener;
use sqlx::{AnyConnection, Row};

use crate::Result;

/// Public pages or feeds of a force changed; the payload is the force id.
pub const PUBLIC_CHANGED: &str = "bluelamp_public_changed";

/// An urgent message (emergency, safeguarding) reached a force's inbox; the payload
/// is the force id.
pub const INBOX_URGENT: &str = "bluelamp_inbox_urgent";

/// Queue `payload` on `channel` for every listener, delivered at commit.
pub async fn announce(conn: &mut AnyConnection, channel: &str, payload: &str) -> Result<()> {
    if conn.backend_name() != "PostgreSQL" {
        return Ok(());
    }
    // pg_notify returns `void`, which the Any driver cannot decode: count it instead.
    let row = sqlx::query("SELECT COUNT(*) AS n FROM (SELECT pg_notify($1, $2)) AS sent")
        .bind(channel)
        .bind(payload)
        .fetch_one(&mut *conn)
        .await?;
    let _: i64 = row.try_get("n")?;
    Ok(())
}

/// A connection that receives the notifications of some channels.
pub struct Listener(PgListener);

impl Listener {
    pub(crate) async fn connect(url: &str, channels: &[&str]) -> Result<Listener> {
        let mut listener = PgListener::connect(url).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(Listener(listener))
    }

    /// The next notification's payload. After a lost connection the listener
    /// reconnects by itself; notifications sent meanwhile are lost, so callers
    /// should treat an error as "anything may have changed".
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}
