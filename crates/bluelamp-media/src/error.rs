//! The error type. Every message is written for the person who uploaded the
//! file: it says what was wrong in plain words and, where we can, what to do.
//! Technical detail for the log is kept in separate fields, never in the
//! message, so nothing internal leaks to the browser.

use crate::sniff::{Lookalike, MediaKind};

/// Why an upload was refused or could not be processed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Zero bytes: usually a failed upload or an empty file picked by mistake.
    #[error("The file is empty; please choose the file again.")]
    Empty,

    /// Over the byte limit for its kind ("image" or "video").
    #[error("This {what} is {}; the most we accept is {}.", megabytes(*size), megabytes(*max))]
    TooManyBytes {
        what: &'static str,
        size: u64,
        max: u64,
    },

    /// Width or height over the limit, read from the header before decoding.
    #[error(
        "This image is {} x {} pixels; the most we accept is {} x {}.",
        thousands(u64::from(*width)),
        thousands(u64::from(*height)),
        thousands(u64::from(*max_width)),
        thousands(u64::from(*max_height))
    )]
    DimensionsTooLarge {
        width: u32,
        height: u32,
        max_width: u32,
        max_height: u32,
    },

    /// Each side is within limits but the area is not.
    #[error(
        "This image is {} x {} pixels ({} megapixels); the most we accept is {} megapixels.",
        thousands(u64::from(*width)),
        thousands(u64::from(*height)),
        megapixels_up(u64::from(*width) * u64::from(*height)),
        megapixels_down(*max_pixels)
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },

    /// An animated GIF whose frames together are too much to process.
    #[error(
        "This animated GIF is too long or too large to process (over {} megapixels across its frames); please shorten it or convert it to a video.",
        megapixels_down(*max_pixels)
    )]
    AnimationTooLarge { max_pixels: u64 },

    /// The content is not one of the image types we accept.
    #[error(
        "This file is not a JPEG, PNG, WebP or GIF image{}.{}",
        looks_like_phrase(looks_like),
        hint(looks_like)
    )]
    NotAnImage { looks_like: Option<Lookalike> },

    /// The content is not one of the video types we accept.
    #[error(
        "This file is not an MP4, MOV or WebM video{}.{}",
        looks_like_phrase(looks_like),
        hint(looks_like)
    )]
    NotAVideo { looks_like: Option<Lookalike> },

    /// The type is right but the content is damaged or cut short. `detail`
    /// is for the log only.
    #[error("This {} could not be read; it may be damaged or incomplete. Please export or save it again and retry.", kind.label())]
    Unreadable { kind: MediaKind, detail: String },

    /// A video container whose structure ends early or lacks its index:
    /// typically an upload cut short or a recording that was interrupted.
    #[error("This {} is incomplete (the upload may have been cut short, or the recording was interrupted), so it cannot be played. Please upload the original file again.", kind.label())]
    VideoIncomplete { kind: MediaKind, detail: String },

    /// Our own failure (an encoder error); not the uploader's fault.
    #[error("We could not process this image; please try again, or use a different file.")]
    Internal { detail: String },
}

impl MediaError {
    /// Technical detail for logs, where there is any beyond the message.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Unreadable { detail, .. }
            | Self::VideoIncomplete { detail, .. }
            | Self::Internal { detail } => Some(detail),
            _ => None,
        }
    }

    /// True when the fault lies with the upload (answer 4xx), false when it
    /// is ours (answer 5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Internal { .. })
    }
}

fn looks_like_phrase(l: &Option<Lookalike>) -> String {
    match l {
        Some(l) => format!(" (it looks like {})", l.name()),
        None => " (we could not recognise its type)".to_owned(),
    }
}

fn hint(l: &Option<Lookalike>) -> String {
    match l.and_then(|l| l.hint()) {
        Some(h) => format!(" {h}"),
        None => String::new(),
    }
}

/// 12000 -> "12,000": people read limits, so group the digits.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Sizes in binary megabytes labelled "MB", which is what Windows Explorer
/// shows, so the figure matches what the uploader sees on their PC. Rounded
/// UP to one decimal so a file just over the limit never displays as equal
/// to it ("10.1 MB; the most we accept is 10 MB", not "10 MB ... 10 MB").
pub(crate) fn megabytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes < MIB {
        return format!("{} KB", thousands(bytes.div_ceil(1024)));
    }
    let tenths = bytes.saturating_mul(10).div_ceil(MIB);
    format!("{} MB", one_decimal(tenths))
}

/// Megapixels of an offending image, rounded up (so 40,000,001 pixels shows
/// as 40.1, not as the 40 limit).
fn megapixels_up(pixels: u64) -> String {
    one_decimal(pixels.div_ceil(100_000))
}

/// Megapixels of a limit, rounded down (never promise more than we take).
fn megapixels_down(pixels: u64) -> String {
    one_decimal(pixels / 100_000)
}

/// 124 tenths -> "12.4"; 100 -> "10".
fn one_decimal(tenths: u64) -> String {
    let whole = thousands(tenths / 10);
    match tenths % 10 {
        0 => whole,
        d => format!("{whole}.{d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(8192), "8,192");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(megabytes(10 * 1024 * 1024), "10 MB");
        assert_eq!(megabytes(10 * 1024 * 1024 + 1), "10.1 MB");
        assert_eq!(megabytes(500), "1 KB");
        assert_eq!(megapixels_up(40_000_001), "40.1");
        assert_eq!(megapixels_up(49_000_000), "49");
        assert_eq!(megapixels_down(40_000_000), "40");
    }

    #[test]
    fn messages_are_the_clear_ones() {
        let e = MediaError::DimensionsTooLarge {
            width: 12_000,
            height: 9_000,
            max_width: 8192,
            max_height: 8192,
        };
        assert_eq!(
            e.to_string(),
            "This image is 12,000 x 9,000 pixels; the most we accept is 8,192 x 8,192."
        );
        let e = MediaError::NotAnImage {
            looks_like: Some(Lookalike::Pdf),
        };
        assert_eq!(
            e.to_string(),
            "This file is not a JPEG, PNG, WebP or GIF image (it looks like a PDF)."
        );
        let e = MediaError::TooManyBytes {
            what: "image",
            size: 12 * 1024 * 1024 + 400 * 1024,
            max: 10 * 1024 * 1024,
        };
        assert_eq!(
            e.to_string(),
            "This image is 12.4 MB; the most we accept is 10 MB."
        );
    }
}
