//! Test inputs built in code; the media crate owns them (see `bluelamp_media::testing`).

pub use bluelamp_media::testing::{contains, photo_with_gps};
