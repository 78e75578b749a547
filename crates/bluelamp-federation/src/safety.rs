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

/// The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), built
/// from `data/*.csv` by `build.rs`: `(network, prefix length, name, globally
/// reachable)`.
mod registry {
    include!(concat!(env!("OUT_DIR"), "/special_registry.rs"));
}

/// The most specific registry entry covering `bits`, as `(name, global)`.
fn most_specific<T>(
    table: &'static [(T, u8, &'static str, bool)],
    bits: T,
    width: u8,
) -> Option<(&'static str, bool)>
where
    T: Copy + PartialEq + std::ops::Shr<u32, Output = T>,
{
    table
        .iter()
        .filter(|(net, len, ..)| {
            let shift = u32::from(width - len);
            *len == 0 || (*net >> shift) == (bits >> shift)
        })
        .max_by_key(|(_, len, ..)| *len)
        .map(|(_, _, name, global)| (*name, *global))
}

/// Why an address is not public, or `None` if it is: the most specific entry of
/// the IANA special-purpose registry covering it decides, and only "Globally
/// Reachable: True" is public (False, N/A and terminated entries are not).
/// IPv6 forms that embed an IPv4 address (mapped, translated, NAT64, 6to4) are
/// also judged by that address.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    match most_specific(registry::IPV4_SPECIAL, u32::from(ip), 32) {
        Some((_, true)) => None,
        Some((name, false)) => Some(name),
        // Multicast is allocated by its own registry (224.0.0.0/4, RFC 5771),
        // not the special-purpose one; it is never a server's address.
        None if ip.is_multicast() => Some("Multicast"),
        None => None,
    }
}

/// The IPv4 address inside an IPv6 form that carries one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // ::ffff:a.b.c.d (mapped, RFC 4291) and ::ffff:0:a.b.c.d (translated, RFC 2765).
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(v4(hi, lo)),
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        // 2002:AABB:CCDD::/48 (6to4, RFC 3056).
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(reason) = embedded_v4(ip).and_then(v4_reason) {
        return Some(reason);
    }
    match most_specific(registry::IPV6_SPECIAL, u128::from(ip), 128) {
        Some((_, true)) => None,
        Some((name, false)) => Some(name),
        None if ip.is_multicast() => Some("Multicast"),
        // Outside the special-purpose registry, the IPv6 Address Space registry
        // allocates only 2000::/3 as global unicast; the rest is reserved by
        // the IETF (site-local fec0::/10, the IPv4-compatible ::/96...).
        None if ip.segments()[0] & 0xe000 != 0x2000 => Some("reserved (not global unicast)"),
        None => None,
    }
}

/// Loopback, also in its IPv4-mapped form (what the test-only switch admits).
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Refuses an address unless it is public, or loopback with `allow_loopback`.
pub fn check_ip(ip: IpAddr, allow_loopback: bool) -> Result<(), UnsafeUrl> {
    match non_public_reason(ip) {
        None => Ok(()),
        Some(_) if allow_loopback && is_loopback(ip) => Ok(()),
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
            "http://[::ffff:0:1]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://[2001::1]/",
            "http://192.88.99.1/",
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

    fn refused(ip: &str) -> Option<&'static str> {
        non_public_reason(ip.parse().unwrap())
    }

    #[test]
    fn the_registry_table_is_built_from_both_iana_files() {
        assert!(registry::IPV4_SPECIAL.len() >= 25);
        assert!(registry::IPV6_SPECIAL.len() >= 24);
        assert!(registry::IPV4_SPECIAL
            .iter()
            .any(|(_, _, name, _)| *name == "Limited Broadcast"));
    }

    #[test]
    fn special_purpose_ranges_missed_by_the_old_hand_list_are_refused() {
        for (ip, reason) in [
            ("::ffff:0:1", "This network"),
            ("::ffff:8.8.8.8", "IPv4-mapped Address"),
            ("64:ff9b:1::808:808", "IPv4-IPv6 Translat."),
            ("2001::1", "TEREDO"),
            ("2001:0:4136:e378::1", "TEREDO"),
            ("2001:5::1", "IETF Protocol Assignments"),
            ("192.88.99.1", "Deprecated (6to4 Relay Anycast)"),
            ("192.88.99.2", "6a44-relay anycast address"),
            ("3fff::1", "Documentation"),
            ("5f00::1", "Segment Routing (SRv6) SIDs"),
            ("100:0:0:1::1", "Dummy IPv6 Prefix"),
            ("2001:2::1", "Benchmarking"),
            ("192.0.0.8", "IPv4 dummy address"),
            ("255.255.255.255", "Limited Broadcast"),
            ("0.1.2.3", "This network"),
        ] {
            assert_eq!(refused(ip), Some(reason), "{ip}");
        }
    }

    #[test]
    fn the_most_specific_entry_decides() {
        // Inside not-global blocks, IANA marks these globally reachable.
        for ip in [
            "192.0.0.9",
            "192.0.0.10",
            "2001:1::1",
            "2001:3::1",
            "2001:20::1",
        ] {
            assert_eq!(refused(ip), None, "{ip}");
        }
        assert!(refused("192.0.0.11").is_some());
        assert!(refused("2001:1::4").is_some());
    }

    #[test]
    fn ipv6_forms_carrying_ipv4_are_judged_by_the_embedded_address_too() {
        assert_eq!(refused("::ffff:127.0.0.1"), Some("Loopback"));
        assert_eq!(refused("::ffff:0:10.0.0.1"), Some("Private-Use"));
        assert_eq!(refused("64:ff9b::a9fe:a9fe"), Some("Link Local"));
        assert_eq!(
            refused("64:ff9b::808:808"),
            None,
            "NAT64 of a public address"
        );
        assert_eq!(refused("2002:c0a8:1::1"), Some("Private-Use"));
        assert_eq!(
            refused("2002:808:808::1"),
            Some("6to4"),
            "6to4 is not global"
        );
        assert!(
            refused("fec0::1").is_some(),
            "site-local is not global unicast"
        );
        assert!(
            refused("::a00:1").is_some(),
            "IPv4-compatible is not global unicast"
        );
        assert_eq!(refused("ff02::1"), Some("Multicast"));
        assert_eq!(refused("239.1.1.1"), Some("Multicast"));
        assert_eq!(refused("2606:4700::1111"), None);
        assert_eq!(refused("93.184.216.34"), None);
    }

    #[tokio::test]
    async fn resolution_is_checked() {
        let url = Url::parse("http://localhost:9/").unwrap();
        assert!(resolve_checked(&url, true).await.is_ok());
        assert!(resolve_checked(&url, false).await.is_err());
    }
}
