//! Bluelamp media: everything between "a member of staff picked a file" and
//! "bytes safe to publish are in storage".
//!
//! * [`sniff`] says what a file is by its content, never its name.
//! * [`process_image`] enforces byte and pixel limits before decoding (so a
//!   decompression bomb is refused, not allowed to exhaust memory), applies
//!   the EXIF orientation, and re-encodes so that no metadata survives: the
//!   location a phone wrote into a photo must never reach the public.
//! * [`check_video`] checks a video's type, size and container structure and
//!   hashes it; the bytes are kept exactly as uploaded, as evidence.
//! * [`MediaStore`] keeps bytes by key; [`LocalMediaStore`] is the
//!   filesystem implementation.
//!
//! Nothing here panics on any input; every refusal is a [`MediaError`]
//! whose message is written for the uploader.

mod error;
mod evidence;
mod gif;
mod header;
mod images;
mod sniff;
mod store;
pub mod testing;
mod video;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use error::MediaError;
pub use evidence::{check_evidence, check_evidence_start, CheckedEvidence};
pub use images::{process_image, OutputFormat, ProcessedImage, Thumbnail};
pub use sniff::{sniff, Lookalike, MediaKind};
pub use store::{BoxFuture, LocalMediaStore, MediaKey, MediaStore, StoreError};
pub use video::{check_video, ProcessedVideo};

/// What we accept. `Default` gives the values below; every field can be
/// overridden from configuration (missing fields keep their default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest image upload, in bytes. Default 10 MiB.
    pub max_image_bytes: u64,
    /// Largest width and height. Default 8,192 each.
    pub max_image_width: u32,
    pub max_image_height: u32,
    /// Largest area. Default 40 megapixels: every current phone camera's
    /// full-resolution photo fits (48 MP sensors save 12 MP by default);
    /// decoding one needs about 160 MB, which is what this bounds.
    pub max_image_pixels: u64,
    /// Largest total area across all frames of an animated GIF. Default
    /// 100 megapixels (about 100 MB while rewriting).
    pub max_animation_pixels: u64,
    /// Largest video upload, in bytes. Default 100 MiB.
    pub max_video_bytes: u64,
    /// Thumbnails fit in a square of this many pixels. Default 400.
    pub thumbnail_size: u32,
    /// JPEG quality (1-100) for re-encoded photos. Default 85: visually
    /// lossless for photos at about a third of quality 95's size.
    pub jpeg_quality: u8,
    /// JPEG quality for thumbnails. Default 80.
    pub thumbnail_jpeg_quality: u8,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_image_bytes: 10 * 1024 * 1024,
            max_image_width: 8192,
            max_image_height: 8192,
            max_image_pixels: 40_000_000,
            max_animation_pixels: 100_000_000,
            max_video_bytes: 100 * 1024 * 1024,
            thumbnail_size: 400,
            jpeg_quality: 85,
            thumbnail_jpeg_quality: 80,
        }
    }
}

impl Limits {
    /// The largest request body the web layer should accept for an upload
    /// (the bigger of the two byte limits plus room for multipart framing),
    /// so oversized uploads are cut off before they are buffered.
    pub fn max_upload_body(&self) -> u64 {
        self.max_image_bytes
            .max(self.max_video_bytes)
            .saturating_add(64 * 1024)
    }
}

/// Lower-case hex SHA-256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
