//! Configuration: built-in defaults, then a TOML file, then `BLUELAMP_*`
//! environment variables, then command-line flags; later ones win. With nothing
//! set at all the server runs on embedded SQLite in `./bluelamp-data`, listening
//! on 127.0.0.1:8080.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use bluelamp_services::audit::checkpoints::CheckpointSettings;
use bluelamp_web::WebConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Folder for the embedded database, media and backups.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; empty means SQLite in `data_dir`.
    pub database_url: String,
    /// Mark cookies Secure (turn off only for plain-HTTP access from other machines).
    pub cookie_secure: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// A tracing filter such as `info` or `bluelamp_web=debug,info`.
    pub log_level: String,
    /// The public host name the demo force gets (defaults to the listen address).
    pub demo_domain: String,
    /// Outgoing mail relay, `smtp://host:port`; empty turns e-mail subscriptions' mail off.
    pub smtp_url: String,
    /// The `From` of subscription mail, e.g. `Demo Police <noreply@police.example.org>`.
    pub mail_from: String,
    /// The public address of this site, the start of every absolute link (feeds,
    /// og:url, mail); empty means `http://{listen}`.
    pub public_base_url: String,
    /// The hour (UTC, 0-23) at which daily digests go out.
    pub digest_hour: u8,
    /// Scheme of ActivityPub ids (`https`; `http` only for loopback tests).
    pub federation_scheme: String,
    /// TEST ONLY: allow federation to reach loopback addresses and `localhost`.
    pub federation_allow_loopback: bool,
    /// Inbound activities accepted per second from one remote host (a burst of
    /// ten times this is allowed); beyond it the inbox answers 429.
    pub federation_inbox_per_host_per_second: u32,
    /// How long a rendered public page or feed is served before it is rebuilt, in
    /// milliseconds. Changes clear it at once (in every process on PostgreSQL).
    pub public_cache_ms: u64,
    /// The Ed25519 key that signs audit checkpoints; absent means
    /// `{data_dir}/audit-checkpoint.key`. Created (mode 0600) on first use.
    pub audit_key_file: Option<PathBuf>,
    /// A weights file for the governance check's learned scoring (made by
    /// `bluelamp governance train`); absent means the one built into the binary. A
    /// damaged or mismatched file stops the server at start.
    pub governance_model: Option<PathBuf>,
    /// The folder signed checkpoints are appended in; absent means
    /// `{data_dir}/audit-checkpoints`.
    pub audit_checkpoint_dir: Option<PathBuf>,
    /// Minutes between the checkpoints the server writes.
    pub audit_checkpoint_every_minutes: u32,
    /// Reverse proxies (IP addresses or CIDR networks) whose `X-Forwarded-For`
    /// names the client. Only when the connection comes from one of them is the
    /// header read (right-most address not itself a trusted proxy); empty means
    /// the connection's address is the client's.
    pub trusted_proxies: Vec<String>,
    /// The bearer token a Prometheus scraper sends to `/metrics`; empty keeps
    /// `/metrics` off (404).
    pub metrics_token: String,
    /// Web Push services besides the browsers' own (host or host:port), e.g. a
    /// deployment's own push relay.
    pub push_services: Vec<String>,
    /// Bluelamp's OAuth 2 client id registered with X; empty leaves X off.
    pub x_client_id: String,
    /// Per network (`bluesky`, `x`, `facebook`), the rate limits cross-posts are
    /// paced under instead of the documented ones, each `writes/seconds`, e.g.
    /// `x = ["17/86400"]` for X's free tier. Environment:
    /// `BLUELAMP_CROSSPOST_LIMITS="x=17/86400,x=5/900"`.
    pub crosspost_limits: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./bluelamp-data"),
            database_url: String::new(),
            cookie_secure: true,
            body_limit_bytes: 1024 * 1024,
            log_format: "text".into(),
            log_level: "info".into(),
            demo_domain: String::new(),
            smtp_url: String::new(),
            mail_from: "Bluelamp <noreply@localhost>".into(),
            public_base_url: String::new(),
            digest_hour: 7,
            federation_scheme: "https".into(),
            federation_allow_loopback: false,
            federation_inbox_per_host_per_second: 300,
            public_cache_ms: 500,
            audit_key_file: None,
            governance_model: None,
            audit_checkpoint_dir: None,
            audit_checkpoint_every_minutes: 60,
            trusted_proxies: Vec::new(),
            metrics_token: String::new(),
            push_services: Vec::new(),
            x_client_id: String::new(),
            crosspost_limits: Default::default(),
        }
    }
}

impl Config {
    /// Load from the file (if given or if `./bluelamp.toml` exists) and the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let default_file = Path::new("bluelamp.toml");
        let path = match file {
            Some(path) => Some(path.to_path_buf()),
            None if default_file.exists() => Some(default_file.to_path_buf()),
            None => None,
        };
        let mut config = match &path {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the configuration file {}", path.display())
                })?;
                toml::from_str(&text).with_context(|| {
                    format!("the configuration file {} is not valid", path.display())
                })?
            }
            None => Config::default(),
        };
        config.apply_environment()?;
        Ok(config)
    }

    fn apply_environment(&mut self) -> anyhow::Result<()> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(value) = var("BLUELAMP_LISTEN") {
            self.listen = value;
        }
        if let Some(value) = var("BLUELAMP_DATA_DIR") {
            self.data_dir = PathBuf::from(value);
        }
        if let Some(value) = var("BLUELAMP_DATABASE_URL") {
            self.database_url = value;
        }
        if let Some(value) = var("BLUELAMP_COOKIE_SECURE") {
            self.cookie_secure = parse_bool("BLUELAMP_COOKIE_SECURE", &value)?;
        }
        if let Some(value) = var("BLUELAMP_BODY_LIMIT_BYTES") {
            self.body_limit_bytes = value.parse().with_context(|| {
                format!("BLUELAMP_BODY_LIMIT_BYTES must be a number of bytes, not '{value}'")
            })?;
        }
        if let Some(value) = var("BLUELAMP_LOG_FORMAT") {
            self.log_format = value;
        }
        if let Some(value) = var("BLUELAMP_LOG_LEVEL") {
            self.log_level = value;
        }
        if let Some(value) = var("BLUELAMP_DEMO_DOMAIN") {
            self.demo_domain = value;
        }
        if let Some(value) = var("BLUELAMP_SMTP_URL") {
            self.smtp_url = value;
        }
        if let Some(value) = var("BLUELAMP_MAIL_FROM") {
            self.mail_from = value;
        }
        if let Some(value) = var("BLUELAMP_PUBLIC_BASE_URL") {
            self.public_base_url = value;
        }
        if let Some(value) = var("BLUELAMP_DIGEST_HOUR") {
            self.digest_hour = value.parse().with_context(|| {
                format!("BLUELAMP_DIGEST_HOUR must be an hour from 0 to 23, not '{value}'")
            })?;
        }
        if let Some(value) = var("BLUELAMP_FEDERATION_SCHEME") {
            self.federation_scheme = value;
        }
        if let Some(value) = var("BLUELAMP_FEDERATION_ALLOW_LOOPBACK_FOR_TESTS") {
            self.federation_allow_loopback =
                parse_bool("BLUELAMP_FEDERATION_ALLOW_LOOPBACK_FOR_TESTS", &value)?;
        }
        if let Some(value) = var("BLUELAMP_FEDERATION_INBOX_PER_HOST_PER_SECOND") {
            self.federation_inbox_per_host_per_second = value.parse().with_context(|| {
                format!("BLUELAMP_FEDERATION_INBOX_PER_HOST_PER_SECOND must be a whole number, not '{value}'")
            })?;
        }
        if let Some(value) = var("BLUELAMP_PUBLIC_CACHE_MS") {
            self.public_cache_ms = value.parse().with_context(|| {
                format!("BLUELAMP_PUBLIC_CACHE_MS must be a whole number of milliseconds, not '{value}'")
            })?;
        }
        if let Some(value) = var("BLUELAMP_GOVERNANCE_MODEL") {
            self.governance_model = Some(PathBuf::from(value));
        }
        if let Some(value) = var("BLUELAMP_AUDIT_KEY_FILE") {
            self.audit_key_file = Some(PathBuf::from(value));
        }
        if let Some(value) = var("BLUELAMP_AUDIT_CHECKPOINT_DIR") {
            self.audit_checkpoint_dir = Some(PathBuf::from(value));
        }
        if let Some(value) = var("BLUELAMP_AUDIT_CHECKPOINT_EVERY_MINUTES") {
            self.audit_checkpoint_every_minutes = value.parse().with_context(|| {
                format!("BLUELAMP_AUDIT_CHECKPOINT_EVERY_MINUTES must be a whole number of minutes, not '{value}'")
            })?;
        }
        if let Some(value) = var("BLUELAMP_TRUSTED_PROXIES") {
            self.trusted_proxies = value
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect();
        }
        if let Some(value) = var("BLUELAMP_METRICS_TOKEN") {
            self.metrics_token = value;
        }
        if let Some(value) = var("BLUELAMP_X_CLIENT_ID") {
            self.x_client_id = value;
        }
        if let Some(value) = var("BLUELAMP_CROSSPOST_LIMITS") {
            self.crosspost_limits.clear();
            for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                let Some((network, limit)) = entry.split_once('=') else {
                    bail!("BLUELAMP_CROSSPOST_LIMITS: '{entry}' is not network=writes/seconds");
                };
                self.crosspost_limits
                    .entry(network.trim().to_string())
                    .or_default()
                    .push(limit.trim().to_string());
            }
        }
        if let Some(value) = var("BLUELAMP_PUSH_SERVICES") {
            self.push_services = value
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect();
        }
        Ok(())
    }

    /// The trusted reverse proxies, parsed; the error names the bad entry.
    pub fn trusted_proxies(&self) -> anyhow::Result<bluelamp_web::TrustedProxies> {
        bluelamp_web::TrustedProxies::parse(&self.trusted_proxies).map_err(anyhow::Error::msg)
    }

    /// The configured cross-posting limits, parsed; the error names the network
    /// and the bad limit.
    pub fn crosspost_limits(
        &self,
    ) -> anyhow::Result<std::collections::BTreeMap<String, Vec<bluelamp_domain::pacing::Limit>>>
    {
        let mut parsed = std::collections::BTreeMap::new();
        for (network, limits) in &self.crosspost_limits {
            if !bluelamp_services::crosspost::NETWORKS.contains(&network.as_str()) {
                bail!(
                    "crosspost_limits: '{network}' is not a network Bluelamp cross-posts to ({})",
                    bluelamp_services::crosspost::NETWORKS.join(", ")
                );
            }
            let set = limits
                .iter()
                .map(|l| {
                    l.parse()
                        .with_context(|| format!("crosspost_limits for {network}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            parsed.insert(network.clone(), set);
        }
        Ok(parsed)
    }

    /// The `/metrics` token, or `None` when metrics are off.
    pub fn metrics_token(&self) -> Option<String> {
        Some(self.metrics_token.trim().to_string()).filter(|token| !token.is_empty())
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            bail!(
                "log_format must be 'text' or 'json', not '{}'",
                self.log_format
            );
        }
        if self.federation_inbox_per_host_per_second == 0 {
            bail!("federation_inbox_per_host_per_second must be at least 1");
        }
        if self.public_cache_ms > 3_600_000 {
            bail!("public_cache_ms must be at most 3600000 (an hour)");
        }
        if self.body_limit_bytes < 1024 {
            bail!("body_limit_bytes must be at least 1024");
        }
        self.crosspost_limits()?;
        let base = &self.public_base_url;
        if !(base.is_empty() || base.starts_with("http://") || base.starts_with("https://")) {
            bail!(
                "public_base_url must start with http:// or https://, not '{}'",
                self.public_base_url
            );
        }
        if !matches!(self.federation_scheme.as_str(), "https" | "http") {
            bail!(
                "federation_scheme must be 'https' (or 'http' for tests), not '{}'",
                self.federation_scheme
            );
        }
        if self.audit_checkpoint_every_minutes == 0 {
            bail!("audit_checkpoint_every_minutes must be at least 1");
        }
        self.trusted_proxies()?;
        if self.metrics_token().is_some_and(|token| token.len() < 16) {
            bail!("metrics_token must be at least 16 characters (or empty to turn /metrics off)");
        }
        self.mail_config()?;
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            bluelamp_store::Store::sqlite_url_in(&self.data_dir)
        } else {
            self.database_url.clone()
        }
    }

    /// Where audit checkpoints are signed and written.
    pub fn checkpoint_settings(&self) -> CheckpointSettings {
        CheckpointSettings {
            key_file: self
                .audit_key_file
                .clone()
                .unwrap_or_else(|| self.data_dir.join("audit-checkpoint.key")),
            dir: self
                .audit_checkpoint_dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("audit-checkpoints")),
            every_seconds: i64::from(self.audit_checkpoint_every_minutes) * 60,
        }
    }

    /// The web layer's settings; `public_base_url` is the one from
    /// [`Config::public_base_url`], so feeds, og:url and mail agree.
    pub fn web_config(
        &self,
        public_base_url: &str,
        audit_checkpoints: Option<CheckpointSettings>,
    ) -> anyhow::Result<WebConfig> {
        Ok(WebConfig {
            cookie_secure: self.cookie_secure,
            body_limit: self.body_limit_bytes,
            site_name: "Bluelamp".into(),
            public_base_url: public_base_url.to_string(),
            media_dir: self.data_dir.join("media"),
            federation_scheme: self.federation_scheme.clone(),
            federation_allow_loopback: self.federation_allow_loopback,
            federation_inbox_per_host_per_second: self.federation_inbox_per_host_per_second,
            public_cache_fresh_for: std::time::Duration::from_millis(self.public_cache_ms),
            audit_checkpoints,
            trusted_proxies: self.trusted_proxies()?,
            metrics_token: self.metrics_token(),
            push_services: self.push_services.clone(),
            connector_key: bluelamp_services::crosspost::SealingKey::load_or_create(
                &self.data_dir.join("connector.key"),
            )
            .map_err(|e| anyhow::anyhow!("the connector key in the data folder: {e}"))?,
            connector_session_reuse: bluelamp_web::connectors::bluesky::SESSION_REUSE,
            x_client_id: self.x_client_id.clone(),
            crosspost_limits: self.crosspost_limits()?,
            ..bluelamp_web::WebConfig::default()
        })
    }

    /// The public base URL in effect: the configured one, else the address the
    /// server listens on. Every absolute link starts with it.
    pub fn public_base_url(&self, listening_on: &str) -> String {
        if self.public_base_url.is_empty() {
            format!("http://{listening_on}")
        } else {
            self.public_base_url.trim_end_matches('/').to_string()
        }
    }

    /// The mail settings, or `None` when no SMTP relay is configured (mail off).
    pub fn mail_config(&self) -> anyhow::Result<Option<bluelamp_mail::MailConfig>> {
        if self.smtp_url.is_empty() {
            return Ok(None);
        }
        let config = bluelamp_mail::MailConfig::new(
            &self.smtp_url,
            &self.mail_from,
            &self.public_base_url(&self.listen),
            self.digest_hour,
        )?;
        Ok(Some(config))
    }

    /// The configuration as TOML with secrets (database passwords) redacted.
    pub fn show(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = redact_url(&self.database_url());
        shown.smtp_url = redact_url(&self.smtp_url);
        if !shown.metrics_token.is_empty() {
            shown.metrics_token = "***".into();
        }
        Ok(toml::to_string_pretty(&shown)?)
    }
}

fn parse_bool(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name} must be true or false, not '{value}'"),
    }
}

/// Replace the password in `scheme://user:password@host/...` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        assert_eq!(
            redact_url("postgres://bl:s3cret@db:5432/bl"),
            "postgres://bl:***@db:5432/bl"
        );
        assert_eq!(redact_url("postgres://bl@db/bl"), "postgres://bl@db/bl");
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }

    #[test]
    fn the_configured_public_base_url_is_the_one_the_web_layer_gets() {
        let config = Config {
            public_base_url: "https://police.example.org/".into(),
            ..Config::default()
        };
        let base = config.public_base_url("127.0.0.1:8080");
        assert_eq!(base, "https://police.example.org");
        assert_eq!(
            config.web_config(&base, None).unwrap().public_base_url,
            base
        );
        let unset = Config::default();
        assert_eq!(
            unset.public_base_url("127.0.0.1:9000"),
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn crosspost_limits_are_read_and_a_bad_one_is_named() {
        let config: Config =
            toml::from_str("[crosspost_limits]\nx = [\"17/86400\", \"5/900\"]").unwrap();
        assert!(config.validate().is_ok());
        let limits = config.crosspost_limits().unwrap();
        assert_eq!(limits["x"].len(), 2);
        assert_eq!(limits["x"][0].max, 17);
        let bad: Config = toml::from_str("[crosspost_limits]\nx = [\"lots\"]").unwrap();
        let error = format!("{:#}", bad.validate().unwrap_err());
        assert!(error.contains("x") && error.contains("lots"), "{error}");
        let unknown: Config = toml::from_str("[crosspost_limits]\nmyspace = [\"1/60\"]").unwrap();
        let error = unknown.validate().unwrap_err().to_string();
        assert!(error.contains("myspace"), "{error}");
    }

    #[test]
    fn checkpoints_default_to_the_data_folder() {
        let config = Config {
            data_dir: PathBuf::from("/srv/bl"),
            ..Config::default()
        };
        let settings = config.checkpoint_settings();
        assert_eq!(
            settings.key_file,
            PathBuf::from("/srv/bl/audit-checkpoint.key")
        );
        assert_eq!(settings.dir, PathBuf::from("/srv/bl/audit-checkpoints"));
        assert_eq!(settings.every_seconds, 3600);
    }

    #[test]
    fn trusted_proxies_are_checked_and_the_metrics_token_is_redacted() {
        let config: Config = toml::from_str(
            "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\nmetrics_token = \"a-long-scrape-secret\"",
        )
        .unwrap();
        assert!(config.validate().is_ok());
        assert!(!config.show().unwrap().contains("a-long-scrape-secret"));
        let bad: Config = toml::from_str("trusted_proxies = [\"proxy.local\"]").unwrap();
        let error = bad.validate().unwrap_err().to_string();
        assert!(error.contains("proxy.local"), "{error}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        assert!(toml::from_str::<Config>("listen = \"0.0.0.0:80\"").is_ok());
        assert!(toml::from_str::<Config>("lissen = \"0.0.0.0:80\"").is_err());
    }
}
