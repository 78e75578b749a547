#![allow(clippy::unwrap_used)]

use bluelamp_media::{check_video, sniff, Limits, MediaError, MediaKind};

/// An ISO BMFF box: 32-bit big-endian size (including the 8-byte header),
/// four-character type, payload.
fn bmff_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = u32::try_from(payload.len() + 8)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(payload);
    b
}

/// ftyp (major brand, minor version 0x200, compatible brands), an empty
/// moov, and an mdat holding some stand-in media bytes.
fn mp4(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut ftyp = major.to_vec();
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    for c in compatible {
        ftyp.extend_from_slice(*c);
    }
    let mut file = bmff_box(b"ftyp", &ftyp);
    file.extend(bmff_box(b"moov", &bmff_box(b"mvhd", &[0; 100])));
    file.extend(bmff_box(b"mdat", &[0x55; 4000]));
    file
}

/// An EBML header with the given DocType, then a Segment. `segment_size`
/// `None` writes the "unknown size" that live recorders use.
fn ebml(doc_type: &str, segment_size: Option<u64>, payload_len: usize) -> Vec<u8> {
    let mut header = Vec::new();
    header.extend_from_slice(&[0x42, 0x86, 0x81, 0x01]); // EBMLVersion 1
    header.extend_from_slice(&[0x42, 0xF7, 0x81, 0x01]); // EBMLReadVersion 1
    header.extend_from_slice(&[0x42, 0xF2, 0x81, 0x04]); // EBMLMaxIDLength 4
    header.extend_from_slice(&[0x42, 0xF3, 0x81, 0x08]); // EBMLMaxSizeLength 8
    header.extend_from_slice(&[0x42, 0x82, 0x80 | doc_type.len() as u8]); // DocType
    header.extend_from_slice(doc_type.as_bytes());
    header.extend_from_slice(&[0x42, 0x87, 0x81, 0x04]); // DocTypeVersion 4
    header.extend_from_slice(&[0x42, 0x85, 0x81, 0x02]); // DocTypeReadVersion 2
    let mut file = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80 | header.len() as u8];
    file.extend(header);
    file.extend_from_slice(&[0x18, 0x53, 0x80, 0x67]); // Segment
    match segment_size {
        // 8-byte size vint: marker 0x01 then 7 bytes of value.
        Some(size) => {
            file.push(0x01);
            file.extend_from_slice(&size.to_be_bytes()[1..]);
        }
        None => file.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
    }
    file.extend(std::iter::repeat_n(0xEC, payload_len));
    file
}

#[test]
fn mp4_and_mov_are_recognised_and_kept() {
    let file = mp4(b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]);
    assert_eq!(sniff(&file), Some(MediaKind::Mp4));
    let v = check_video(&file, &Limits::default()).unwrap();
    assert_eq!(v.kind, MediaKind::Mp4);
    assert_eq!(v.content_type, "video/mp4");
    assert_eq!(v.extension, "mp4");
    assert_eq!(v.len, file.len() as u64);
    use sha2::Digest;
    assert_eq!(v.sha256, hex::encode(sha2::Sha256::digest(&file)));

    let mov = mp4(b"qt  ", &[b"qt  "]);
    let v = check_video(&mov, &Limits::default()).unwrap();
    assert_eq!(
        (v.kind, v.content_type),
        (MediaKind::QuickTime, "video/quicktime")
    );
}

#[test]
fn webm_and_mkv_are_recognised() {
    let webm = ebml("webm", Some(64), 64);
    assert_eq!(sniff(&webm), Some(MediaKind::WebM));
    let v = check_video(&webm, &Limits::default()).unwrap();
    assert_eq!((v.kind, v.content_type), (MediaKind::WebM, "video/webm"));
    // A browser recording with unknown segment size is fine.
    assert!(check_video(&ebml("webm", None, 10), &Limits::default()).is_ok());
    let mkv = ebml("matroska", Some(5), 5);
    assert_eq!(
        check_video(&mkv, &Limits::default()).unwrap().kind,
        MediaKind::Matroska
    );
}

#[test]
fn cut_short_videos_are_refused() {
    let whole = mp4(b"mp42", &[b"mp42", b"isom"]);
    let err = check_video(&whole[..whole.len() - 1000], &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            MediaError::VideoIncomplete {
                kind: MediaKind::Mp4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "This MP4 video is incomplete (the upload may have been cut short, or the recording \
         was interrupted), so it cannot be played. Please upload the original file again."
    );
    // Interrupted recording: ftyp and mdat but no moov index.
    let mut no_index = bmff_box(b"ftyp", b"isom\0\0\x02\0isom");
    no_index.extend(bmff_box(b"mdat", &[1; 100]));
    assert!(matches!(
        check_video(&no_index, &Limits::default()),
        Err(MediaError::VideoIncomplete { .. })
    ));
    let webm = ebml("webm", Some(1000), 10);
    assert!(matches!(
        check_video(&webm, &Limits::default()),
        Err(MediaError::VideoIncomplete {
            kind: MediaKind::WebM,
            ..
        })
    ));
}

#[test]
fn wrong_types_are_named() {
    let pdf = b"%PDF-1.4\n...";
    assert_eq!(
        check_video(pdf, &Limits::default())
            .unwrap_err()
            .to_string(),
        "This file is not an MP4, MOV or WebM video (it looks like a PDF)."
    );
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];
    assert_eq!(
        check_video(&jpeg, &Limits::default())
            .unwrap_err()
            .to_string(),
        "This file is not an MP4, MOV or WebM video (it looks like a JPEG image). \
         Please attach it as an image instead."
    );
    let avi = b"RIFF\x00\x10\x00\x00AVI LIST";
    assert_eq!(
        check_video(avi, &Limits::default())
            .unwrap_err()
            .to_string(),
        "This file is not an MP4, MOV or WebM video (it looks like an AVI video). \
         Please export it as MP4."
    );
    // An EBML file that is neither WebM nor Matroska.
    assert!(matches!(
        check_video(&ebml("other", Some(1), 1), &Limits::default()),
        Err(MediaError::NotAVideo { .. })
    ));
}

#[test]
fn byte_limit_is_enforced() {
    let limits = Limits {
        max_video_bytes: 2000,
        ..Limits::default()
    };
    let err = check_video(&mp4(b"isom", &[b"isom"]), &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "This video is 5 KB; the most we accept is 2 KB."
    );
}

#[test]
fn odd_box_sizes_never_panic() {
    let whole = mp4(b"isom", &[b"isom"]);
    for cut in 0..whole.len().min(200) {
        let _ = check_video(&whole[..cut], &Limits::default());
    }
    // 64-bit size of u64::MAX, and size 0 ("to end of file").
    let mut huge = bmff_box(b"ftyp", b"isom\0\0\0\0isom");
    huge.extend_from_slice(&[0, 0, 0, 1]);
    huge.extend_from_slice(b"mdat");
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(check_video(&huge, &Limits::default()).is_err());
    let mut to_end = mp4(b"isom", &[b"isom"]);
    to_end.extend_from_slice(&[0, 0, 0, 0]);
    to_end.extend_from_slice(b"free");
    assert!(check_video(&to_end, &Limits::default()).is_ok());
}
