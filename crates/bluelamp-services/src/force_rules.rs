//! A force's governance rules: the TOML rule file a force administrator edits (own
//! numbers and addresses, places, politicians, severities, pre-election), saved as a
//! new version each time with who and when, audited in the same transaction, and the
//! compiled engine each force's checks use.
//!
//! The compiled engine is cached per force and keyed by the rules' version number as
//! read from the database on every check. A save in this process replaces the entry
//! at once; a save in another process (a second server on the same PostgreSQL, or
//! the CLI) is seen on the next check, because the version read no longer matches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bluelamp_domain::{Action, ForceId, Invalid};
use bluelamp_governance::learned::Learned;
use bluelamp_governance::{Draft, Engine, NoDuplicates, Report, RuleFileError};
use bluelamp_store::force_rules::{self, RulesVersion};
use bluelamp_store::{audit, forces, AnyConnection, Store, StoreError};
use serde::Serialize;
use serde_json::json;

use crate::auth::entry;
use crate::{ServiceError, ServiceResult, Staff};

/// The largest rule file accepted. Real ones are a few kilobytes; this bounds the
/// work of compiling a force's term lists.
pub const MAX_RULES_BYTES: usize = 256 * 1024;

/// The governance engine for each force, compiled once per rules version.
pub struct ForceEngines {
    builtin: Arc<Engine>,
    /// A model given at start instead of the built-in one, applied to every force.
    model: Option<Arc<Learned>>,
    /// The rules alone, no model at all (see [`ForceEngines::rules_only`]).
    rules_only: bool,
    compiled: Mutex<HashMap<ForceId, (i64, Arc<Engine>)>>,
}

impl Default for ForceEngines {
    fn default() -> Self {
        ForceEngines {
            builtin: Arc::new(Engine::builtin()),
            model: None,
            rules_only: false,
            compiled: Mutex::new(HashMap::new()),
        }
    }
}

impl ForceEngines {
    /// The engines a server starts with: the built-in rules and either the built-in
    /// model or the weights file given. Anything wrong with either is an error here,
    /// at start, never a check that quietly runs without its model.
    pub fn load(model_file: Option<&[u8]>) -> Result<ForceEngines, String> {
        let engine = Engine::try_builtin().map_err(|e| e.to_string())?;
        let model = match model_file {
            Some(bytes) => Some(Arc::new(
                Learned::from_bytes(bytes).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        let builtin = match &model {
            Some(m) => engine.with_model(Arc::clone(m)),
            None => engine,
        };
        Ok(ForceEngines {
            builtin: Arc::new(builtin),
            model,
            rules_only: false,
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// The deterministic rules alone, for every force. The end-to-end tests of what the
    /// platform does with a decision use it, so that their fixtures do not move when
    /// the model is retrained; the model's judgement is measured on the blind split.
    pub fn rules_only() -> ForceEngines {
        ForceEngines {
            builtin: Arc::new(Engine::builtin().rules_only()),
            model: None,
            rules_only: true,
            compiled: Mutex::new(HashMap::new()),
        }
    }

    /// A force's freshly compiled engine with this server's choice of model.
    fn finish(&self, engine: Engine) -> Engine {
        match (&self.model, self.rules_only) {
            (_, true) => engine.rules_only(),
            (Some(model), false) => engine.with_model(Arc::clone(model)),
            (None, false) => engine,
        }
    }

    /// The built-in rules alone (a caller outside any force).
    pub fn builtin(&self) -> Arc<Engine> {
        Arc::clone(&self.builtin)
    }

    /// The engine for the force's rules as the database has them now.
    pub async fn for_force(
        &self,
        conn: &mut AnyConnection,
        force: ForceId,
    ) -> ServiceResult<Arc<Engine>> {
        let Some(version) = force_rules::current_version(conn, force).await? else {
            return Ok(self.builtin());
        };
        if let Some(engine) = self.cached(force, version) {
            return Ok(engine);
        }
        let saved = force_rules::get(conn, force, version).await?;
        let engine = Engine::with_force_rules(&saved.rules).map_err(|error| {
            // Only possible if a later release removed a rule id the file names:
            // refuse to check with rules that are not the force's, and say why.
            tracing::error!(force.id = %force, rules.version = version, error = %error,
                "force {force}'s rules version {version} no longer load: {error}");
            ServiceError::Conflict(format!(
                "The force's governance rules (version {version}) no longer load: {error}. \
                 A force administrator must correct them on the rules page before posts can be checked."
            ))
        })?;
        let engine = Arc::new(self.finish(engine));
        self.remember(force, version, Arc::clone(&engine));
        Ok(engine)
    }

    fn cached(&self, force: ForceId, version: i64) -> Option<Arc<Engine>> {
        let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled
            .get(&force)
            .filter(|(cached, _)| *cached == version)
            .map(|(_, engine)| Arc::clone(engine))
    }

    fn remember(&self, force: ForceId, version: i64, engine: Arc<Engine>) {
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        // Never let a slower reader put back an older version than one already kept.
        if compiled
            .get(&force)
            .is_none_or(|(kept, _)| *kept <= version)
        {
            compiled.insert(force, (version, engine));
        }
    }
}

/// The rules page and `GET /api/v1/forces/{code}/rules`: the version in force, its
/// text, and who saved each version when.
#[derive(Debug, Clone, Serialize)]
pub struct RulesView {
    pub force: String,
    /// `None` while the force uses the built-in rules alone.
    pub version: Option<i64>,
    pub rules: String,
    pub saved_by: Option<String>,
    pub saved_at: Option<String>,
    pub history: Vec<RulesVersion>,
}

/// Why a save was refused: the file itself (with line and field), or anything else.
#[derive(Debug, thiserror::Error)]
pub enum SaveRulesError {
    #[error("{0}")]
    Rules(RuleFileError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SaveRulesError {
    fn from(error: StoreError) -> Self {
        SaveRulesError::Service(error.into())
    }
}

/// The force named by `code`, or the caller's current force when `None`. Another
/// force's code answers 404, as if it did not exist.
async fn force_for(
    conn: &mut AnyConnection,
    staff: &Staff,
    code: Option<&str>,
) -> ServiceResult<forces::Force> {
    match code {
        Some(code) => {
            let force = forces::by_code(conn, code).await?;
            staff.force_in_scope(force.id)?;
            Ok(force)
        }
        None => Ok(forces::get(conn, staff.current_force()?).await?),
    }
}

/// The force's rules as they stand, for any of its staff who may see its accounts.
pub async fn view(store: &Store, staff: &Staff, code: Option<&str>) -> ServiceResult<RulesView> {
    staff.authorize(Action::ViewAccounts)?;
    staff.require_scope("read")?;
    let mut conn = store.read().await?;
    let force = force_for(&mut conn, staff, code).await?;
    let current = match force_rules::current_version(&mut conn, force.id).await? {
        Some(version) => Some(force_rules::get(&mut conn, force.id, version).await?),
        None => None,
    };
    let history = force_rules::history(&mut conn, force.id).await?;
    Ok(RulesView {
        force: force.code,
        version: current.as_ref().map(|c| c.meta.version),
        saved_by: current.as_ref().map(|c| c.meta.saved_by_label.clone()),
        saved_at: current.as_ref().map(|c| c.meta.saved_at.clone()),
        rules: current.map(|c| c.rules).unwrap_or_default(),
        history,
    })
}

/// Save a new version of the force's rules (force or server administrators). The
/// file is compiled first, so a file the engine would refuse is never stored;
/// `based_on` is the version the editor read (0 for none): if someone saved since,
/// the save answers 409 rather than silently undoing their change.
pub async fn save(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    code: Option<&str>,
    rules: &str,
    based_on: Option<i64>,
) -> Result<RulesVersion, SaveRulesError> {
    staff.authorize(Action::ConfigureForce)?;
    staff.require_scope("admin")?;
    if rules.len() > MAX_RULES_BYTES {
        return Err(ServiceError::Invalid(Invalid::new(
            "rules",
            format!("is longer than {} KiB", MAX_RULES_BYTES / 1024),
        ))
        .into());
    }
    let engine = Engine::with_force_rules(rules).map_err(SaveRulesError::Rules)?;
    let mut tx = store.write().await?;
    let force = force_for(&mut tx, staff, code).await?;
    let current = force_rules::current_version(&mut tx, force.id).await?;
    if let Some(read) = based_on {
        if read != current.unwrap_or(0) {
            return Err(ServiceError::Conflict(format!(
                "The force's rules were changed (now version {}) since you read version {read}. \
                 Reload them, reapply your change and save again.",
                current.unwrap_or(0)
            ))
            .into());
        }
    }
    let saved = force_rules::insert(
        &mut tx,
        force.id,
        rules,
        staff.user_id,
        &staff.audit_label(),
    )
    .await?;
    let mut draft = entry(staff, "force.rules", "force", force.id.0);
    draft.force_id = Some(force.id);
    draft.before = Some(json!({ "version": current }).to_string());
    draft.after = Some(json!({ "version": saved.version, "rules": rules }).to_string());
    audit::append(&mut tx, draft).await?;
    tx.commit().await?;
    engines.remember(force.id, saved.version, Arc::new(engines.finish(engine)));
    tracing::info!(force.id = %force.id, rules.version = saved.version,
        "force {} saved governance rules version {}", force.code, saved.version);
    Ok(saved)
}

/// `POST /api/v1/check` for a staff caller: the draft checked with their force's
/// rules, and its pre-election period applied whatever the draft's context says.
pub async fn check_draft(
    store: &Store,
    engines: &ForceEngines,
    staff: &Staff,
    mut draft: Draft,
) -> ServiceResult<Report> {
    let Some(force_id) = staff.force_id else {
        return Ok(engines.builtin.check(&draft, &NoDuplicates));
    };
    let mut conn = store.read().await?;
    let force = forces::get(&mut conn, force_id).await?;
    let engine = engines.for_force(&mut conn, force_id).await?;
    drop(conn);
    draft.context.pre_election |= force.settings.pre_election;
    Ok(engine.check(&draft, &NoDuplicates))
}
