//! Tooling shared by everything in Bluelamp that classifies text: the governance check's
//! learned scoring and the inbox's triage.
//!
//! The discipline it serves (see `corpus/governance/LABELLING.md`): corpora are written
//! by independent writers who never see the rules; a deterministic share of every batch
//! goes to a blind split that nobody tuning reads ([`split`]); the blind split is only
//! ever scored in aggregate ([`report`]). The model is a linear one over hashed word and
//! character n-grams ([`features`], [`linear`]): it trains in seconds on this machine,
//! its weights are a small committed data file ([`codec`]) and scoring a post costs a few
//! microseconds, and every score can be explained by the n-grams that contributed most.
//!
//! Like the governance crate, this one reads no files and opens no sockets: callers hand
//! it strings and bytes.

pub mod codec;
pub mod corpus;
pub mod features;
pub mod linear;
pub mod report;
pub mod split;

pub use codec::ModelError;
pub use corpus::{parse_jsonl, CorpusError};
pub use features::{Feature, Featurizer};
pub use linear::{LinearModel, TrainOptions};
pub use report::{BinaryCounts, DecisionMatrix};
