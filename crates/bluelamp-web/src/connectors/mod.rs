//! The network connectors the job runner uses to cross-post (one implementation
//! per network, behind `services::crosspost::Network`), and the key that opens
//! their sealed credentials.

pub mod bluesky;
pub mod facebook;
pub mod tid;
pub mod x;

use bluelamp_services::crosspost::{Network, Networks, SealingKey};

/// This process's connectors.
pub struct HttpNetworks {
    bluesky: bluesky::Bluesky,
    x: x::X,
    facebook: facebook::Facebook,
    key: SealingKey,
}

impl HttpNetworks {
    pub fn new(
        media_dir: std::path::PathBuf,
        key: SealingKey,
        session_reuse: std::time::Duration,
        x_app: x::XApp,
    ) -> HttpNetworks {
        HttpNetworks {
            x: x::X::new(media_dir.clone(), x_app),
            facebook: facebook::Facebook::new(media_dir.clone()),
            bluesky: bluesky::Bluesky::new(media_dir, session_reuse),
            key,
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
}
