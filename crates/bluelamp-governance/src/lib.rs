//! The governance check: "what would the Chief Constable say?" before anything is
//! published.
//!
//! This crate owns the pre-publication check and nothing else. It is a pure library: it
//! reads no files, opens no sockets and reads no clock, and it must never depend on the
//! store, the web layer or any other Bluelamp crate. The built-in rule set (`data/`) is
//! compiled into the binary; a force's overrides arrive as a TOML string. The one thing
//! it needs from the outside world (how many of the force's accounts recently pushed the
//! same text) comes in through the [`DuplicateLookup`] trait, which the store implements.
//!
//! ```
//! use bluelamp_governance::{parse_request, Decision, Engine, NoDuplicates};
//! let engine = Engine::builtin();
//! let draft = parse_request(r#"{"text": "Stolen van AB12 CDE: seen it? Call 101."}"#).unwrap();
//! assert_eq!(engine.check(&draft, &NoDuplicates).decision, Decision::Publish);
//! ```

mod batch;
mod config;
pub mod corpus;
mod engine;
pub mod learned;
pub mod length;
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
