//! Organization records (seed §6): yearly work priorities, the principal hearing the openness work
//! at least once a year (听取工作汇报), and training of the openness staff in rotation.

use crate::enums::{OrganizationKind, Role};

/// The organizations whose principal must hear a report on the openness work every year: the
/// county government, its office, its departments and the townships. Public institutions follow the
/// rules by reference and higher-level authorities are not the county's to check.
pub fn must_hear_work_reports(kind: OrganizationKind) -> bool {
    matches!(
        kind,
        OrganizationKind::CountyGovernment
            | OrganizationKind::GovernmentOffice
            | OrganizationKind::Department
            | OrganizationKind::Township
    )
}

/// The roles that make a member of staff openness staff, who must all be trained in rotation.
pub const OPENNESS_STAFF_ROLES: [Role; 2] = [Role::OpennessOfficer, Role::OpennessHead];

pub fn is_openness_staff(roles: &[Role]) -> bool {
    roles.iter().any(|r| OPENNESS_STAFF_ROLES.contains(r))
}

/// The trained share in percent to two places (2 of 3 → 66.67); `None` when there is nobody to train.
pub fn coverage_percent(trained: usize, staff: usize) -> Option<f64> {
    if staff == 0 {
        return None;
    }
    let hundredths = (trained as u128 * 10_000 * 2 + staff as u128) / (2 * staff as u128);
    Some(hundredths as f64 / 100.0)
}

/// Work priorities are written for a year from 2008 (the first Regulation) up to next year, which
/// is planned before it begins.
pub fn priority_year_allowed(year: i32, current_year: i32) -> bool {
    (2008..=current_year + 1).contains(&year)
}

/// A coverage period runs forward and spans at most ten years.
pub fn period_error(from: chrono::NaiveDate, to: chrono::NaiveDate) -> Option<&'static str> {
    if to < from {
        Some("before_from")
    } else if (to - from).num_days() > 3660 {
        Some("period_too_long")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn every_county_organization_but_institutions_and_higher_levels_hears_reports() {
        assert!(must_hear_work_reports(OrganizationKind::Department));
        assert!(must_hear_work_reports(OrganizationKind::Township));
        assert!(must_hear_work_reports(OrganizationKind::CountyGovernment));
        assert!(!must_hear_work_reports(OrganizationKind::PublicInstitution));
        assert!(!must_hear_work_reports(OrganizationKind::HigherLevel));
    }

    #[test]
    fn openness_staff_are_officers_and_heads() {
        assert!(is_openness_staff(&[Role::Drafter, Role::OpennessHead]));
        assert!(is_openness_staff(&[Role::OpennessOfficer]));
        assert!(!is_openness_staff(&[Role::GovOffice, Role::Drafter]));
    }

    #[test]
    fn coverage_is_a_rounded_percentage() {
        assert_eq!(coverage_percent(2, 3), Some(66.67));
        assert_eq!(coverage_percent(1, 3), Some(33.33));
        assert_eq!(coverage_percent(3, 3), Some(100.0));
        assert_eq!(coverage_percent(1, 8), Some(12.5));
        assert_eq!(coverage_percent(0, 0), None);
    }

    #[test]
    fn years_and_periods() {
        assert!(priority_year_allowed(2027, 2026) && !priority_year_allowed(2028, 2026));
        assert!(!priority_year_allowed(2007, 2026));
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(period_error(d("2026-01-01"), d("2026-12-31")), None);
        assert_eq!(period_error(d("2026-02-01"), d("2026-01-31")), Some("before_from"));
        assert_eq!(period_error(d("2000-01-01"), d("2026-01-01")), Some("period_too_long"));
    }
}
