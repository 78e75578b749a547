//! Whether this build's tests can reach PostgreSQL: the storage stories run on
//! SQLite always and on PostgreSQL when `BLUELAMP_TEST_POSTGRES_URL` is set. Without
//! it, the PostgreSQL pass is reported as an ignored test (with the reason) rather
//! than silently left out.
fn main() {
    println!("cargo::rerun-if-env-changed=BLUELAMP_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(bluelamp_has_postgres)");
    if std::env::var("BLUELAMP_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=bluelamp_has_postgres");
    }
}
