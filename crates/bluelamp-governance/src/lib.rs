//! The governance check: "what would the Chief Constable say?" before anything is
//! published.
//!
//! This crate owns the pre-publication check and nothing else. It is a pure library: it
//! reads no files, opens no sockets and reads no clock, and it must never depend on the
//! store, the web layer or any other Bluelamp crate except `bluelamp-judgement` (the
//! shared, equally pure, text-judgement tooling). The built-in rule set and the learned
//! model's weights (`data/`) are compiled into the binary; a force's overrides arrive as
//! a TOML string. The one thing
//! it needs from the outside world (how many of the force's accounts recently pushed the
//! same text) comes in through the [`DuplicateLookup`] trait, which the store implements.
//!
//! ```
//! use bluelamp_governance::{parse_request, Decision, Engine, NoDuplicates};
//! let engine = Engine::try_builtin().expect("the built-in rules and model load");
//! let draft = parse_request(r#"{"text": "Stolen white van AB12 CDE taken from Rhyl overnight. Seen it? Call 101 or Crimestoppers on 0800 555 111.", "context": {"kind": "appeal"}}"#).unwrap();
//! assert_eq!(engine.check(&draft, &NoDuplicates).decision, Decision::Publish);
//! ```

mod batch;
mod config;
pub mod corpus;
mod engine;
pub mod learned;
pub mod length;
mod lexicon;
mod model;
mod names;
mod normalise;
mod render;
mod rules;
mod urls;

pub use batch::run_jsonl;
pub use config::RuleFileError;
pub use engine::{duplicate_key, DuplicateLookup, Engine, NoDuplicates};
pub use model::*;
pub use render::render_human;
