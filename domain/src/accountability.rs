//! The accountability ledger (seed §6, DOMAIN.md §8): every lateness the system detects is a
//! breach of one of these kinds, the government office records the ones it cannot see (inaccurate
//! release, 弄虚作假), and decides what follows.

use crate::labeled_enum;

labeled_enum! {
    /// DOMAIN.md §10, breach kinds: one `breach` table for every detected lateness.
    pub enum BreachKind as "breach_kind" {
        DocumentPublishedLate = "document_published_late", "应主动公开信息未按时公开", "Document published late";
        InterpretationPlanLate = "interpretation_plan_late", "解读活动未按计划开展", "Planned interpretation late";
        OpinionReleaseLate = "opinion_release_late", "舆情信息发布超时", "Opinion release late";
        OpinionPressConferenceLate = "opinion_press_conference_late", "舆情新闻发布会超时", "Opinion press conference late";
        OpinionResponseLate = "opinion_response_late", "舆情回应超时", "Opinion response late";
        RequestOverdue = "request_overdue", "依申请公开逾期答复", "Disclosure request answered late";
        ConsultationResultsLate = "consultation_results_late", "意见征集结果未按时反馈", "Consultation results late";
        RepostMissing = "repost_missing", "上级文件未按时转载", "Higher-level document not reposted";
        RectificationOverdue = "rectification_overdue", "整改逾期", "Rectification overdue";
        WebsiteNotUpdated = "website_not_updated", "网站长期未更新", "Website not updated";
        AnnualReportLate = "annual_report_late", "年度报告未按时公布", "Annual report late";
        Manual = "manual", "人工登记", "Recorded manually";
    }
}

labeled_enum! {
    /// What a manual entry records: the breaches the system cannot detect by itself.
    pub enum ManualBreachCategory as "manual_breach_category" {
        InaccurateRelease = "inaccurate_release", "发布信息不准确", "Inaccurate release";
        Falsification = "falsification", "弄虚作假", "Falsification";
        Other = "other", "其他", "Other";
    }
}

labeled_enum! {
    /// The government office's decision on a breach (seed §6.3).
    pub enum BreachDecisionKind as "breach_decision_kind" {
        Criticism = "criticism", "批评教育", "Criticism";
        PublicNotice = "public_notice", "通报批评", "Public notice";
        Referral = "referral", "移送有关机关处理", "Referral to the competent authority";
    }
}

/// Where the record a breach was found on lives in the API, so that the ledger links to it.
pub fn source_path(entity_type: &str, entity_id: Option<uuid::Uuid>) -> Option<String> {
    let id = entity_id?;
    let collection = match entity_type {
        "document" => "documents",
        "interpretation" => "interpretations",
        "disclosure_request" => "disclosure-requests",
        "consultation" => "consultations",
        "opinion_incident" => "opinion-incidents",
        "repost_obligation" => "repost-obligations",
        "rectification" => "rectifications",
        "annual_report" => "annual-reports",
        _ => return None,
    };
    Some(format!("/api/v1/{collection}/{id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detected_kind_has_a_label_and_sources_link_to_their_resources() {
        assert_eq!(BreachKind::ALL.len(), 12, "DOMAIN.md §10 names eleven detected kinds and manual entries");
        assert_eq!("annual_report_late".parse::<BreachKind>().unwrap().label_zh(), "年度报告未按时公布");
        let id = uuid::Uuid::nil();
        assert_eq!(source_path("disclosure_request", Some(id)).unwrap(), format!("/api/v1/disclosure-requests/{id}"));
        assert_eq!(source_path("opinion_incident", Some(id)).unwrap(), format!("/api/v1/opinion-incidents/{id}"));
        assert_eq!(source_path("document", None), None);
        assert_eq!(source_path("manual", Some(id)), None);
    }
}
