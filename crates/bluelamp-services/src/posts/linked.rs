//! Posts linked to a case, an incident or an appeal (posts.link_kind/link_ref).

use bluelamp_store::{appeals, AnyConnection};

use super::{invalid, Compose};
use crate::ServiceResult;

/// A post linked to a case is checked in the case's light: its status (so contempt
/// applies while proceedings are active), whether it is a sexual offence, and the
/// names of the people it records. The case decides, not the form.
pub(crate) async fn with_case_context(
    conn: &mut AnyConnection,
    force: bluelamp_domain::ForceId,
    link_kind: Option<&str>,
    link_ref: Option<&str>,
    compose: &mut Compose,
) -> ServiceResult<()> {
    let reference = match (link_kind, link_ref) {
        (Some("case"), Some(reference)) => reference.to_string(),
        // An appeal about a case is checked in the case's light too.
        (Some("appeal"), Some(appeal)) => {
            let found = match crate::cases::reference("link", appeal) {
                Ok(appeal) => appeals::by_reference(conn, force, &appeal).await?,
                Err(_) => None,
            };
            match found.and_then(|a| a.case_reference) {
                Some(case) => case,
                None => return Ok(()),
            }
        }
        // A reply to an inbox message staff linked to a case.
        (Some(crate::inbox::replies::LINK_KIND), Some(message)) => {
            let found = match message.parse::<i64>() {
                Ok(id) => bluelamp_store::inbox::get(conn, id).await?,
                Err(_) => None,
            };
            match found
                .filter(|m| m.force_id == force)
                .and_then(|m| m.case_reference)
            {
                Some(case) => case,
                None => return Ok(()),
            }
        }
        _ => return Ok(()),
    };
    let reference = reference.as_str();
    let Some((status, sexual, people)) =
        crate::cases::check_context(conn, force, reference).await?
    else {
        return Err(invalid(
            "link",
            format!("the force has no case with reference {reference}"),
        ));
    };
    compose.case_status = Some(status);
    compose.sexual_offence |= sexual;
    compose.case_people = people;
    Ok(())
}
