//! GIFs are rewritten frame by frame from their palette indices: the
//! animation, timing, transparency and loop count survive exactly (no
//! re-quantising, no quality loss), while comments, XMP, ICC and every other
//! extension block are dropped because we never write them.

use std::{io::Cursor, num::NonZeroU64};

use image::{DynamicImage, Rgba, RgbaImage};

use crate::{
    error::MediaError,
    images::{check_dimensions, thumbnail, OutputFormat, Thumb},
    sniff::MediaKind,
    Limits,
};

type Outcome = (OutputFormat, u32, u32, bool, Vec<u8>, Thumb);

pub(crate) fn process(bytes: &[u8], limits: &Limits) -> Result<Outcome, MediaError> {
    let unreadable = |detail: String| MediaError::Unreadable {
        kind: MediaKind::Gif,
        detail,
    };
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    // Caps any single frame's buffer: a frame may declare up to 65,535 x
    // 65,535 pixels whatever the screen size says.
    if let Some(cap) = NonZeroU64::new(limits.max_image_pixels) {
        opts.set_memory_limit(gif::MemoryLimit::Bytes(cap));
    }
    let mut decoder = opts
        .read_info(Cursor::new(bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    let (w, h) = (decoder.width(), decoder.height());
    check_dimensions(MediaKind::Gif, u32::from(w), u32::from(h), limits)?;
    let global_palette = decoder.global_palette().map(<[u8]>::to_vec);

    let mut frames: Vec<gif::Frame<'static>> = Vec::new();
    let mut total_pixels: u64 = 0;
    loop {
        let frame = match decoder.read_next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(gif::DecodingError::MemoryLimit) => {
                return Err(MediaError::AnimationTooLarge {
                    max_pixels: limits.max_animation_pixels,
                })
            }
            Err(e) => return Err(unreadable(e.to_string())),
        };
        total_pixels += u64::from(frame.width) * u64::from(frame.height);
        if total_pixels > limits.max_animation_pixels {
            return Err(MediaError::AnimationTooLarge {
                max_pixels: limits.max_animation_pixels,
            });
        }
        // Empty frames carry nothing visible (only a delay we can fold away).
        if frame.width > 0 && frame.height > 0 {
            let mut frame = frame.clone();
            // The decoder hands us rows in display order; writing the
            // interlace flag with them would scramble the picture.
            frame.interlaced = false;
            frames.push(frame);
        }
    }
    let Some(first) = frames.first() else {
        return Err(unreadable("no image frames".to_owned()));
    };
    // A frame without any palette cannot be shown; encoders reject it too.
    if global_palette.is_none() && frames.iter().any(|f| f.palette.is_none()) {
        return Err(unreadable("a frame has no colour palette".to_owned()));
    }

    let preview = first_frame(first, global_palette.as_deref(), w, h);
    let thumb = thumbnail(&preview, OutputFormat::Gif, limits)?;

    let encode_err = |e: gif::EncodingError| MediaError::Internal {
        detail: e.to_string(),
    };
    let mut out = Vec::with_capacity(bytes.len());
    {
        let mut encoder = gif::Encoder::new(
            &mut out,
            w,
            h,
            global_palette.as_deref().unwrap_or_default(),
        )
        .map_err(encode_err)?;
        // Read after the frames: the loop-count block may come anywhere
        // before them, and the decoder only knows it once it has passed it.
        encoder.set_repeat(decoder.repeat()).map_err(encode_err)?;
        for frame in &frames {
            encoder.write_frame(frame).map_err(encode_err)?;
        }
    }
    Ok((
        OutputFormat::Gif,
        u32::from(w),
        u32::from(h),
        frames.len() > 1,
        out,
        thumb,
    ))
}

/// Paint the first frame onto a transparent screen, for the thumbnail.
fn first_frame(frame: &gif::Frame<'_>, global: Option<&[u8]>, w: u16, h: u16) -> DynamicImage {
    let mut canvas = RgbaImage::new(u32::from(w), u32::from(h));
    let palette = frame.palette.as_deref().or(global).unwrap_or_default();
    let fw = usize::from(frame.width);
    for (i, &index) in frame.buffer.iter().enumerate() {
        let x = u32::from(frame.left) + (i % fw.max(1)) as u32;
        let y = u32::from(frame.top) + (i / fw.max(1)) as u32;
        if x >= u32::from(w) || y >= u32::from(h) || Some(index) == frame.transparent {
            continue;
        }
        let at = usize::from(index) * 3;
        if let Some(rgb) = palette.get(at..at + 3) {
            canvas.put_pixel(x, y, Rgba([rgb[0], rgb[1], rgb[2], u8::MAX]));
        }
    }
    DynamicImage::ImageRgba8(canvas)
}
