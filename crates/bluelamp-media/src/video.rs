//! Videos are evidence: we keep the bytes exactly as uploaded. What we do
//! check is that the container really is what we will serve it as, and that
//! its structure is whole, so a cut-short upload is refused now rather than
//! discovered later as an unplayable file.

use serde::Serialize;

use crate::{
    error::MediaError,
    sha256_hex,
    sniff::{be_u32, ebml_header, ebml_unknown_size, ebml_vint, lookalike, sniff, MediaKind},
    Limits,
};

/// A checked video. The bytes themselves are the caller's, unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessedVideo {
    pub kind: MediaKind,
    pub content_type: &'static str,
    /// A conventional extension for the kind, without the dot.
    pub extension: &'static str,
    pub len: u64,
    /// SHA-256 (lower-case hex) of the bytes as uploaded, which are also the
    /// bytes to store.
    pub sha256: String,
}

/// Check an uploaded video's type by content, its size and its container
/// structure, and hash it. Cheap apart from the hash (about 0.3 s per
/// 100 MB); still best called from `spawn_blocking`.
pub fn check_video(bytes: &[u8], limits: &Limits) -> Result<ProcessedVideo, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let len = bytes.len() as u64;
    if len > limits.max_video_bytes {
        return Err(MediaError::TooManyBytes {
            what: "video",
            size: len,
            max: limits.max_video_bytes,
        });
    }
    let kind = match sniff(bytes) {
        Some(kind) if kind.is_video() => kind,
        _ => {
            return Err(MediaError::NotAVideo {
                looks_like: lookalike(bytes),
            })
        }
    };
    let whole = match kind {
        MediaKind::WebM | MediaKind::Matroska => ebml_whole(bytes),
        _ => bmff_whole(bytes),
    };
    whole.map_err(|detail| MediaError::VideoIncomplete { kind, detail })?;
    Ok(ProcessedVideo {
        kind,
        content_type: kind.content_type(),
        extension: kind.extension(),
        len,
        sha256: sha256_hex(bytes),
    })
}

/// MP4/MOV: the top-level boxes must chain exactly to the end of the file,
/// and a `moov` box (the index a player needs) must be among them. A phone
/// writes `moov` last, so a recording that was interrupted lacks it.
fn bmff_whole(bytes: &[u8]) -> Result<(), String> {
    let n = bytes.len() as u64;
    let mut pos: u64 = 0;
    let mut has_moov = false;
    while pos < n {
        let at = usize::try_from(pos).map_err(|e| e.to_string())?;
        let size32 = be_u32(bytes, at).ok_or("ends inside a box header")?;
        let kind = bytes
            .get(at + 4..at + 8)
            .ok_or("ends inside a box header")?;
        let size = match size32 {
            // Box runs to the end of the file.
            0 => n - pos,
            // 64-bit size follows the type.
            1 => {
                let hi = be_u32(bytes, at + 8).ok_or("ends inside a box header")?;
                let lo = be_u32(bytes, at + 12).ok_or("ends inside a box header")?;
                (u64::from(hi) << 32) | u64::from(lo)
            }
            s => u64::from(s),
        };
        let header = if size32 == 1 { 16 } else { 8 };
        if size < header {
            return Err(format!("box at {pos} has impossible size {size}"));
        }
        if kind == b"moov" {
            has_moov = true;
        }
        pos = pos
            .checked_add(size)
            .filter(|end| *end <= n)
            .ok_or_else(|| {
                format!(
                    "box {} at {pos} needs {size} bytes, {} remain",
                    String::from_utf8_lossy(kind),
                    n - pos
                )
            })?;
    }
    if has_moov {
        Ok(())
    } else {
        Err("no moov box (the index)".to_owned())
    }
}

const SEGMENT_ID: u64 = 0x1853_8067;

/// WebM/MKV: after the EBML header comes the Segment; if it declares its
/// size, the file must hold all of it. Live recorders (a browser's
/// MediaRecorder) write "unknown size", which we must accept.
fn ebml_whole(bytes: &[u8]) -> Result<(), String> {
    let (end, _) = ebml_header(bytes).ok_or("header is damaged or cut short")?;
    let (id, id_len) = ebml_vint(bytes, end, true).ok_or("ends after the header")?;
    if id != SEGMENT_ID {
        return Err(format!(
            "expected a Segment after the header, found {id:#x}"
        ));
    }
    let (size, size_len) =
        ebml_vint(bytes, end + id_len, false).ok_or("ends inside the Segment header")?;
    if ebml_unknown_size(size, size_len) {
        return Ok(());
    }
    let data = (end + id_len + size_len) as u64;
    let available = (bytes.len() as u64).saturating_sub(data);
    if size > available {
        return Err(format!(
            "Segment declares {size} bytes, {available} present"
        ));
    }
    Ok(())
}
