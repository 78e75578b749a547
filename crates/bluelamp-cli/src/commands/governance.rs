//! `bluelamp governance …`: the corpus, the blind split, training and scoring of the
//! governance check's learned half, and the feedback export. Scoring only ever prints
//! aggregate figures: it is how the blind split is read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use bluelamp_governance::corpus::{evaluate, parse_corpus, LabelledDraft};
use bluelamp_governance::learned::{training, Learned};
use bluelamp_governance::Engine;
use bluelamp_judgement::{codec, split};
use clap::Subcommand;

use crate::StoreArgs;

/// The corpus's salt for the blind split: changing it would reshuffle every batch.
const SPLIT_SALT: &str = "governance";

#[derive(Subcommand)]
pub enum GovernanceCommand {
    /// Write the feedback recorded in use (approved held posts, reported posts) as
    /// labelled examples in the corpus format, one JSON object per line.
    ExportFeedback {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this force's feedback (its short code).
        #[arg(long)]
        force: Option<String>,
        /// The file to write (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// File a new batch from a writer: every line is validated, then each draft goes
    /// to the training split or the blind split by a hash of its id. Prints counts only.
    Split {
        /// The batch (JSONL in the format of corpus/governance/LABELLING.md).
        batch: PathBuf,
        /// A file, or a directory of shards (the repository's: each kept small).
        #[arg(long, default_value = "corpus/governance/train")]
        train: PathBuf,
        #[arg(long, default_value = "corpus/governance/blind.jsonl")]
        blind: PathBuf,
        /// The share of the batch that goes blind, in per cent.
        #[arg(long, default_value_t = split::DEFAULT_BLIND_PERCENT)]
        blind_percent: u32,
    },
    /// Score the check on a labelled file and print aggregate figures only (never a
    /// draft): per-category precision and recall, the decision matrix, the floors.
    Score {
        file: PathBuf,
        /// Score the rules alone, without the learned model.
        #[arg(long)]
        rules_only: bool,
        /// Score with this weights file instead of the built-in one.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Exit 1 when a floor does not hold.
        #[arg(long)]
        floors: bool,
    },
    /// Train the learned scoring on the training split(s) and write the weights file.
    Train {
        /// Training files (never the blind split).
        #[arg(long = "corpus", required = true)]
        corpus: Vec<PathBuf>,
        #[arg(long, default_value = "crates/bluelamp-governance/data/model.bin")]
        out: PathBuf,
        #[command(flatten)]
        knobs: super::corpus_files::ModelKnobs,
        /// The share of must-stop drafts the check should stop in cross-validation.
        #[arg(long)]
        stop_rate: Option<f64>,
        /// One F-beta for every category output's threshold.
        #[arg(long)]
        category_beta: Option<f64>,
    },
}

pub async fn run(command: GovernanceCommand) -> anyhow::Result<ExitCode> {
    match command {
        GovernanceCommand::ExportFeedback {
            store,
            force,
            output,
        } => {
            let config = super::load_config(&store)?;
            let store = super::open_store(&config).await?;
            let records = bluelamp_services::governance_feedback::export(&store, force.as_deref())
                .await
                .context("reading the feedback")?;
            let mut text = String::new();
            for r in &records {
                text.push_str(&r.to_string());
                text.push('\n');
            }
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("{} examples written to {}", records.len(), path.display());
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        GovernanceCommand::Split {
            batch,
            train,
            blind,
            blind_percent,
        } => split_batch(&batch, &train, &blind, blind_percent),
        GovernanceCommand::Score {
            file,
            rules_only,
            model,
            floors,
        } => {
            let drafts = read_corpus(&file)?;
            let rules = Engine::builtin_rules_only().context("loading the governance rules")?;
            let engine = match (rules_only, model) {
                (true, _) => rules,
                (false, Some(path)) => rules.with_model(Arc::new(load_model(&path)?)),
                (false, None) => Engine::try_builtin().context("loading the governance check")?,
            };
            let evaluation = evaluate(&engine, &drafts);
            println!("{}", evaluation.markdown());
            let failed = evaluation.floors().iter().any(|f| !f.3);
            Ok(if floors && failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        GovernanceCommand::Train {
            corpus,
            out,
            knobs,
            stop_rate,
            category_beta,
        } => {
            let mut options = training::Options::default();
            knobs.apply(&mut options.featurizer, &mut options.train)?;
            if let Some(v) = stop_rate {
                options.stop_rate = v;
            }
            options.category_beta = category_beta;
            let mut drafts = Vec::new();
            for path in &corpus {
                super::corpus_files::refuse_blind(path)?;
                drafts.extend(read_corpus(path)?);
            }
            let rules = Engine::builtin_rules_only().context("loading the governance rules")?;
            let started = std::time::Instant::now();
            let trained = training::train(&rules, &drafts, &options);
            let bytes = codec::encode(&trained.model);
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "trained on {} drafts in {:.1} s; wrote {} ({} bytes)\n",
                drafts.len(),
                started.elapsed().as_secs_f64(),
                out.display(),
                bytes.len()
            );
            println!("## Choosing the review threshold (cross-validation)\n\n| must-stop drafts stopped | clean drafts held |\n| ---: | ---: |");
            for (stopped, held) in &trained.curve {
                println!("| {:.3} | {:.3} |", stopped, held);
            }
            println!();
            println!(
                "## Rules alone, on the training split\n\n{}",
                trained.rules_alone.markdown()
            );
            println!(
                "## Rules and model, five-fold cross-validation on the training split\n\n{}",
                trained.cross_validation.markdown()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A corpus file, or a split directory of shards.
fn read_corpus(path: &Path) -> anyhow::Result<Vec<LabelledDraft>> {
    if !path.exists() {
        anyhow::bail!("reading {}: no such file or directory", path.display());
    }
    let text = super::corpus_files::read_split(path)?;
    parse_corpus(&text).with_context(|| format!("{}", path.display()))
}

fn load_model(path: &Path) -> anyhow::Result<Learned> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Learned::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
}

fn split_batch(batch: &Path, train: &Path, blind: &Path, percent: u32) -> anyhow::Result<ExitCode> {
    super::corpus_files::file_batch(batch, train, blind, percent, SPLIT_SALT, |text| {
        Ok(parse_corpus(text)?.into_iter().map(|d| d.id).collect())
    })
}
