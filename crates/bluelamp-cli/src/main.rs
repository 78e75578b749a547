//! The `bluelamp` binary: the server and its administration commands. Each
//! command parses its arguments, opens the store and calls a use case; the
//! errors a user sees carry context from `anyhow`.

mod check;
mod commands;
mod config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bluelamp",
    version,
    about = "Bluelamp: a police force's social media, governed, in one place."
)]
struct Cli {
    /// A TOML configuration file (default: ./bluelamp.toml if present).
    #[arg(long, global = true, env = "BLUELAMP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on (BLUELAMP_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Folder for data (BLUELAMP_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Seed a demo force if the store is empty, and print its logins.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Manage staff users.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Manage forces.
    #[command(subcommand)]
    Force(commands::ForceCommand),
    /// Verify or export the audit trail.
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Write a consistent copy of the SQLite database.
    Backup {
        /// The file to write (must not exist).
        #[arg(long, short)]
        output: PathBuf,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The governance check: what would the Chief Constable say about this draft?
    /// Reads the text on standard input. Exit code 0 publish, 1 hold, 2 refuse, 3 bad input.
    Check(check::CheckArgs),
    /// Show the configuration in effect, secrets redacted.
    #[command(subcommand)]
    Config(commands::ConfigCommand),
}

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
    match runtime.block_on(commands::run(cli.config.as_deref(), cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}
