//! The subcommands: users and forces here, the audit trail in [`audit`], the
//! server in [`serve`].

pub mod audit;
mod corpus_files;
pub mod governance;
mod serve;
pub mod triage;

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_services::{self as services, Staff};
use bluelamp_store::Store;
use clap::Subcommand;

use crate::config::Config;
use crate::{Command, StoreArgs};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a staff user. The password is read from standard input (one line).
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// officer, supervisor, comms, analyst, force-admin, partner or server-admin.
        #[arg(long)]
        role: String,
        /// The force's short code (not needed for a server-admin).
        #[arg(long)]
        force: Option<String>,
    },
    /// Set a user's password (read from standard input); their sessions end.
    Passwd { username: String },
    /// List staff users.
    List {
        /// Only this force's users.
        #[arg(long)]
        force: Option<String>,
    },
    /// Disable a user: they cannot log in; their history stays.
    Disable { username: String },
}

#[derive(Subcommand)]
pub enum ForceCommand {
    /// Add a force.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// The public host name, e.g. police.example.org.
        #[arg(long)]
        domain: String,
        #[arg(long, default_value = "Europe/London")]
        time_zone: String,
        /// Require every staff user to use a TOTP second factor.
        #[arg(long)]
        require_totp: bool,
    },
    /// List forces.
    List,
    /// Change a force's settings (only those given change).
    Set {
        /// The force's short code.
        code: String,
        /// The pre-election period: stricter political-neutrality checks.
        #[arg(long, value_parser = on_off)]
        pre_election: Option<bool>,
        /// Require every staff user to use a TOTP second factor.
        #[arg(long, value_parser = on_off)]
        require_totp: Option<bool>,
        /// An IANA time-zone name, e.g. Europe/London.
        #[arg(long)]
        time_zone: Option<String>,
        /// The logo: an https:// address or a path on the force's site; "" removes it.
        #[arg(long)]
        logo: Option<String>,
        /// Inbox office hours, HH:MM-HH:MM in the force's time zone; "" removes them.
        #[arg(long)]
        office_hours: Option<String>,
    },
}

/// `on` or `off` (also yes/no, true/false) for a switch.
fn on_off(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err(format!("expected on or off, not '{text}'")),
    }
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration in effect as TOML, secrets redacted.
    Show,
}

pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database_url.is_empty() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data folder {}",
                config.data_dir.display()
            )
        })?;
    }
    let url = config.database_url();
    let store = Store::connect(&url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            crate::config::redact_url(&url)
        )
    })?;
    store
        .migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    Ok(store)
}

/// The command line acting within one force (given by its code), or server-wide.
pub(crate) async fn acting_in(
    store: &Store,
    cli: &Staff,
    force: Option<&str>,
) -> anyhow::Result<Staff> {
    let mut staff = cli.clone();
    if let Some(code) = force {
        let mut conn = store.read().await?;
        let force = bluelamp_store::forces::by_code(&mut conn, code)
            .await
            .with_context(|| format!("no force with code '{code}'"))?;
        staff.force_id = Some(force.id);
    }
    Ok(staff)
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("give the password on standard input, e.g. `echo 'a long passphrase' | bluelamp user add ...`");
    }
    Ok(password)
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let cli = Staff::command_line();
    match command {
        Command::Serve {
            store,
            listen,
            demo,
        } => {
            let mut config = load_config(&store)?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            config.validate()?;
            serve::serve(config, demo).await?;
        }
        Command::Migrate { store } => {
            open_store(&load_config(&store)?).await?;
            println!("The database schema is up to date.");
        }
        Command::User { store, command } => {
            let store = open_store(&load_config(&store)?).await?;
            user(&store, &cli, command).await?
        }
        Command::Force { store, command } => {
            let store = open_store(&load_config(&store)?).await?;
            force(&store, &cli, command).await?
        }
        Command::Audit { store, command } => {
            let config = load_config(&store)?;
            return audit::run(&config, &open_store(&config).await?, &cli, command).await;
        }
        Command::Backup { store, output } => {
            let store = open_store(&load_config(&store)?).await?;
            store
                .backup_sqlite(&output)
                .await
                .context("backup failed")?;
            println!("Backed up to {}", output.display());
        }
        Command::Config {
            store,
            command: ConfigCommand::Show,
        } => print!("{}", load_config(&store)?.show()?),
        Command::Check(args) => return Ok(crate::check::run(args)),
        Command::Governance { command } => return governance::run(command).await,
        Command::Triage(args) => return triage::run(args).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration from the file and environment, with the command line's
/// data folder and database on top.
fn load_config(args: &StoreArgs) -> anyhow::Result<Config> {
    let mut config = Config::load(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(url) = &args.database_url {
        config.database_url = url.clone();
    }
    Ok(config)
}

async fn user(store: &Store, cli: &Staff, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            force,
        } => {
            let password = read_password()?;
            let input = services::users::AddUser {
                username,
                display_name: name,
                role,
                password,
                force,
            };
            let user = services::users::add_user(store, cli, &input).await?;
            println!("Added {} ({}), id {}", user.username, user.role, user.id);
        }
        UserCommand::Passwd { username } => {
            let password = read_password()?;
            services::users::reset_password(store, cli, &username, &password).await?;
            println!("Password set for {username}; their sessions have ended.");
        }
        UserCommand::List { force } => {
            let staff = acting_in(store, cli, force.as_deref()).await?;
            for user in services::users::list_users(store, &staff).await? {
                let force = user
                    .force_id
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "-".into());
                let status = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{:<24} {:<14} force {:<4} {:<9} {}",
                    user.username, user.role, force, status, user.display_name
                );
            }
        }
        UserCommand::Disable { username } => {
            let user = services::users::find_by_username(store, cli, &username).await?;
            services::users::set_disabled(store, cli, user.id, true).await?;
            println!("Disabled {username}; their sessions have ended and their history stays.");
        }
    }
    Ok(())
}

async fn force(store: &Store, cli: &Staff, command: ForceCommand) -> anyhow::Result<()> {
    match command {
        ForceCommand::Add {
            code,
            name,
            domain,
            time_zone,
            require_totp,
        } => {
            let input = services::forces::AddForce {
                code,
                name,
                domain,
                time_zone,
                logo_url: None,
                settings: bluelamp_domain::ForceSettings {
                    require_totp,
                    ..Default::default()
                },
            };
            let force = services::forces::add_force(store, cli, &input).await?;
            println!(
                "Added force {} ({}), id {}",
                force.name, force.code, force.id
            );
        }
        ForceCommand::Set {
            code,
            pre_election,
            require_totp,
            time_zone,
            logo,
            office_hours,
        } => {
            let changes = services::forces::ForceChanges {
                pre_election,
                require_totp,
                time_zone,
                logo_url: logo,
                office_hours,
                ..Default::default()
            };
            let force =
                services::forces::change_settings(store, cli, Some(&code), &changes).await?;
            let on = |b: bool| if b { "on" } else { "off" };
            println!(
                "{}: pre-election {}, require TOTP {}, time zone {}, logo {}",
                force.code,
                on(force.settings.pre_election),
                on(force.settings.require_totp),
                force.time_zone,
                force.logo_url.as_deref().unwrap_or("none")
            );
        }
        ForceCommand::List => {
            for force in services::forces::list_forces(store, cli).await? {
                println!(
                    "{:<4} {:<12} {:<32} {}",
                    force.id, force.code, force.domain, force.name
                );
            }
        }
    }
    Ok(())
}
