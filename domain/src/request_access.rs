//! Who may see and handle a disclosure request (DOMAIN.md §10): the target organization's
//! openness officers handle it and alone see the applicant's personal data in clear; the head of
//! the openness office approves extensions; the principal, the county's government office, the
//! system administrator and `requests:read` clients see it masked. Everyone else gets 404.

use uuid::Uuid;

use crate::enums::{Role, Scope};
use crate::request_workflow::RequestAct;
use crate::Principal;

/// What a caller may read of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RequestView {
    /// Not even that it exists (404).
    Hidden,
    /// Everything but personal data, which is masked.
    Masked,
    /// Everything, personal data in clear: the handling officers.
    Full,
}

/// The facts about the caller and the request that decide access.
#[derive(Debug, Clone, Copy)]
pub struct RequestParties {
    pub organization_id: Uuid,
    pub county_id: Option<Uuid>,
}

fn member_of(principal: &Principal, org: Uuid) -> bool {
    matches!(principal, Principal::User { organization_id: Some(o), .. } if *o == org)
}

/// How much of the request this caller sees; `caller_county` is the county of the caller's
/// organization.
pub fn view(principal: &Principal, parties: RequestParties, caller_county: Option<Uuid>) -> RequestView {
    let own = member_of(principal, parties.organization_id);
    if own && (principal.has_role(Role::OpennessOfficer) || principal.has_role(Role::OpennessHead)) {
        return RequestView::Full;
    }
    let county_office =
        principal.has_role(Role::GovOffice) && caller_county.is_some() && caller_county == parties.county_id;
    if (own && principal.has_role(Role::Principal))
        || county_office
        || principal.has_role(Role::SystemAdmin)
        || principal.has_scope(Scope::RequestsRead)
    {
        return RequestView::Masked;
    }
    RequestView::Hidden
}

/// Whether the caller may perform `act` (`None`: register a request or regroup it) on a request
/// of `organization_id` they can see.
pub fn may_act(principal: &Principal, organization_id: Uuid, act: Option<RequestAct>) -> bool {
    if !member_of(principal, organization_id) {
        return false;
    }
    match act {
        Some(RequestAct::Extend) => principal.has_role(Role::OpennessHead),
        _ => principal.has_role(Role::OpennessOfficer),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(org: Uuid, roles: &[Role]) -> Principal {
        Principal::User { user_id: Uuid::now_v7(), organization_id: Some(org), roles: roles.to_vec() }
    }

    #[test]
    fn officers_of_the_target_organization_handle_it_and_see_personal_data() {
        let org = Uuid::now_v7();
        let county = Some(Uuid::now_v7());
        let parties = RequestParties { organization_id: org, county_id: county };
        assert_eq!(view(&user(org, &[Role::OpennessOfficer]), parties, county), RequestView::Full);
        assert_eq!(view(&user(org, &[Role::Principal]), parties, county), RequestView::Masked);
        assert_eq!(view(&user(org, &[Role::Drafter]), parties, county), RequestView::Hidden);
        let other = Uuid::now_v7();
        assert_eq!(view(&user(other, &[Role::OpennessOfficer]), parties, county), RequestView::Hidden);
        assert_eq!(view(&user(other, &[Role::GovOffice]), parties, county), RequestView::Masked);
        assert_eq!(view(&user(other, &[Role::GovOffice]), parties, Some(Uuid::now_v7())), RequestView::Hidden);
        let reader = Principal::Client { client_id: Uuid::now_v7(), scopes: vec![Scope::RequestsRead] };
        assert_eq!(view(&reader, parties, None), RequestView::Masked);
        let public = Principal::Client { client_id: Uuid::now_v7(), scopes: vec![Scope::PublicRead] };
        assert_eq!(view(&public, parties, None), RequestView::Hidden);
    }

    #[test]
    fn only_the_head_extends_and_only_officers_act() {
        let org = Uuid::now_v7();
        let officer = user(org, &[Role::OpennessOfficer]);
        let head = user(org, &[Role::OpennessHead]);
        assert!(may_act(&officer, org, Some(RequestAct::Reply)));
        assert!(!may_act(&officer, org, Some(RequestAct::Extend)));
        assert!(may_act(&head, org, Some(RequestAct::Extend)));
        assert!(!may_act(&head, org, Some(RequestAct::Reply)));
        assert!(!may_act(&officer, Uuid::now_v7(), Some(RequestAct::Accept)));
        assert!(may_act(&officer, org, None));
    }
}
