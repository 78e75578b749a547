//! The subcommands.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use bluelamp_services::{self as services, Staff};
use bluelamp_store::audit::AuditFilter;
use bluelamp_store::Store;
use bluelamp_web::{AppState, WebConfig};
use clap::Subcommand;

use crate::config::Config;
use crate::Command;

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
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk every hash chain and name the first entry altered or removed.
    Verify,
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
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration in effect as TOML, secrets redacted.
    Show,
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
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
async fn acting_in(store: &Store, cli: &Staff, force: Option<&str>) -> anyhow::Result<Staff> {
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

pub async fn run(config_file: Option<&Path>, command: Command) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(config_file)?;
    let cli = Staff::command_line();
    match command {
        Command::Serve {
            listen,
            data_dir,
            demo,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(dir) = data_dir {
                config.data_dir = dir;
            }
            config.validate()?;
            serve(config, demo).await?;
        }
        Command::Migrate { data_dir } => {
            if let Some(dir) = data_dir {
                config.data_dir = dir;
            }
            open_store(&config).await?;
            println!("The database schema is up to date.");
        }
        Command::User(command) => user(&open_store(&config).await?, &cli, command).await?,
        Command::Force(command) => force(&open_store(&config).await?, &cli, command).await?,
        Command::Audit(command) => return audit(&open_store(&config).await?, &cli, command).await,
        Command::Backup { output, data_dir } => {
            if let Some(dir) = data_dir {
                config.data_dir = dir;
            }
            let store = open_store(&config).await?;
            store
                .backup_sqlite(&output)
                .await
                .context("backup failed")?;
            println!("Backed up to {}", output.display());
        }
        Command::Config(ConfigCommand::Show) => print!("{}", config.show()?),
        Command::Check(args) => return Ok(crate::check::run(args)),
    }
    Ok(ExitCode::SUCCESS)
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

async fn audit(store: &Store, cli: &Staff, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            let outcome = services::audit::verify(store).await?;
            for (chain, count) in &outcome.chains {
                println!("chain {chain}: {count} entries intact");
            }
            if let Some(broken) = outcome.first_break {
                println!("TAMPERED: {broken}");
                return Ok(ExitCode::from(2));
            }
            println!("The audit trail is intact.");
        }
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
    }
    Ok(ExitCode::SUCCESS)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    init_logging(&config);
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let base = format!("http://{address}");
    if demo {
        let domain = if config.demo_domain.is_empty() {
            address.to_string()
        } else {
            config.demo_domain.clone()
        };
        let seeded = services::demo::seed_if_empty(&store, &domain).await?;
        println!(
            "{}",
            if seeded {
                "Seeded the demo force (Demo Constabulary)."
            } else {
                "The store already has data; the demo force was not re-seeded."
            }
        );
        println!("Demo logins (username / password):");
        for (username, role, password) in services::demo::DEMO_USERS {
            println!("  {username:<16} {password:<26} {}", role.as_str());
        }
    }
    println!("Bluelamp is listening on {base}");
    println!("Staff log in at {base}/login ; public pages at {base}/");
    tracing::info!(listen = %address, backend = store.backend().as_str(), "serving on {address}");
    let web_config = WebConfig {
        cookie_secure: config.cookie_secure,
        body_limit: config.body_limit_bytes,
        site_name: "Bluelamp".into(),
        public_base_url: base.clone(),
        media_dir: config.data_dir.join("media"),
        federation_scheme: config.federation_scheme.clone(),
        federation_allow_loopback: config.federation_allow_loopback,
        federation_inbox_per_host_per_second: config.federation_inbox_per_host_per_second,
        trusted_proxies: config.trusted_proxies()?,
        metrics_token: config.metrics_token(),
    };
    if config.federation_allow_loopback {
        tracing::warn!(
            "federation_allow_loopback is on: a TEST-ONLY setting; never use it in production"
        );
    }
    let state = AppState::new(store.clone(), web_config);
    // Scheduled posts and other durable jobs: due work left from before a restart
    // or crash is picked up here, once.
    let workers = bluelamp_web::workers::spawn(state.clone());
    // E-mail subscriptions: the outbox worker, when an SMTP relay is configured.
    let mail_worker = match config.mail_config()? {
        Some(mut mail) => {
            mail.public_base_url = config.public_base_url(&address.to_string());
            println!(
                "E-mail subscriptions: mail goes out through {}; links start {}",
                config.smtp_url, mail.public_base_url
            );
            Some(bluelamp_mail::spawn_worker(store.clone(), mail))
        }
        None => {
            println!("E-mail subscriptions: smtp_url is not set, so mail is OFF; messages wait in the outbox until it is.");
            tracing::warn!(
                "smtp_url is empty: e-mail is disabled; messages stay queued in the outbox"
            );
            None
        }
    };
    bluelamp_web::serve(listener, state, shutdown_signal()).await?;
    workers.abort();
    if let Some(worker) = mail_worker {
        worker.abort();
    }
    store.close().await;
    tracing::info!("stopped cleanly");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
