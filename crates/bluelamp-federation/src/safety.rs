//! Never let a remote document make us request our own network (SSRF).
//!
//! Three layers, because each alone has a gap:
//! 1. [`check_remote_url`] (pure): scheme, credentials, IP literals, local names.
//! 2. [`GuardedResolver`], installed in every client we build: each name is
//!    resolved once and refused if any address is non-public. Because the client
//!    connects to the addresses this resolver returns, a DNS answer cannot change
//!    between the check and the connection (no rebinding window).
//! 3. The redirect policy re-checks every hop with (1); names in a hop go
//!    through (2).
//!
//! `allow_loopback` is the **test-only** switch for the interop tests that run
//! real servers on 127.0.0.1: it admits loopback addresses and `localhost`, and
//! nothing else (private ranges stay refused). Production must leave it false.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use crate::limits::{CONNECT_TIMEOUT, MAX_REDIRECTS};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeUrl {
    #[error("not a URL: {0}")]
    Invalid(String),
    #[error("scheme {0} is not http or https")]
    Scheme(String),
    #[error("URL has no host")]
    NoHost,
    #[error("URL carries credentials")]
    Credentials,
    #[error("{0} is a {1} address")]
    Address(IpAddr, &'static str),
    #[error("{0} is a local name")]
    LocalName(String),
    #[error("could not resolve {0}")]
    Resolve(String),
}

/// Why an address is not public, or `None` if it is. IPv6 forms that embed an
/// IPv4 address (mapped, NAT64, 6to4) are judged by that address.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, ..) => "unspecified",
        (127, ..) => "loopback",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "private",
        (100, 64..=127, _) => "shared (carrier-grade NAT)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64).
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => {
            v4_reason(embedded(hi, lo))
        }
        // The deprecated IPv4-compatible form ::a.b.c.d.
        [0, 0, 0, 0, 0, 0, _, _] => Some("reserved"),
        // 6to4: 2002:AABB:CCDD::/48.
        [0x2002, hi, lo, ..] => v4_reason(embedded(hi, lo)),
        [0x2001, 0xdb8, ..] => Some("documentation"),
        [0x100, 0, 0, 0, ..] => Some("discard"),
        [first, ..] if first & 0xfe00 == 0xfc00 => Some("unique-local"),
        [first, ..] if first & 0xffc0 == 0xfe80 => Some("link-local"),
        [first, ..] if first & 0xffc0 == 0xfec0 => Some("site-local"),
        [first, ..] if first & 0xff00 == 0xff00 => Some("multicast"),
        _ => None,
    }
}

/// Refuses an address unless it is public, or loopback with `allow_loopback`.
pub fn check_ip(ip: IpAddr, allow_loopback: bool) -> Result<(), UnsafeUrl> {
    match non_public_reason(ip) {
        None => Ok(()),
        Some("loopback") if allow_loopback => Ok(()),
        Some(reason) => Err(UnsafeUrl::Address(ip, reason)),
    }
}

/// The pure check: an http(s) URL with a host, no credentials, and a host that is
/// a public IP literal or a dotted name that is not `localhost`. (With
/// `allow_loopback`, loopback literals and `localhost` pass.) Names still have to
/// pass [`resolve_checked`] or the [`GuardedResolver`].
pub fn check_remote_url(url: &str, allow_loopback: bool) -> Result<Url, UnsafeUrl> {
    let parsed = Url::parse(url).map_err(|e| UnsafeUrl::Invalid(e.to_string()))?;
    check_parsed(&parsed, allow_loopback)?;
    Ok(parsed)
}

pub fn check_parsed(url: &Url, allow_loopback: bool) -> Result<(), UnsafeUrl> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UnsafeUrl::Scheme(url.scheme().to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UnsafeUrl::Credentials);
    }
    match url.host() {
        None => Err(UnsafeUrl::NoHost),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_loopback),
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_loopback),
        Some(Host::Domain(name)) => check_name(name, allow_loopback),
    }
}

fn check_name(name: &str, allow_loopback: bool) -> Result<(), UnsafeUrl> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let is_localhost = name == "localhost" || name.ends_with(".localhost");
    if is_localhost && allow_loopback {
        return Ok(());
    }
    // Single-label names resolve through the machine's search domains to internal
    // hosts; no fediverse server lives at one.
    if is_localhost || !name.contains('.') {
        return Err(UnsafeUrl::LocalName(name));
    }
    Ok(())
}

/// Resolves the URL's host and checks every address (for callers that connect
/// themselves; the client from [`HttpClient::new`] does this on every connection).
pub async fn resolve_checked(
    url: &Url,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, UnsafeUrl> {
    check_parsed(url, allow_loopback)?;
    let host = url.host_str().ok_or(UnsafeUrl::NoHost)?;
    let port = url.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| UnsafeUrl::Resolve(host.to_owned()))?
        .collect();
    if addrs.is_empty() {
        return Err(UnsafeUrl::Resolve(host.to_owned()));
    }
    for addr in &addrs {
        check_ip(addr.ip(), allow_loopback)?;
    }
    Ok(addrs)
}

/// The DNS resolver of our clients: refuses a name if any of its addresses is not
/// public (rather than dropping those addresses, which would let an attacker's
/// DNS steer us between public and private answers).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            check_name(&host, allow_loopback)?;
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|_| UnsafeUrl::Resolve(host.clone()))?
                .collect();
            for addr in &addrs {
                check_ip(addr.ip(), allow_loopback)?;
            }
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

/// Settings for [`HttpClient::new`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Should name the site, e.g. `bluelamp/0.1 (+https://police.example/)`, so
    /// remote admins know who is calling.
    pub user_agent: String,
    /// Test-only: see the module documentation.
    pub allow_loopback: bool,
    pub connect_timeout: Duration,
    /// Idle connections kept per host (deliveries to one shared inbox reuse them).
    pub pool_idle_per_host: usize,
}

impl ClientOptions {
    pub fn new(user_agent: &str) -> ClientOptions {
        ClientOptions {
            user_agent: user_agent.to_owned(),
            allow_loopback: false,
            connect_timeout: CONNECT_TIMEOUT,
            pool_idle_per_host: 4,
        }
    }
}

/// The HTTP clients for federation: one that follows (checked) redirects for
/// fetches, one that never redirects for deliveries (a POST silently turned into
/// a GET by a 302 would look like success). Cheap to clone; build once.
#[derive(Debug, Clone)]
pub struct HttpClient {
    pub(crate) fetcher: reqwest::Client,
    pub(crate) sender: reqwest::Client,
    pub(crate) allow_loopback: bool,
}

impl HttpClient {
    pub fn new(options: &ClientOptions) -> Result<HttpClient, reqwest::Error> {
        let allow_loopback = options.allow_loopback;
        let base = || {
            reqwest::Client::builder()
                .user_agent(options.user_agent.clone())
                .connect_timeout(options.connect_timeout)
                .pool_max_idle_per_host(options.pool_idle_per_host)
                // A proxy from the environment would resolve names itself,
                // bypassing the guarded resolver.
                .no_proxy()
                .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
        };
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            match check_parsed(attempt.url(), allow_loopback) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        Ok(HttpClient {
            fetcher: base().redirect(redirects).build()?,
            sender: base().redirect(reqwest::redirect::Policy::none()).build()?,
            allow_loopback,
        })
    }

    pub fn allow_loopback(&self) -> bool {
        self.allow_loopback
    }
}

/// Finds our refusal in an error's source chain (reqwest wraps resolver errors).
pub(crate) fn unsafe_cause(error: &(dyn std::error::Error + 'static)) -> Option<UnsafeUrl> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<UnsafeUrl>() {
            return Some(found.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        for bad in [
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data",
            "http://[fc00::1]/",
            "http://[fd12::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://[::ffff:10.0.0.1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://100.64.0.1/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:c0a8:1::]/",
            "http://224.0.0.1/",
            "http://localhost/",
            "http://api.localhost/",
            "http://intranet/",
        ] {
            assert!(
                check_remote_url(bad, false).is_err(),
                "{bad} should be refused"
            );
        }
        for good in [
            "https://mastodon.social/users/x",
            "http://93.184.216.34/",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_remote_url(good, false).is_ok(), "{good} should pass");
        }
        assert!(matches!(
            check_remote_url("ftp://a.example/", false),
            Err(UnsafeUrl::Scheme(_))
        ));
        assert!(matches!(
            check_remote_url("https://u:p@a.example/", false),
            Err(UnsafeUrl::Credentials)
        ));
        assert!(matches!(
            check_remote_url("not a url", false),
            Err(UnsafeUrl::Invalid(_))
        ));
    }

    #[test]
    fn loopback_switch_admits_only_loopback() {
        for ok in [
            "http://127.0.0.1:8080/",
            "http://127.9.9.9/",
            "http://[::1]:3000/",
            "http://localhost:2909/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                check_remote_url(ok, true).is_ok(),
                "{ok} should pass with allow_loopback"
            );
        }
        for bad in [
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://169.254.1.1/",
            "http://[fc00::1]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://intranet/",
        ] {
            assert!(
                check_remote_url(bad, true).is_err(),
                "{bad} must stay refused"
            );
        }
    }

    #[tokio::test]
    async fn resolution_is_checked() {
        let url = Url::parse("http://localhost:9/").unwrap();
        assert!(resolve_checked(&url, true).await.is_ok());
        assert!(resolve_checked(&url, false).await.is_err());
    }
}
