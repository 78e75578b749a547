//! Bluelamp's storage: one set of SQL queries run over either embedded SQLite (the
//! zero set-up default) or PostgreSQL, through sqlx's `Any` driver.
//!
//! Every function takes a `&mut AnyConnection`, so the same query serves a read
//! on a pooled connection and a step inside a write transaction. Writes go through
//! [`Store::write`], which on SQLite also serialises writers in-process (SQLite has
//! one writer at a time anyway; queueing here avoids `SQLITE_BUSY` on upgrade).
//! This crate knows nothing of HTTP; it depends only on the domain.

pub mod accounts;
pub mod analytics;
pub mod appeals;
pub mod approvals;
pub mod audit;
pub mod canned;
pub mod cases;
pub mod clock;
pub mod connections;
pub mod evidence;
pub mod federation;
pub mod feedback;
pub mod force_rules;
pub mod forces;
pub mod inbox;
mod inbox_bulk;
pub mod incidents;
pub mod jobs;
mod leased_queue;
pub mod media;
pub mod notify;
pub mod oauth;
pub mod paging;
pub mod policies;
pub mod posts;
pub mod push;
pub mod referrals;
pub mod rumours;
pub mod sessions;
pub mod staff_notifications;
pub mod subscriptions;
pub mod testing;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use sqlx::AnyConnection;

/// How a statement's bind parameters are written for this connection. PostgreSQL
/// needs `$N`. SQLite accepts `$N` too, but looks each such name up by a linear scan
/// when binding, so a multi-row insert of hundreds of parameters costs quadratic
/// time; plain `?` (bound in order of appearance) does not. Only for statements
/// whose parameters each appear once, in binding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Params {
    Numbered,
    InOrder,
}

impl Params {
    pub(crate) fn of(conn: &AnyConnection) -> Params {
        if conn.backend_name() == "PostgreSQL" {
            Params::Numbered
        } else {
            Params::InOrder
        }
    }

    /// The `n`th parameter (from 1).
    pub(crate) fn nth(self, n: usize) -> Cow<'static, str> {
        match self {
            Params::Numbered => Cow::Owned(format!("${n}")),
            Params::InOrder => Cow::Borrowed("?"),
        }
    }

    /// `count` parameters from the `first`, separated by commas.
    pub(crate) fn list(self, first: usize, count: usize) -> String {
        (first..first + count)
            .map(|n| self.nth(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A storage failure, classified so callers can answer 404 or 409 rather than 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// Turn a unique-constraint violation into a [`StoreError::Conflict`] with a
    /// message a user understands; pass any other error through.
    pub fn conflict_if_unique(error: sqlx::Error, message: impl Into<String>) -> StoreError {
        if let sqlx::Error::Database(db) = &error {
            let text = db.message().to_ascii_lowercase();
            if db.is_unique_violation() || text.contains("unique") || text.contains("duplicate key")
            {
                return StoreError::Conflict(message.into());
            }
        }
        StoreError::Database(error)
    }
}

/// The current time as stored: UTC, millisecond precision, fixed width.
pub fn now_text() -> String {
    format_time(clock::now())
}

pub fn format_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// The store: a connection pool and, for SQLite, the in-process writer lock.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Kept for connections outside the pool (LISTEN).
    url: Arc<str>,
    sqlite_writer: Option<Arc<Mutex<()>>>,
}

/// A write transaction. Commit it, or drop it to roll back.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Undo everything, and only then let the next writer in. (A dropped
    /// transaction rolls back too, but lazily, when its connection is next
    /// used: on SQLite the next writer could meet the lock still held.)
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// Open (creating if needed) the database at `url`: `sqlite://path` or
    /// `postgres://...`.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Corrupt(format!(
                "database_url must start with sqlite: or postgres:, not '{}'",
                url.split(':').next().unwrap_or_default()
            )));
        };
        let options = AnyConnectOptions::from_str(url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; foreign keys are
                            // off by default in SQLite and we rely on them; the busy
                            // timeout covers other processes (the CLI beside the server).
                            // A 64 MiB page cache (SQLite's default is 2 MiB) keeps the
                            // inbox's indexes in memory through a storm, and a WAL of up to
                            // 8,000 pages between checkpoints merges a hot page's many
                            // writes into one: measured with `examples/ingest_storm.rs`.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; \
                                 PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Our transactions are short. One left open by a task that
                            // died mid-way would hold its row locks indefinitely; the
                            // server ends such a session after a minute instead.
                            conn.execute("SET idle_in_transaction_session_timeout = '60s'")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Store {
            pool,
            backend,
            url: Arc::from(url),
            sqlite_writer: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        })
    }

    /// The URL for an SQLite database file inside `data_dir`.
    pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("bluelamp.db").display()
        )
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// On PostgreSQL, a listener for notifications on `channels` (see [`notify`]);
    /// `None` on SQLite, where no other server process shares the database.
    pub async fn listen(&self, channels: &[&str]) -> Result<Option<notify::Listener>> {
        match self.backend {
            Backend::Sqlite => Ok(None),
            Backend::Postgres => Ok(Some(notify::Listener::connect(&self.url, channels).await?)),
        }
    }

    /// Bring the schema up to date. Safe to run at every start.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = migrator(self.backend);
        let mut conn = self.pool.acquire().await?;
        migrator.run_direct(&mut *conn).await?;
        Ok(())
    }

    /// A pooled connection for reads.
    pub async fn read(&self) -> Result<PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// Begin a write transaction.
    pub async fn write(&self) -> Result<WriteTx> {
        let writer = match &self.sqlite_writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx = self.pool.begin().await?;
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }

    /// Answer whether the database is reachable (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    /// Write a consistent copy of an SQLite database to `target` (a new file).
    /// PostgreSQL deployments back up with `pg_dump`; we say so rather than
    /// pretend.
    pub async fn backup_sqlite(&self, target: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "backup of a PostgreSQL store is done with pg_dump; see the README".into(),
            ));
        }
        if target.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                target.display()
            )));
        }
        let path = target.to_string_lossy().replace('\'', "''");
        let mut conn = self.pool.acquire().await?;
        sqlx::query(&format!("VACUUM INTO '{path}'"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn migrator(backend: Backend) -> Migrator {
    // Each migration exists once per backend; the numbers and names must match.
    let files: &[(i64, &'static str, &'static str, &'static str)] = &[
        (
            1,
            "foundation",
            include_str!("../migrations/sqlite/0001_foundation.sql"),
            include_str!("../migrations/postgres/0001_foundation.sql"),
        ),
        (
            2,
            "publishing",
            include_str!("../migrations/sqlite/0002_publishing.sql"),
            include_str!("../migrations/postgres/0002_publishing.sql"),
        ),
        (
            3,
            "subscriptions",
            include_str!("../migrations/sqlite/0003_subscriptions.sql"),
            include_str!("../migrations/postgres/0003_subscriptions.sql"),
        ),
        (
            4,
            "federation",
            include_str!("../migrations/sqlite/0004_federation.sql"),
            include_str!("../migrations/postgres/0004_federation.sql"),
        ),
        (
            5,
            "outbound",
            include_str!("../migrations/sqlite/0005_outbound.sql"),
            include_str!("../migrations/postgres/0005_outbound.sql"),
        ),
        (
            6,
            "edit_approval",
            include_str!("../migrations/sqlite/0006_edit_approval.sql"),
            include_str!("../migrations/postgres/0006_edit_approval.sql"),
        ),
        (
            7,
            "auth_hardening",
            include_str!("../migrations/sqlite/0007_auth_hardening.sql"),
            include_str!("../migrations/postgres/0007_auth_hardening.sql"),
        ),
        (
            8,
            "federation_hardening",
            include_str!("../migrations/sqlite/0008_federation_hardening.sql"),
            include_str!("../migrations/postgres/0008_federation_hardening.sql"),
        ),
        (
            10,
            "force_rules",
            include_str!("../migrations/sqlite/0010_force_rules.sql"),
            include_str!("../migrations/postgres/0010_force_rules.sql"),
        ),
        (
            11,
            "governance_feedback",
            include_str!("../migrations/sqlite/0011_governance_feedback.sql"),
            include_str!("../migrations/postgres/0011_governance_feedback.sql"),
        ),
        (
            12,
            "inbox",
            include_str!("../migrations/sqlite/0012_inbox.sql"),
            include_str!("../migrations/postgres/0012_inbox.sql"),
        ),
        (
            13,
            "rumours",
            include_str!("../migrations/sqlite/0013_rumours.sql"),
            include_str!("../migrations/postgres/0013_rumours.sql"),
        ),
        (
            14,
            "referrals",
            include_str!("../migrations/sqlite/0014_referrals.sql"),
            include_str!("../migrations/postgres/0014_referrals.sql"),
        ),
        (
            15,
            "client_apps",
            include_str!("../migrations/sqlite/0015_client_apps.sql"),
            include_str!("../migrations/postgres/0015_client_apps.sql"),
        ),
        (
            16,
            "canned_replies",
            include_str!("../migrations/sqlite/0016_canned_replies.sql"),
            include_str!("../migrations/postgres/0016_canned_replies.sql"),
        ),
        (
            17,
            "muted_senders",
            include_str!("../migrations/sqlite/0017_muted_senders.sql"),
            include_str!("../migrations/postgres/0017_muted_senders.sql"),
        ),
        (
            18,
            "away_replies",
            include_str!("../migrations/sqlite/0018_away_replies.sql"),
            include_str!("../migrations/postgres/0018_away_replies.sql"),
        ),
        (
            19,
            "force_webhooks",
            include_str!("../migrations/sqlite/0019_force_webhooks.sql"),
            include_str!("../migrations/postgres/0019_force_webhooks.sql"),
        ),
        (
            20,
            "inbox_received_index",
            include_str!("../migrations/sqlite/0020_inbox_received_index.sql"),
            include_str!("../migrations/postgres/0020_inbox_received_index.sql"),
        ),
        (
            21,
            "cases_incidents_appeals",
            include_str!("../migrations/sqlite/0021_cases_incidents_appeals.sql"),
            include_str!("../migrations/postgres/0021_cases_incidents_appeals.sql"),
        ),
        (
            22,
            "area_alerts",
            include_str!("../migrations/sqlite/0022_area_alerts.sql"),
            include_str!("../migrations/postgres/0022_area_alerts.sql"),
        ),
        (
            23,
            "alert_topics_and_speakers",
            include_str!("../migrations/sqlite/0023_alert_topics_and_speakers.sql"),
            include_str!("../migrations/postgres/0023_alert_topics_and_speakers.sql"),
        ),
        (
            24,
            "staff_notifications",
            include_str!("../migrations/sqlite/0024_staff_notifications.sql"),
            include_str!("../migrations/postgres/0024_staff_notifications.sql"),
        ),
        (
            25,
            "approval_steps_escalation_delivery",
            include_str!("../migrations/sqlite/0025_approval_steps_escalation_delivery.sql"),
            include_str!("../migrations/postgres/0025_approval_steps_escalation_delivery.sql"),
        ),
        (
            26,
            "channel_connections",
            include_str!("../migrations/sqlite/0026_channel_connections.sql"),
            include_str!("../migrations/postgres/0026_channel_connections.sql"),
        ),
        (
            27,
            "connector_writes",
            include_str!("../migrations/sqlite/0027_connector_writes.sql"),
            include_str!("../migrations/postgres/0027_connector_writes.sql"),
        ),
        (
            28,
            "duty_and_training",
            include_str!("../migrations/sqlite/0028_duty_and_training.sql"),
            include_str!("../migrations/postgres/0028_duty_and_training.sql"),
        ),
        (
            29,
            "analytics",
            include_str!("../migrations/sqlite/0029_analytics.sql"),
            include_str!("../migrations/postgres/0029_analytics.sql"),
        ),
        (
            30,
            "amplifier_reach",
            include_str!("../migrations/sqlite/0030_amplifier_reach.sql"),
            include_str!("../migrations/postgres/0030_amplifier_reach.sql"),
        ),
        (
            31,
            "replies_as_amplification",
            include_str!("../migrations/sqlite/0031_replies_as_amplification.sql"),
            include_str!("../migrations/postgres/0031_replies_as_amplification.sql"),
        ),
    ];
    let migrations = files
        .iter()
        .map(|&(version, name, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// Read a boolean column written by either backend.
pub(crate) fn get_bool(row: &sqlx::any::AnyRow, column: &str) -> Result<bool> {
    use sqlx::Row;
    match row.try_get::<bool, _>(column) {
        Ok(value) => Ok(value),
        Err(_) => Ok(row.try_get::<i64, _>(column)? != 0),
    }
}

/// Savepoints let one transaction carry several independent pieces of work
/// (e.g. a batch of inbound activities) where one failing is undone alone.
/// Same SQL on SQLite and PostgreSQL.
pub mod savepoint {
    use super::{AnyConnection, Result};

    /// `SAVEPOINT name`. `name` is ours, never user input.
    pub async fn begin(conn: &mut AnyConnection, name: &'static str) -> Result<()> {
        sqlx::query(&format!("SAVEPOINT {name}"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Undo everything since `begin` (the savepoint stays open; release it next).
    pub async fn rollback(conn: &mut AnyConnection, name: &'static str) -> Result<()> {
        sqlx::query(&format!("ROLLBACK TO SAVEPOINT {name}"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Keep the work and close the savepoint.
    pub async fn release(conn: &mut AnyConnection, name: &'static str) -> Result<()> {
        sqlx::query(&format!("RELEASE SAVEPOINT {name}"))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
