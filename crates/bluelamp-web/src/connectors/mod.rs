//! The network connectors the job runner uses to cross-post (one implementation
//! per network, behind `services::crosspost::Network`), and the key that opens
//! their sealed credentials.

pub mod bluesky;
pub mod cards;
pub mod facebook;
pub mod tid;
pub mod x;

use std::collections::BTreeMap;

use bluelamp_domain::pacing::Limit;
use bluelamp_services::crosspost::{Network, Networks, SealingKey};

/// An image's bytes for upload to `network`, refused (for good) over its `limit`.
pub(crate) async fn image_bytes(
    media: &bluelamp_media::LocalMediaStore,
    image: &bluelamp_services::crosspost::OutImage,
    limit: i64,
    network: &str,
) -> Result<Vec<u8>, bluelamp_services::crosspost::NetError> {
    use bluelamp_services::crosspost::NetError;
    if !image.content_type.starts_with("image/") {
        return Err(NetError::Refused(format!(
            "{network} takes images only, not {}",
            image.content_type
        )));
    }
    if image.byte_size > limit {
        return Err(NetError::Refused(format!(
            "an image of {} bytes is over {network}'s limit of {limit}",
            image.byte_size
        )));
    }
    let key = bluelamp_media::MediaKey::parse(&image.storage_key)
        .map_err(|e| NetError::Refused(format!("the image is missing: {e}")))?;
    tokio::fs::read(media.path_of(&key))
        .await
        .map_err(|e| NetError::Unavailable(format!("reading the image: {e}"), None))
}

/// This process's connectors.
pub struct HttpNetworks {
    bluesky: bluesky::Bluesky,
    x: x::X,
    facebook: facebook::Facebook,
    key: SealingKey,
    /// Limits the configuration sets in place of a network's documented ones.
    limits: BTreeMap<String, Vec<Limit>>,
}

/// What [`HttpNetworks::new`] needs besides the media folder and the key.
pub struct NetworkSettings {
    pub session_reuse: std::time::Duration,
    pub x_app: x::XApp,
    /// The federation's test-only loopback switch, for link-card fetches.
    pub allow_loopback: bool,
    pub limits: BTreeMap<String, Vec<Limit>>,
}

impl HttpNetworks {
    pub fn new(
        media_dir: std::path::PathBuf,
        key: SealingKey,
        settings: NetworkSettings,
    ) -> HttpNetworks {
        HttpNetworks {
            x: x::X::new(media_dir.clone(), settings.x_app),
            facebook: facebook::Facebook::new(media_dir.clone()),
            bluesky: bluesky::Bluesky::new(
                media_dir,
                settings.session_reuse,
                cards::CardFetcher::new(settings.allow_loopback),
            ),
            key,
            limits: settings.limits,
        }
    }
}

impl Networks for HttpNetworks {
    fn network(&self, name: &str) -> Option<&dyn Network> {
        match name {
            "bluesky" => Some(&self.bluesky),
            "x" => Some(&self.x),
            "facebook" => Some(&self.facebook),
            _ => None,
        }
    }

    fn sealing_key(&self) -> &SealingKey {
        &self.key
    }

    fn limits(&self, network: &str) -> Vec<Limit> {
        match self.limits.get(network) {
            Some(set) => set.clone(),
            None => bluelamp_domain::pacing::documented(network).to_vec(),
        }
    }
}
