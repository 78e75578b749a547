//! Forces (tenants): their short code, public domain, time zone and settings.

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// A force's short code, e.g. `dyfed` or `met`: 2 to 20 lower-case letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ForceCode(String);

impl ForceCode {
    pub fn parse(text: &str) -> Result<ForceCode, Invalid> {
        let code = text.trim().to_lowercase();
        let ok = (2..=20).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !code.starts_with('-');
        if ok {
            Ok(ForceCode(code))
        } else {
            Err(Invalid::new(
                "code",
                "must be 2 to 20 lower-case letters, digits or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The host name the force's public pages and fediverse actors live on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PublicDomain(String);

impl PublicDomain {
    pub fn parse(text: &str) -> Result<PublicDomain, Invalid> {
        let domain = text.trim().trim_end_matches('.').to_lowercase();
        let (host, port) = match domain.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (domain.as_str(), None),
        };
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
        if domain.len() <= 253 && host.split('.').all(label_ok) && port_ok {
            Ok(PublicDomain(domain))
        } else {
            Err(Invalid::new(
                "domain",
                "must be a host name such as police.example.org (optionally with :port)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time-zone name such as `Europe/London`. We check its shape only; the
/// web layer renders times with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<TimeZoneName, Invalid> {
        let zone = text.trim();
        let ok = zone == "UTC"
            || (zone.contains('/')
                && zone.len() <= 64
                && zone.split('/').all(|part| {
                    !part.is_empty()
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
                }));
        if ok {
            Ok(TimeZoneName(zone.to_string()))
        } else {
            Err(Invalid::new(
                "time_zone",
                "must be an IANA time-zone name such as Europe/London",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Per-force switches. Stored as JSON so later issues can add settings without a
/// migration; unknown keys are kept out by `deny_unknown_fields` at the API edge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForceSettings {
    /// Every staff user of the force must use a TOTP second factor.
    pub require_totp: bool,
    /// The force is in a pre-election period (stricter political-neutrality checks).
    pub pre_election: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_domains_and_zones_are_validated() {
        assert_eq!(ForceCode::parse("Dyfed").unwrap().as_str(), "dyfed");
        assert!(ForceCode::parse("a").is_err());
        assert!(ForceCode::parse("no spaces").is_err());
        assert!(PublicDomain::parse("police.example.org").is_ok());
        assert!(PublicDomain::parse("localhost:8080").is_ok());
        assert!(PublicDomain::parse("bad domain").is_err());
        assert!(PublicDomain::parse("x.org:99999").is_err());
        assert!(TimeZoneName::parse("Europe/London").is_ok());
        assert!(TimeZoneName::parse("London").is_err());
    }

    #[test]
    fn settings_refuse_unknown_keys() {
        assert!(serde_json::from_str::<ForceSettings>(r#"{"require_totp":true}"#).is_ok());
        assert!(serde_json::from_str::<ForceSettings>(r#"{"requir_totp":true}"#).is_err());
    }
}
