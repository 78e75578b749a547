//! Content sniffing: what a file IS, judged from its first bytes only. The
//! file name and the browser's declared type are never consulted, because
//! both are chosen by whoever sends the request.

use serde::{Deserialize, Serialize};

/// The media types we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Jpeg,
    Png,
    WebP,
    Gif,
    /// ISO base media (`ftyp` with an MP4 brand).
    Mp4,
    /// Apple QuickTime (`ftyp` brand `qt  `), what iPhones record.
    QuickTime,
    /// EBML with DocType `webm`.
    WebM,
    /// EBML with DocType `matroska`.
    Matroska,
}

impl MediaKind {
    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::WebP | Self::Gif)
    }

    pub fn is_video(self) -> bool {
        !self.is_image()
    }

    /// The MIME type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::WebP => "image/webp",
            Self::Gif => "image/gif",
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
            Self::WebM => "video/webm",
            Self::Matroska => "video/x-matroska",
        }
    }

    /// A conventional file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::WebP => "webp",
            Self::Gif => "gif",
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
            Self::WebM => "webm",
            Self::Matroska => "mkv",
        }
    }

    /// How we name it to a person ("This JPEG image could not be read").
    pub fn label(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG image",
            Self::Png => "PNG image",
            Self::WebP => "WebP image",
            Self::Gif => "GIF image",
            Self::Mp4 => "MP4 video",
            Self::QuickTime => "MOV video",
            Self::WebM => "WebM video",
            Self::Matroska => "Matroska (MKV) video",
        }
    }
}

/// What a refused file appears to be, so the message can say "it looks like
/// a PDF" instead of just "wrong type".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookalike {
    /// One of our own kinds, offered in the wrong place (a video as an image).
    Media(MediaKind),
    Pdf,
    ZipOrOffice,
    Archive,
    Heic,
    Avif,
    TiffOrRaw,
    Bmp,
    Photoshop,
    Svg,
    Html,
    Text,
    Program,
    Audio,
    Avi,
    OtherVideo,
}

impl Lookalike {
    pub fn name(self) -> &'static str {
        match self {
            Self::Media(k) => match k {
                MediaKind::Jpeg => "a JPEG image",
                MediaKind::Png => "a PNG image",
                MediaKind::WebP => "a WebP image",
                MediaKind::Gif => "a GIF image",
                MediaKind::Mp4 => "an MP4 video",
                MediaKind::QuickTime => "a MOV video",
                MediaKind::WebM => "a WebM video",
                MediaKind::Matroska => "a Matroska (MKV) video",
            },
            Self::Pdf => "a PDF",
            Self::ZipOrOffice => "a ZIP archive or an Office document",
            Self::Archive => "a compressed archive",
            Self::Heic => "a HEIC photo",
            Self::Avif => "an AVIF image",
            Self::TiffOrRaw => "a TIFF image or a camera RAW file",
            Self::Bmp => "a BMP image",
            Self::Photoshop => "a Photoshop document",
            Self::Svg => "an SVG drawing",
            Self::Html => "a web page",
            Self::Text => "a text file",
            Self::Program => "a program",
            Self::Audio => "an audio file",
            Self::Avi => "an AVI video",
            Self::OtherVideo => "a video in a format we do not accept",
        }
    }

    /// A next step for the uploader, where there is an obvious one.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::Media(k) if k.is_video() => Some("Please attach it as a video instead."),
            Self::Media(_) => Some("Please attach it as an image instead."),
            Self::Heic => Some(
                "Please export it as JPEG (on an iPhone: Settings > Camera > Formats > Most Compatible).",
            ),
            Self::Avif | Self::TiffOrRaw | Self::Bmp | Self::Photoshop | Self::Svg => {
                Some("Please export it as JPEG or PNG.")
            }
            Self::Avi | Self::OtherVideo => Some("Please export it as MP4."),
            _ => None,
        }
    }
}

/// The accepted media type of `bytes`, judged by content alone. Needs only
/// the first few hundred bytes, so it also works on a prefix of an upload.
pub fn sniff(bytes: &[u8]) -> Option<MediaKind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaKind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaKind::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(MediaKind::Gif);
    }
    if is_riff(bytes, b"WEBP") {
        // Require a real first chunk too: "RIFF....WEBP" alone is trivially forged.
        let chunk = bytes.get(12..16)?;
        return matches!(chunk, b"VP8 " | b"VP8L" | b"VP8X").then_some(MediaKind::WebP);
    }
    match ftyp(bytes) {
        Some(Brand::Video(kind)) => return Some(kind),
        Some(_) => return None,
        None => {}
    }
    if bytes.starts_with(&EBML_MAGIC) {
        return match ebml_doc_type(bytes)?.as_slice() {
            b"webm" => Some(MediaKind::WebM),
            b"matroska" => Some(MediaKind::Matroska),
            _ => None,
        };
    }
    None
}

/// Best guess at what a file we refuse actually is.
pub(crate) fn lookalike(bytes: &[u8]) -> Option<Lookalike> {
    if let Some(kind) = sniff(bytes) {
        return Some(Lookalike::Media(kind));
    }
    if let Some(brand) = ftyp(bytes) {
        return Some(match brand {
            Brand::Video(kind) => Lookalike::Media(kind),
            Brand::Heic => Lookalike::Heic,
            Brand::Avif => Lookalike::Avif,
            Brand::Audio => Lookalike::Audio,
            Brand::Unknown => Lookalike::OtherVideo,
        });
    }
    const MAGIC: &[(&[u8], Lookalike)] = &[
        (b"%PDF-", Lookalike::Pdf),
        (b"PK\x03\x04", Lookalike::ZipOrOffice),
        (b"\x1f\x8b", Lookalike::Archive),
        (b"Rar!\x1a\x07", Lookalike::Archive),
        (b"7z\xbc\xaf\x27\x1c", Lookalike::Archive),
        (b"II*\x00", Lookalike::TiffOrRaw),
        (b"MM\x00*", Lookalike::TiffOrRaw),
        (b"8BPS", Lookalike::Photoshop),
        (b"MZ", Lookalike::Program),
        (b"\x7fELF", Lookalike::Program),
        (b"ID3", Lookalike::Audio),
        (b"fLaC", Lookalike::Audio),
        (b"OggS", Lookalike::Audio),
    ];
    if let Some((_, l)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(*l);
    }
    if is_riff(bytes, b"WAVE") {
        return Some(Lookalike::Audio);
    }
    if is_riff(bytes, b"AVI ") {
        return Some(Lookalike::Avi);
    }
    if bytes.starts_with(&EBML_MAGIC) {
        return Some(Lookalike::OtherVideo);
    }
    // BMP's "BM" is only two letters, so also check the DIB header size.
    if bytes.starts_with(b"BM")
        && matches!(
            bytes.get(14..18),
            Some([12 | 40 | 52 | 56 | 108 | 124, 0, 0, 0])
        )
    {
        return Some(Lookalike::Bmp);
    }
    text_kind(bytes)
}

fn is_riff(bytes: &[u8], form: &[u8; 4]) -> bool {
    bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(form.as_slice())
}

/// Classify the start of a text file: SVG and HTML get their own names
/// because people do try to upload them as images.
fn text_kind(bytes: &[u8]) -> Option<Lookalike> {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // A multi-byte character may be cut at the 1 KB boundary; accept that.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0C'))
    {
        return None;
    }
    let lower = text.trim_start().to_ascii_lowercase();
    if lower.starts_with("<svg") || (lower.starts_with("<?xml") && lower.contains("<svg")) {
        Some(Lookalike::Svg)
    } else if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        Some(Lookalike::Html)
    } else {
        Some(Lookalike::Text)
    }
}

enum Brand {
    Video(MediaKind),
    Heic,
    Avif,
    Audio,
    Unknown,
}

/// Classify an ISO base media file by its leading `ftyp` box. HEIC, AVIF
/// and M4A share the container with MP4, so the brand is what decides.
fn ftyp(bytes: &[u8]) -> Option<Brand> {
    if bytes.get(4..8) != Some(b"ftyp".as_slice()) {
        return None;
    }
    let size = usize::try_from(be_u32(bytes, 0)?).ok()?;
    // Real ftyp boxes are a few dozen bytes; a huge one is not a media file.
    if !(16..=4096).contains(&size) {
        return None;
    }
    let major: [u8; 4] = bytes.get(8..12)?.try_into().ok()?;
    let compatible: Vec<[u8; 4]> = bytes
        .get(16..size.min(bytes.len()))
        .unwrap_or_default()
        .chunks_exact(4)
        .filter_map(|c| c.try_into().ok())
        .collect();
    if let Some(brand) = classify_brand(&major) {
        return Some(brand);
    }
    // Unknown major brand: fall back on the compatible list, but an
    // image or audio brand there still wins over a generic MP4 one.
    let mut best = Brand::Unknown;
    for b in &compatible {
        match classify_brand(b) {
            Some(Brand::Video(kind)) if matches!(best, Brand::Unknown) => best = Brand::Video(kind),
            Some(other @ (Brand::Heic | Brand::Avif | Brand::Audio)) => return Some(other),
            _ => {}
        }
    }
    Some(best)
}

fn classify_brand(brand: &[u8; 4]) -> Option<Brand> {
    Some(match brand {
        b"qt  " => Brand::Video(MediaKind::QuickTime),
        b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1"
        | b"M4V " | b"M4VH" | b"M4VP" | b"dash" | b"mmp4" | b"MSNV" | b"NDAS" | b"XAVC"
        | b"f4v " | b"3gp4" | b"3gp5" | b"3gp6" | b"3g2a" => Brand::Video(MediaKind::Mp4),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" | b"mif1"
        | b"msf1" => Brand::Heic,
        b"avif" | b"avis" => Brand::Avif,
        b"M4A " | b"M4B " | b"M4P " => Brand::Audio,
        _ => return None,
    })
}

pub(crate) fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

pub(crate) const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
const EBML_DOC_TYPE: u64 = 0x4282;

/// An EBML variable-length integer at `at`: (value, length in bytes).
/// For element IDs the marker bit is kept (`keep_marker`), as the Matroska
/// specification writes IDs that way. `None` if malformed or cut short.
pub(crate) fn ebml_vint(bytes: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & (0xFF >> len)
    };
    for i in 1..len {
        value = (value << 8) | u64::from(*bytes.get(at + i)?);
    }
    Some((value, len))
}

/// True if a size vint of `len` bytes has all value bits set: "unknown size",
/// used by live recorders (a browser's MediaRecorder writes WebM that way).
pub(crate) fn ebml_unknown_size(value: u64, len: usize) -> bool {
    value == (1u64 << (7 * len)) - 1
}

/// Where the EBML header ends, and its DocType (`matroska` if absent, the
/// specification's default).
pub(crate) fn ebml_header(bytes: &[u8]) -> Option<(usize, Vec<u8>)> {
    if !bytes.starts_with(&EBML_MAGIC) {
        return None;
    }
    let (size, size_len) = ebml_vint(bytes, 4, false)?;
    let start = 4 + size_len;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    if end > bytes.len() || ebml_unknown_size(size, size_len) {
        return None;
    }
    let mut doc_type = b"matroska".to_vec();
    let mut pos = start;
    while pos < end {
        let (id, id_len) = ebml_vint(bytes, pos, true)?;
        let (len, len_len) = ebml_vint(bytes, pos + id_len, false)?;
        let data = pos + id_len + len_len;
        let data_end = data.checked_add(usize::try_from(len).ok()?)?;
        if data_end > end {
            return None;
        }
        if id == EBML_DOC_TYPE {
            let mut value = bytes.get(data..data_end)?.to_vec();
            // Strings may be padded with NULs.
            while value.last() == Some(&0) {
                value.pop();
            }
            doc_type = value;
        }
        pos = data_end;
    }
    Some((end, doc_type))
}

fn ebml_doc_type(bytes: &[u8]) -> Option<Vec<u8>> {
    ebml_header(bytes).map(|(_, doc_type)| doc_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_by_magic() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(MediaKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(MediaKind::Png));
        assert_eq!(sniff(b"GIF89a.."), Some(MediaKind::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8L...."), Some(MediaKind::WebP));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPJUNK"), None);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
    }

    #[test]
    fn nothing_panics_on_short_or_odd_input() {
        for len in 0..64 {
            let all_ff = vec![0xFFu8; len];
            let _ = (sniff(&all_ff), lookalike(&all_ff));
            let mut ebml = EBML_MAGIC.to_vec();
            ebml.extend(std::iter::repeat_n(0x01, len));
            let _ = (sniff(&ebml), lookalike(&ebml));
            let mut ftyp = b"\0\0\0\x20ftyp".to_vec();
            ftyp.extend(std::iter::repeat_n(b'a', len));
            let _ = (sniff(&ftyp), lookalike(&ftyp));
        }
    }

    #[test]
    fn heic_and_m4a_are_not_mp4() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(sniff(heic), None);
        assert_eq!(lookalike(heic), Some(Lookalike::Heic));
        let m4a = b"\0\0\0\x18ftypM4A \0\0\0\0M4A isom";
        assert_eq!(lookalike(m4a), Some(Lookalike::Audio));
        let odd = b"\0\0\0\x18ftypabcd\0\0\0\0isommp41";
        assert_eq!(sniff(odd), Some(MediaKind::Mp4));
    }

    #[test]
    fn text_files_are_named() {
        assert_eq!(lookalike(b"Hello, this is a note"), Some(Lookalike::Text));
        assert_eq!(
            lookalike(b"  <?xml version=\"1.0\"?><svg xmlns=..."),
            Some(Lookalike::Svg)
        );
        assert_eq!(lookalike(b"<!DOCTYPE html><html>"), Some(Lookalike::Html));
        assert_eq!(lookalike(b"%PDF-1.7\n"), Some(Lookalike::Pdf));
        assert_eq!(lookalike(&[0u8, 1, 2, 3]), None);
    }
}
