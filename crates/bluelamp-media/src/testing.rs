//! Test inputs built in code, so every byte a test relies on is visible: a JPEG
//! from the `image` crate and an EXIF block carrying a GPS position, spliced in as a
//! phone camera would. Used by this crate's tests and by the end-to-end tests that
//! check a published photo has lost its location.

use image::{ImageEncoder, Rgb, RgbImage};

/// A photo as a phone takes it: a JPEG with an EXIF block holding a GPS position.
pub fn photo_with_gps() -> Vec<u8> {
    insert_after_soi(&jpeg(64, 32), &[exif_app1_with_gps()])
}

/// A plain JPEG from the `image` crate: left half red, right half blue, so
/// a rotation is visible in the output.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(img.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("encoding a small in-memory JPEG cannot fail");
    out
}

/// An EXIF APP1 segment, little-endian TIFF, with Orientation = 6 (rotate
/// 90 degrees clockwise to display) and a GPS IFD placing the photo at
/// 51°30'10"N 0°7'29"W. Offsets are from the start of the TIFF header.
pub fn exif_app1_with_gps() -> Vec<u8> {
    #[rustfmt::skip]
    let mut tiff: Vec<u8> = vec![
        // TIFF header: "II" little-endian, magic 42, IFD0 at offset 8.
        0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
        // IFD0 @8: two entries.
        0x02, 0x00,
        // Orientation (0x0112), SHORT (3), count 1, value 6.
        0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
        // GPSInfo IFD pointer (0x8825), LONG (4), count 1, offset 38.
        0x25, 0x88, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00,
        // No next IFD.
        0x00, 0x00, 0x00, 0x00,
        // GPS IFD @38: four entries.
        0x04, 0x00,
        // GPSLatitudeRef (1), ASCII (2), count 2, "N\0" inline.
        0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, b'N', 0x00, 0x00, 0x00,
        // GPSLatitude (2), RATIONAL (5), count 3, data at offset 92.
        0x02, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x5C, 0x00, 0x00, 0x00,
        // GPSLongitudeRef (3), ASCII, count 2, "W\0" inline.
        0x03, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, b'W', 0x00, 0x00, 0x00,
        // GPSLongitude (4), RATIONAL, count 3, data at offset 116.
        0x04, 0x00, 0x05, 0x00, 0x03, 0x00, 0x00, 0x00, 0x74, 0x00, 0x00, 0x00,
        // No next IFD.
        0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(tiff.len(), 92);
    // Latitude @92: 51/1, 30/1, 10/1. Longitude @116: 0/1, 7/1, 29/1.
    for (num, den) in [(51u32, 1u32), (30, 1), (10, 1), (0, 1), (7, 1), (29, 1)] {
        tiff.extend_from_slice(&num.to_le_bytes());
        tiff.extend_from_slice(&den.to_le_bytes());
    }
    assert_eq!(tiff.len(), 140);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    segment(0xE1, &payload)
}

/// Marker, big-endian length (which counts itself), payload.
pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let len =
        u16::try_from(payload.len() + 2).expect("encoding a small in-memory JPEG cannot fail");
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&len.to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// Insert segments straight after SOI, where cameras put EXIF.
pub fn insert_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A minimal whole MP4: an `ftyp` (isom), a `moov` with an `mvhd`, and an `mdat`
/// of `media_bytes` stand-in bytes. Enough for the container checks; no codec
/// would play it.
pub fn mp4(media_bytes: usize) -> Vec<u8> {
    fn bmff_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let size = u32::try_from(payload.len() + 8).unwrap_or(u32::MAX);
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }
    let mut ftyp = b"isom".to_vec();
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    ftyp.extend_from_slice(b"isommp41");
    let mut file = bmff_box(b"ftyp", &ftyp);
    file.extend(bmff_box(b"moov", &bmff_box(b"mvhd", &[0; 100])));
    file.extend(bmff_box(b"mdat", &vec![0x55; media_bytes]));
    file
}
