//! Filing a writer's batch into a corpus's training and blind splits: shared by
//! `bluelamp governance split` and `bluelamp triage split`, so both corpora follow the
//! same discipline (validate the whole batch first, refuse known ids, split by a keyed
//! hash of the id alone, print counts only).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_judgement::{split, Featurizer, TrainOptions};

/// A shard of a split directory is closed once it reaches this size, so no file in
/// the repository grows large (a reviewer can open any one).
pub const SHARD_BYTES: u64 = 1_500_000;

/// A split is one file when its name ends in `.jsonl`, else a directory of shards.
fn is_sharded(path: &Path) -> bool {
    path.is_dir() || path.extension().is_none_or(|e| e != "jsonl")
}

/// The files of a split: `path` itself, or, when it is a directory, its `*.jsonl`
/// shards in name order. A path that does not exist yet has none.
pub fn split_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(if path.exists() {
            vec![path.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let mut shards: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("reading {}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    shards.sort();
    Ok(shards)
}

/// The whole text of a split (its shards joined in order).
pub fn read_split(path: &Path) -> anyhow::Result<String> {
    let mut text = String::new();
    for file in split_files(path)? {
        let part = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        text.push_str(&part);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    }
    Ok(text)
}

/// Where `adding` bytes go in a split: the file itself, or a directory's last shard
/// while it stays under [`SHARD_BYTES`], else a new shard after it.
fn append_target(path: &Path, adding: usize) -> anyhow::Result<PathBuf> {
    if !is_sharded(path) {
        return Ok(path.to_path_buf());
    }
    std::fs::create_dir_all(path).with_context(|| format!("creating {}", path.display()))?;
    let shards = split_files(path)?;
    if let Some(last) = shards.last() {
        let size = std::fs::metadata(last).map(|m| m.len()).unwrap_or(0);
        if size + adding as u64 <= SHARD_BYTES {
            return Ok(last.clone());
        }
    }
    Ok(path.join(format!("part-{:03}.jsonl", shards.len() + 1)))
}

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
        let existing = read_split(path)?;
        known.extend(ids(&existing).with_context(|| format!("{}", path.display()))?);
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
        let path = &append_target(path, add.len())?;
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
    /// Features in fewer training examples than this keep weight zero.
    #[arg(long)]
    min_count: Option<u32>,
    /// Models on different shuffles averaged into one.
    #[arg(long)]
    bags: Option<u32>,
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
        if let Some(v) = self.min_count {
            train.min_count = v;
        }
        if let Some(v) = self.bags {
            anyhow::ensure!((1..=50).contains(&v), "--bags must be 1 to 50");
            train.bags = v;
        }
        Ok(())
    }
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn a_split_directory_fills_its_last_shard_then_opens_the_next() {
        let dir = std::env::temp_dir().join(format!("bluelamp-shards-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = append_target(&dir, 10).expect("a target");
        assert_eq!(
            first,
            dir.join("part-001.jsonl"),
            "an empty split starts its first shard"
        );
        std::fs::write(&first, "a\n").expect("write");
        assert_eq!(
            append_target(&dir, 10).expect("a target"),
            first,
            "room left"
        );
        let next = append_target(&dir, SHARD_BYTES as usize).expect("a target");
        assert_eq!(next, dir.join("part-002.jsonl"), "full: the next shard");
        std::fs::write(&next, "b\n").expect("write");
        assert_eq!(
            read_split(&dir).expect("read"),
            "a\nb\n",
            "read as one, in order"
        );
        // A path ending in .jsonl is one file, as before.
        let file = dir.join("one.jsonl");
        assert_eq!(
            append_target(&file, SHARD_BYTES as usize * 2).expect("a target"),
            file
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
