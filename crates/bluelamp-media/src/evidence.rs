//! Evidence from the public: checked by content and bounded, but never altered.
//! Unlike a staff upload (re-encoded, metadata stripped before publishing), a
//! witness's photo is kept byte for byte with its original metadata: it may be
//! needed in court exactly as it was received.

use crate::error::MediaError;
use crate::header::dimensions;
use crate::sniff::{lookalike, sniff, MediaKind};
use crate::{sha256_hex, Limits};

/// A file that passed the checks, with what the evidence log records of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEvidence {
    pub kind: MediaKind,
    pub sha256: String,
    pub len: u64,
}

/// Check a photo or video sent as evidence: its type by content (the name and the
/// declared type are the sender's word only), its size, and an image's declared
/// dimensions read from the header, so a 50,000 × 50,000 "bomb" is refused before
/// anything would decode it. A video's container must be whole.
pub fn check_evidence(bytes: &[u8], limits: &Limits) -> Result<CheckedEvidence, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let kind = sniff(bytes).ok_or_else(|| MediaError::NotAnImage {
        looks_like: lookalike(bytes),
    })?;
    if kind.is_video() {
        let video = crate::check_video(bytes, limits)?;
        return Ok(CheckedEvidence {
            kind,
            sha256: video.sha256,
            len: video.len,
        });
    }
    let len = bytes.len() as u64;
    if len > limits.max_image_bytes {
        return Err(MediaError::TooManyBytes {
            what: "image",
            size: len,
            max: limits.max_image_bytes,
        });
    }
    check_image_header(kind, bytes, limits)?;
    Ok(CheckedEvidence {
        kind,
        sha256: sha256_hex(bytes),
        len,
    })
}

/// The first bytes of a file (at least 64 KiB when the file is that long) are
/// enough to tell its type and an image's size: what a resumable upload checks
/// before it accepts the rest.
pub fn check_evidence_start(start: &[u8], limits: &Limits) -> Result<MediaKind, MediaError> {
    let kind = sniff(start).ok_or_else(|| MediaError::NotAVideo {
        looks_like: lookalike(start),
    })?;
    if kind.is_image() {
        check_image_header(kind, start, limits)?;
    }
    Ok(kind)
}

fn check_image_header(kind: MediaKind, bytes: &[u8], limits: &Limits) -> Result<(), MediaError> {
    let (width, height) = dimensions(kind, bytes).ok_or_else(|| MediaError::Unreadable {
        kind,
        detail: "the image header gives no size".into(),
    })?;
    if width > limits.max_image_width || height > limits.max_image_height {
        return Err(MediaError::DimensionsTooLarge {
            width,
            height,
            max_width: limits.max_image_width,
            max_height: limits.max_image_height,
        });
    }
    if u64::from(width) * u64::from(height) > limits.max_image_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_image_pixels,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn a_pixel_bomb_is_refused_from_its_header() {
        let err = check_evidence(&png_header(50_000, 50_000), &Limits::default()).unwrap_err();
        assert!(
            matches!(err, MediaError::DimensionsTooLarge { width: 50_000, .. }),
            "{err}"
        );
    }

    #[test]
    fn text_pretending_to_be_a_video_is_refused() {
        let err = check_evidence(b"this is not a video at all", &Limits::default()).unwrap_err();
        assert!(err.to_string().to_lowercase().contains("not"), "{err}");
    }

    #[test]
    fn an_image_is_kept_with_its_hash() {
        let bytes = png_header(10, 10);
        let checked = check_evidence(&bytes, &Limits::default()).expect("accepted");
        assert_eq!(checked.kind, MediaKind::Png);
        assert_eq!(checked.len, bytes.len() as u64);
        assert_eq!(checked.sha256.len(), 64);
    }
}
