//! Image processing: limits first, then decode, orient, and re-encode from
//! pixels so that nothing of the original file but its picture survives.
//!
//! Re-encoding (rather than deleting known metadata blocks) is the point:
//! EXIF, GPS, XMP, IPTC, ICC profiles, comments, maker notes and anything
//! appended after the image data are all dropped because the encoder never
//! sees them, including kinds of metadata we have never heard of.

use std::io::Cursor;

use image::{
    codecs::{
        jpeg::JpegEncoder,
        png::{CompressionType, FilterType, PngEncoder},
    },
    metadata::Orientation,
    DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader,
};
use serde::Serialize;

use crate::{
    error::MediaError,
    sha256_hex,
    sniff::{lookalike, sniff, MediaKind},
    Limits,
};

/// The format we stored an image in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Jpeg,
    Png,
    Gif,
}

impl OutputFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
        }
    }
}

/// A re-encoded, metadata-free image ready to store and serve.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    /// What the upload was, by content.
    pub source_kind: MediaKind,
    /// What we stored.
    pub format: OutputFormat,
    /// `format.content_type()`, for convenience.
    pub content_type: &'static str,
    /// Dimensions after applying the EXIF orientation (as people see it).
    pub width: u32,
    pub height: u32,
    /// True for a GIF with more than one frame (kept animated).
    pub animated: bool,
    /// The re-encoded image.
    pub bytes: Vec<u8>,
    /// SHA-256 (lower-case hex) of `bytes`.
    pub sha256: String,
    /// SHA-256 of the upload exactly as received, for the audit trail.
    pub original_sha256: String,
    /// Size of the upload as received.
    pub original_len: u64,
    pub thumbnail: Thumbnail,
}

/// A small preview that fits in `Limits::thumbnail_size` square.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub format: OutputFormat,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// Check, decode, orient and re-encode an uploaded image.
///
/// CPU-bound (hundreds of milliseconds for a phone photo): call it from
/// `tokio::task::spawn_blocking`, not on the async runtime.
pub fn process_image(bytes: &[u8], limits: &Limits) -> Result<ProcessedImage, MediaError> {
    // The codecs are third-party code fed hostile input. Should one of them
    // panic on a file nobody has tried yet, refuse that file rather than
    // take the request (or a worker thread) down with it.
    std::panic::catch_unwind(|| process_unguarded(bytes, limits)).unwrap_or_else(|_| {
        Err(MediaError::Unreadable {
            kind: sniff(bytes).unwrap_or(MediaKind::Jpeg),
            detail: "image decoder panicked".to_owned(),
        })
    })
}

fn process_unguarded(bytes: &[u8], limits: &Limits) -> Result<ProcessedImage, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let len = bytes.len() as u64;
    if len > limits.max_image_bytes {
        return Err(MediaError::TooManyBytes {
            what: "image",
            size: len,
            max: limits.max_image_bytes,
        });
    }
    let kind = match sniff(bytes) {
        Some(kind) if kind.is_image() => kind,
        _ => {
            return Err(MediaError::NotAnImage {
                looks_like: lookalike(bytes),
            })
        }
    };
    if let Some((w, h)) = crate::header::dimensions(kind, bytes) {
        check_dimensions(kind, w, h, limits)?;
    }
    let (format, width, height, animated, out, thumb) = if kind == MediaKind::Gif {
        crate::gif::process(bytes, limits)?
    } else {
        process_still(bytes, kind, limits)?
    };
    let thumbnail = Thumbnail {
        format: thumb.format,
        content_type: thumb.format.content_type(),
        width: thumb.width,
        height: thumb.height,
        sha256: sha256_hex(&thumb.bytes),
        bytes: thumb.bytes,
    };
    Ok(ProcessedImage {
        source_kind: kind,
        format,
        content_type: format.content_type(),
        width,
        height,
        animated,
        sha256: sha256_hex(&out),
        bytes: out,
        original_sha256: sha256_hex(bytes),
        original_len: len,
        thumbnail,
    })
}

/// Encoded thumbnail before hashing.
pub(crate) struct Thumb {
    pub format: OutputFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

type Outcome = (OutputFormat, u32, u32, bool, Vec<u8>, Thumb);

fn process_still(bytes: &[u8], kind: MediaKind, limits: &Limits) -> Result<Outcome, MediaError> {
    let unreadable = |e: image::ImageError| MediaError::Unreadable {
        kind,
        detail: e.to_string(),
    };
    let format = match kind {
        MediaKind::Jpeg => {
            // Our JPEG decoder is lenient and happily returns a half-grey
            // picture for a file cut short; refuse those instead.
            jpeg_complete(bytes).map_err(|detail| MediaError::Unreadable { kind, detail })?;
            ImageFormat::Jpeg
        }
        MediaKind::Png => ImageFormat::Png,
        MediaKind::WebP => ImageFormat::WebP,
        _ => {
            return Err(MediaError::Internal {
                detail: format!("process_still called for {kind:?}"),
            })
        }
    };

    // Our own header reader has normally checked the size already; the
    // decoder's view is checked again in case the two disagree. Width and
    // height limits are NOT given to the decoder yet, so an oversized image
    // reaches our check, whose message carries the actual numbers.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decode_limits(limits, false));
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (w, h) = decoder.dimensions();
    check_dimensions(kind, w, h, limits)?;
    // A broken EXIF block is no reason to refuse a photo; show it unrotated.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // Belt and braces: the decoder enforces the same limits as it allocates.
    decoder
        .set_limits(decode_limits(limits, true))
        .map_err(unreadable)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    img.apply_orientation(orientation);

    let output = if kind != MediaKind::Jpeg && has_transparency(&img) {
        // JPEG cannot carry transparency.
        OutputFormat::Png
    } else if kind == MediaKind::Png {
        // A PNG is usually a screenshot, graphic or poster with text, which
        // JPEG would smear; it already fitted the byte limit as a PNG.
        OutputFormat::Png
    } else {
        OutputFormat::Jpeg
    };
    let out = encode(&img, output, limits.jpeg_quality)?;
    let thumb = thumbnail(&img, output, limits)?;
    Ok((output, img.width(), img.height(), false, out, thumb))
}

/// Refuse by size before any pixel buffer exists. This is what stops a
/// decompression bomb: a 1 KB file may declare 100,000 x 100,000 pixels.
pub(crate) fn check_dimensions(
    kind: MediaKind,
    w: u32,
    h: u32,
    limits: &Limits,
) -> Result<(), MediaError> {
    if w > limits.max_image_width || h > limits.max_image_height {
        return Err(MediaError::DimensionsTooLarge {
            width: w,
            height: h,
            max_width: limits.max_image_width,
            max_height: limits.max_image_height,
        });
    }
    if u64::from(w) * u64::from(h) > limits.max_image_pixels {
        return Err(MediaError::TooManyPixels {
            width: w,
            height: h,
            max_pixels: limits.max_image_pixels,
        });
    }
    if w == 0 || h == 0 {
        return Err(MediaError::Unreadable {
            kind,
            detail: format!("declares {w} x {h} pixels"),
        });
    }
    Ok(())
}

fn decode_limits(limits: &Limits, with_dimensions: bool) -> image::Limits {
    let mut l = image::Limits::default();
    if with_dimensions {
        l.max_image_width = Some(limits.max_image_width);
        l.max_image_height = Some(limits.max_image_height);
    }
    // Worst case per pixel is 16-bit RGBA (8 bytes), plus decoder working
    // space; this caps memory even if a header lied about its size.
    l.max_alloc = Some(
        limits
            .max_image_pixels
            .saturating_mul(8)
            .saturating_add(64 * 1024 * 1024),
    );
    l
}

/// True if any pixel is not fully opaque. An alpha channel that is 255
/// everywhere (common in exported PNGs and WebPs) does not count.
pub(crate) fn has_transparency(img: &DynamicImage) -> bool {
    match img {
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p.0[3] < u8::MAX),
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p.0[1] < u8::MAX),
        DynamicImage::ImageRgba16(b) => b.pixels().any(|p| p.0[3] < u16::MAX),
        DynamicImage::ImageLumaA16(b) => b.pixels().any(|p| p.0[1] < u16::MAX),
        DynamicImage::ImageRgba32F(b) => b.pixels().any(|p| p.0[3] < 1.0),
        other => other.color().has_alpha(),
    }
}

pub(crate) fn encode(
    img: &DynamicImage,
    format: OutputFormat,
    jpeg_quality: u8,
) -> Result<Vec<u8>, MediaError> {
    let internal = |e: image::ImageError| MediaError::Internal {
        detail: e.to_string(),
    };
    let mut out = Vec::new();
    match format {
        OutputFormat::Jpeg => {
            // Encode 8-bit buffers in place; convert only when we must, as a
            // 12-megapixel copy is 36 MB.
            let converted;
            let (data, color) = match img {
                DynamicImage::ImageRgb8(b) => (b.as_raw().as_slice(), ExtendedColorType::Rgb8),
                DynamicImage::ImageLuma8(b) => (b.as_raw().as_slice(), ExtendedColorType::L8),
                other => {
                    converted = other.to_rgb8();
                    (converted.as_raw().as_slice(), ExtendedColorType::Rgb8)
                }
            };
            JpegEncoder::new_with_quality(&mut out, jpeg_quality.clamp(1, 100))
                .write_image(data, img.width(), img.height(), color)
                .map_err(internal)?;
        }
        OutputFormat::Png => {
            let converted;
            let (data, color) = match img {
                DynamicImage::ImageRgba8(b) => (b.as_raw().as_slice(), ExtendedColorType::Rgba8),
                DynamicImage::ImageRgb8(b) => (b.as_raw().as_slice(), ExtendedColorType::Rgb8),
                DynamicImage::ImageLuma8(b) => (b.as_raw().as_slice(), ExtendedColorType::L8),
                DynamicImage::ImageLumaA8(b) => (b.as_raw().as_slice(), ExtendedColorType::La8),
                // 16-bit and float images: 8 bits per channel is plenty
                // for the web and halves the size.
                other if other.color().has_alpha() => {
                    converted = DynamicImage::ImageRgba8(other.to_rgba8());
                    (converted.as_bytes(), ExtendedColorType::Rgba8)
                }
                other => {
                    converted = DynamicImage::ImageRgb8(other.to_rgb8());
                    (converted.as_bytes(), ExtendedColorType::Rgb8)
                }
            };
            PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
                .write_image(data, img.width(), img.height(), color)
                .map_err(internal)?;
        }
        OutputFormat::Gif => {
            return Err(MediaError::Internal {
                detail: "GIF output is written by the GIF module".to_owned(),
            })
        }
    }
    Ok(out)
}

/// Fit within the thumbnail square; never enlarge a small image.
pub(crate) fn thumbnail(
    img: &DynamicImage,
    format: OutputFormat,
    limits: &Limits,
) -> Result<Thumb, MediaError> {
    let max = limits.thumbnail_size.max(1);
    let small;
    let src = if img.width() > max || img.height() > max {
        small = img.thumbnail(max, max);
        &small
    } else {
        img
    };
    let format = match format {
        OutputFormat::Gif if has_transparency(src) => OutputFormat::Png,
        OutputFormat::Gif => OutputFormat::Jpeg,
        other => other,
    };
    Ok(Thumb {
        format,
        width: src.width(),
        height: src.height(),
        bytes: encode(src, format, limits.thumbnail_jpeg_quality)?,
    })
}

/// Walk the JPEG marker structure to its end-of-image marker. Segments are
/// skipped by their declared length (so an EOI inside an embedded EXIF
/// thumbnail does not count); in entropy-coded data a 0xFF byte is always
/// followed by 0x00 or a restart marker, so any other marker is real.
pub(crate) fn jpeg_complete(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len();
    let mut pos = 2; // after SOI
    let mut seen_scan = false;
    loop {
        // Find the next marker, tolerating junk and fill bytes before it.
        let ff = bytes
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
            .ok_or("ends before the end-of-image marker")?;
        pos += ff;
        while bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes
            .get(pos + 1)
            .ok_or("ends before the end-of-image marker")?;
        match marker {
            0xD9 if seen_scan => return Ok(()),
            0xD9 => return Err("end-of-image marker before any image data".to_owned()),
            0x00 | 0x01 | 0xD0..=0xD7 => pos += 2,
            _ => {
                let seg_len = bytes
                    .get(pos + 2..pos + 4)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .ok_or("ends inside a segment header")?;
                if seg_len < 2 {
                    return Err(format!("segment {marker:#04x} has invalid length"));
                }
                let end = pos + 2 + seg_len;
                if end > n {
                    return Err(format!("segment {marker:#04x} is cut short"));
                }
                pos = end;
                if marker == 0xDA {
                    seen_scan = true;
                    // Skip entropy-coded data up to the next real marker.
                    loop {
                        let ff = bytes
                            .get(pos..)
                            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
                            .ok_or("image data is cut short")?;
                        pos += ff;
                        match bytes.get(pos + 1) {
                            None => return Err("image data is cut short".to_owned()),
                            Some(0x00 | 0xD0..=0xD7) => pos += 2,
                            Some(_) => break,
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_walker_finds_truncation() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(32, 16, |x, y| {
            image::Rgb([(x * 8) as u8, (y * 16) as u8, 77])
        }));
        let jpeg = encode(&img, OutputFormat::Jpeg, 85).unwrap();
        assert_eq!(jpeg_complete(&jpeg), Ok(()));
        for cut in [3, 10, jpeg.len() / 2, jpeg.len() - 2] {
            assert!(jpeg_complete(&jpeg[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn opaque_alpha_is_not_transparency() {
        let opaque = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            4,
            4,
            image::Rgba([1, 2, 3, 255]),
        ));
        assert!(!has_transparency(&opaque));
        let mut see_through = opaque.to_rgba8();
        see_through.put_pixel(1, 1, image::Rgba([0, 0, 0, 0]));
        assert!(has_transparency(&DynamicImage::ImageRgba8(see_through)));
    }
}
