//! The statutory annual report (条例第四十九、五十条) in the State Council's 2021 format (国办公开办函
//! 〔2021〕30号): tables 二, 三 and 四 are counted here from facts, never typed, and every number of
//! table 三 reconciles per column (新收 + 上年结转 = 办理结果总计 + 结转下年度).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::enums::OrganizationKind;
use crate::labeled_enum;
use crate::request_outcomes::{ReportGroup, RequestOutcome};
use crate::requests::ApplicantType;

labeled_enum! {
    /// DOMAIN.md §10: `draft` → `reviewed` → `published` (immutable).
    pub enum AnnualReportStatus as "annual_report_status" {
        Draft = "draft", "草稿", "Draft";
        Reviewed = "reviewed", "已审核", "Reviewed";
        Published = "published", "已公布", "Published";
    }
}

labeled_enum! {
    /// The three column blocks of table 四.
    pub enum ChallengeKind as "legal_challenge_kind" {
        Reconsideration = "reconsideration", "行政复议", "Administrative reconsideration";
        LitigationDirect = "litigation_direct", "行政诉讼（未经复议直接起诉）", "Litigation without reconsideration";
        LitigationAfterReconsideration = "litigation_after_reconsideration", "行政诉讼（复议后起诉）", "Litigation after reconsideration";
    }
}

labeled_enum! {
    /// The organization's part in the case. In a lawsuit after reconsideration where the
    /// reconsideration body is a co-defendant, only the original agency counts the case (国办公开办函
    /// 〔2016〕201号: "只计算原行为主体的案件数量，不计算行政复议机关的案件数量").
    pub enum ChallengeRole as "legal_challenge_role" {
        OriginalAgency = "original_agency", "原行为主体", "Original agency";
        ReconsiderationBody = "reconsideration_body", "复议机关（共同被告）", "Reconsideration body (co-defendant)";
    }
}

labeled_enum! {
    /// How a reconsideration or lawsuit ended; a case without a result is 尚未审结.
    pub enum ChallengeResult as "legal_challenge_result" {
        Upheld = "upheld", "结果维持", "Upheld";
        Corrected = "corrected", "结果纠正", "Corrected";
        Other = "other", "其他结果", "Other result";
    }
}

/// The six applicant columns of table 三, in the format's order; the seventh is the total.
pub const APPLICANT_COLUMNS: [ApplicantType; 6] = [
    ApplicantType::NaturalPerson,
    ApplicantType::Commercial,
    ApplicantType::Research,
    ApplicantType::PublicWelfare,
    ApplicantType::LegalServices,
    ApplicantType::OtherLegalPerson,
];

/// What table 三 needs to know of one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestFact {
    pub applicant_type: ApplicantType,
    pub received_on: NaiveDate,
    /// The day it was replied to or closed, with its outcome; `None` while it is still open.
    pub concluded: Option<(NaiveDate, RequestOutcome)>,
}

/// One data row of table 三: seven numbers, the last the sum of the six applicant columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRow {
    /// `new_received`, `carried_over`, an outcome code, `total` or `carried_forward`.
    pub key: String,
    /// The row's exact label in the 2021 format.
    pub label: String,
    /// The group heading the row sits under (（三）不予公开 …), if any.
    pub group: Option<String>,
    pub values: [i64; 7],
}

/// Table 三, 收到和处理政府信息公开申请情况: 25 data rows × 7 columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTable {
    pub rows: Vec<CountRow>,
}

pub const COLUMN_LABELS: [&str; 7] = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"];

fn group_heading(group: ReportGroup) -> Option<&'static str> {
    match group {
        ReportGroup::Granted | ReportGroup::Partial => None,
        ReportGroup::Denied => Some("（三）不予公开"),
        ReportGroup::Unable => Some("（四）无法提供"),
        ReportGroup::NotProcessed => Some("（五）不予处理"),
        ReportGroup::Other => Some("（六）其他处理"),
    }
}

fn column_of(applicant: ApplicantType) -> usize {
    APPLICANT_COLUMNS.iter().position(|a| *a == applicant).expect("every applicant type has a column")
}

fn count_row(key: &str, label: &str, group: Option<&str>) -> CountRow {
    CountRow { key: key.into(), label: label.into(), group: group.map(Into::into), values: [0; 7] }
}

fn add(row: &mut CountRow, column: usize) {
    row.values[column] += 1;
    row.values[6] += 1;
}

/// Counts table 三 for `year`. A request is new in the year it was received; carried over when
/// received earlier and not concluded before the year began; counted under its outcome in the year
/// it was concluded; carried forward when still open at the year's end.
pub fn request_table(year: i32, facts: &[RequestFact]) -> RequestTable {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    let mut new_received = count_row("new_received", "一、本年新收政府信息公开申请数量", None);
    let mut carried_over = count_row("carried_over", "二、上年结转政府信息公开申请数量", None);
    let mut outcomes: Vec<CountRow> = RequestOutcome::ALL
        .iter()
        .map(|o| {
            let row = o.report_row();
            count_row(o.as_str(), row.label, group_heading(row.group))
        })
        .collect();
    let mut total = count_row("total", "（七）总计", None);
    let mut carried_forward = count_row("carried_forward", "四、结转下年度继续办理", None);
    for fact in facts {
        if fact.received_on > last {
            continue;
        }
        let column = column_of(fact.applicant_type);
        let concluded_on = fact.concluded.map(|(day, _)| day);
        if fact.received_on >= first {
            add(&mut new_received, column);
        } else if concluded_on.is_none_or(|day| day >= first) {
            add(&mut carried_over, column);
        }
        match fact.concluded {
            Some((day, outcome)) if day >= first && day <= last => {
                let index = RequestOutcome::ALL.iter().position(|o| *o == outcome).expect("every outcome has a row");
                add(&mut outcomes[index], column);
                add(&mut total, column);
            }
            Some((day, _)) if day < first => {}
            _ => add(&mut carried_forward, column),
        }
    }
    let mut rows = vec![new_received, carried_over];
    rows.extend(outcomes);
    rows.push(total);
    rows.push(carried_forward);
    RequestTable { rows }
}

impl RequestTable {
    pub fn row(&self, key: &str) -> Option<&CountRow> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// The columns (0-based) where 新收 + 上年结转 ≠ 办理结果总计 + 结转下年度, or where the
    /// total row is not the sum of the outcome rows; empty when the table reconciles.
    pub fn unreconciled_columns(&self) -> Vec<usize> {
        let value = |key: &str, c: usize| self.row(key).map_or(0, |r| r.values[c]);
        (0..7)
            .filter(|&c| {
                let outcomes: i64 = RequestOutcome::ALL.iter().map(|o| value(o.as_str(), c)).sum();
                value("new_received", c) + value("carried_over", c) != value("total", c) + value("carried_forward", c)
                    || outcomes != value("total", c)
            })
            .collect()
    }
}

/// What table 二 needs to know of one 规章 or 行政规范性文件.
#[derive(Debug, Clone, Copy)]
pub struct IssuedDocumentFact {
    pub is_regulation: bool,
    /// The day it was formed (成文) and issued.
    pub issued_on: NaiveDate,
    /// The day it was repealed or expired, if it was.
    pub ended_on: Option<NaiveDate>,
}

/// 本年制发件数 · 本年废止件数 · 现行有效件数.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuanceCounts {
    pub issued: i64,
    pub repealed: i64,
    pub valid: i64,
}

/// Table 二's first block: 规章 and 行政规范性文件 issued, repealed and in force at the year's end.
pub fn issuance_counts(year: i32, facts: &[IssuedDocumentFact]) -> (IssuanceCounts, IssuanceCounts) {
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    let (mut regulations, mut normative) = (IssuanceCounts::default(), IssuanceCounts::default());
    for fact in facts {
        let counts = if fact.is_regulation { &mut regulations } else { &mut normative };
        if fact.issued_on > last {
            continue;
        }
        if fact.issued_on.year() == year {
            counts.issued += 1;
        }
        match fact.ended_on {
            Some(day) if day.year() == year => counts.repealed += 1,
            _ => {}
        }
        if fact.ended_on.is_none_or(|day| day > last) {
            counts.valid += 1;
        }
    }
    (regulations, normative)
}

/// What table 四 needs to know of one reconsideration or lawsuit.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeFact {
    pub kind: ChallengeKind,
    pub role: ChallengeRole,
    pub filed_on: NaiveDate,
    pub concluded: Option<(NaiveDate, ChallengeResult)>,
}

/// One block of table 四: 结果维持 · 结果纠正 · 其他结果 · 尚未审结 · 总计.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeCounts {
    pub upheld: i64,
    pub corrected: i64,
    pub other: i64,
    pub pending: i64,
    pub total: i64,
}

/// Table 四 for `year`: the cases brought in the year, with the result they had at its end (a
/// result reached only later leaves the case 尚未审结 in this year's report, and the case is not
/// counted again in the year it ends, so that each case is counted once); a reconsideration
/// body's record as co-defendant is not counted.
pub fn challenge_table(year: i32, facts: &[ChallengeFact]) -> [ChallengeCounts; 3] {
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    let mut blocks = [ChallengeCounts::default(); 3];
    let counted = |f: &&ChallengeFact| f.filed_on.year() == year && f.role == ChallengeRole::OriginalAgency;
    for fact in facts.iter().filter(counted) {
        let block = &mut blocks[ChallengeKind::ALL.iter().position(|k| *k == fact.kind).expect("a block per kind")];
        match fact.concluded {
            Some((day, ChallengeResult::Upheld)) if day <= last => block.upheld += 1,
            Some((day, ChallengeResult::Corrected)) if day <= last => block.corrected += 1,
            Some((day, ChallengeResult::Other)) if day <= last => block.other += 1,
            _ => block.pending += 1,
        }
        block.total += 1;
    }
    blocks
}

/// Everything of a report that is counted from data, kept with the report so that a published
/// report reads as it was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputedSections {
    /// The organization's name when the report was last counted or published.
    #[serde(default)]
    pub organization_name: String,
    /// Table 二, 第二十条第（一）项.
    pub regulations: IssuanceCounts,
    pub normative: IssuanceCounts,
    /// Table 三.
    pub requests: RequestTable,
    /// Table 四, in `ChallengeKind::ALL` order.
    pub challenges: [ChallengeCounts; 3],
    /// 信息处理费 collected in the year (section 六), in fen.
    pub information_fees_fen: i64,
}

/// Report settings the county may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportDeadlines {
    /// Townships have no statutory date (DOMAIN.md §9); the county sets one, by default 31 January.
    pub township_month: u32,
    pub township_day: u32,
}

impl Default for ReportDeadlines {
    fn default() -> Self {
        ReportDeadlines { township_month: 1, township_day: 31 }
    }
}

/// When `year`'s report of an organization of `kind` must be published (art. 49): departments
/// (the government office among them) by 31 January, the county government by 31 March, townships
/// by the county's setting. Public institutions and higher-level authorities owe none here.
pub fn report_due_on(kind: OrganizationKind, year: i32, deadlines: ReportDeadlines) -> Option<NaiveDate> {
    let next = year + 1;
    match kind {
        OrganizationKind::Department | OrganizationKind::GovernmentOffice => NaiveDate::from_ymd_opt(next, 1, 31),
        OrganizationKind::CountyGovernment => NaiveDate::from_ymd_opt(next, 3, 31),
        OrganizationKind::Township => NaiveDate::from_ymd_opt(next, deadlines.township_month, deadlines.township_day),
        OrganizationKind::PublicInstitution | OrganizationKind::HigherLevel => None,
    }
}

/// A township deadline must be a real day early in the following year (by 31 March, the latest
/// statutory date), so that a typo cannot silence the late list for a whole year.
pub fn valid_township_deadline(month: u32, day: u32) -> bool {
    month <= 3 && NaiveDate::from_ymd_opt(2025, month, day).is_some()
}

/// Money in 万元 as the table shows it, exactly: fen are 1/1,000,000 of a 万元.
pub fn fen_as_wan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let fraction = format!("{:06}", fen % 1_000_000);
    let fraction = fraction.trim_end_matches('0');
    let fraction = if fraction.len() < 2 { format!("{fraction:0<2}") } else { fraction.to_string() };
    format!("{sign}{}.{fraction}", fen / 1_000_000)
}

/// Money in 元 with two decimals, for the text of section 六.
pub fn fen_as_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
#[path = "annual_reports_tests.rs"]
mod tests;
