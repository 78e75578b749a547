//! Staff roles and what each may do. The web layer, the API and the CLI all ask
//! [`Role::authorize`], so a refusal reads the same wherever it happens.

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// What a staff user is, within their force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Officer,
    Supervisor,
    Comms,
    Analyst,
    ForceAdmin,
    /// A partner-agency user (council safeguarding, health, fire...). They only
    /// ever see what has been referred to them.
    Partner,
    /// Runs the server itself and may act in any force.
    ServerAdmin,
}

/// Something a staff user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ManageForces,
    ManageUsers,
    ManageAccounts,
    ViewAccounts,
    PublishPolicy,
    ViewAudit,
    ExportAudit,
    Post,
    ViewReferrals,
    PauseScheduling,
    /// Change the force's own settings and its governance rule file.
    ConfigureForce,
    /// Read and act on what arrives from the public (the fediverse inbox:
    /// replies, mentions, reports). Messages can carry personal data about
    /// victims and witnesses, so only the roles that answer them see them.
    HandleMessages,
    /// Read the force's internal social-media policy.
    ViewPolicy,
    /// Upload media (it is then attached to a post on an account where the
    /// uploader may post; the membership is checked by the use case).
    UploadMedia,
    /// Open and update cases, incidents and appeals, and triage the tips and
    /// evidence the public send to them.
    ManageCases,
    /// Read the force's reach, response and campaign figures.
    ViewAnalytics,
    /// Start a campaign (a hashtag and a period) or join a national one.
    ManageCampaigns,
    /// Read the national view across every force on the server.
    ViewNationalAnalytics,
}

impl Action {
    fn describe(self) -> &'static str {
        match self {
            Action::ManageForces => "manage forces",
            Action::ManageUsers => "manage staff users",
            Action::ManageAccounts => "manage public accounts and their members",
            Action::ViewAccounts => "view the force's accounts",
            Action::PublishPolicy => "publish a social-media policy",
            Action::ViewAudit => "view the audit trail",
            Action::ExportAudit => "export the audit trail",
            Action::Post => "post",
            Action::ViewReferrals => "view referrals",
            Action::PauseScheduling => "pause or resume scheduled posts",
            Action::ConfigureForce => "change the force's settings or governance rules",
            Action::HandleMessages => "read the messages sent to the force",
            Action::ViewPolicy => "read the force's internal social-media policy",
            Action::UploadMedia => "upload media",
            Action::ManageCases => "work on cases, incidents, appeals and tips",
            Action::ViewAnalytics => "read the force's reach and response figures",
            Action::ManageCampaigns => "start or join a campaign",
            Action::ViewNationalAnalytics => "read the national view across forces",
        }
    }

    fn who_can(self) -> &'static str {
        match self {
            Action::ManageForces | Action::ViewNationalAnalytics => "a server administrator",
            Action::ManageUsers | Action::ExportAudit | Action::ConfigureForce => {
                "a force administrator"
            }
            Action::ManageAccounts
            | Action::PublishPolicy
            | Action::PauseScheduling
            | Action::ManageCampaigns => "a force administrator or the comms team",
            Action::ViewAudit => "a supervisor, the comms team or a force administrator",
            Action::ViewAnalytics => {
                "a supervisor, an analyst, the comms team or a force administrator"
            }
            Action::HandleMessages | Action::ManageCases => {
                "officers, supervisors, the comms team and force administrators"
            }
            Action::ViewPolicy => "the force's own staff",
            Action::ViewAccounts | Action::Post | Action::ViewReferrals | Action::UploadMedia => {
                "your force administrator"
            }
        }
    }
}

/// Why an action was refused; shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub message: String,
}

impl Refusal {
    pub fn new(message: impl Into<String>) -> Self {
        Refusal {
            message: message.into(),
        }
    }
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Officer,
        Role::Supervisor,
        Role::Comms,
        Role::Analyst,
        Role::ForceAdmin,
        Role::Partner,
        Role::ServerAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Supervisor => "supervisor",
            Role::Comms => "comms",
            Role::Analyst => "analyst",
            Role::ForceAdmin => "force-admin",
            Role::Partner => "partner",
            Role::ServerAdmin => "server-admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role, Invalid> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "role",
                    format!(
                        "unknown role '{text}'; expected one of officer, supervisor, comms, analyst, force-admin, partner, server-admin"
                    ),
                )
            })
    }

    fn permits(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match self {
            ServerAdmin => true,
            ForceAdmin => !matches!(action, ManageForces | ViewNationalAnalytics),
            Comms => matches!(
                action,
                ManageAccounts
                    | ViewAccounts
                    | PublishPolicy
                    | ViewAudit
                    | Post
                    | ViewReferrals
                    | PauseScheduling
                    | HandleMessages
                    | ViewPolicy
                    | UploadMedia
                    | ManageCases
                    | ViewAnalytics
                    | ManageCampaigns
            ),
            Supervisor => matches!(
                action,
                ViewAccounts
                    | ViewAudit
                    | Post
                    | ViewReferrals
                    | HandleMessages
                    | ViewPolicy
                    | UploadMedia
                    | ManageCases
                    | ViewAnalytics
            ),
            Officer => matches!(
                action,
                ViewAccounts | Post | HandleMessages | ViewPolicy | UploadMedia | ManageCases
            ),
            // Analysts are the force's own staff and judge the accounts' output
            // against the policy, so they read it; they neither post nor answer
            // the public, so they see neither uploads nor the message inbox.
            Analyst => matches!(action, ViewAccounts | ViewPolicy | ViewAnalytics),
            // Partners see referrals made to them and nothing else of the force.
            Partner => matches!(action, ViewReferrals),
        }
    }

    /// May a token of this role carry `scope`? `read` for everyone; `write` for
    /// roles that may change something (post, manage accounts...); `admin` for
    /// administrators only. A token never reaches further than its holder's role,
    /// so a leaked analyst's token cannot write even where a check forgets the role.
    pub fn may_hold_scope(self, scope: &str) -> bool {
        match scope {
            "read" => true,
            "write" => !matches!(self, Role::Analyst | Role::Partner),
            "admin" => matches!(self, Role::ForceAdmin | Role::ServerAdmin),
            // A connector delivering messages from a network: set up by an administrator.
            "inbound" => matches!(self, Role::ForceAdmin | Role::ServerAdmin),
            _ => false,
        }
    }

    /// May this role do `action`? The refusal says who can.
    pub fn authorize(self, action: Action) -> Result<(), Refusal> {
        if self.permits(action) {
            Ok(())
        } else {
            Err(Refusal::new(format!(
                "Your role ({}) may not {}; this is for {}.",
                self.as_str(),
                action.describe(),
                action.who_can()
            )))
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_figures_are_for_supervisors_analysts_and_comms_and_the_national_view_for_the_server() {
        for role in [
            Role::Supervisor,
            Role::Analyst,
            Role::Comms,
            Role::ForceAdmin,
        ] {
            assert!(role.authorize(Action::ViewAnalytics).is_ok(), "{role}");
            assert!(
                role.authorize(Action::ViewNationalAnalytics).is_err(),
                "{role}"
            );
        }
        assert!(Role::Officer.authorize(Action::ViewAnalytics).is_err());
        assert!(Role::Partner.authorize(Action::ViewAnalytics).is_err());
        assert!(Role::ServerAdmin
            .authorize(Action::ViewNationalAnalytics)
            .is_ok());
        assert!(Role::Comms.authorize(Action::ManageCampaigns).is_ok());
        assert!(Role::Supervisor.authorize(Action::ManageCampaigns).is_err());
    }

    #[test]
    fn an_officer_cannot_manage_users_or_accounts() {
        let refusal = Role::Officer.authorize(Action::ManageUsers).unwrap_err();
        assert!(refusal.message.contains("officer"));
        assert!(refusal.message.contains("manage staff users"));
        assert!(Role::Officer.authorize(Action::ManageAccounts).is_err());
        assert!(Role::Officer.authorize(Action::Post).is_ok());
    }

    #[test]
    fn a_partner_sees_only_referrals() {
        for action in [
            Action::ViewAccounts,
            Action::ViewAudit,
            Action::Post,
            Action::ManageUsers,
        ] {
            assert!(Role::Partner.authorize(action).is_err(), "{action:?}");
        }
        assert!(Role::Partner.authorize(Action::ViewReferrals).is_ok());
    }

    #[test]
    fn only_the_roles_that_answer_the_public_handle_messages() {
        for role in Role::ALL {
            let expected = !matches!(role, Role::Analyst | Role::Partner);
            assert_eq!(
                role.authorize(Action::HandleMessages).is_ok(),
                expected,
                "{role}"
            );
        }
    }

    #[test]
    fn the_internal_policy_is_for_force_staff_not_partners() {
        for role in Role::ALL {
            assert_eq!(
                role.authorize(Action::ViewPolicy).is_ok(),
                role != Role::Partner,
                "{role}"
            );
        }
        assert!(Role::Analyst.authorize(Action::UploadMedia).is_err());
        assert!(Role::Partner.authorize(Action::UploadMedia).is_err());
    }

    #[test]
    fn only_the_server_admin_manages_forces() {
        for role in Role::ALL {
            assert_eq!(
                role.authorize(Action::ManageForces).is_ok(),
                role == Role::ServerAdmin
            );
        }
    }

    #[test]
    fn only_force_and_server_administrators_configure_a_force() {
        for role in Role::ALL {
            assert_eq!(
                role.authorize(Action::ConfigureForce).is_ok(),
                matches!(role, Role::ForceAdmin | Role::ServerAdmin),
                "{role}"
            );
        }
    }

    #[test]
    fn token_scopes_never_exceed_the_role() {
        for role in Role::ALL {
            assert!(role.may_hold_scope("read"));
            assert_eq!(
                role.may_hold_scope("admin"),
                matches!(role, Role::ForceAdmin | Role::ServerAdmin)
            );
            assert!(!role.may_hold_scope("root"));
        }
        assert!(Role::Officer.may_hold_scope("write"));
        assert!(!Role::Analyst.may_hold_scope("write"));
        assert!(!Role::Partner.may_hold_scope("write"));
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("chief").is_err());
    }
}
