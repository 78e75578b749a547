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

/// IANA time-zone names (zones and their links), one a line; see the file's header.
const TIME_ZONES: &str = include_str!("../data/time_zones.txt");

/// A known IANA time-zone name such as `Europe/London`. Only names in the tz
/// database are accepted (a typo such as `Europe/Londn` would otherwise be stored and
/// render every time wrongly); the spelling is the database's, whatever the case typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<TimeZoneName, Invalid> {
        let zone = text.trim();
        TIME_ZONES
            .lines()
            .filter(|line| !line.starts_with('#'))
            .find(|known| known.eq_ignore_ascii_case(zone))
            .map(|known| TimeZoneName(known.to_string()))
            .ok_or_else(|| {
                Invalid::new(
                    "time_zone",
                    format!(
                        "'{}' is not a known IANA time-zone name; use one such as Europe/London",
                        zone.chars().take(64).collect::<String>()
                    ),
                )
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a force's logo is: an `https://` address, or a path on the force's own
/// site (`/media/12`). Anything else (plain `http`, `javascript:`, a protocol-relative
/// `//elsewhere`) could mix content or lead off-site, so it is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LogoUrl(String);

impl LogoUrl {
    pub const MAX_LEN: usize = 2000;

    pub fn parse(text: &str) -> Result<LogoUrl, Invalid> {
        LogoUrl::parse_field("logo_url", text)
    }

    /// The same rule for any picture shown on our pages (an account's avatar),
    /// with errors naming `field`.
    pub fn parse_field(field: &'static str, text: &str) -> Result<LogoUrl, Invalid> {
        let url = text.trim();
        let refuse = |why: &str| {
            Err(Invalid::new(
                field,
                format!("must be an https:// address or a path on the force's site such as /media/12 ({why})"),
            ))
        };
        if url.len() > Self::MAX_LEN {
            return refuse("it is too long");
        }
        if url
            .chars()
            .any(|c| !c.is_ascii() || c.is_whitespace() || c.is_control() || "\"<>\\`".contains(c))
        {
            return refuse(
                "it contains spaces, quotes, control or non-ASCII characters (percent-encode them)",
            );
        }
        if let Some(rest) = url.strip_prefix("https://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host = authority.rsplit('@').next().unwrap_or_default();
            if authority.contains('@') || PublicDomain::parse(host).is_err() {
                return refuse("its host name is not valid");
            }
            return Ok(LogoUrl(url.to_string()));
        }
        if url.starts_with('/') && !url.starts_with("//") {
            return Ok(LogoUrl(url.to_string()));
        }
        refuse("it is neither")
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
    /// When the inbox is staffed, "HH:MM-HH:MM" in the force's time zone. When
    /// set, the inbox's response-time clocks run only inside these hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_hours: Option<String>,
    /// Keep the network address a tip from the public came from. Off by default:
    /// it is personal data, and a witness who fears being traced may not come forward.
    pub record_tip_addresses: bool,
    /// A street-map tile layer under incident maps, as an https URL template with
    /// {z}, {x} and {y} (see [`MapTiles`]). None: the maps show the geometry alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_tiles: Option<String>,
    /// The credit the tile provider requires, shown under each map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub map_attribution: Option<String>,
    /// How the force appears in the server's national view of reach.
    pub national_view: NationalView,
}

/// How a force appears in the national view a server administrator reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NationalView {
    /// Its own row, with its accounts' figures summed.
    #[default]
    Shown,
    /// Only inside the national totals, never named.
    Totals,
    /// Not at all: neither named nor counted.
    Hidden,
}

impl NationalView {
    pub fn as_str(self) -> &'static str {
        match self {
            NationalView::Shown => "shown",
            NationalView::Totals => "totals",
            NationalView::Hidden => "hidden",
        }
    }

    pub fn parse(text: &str) -> Result<NationalView, Invalid> {
        match text.trim() {
            "shown" => Ok(NationalView::Shown),
            "totals" => Ok(NationalView::Totals),
            "hidden" => Ok(NationalView::Hidden),
            _ => Err(Invalid::new(
                "national_view",
                "choose shown, totals (counted in the national figures but never named) or hidden",
            )),
        }
    }
}

/// A slippy-map tile URL template: `https://tiles.example.org/{z}/{x}/{y}.png`.
/// Only https (the public pages allow no other images from elsewhere), with all
/// three placeholders, and nothing that could break out of an attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTiles(String);

impl MapTiles {
    pub const MAX_LEN: usize = 500;

    pub fn parse(text: &str) -> Result<MapTiles, Invalid> {
        let url = text.trim();
        let refuse = |why: &str| {
            Err(Invalid::new(
                "map_tiles",
                format!("must be an https:// address with {{z}}, {{x}} and {{y}}, such as https://tiles.example.org/{{z}}/{{x}}/{{y}}.png ({why})"),
            ))
        };
        if url.len() > Self::MAX_LEN {
            return refuse("it is too long");
        }
        if url
            .chars()
            .any(|c| !c.is_ascii() || c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c))
        {
            return refuse("it contains spaces, quotes, control or non-ASCII characters");
        }
        let Some(rest) = url.strip_prefix("https://") else {
            return refuse("it is not https");
        };
        if rest.is_empty() || rest.starts_with('/') {
            return refuse("it names no host");
        }
        if !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
            return refuse("a placeholder is missing");
        }
        Ok(MapTiles(url.to_string()))
    }

    /// The address of one tile.
    pub fn tile(&self, z: u32, x: u64, y: u64) -> String {
        self.0
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Office hours: minutes after local midnight, start before end (a day shift).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeHours {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl OfficeHours {
    /// "08:00-20:00": two 24-hour times, the first earlier.
    pub fn parse(text: &str) -> Result<OfficeHours, Invalid> {
        let refuse = || {
            Invalid::new(
                "office_hours",
                "give the hours as HH:MM-HH:MM in 24-hour time, the start earlier than the end, e.g. 08:00-20:00",
            )
        };
        let minutes = |part: &str| -> Option<u32> {
            let (h, m) = part.trim().split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (start, end) = text.split_once('-').ok_or_else(refuse)?;
        let (start, end) = (
            minutes(start).ok_or_else(refuse)?,
            minutes(end).ok_or_else(refuse)?,
        );
        if start >= end {
            return Err(refuse());
        }
        Ok(OfficeHours {
            start_minute: start,
            end_minute: end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_are_a_day_shift_in_24_hour_time() {
        let hours = OfficeHours::parse("08:00-20:00").unwrap();
        assert_eq!((hours.start_minute, hours.end_minute), (480, 1200));
        for bad in [
            "20:00-08:00",
            "8:00-20:00",
            "08:00",
            "08:60-20:00",
            "24:00-25:00",
            "x",
        ] {
            assert_eq!(
                OfficeHours::parse(bad).unwrap_err().field,
                "office_hours",
                "{bad}"
            );
        }
    }

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
    fn only_known_time_zones_are_accepted_in_their_own_spelling() {
        assert_eq!(TimeZoneName::parse("UTC").unwrap().as_str(), "UTC");
        assert_eq!(
            TimeZoneName::parse(" europe/london ").unwrap().as_str(),
            "Europe/London"
        );
        assert!(TimeZoneName::parse("America/Argentina/Buenos_Aires").is_ok());
        let wrong = TimeZoneName::parse("Europe/Londn").unwrap_err();
        assert_eq!(wrong.field, "time_zone");
        assert!(TimeZoneName::parse("Mars/Olympus_Mons").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn a_logo_is_an_https_address_or_a_path_on_the_site() {
        assert!(LogoUrl::parse("https://police.example.org/logo.png").is_ok());
        assert!(LogoUrl::parse("/media/12").is_ok());
        for bad in [
            "http://police.example.org/logo.png",
            "//evil.example/logo.png",
            "javascript:alert(1)",
            "https://",
            "https://user@evil.example/x.png",
            "https://bad host/x.png",
            "/media/1\" onerror=\"x",
            "logo.png",
        ] {
            let error = LogoUrl::parse(bad).expect_err(bad);
            assert_eq!(error.field, "logo_url", "{bad}");
        }
    }

    #[test]
    fn settings_refuse_unknown_keys() {
        assert!(serde_json::from_str::<ForceSettings>(r#"{"require_totp":true}"#).is_ok());
        assert!(serde_json::from_str::<ForceSettings>(r#"{"requir_totp":true}"#).is_err());
    }

    #[test]
    fn tile_templates_are_https_with_every_placeholder() {
        let tiles = MapTiles::parse(" https://tiles.example.org/{z}/{x}/{y}.png ").unwrap();
        assert_eq!(
            tiles.tile(14, 8031, 5260),
            "https://tiles.example.org/14/8031/5260.png"
        );
        for bad in [
            "http://tiles.example.org/{z}/{x}/{y}.png",
            "https://tiles.example.org/{z}/{x}.png",
            "https:///{z}/{x}/{y}",
            "https://tiles.example.org/{z}/{x}/{y}.png\" onload=\"x",
            "javascript:alert(1)//{z}{x}{y}",
        ] {
            assert!(MapTiles::parse(bad).is_err(), "{bad}");
        }
    }
}
