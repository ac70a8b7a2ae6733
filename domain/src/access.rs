//! Who may do what: the one place where roles and scopes become permissions (DOMAIN.md §10).
//!
//! Handlers name the [`Action`] they perform; this table decides. Visibility of single records
//! (404 for what a caller may not see) is decided next to the records, by their own rules.

use crate::enums::{Role, Scope};
use uuid::Uuid;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A member of staff, logged in with a password.
    User { user_id: Uuid, organization_id: Option<Uuid>, roles: Vec<Role> },
    /// A machine client using OAuth2 client credentials.
    Client { client_id: Uuid, scopes: Vec<Scope> },
}

/// Operations guarded by role or scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadOrganizations,
    ManageOrganizations,
    ReadUsers,
    ManageUsers,
    ManageClients,
    ReadAuditLog,
    ManageCalendar,
    ReadExperts,
    ManageExperts,
}

impl Principal {
    /// The token subject: the id of the user or of the client.
    pub fn subject(&self) -> Uuid {
        match self {
            Principal::User { user_id, .. } => *user_id,
            Principal::Client { client_id, .. } => *client_id,
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Principal::User { roles, .. } if roles.contains(&role))
    }

    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(self, Principal::Client { scopes, .. } if scopes.contains(&scope))
    }

    /// Whether this caller may perform `action` at all.
    pub fn may(&self, action: Action) -> bool {
        match action {
            // Organization names and kinds are public facts (seed §6.1 publishes leadership);
            // every authenticated caller needs them to address work.
            // Staff need them to address work; a machine client needs a scope beyond `public:read`,
            // which grants nothing anonymous callers lack.
            Action::ReadOrganizations | Action::ReadExperts => match self {
                Principal::User { .. } => true,
                Principal::Client { scopes, .. } => scopes.iter().any(|s| *s != Scope::PublicRead),
            },
            Action::ManageExperts => {
                self.has_role(Role::SystemAdmin)
                    || self.has_role(Role::GovOffice)
                    || self.has_role(Role::OpennessOfficer)
            }
            Action::ManageOrganizations
            | Action::ReadUsers
            | Action::ManageUsers
            | Action::ManageClients
            | Action::ReadAuditLog
            | Action::ManageCalendar => self.has_role(Role::SystemAdmin),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> Principal {
        Principal::User { user_id: Uuid::nil(), organization_id: None, roles: roles.to_vec() }
    }

    #[test]
    fn system_admin_manages_users_and_clients() {
        let admin = user(&[Role::SystemAdmin]);
        assert!(admin.may(Action::ManageUsers));
        assert!(admin.may(Action::ManageClients));
        assert!(admin.may(Action::ManageOrganizations));
    }

    #[test]
    fn other_roles_do_not_manage_users() {
        for role in Role::ALL.iter().filter(|r| **r != Role::SystemAdmin) {
            let staff = user(&[*role]);
            assert!(!staff.may(Action::ManageUsers), "{role}");
            assert!(!staff.may(Action::ManageOrganizations), "{role}");
            assert!(staff.may(Action::ReadOrganizations), "{role}");
        }
    }

    #[test]
    fn clients_never_hold_roles() {
        let client = Principal::Client { client_id: Uuid::nil(), scopes: Scope::ALL.to_vec() };
        assert!(!client.has_role(Role::SystemAdmin));
        assert!(!client.may(Action::ManageClients));
        assert!(client.may(Action::ReadOrganizations));
        assert!(client.has_scope(Scope::SyncRead));
    }

    #[test]
    fn public_read_grants_nothing_beyond_anonymous_access() {
        let client = Principal::Client { client_id: Uuid::nil(), scopes: vec![Scope::PublicRead] };
        assert!(!client.may(Action::ReadOrganizations));
        assert!(!client.may(Action::ReadExperts));
    }
}
