//! Tips and evidence from the public. Anyone may answer an appeal, or write to the
//! force, with text, optional contact details (anonymity allowed) and photos or
//! videos. Originals are kept byte for byte with their SHA-256, size and type by
//! content; every view, download and export is logged (the custody log); staff
//! accept or decline each tip and may link it to a case; an evidence bundle (a zip
//! of the originals, a `sha256sum -c` manifest and the custody log) goes to court.

use crate::error::{invalid, optional_text};
use std::io::Write;

use bluelamp_domain::Action;
use bluelamp_media::{check_evidence, LocalMediaStore, MediaKey, MediaStore};
use bluelamp_store::evidence::{self as store, Custody, Evidence, NewEvidence, NewTip, Tip};
use bluelamp_store::{appeals, audit, cases, forces, Store};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

pub const MAX_TIP_CHARS: usize = 10_000;
pub const MAX_FILES: usize = 5;
pub const STATUSES: [&str; 3] = ["new", "accepted", "declined"];

/// A file as the sender's browser sent it.
pub struct IncomingFile {
    pub name: String,
    pub declared_type: String,
    pub bytes: Vec<u8>,
}

pub struct TipInput<'a> {
    pub text: &'a str,
    pub contact_name: Option<&'a str>,
    pub contact_detail: Option<&'a str>,
    /// Files already received by resumable upload: their tus upload ids (random,
    /// so one sender cannot claim another's upload by guessing).
    pub uploads: &'a [String],
}

/// What a sender is told: the tip's number, to quote if they call.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub tip_id: i64,
    pub files: usize,
}

/// A file name fit to show and to put in a zip: the last path part, printable, bounded.
pub fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Check and store one file; returns what the evidence row records.
pub async fn keep_file(
    files: &LocalMediaStore,
    limits: &bluelamp_media::Limits,
    file: IncomingFile,
) -> ServiceResult<(IncomingFile, bluelamp_media::CheckedEvidence, MediaKey)> {
    let limits = limits.clone();
    let (file, checked) = tokio::task::spawn_blocking(move || {
        let checked = check_evidence(&file.bytes, &limits);
        (file, checked)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("evidence check failed: {e}")))?;
    let checked =
        checked.map_err(|e| invalid("files", format!("{}: {e}", safe_name(&file.name))))?;
    let key = MediaKey::for_content(&checked.sha256, checked.kind.extension())
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    files
        .put(&key, &file.bytes)
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok((file, checked, key))
}

/// A tip from the public, to an appeal (`appeal` is its reference) or to the force.
/// The files are checked and stored before anything is committed, so an
/// acknowledged tip has all its evidence.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &Store,
    files: &LocalMediaStore,
    limits: &bluelamp_media::Limits,
    code: &str,
    appeal: Option<&str>,
    input: &TipInput<'_>,
    incoming: Vec<IncomingFile>,
    sender_address: Option<&str>,
) -> ServiceResult<Received> {
    let text = input.text.trim();
    if text.is_empty() {
        return Err(invalid("text", "tell us what you know"));
    }
    if text.chars().count() > MAX_TIP_CHARS {
        return Err(invalid(
            "text",
            format!("at most {MAX_TIP_CHARS} characters"),
        ));
    }
    let contact_name = optional_text("contact_name", input.contact_name, 200)?;
    let contact_detail = optional_text("contact_detail", input.contact_detail, 200)?;
    if incoming.len() + input.uploads.len() > MAX_FILES {
        return Err(invalid(
            "files",
            format!("at most {MAX_FILES} files with one message"),
        ));
    }
    let force = crate::public::force(store, code).await?;
    let appeal_id = match appeal {
        None => None,
        Some(reference) => {
            let reference = crate::cases::reference("appeal", reference)?;
            let mut conn = store.read().await?;
            let found = appeals::by_reference(&mut conn, force.id, &reference)
                .await?
                .filter(|a| a.post_id.is_some())
                .ok_or(ServiceError::NotFound("appeal"))?;
            Some(found.id)
        }
    };
    let mut kept = Vec::new();
    for file in incoming
        .into_iter()
        .filter(|f| !f.bytes.is_empty() || !f.name.is_empty())
    {
        kept.push(keep_file(files, limits, file).await?);
    }
    let address = sender_address.filter(|_| force.settings.record_tip_addresses);
    let mut tx = store.write().await?;
    let tip_id = store::insert_tip(
        &mut tx,
        &NewTip {
            force_id: force.id,
            appeal_id,
            text,
            contact_name: contact_name.as_deref(),
            contact_detail: contact_detail.as_deref(),
            sender_address: address,
        },
    )
    .await?;
    for (file, checked, key) in &kept {
        store::insert_evidence(
            &mut tx,
            &NewEvidence {
                force_id: force.id,
                tip_id: Some(tip_id),
                filename: &safe_name(&file.name),
                content_type: checked.kind.content_type(),
                declared_type: file.declared_type.get(..100).unwrap_or(&file.declared_type),
                byte_size: checked.len as i64,
                sha256: &checked.sha256,
                storage_key: key.as_str(),
            },
        )
        .await?;
    }
    for upload in input.uploads {
        let evidence = store::upload(&mut tx, upload.trim())
            .await?
            .filter(|u| u.force_id == force.id)
            .and_then(|u| u.evidence_id);
        let item = match evidence {
            Some(id) => store::evidence(&mut tx, id).await?,
            None => None,
        }
        .filter(|e| e.tip_id.is_none())
        .ok_or_else(|| {
            invalid(
                "files",
                "an upload named is unfinished, unknown or already sent",
            )
        })?;
        store::attach_evidence(&mut tx, item.id, tip_id).await?;
    }
    tx.commit().await?;
    Ok(Received {
        tip_id,
        files: kept.len() + input.uploads.len(),
    })
}

/// A tip with its evidence and each item's custody log.
#[derive(Debug, Clone, Serialize)]
pub struct TipView {
    pub tip: Tip,
    pub appeal_reference: Option<String>,
    pub evidence: Vec<(Evidence, Vec<Custody>)>,
}

async fn tip_in_force(
    conn: &mut bluelamp_store::AnyConnection,
    staff: &Staff,
    id: i64,
) -> ServiceResult<Tip> {
    let force = staff.current_force()?;
    store::tip(conn, id)
        .await?
        .filter(|t| t.force_id == force)
        .ok_or(ServiceError::NotFound("tip"))
}

pub async fn list(store: &Store, staff: &Staff, status: Option<&str>) -> ServiceResult<Vec<Tip>> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    if status.is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(invalid(
            "status",
            format!("one of: {}", STATUSES.join(", ")),
        ));
    }
    let force = staff.current_force()?;
    let mut conn = store.read().await?;
    Ok(store::tips(&mut conn, force, status, 500).await?)
}

/// Opening a tip shows its evidence: that is a view, and the custody log says so.
pub async fn get(store: &Store, staff: &Staff, id: i64) -> ServiceResult<TipView> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let mut tx = store.write().await?;
    let tip = tip_in_force(&mut tx, staff, id).await?;
    let items = store::evidence_of_tip(&mut tx, id).await?;
    let mut evidence = Vec::new();
    for item in items {
        store::log(
            &mut tx,
            item.id,
            "viewed",
            staff.user_id,
            &staff.audit_label(),
        )
        .await?;
        let custody = store::custody(&mut tx, item.id).await?;
        evidence.push((item, custody));
    }
    let appeal_reference = match tip.appeal_id {
        Some(a) => appeals::get(&mut tx, a).await?.map(|a| a.reference),
        None => None,
    };
    tx.commit().await?;
    Ok(TipView {
        tip,
        appeal_reference,
        evidence,
    })
}

/// Accept (optionally linking a case) or decline (with a reason) a tip.
pub async fn decide(
    store: &Store,
    staff: &Staff,
    id: i64,
    status: &str,
    reason: Option<&str>,
    case_reference: Option<&str>,
) -> ServiceResult<()> {
    staff.require_scope("write")?;
    staff.authorize(Action::ManageCases)?;
    if !matches!(status, "accepted" | "declined") {
        return Err(invalid("status", "accepted or declined"));
    }
    let reason = optional_text("reason", reason, 2_000)?;
    if status == "declined" && reason.is_none() {
        return Err(invalid(
            "reason",
            "say why the tip is declined; the reason is kept",
        ));
    }
    let mut tx = store.write().await?;
    let tip = tip_in_force(&mut tx, staff, id).await?;
    let case = match case_reference.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => {
            let reference = crate::cases::reference("case_reference", text)?;
            cases::by_reference(&mut tx, tip.force_id, &reference)
                .await?
                .ok_or_else(|| {
                    invalid(
                        "case_reference",
                        format!("the force has no case {reference}"),
                    )
                })?;
            Some(reference)
        }
    };
    store::decide_tip(
        &mut tx,
        id,
        status,
        reason.as_deref(),
        case.as_deref(),
        &staff.audit_label(),
    )
    .await?;
    let mut e = entry(staff, &format!("tip.{status}"), "tip", id);
    e.after = Some(json!({"reason": reason, "case": case}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;
    Ok(())
}

/// One item for download: its bytes' path and record. The download is logged.
pub async fn download(
    store: &Store,
    files: &LocalMediaStore,
    staff: &Staff,
    evidence_id: i64,
) -> ServiceResult<(Evidence, std::path::PathBuf)> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let mut tx = store.write().await?;
    let item = store::evidence(&mut tx, evidence_id)
        .await?
        .filter(|e| Some(e.force_id) == staff.force_id)
        .ok_or(ServiceError::NotFound("evidence"))?;
    store::log(
        &mut tx,
        item.id,
        "downloaded",
        staff.user_id,
        &staff.audit_label(),
    )
    .await?;
    tx.commit().await?;
    let key =
        MediaKey::parse(&item.storage_key).map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok((item.clone(), files.path_of(&key)))
}

/// The evidence bundle of a tip: `evidence/<n>-<name>` originals, `SHA256SUMS` (which
/// `sha256sum -c SHA256SUMS` verifies), `custody.csv` and `tip.json`. The export is
/// logged before the log is written into the bundle, so the bundle records itself.
pub async fn bundle(
    store: &Store,
    files: &LocalMediaStore,
    staff: &Staff,
    id: i64,
) -> ServiceResult<Bundle> {
    staff.require_scope("read")?;
    staff.authorize(Action::ManageCases)?;
    let mut tx = store.write().await?;
    let tip = tip_in_force(&mut tx, staff, id).await?;
    let force = forces::get(&mut tx, tip.force_id).await?;
    let items = store::evidence_of_tip(&mut tx, id).await?;
    let mut custody = Vec::new();
    for item in &items {
        store::log(
            &mut tx,
            item.id,
            "exported",
            staff.user_id,
            &staff.audit_label(),
        )
        .await?;
        custody.extend(store::custody(&mut tx, item.id).await?);
    }
    let mut e = entry(staff, "tip.exported", "tip", id);
    e.after =
        Some(json!({"items": items.iter().map(|i| &i.sha256).collect::<Vec<_>>()}).to_string());
    audit::append(&mut tx, e).await?;
    tx.commit().await?;

    let mut contents: Vec<(String, Part)> = Vec::new();
    let mut sums = String::new();
    for (n, item) in items.iter().enumerate() {
        let key = MediaKey::parse(&item.storage_key)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let name = format!("evidence/{}-{}", n + 1, safe_name(&item.filename));
        sums.push_str(&format!("{}  {name}\n", item.sha256));
        contents.push((name, Part::File(files.path_of(&key))));
    }
    let mut csv = String::from("evidence_id,action,by,at\n");
    for c in &custody {
        csv.push_str(&format!(
            "{},{},{},{}\n",
            c.evidence_id,
            c.action,
            c.user_label.replace([',', '\n'], " "),
            c.at
        ));
    }
    let record = json!({
        "force": force.name, "tip": tip.id, "received_at": tip.received_at, "text": tip.text,
        "contact_name": tip.contact_name, "contact_detail": tip.contact_detail,
        "status": tip.status, "case": tip.case_reference,
        "items": items.iter().enumerate().map(|(n, i)| json!({
            "file": format!("evidence/{}-{}", n + 1, safe_name(&i.filename)), "sha256": i.sha256,
            "bytes": i.byte_size, "type_by_content": i.content_type, "declared_type": i.declared_type,
            "received_at": i.received_at})).collect::<Vec<_>>(),
    });
    contents.push(("SHA256SUMS".into(), Part::Bytes(sums.into_bytes())));
    contents.push(("custody.csv".into(), Part::Bytes(csv.into_bytes())));
    contents.push((
        "tip.json".into(),
        Part::Bytes(serde_json::to_vec_pretty(&record).unwrap_or_default()),
    ));
    let exports = files.root().join("exports");
    tokio::task::spawn_blocking(move || zip_stored(&exports, &contents))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// An exported evidence bundle: a zip in a temporary file that is already
/// unlinked, so it disappears when closed. Evidence can be gigabytes of video,
/// so the bundle is written to disk and streamed, never held in memory.
#[derive(Debug)]
pub struct Bundle {
    pub file: std::fs::File,
    pub len: u64,
}

/// One entry of a bundle: an evidence file copied from disk, or a small text.
enum Part {
    File(std::path::PathBuf),
    Bytes(Vec<u8>),
}

fn zip_stored(dir: &std::path::Path, contents: &[(String, Part)]) -> ServiceResult<Bundle> {
    use std::io::{Seek, SeekFrom};
    let internal = |e: &dyn std::fmt::Display| ServiceError::Internal(format!("bundle: {e}"));
    std::fs::create_dir_all(dir).map_err(|e| internal(&e))?;
    let path = dir.join(format!("{}.zip", crate::auth::random_token(16)));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| internal(&e))?;
    // Unlinked at once: the open handle keeps it until the download ends, and a
    // crash leaves nothing behind.
    std::fs::remove_file(&path).map_err(|e| internal(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    for (name, part) in contents {
        let size = match part {
            Part::File(path) => std::fs::metadata(path).map_err(|e| internal(&e))?.len(),
            Part::Bytes(bytes) => bytes.len() as u64,
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= u64::from(u32::MAX));
        zip.start_file(name.as_str(), options)
            .map_err(|e| internal(&e))?;
        match part {
            Part::File(path) => {
                let mut source = std::fs::File::open(path).map_err(|e| internal(&e))?;
                std::io::copy(&mut source, &mut zip).map_err(|e| internal(&e))?;
            }
            Part::Bytes(bytes) => zip.write_all(bytes).map_err(|e| internal(&e))?,
        }
    }
    let mut file = zip.finish().map_err(|e| internal(&e))?;
    let len = file.seek(SeekFrom::End(0)).map_err(|e| internal(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| internal(&e))?;
    Ok(Bundle { file, len })
}
