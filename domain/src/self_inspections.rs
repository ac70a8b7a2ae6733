//! The yearly self-inspection (自查, seed §1.4): each organization reviews the documents it did not
//! disclose proactively and the information most often requested, decides on each (keep, with the
//! reason, or convert to proactive), and reports to the government office.

use crate::documents::{Disclosure, DocumentStatus, RuleFailure, Validity};
use crate::labeled_enum;

labeled_enum! {
    pub enum SelfInspectionStatus as "self_inspection_status" {
        Draft = "draft", "自查中", "In progress";
        Submitted = "submitted", "已报送", "Submitted to the government office";
    }
}

labeled_enum! {
    pub enum SelfInspectionItemKind as "self_inspection_item_kind" {
        Document = "document", "未主动公开的文件", "Document not disclosed proactively";
        RequestedInformation = "requested_information", "依申请公开较为集中的信息", "Information often requested";
    }
}

labeled_enum! {
    pub enum SelfInspectionDecision as "self_inspection_decision" {
        Keep = "keep", "维持现有公开属性", "Keep the attribute";
        Convert = "convert", "转为主动公开", "Convert to proactive";
    }
}

/// How many of the most requested subjects are listed, and how often a subject must have been asked
/// for to count as 较为集中.
pub const MOST_REQUESTED_LIMIT: i64 = 10;
pub const MOST_REQUESTED_MIN_COUNT: i64 = 2;

/// A document the self-inspection lists: issued, still valid and not disclosed proactively.
pub fn lists_document(status: DocumentStatus, disclosure: Option<Disclosure>, validity: Validity) -> bool {
    matches!(status, DocumentStatus::Approved | DocumentStatus::Filed)
        && matches!(disclosure, Some(Disclosure::OnRequest | Disclosure::NotPublic))
        && validity == Validity::Valid
}

/// Why a decision cannot be taken now (409 codes), if it cannot.
pub fn decision_refusal(
    inspection: SelfInspectionStatus,
    already_decided: bool,
    kind: SelfInspectionItemKind,
    decision: SelfInspectionDecision,
    document_still_listed: bool,
) -> Option<&'static str> {
    if inspection == SelfInspectionStatus::Submitted {
        Some("self_inspection_submitted")
    } else if already_decided {
        Some("item_already_decided")
    } else if kind == SelfInspectionItemKind::Document
        && decision == SelfInspectionDecision::Convert
        && !document_still_listed
    {
        Some("document_not_convertible")
    } else {
        None
    }
}

pub const UNDECIDED_ITEMS: RuleFailure = RuleFailure {
    code: "undecided_items",
    message_zh: "仍有自查事项未作决定",
    message_en: "Some items of the self-inspection have no decision yet",
};

/// Rules for submitting the report: every item decided.
pub fn submission_failures(undecided: usize) -> Vec<RuleFailure> {
    if undecided > 0 {
        vec![UNDECIDED_ITEMS]
    } else {
        Vec::new()
    }
}

/// A self-inspection covers a year that has begun, and not one before the Regulation's era.
pub fn year_allowed(year: i32, current_year: i32) -> bool {
    (2008..=current_year).contains(&year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SelfInspectionDecision::{Convert, Keep};
    use SelfInspectionItemKind::{Document, RequestedInformation};

    #[test]
    fn documents_not_disclosed_proactively_and_still_valid_are_listed() {
        let filed = DocumentStatus::Filed;
        assert!(lists_document(filed, Some(Disclosure::NotPublic), Validity::Valid));
        assert!(lists_document(DocumentStatus::Approved, Some(Disclosure::OnRequest), Validity::Valid));
        assert!(!lists_document(filed, Some(Disclosure::NotPublic), Validity::Repealed));
        assert!(!lists_document(DocumentStatus::Published, Some(Disclosure::Proactive), Validity::Valid));
        assert!(!lists_document(DocumentStatus::Draft, Some(Disclosure::NotPublic), Validity::Valid));
    }

    #[test]
    fn decisions_are_taken_once_before_submission_and_convert_only_what_is_still_undisclosed() {
        let draft = SelfInspectionStatus::Draft;
        assert_eq!(decision_refusal(draft, false, Document, Convert, true), None);
        assert_eq!(decision_refusal(draft, false, RequestedInformation, Convert, false), None);
        assert_eq!(decision_refusal(draft, true, Document, Keep, true), Some("item_already_decided"));
        assert_eq!(decision_refusal(draft, false, Document, Convert, false), Some("document_not_convertible"));
        assert_eq!(decision_refusal(draft, false, Document, Keep, false), None);
        let submitted = SelfInspectionStatus::Submitted;
        assert_eq!(decision_refusal(submitted, false, Document, Keep, true), Some("self_inspection_submitted"));
    }

    #[test]
    fn the_report_goes_only_with_every_item_decided() {
        assert!(submission_failures(0).is_empty());
        assert_eq!(submission_failures(2)[0].code, "undecided_items");
        assert!(year_allowed(2026, 2026) && !year_allowed(2027, 2026) && !year_allowed(1999, 2026));
    }
}
