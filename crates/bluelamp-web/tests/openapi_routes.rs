//! The OpenAPI document and the API's routes are the same set: every route of
//! `/api/v1` (as `router.rs` declares it: every API route is there) is documented
//! with the same methods, and every documented operation has a route. The
//! document is hand-written (see ARCHITECTURE.md), so this test is what keeps it
//! true.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

const ROUTER: &str = include_str!("../src/router.rs");
const MASTODON: &str = include_str!("../src/mastodon/mod.rs");
/// Mastodon routes outside the document: the consent page is a browser page
/// (like every staff page) and the streaming endpoints are long-lived streams.
const NOT_DOCUMENTED: [&str; 2] = ["/oauth/authorize", "/api/v1/streaming"];
const OPENAPI: &str = include_str!("../src/api/openapi.json");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `(method, path)` of every route in the `api_v1` router, with `/api/v1` in front.
fn routes() -> BTreeSet<(String, String)> {
    let start = ROUTER
        .find("let api_v1 = Router::new()")
        .expect("router.rs builds the api_v1 router");
    let end = start
        + ROUTER[start..]
            .find(".fallback(api::not_found)")
            .expect("the api_v1 router ends with its fallback");
    let block = &ROUTER[start..end];
    let mut found = BTreeSet::new();
    for call in block.split(".route(").skip(1) {
        let path = call
            .split('"')
            .nth(1)
            .expect("a route's first argument is its path");
        // The handlers of this route: `get(...)`, `.post(...)`, `routing::delete(...)`
        // (but not `get_account(...)`).
        for method in METHODS {
            let call_of = format!("{method}(");
            let used = call.match_indices(&call_of).any(|(at, _)| {
                !call[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if used {
                found.insert((method.to_uppercase(), format!("/api/v1{path}")));
            }
        }
    }
    found
}

/// The methods a handler expression uses: `get(...)`, `.post(...)`,
/// `routing::delete(...)` (but not `get_account(...)`).
fn methods_in(call: &str) -> Vec<&'static str> {
    METHODS
        .into_iter()
        .filter(|method| {
            let call_of = format!("{method}(");
            call.match_indices(&call_of).any(|(at, _)| {
                !call[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect()
}

/// `(method, path)` of the Mastodon client API's table (each path is also
/// answered with a trailing slash, which is not documented twice).
fn mastodon_routes() -> BTreeSet<(String, String)> {
    let start = MASTODON
        .find("let table")
        .expect("mastodon/mod.rs lists its routes in a table");
    let end = start + MASTODON[start..].find("];").expect("the table ends");
    let mut found = BTreeSet::new();
    // Each entry is a path literal ("/...") and the handlers up to the next one.
    for entry in MASTODON[start..end].split("\"/").skip(1) {
        let path = format!("/{}", entry.split('"').next().unwrap_or_default());
        if NOT_DOCUMENTED.iter().any(|skip| path.starts_with(skip)) {
            continue;
        }
        for method in methods_in(entry) {
            found.insert((method.to_uppercase(), path.clone()));
        }
    }
    found
}

fn documented() -> BTreeSet<(String, String)> {
    let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let mut found = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    found
}

#[test]
fn every_api_route_is_documented_and_every_documented_operation_exists() {
    let mut routes = routes();
    let mastodon = mastodon_routes();
    assert!(
        mastodon.len() > 25,
        "the table scan found too little: {mastodon:?}"
    );
    routes.extend(mastodon);
    assert!(
        routes.len() > 30,
        "the router scan found too little: {routes:?}"
    );
    let mut documented = documented();
    // The document itself is served outside /api/v1 and need not describe itself.
    documented.remove(&("GET".into(), "/api/openapi.json".into()));
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let missing: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty() && missing.is_empty(),
        "routes without documentation: {undocumented:?}\ndocumented without a route: {missing:?}"
    );
}
