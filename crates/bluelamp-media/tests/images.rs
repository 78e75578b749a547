#![allow(clippy::unwrap_used)]

mod common;

use bluelamp_media::{process_image, Limits, MediaError, MediaKind, OutputFormat};
use common::*;
use image::{DynamicImage, GenericImageView, ImageEncoder, Rgba, RgbaImage};

fn limits() -> Limits {
    Limits::default()
}

fn message(e: MediaError) -> String {
    e.to_string()
}

#[test]
fn exif_gps_xmp_and_comments_are_stripped_and_orientation_applied() {
    let original = jpeg(64, 32);
    let tagged = insert_after_soi(
        &original,
        &[
            exif_app1_with_gps(),
            xmp_app1_with_gps(),
            comment("Witness lives at 12 Acacia Avenue"),
        ],
    );
    // The fixture really carries what we claim to remove.
    for needle in [&b"Exif\0\0"[..], b"GPS", b"Acacia", b"xmpmeta"] {
        assert!(contains(&tagged, needle));
    }
    assert!(jpeg_markers(&tagged).contains(&0xE1));

    let out = process_image(&tagged, &limits()).unwrap();
    assert_eq!(out.source_kind, MediaKind::Jpeg);
    assert_eq!(out.format, OutputFormat::Jpeg);
    assert_eq!(out.content_type, "image/jpeg");
    for needle in [
        &b"Exif"[..],
        b"GPS",
        b"Acacia",
        b"xmpmeta",
        b"http://ns.adobe.com",
        b"II*\0",
    ] {
        assert!(
            !contains(&out.bytes, needle),
            "{:?} survived",
            String::from_utf8_lossy(needle)
        );
    }
    // Only JFIF (APP0), tables and the frame header: no APP1..APP15, no COM.
    let markers = jpeg_markers(&out.bytes);
    assert!(
        markers
            .iter()
            .all(|m| *m == 0xE0 || !(0xE1..=0xEF).contains(m) && *m != 0xFE),
        "markers {markers:x?}"
    );

    // Orientation 6 means "rotate 90 degrees clockwise": 64x32 becomes
    // 32x64 and the red left half becomes the top half.
    assert_eq!((out.width, out.height), (32, 64));
    let decoded = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!(decoded.dimensions(), (32, 64));
    let top = decoded.get_pixel(16, 8);
    let bottom = decoded.get_pixel(16, 56);
    assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");

    // Hashes: of the upload as received and of what we store.
    assert_eq!(out.original_sha256, sha256(&tagged));
    assert_eq!(out.sha256, sha256(&out.bytes));
    assert_eq!(out.original_len, tagged.len() as u64);
    assert_ne!(out.sha256, out.original_sha256);
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn thumbnail_fits_the_square_and_never_enlarges() {
    let out = process_image(&jpeg(1200, 600), &limits()).unwrap();
    assert_eq!((out.width, out.height), (1200, 600));
    assert_eq!((out.thumbnail.width, out.thumbnail.height), (400, 200));
    assert_eq!(out.thumbnail.content_type, "image/jpeg");
    let thumb = image::load_from_memory(&out.thumbnail.bytes).unwrap();
    assert_eq!(thumb.dimensions(), (400, 200));
    assert_eq!(out.thumbnail.sha256, sha256(&out.thumbnail.bytes));

    let small = process_image(&jpeg(120, 90), &limits()).unwrap();
    assert_eq!((small.thumbnail.width, small.thumbnail.height), (120, 90));
}

#[test]
fn png_with_transparency_stays_png_without_text_chunks() {
    let mut img = RgbaImage::from_pixel(40, 30, Rgba([0, 90, 200, 255]));
    img.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
    let mut bytes = png(&DynamicImage::ImageRgba8(img));
    // Add a tEXt chunk before IEND with an address in it.
    let iend = bytes.len() - 12;
    let text = png_chunk(b"tEXt", b"Comment\0Taken at 12 Acacia Avenue");
    bytes.splice(iend..iend, text);
    assert!(png_chunk_types(&bytes).contains(&"tEXt".to_owned()));

    let out = process_image(&bytes, &limits()).unwrap();
    assert_eq!(out.format, OutputFormat::Png);
    assert_eq!(out.content_type, "image/png");
    assert!(!contains(&out.bytes, b"Acacia"));
    let types = png_chunk_types(&out.bytes);
    assert!(
        types
            .iter()
            .all(|t| matches!(t.as_str(), "IHDR" | "IDAT" | "IEND")),
        "{types:?}"
    );
    let decoded = image::load_from_memory(&out.bytes).unwrap().to_rgba8();
    assert_eq!(decoded.get_pixel(0, 0)[3], 0);
    assert_eq!(decoded.get_pixel(5, 5), &Rgba([0, 90, 200, 255]));
    assert_eq!(out.thumbnail.content_type, "image/png");
}

#[test]
fn webp_is_accepted_and_opaque_webp_becomes_jpeg() {
    let encode_webp = |img: &RgbaImage| {
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    };
    let opaque = RgbaImage::from_pixel(50, 20, Rgba([10, 120, 40, 255]));
    let out = process_image(&encode_webp(&opaque), &limits()).unwrap();
    assert_eq!(out.source_kind, MediaKind::WebP);
    assert_eq!(out.format, OutputFormat::Jpeg);
    assert_eq!((out.width, out.height), (50, 20));

    let mut clear = opaque.clone();
    clear.put_pixel(3, 3, Rgba([0, 0, 0, 0]));
    let out = process_image(&encode_webp(&clear), &limits()).unwrap();
    assert_eq!(out.format, OutputFormat::Png);
}

#[test]
fn decompression_bomb_png_is_refused_quickly_by_its_header() {
    let bomb = png_bomb(100_000, 100_000);
    assert!(bomb.len() < 100, "the bomb is {} bytes", bomb.len());
    // The exact message proves the header was read and decoding never began.
    let err = process_image(&bomb, &limits()).unwrap_err();
    assert_eq!(
        message(err),
        "This image is 100,000 x 100,000 pixels; the most we accept is 8,192 x 8,192."
    );

    // Each side within limits, the area not.
    let err = process_image(&png_bomb(8000, 8000), &limits()).unwrap_err();
    assert_eq!(
        message(err),
        "This image is 8,000 x 8,000 pixels (64 megapixels); the most we accept is 40 megapixels."
    );
}

#[test]
fn oversized_jpeg_header_is_refused_before_decoding() {
    // Patch the frame header (SOF0) of a real JPEG to claim 60,000 x 50,000.
    let mut bytes = jpeg(16, 16);
    let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bytes[sof + 5..sof + 7].copy_from_slice(&50_000u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let err = process_image(&bytes, &limits()).unwrap_err();
    assert_eq!(
        message(err),
        "This image is 60,000 x 50,000 pixels; the most we accept is 8,192 x 8,192."
    );
}

#[test]
fn too_many_bytes_is_refused_before_looking_inside() {
    let small = Limits {
        max_image_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = process_image(&vec![0xFF; 1024 * 1024 + 300 * 1024], &small).unwrap_err();
    assert_eq!(
        message(err),
        "This image is 1.3 MB; the most we accept is 1 MB."
    );
}

#[test]
fn wrong_types_are_named() {
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    assert_eq!(
        message(process_image(pdf, &limits()).unwrap_err()),
        "This file is not a JPEG, PNG, WebP or GIF image (it looks like a PDF)."
    );
    // A text file renamed to .jpg: the name never reaches us, the content does.
    let text = b"Meeting notes for Tuesday\r\nBring the leaflets.\r\n";
    assert_eq!(
        message(process_image(text, &limits()).unwrap_err()),
        "This file is not a JPEG, PNG, WebP or GIF image (it looks like a text file)."
    );
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta";
    assert_eq!(
        message(process_image(heic, &limits()).unwrap_err()),
        "This file is not a JPEG, PNG, WebP or GIF image (it looks like a HEIC photo). \
         Please export it as JPEG (on an iPhone: Settings > Camera > Formats > Most Compatible)."
    );
    let mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isommp41\0\0\0\x08moov";
    assert_eq!(
        message(process_image(mp4, &limits()).unwrap_err()),
        "This file is not a JPEG, PNG, WebP or GIF image (it looks like an MP4 video). \
         Please attach it as a video instead."
    );
    let noise = [0x00u8, 0x13, 0x37, 0x42, 0x99, 0x01];
    assert_eq!(
        message(process_image(&noise, &limits()).unwrap_err()),
        "This file is not a JPEG, PNG, WebP or GIF image (we could not recognise its type)."
    );
    assert_eq!(
        message(process_image(&[], &limits()).unwrap_err()),
        "The file is empty; please choose the file again."
    );
}

#[test]
fn truncated_jpeg_is_refused_cleanly() {
    let whole = jpeg(200, 150);
    for cut in [4, 40, whole.len() / 2, whole.len() - 1] {
        let err = process_image(&whole[..cut], &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                MediaError::Unreadable {
                    kind: MediaKind::Jpeg,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            message(err),
            "This JPEG image could not be read; it may be damaged or incomplete. \
             Please export or save it again and retry."
        );
    }
}

#[test]
fn truncated_png_is_refused_cleanly() {
    let whole = png(&DynamicImage::ImageRgb8(image::RgbImage::from_fn(
        64,
        64,
        |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, (x ^ y) as u8]),
    )));
    for cut in [9, 20, 40, whole.len() / 2, whole.len() - 13] {
        let err = process_image(&whole[..cut], &limits()).unwrap_err();
        assert!(
            matches!(
                err,
                MediaError::Unreadable {
                    kind: MediaKind::Png,
                    ..
                }
            ),
            "cut {cut}: {err:?}"
        );
    }
}

/// Deterministic mutation of valid files: whatever comes out, it must be a
/// value, never a panic or a hang.
#[test]
fn mutated_files_never_panic() {
    let samples = [
        jpeg(24, 16),
        insert_after_soi(&jpeg(16, 16), &[exif_app1_with_gps()]),
        png(&DynamicImage::ImageRgba8(RgbaImage::from_pixel(
            17,
            9,
            Rgba([1, 2, 3, 128]),
        ))),
        common_gif(),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for sample in &samples {
        for _ in 0..150 {
            let mut bytes = sample.clone();
            for _ in 0..(next() % 4 + 1) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
            if next() % 3 == 0 {
                bytes.truncate((next() as usize) % bytes.len());
            }
            let _ = process_image(&bytes, &limits());
        }
    }
}

fn common_gif() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, 4, 4, &[0, 0, 0, 255, 255, 255]).unwrap();
        enc.write_frame(&gif::Frame {
            width: 4,
            height: 4,
            buffer: vec![0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0].into(),
            ..gif::Frame::default()
        })
        .unwrap();
    }
    out
}

#[test]
fn webp_bomb_is_refused_by_its_header() {
    // RIFF container, "WEBP", an extended-format VP8X chunk: 10 bytes of
    // flags (4) and canvas width-1 and height-1 (24-bit little-endian each).
    let mut bytes = b"RIFF\x16\0\0\0WEBPVP8X\x0A\0\0\0\0\0\0\0".to_vec();
    bytes.extend_from_slice(&(16_384u32 - 1).to_le_bytes()[..3]);
    bytes.extend_from_slice(&(12_000u32 - 1).to_le_bytes()[..3]);
    assert_eq!(
        message(process_image(&bytes, &limits()).unwrap_err()),
        "This image is 16,384 x 12,000 pixels; the most we accept is 8,192 x 8,192."
    );
}
