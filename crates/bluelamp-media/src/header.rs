//! Image dimensions read straight from the file header, before any decoder
//! is involved. This is the first line against decompression bombs and it
//! does not depend on how a given decoder behaves with odd files (some read
//! well past the header, or fail with a vague error, before we could ask
//! them for a size).

use crate::sniff::{be_u32, MediaKind};

/// (width, height) as declared, or `None` if the header cannot be read
/// (the decoder will then refuse the file in its own words).
pub(crate) fn dimensions(kind: MediaKind, bytes: &[u8]) -> Option<(u32, u32)> {
    match kind {
        MediaKind::Png => {
            // Signature, then IHDR must be the first chunk.
            if bytes.get(12..16) != Some(b"IHDR".as_slice()) {
                return None;
            }
            Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
        }
        MediaKind::Gif => Some((u32::from(le_u16(bytes, 6)?), u32::from(le_u16(bytes, 8)?))),
        MediaKind::Jpeg => jpeg(bytes),
        MediaKind::WebP => webp(bytes),
        _ => None,
    }
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

/// The first start-of-frame segment (SOF0-SOF15 except DHT, JPG and DAC),
/// found by hopping over segments by their lengths.
fn jpeg(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut pos = 2;
    loop {
        if *bytes.get(pos)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(pos + 1)?;
        match marker {
            0xFF => pos += 1, // fill byte
            0x01 | 0xD0..=0xD7 => pos += 2,
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                // length(2) precision(1) height(2) width(2)
                let h = be_u16(bytes, pos + 5)?;
                let w = be_u16(bytes, pos + 7)?;
                return Some((u32::from(w), u32::from(h)));
            }
            0xD9 | 0xDA => return None,
            _ => pos += 2 + usize::from(be_u16(bytes, pos + 2)?),
        }
    }
}

fn webp(bytes: &[u8]) -> Option<(u32, u32)> {
    match bytes.get(12..16)? {
        // Extended format: 24-bit canvas width-1 and height-1.
        b"VP8X" => Some((le_u24(bytes, 24)? + 1, le_u24(bytes, 27)? + 1)),
        // Lossless: signature 0x2F, then 14 bits width-1, 14 bits height-1.
        b"VP8L" => {
            if *bytes.get(20)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        // Lossy: 3-byte frame tag, start code 9D 01 2A, 14-bit sizes.
        b"VP8 " => {
            if bytes.get(23..26)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((
                u32::from(le_u16(bytes, 26)? & 0x3FFF),
                u32::from(le_u16(bytes, 28)? & 0x3FFF),
            ))
        }
        _ => None,
    }
}
