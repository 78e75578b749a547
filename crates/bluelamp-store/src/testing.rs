//! Throwaway databases for tests: a fresh SQLite file in a temporary folder, or a
//! fresh schema on the PostgreSQL server named by `BLUELAMP_TEST_POSTGRES_URL`.
//! Compiled into the library (it is small and has no dependencies of its own) so
//! every crate's tests share one way of making them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Backend, Result, Store, StoreError};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000
    )
}

/// The environment variable that names the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "BLUELAMP_TEST_POSTGRES_URL";

/// The backends the test suite must cover in this run: SQLite always, PostgreSQL
/// when [`POSTGRES_ENV`] is set. Prints a line when PostgreSQL is left out, so a
/// run never silently covers less than it seems to.
pub fn backends_under_test() -> Vec<Backend> {
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!("note: {POSTGRES_ENV} is not set; this test covers SQLite only (.ci/run covers PostgreSQL too)");
        vec![Backend::Sqlite]
    }
}

/// A fresh, migrated database that is removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    pub data_dir: Option<PathBuf>,
    schema: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Result<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", unique_suffix()));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
                })?;
                Ok(TestDatabase {
                    url: Store::sqlite_url_in(&dir),
                    backend,
                    data_dir: Some(dir),
                    schema: None,
                })
            }
            Backend::Postgres => {
                let base = std::env::var(POSTGRES_ENV).map_err(|_| {
                    StoreError::Corrupt(format!("{POSTGRES_ENV} must be set for a PostgreSQL test"))
                })?;
                let schema = format!("t_{}", unique_suffix());
                let admin = Store::connect(&base).await?;
                let mut conn = admin.read().await?;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut *conn)
                    .await?;
                drop(conn);
                admin.close().await;
                let separator = if base.contains('?') { '&' } else { '?' };
                // The schema's name doubles as the connections' application name, so
                // the teardown can find and end them (see Drop).
                let url = format!(
                    "{base}{separator}options=-c%20search_path%3D{schema}&application_name={schema}"
                );
                let dir = std::env::temp_dir().join(format!("bluelamp-test-{}", unique_suffix()));
                std::fs::create_dir_all(&dir).map_err(|e| {
                    StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
                })?;
                Ok(TestDatabase {
                    url,
                    backend,
                    data_dir: Some(dir),
                    schema: Some((base, schema)),
                })
            }
        }
    }

    /// Connect and migrate.
    pub async fn store(&self) -> Result<Store> {
        let store = Store::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = self.schema.take() {
            // Dropping needs async; a short-lived thread with its own runtime keeps
            // Drop usable from inside a test's runtime.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async move {
                        if let Ok(store) = Store::connect(&base).await {
                            if let Ok(mut conn) = store.read().await {
                                // A task of the finished test (say the delivery worker)
                                // may have been dropped mid-transaction, leaving its
                                // connection idle in transaction and holding locks
                                // the DROP would wait on forever: end them first.
                                let _ = sqlx::query(
                                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                                )
                                .bind(&schema)
                                .execute(&mut *conn)
                                .await;
                                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                                    .execute(&mut *conn)
                                    .await;
                            }
                            store.close().await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Run `story` once on a fresh, migrated store of every backend under test.
pub async fn each_backend<F, Fut>(story: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends_under_test() {
        let db = TestDatabase::create(backend).await.expect("test database");
        let store = db.store().await.expect("migrated store");
        eprintln!("running on {}", backend.as_str());
        story(store.clone()).await;
        store.close().await;
    }
}
