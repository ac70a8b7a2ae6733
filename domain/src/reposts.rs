//! Reposting higher-level documents (seed §4.2): every department and township of the county
//! reposts a document of the State Council, the province or the prefecture on its own site by a
//! deadline; the government office's special check sorts each obligation as on time, late,
//! missing or not yet due.

use chrono::NaiveDate;

use crate::calendar::{DeadlineExplanation, WorkCalendar};
use crate::labeled_enum;
use crate::OrganizationKind;

labeled_enum! {
    /// Who issued the document to repost.
    pub enum IssuerLevel as "higher_issuer_level" {
        StateCouncil = "state_council", "国务院", "State Council";
        Province = "province", "省级", "Province";
        Prefecture = "prefecture", "州（市）级", "Prefecture";
    }
}

labeled_enum! {
    pub enum RepostStatus as "repost_status" {
        Pending = "pending", "待转载", "Pending";
        Reposted = "reposted", "已转载", "Reposted";
    }
}

labeled_enum! {
    /// The special check's verdict on one obligation, derived from its dates.
    pub enum RepostStanding as "repost_standing" {
        OnTime = "on_time", "按时转载", "Reposted on time";
        Late = "late", "逾期转载", "Reposted late";
        Missing = "missing", "逾期未转载", "Not reposted by the deadline";
        Pending = "pending", "未到期待转载", "Not reposted, not yet due";
    }
}

/// The seed asks for a repost 及时 (promptly) and fixes no number: five working days unless the
/// government office sets another when it registers the document.
pub const DEFAULT_REPOST_WORKING_DAYS: u32 = 5;

/// Departments and townships repost (seed §4.2: 各乡镇、县级各部门); the government itself and its
/// office publish on the portal, and public institutions are outside the instruction.
pub fn owes_repost(kind: OrganizationKind) -> bool {
    matches!(kind, OrganizationKind::Department | OrganizationKind::Township)
}

/// The deadline, counted from the registration: an organization cannot owe a repost before the
/// county has told it, even when the document went online earlier.
pub fn repost_deadline(registered_on: NaiveDate, working_days: u32, calendar: &WorkCalendar) -> DeadlineExplanation {
    calendar.explain(registered_on, working_days, &[])
}

pub fn standing(due_on: NaiveDate, reposted_on: Option<NaiveDate>, today: NaiveDate) -> RepostStanding {
    match reposted_on {
        Some(day) if day <= due_on => RepostStanding::OnTime,
        Some(_) => RepostStanding::Late,
        None if today > due_on => RepostStanding::Missing,
        None => RepostStanding::Pending,
    }
}

/// Why a repost date cannot be right: before the original went online, or in the future.
pub fn repost_date_problem(reposted_on: NaiveDate, published_on: NaiveDate, today: NaiveDate) -> Option<&'static str> {
    if reposted_on < published_on {
        Some("before_original")
    } else if reposted_on > today {
        Some("in_future")
    } else {
        None
    }
}

/// Registration dates: the original cannot be dated after the registration, nor before 2000 (a
/// typing error, and outside what the calendar knows).
pub fn registration_problem(published_on: NaiveDate, registered_on: NaiveDate) -> Option<&'static str> {
    if published_on > registered_on {
        Some("in_future")
    } else if published_on < EARLIEST_DATE {
        Some("before_2000")
    } else {
        None
    }
}

/// Dates before this are refused as typing errors.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(day) => day,
    None => panic!("2000-01-01 is a date"),
};

/// The counts of the special check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StandingCounts {
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    pub pending: u32,
}

impl StandingCounts {
    pub fn add(&mut self, standing: RepostStanding) {
        match standing {
            RepostStanding::OnTime => self.on_time += 1,
            RepostStanding::Late => self.late += 1,
            RepostStanding::Missing => self.missing += 1,
            RepostStanding::Pending => self.pending += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests_support::calendar_2025_2026;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_deadline_counts_working_days_from_the_registration_across_national_day() {
        let calendar = calendar_2025_2026();
        // Registered Wed 30 Sep 2026: 1–7 Oct are off, Sat 10 Oct is a make-up working day.
        let due = repost_deadline(day("2026-09-30"), 5, &calendar).due_on;
        assert_eq!(due, day("2026-10-13"));
    }

    #[test]
    fn standing_follows_the_dates() {
        let due = day("2026-11-10");
        assert_eq!(standing(due, Some(day("2026-11-10")), day("2026-12-01")), RepostStanding::OnTime);
        assert_eq!(standing(due, Some(day("2026-11-11")), day("2026-12-01")), RepostStanding::Late);
        assert_eq!(standing(due, None, day("2026-11-11")), RepostStanding::Missing);
        assert_eq!(standing(due, None, day("2026-11-10")), RepostStanding::Pending);
        let mut counts = StandingCounts::default();
        for s in [RepostStanding::OnTime, RepostStanding::Late, RepostStanding::Late, RepostStanding::Missing] {
            counts.add(s);
        }
        assert_eq!(counts, StandingCounts { on_time: 1, late: 2, missing: 1, pending: 0 });
    }

    #[test]
    fn only_departments_and_townships_owe_a_repost() {
        let owing: Vec<_> = OrganizationKind::ALL.iter().copied().filter(|k| owes_repost(*k)).collect();
        assert_eq!(owing, vec![OrganizationKind::Department, OrganizationKind::Township]);
    }

    #[test]
    fn a_repost_cannot_precede_the_original_nor_lie_in_the_future() {
        let published = day("2026-11-02");
        let today = day("2026-11-20");
        assert_eq!(repost_date_problem(day("2026-11-01"), published, today), Some("before_original"));
        assert_eq!(repost_date_problem(day("2026-11-21"), published, today), Some("in_future"));
        assert_eq!(repost_date_problem(day("2026-11-02"), published, today), None);
        assert_eq!(registration_problem(day("2026-11-03"), day("2026-11-02")), Some("in_future"));
        assert_eq!(registration_problem(day("1999-12-31"), day("2026-11-02")), Some("before_2000"));
        assert_eq!(registration_problem(day("2000-01-01"), day("2026-11-02")), None);
    }
}
