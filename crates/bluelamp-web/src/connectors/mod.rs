//! The network connectors the job runner uses to cross-post (one implementation
//! per network, behind `services::crosspost::Network`), and the key that opens
//! their sealed credentials.

pub mod bluesky;
pub mod tid;

use bluelamp_services::crosspost::{Network, Networks, SealingKey};

/// This process's connectors.
pub struct HttpNetworks {
    bluesky: bluesky::Bluesky,
    key: SealingKey,
}

impl HttpNetworks {
    pub fn new(
        media_dir: std::path::PathBuf,
        key: SealingKey,
        session_reuse: std::time::Duration,
    ) -> HttpNetworks {
        HttpNetworks {
            bluesky: bluesky::Bluesky::new(media_dir, session_reuse),
            key,
        }
    }
}

impl Networks for HttpNetworks {
    fn network(&self, name: &str) -> Option<&dyn Network> {
        match name {
            "bluesky" => Some(&self.bluesky),
            _ => None,
        }
    }

    fn sealing_key(&self) -> &SealingKey {
        &self.key
    }
}
