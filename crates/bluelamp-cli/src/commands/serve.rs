//! `bluelamp serve`: the HTTP server with its background workers.

use anyhow::Context;
use bluelamp_services as services;
use bluelamp_web::AppState;

use super::open_store;
use crate::config::Config;

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

pub(super) async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    init_logging(&config);
    let store = open_store(&config).await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    // One public address for everything that makes absolute links: feeds,
    // og:url and mail all use the configured one, or the listen address only
    // when none is configured.
    let base = config.public_base_url(&address.to_string());
    if demo {
        let domain = if config.demo_domain.is_empty() {
            address.to_string()
        } else {
            config.demo_domain.clone()
        };
        let seeded = services::demo::seed_if_empty(&store, &domain).await?;
        if seeded {
            services::demo_casework::seed_casework(&store, &config.data_dir)
                .await
                .context("seeding the demo force's incidents, appeals and cases")?;
        }
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
    println!("Bluelamp is listening on http://{address}");
    println!("Staff log in at {base}/login ; public pages at {base}/");
    tracing::info!(listen = %address, backend = store.backend().as_str(), "serving on {address}");
    let checkpoints = config.checkpoint_settings();
    // Create (or read) the signing key now, so a bad key path stops the start
    // rather than failing quietly in the job later.
    let public_key = services::audit::checkpoints::public_key_hex(&checkpoints.key_file)
        .context("cannot set up audit checkpoints")?;
    services::audit::checkpoints::schedule(&store)
        .await
        .context("cannot schedule audit checkpoints")?;
    services::analytics::schedule(&store)
        .await
        .context("cannot schedule the analytics counting")?;
    println!(
        "Audit checkpoints: every {} min to {}, signed by public key {public_key}",
        config.audit_checkpoint_every_minutes,
        checkpoints.file().display()
    );
    let web_config = config.web_config(&base, Some(checkpoints))?;
    if config.federation_allow_loopback {
        tracing::warn!(
            "federation_allow_loopback is on: a TEST-ONLY setting; never use it in production"
        );
    }
    // The governance check loads before anything listens: a broken model stops the
    // server here with the reason, instead of checking drafts without it.
    let model = match &config.governance_model {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the governance model {}", path.display()))?,
        ),
        None => None,
    };
    let governance = services::force_rules::ForceEngines::load(model.as_deref()).map_err(|e| {
        anyhow::anyhow!(
            "the governance check cannot start: {}{e}",
            config
                .governance_model
                .as_ref()
                .map(|p| format!("{}: ", p.display()))
                .unwrap_or_default()
        )
    })?;
    let state = AppState::new(store.clone(), web_config).with_governance(governance);
    // E-mail subscriptions: the outbox is one of the runner's queues, when an SMTP
    // relay is configured.
    let mut extra: Vec<std::sync::Arc<dyn services::runner::Queue>> = Vec::new();
    match config.mail_config()? {
        Some(mut mail) => {
            mail.public_base_url = base.clone();
            println!(
                "E-mail subscriptions: mail goes out through {}; links start {}",
                config.smtp_url, mail.public_base_url
            );
            extra.push(std::sync::Arc::new(bluelamp_mail::MailQueue::new(
                store.clone(),
                mail,
            )));
        }
        None => {
            println!("E-mail subscriptions: smtp_url is not set, so mail is OFF; messages wait in the outbox until it is.");
            tracing::warn!(
                "smtp_url is empty: e-mail is disabled; messages stay queued in the outbox"
            );
        }
    }
    // Scheduled posts, fan-outs, audit checkpoints, deliveries and mail: due work
    // left from before a restart or crash is picked up here, once.
    let runner = bluelamp_web::workers::spawn(state.clone(), extra).await;
    bluelamp_web::serve(listener, state, shutdown_signal()).await?;
    runner.stop();
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
