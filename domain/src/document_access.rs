//! Who may see a document and who may act on it (DOMAIN.md §10). Everyone else gets 404 for what
//! they may not see, 403 for what they see but may not do.

use uuid::Uuid;

use crate::access::Principal;
use crate::enums::{Role, Scope};

/// The organizations a document concerns, and whether it is public.
#[derive(Debug, Clone, Default)]
pub struct DocumentParties {
    pub issuing_org_id: Uuid,
    pub lead_drafting_org_id: Uuid,
    pub drafting_org_ids: Vec<Uuid>,
    pub involved_org_ids: Vec<Uuid>,
    pub county_id: Option<Uuid>,
    pub government_level: bool,
    /// Published with a public attribute: visible to everyone.
    pub is_public: bool,
}

/// The caller, with the county of their organization (for county-wide roles).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub principal: &'a Principal,
    pub county_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentAction {
    Create,
    Edit,
    Submit,
    OpennessReview,
    Confirm,
    Return,
    SecrecyReview,
    Approve,
    Publish,
    File,
    Repeal,
    EditInterpretation,
    SignInterpretation,
}

impl<'a> Caller<'a> {
    fn org(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { organization_id, .. } => *organization_id,
            Principal::Client { .. } => None,
        }
    }

    fn has(&self, role: Role) -> bool {
        self.principal.has_role(role)
    }

    fn in_org(&self, org: Uuid) -> bool {
        self.org() == Some(org)
    }

    fn county_gov_office(&self, parties: &DocumentParties) -> bool {
        self.has(Role::GovOffice) && parties.county_id.is_some() && self.county_id == parties.county_id
    }

    pub fn can_see(&self, parties: &DocumentParties) -> bool {
        if parties.is_public || self.has(Role::SystemAdmin) || self.county_gov_office(parties) {
            return true;
        }
        if self.principal.has_scope(Scope::DocumentsRead) {
            // Machine clients read what is public; organization-bound reading comes with sync.
            return false;
        }
        let Some(org) = self.org() else { return false };
        org == parties.issuing_org_id
            || parties.drafting_org_ids.contains(&org)
            || parties.involved_org_ids.contains(&org)
    }

    pub fn can(&self, parties: &DocumentParties, action: DocumentAction) -> bool {
        use DocumentAction as A;
        let drafter = self.has(Role::Drafter) && self.org().is_some_and(|o| parties.drafting_org_ids.contains(&o));
        let issuing_officer = self.has(Role::OpennessOfficer) && self.in_org(parties.issuing_org_id);
        let gov_office = self.county_gov_office(parties) && parties.government_level;
        match action {
            A::Create | A::Edit | A::Submit | A::EditInterpretation => drafter,
            A::OpennessReview => self.has(Role::OpennessOfficer) && self.in_org(parties.lead_drafting_org_id),
            A::Confirm => {
                self.has(Role::OpennessOfficer) && self.org().is_some_and(|o| parties.involved_org_ids.contains(&o))
            }
            A::Return => gov_office,
            A::SecrecyReview | A::Publish | A::File | A::Repeal => issuing_officer || gov_office,
            A::Approve => self.has(Role::Principal) && self.in_org(parties.issuing_org_id),
            A::SignInterpretation => self.has(Role::Principal) && self.in_org(parties.lead_drafting_org_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World {
        county: Uuid,
        issuing: Uuid,
        lead: Uuid,
        other_drafter: Uuid,
        involved: Uuid,
        stranger: Uuid,
    }

    fn world() -> World {
        World {
            county: Uuid::now_v7(),
            issuing: Uuid::now_v7(),
            lead: Uuid::now_v7(),
            other_drafter: Uuid::now_v7(),
            involved: Uuid::now_v7(),
            stranger: Uuid::now_v7(),
        }
    }

    fn parties(w: &World, government_level: bool, is_public: bool) -> DocumentParties {
        DocumentParties {
            issuing_org_id: w.issuing,
            lead_drafting_org_id: w.lead,
            drafting_org_ids: vec![w.lead, w.other_drafter],
            involved_org_ids: vec![w.involved],
            county_id: Some(w.county),
            government_level,
            is_public,
        }
    }

    fn user(org: Uuid, roles: &[Role]) -> Principal {
        Principal::User { user_id: Uuid::now_v7(), organization_id: Some(org), roles: roles.to_vec() }
    }

    #[test]
    fn the_parties_see_it_strangers_do_not_until_it_is_public() {
        let w = world();
        let p = parties(&w, false, false);
        for org in [w.issuing, w.lead, w.other_drafter, w.involved] {
            let principal = user(org, &[Role::Drafter]);
            assert!(Caller { principal: &principal, county_id: Some(w.county) }.can_see(&p));
        }
        let stranger = user(w.stranger, &[Role::Principal, Role::OpennessOfficer]);
        let caller = Caller { principal: &stranger, county_id: Some(w.county) };
        assert!(!caller.can_see(&p));
        assert!(caller.can_see(&parties(&w, false, true)));
    }

    #[test]
    fn gov_office_sees_its_county_only() {
        let w = world();
        let p = parties(&w, false, false);
        let office = user(w.stranger, &[Role::GovOffice]);
        assert!(Caller { principal: &office, county_id: Some(w.county) }.can_see(&p));
        assert!(!Caller { principal: &office, county_id: Some(Uuid::now_v7()) }.can_see(&p), "another county");
    }

    #[test]
    fn each_act_has_its_role_and_organization() {
        use DocumentAction as A;
        let w = world();
        let p = parties(&w, false, false);
        let check = |org: Uuid, roles: &[Role], action: A| {
            let principal = user(org, roles);
            Caller { principal: &principal, county_id: Some(w.county) }.can(&p, action)
        };
        assert!(check(w.other_drafter, &[Role::Drafter], A::Edit));
        assert!(!check(w.issuing, &[Role::Principal], A::Edit));
        assert!(check(w.lead, &[Role::OpennessOfficer], A::OpennessReview));
        assert!(!check(w.other_drafter, &[Role::OpennessOfficer], A::OpennessReview));
        assert!(check(w.involved, &[Role::OpennessOfficer], A::Confirm));
        assert!(!check(w.issuing, &[Role::OpennessOfficer], A::Confirm));
        assert!(check(w.issuing, &[Role::Principal], A::Approve));
        assert!(!check(w.lead, &[Role::Principal], A::Approve));
        assert!(check(w.lead, &[Role::Principal], A::SignInterpretation));
        assert!(check(w.issuing, &[Role::OpennessOfficer], A::Publish));
        assert!(
            !check(w.stranger, &[Role::GovOffice], A::Return),
            "department documents are not returned by gov_office"
        );
        assert!(!check(w.issuing, &[Role::SystemAdmin], A::Approve));
    }

    #[test]
    fn gov_office_returns_and_publishes_government_level_documents_of_its_county() {
        let w = world();
        let p = parties(&w, true, false);
        let office = user(w.stranger, &[Role::GovOffice]);
        let caller = Caller { principal: &office, county_id: Some(w.county) };
        assert!(caller.can(&p, DocumentAction::Return));
        assert!(caller.can(&p, DocumentAction::Publish));
        let elsewhere = Caller { principal: &office, county_id: Some(Uuid::now_v7()) };
        assert!(!elsewhere.can(&p, DocumentAction::Return));
    }
}
