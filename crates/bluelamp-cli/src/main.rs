//! The `bluelamp` binary: the server and its administration commands. Each
//! command parses its arguments, opens the store and calls a use case; the
//! errors a user sees carry context from `anyhow`.

mod check;
mod commands;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bluelamp",
    version,
    about = "Bluelamp: a police force's social media, governed, in one place."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the configuration and the data are: the same options on every
/// subcommand that reads them, so an operator can point any command at the
/// server's data (flags win over the file and the environment).
#[derive(Args, Clone, Debug, Default)]
pub struct StoreArgs {
    /// A TOML configuration file (default: ./bluelamp.toml if present).
    #[arg(long, global = true, env = "BLUELAMP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for data: the SQLite database, media, the audit signing key and
    /// checkpoints (BLUELAMP_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// The database, `sqlite://...` or `postgres://...` (BLUELAMP_DATABASE_URL,
    /// which keeps a password out of the process list).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on (BLUELAMP_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Seed a demo force if the store is empty, and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage staff users.
    User {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: commands::UserCommand,
    },
    /// Manage forces.
    Force {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: commands::ForceCommand,
    },
    /// Verify, export or checkpoint the audit trail.
    Audit {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: commands::audit::AuditCommand,
    },
    /// Write a consistent copy of the SQLite database.
    Backup {
        #[command(flatten)]
        store: StoreArgs,
        /// The file to write (must not exist).
        #[arg(long, short)]
        output: PathBuf,
    },
    /// The governance check: what would the Chief Constable say about this draft?
    /// Reads the text on standard input. Exit code 0 publish, 1 hold, 2 refuse, 3 bad input.
    Check(check::CheckArgs),
    /// The governance check's corpus, blind split, training and feedback.
    Governance {
        #[command(subcommand)]
        command: commands::governance::GovernanceCommand,
    },
    /// Inbox triage. `--jsonl` reads lines `{"id", "text", "channel"}` on standard input
    /// and writes `{"id", "labels", "primary", "urgent", "priority"}` in input order;
    /// with no flag, triages one message read from standard input and explains it.
    /// Subcommands file, score and train the triage corpus.
    Triage(commands::triage::TriageArgs),
    /// Show the configuration in effect, secrets redacted.
    Config {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: commands::ConfigCommand,
    },
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
