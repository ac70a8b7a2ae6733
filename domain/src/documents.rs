//! Documents (公文), their disclosure attribute (公开属性) and the rules of submission (D1–D5) and
//! publication (P1–P2), DOMAIN.md §2. Every rule check returns ALL failures, never just the first,
//! so that a returned document (退文) lists everything the drafter has to fix.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::WorkCalendar;
use crate::labeled_enum;

labeled_enum! {
    /// 公开属性.
    pub enum Disclosure as "disclosure" {
        PublicRelease = "public_release", "此件公开发布", "Released publicly";
        Proactive = "proactive", "主动公开", "Proactive disclosure";
        OnRequest = "on_request", "依申请公开", "Disclosed on request";
        NotPublic = "not_public", "不予公开", "Not disclosed";
    }
}

impl Disclosure {
    /// Published to everyone once approved (as opposed to filed).
    pub fn is_public(self) -> bool {
        matches!(self, Disclosure::PublicRelease | Disclosure::Proactive)
    }
}

labeled_enum! {
    /// In whose name the document is issued.
    pub enum IssuingAuthority as "issuing_authority" {
        CountyGovernment = "county_government", "以政府名义", "In the name of the county government";
        GovernmentOffice = "government_office", "以政府办公室名义", "In the name of the government office";
        Department = "department", "以部门名义", "In the name of a department";
        Township = "township", "以乡镇名义", "In the name of a township";
    }
}

impl IssuingAuthority {
    /// Government-level documents are reviewed (and may be returned) by the government office (D5).
    pub fn is_government_level(self) -> bool {
        matches!(self, IssuingAuthority::CountyGovernment | IssuingAuthority::GovernmentOffice)
    }
}

labeled_enum! {
    /// The five openness areas (五公开).
    pub enum DocumentCategory as "document_category" {
        Decision = "decision", "决策公开", "Decision-making";
        Execution = "execution", "执行公开", "Execution";
        Management = "management", "管理公开", "Management";
        Service = "service", "服务公开", "Services";
        Result = "result", "结果公开", "Results";
    }
}

labeled_enum! {
    /// Kind of document, as counted in table 二 of the annual report.
    pub enum DocKind as "doc_kind" {
        Regulation = "regulation", "规章", "Regulation";
        Normative = "normative", "行政规范性文件", "Normative document";
        Other = "other", "其他公文", "Other document";
    }
}

labeled_enum! {
    pub enum DocumentStatus as "document_status" {
        Draft = "draft", "起草", "Draft";
        Submitted = "submitted", "报批", "Submitted";
        Returned = "returned", "退文", "Returned";
        Approved = "approved", "审签", "Approved";
        Published = "published", "印发并公开", "Published";
        Filed = "filed", "印发不公开", "Issued, not published";
    }
}

labeled_enum! {
    /// 效力状态.
    pub enum Validity as "validity" {
        Valid = "valid", "有效", "In force";
        Repealed = "repealed", "废止", "Repealed";
        Expired = "expired", "失效", "Expired";
    }
}

labeled_enum! {
    /// The exemptions of Regulation arts. 14–16 that justify `not_public`; also the eight 不予公开
    /// rows of the annual report.
    pub enum Exemption as "disclosure_exemption" {
        StateSecret = "state_secret", "属于国家秘密", "State secret";
        LawForbidden = "law_forbidden", "其他法律行政法规禁止公开", "Forbidden by other laws";
        SafetyStability = "safety_stability", "危及“三安全一稳定”", "Endangers security or stability";
        ThirdParty = "third_party", "保护第三方合法权益", "Third-party trade secret or privacy";
        InternalAffairs = "internal_affairs", "属于三类内部事务信息", "Internal affairs";
        ProcessInfo = "process_info", "属于四类过程性信息", "Process information";
        EnforcementFile = "enforcement_file", "属于行政执法案卷", "Law-enforcement case file";
        AdminQuery = "admin_query", "属于行政查询事项", "Administrative query matter";
    }
}

/// Proactive information is published within this many working days of being formed (art. 26).
pub const PUBLISH_WITHIN_WORKING_DAYS: u32 = 20;

/// One failed rule, with the stable code the contract names and texts for the drafter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleFailure {
    pub code: &'static str,
    pub message_zh: &'static str,
    pub message_en: &'static str,
}

const fn failure(code: &'static str, message_zh: &'static str, message_en: &'static str) -> RuleFailure {
    RuleFailure { code, message_zh, message_en }
}

pub const DISCLOSURE_MISSING: RuleFailure =
    failure("disclosure_missing", "未确定公开属性", "The disclosure attribute is not set");
pub const DISCLOSURE_REASON_MISSING: RuleFailure = failure(
    "disclosure_reason_missing",
    "依申请公开或不予公开须说明理由和法律依据（不予公开须指明条例第十四至十六条的情形）",
    "On-request and not-public documents need a reason and its legal basis (not-public: an exemption of arts. 14–16)",
);
pub const GOV_LEVEL_PROPOSAL_MISSING: RuleFailure = failure(
    "gov_office_return",
    "以政府或政府办公室名义发文的，起草部门须对公开属性提出建议并说明理由",
    "For government-level documents the drafting department must propose the attribute with a reason",
);
pub const OPENNESS_REVIEW_MISSING: RuleFailure = failure(
    "openness_review_missing",
    "依申请公开或不予公开的文件须先经起草单位政务公开工作机构审查通过",
    "On-request and not-public documents must first pass the drafting organization's openness review",
);
pub const INTERPRETATION_MISSING: RuleFailure = failure(
    "interpretation_missing",
    "政策性文件须同步报送解读方案和解读材料，并经牵头起草单位主要负责人审签",
    "A policy document must carry its interpretation plan and materials, signed by the lead drafting organization's principal",
);
pub const SECRECY_REVIEW_MISSING: RuleFailure =
    failure("secrecy_review_missing", "公开前须经保密审查", "A confidentiality review must pass before publication");
pub const CONFIRMATION_MISSING: RuleFailure = failure(
    "confirmation_missing",
    "涉及的其他机关尚未全部确认内容",
    "Not every involved organization has confirmed the content",
);
pub const INTERPRETATION_NOT_SIGNED: RuleFailure = failure(
    "interpretation_not_signed",
    "初始解读须经牵头起草单位主要负责人审签后与文件同步审签",
    "The initial interpretation must be signed by the lead drafting organization's principal to be approved with the document",
);

/// What the submission rules look at.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFacts {
    pub disclosure: Option<Disclosure>,
    pub disclosure_reason: Option<String>,
    pub legal_basis: Option<String>,
    pub exemption: Option<Exemption>,
    pub issuing_authority: Option<IssuingAuthority>,
    pub is_policy: bool,
    /// A passing openness review of the current revision by the drafting organization's office.
    pub openness_review_passed: bool,
    /// The initial interpretation package, if any.
    pub interpretation: Option<PackageFacts>,
}

/// What S1 looks at in the initial interpretation package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackageFacts {
    /// The plan lists at least one planned activity.
    pub has_plan: bool,
    /// The materials fill at least the main content.
    pub has_materials: bool,
    /// Signed by the principal of the lead drafting organization.
    pub signed_by_lead_principal: bool,
}

impl PackageFacts {
    pub fn is_complete(&self) -> bool {
        self.has_plan && self.has_materials && self.signed_by_lead_principal
    }
}

fn filled(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// D1–D5 at submission; an empty list means the document goes on to `submitted`.
pub fn submission_failures(facts: &SubmissionFacts) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    let Some(disclosure) = facts.disclosure else {
        failures.push(DISCLOSURE_MISSING);
        if facts.is_policy && !facts.interpretation.is_some_and(|p| p.is_complete()) {
            failures.push(INTERPRETATION_MISSING);
        }
        return failures;
    };
    let withheld = !disclosure.is_public();
    let reasoned = filled(&facts.disclosure_reason)
        && filled(&facts.legal_basis)
        && (disclosure != Disclosure::NotPublic || facts.exemption.is_some());
    if withheld && !reasoned {
        failures.push(DISCLOSURE_REASON_MISSING);
    } else if !withheld
        && facts.issuing_authority.is_some_and(IssuingAuthority::is_government_level)
        && !filled(&facts.disclosure_reason)
    {
        failures.push(GOV_LEVEL_PROPOSAL_MISSING);
    }
    if withheld && !facts.openness_review_passed {
        failures.push(OPENNESS_REVIEW_MISSING);
    }
    if facts.is_policy && !facts.interpretation.is_some_and(|p| p.is_complete()) {
        failures.push(INTERPRETATION_MISSING);
    }
    failures
}

/// What the publication rules look at.
#[derive(Debug, Clone, Default)]
pub struct PublicationFacts {
    pub secrecy_review_passed: bool,
    pub involved_org_ids: Vec<uuid::Uuid>,
    pub confirmed_org_ids: Vec<uuid::Uuid>,
}

/// P1–P2 at publication; any failure refuses the act and writes nothing.
pub fn publication_failures(facts: &PublicationFacts) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    if !facts.secrecy_review_passed {
        failures.push(SECRECY_REVIEW_MISSING);
    }
    if facts.involved_org_ids.iter().any(|org| !facts.confirmed_org_ids.contains(org)) {
        failures.push(CONFIRMATION_MISSING);
    }
    failures
}

/// S2 at approval: a policy document is approved together with its signed initial package.
pub fn approval_failures(is_policy: bool, package: Option<PackageFacts>) -> Vec<RuleFailure> {
    if is_policy && !package.is_some_and(|p| p.is_complete()) {
        vec![INTERPRETATION_NOT_SIGNED]
    } else {
        Vec::new()
    }
}

/// The state-changing acts on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentAct {
    Edit,
    Submit,
    Return,
    Approve,
    Publish,
    File,
}

/// The status an act leads to, or None when the act is not allowed in `from` (409).
/// `submit` leads to `submitted` or, when rules fail, `returned`; the caller decides which.
pub fn next_status(from: DocumentStatus, act: DocumentAct, disclosure: Option<Disclosure>) -> Option<DocumentStatus> {
    use DocumentAct as A;
    use DocumentStatus as S;
    match (from, act) {
        (S::Draft | S::Returned, A::Edit) => Some(S::Draft),
        // A returned document is edited (back to draft) before it is submitted again.
        (S::Draft, A::Submit) => Some(S::Submitted),
        (S::Submitted, A::Return) => Some(S::Returned),
        (S::Submitted, A::Approve) => Some(S::Approved),
        (S::Approved, A::Publish) if disclosure.is_some_and(Disclosure::is_public) => Some(S::Published),
        (S::Approved, A::File) if disclosure.is_some_and(|d| !d.is_public()) => Some(S::Filed),
        // A filed document converted to proactive (self-inspection) is then published.
        (S::Filed, A::Publish) if disclosure.is_some_and(Disclosure::is_public) => Some(S::Published),
        _ => None,
    }
}

/// 20 working days from the day the information was formed (approved) or converted, for
/// information to be disclosed proactively; None for the rest.
pub fn publish_due_on(formed_on: NaiveDate, disclosure: Disclosure, calendar: &WorkCalendar) -> Option<NaiveDate> {
    publish_deadline(formed_on, disclosure, calendar).map(|d| d.due_on)
}

/// The publication deadline with its explanation (and whether it is provisional).
pub fn publish_deadline(
    formed_on: NaiveDate,
    disclosure: Disclosure,
    calendar: &WorkCalendar,
) -> Option<crate::calendar::DeadlineExplanation> {
    disclosure.is_public().then(|| calendar.explain(formed_on, PUBLISH_WITHIN_WORKING_DAYS, &[]))
}

/// Counties and townships cannot make 规章 (立法法): only higher levels issue `regulation`.
pub fn doc_kind_allowed(kind: DocKind) -> bool {
    kind != DocKind::Regulation
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn complete_package() -> Option<PackageFacts> {
        Some(PackageFacts { has_plan: true, has_materials: true, signed_by_lead_principal: true })
    }

    fn proactive() -> SubmissionFacts {
        SubmissionFacts {
            disclosure: Some(Disclosure::Proactive),
            issuing_authority: Some(IssuingAuthority::Department),
            ..Default::default()
        }
    }

    fn codes(failures: &[RuleFailure]) -> Vec<&'static str> {
        failures.iter().map(|f| f.code).collect()
    }

    #[test]
    fn d1_the_attribute_must_be_set() {
        assert!(submission_failures(&proactive()).is_empty());
        let facts = SubmissionFacts { disclosure: None, ..proactive() };
        assert_eq!(codes(&submission_failures(&facts)), vec!["disclosure_missing"]);
    }

    #[test]
    fn d2_withheld_documents_need_reason_basis_and_for_not_public_an_exemption() {
        let on_request = SubmissionFacts {
            disclosure: Some(Disclosure::OnRequest),
            disclosure_reason: Some("涉及特定当事人".into()),
            legal_basis: Some("《条例》第二十七条".into()),
            openness_review_passed: true,
            ..proactive()
        };
        assert!(submission_failures(&on_request).is_empty());
        let no_basis = SubmissionFacts { legal_basis: None, ..on_request.clone() };
        assert_eq!(codes(&submission_failures(&no_basis)), vec!["disclosure_reason_missing"]);
        let not_public = SubmissionFacts { disclosure: Some(Disclosure::NotPublic), ..on_request.clone() };
        assert_eq!(codes(&submission_failures(&not_public)), vec!["disclosure_reason_missing"]);
        let exempt = SubmissionFacts { exemption: Some(Exemption::ProcessInfo), ..not_public };
        assert!(submission_failures(&exempt).is_empty());
        let blank = SubmissionFacts { disclosure_reason: Some("   ".into()), ..on_request };
        assert_eq!(codes(&submission_failures(&blank)), vec!["disclosure_reason_missing"]);
    }

    #[test]
    fn d3_withheld_documents_need_the_openness_review() {
        let facts = SubmissionFacts {
            disclosure: Some(Disclosure::OnRequest),
            disclosure_reason: Some("涉及特定当事人".into()),
            legal_basis: Some("《条例》第二十七条".into()),
            openness_review_passed: false,
            ..proactive()
        };
        assert_eq!(codes(&submission_failures(&facts)), vec!["openness_review_missing"]);
        assert!(submission_failures(&SubmissionFacts { openness_review_passed: true, ..facts }).is_empty());
    }

    #[test]
    fn d4_policy_documents_need_a_signed_package() {
        let policy = SubmissionFacts { is_policy: true, ..proactive() };
        assert_eq!(codes(&submission_failures(&policy)), vec!["interpretation_missing"]);
        let unsigned = SubmissionFacts {
            interpretation: Some(PackageFacts { has_plan: true, has_materials: true, signed_by_lead_principal: false }),
            ..policy.clone()
        };
        assert_eq!(codes(&submission_failures(&unsigned)), vec!["interpretation_missing"]);
        assert!(submission_failures(&SubmissionFacts { interpretation: complete_package(), ..policy }).is_empty());
    }

    #[test]
    fn d5_government_level_documents_need_the_proposal_reason() {
        let gov = SubmissionFacts { issuing_authority: Some(IssuingAuthority::CountyGovernment), ..proactive() };
        assert_eq!(codes(&submission_failures(&gov)), vec!["gov_office_return"]);
        let reasoned =
            SubmissionFacts { disclosure_reason: Some("面向社会公众，应主动公开".into()), ..gov };
        assert!(submission_failures(&reasoned).is_empty());
    }

    #[test]
    fn every_failed_rule_is_reported_at_once() {
        let facts = SubmissionFacts {
            disclosure: Some(Disclosure::OnRequest),
            is_policy: true,
            issuing_authority: Some(IssuingAuthority::Department),
            ..Default::default()
        };
        assert_eq!(
            codes(&submission_failures(&facts)),
            vec!["disclosure_reason_missing", "openness_review_missing", "interpretation_missing"]
        );
        let nothing = SubmissionFacts { is_policy: true, ..Default::default() };
        assert_eq!(codes(&submission_failures(&nothing)), vec!["disclosure_missing", "interpretation_missing"]);
    }

    #[test]
    fn p1_p2_publication_needs_secrecy_review_and_every_confirmation() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let ok = PublicationFacts {
            secrecy_review_passed: true,
            involved_org_ids: vec![a, b],
            confirmed_org_ids: vec![b, a],
        };
        assert!(publication_failures(&ok).is_empty());
        let both =
            PublicationFacts { secrecy_review_passed: false, involved_org_ids: vec![a, b], confirmed_org_ids: vec![a] };
        assert_eq!(codes(&publication_failures(&both)), vec!["secrecy_review_missing", "confirmation_missing"]);
    }

    #[test]
    fn s2_approval_carries_the_signed_package() {
        assert!(approval_failures(false, None).is_empty());
        assert_eq!(codes(&approval_failures(true, None)), vec!["interpretation_not_signed"]);
        assert!(approval_failures(true, complete_package()).is_empty());
    }

    #[test]
    fn the_state_machine() {
        use DocumentAct as A;
        use DocumentStatus as S;
        let p = Some(Disclosure::Proactive);
        let w = Some(Disclosure::NotPublic);
        assert_eq!(next_status(S::Draft, A::Submit, p), Some(S::Submitted));
        assert_eq!(next_status(S::Returned, A::Edit, p), Some(S::Draft));
        assert_eq!(next_status(S::Returned, A::Submit, p), None, "a returned document is edited first");
        assert_eq!(next_status(S::Submitted, A::Approve, p), Some(S::Approved));
        assert_eq!(next_status(S::Submitted, A::Edit, p), None, "no edits once submitted");
        assert_eq!(next_status(S::Approved, A::Approve, p), None, "approve what is no longer submitted");
        assert_eq!(next_status(S::Approved, A::Publish, p), Some(S::Published));
        assert_eq!(next_status(S::Approved, A::Publish, w), None, "withheld documents are filed");
        assert_eq!(next_status(S::Approved, A::File, w), Some(S::Filed));
        assert_eq!(next_status(S::Approved, A::File, p), None);
        assert_eq!(next_status(S::Published, A::Publish, p), None);
        assert_eq!(next_status(S::Filed, A::Publish, p), Some(S::Published), "conversion after self-inspection");
        assert_eq!(next_status(S::Draft, A::Return, p), None);
    }

    #[test]
    fn publication_is_due_twenty_working_days_after_approval() {
        let calendar = crate::calendar::tests_support::calendar_2025_2026();
        let formed = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(publish_due_on(formed, Disclosure::Proactive, &calendar), NaiveDate::from_ymd_opt(2026, 3, 16));
        assert_eq!(publish_due_on(formed, Disclosure::OnRequest, &calendar), None);
    }

    #[test]
    fn counties_cannot_make_regulations() {
        assert!(!doc_kind_allowed(DocKind::Regulation));
        assert!(doc_kind_allowed(DocKind::Normative));
    }
}
