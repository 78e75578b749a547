//! `bluelamp triage`: triage messages from the command line (the `--jsonl` contract
//! forces and outside evaluators score it with), and file, score and train the triage
//! corpus. Scoring only ever prints aggregate figures: it is how the blind split is read.

use std::io::{BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bluelamp_judgement::{codec, split};
use bluelamp_triage::training;
use bluelamp_triage::{parse_corpus, Channel, Evaluation, LabelledMessage, Triager};
use clap::{Args, Subcommand};

/// The corpus's salt for the blind split: changing it would reshuffle every batch.
const SPLIT_SALT: &str = "triage";

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TriageArgs {
    #[command(subcommand)]
    command: Option<TriageCommand>,
    /// Read JSON lines `{"id", "text", "channel"}` and write one result line per input
    /// line, in input order.
    #[arg(long)]
    jsonl: bool,
    /// Triage with this weights file instead of the built-in one.
    #[arg(long)]
    model: Option<PathBuf>,
    /// The channel of the single message read from standard input.
    #[arg(long)]
    channel: Option<String>,
}

#[derive(Subcommand)]
pub enum TriageCommand {
    /// File a writer's batch: every line validated, then each message to the training
    /// or blind split by a hash of its id. Prints counts only.
    Split {
        batch: PathBuf,
        #[arg(long, default_value = "corpus/triage/train")]
        train: PathBuf,
        #[arg(long, default_value = "corpus/triage/blind")]
        blind: PathBuf,
        #[arg(long, default_value_t = split::DEFAULT_BLIND_PERCENT)]
        blind_percent: u32,
    },
    /// Score triage on a labelled file; prints aggregate figures and the floors only.
    Score {
        file: PathBuf,
        #[arg(long)]
        model: Option<PathBuf>,
        /// Exit 1 when a floor does not hold.
        #[arg(long)]
        floors: bool,
    },
    /// Train on the training split(s) and write the weights file.
    Train {
        #[arg(long = "corpus", required = true)]
        corpus: Vec<PathBuf>,
        #[arg(long, default_value = "crates/bluelamp-triage/data/model.bin")]
        out: PathBuf,
        #[command(flatten)]
        knobs: super::corpus_files::ModelKnobs,
        #[arg(long)]
        margin: Option<f32>,
        #[arg(long)]
        beta: Option<f64>,
    },
}

/// One input line of the `--jsonl` contract. The id is echoed back as given.
#[derive(serde::Deserialize)]
struct Input {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    channel: Option<String>,
}

pub async fn run(args: TriageArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(TriageCommand::Split {
            batch,
            train,
            blind,
            blind_percent,
        }) => super::corpus_files::file_batch(
            &batch,
            &train,
            &blind,
            blind_percent,
            SPLIT_SALT,
            |text| Ok(parse_corpus(text)?.into_iter().map(|m| m.id).collect()),
        ),
        Some(TriageCommand::Score {
            file,
            model,
            floors,
        }) => {
            let triager = load(model.as_deref())?;
            let messages = read_corpus(&file)?;
            let mut evaluation = Evaluation::new();
            for m in &messages {
                evaluation.add(m, &triager.triage(&m.text, Some(m.channel)));
            }
            println!("{}", evaluation.markdown());
            let failed = evaluation.floors().iter().any(|f| !f.holds());
            Ok(if floors && failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Some(TriageCommand::Train {
            corpus,
            out,
            knobs,
            margin,
            beta,
        }) => {
            let mut options = training::Options::default();
            knobs.apply(&mut options.featurizer, &mut options.train)?;
            if let Some(v) = margin {
                options.margin = v;
            }
            if let Some(v) = beta {
                options.beta = v;
            }
            let mut messages = Vec::new();
            for path in &corpus {
                super::corpus_files::refuse_blind(path)?;
                messages.extend(read_corpus(path)?);
            }
            let started = std::time::Instant::now();
            let trained = training::train(&messages, &options);
            let bytes = codec::encode(&trained.model);
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "trained on {} messages in {:.1} s; wrote {} ({} bytes)\n\n## Five-fold cross-validation on the training split\n\n{}",
                messages.len(),
                started.elapsed().as_secs_f64(),
                out.display(),
                bytes.len(),
                trained.cross_validation.markdown()
            );
            println!("## Precision at each recall, out of fold\n\n| output | recall | precision |\n| --- | ---: | ---: |");
            for (name, curve) in &trained.curves {
                for (r, p) in curve {
                    println!("| {name} | {r:.2} | {p:.3} |");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        None if args.jsonl => jsonl(&load(args.model.as_deref())?),
        None => {
            let triager = load(args.model.as_deref())?;
            let channel = match args.channel.as_deref() {
                None => None,
                Some(c) => Some(Channel::parse(c).with_context(|| {
                    format!("unknown channel `{c}` (fediverse, bluesky, x, facebook, email, web)")
                })?),
            };
            let mut text = String::new();
            std::io::stdin()
                .take(1 << 20)
                .read_to_string(&mut text)
                .context("reading standard input")?;
            let result = triager.triage(text.trim_end(), channel);
            println!("{}", serde_json::to_string_pretty(&result)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The `--jsonl` contract. A line that is not an input is named on standard error and
/// skipped; every other line is answered in order, and the exit code is 3 if any was
/// skipped, so nothing is lost silently. Lines are read in blocks and each block is
/// triaged on every core, then written in input order.
fn jsonl(triager: &Triager) -> anyhow::Result<ExitCode> {
    let mut lines = std::io::stdin().lock().lines().enumerate();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut bad = 0usize;
    let mut unknown_channels = std::collections::BTreeSet::new();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    loop {
        let mut block: Vec<(usize, String)> = Vec::with_capacity(JSONL_BLOCK);
        for (i, line) in lines.by_ref() {
            let line = line.context("reading standard input")?;
            if !line.trim().is_empty() {
                block.push((i + 1, line));
            }
            if block.len() == JSONL_BLOCK {
                break;
            }
        }
        if block.is_empty() {
            break;
        }
        let per_thread = block.len().div_ceil(cores);
        let answers: Vec<Answer> = std::thread::scope(|scope| {
            let workers: Vec<_> = block
                .chunks(per_thread)
                .map(|part| scope.spawn(move || answer_lines(triager, part)))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for answer in answers {
            match answer {
                Answer::Record(line, unknown) => {
                    unknown_channels.extend(unknown);
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                Answer::Bad(number, error) => {
                    eprintln!("line {number}: {error}");
                    bad += 1;
                }
            }
        }
    }
    out.flush()?;
    if !unknown_channels.is_empty() {
        eprintln!(
            "note: unknown channels triaged without a channel: {}",
            unknown_channels.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(if bad > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Lines read and triaged together by `--jsonl`.
const JSONL_BLOCK: usize = 4096;

/// One input line's answer: its output record (and a channel it did not know), or why
/// it was skipped.
enum Answer {
    Record(String, Option<String>),
    Bad(usize, String),
}

fn answer_lines(triager: &Triager, lines: &[(usize, String)]) -> Vec<Answer> {
    let mut features = Vec::new();
    let mut logits = Vec::new();
    lines
        .iter()
        .map(|(number, line)| {
            let input: Input = match serde_json::from_str(line) {
                Ok(input) => input,
                Err(error) => return Answer::Bad(*number, error.to_string()),
            };
            let channel = input.channel.as_deref().map(|c| (c, Channel::parse(c)));
            let t = triager.triage_with(
                &input.text,
                channel.and_then(|(_, parsed)| parsed),
                &mut features,
                &mut logits,
            );
            let record = serde_json::json!({
                "id": input.id,
                "labels": t.labels,
                "primary": t.primary,
                "urgent": t.urgent,
                "priority": t.priority,
            });
            let unknown = channel
                .filter(|(_, parsed)| parsed.is_none())
                .map(|(c, _)| c.to_string());
            Answer::Record(record.to_string(), unknown)
        })
        .collect()
}

fn load(model: Option<&Path>) -> anyhow::Result<Triager> {
    match model {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Triager::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
        }
        None => Triager::builtin().context("loading the built-in triage model"),
    }
}

/// A corpus file, or a split directory of shards read in order.
fn read_corpus(path: &Path) -> anyhow::Result<Vec<LabelledMessage>> {
    let text = super::corpus_files::read_split(path)?;
    parse_corpus(&text).with_context(|| format!("{}", path.display()))
}
