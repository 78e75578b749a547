//! Images processed per second for a 12-megapixel (4000 x 3000) phone-style
//! JPEG carrying EXIF with GPS: the full path an upload takes (sniff, limits,
//! decode, orient, re-encode, thumbnail, two SHA-256s).
//!
//! cargo run --release -p bluelamp-media --example throughput [iterations]

use std::time::Instant;

use bluelamp_media::{process_image, Limits};
use image::{ImageEncoder, Rgb, RgbImage};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let photo = synthetic_photo(4000, 3000)?;
    println!(
        "input: 4000 x 3000 JPEG, {:.1} MB",
        photo.len() as f64 / 1_048_576.0
    );

    // One warm-up run, also to report the output.
    let out = process_image(&photo, &Limits::default())?;
    println!(
        "output: {} x {} {}, {:.1} MB; thumbnail {} x {}, {} KB",
        out.width,
        out.height,
        out.content_type,
        out.bytes.len() as f64 / 1_048_576.0,
        out.thumbnail.width,
        out.thumbnail.height,
        out.thumbnail.bytes.len() / 1024
    );

    let started = Instant::now();
    for _ in 0..iterations {
        process_image(&photo, &Limits::default())?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{iterations} images in {secs:.2} s: {:.2} images/s on one thread ({:.0} ms each)",
        f64::from(iterations) / secs,
        secs * 1000.0 / f64::from(iterations)
    );

    // Where the time goes, for anyone tuning this later.
    let t = Instant::now();
    let decoded = image::load_from_memory(&photo)?;
    let decode = t.elapsed();
    let t = Instant::now();
    let mut sink = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut sink, 85).write_image(
        decoded.as_bytes(),
        decoded.width(),
        decoded.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    let encode = t.elapsed();
    let t = Instant::now();
    let _ = decoded.thumbnail(400, 400);
    let thumb = t.elapsed();
    println!(
        "breakdown: decode {:.0} ms, JPEG encode {:.0} ms, thumbnail resize {:.0} ms",
        decode.as_secs_f64() * 1000.0,
        encode.as_secs_f64() * 1000.0,
        thumb.as_secs_f64() * 1000.0
    );

    // A 1920 x 1080 screenshot-like PNG (flat areas and text-like detail),
    // which stays PNG.
    let shot = RgbImage::from_fn(1920, 1080, |x, y| {
        if (x / 8 + y / 12) % 7 == 0 {
            Rgb([20, 20, 20])
        } else {
            Rgb([240, 240, 250 - (y / 8) as u8])
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(shot).write_to(&mut png, image::ImageFormat::Png)?;
    let png = png.into_inner();
    let t = Instant::now();
    let out = process_image(&png, &Limits::default())?;
    println!(
        "1920 x 1080 PNG screenshot ({} KB in, {} KB out as {}): {:.0} ms",
        png.len() / 1024,
        out.bytes.len() / 1024,
        out.content_type,
        t.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Smooth gradients plus pseudo-random grain, so the JPEG compresses like a
/// photo rather than like a flat test card; then an EXIF block up front.
fn synthetic_photo(w: u32, h: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut seed = 0x9E37_79B9u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 24) as i32 - 12;
        let c = |base: u32| (base as i32 + grain).clamp(0, 255) as u8;
        Rgb([
            c(x * 255 / w),
            c(y * 255 / h),
            c((x + y) * 127 / (w + h) + 64),
        ])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92).write_image(
        img.as_raw(),
        w,
        h,
        image::ExtendedColorType::Rgb8,
    )?;
    // Minimal EXIF: TIFF header and an empty IFD0, as APP1 after SOI.
    let mut app1 = vec![0xFF, 0xE1, 0x00, 0x16];
    app1.extend_from_slice(b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0");
    jpeg.splice(2..2, app1);
    Ok(jpeg)
}
