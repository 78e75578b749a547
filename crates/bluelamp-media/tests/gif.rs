#![allow(clippy::unwrap_used)]

mod common;

use bluelamp_media::{process_image, Limits, MediaError, OutputFormat};
use common::contains;

/// A 2-frame, infinitely looping 8x8 GIF with a transparent colour, plus a
/// comment extension (0x21 0xFE) inserted by hand before the trailer.
fn animated_gif_with_comment() -> Vec<u8> {
    // Palette: transparent-slot black, red, green, blue.
    let palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255];
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, 8, 8, &palette).unwrap();
        enc.set_repeat(gif::Repeat::Infinite).unwrap();
        for colour in [1u8, 2] {
            let mut buffer = vec![colour; 64];
            buffer[0] = 0; // top-left pixel transparent
            enc.write_frame(&gif::Frame {
                width: 8,
                height: 8,
                delay: 50,
                transparent: Some(0),
                buffer: buffer.into(),
                ..gif::Frame::default()
            })
            .unwrap();
        }
    }
    assert_eq!(out.pop(), Some(0x3B)); // trailer
    let text = b"Suspect seen at 4 Mill Lane";
    out.extend_from_slice(&[0x21, 0xFE, text.len() as u8]);
    out.extend_from_slice(text);
    out.extend_from_slice(&[0x00, 0x3B]); // block terminator, trailer
    out
}

#[test]
fn animated_gif_keeps_its_frames_and_loses_its_comment() {
    let input = animated_gif_with_comment();
    assert!(contains(&input, b"Mill Lane"));
    let out = process_image(&input, &Limits::default()).unwrap();
    assert_eq!(out.format, OutputFormat::Gif);
    assert_eq!(out.content_type, "image/gif");
    assert!(out.animated);
    assert_eq!((out.width, out.height), (8, 8));
    assert!(!contains(&out.bytes, b"Mill Lane"));

    // Frames, timing, transparency and looping all survive exactly.
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(out.bytes.as_slice()).unwrap();
    let mut frames = Vec::new();
    while let Some(f) = dec.read_next_frame().unwrap() {
        frames.push((f.delay, f.transparent, f.buffer.to_vec()));
    }
    assert_eq!(dec.repeat(), gif::Repeat::Infinite);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].0, 50);
    assert_eq!(frames[1].1, Some(0));
    assert_eq!(frames[1].2[1], 2);

    // Thumbnail from the first frame, transparent corner kept (so PNG).
    assert_eq!(out.thumbnail.format, OutputFormat::Png);
    let thumb = image::load_from_memory(&out.thumbnail.bytes)
        .unwrap()
        .to_rgba8();
    assert_eq!(thumb.get_pixel(0, 0)[3], 0);
    assert_eq!(thumb.get_pixel(4, 4).0, [255, 0, 0, 255]);
}

#[test]
fn gif_animation_budget_is_enforced() {
    let tight = Limits {
        max_animation_pixels: 100,
        ..Limits::default()
    };
    let err = process_image(&animated_gif_with_comment(), &tight).unwrap_err();
    assert!(
        matches!(err, MediaError::AnimationTooLarge { .. }),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("This animated GIF is too long or too large"));
}

#[test]
fn gif_with_huge_screen_is_refused_by_its_header() {
    // Logical screen 65,535 x 65,535 with no frames at all.
    let mut bytes = b"GIF89a".to_vec();
    bytes.extend_from_slice(&65_535u16.to_le_bytes());
    bytes.extend_from_slice(&65_535u16.to_le_bytes());
    bytes.extend_from_slice(&[0x00, 0x00, 0x00, 0x3B]);
    assert_eq!(
        process_image(&bytes, &Limits::default())
            .unwrap_err()
            .to_string(),
        "This image is 65,535 x 65,535 pixels; the most we accept is 8,192 x 8,192."
    );
}
