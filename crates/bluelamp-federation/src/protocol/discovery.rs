//! Discovery: WebFinger (RFC 7033, `/.well-known/webfinger`), NodeInfo 2.1
//! (`/.well-known/nodeinfo` → `/nodeinfo/2.1`) and host-meta (RFC 6415,
//! `/.well-known/host-meta`, which older servers read to find WebFinger).

use serde::{Deserialize, Serialize};

use super::ACTIVITY_JSON;
use crate::html::escape;

/// `Content-Type` for WebFinger answers.
pub const JRD_JSON: &str = "application/jrd+json";
/// `Content-Type` for host-meta.
pub const XRD_XML: &str = "application/xrd+xml";
pub const NODEINFO_2_1_REL: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
/// `Content-Type` for the NodeInfo document itself.
pub const NODEINFO_2_1_CONTENT_TYPE: &str =
    "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"";
const PROFILE_PAGE_REL: &str = "http://webfinger.net/rel/profile-page";

/// A JSON Resource Descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebFinger {
    pub subject: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub links: Vec<WebFingerLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebFingerLink {
    pub rel: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// Our answer for `acct` (`handle@domain`, without the `acct:` prefix).
pub fn webfinger(acct: &str, actor_url: &str, profile_url: &str) -> WebFinger {
    WebFinger {
        subject: format!("acct:{acct}"),
        aliases: vec![actor_url.to_owned(), profile_url.to_owned()],
        links: vec![
            WebFingerLink {
                rel: "self".to_owned(),
                kind: Some(ACTIVITY_JSON.to_owned()),
                href: Some(actor_url.to_owned()),
                template: None,
            },
            WebFingerLink {
                rel: PROFILE_PAGE_REL.to_owned(),
                kind: Some("text/html".to_owned()),
                href: Some(profile_url.to_owned()),
                template: None,
            },
        ],
    }
}

/// The local handle a `resource` query asks for, if it names one of ours:
/// `acct:handle@domain`, `handle@domain`, `@handle@domain`, or our actor or profile
/// URL (`{scheme}://domain/users/handle`, `{scheme}://domain/@handle`). `local_domain`
/// may carry a port (`localhost:8080`); domains compare case-insensitively.
pub fn parse_webfinger_resource(resource: &str, local_domain: &str) -> Option<String> {
    let resource = resource.trim();
    if resource.starts_with("http://") || resource.starts_with("https://") {
        let url = url::Url::parse(resource).ok()?;
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_owned(),
        };
        if !authority.eq_ignore_ascii_case(local_domain) {
            return None;
        }
        let path = url.path();
        let handle = path
            .strip_prefix("/users/")
            .or_else(|| path.strip_prefix("/@"))?;
        return (!handle.is_empty() && !handle.contains('/')).then(|| handle.to_owned());
    }
    let acct = resource.strip_prefix("acct:").unwrap_or(resource);
    let acct = acct.strip_prefix('@').unwrap_or(acct);
    let (handle, domain) = acct.rsplit_once('@')?;
    (!handle.is_empty() && !handle.contains('@') && domain.eq_ignore_ascii_case(local_domain))
        .then(|| handle.to_owned())
}

/// The WebFinger URL to ask `domain` about `user@domain`. `scheme` is `https` in
/// production; the loopback interop tests use `http`.
pub fn webfinger_url(user: &str, domain: &str, scheme: &str) -> Result<url::Url, url::ParseError> {
    let mut url = url::Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger"))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{user}@{domain}"));
    Ok(url)
}

impl WebFinger {
    /// The ActivityPub actor id a remote JRD points at.
    pub fn actor_id(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| {
                l.rel == "self"
                    && l.kind.as_deref().is_some_and(|k| {
                        k.starts_with(ACTIVITY_JSON) || k.starts_with("application/ld+json")
                    })
            })
            .and_then(|l| l.href.as_deref())
    }
}

/// `/.well-known/nodeinfo`: where the NodeInfo document is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfoLinks {
    pub links: Vec<WebFingerLink>,
}

pub fn nodeinfo_links(base: &str) -> NodeInfoLinks {
    NodeInfoLinks {
        links: vec![WebFingerLink {
            rel: NODEINFO_2_1_REL.to_owned(),
            kind: None,
            href: Some(format!("{}/nodeinfo/2.1", base.trim_end_matches('/'))),
            template: None,
        }],
    }
}

/// What NodeInfo reports about this server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeStats {
    /// The force's or platform's name, shown by server directories.
    pub node_name: String,
    pub users_total: u64,
    pub active_month: u64,
    pub active_halfyear: u64,
    pub local_posts: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub version: String,
    pub software: NodeSoftware,
    pub protocols: Vec<String>,
    pub services: NodeServices,
    pub open_registrations: bool,
    pub usage: NodeUsage,
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSoftware {
    /// NodeInfo requires `[a-z0-9-]+`.
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeServices {
    pub inbound: Vec<String>,
    pub outbound: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeUsage {
    pub users: NodeUsers,
    pub local_posts: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeUsers {
    pub total: u64,
    pub active_month: u64,
    pub active_halfyear: u64,
}

/// NodeInfo 2.1. Registrations are always closed: accounts are created by the force.
pub fn nodeinfo(stats: &NodeStats, software_version: &str, repository: Option<&str>) -> NodeInfo {
    NodeInfo {
        version: "2.1".to_owned(),
        software: NodeSoftware {
            name: "bluelamp".to_owned(),
            version: software_version.to_owned(),
            repository: repository.map(str::to_owned),
            homepage: repository.map(str::to_owned),
        },
        protocols: vec!["activitypub".to_owned()],
        services: NodeServices {
            inbound: Vec::new(),
            outbound: vec!["atom1.0".to_owned(), "rss2.0".to_owned()],
        },
        open_registrations: false,
        usage: NodeUsage {
            users: NodeUsers {
                total: stats.users_total,
                active_month: stats.active_month,
                active_halfyear: stats.active_halfyear,
            },
            local_posts: stats.local_posts,
        },
        metadata: serde_json::json!({ "nodeName": stats.node_name }),
    }
}

/// host-meta as XRD, pointing at our WebFinger endpoint.
pub fn host_meta(base: &str) -> String {
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        base.trim_end_matches('/')
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        escape(&template)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        let d = "police.example";
        assert_eq!(
            parse_webfinger_resource("acct:news@police.example", d).as_deref(),
            Some("news")
        );
        assert_eq!(
            parse_webfinger_resource("acct:news@POLICE.example", d).as_deref(),
            Some("news")
        );
        assert_eq!(
            parse_webfinger_resource("@news@police.example", d).as_deref(),
            Some("news")
        );
        assert_eq!(
            parse_webfinger_resource("https://police.example/users/news", d).as_deref(),
            Some("news")
        );
        assert_eq!(
            parse_webfinger_resource("https://police.example/@news", d).as_deref(),
            Some("news")
        );
        assert_eq!(parse_webfinger_resource("acct:news@other.example", d), None);
        assert_eq!(
            parse_webfinger_resource("https://other.example/users/news", d),
            None
        );
        assert_eq!(
            parse_webfinger_resource("acct:news@localhost:8080", "localhost:8080").as_deref(),
            Some("news")
        );
        assert_eq!(
            parse_webfinger_resource("http://localhost:8080/users/news", "localhost:8080")
                .as_deref(),
            Some("news")
        );
        assert_eq!(parse_webfinger_resource("acct:@police.example", d), None);
    }

    #[test]
    fn jrd_round_trip() {
        let jrd = webfinger(
            "news@police.example",
            "https://police.example/users/news",
            "https://police.example/@news",
        );
        let text = serde_json::to_string(&jrd).unwrap();
        let back: WebFinger = serde_json::from_str(&text).unwrap();
        assert_eq!(back.actor_id(), Some("https://police.example/users/news"));
        assert_eq!(back.subject, "acct:news@police.example");
    }

    #[test]
    fn host_meta_points_at_webfinger() {
        let xml = host_meta("https://police.example/");
        assert!(
            xml.contains(
                "template=\"https://police.example/.well-known/webfinger?resource={uri}\""
            ),
            "{xml}"
        );
        let url = webfinger_url("a", "localhost:8080", "http").unwrap();
        assert_eq!(
            url.as_str(),
            "http://localhost:8080/.well-known/webfinger?resource=acct%3Aa%40localhost%3A8080"
        );
    }
}
