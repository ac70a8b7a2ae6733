//! Oversight by the government office (seed §1.4 抽查、整改, §4.1 网站监测, §4.4 公共查阅点):
//! rectifications and their states, website checks and their findings, spot-check samples and
//! reading venues. Pure rules; the clock ("today", Asia/Shanghai) is passed in.

use chrono::{Duration, NaiveDate};

use crate::labeled_enum;

labeled_enum! {
    /// The state of a rectification (DOMAIN.md §10): `open` → `submitted` → `verified` | `reopened` → `submitted`.
    pub enum RectificationStatus as "rectification_status" {
        Open = "open", "待整改", "Open";
        Submitted = "submitted", "已报送整改情况", "Submitted";
        Verified = "verified", "已核实", "Verified";
        Reopened = "reopened", "退回重新整改", "Reopened";
    }
}

labeled_enum! {
    /// What found the problem a rectification answers.
    pub enum RectificationSource as "rectification_source" {
        WebsiteCheck = "website_check", "政府网站监测", "Website check";
        SpotCheck = "spot_check", "政府办公室抽查", "Spot check";
    }
}

labeled_enum! {
    /// The standing of a government website (DOMAIN.md §4).
    pub enum WebsiteStatus as "website_status" {
        Compliant = "compliant", "合格", "Compliant";
        NonCompliant = "non_compliant", "不合格", "Non-compliant";
        Closed = "closed", "已关停", "Closed";
    }
}

labeled_enum! {
    /// A kind of problem found by a website check (seed §4.1 日常监测).
    pub enum WebsiteFindingKind as "website_finding_kind" {
        BrokenLinks = "broken_links", "链接不可用（错链断链）", "Broken links";
        StaleContent = "stale_content", "内容更新不及时", "Content not updated";
        Security = "security", "安全隐患", "Security problem";
        Accessibility = "accessibility", "无障碍与可用性问题", "Accessibility problem";
    }
}

labeled_enum! {
    /// The state of a spot check: findings are recorded while `open`; `completed` freezes it.
    pub enum SpotCheckStatus as "spot_check_status" {
        Open = "open", "抽查中", "Open";
        Completed = "completed", "已完成", "Completed";
    }
}

labeled_enum! {
    /// The kind of a public reading venue (公共查阅点, seed §4.4).
    pub enum ReadingVenueKind as "reading_venue_kind" {
        Library = "library", "图书馆", "Library";
        Archives = "archives", "档案馆", "Archives";
        YouthCenter = "youth_center", "青少年活动中心", "Youth center";
        ElderlyCenter = "elderly_center", "老年人活动中心", "Elderly center";
        ServiceCenter = "service_center", "政务服务中心", "Government service center";
        Other = "other", "其他查阅点", "Other venue";
    }
}

/// The acts on a rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectificationAct {
    /// The owner organization's openness officer reports what was done, with evidence.
    Submit,
    /// The county's government office accepts the report.
    Verify,
    /// The county's government office sends it back, with a reason and a new deadline.
    Reopen,
}

/// The state an act leads to, or `None` when the act is not allowed in `from`.
pub fn next_status(from: RectificationStatus, act: RectificationAct) -> Option<RectificationStatus> {
    use RectificationAct as A;
    use RectificationStatus as S;
    match (from, act) {
        (S::Open | S::Reopened, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Verify) => Some(S::Verified),
        (S::Submitted, A::Reopen) => Some(S::Reopened),
        _ => None,
    }
}

/// Overdue: still waiting for the owner's report and the deadline has passed (the deadline day
/// itself still counts as in time).
pub fn is_overdue(status: RectificationStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    matches!(status, RectificationStatus::Open | RectificationStatus::Reopened) && deadline < today
}

/// A report submitted after its deadline is late (it is still accepted).
pub fn is_late(submitted_on: Option<NaiveDate>, deadline: NaiveDate) -> bool {
    submitted_on.is_some_and(|on| on > deadline)
}

/// The longest rectification period the office may set.
pub const MAX_RECTIFICATION_DAYS: i64 = 366;

/// Why a rectification deadline set on `from` (the check date, or today for a reopening) is
/// refused: it must come after `from` and within a year of it.
pub fn deadline_error(deadline: NaiveDate, from: NaiveDate) -> Option<&'static str> {
    if deadline <= from {
        Some("not_after_check_date")
    } else if from.checked_add_signed(Duration::days(MAX_RECTIFICATION_DAYS)).is_none_or(|last| deadline > last) {
        Some("more_than_a_year")
    } else {
        None
    }
}

/// Why the day of a check or a placement is refused: after today, or before 2000 (a typing error;
/// the system keeps no earlier oversight records).
pub fn record_date_error(day: NaiveDate, today: NaiveDate) -> Option<&'static str> {
    if day > today {
        Some("date_in_future")
    } else if day < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN) {
        Some("before_2000")
    } else {
        None
    }
}

pub const MIN_SAMPLE: i32 = 1;
pub const MAX_SAMPLE: i32 = 50;

/// A spot check samples 1 to 50 documents.
pub fn sample_size_error(n: i32) -> Option<&'static str> {
    (!(MIN_SAMPLE..=MAX_SAMPLE).contains(&n)).then_some("range")
}

/// The site's standing after a check: any finding makes it non-compliant.
pub fn status_after_check(findings: usize) -> WebsiteStatus {
    if findings == 0 {
        WebsiteStatus::Compliant
    } else {
        WebsiteStatus::NonCompliant
    }
}

/// The accountability breach a website finding is, if any (seed §6.6 政府网站内容更新不及时).
pub fn breach_of_finding(kind: WebsiteFindingKind) -> Option<&'static str> {
    matches!(kind, WebsiteFindingKind::StaleContent).then_some("website_not_updated")
}

/// A government website's address: `http://` or `https://` with a host, no spaces.
pub fn is_site_url(url: &str) -> bool {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.rsplit('@').next().unwrap_or("");
            let name = host.split(':').next().unwrap_or("");
            !name.is_empty()
                && !url.chars().any(char::is_whitespace)
                && name.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '[' || c == ']')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RectificationAct as A;
    use RectificationStatus as S;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rectifications_move_only_along_the_contract() {
        assert_eq!(next_status(S::Open, A::Submit), Some(S::Submitted));
        assert_eq!(next_status(S::Submitted, A::Verify), Some(S::Verified));
        assert_eq!(next_status(S::Submitted, A::Reopen), Some(S::Reopened));
        assert_eq!(next_status(S::Reopened, A::Submit), Some(S::Submitted));
        assert_eq!(next_status(S::Open, A::Verify), None, "nothing to verify before a report");
        assert_eq!(next_status(S::Open, A::Reopen), None);
        assert_eq!(next_status(S::Submitted, A::Submit), None, "one report at a time");
        assert_eq!(next_status(S::Reopened, A::Verify), None);
        for act in [A::Submit, A::Verify, A::Reopen] {
            assert_eq!(next_status(S::Verified, act), None, "verified is final");
        }
    }

    #[test]
    fn overdue_is_derived_from_the_state_and_the_deadline() {
        let deadline = d("2026-03-10");
        assert!(!is_overdue(S::Open, deadline, d("2026-03-10")), "the deadline day is in time");
        assert!(is_overdue(S::Open, deadline, d("2026-03-11")));
        assert!(is_overdue(S::Reopened, deadline, d("2026-03-11")));
        assert!(!is_overdue(S::Submitted, deadline, d("2026-04-01")), "a report stops the clock");
        assert!(!is_overdue(S::Verified, deadline, d("2026-04-01")));
    }

    #[test]
    fn a_report_after_the_deadline_is_late() {
        let deadline = d("2026-03-10");
        assert!(!is_late(None, deadline));
        assert!(!is_late(Some(d("2026-03-10")), deadline));
        assert!(is_late(Some(d("2026-03-11")), deadline));
    }

    #[test]
    fn deadlines_come_after_the_check_and_within_a_year() {
        let checked = d("2026-03-01");
        assert_eq!(deadline_error(checked, checked), Some("not_after_check_date"));
        assert_eq!(deadline_error(d("2026-02-01"), checked), Some("not_after_check_date"));
        assert_eq!(deadline_error(d("2026-03-02"), checked), None);
        assert_eq!(deadline_error(d("2027-03-01"), checked), None);
        assert_eq!(deadline_error(d("2027-03-03"), checked), Some("more_than_a_year"));
    }

    #[test]
    fn extreme_dates_are_refused_not_overflowed() {
        assert_eq!(deadline_error(NaiveDate::MAX, NaiveDate::MAX - Duration::days(1)), Some("more_than_a_year"));
        let today = d("2026-03-01");
        assert_eq!(record_date_error(today, today), None);
        assert_eq!(record_date_error(d("2026-03-02"), today), Some("date_in_future"));
        assert_eq!(record_date_error(d("1999-12-31"), today), Some("before_2000"));
        assert_eq!(record_date_error(NaiveDate::MIN, today), Some("before_2000"));
    }

    #[test]
    fn samples_hold_one_to_fifty_documents() {
        assert_eq!(sample_size_error(0), Some("range"));
        assert_eq!(sample_size_error(-3), Some("range"));
        assert_eq!(sample_size_error(1), None);
        assert_eq!(sample_size_error(50), None);
        assert_eq!(sample_size_error(51), Some("range"));
    }

    #[test]
    fn a_check_sets_the_standing_and_stale_content_is_a_breach() {
        assert_eq!(status_after_check(0), WebsiteStatus::Compliant);
        assert_eq!(status_after_check(2), WebsiteStatus::NonCompliant);
        assert_eq!(breach_of_finding(WebsiteFindingKind::StaleContent), Some("website_not_updated"));
        assert_eq!(breach_of_finding(WebsiteFindingKind::BrokenLinks), None);
        assert_eq!(breach_of_finding(WebsiteFindingKind::Security), None);
    }

    #[test]
    fn site_urls_are_http_or_https_with_a_host() {
        assert!(is_site_url("http://www.ynym.gov.cn"));
        assert!(is_site_url("https://www.ynym.gov.cn/zwgk/index.html?x=1"));
        assert!(is_site_url("https://192.168.1.10:8443/"));
        assert!(!is_site_url("ftp://www.ynym.gov.cn"));
        assert!(!is_site_url("www.ynym.gov.cn"));
        assert!(!is_site_url("https://"));
        assert!(!is_site_url("https:///path"));
        assert!(!is_site_url("https://www.ynym .gov.cn"));
        assert!(!is_site_url("javascript:alert(1)"));
    }
}
