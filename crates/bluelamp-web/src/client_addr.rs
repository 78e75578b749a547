//! The client's address, behind reverse proxies we trust.
//!
//! The socket peer is the client unless it is one of the configured
//! `trusted_proxies`. Then `X-Forwarded-For` is read from the right (each proxy
//! appends the address it received from) and the first address that is not a
//! trusted proxy is the client: everything to its left was written by the
//! client itself and may be forged. With no trusted proxies the header is
//! ignored, so nobody can choose their own address by sending it.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Addresses and networks of the reverse proxies in front of this server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parse `["10.0.0.1", "192.168.0.0/16", "::1"]`; the error names the entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|entry| {
                let text = entry.as_ref().trim();
                IpNet::from_str(text)
                    .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        format!(
                            "trusted_proxies: '{text}' is not an IP address or CIDR network (such as 10.0.0.0/8)"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client's address for a request from `peer` carrying these
    /// `X-Forwarded-For` header values (in the order received).
    pub fn client<'a>(&self, peer: IpAddr, forwarded_for: impl Iterator<Item = &'a str>) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // An entry that is not an address was not written by a proxy of
            // ours; the last trusted hop is the best we know.
            let Ok(address) = IpAddr::from_str(hop) else {
                return client;
            };
            let address = address.to_canonical();
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        // Every hop is a trusted proxy: the left-most is the closest we have.
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn entries_parse_as_addresses_or_networks_and_errors_name_the_entry() {
        let proxies = TrustedProxies::parse(&["10.0.0.1", "192.168.0.0/16", "::1"]).unwrap();
        assert!(proxies.trusts(ip("192.168.4.5")));
        assert!(proxies.trusts(ip("10.0.0.1")));
        assert!(!proxies.trusts(ip("10.0.0.2")));
        let error = TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]).unwrap_err();
        assert!(error.contains("proxy.local"), "{error}");
    }

    #[test]
    fn the_header_counts_only_when_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("198.51.100.9"), ["1.2.3.4"].into_iter()),
            ip("198.51.100.9")
        );
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        assert_eq!(
            proxies.client(ip("198.51.100.9"), ["1.2.3.4"].into_iter()),
            ip("198.51.100.9")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["203.0.113.7"].into_iter()),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client_so_a_forged_prefix_is_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        // The client wrote "6.6.6.6" itself; our edge proxy appended its real address.
        assert_eq!(
            proxies.client(
                ip("10.0.0.1"),
                ["6.6.6.6, 203.0.113.7, 10.1.1.1"].into_iter()
            ),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["6.6.6.6", "203.0.113.7"].into_iter()),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), ["junk, 10.2.2.2"].into_iter()),
            ip("10.2.2.2")
        );
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.1"), ["203.0.113.7"].into_iter()),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.1"), std::iter::empty()),
            ip("10.0.0.1")
        );
    }
}
