//! Who is acting: a logged-in staff user (by session or API token), or the
//! server's own command line.

use bluelamp_domain::{Action, ForceId, Role, UserId};

use crate::{ServiceError, ServiceResult};

/// The acting staff user, with the force they are working in.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user_id: Option<UserId>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The force the user works in (server administrators choose one).
    pub force_id: Option<ForceId>,
    /// API token scopes; `None` for a browser session or the CLI (all scopes).
    pub scopes: Option<Vec<String>>,
    pub ip: Option<String>,
    /// The API token this request came with, if any.
    pub token_id: Option<i64>,
    /// The account a client app's token acts as (chosen at consent); `None` for
    /// sessions and plain API tokens.
    pub app_account: Option<bluelamp_domain::AccountId>,
}

impl Staff {
    /// The operator at the server's command line: acts with full rights and is
    /// recorded in the audit trail as "cli".
    pub fn command_line() -> Staff {
        Staff {
            user_id: None,
            username: "cli".into(),
            display_name: "Server command line".into(),
            role: Role::ServerAdmin,
            force_id: None,
            scopes: None,
            ip: None,
            token_id: None,
            app_account: None,
        }
    }

    /// Refuse unless the role allows `action`.
    pub fn authorize(&self, action: Action) -> ServiceResult<()> {
        Ok(self.role.authorize(action)?)
    }

    /// Refuse unless an API token carries `scope` (sessions carry every scope).
    pub fn require_scope(&self, scope: &str) -> ServiceResult<()> {
        match &self.scopes {
            Some(scopes) if !scopes.iter().any(|s| s == scope || s == "admin") => Err(
                ServiceError::Forbidden(format!("this API token lacks the '{scope}' scope")),
            ),
            _ => Ok(()),
        }
    }

    /// The force this user acts in, checked against the one they asked for.
    /// Staff of one force never see another force's data: it answers 404, as if
    /// it did not exist.
    pub fn force_in_scope(&self, force: ForceId) -> ServiceResult<ForceId> {
        match (self.role, self.force_id) {
            (Role::ServerAdmin, _) => Ok(force),
            (_, Some(own)) if own == force => Ok(force),
            _ => Err(ServiceError::NotFound("force")),
        }
    }

    /// The force the user currently works in, or a clear request to choose one.
    pub fn current_force(&self) -> ServiceResult<ForceId> {
        self.force_id.ok_or_else(|| {
            ServiceError::Invalid(bluelamp_domain::Invalid::new(
                "force",
                "choose a force to work in first",
            ))
        })
    }

    pub fn audit_label(&self) -> String {
        self.username.clone()
    }
}
