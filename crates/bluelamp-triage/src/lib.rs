//! Inbox triage: for a message from the public, which desk needs it (eleven categories,
//! several at once, one primary), whether a human must see it now (`urgent`), its
//! priority, and the words that decided it.
//!
//! Built with the judgement method of `bluelamp-judgement`: a corpus from independent
//! writers (`corpus/triage/`, guide in its `LABELLING.md`), a blind split scored only in
//! aggregate, and a linear model over hashed n-grams trained in the repository, whose
//! weights (`data/model.bin`) are built into the binary. One fixed rule sits beside the
//! model, from the guide: a bare cry for help is an emergency.
//!
//! Pure: no files, no network. Scoring a message costs microseconds.

pub mod category;
pub mod corpus;
pub mod features;
pub mod rumour;
pub mod training;
pub mod triager;

pub use category::{Category, Channel, Priority};
pub use corpus::{parse_corpus, Evaluation, LabelledMessage};
pub use triager::{Evidence, Triage, Triager};
