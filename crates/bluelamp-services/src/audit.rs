//! Reading, verifying and exporting the audit trail, and anchoring it outside
//! the database with signed checkpoints ([`checkpoints`]).

pub mod checkpoints;

use bluelamp_domain::audit::{chain_for_force, AuditRecord};
use bluelamp_domain::{Action, Role};
use bluelamp_store::audit::{self as store_audit, AuditFilter, Verification};
use bluelamp_store::Store;

use crate::{ServiceError, ServiceResult, Staff};

/// Entries this user may see, newest first. Staff see their own force's chain;
/// a server administrator without a chosen force sees every chain.
/// The most audit entries one page may ask for.
pub const MAX_AUDIT_PAGE: i64 = 500;

pub async fn view(
    store: &Store,
    staff: &Staff,
    mut filter: AuditFilter,
) -> ServiceResult<Vec<AuditRecord>> {
    staff.authorize(Action::ViewAudit)?;
    filter.chain = match (staff.role, staff.force_id) {
        (Role::ServerAdmin, None) => filter.chain,
        (_, force) => Some(chain_for_force(force)),
    };
    if !(1..=MAX_AUDIT_PAGE).contains(&filter.limit) {
        return Err(ServiceError::Invalid(bluelamp_domain::Invalid::new(
            "limit",
            format!("must be from 1 to {MAX_AUDIT_PAGE}"),
        )));
    }
    let mut conn = store.read().await?;
    Ok(store_audit::list(&mut conn, &filter, false).await?)
}

/// Entries for disclosure, oldest first, as JSON Lines.
pub async fn export_jsonl(
    store: &Store,
    staff: &Staff,
    mut filter: AuditFilter,
    out: &mut impl std::io::Write,
) -> ServiceResult<usize> {
    staff.authorize(Action::ExportAudit)?;
    if staff.role != Role::ServerAdmin || staff.force_id.is_some() {
        filter.chain = Some(chain_for_force(staff.force_id));
    }
    filter.limit = 0;
    let mut conn = store.read().await?;
    let records = store_audit::list(&mut conn, &filter, true).await?;
    for record in &records {
        let line = serde_json::to_string(record)
            .map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
        writeln!(out, "{line}").map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
    }
    Ok(records.len())
}

pub async fn verify(store: &Store) -> ServiceResult<Verification> {
    let mut conn = store.read().await?;
    Ok(store_audit::verify(&mut conn).await?)
}
