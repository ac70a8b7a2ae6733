//! Disclosure requests (依申请公开, Regulation ch. 4): the statutory clocks and the information
//! processing fee of 国办函〔2020〕109号. The workflow and its persistence build on these (issue 4).

use chrono::NaiveDate;

use crate::calendar::{DeadlineExplanation, Pause, WorkCalendar};
use crate::labeled_enum;

labeled_enum! {
    /// The applicant columns of table 三 of the annual report.
    pub enum ApplicantType as "applicant_type" {
        NaturalPerson = "natural_person", "自然人", "Natural person";
        Commercial = "commercial", "商业企业", "Commercial enterprise";
        Research = "research", "科研机构", "Research institution";
        PublicWelfare = "public_welfare", "社会公益组织", "Public-welfare organization";
        LegalServices = "legal_services", "法律服务机构", "Legal-services institution";
        OtherLegalPerson = "other_legal_person", "其他", "Other legal person or organization";
    }
}

labeled_enum! {
    /// How a request arrived; it decides the received date (art. 31).
    pub enum ReceiptChannel as "receipt_channel" {
        InPerson = "in_person", "当面提交", "In person";
        Post = "post", "邮寄", "By post";
        OrdinaryLetter = "ordinary_letter", "平常信函", "Ordinary letter";
        Fax = "fax", "传真", "Fax";
        Email = "email", "电子邮件", "E-mail";
        Online = "online", "互联网在线申请", "Online";
    }
}

/// Working days to answer (art. 33 ¶1), and the most one extension may add (art. 33 ¶2).
pub const ANSWER_WORKING_DAYS: u32 = 20;
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 20;
/// Working days within which a correction (补正) must be requested (art. 30).
pub const CORRECTION_NOTICE_WORKING_DAYS: u32 = 7;

/// When the answer is due: 20 working days after receipt (or after the corrected request arrived,
/// art. 30), plus an approved extension, not counting paused days (consultations, art. 32/34).
pub fn answer_due(
    received_on: NaiveDate,
    extension_days: u32,
    pauses: &[Pause],
    calendar: &WorkCalendar,
) -> DeadlineExplanation {
    calendar.explain(received_on, ANSWER_WORKING_DAYS + extension_days.min(MAX_EXTENSION_WORKING_DAYS), pauses)
}

/// The last day on which a correction may be requested.
pub fn correction_notice_due(received_on: NaiveDate, calendar: &WorkCalendar) -> DeadlineExplanation {
    calendar.explain(received_on, CORRECTION_NOTICE_WORKING_DAYS, &[])
}

/// Fees are kept in fen (分), as integers.
pub const YUAN: i64 = 100;

/// Requests per applicant per calendar month that are free of charge (109号 art. 4).
pub const FREE_REQUESTS_PER_MONTH: u32 = 10;
/// Pages per request that are free of charge (109号 art. 5).
pub const FREE_PAGES: u32 = 30;

/// The fee, in fen, for an applicant's `nth` request of a calendar month, charged per request
/// (按件): free up to the 10th, 100 元 from the 11th to the 30th, then 100 元 more for every
/// further 10 requests (31st–40th 200 元, 41st–50th 300 元 …).
pub fn fee_per_request_fen(nth: u32) -> i64 {
    match nth {
        0..=FREE_REQUESTS_PER_MONTH => 0,
        11..=30 => 100 * YUAN,
        n => {
            let tier = i64::from((n - 31) / 10) + 2;
            tier * 100 * YUAN
        }
    }
}

/// The fee, in fen, for `pages` pages charged by volume (按量), progressively (超额累进): pages
/// 31–100 at 10 元, 101–200 at 20 元, from 201 at 40 元.
pub fn fee_by_pages_fen(pages: u32) -> i64 {
    let tiers: [(u32, u32, i64); 3] = [(31, 100, 10 * YUAN), (101, 200, 20 * YUAN), (201, u32::MAX, 40 * YUAN)];
    tiers
        .iter()
        .map(|&(first, last, per_page)| {
            let counted = pages.min(last).saturating_sub(first - 1);
            i64::from(counted) * per_page
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests_support::calendar_2025_2026;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_worked_examples_of_the_reference() {
        let calendar = calendar_2025_2026();
        assert_eq!(answer_due(d("2025-09-26"), 0, &[], &calendar).due_on, d("2025-10-30"));
        assert_eq!(answer_due(d("2025-09-26"), 20, &[], &calendar).due_on, d("2025-11-27"));
        assert_eq!(correction_notice_due(d("2026-02-10"), &calendar).due_on, d("2026-02-26"));
        assert_eq!(answer_due(d("2026-02-10"), 0, &[], &calendar).due_on, d("2026-03-16"));
        assert_eq!(answer_due(d("2025-12-31"), 0, &[], &calendar).due_on, d("2026-01-29"));
    }

    #[test]
    fn a_correction_restarts_the_clock_from_the_corrected_request() {
        let calendar = calendar_2025_2026();
        let first = answer_due(d("2026-03-02"), 0, &[], &calendar).due_on;
        let corrected = answer_due(d("2026-03-12"), 0, &[], &calendar).due_on;
        assert!(corrected > first);
        assert_eq!(calendar.working_days_between(d("2026-03-12"), corrected), 20);
    }

    #[test]
    fn a_consultation_pause_across_national_day_2026() {
        let calendar = calendar_2025_2026();
        // Received 9-18; a third party is consulted from 9-21 to 10-12 (15 working days' window).
        let pause = Pause { from: d("2026-09-21"), to: d("2026-10-12") };
        let unpaused = answer_due(d("2026-09-18"), 0, &[], &calendar);
        let paused = answer_due(d("2026-09-18"), 0, &[pause], &calendar);
        assert!(paused.due_on > unpaused.due_on);
        assert!(
            paused.skipped.iter().any(|s| s.reason == "paused" && s.date == d("2026-10-10")),
            "a make-up Saturday inside the pause does not count"
        );
        // Exactly 20 working days are counted outside the pause (9-21…10-12).
        let inside = calendar.working_days_between(d("2026-09-20"), d("2026-10-12"));
        assert_eq!(calendar.working_days_between(d("2026-09-18"), paused.due_on) - inside, 20);
    }

    #[test]
    fn an_extension_is_capped_at_twenty_working_days() {
        let calendar = calendar_2025_2026();
        assert_eq!(answer_due(d("2025-09-26"), 99, &[], &calendar).due_on, d("2025-11-27"));
    }

    #[test]
    fn fees_per_request_at_their_boundaries() {
        assert_eq!(fee_per_request_fen(10), 0);
        assert_eq!(fee_per_request_fen(11), 100 * YUAN);
        assert_eq!(fee_per_request_fen(30), 100 * YUAN);
        assert_eq!(fee_per_request_fen(31), 200 * YUAN);
        assert_eq!(fee_per_request_fen(40), 200 * YUAN);
        assert_eq!(fee_per_request_fen(41), 300 * YUAN);
    }

    #[test]
    fn fees_by_pages_are_progressive_at_their_boundaries() {
        assert_eq!(fee_by_pages_fen(30), 0);
        assert_eq!(fee_by_pages_fen(31), 10 * YUAN);
        assert_eq!(fee_by_pages_fen(100), 70 * 10 * YUAN);
        assert_eq!(fee_by_pages_fen(101), 70 * 10 * YUAN + 20 * YUAN);
        assert_eq!(fee_by_pages_fen(200), 70 * 10 * YUAN + 100 * 20 * YUAN);
        assert_eq!(fee_by_pages_fen(201), 70 * 10 * YUAN + 100 * 20 * YUAN + 40 * YUAN);
    }
}
