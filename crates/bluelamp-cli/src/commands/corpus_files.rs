//! Filing a writer's batch into a corpus's training and blind splits: shared by
//! `bluelamp governance split` and `bluelamp triage split`, so both corpora follow the
//! same discipline (validate the whole batch first, refuse known ids, split by a keyed
//! hash of the id alone, print counts only).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_judgement::{split, Featurizer, TrainOptions};

/// Files `batch` into `train` and `blind`. `ids` parses a whole corpus file (validating
/// every line) and returns its ids in line order.
pub fn file_batch(
    batch: &Path,
    train: &Path,
    blind: &Path,
    percent: u32,
    salt: &str,
    ids: impl Fn(&str) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(batch).with_context(|| format!("reading {}", batch.display()))?;
    // Validate the whole batch first: a bad line files nothing.
    let batch_ids = ids(&text).with_context(|| format!("{}", batch.display()))?;
    let mut known = std::collections::HashSet::new();
    for path in [train, blind] {
        if let Ok(existing) = std::fs::read_to_string(path) {
            known.extend(ids(&existing).with_context(|| format!("{}", path.display()))?);
        }
    }
    if let Some(id) = batch_ids.iter().find(|id| known.contains(*id)) {
        bail!(
            "{}: the id `{id}` is already in the corpus",
            batch.display()
        );
    }
    let (mut to_train, mut to_blind) = (String::new(), String::new());
    let lines = text.lines().filter(|l| !l.trim().is_empty());
    for (line, id) in lines.zip(&batch_ids) {
        let target = if split::is_blind(salt, id, percent) {
            &mut to_blind
        } else {
            &mut to_train
        };
        target.push_str(line.trim_end());
        target.push('\n');
    }
    for (path, add) in [(train, &to_train), (blind, &to_blind)] {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        f.write_all(add.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{}: {} records; {} to {}, {} to {}",
        batch.display(),
        batch_ids.len(),
        to_train.lines().count(),
        train.display(),
        to_blind.lines().count(),
        blind.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Refuses a path named like a blind split as a training input.
pub fn refuse_blind(path: &Path) -> anyhow::Result<()> {
    if path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("blind"))
    {
        bail!(
            "{}: the blind split is never a training input",
            path.display()
        );
    }
    Ok(())
}

/// The experiment knobs both models' training takes (the defaults made the committed
/// weights).
#[derive(clap::Args, Debug, Default)]
pub struct ModelKnobs {
    #[arg(long)]
    epochs: Option<u32>,
    /// log2 of the number of hashed feature buckets.
    #[arg(long)]
    bits: Option<u32>,
    /// Character n-gram lengths (0 and 0 for none).
    #[arg(long)]
    char_min: Option<u32>,
    #[arg(long)]
    char_max: Option<u32>,
    #[arg(long)]
    l2: Option<f32>,
    #[arg(long)]
    learning_rate: Option<f32>,
}

impl ModelKnobs {
    pub fn apply(
        &self,
        featurizer: &mut Featurizer,
        train: &mut TrainOptions,
    ) -> anyhow::Result<()> {
        if let Some(v) = self.bits {
            anyhow::ensure!((8..=24).contains(&v), "--bits must be 8 to 24");
            featurizer.bits = v;
        }
        if let Some(v) = self.char_min {
            featurizer.char_min = v;
        }
        if let Some(v) = self.char_max {
            featurizer.char_max = v;
        }
        if let Some(v) = self.epochs {
            train.epochs = v;
        }
        if let Some(v) = self.l2 {
            train.l2 = v;
        }
        if let Some(v) = self.learning_rate {
            train.learning_rate = v;
        }
        Ok(())
    }
}
