//! `bluelamp audit`: verify the hash chains (against signed checkpoints too),
//! export entries for disclosure, write a checkpoint, print the public key.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_services::audit::checkpoints::{self, CheckpointVerdict};
use bluelamp_services::{self as services, Staff};
use bluelamp_store::audit::AuditFilter;
use bluelamp_store::Store;
use clap::Subcommand;

use super::acting_in;
use crate::config::Config;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk every hash chain and name the first entry altered or removed; with
    /// --checkpoints, also hold the database to every signed checkpoint in FILE.
    Verify {
        /// A checkpoint file (JSON Lines), e.g. DATA_DIR/audit-checkpoints/checkpoints.jsonl.
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        /// The public key the checkpoints must be signed with (64 hex digits, as
        /// `audit public-key` printed it); default: this server's key file.
        #[arg(long, value_name = "HEX", requires = "checkpoints")]
        public_key: Option<String>,
    },
    /// Write entries as JSON Lines, oldest first, for disclosure.
    Export {
        /// From this time or date (inclusive), e.g. 2026-11-01.
        #[arg(long)]
        from: Option<String>,
        /// Until this time or date (exclusive).
        #[arg(long)]
        to: Option<String>,
        /// Only this force's chain.
        #[arg(long)]
        force: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Sign every chain's head now and append the checkpoint to the checkpoint file.
    Checkpoint,
    /// Print the public key that checkpoints are signed with (creating the key
    /// on first use), to publish or keep with the checkpoints.
    PublicKey,
}

pub async fn run(
    config: &Config,
    store: &Store,
    cli: &Staff,
    command: AuditCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify {
            checkpoints,
            public_key,
        } => return verify(config, store, checkpoints, public_key).await,
        AuditCommand::Export {
            from,
            to,
            force,
            output,
        } => {
            let staff = acting_in(store, cli, force.as_deref()).await?;
            let filter = AuditFilter {
                from,
                to,
                ..Default::default()
            };
            let count = match output {
                Some(path) => {
                    let file = std::fs::File::create_new(&path).with_context(|| {
                        format!("cannot create {} (it must not exist yet)", path.display())
                    })?;
                    let mut writer = std::io::BufWriter::new(file);
                    let count =
                        services::audit::export_jsonl(store, &staff, filter, &mut writer).await?;
                    writer.flush()?;
                    count
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = stdout.lock();
                    services::audit::export_jsonl(store, &staff, filter, &mut lock).await?
                }
            };
            eprintln!("Exported {count} audit entries.");
        }
        AuditCommand::Checkpoint => {
            let settings = config.checkpoint_settings();
            let written = checkpoints::write_checkpoint(store, &settings).await?;
            for head in &written.heads {
                println!("chain {}: seq {} hash {}", head.chain, head.seq, head.hash);
            }
            println!(
                "Checkpoint of {} chains at {} appended to {}",
                written.heads.len(),
                written.at,
                settings.file().display()
            );
        }
        AuditCommand::PublicKey => {
            let key_file = config.checkpoint_settings().key_file;
            println!("{}", checkpoints::public_key_hex(&key_file)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(
    config: &Config,
    store: &Store,
    checkpoint_file: Option<PathBuf>,
    public_key: Option<String>,
) -> anyhow::Result<ExitCode> {
    let outcome = services::audit::verify(store).await?;
    for (chain, count) in &outcome.chains {
        println!("chain {chain}: {count} entries intact");
    }
    if let Some(broken) = outcome.first_break {
        println!("TAMPERED: {broken}");
        return Ok(ExitCode::from(2));
    }
    let Some(file) = checkpoint_file else {
        println!("The audit trail is intact.");
        return Ok(ExitCode::SUCCESS);
    };
    let trusted = match public_key {
        Some(hex) => checkpoints::parse_public_key(&hex).context("--public-key")?,
        None => {
            // Never create a key here: a key made now would vouch for nothing.
            let key_file = config.checkpoint_settings().key_file;
            if !key_file.exists() {
                bail!(
                    "there is no audit signing key at {}; give the published one with --public-key",
                    key_file.display()
                );
            }
            checkpoints::parse_public_key(&checkpoints::public_key_hex(&key_file)?)?
        }
    };
    let lines = checkpoints::read_checkpoints(&file)?;
    match checkpoints::verify_with_checkpoints(store, &lines, &trusted).await? {
        CheckpointVerdict::Tampered(reason) => {
            println!("TAMPERED: {reason}");
            Ok(ExitCode::from(2))
        }
        CheckpointVerdict::Consistent(report) => {
            match report.newest_at {
                Some(newest) => println!(
                    "{} signed checkpoints (the newest of {newest}) agree with the database.",
                    report.checkpoints
                ),
                None => println!(
                    "{} holds no checkpoints, so nothing was checked against one.",
                    file.display()
                ),
            }
            println!("The audit trail is intact.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
