//! How a disclosure request ends: one outcome code per row of table 三 of the annual report (国办
//! 公开办函〔2021〕30号), so that the report is counted from the outcomes, never typed. The
//! statutory reply (条例第三十六至三十九条) follows from the outcome.

use crate::labeled_enum;

labeled_enum! {
    /// The outcome of a disclosure request (DOMAIN.md §10).
    pub enum RequestOutcome as "request_outcome" {
        Granted = "granted", "予以公开", "Granted";
        Partial = "partial", "部分公开", "Partly granted";
        DeniedStateSecret = "denied_state_secret", "不予公开：属于国家秘密", "Withheld: state secret";
        DeniedLawForbidden = "denied_law_forbidden", "不予公开：其他法律行政法规禁止公开", "Withheld: forbidden by other laws";
        DeniedSafetyStability = "denied_safety_stability", "不予公开：危及“三安全一稳定”", "Withheld: endangers security or stability";
        DeniedThirdParty = "denied_third_party", "不予公开：保护第三方合法权益", "Withheld: third-party rights";
        DeniedInternalAffairs = "denied_internal_affairs", "不予公开：属于三类内部事务信息", "Withheld: internal affairs";
        DeniedProcessInfo = "denied_process_info", "不予公开：属于四类过程性信息", "Withheld: process information";
        DeniedEnforcementFile = "denied_enforcement_file", "不予公开：属于行政执法案卷", "Withheld: enforcement file";
        DeniedAdminQuery = "denied_admin_query", "不予公开：属于行政查询事项", "Withheld: administrative query";
        UnableNotHeld = "unable_not_held", "无法提供：本机关不掌握相关政府信息", "Cannot provide: not held by this agency";
        UnableNeedsCreation = "unable_needs_creation", "无法提供：没有现成信息需要另行制作", "Cannot provide: would need to be created";
        UnableStillUnclear = "unable_still_unclear", "无法提供：补正后申请内容仍不明确", "Cannot provide: still unclear after correction";
        NotProcessedPetition = "not_processed_petition", "不予处理：信访举报投诉类申请", "Not processed: petition or complaint";
        NotProcessedDuplicate = "not_processed_duplicate", "不予处理：重复申请", "Not processed: repeated request";
        NotProcessedPublication = "not_processed_publication", "不予处理：要求提供公开出版物", "Not processed: asks for publications";
        NotProcessedExcessive = "not_processed_excessive", "不予处理：无正当理由大量反复申请", "Not processed: excessive requests";
        NotProcessedReconfirmation = "not_processed_reconfirmation", "不予处理：要求行政机关确认或重新出具已获取信息", "Not processed: asks to confirm or reissue";
        OtherNoCorrection = "other_no_correction", "其他处理：申请人无正当理由逾期不补正", "Other: no correction in time";
        OtherFeeUnpaid = "other_fee_unpaid", "其他处理：申请人逾期未缴纳信息处理费", "Other: fee not paid in time";
        Other = "other", "其他处理：其他", "Other";
    }
}

/// The groups of table 三, 三、本年度办理结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportGroup {
    Granted,
    Partial,
    Denied,
    Unable,
    NotProcessed,
    Other,
}

/// A row of table 三 under 三、本年度办理结果.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportRow {
    pub group: ReportGroup,
    /// 1-based position inside its group; 0 for the single-row groups (一) and (二).
    pub item: u8,
    /// The row's exact label in the 2021 format.
    pub label: &'static str,
}

impl RequestOutcome {
    /// The one row of table 三 this outcome is counted in.
    pub fn report_row(self) -> ReportRow {
        use ReportGroup as G;
        use RequestOutcome as O;
        let (group, item, label) = match self {
            O::Granted => (G::Granted, 0, "（一）予以公开"),
            O::Partial => (G::Partial, 0, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
            O::DeniedStateSecret => (G::Denied, 1, "1.属于国家秘密"),
            O::DeniedLawForbidden => (G::Denied, 2, "2.其他法律行政法规禁止公开"),
            O::DeniedSafetyStability => (G::Denied, 3, "3.危及“三安全一稳定”"),
            O::DeniedThirdParty => (G::Denied, 4, "4.保护第三方合法权益"),
            O::DeniedInternalAffairs => (G::Denied, 5, "5.属于三类内部事务信息"),
            O::DeniedProcessInfo => (G::Denied, 6, "6.属于四类过程性信息"),
            O::DeniedEnforcementFile => (G::Denied, 7, "7.属于行政执法案卷"),
            O::DeniedAdminQuery => (G::Denied, 8, "8.属于行政查询事项"),
            O::UnableNotHeld => (G::Unable, 1, "1.本机关不掌握相关政府信息"),
            O::UnableNeedsCreation => (G::Unable, 2, "2.没有现成信息需要另行制作"),
            O::UnableStillUnclear => (G::Unable, 3, "3.补正后申请内容仍不明确"),
            O::NotProcessedPetition => (G::NotProcessed, 1, "1.信访举报投诉类申请"),
            O::NotProcessedDuplicate => (G::NotProcessed, 2, "2.重复申请"),
            O::NotProcessedPublication => (G::NotProcessed, 3, "3.要求提供公开出版物"),
            O::NotProcessedExcessive => (G::NotProcessed, 4, "4.无正当理由大量反复申请"),
            O::NotProcessedReconfirmation => (G::NotProcessed, 5, "5.要求行政机关确认或重新出具已获取信息"),
            O::OtherNoCorrection => (G::Other, 1, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
            O::OtherFeeUnpaid => {
                (G::Other, 2, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请")
            }
            O::Other => (G::Other, 3, "3.其他"),
        };
        ReportRow { group, item, label }
    }

    /// Outcomes that end a request without a reply on the merits: the applicant dropped out
    /// (art. 30, 109号). They are reached by closing the request, not by `reply`.
    pub fn is_abandonment(self) -> bool {
        matches!(self, RequestOutcome::OtherNoCorrection | RequestOutcome::OtherFeeUnpaid)
    }

    /// Whether the reply must cite its legal basis and reasons: every refusal, in whole or in
    /// part (arts. 36(三), 37 "说明理由"), and the refusals to process.
    pub fn needs_legal_basis(self) -> bool {
        use ReportGroup as G;
        matches!(self.report_row().group, G::Partial | G::Denied | G::NotProcessed)
            || self == RequestOutcome::UnableNeedsCreation
            // Art. 36(七): the special law or channel must be named.
            || self == RequestOutcome::Other
    }

    /// The statutory substance of the reply (arts. 36–39), which the officer's text completes.
    pub fn statutory_reply_zh(self) -> &'static str {
        use RequestOutcome as O;
        match self {
            O::Granted => "经审查，您申请的政府信息予以公开，现向您提供该政府信息（或告知获取该政府信息的方式、途径和时间）。",
            O::Partial => "您申请的信息中含有不应当公开的内容，经区分处理，现向您提供可以公开的部分，并对不予公开的内容说明理由。",
            O::DeniedStateSecret
            | O::DeniedLawForbidden
            | O::DeniedSafetyStability
            | O::DeniedThirdParty
            | O::DeniedInternalAffairs
            | O::DeniedProcessInfo
            | O::DeniedEnforcementFile
            | O::DeniedAdminQuery => "经审查，您申请的政府信息依照《中华人民共和国政府信息公开条例》的规定不予公开，理由如下。",
            O::UnableNotHeld => "经检索，本机关不掌握您申请的政府信息（该政府信息不存在，或者不属于本机关负责公开）。",
            O::UnableNeedsCreation => "您申请的信息需要本机关对现有政府信息进行加工、分析或者另行制作，依照条例第三十八条不予提供。",
            O::UnableStillUnclear => "经补正，您的申请内容仍不明确，本机关无法确定您申请的政府信息。",
            O::NotProcessedPetition => "您以政府信息公开申请的形式进行信访、投诉、举报等活动，不作为政府信息公开申请处理，可以通过相应渠道提出。",
            O::NotProcessedDuplicate => "本机关已就您的政府信息公开申请作出答复，对您重复申请公开相同政府信息不予重复处理。",
            O::NotProcessedPublication => "您要求提供的是公开出版物，请通过以下途径获取。",
            O::NotProcessedExcessive => "您申请公开政府信息的数量、频次明显超过合理范围且理由不合理，本机关不予处理。",
            O::NotProcessedReconfirmation => "您要求本机关确认或者重新出具已获取的信息，不属于政府信息公开申请的处理范围。",
            O::OtherNoCorrection => "您无正当理由逾期未补正，视为放弃申请，本机关不再处理该政府信息公开申请。",
            O::OtherFeeUnpaid => "您逾期未缴纳信息处理费，视为放弃申请，本机关不再处理该政府信息公开申请。",
            O::Other => "本机关已依照有关规定对您的申请作出处理，详见答复内容。",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_outcome_maps_to_exactly_one_row_of_table_three() {
        let rows: Vec<ReportRow> = RequestOutcome::ALL.iter().map(|o| o.report_row()).collect();
        let distinct: HashSet<ReportRow> = rows.iter().copied().collect();
        assert_eq!(distinct.len(), RequestOutcome::ALL.len(), "no two outcomes share a row");
        // 予以公开 + 部分公开 + 8 + 3 + 5 + 3 = the 21 result rows above （七）总计.
        assert_eq!(rows.len(), 21);
        let count = |g: ReportGroup| rows.iter().filter(|r| r.group == g).count();
        assert_eq!(count(ReportGroup::Granted), 1);
        assert_eq!(count(ReportGroup::Partial), 1);
        assert_eq!(count(ReportGroup::Denied), 8);
        assert_eq!(count(ReportGroup::Unable), 3);
        assert_eq!(count(ReportGroup::NotProcessed), 5);
        assert_eq!(count(ReportGroup::Other), 3);
        for group in [ReportGroup::Denied, ReportGroup::Unable, ReportGroup::NotProcessed, ReportGroup::Other] {
            let mut items: Vec<u8> = rows.iter().filter(|r| r.group == group).map(|r| r.item).collect();
            items.sort();
            let expected: Vec<u8> = (1..=items.len() as u8).collect();
            assert_eq!(items, expected, "{group:?} rows are numbered 1..n without gaps");
        }
    }

    #[test]
    fn the_row_labels_are_those_of_the_2021_format() {
        assert_eq!(RequestOutcome::DeniedAdminQuery.report_row().label, "8.属于行政查询事项");
        assert_eq!(RequestOutcome::UnableStillUnclear.report_row().label, "3.补正后申请内容仍不明确");
        assert_eq!(RequestOutcome::NotProcessedExcessive.report_row().label, "4.无正当理由大量反复申请");
        assert!(RequestOutcome::Partial.report_row().label.starts_with("（二）部分公开"));
    }

    #[test]
    fn refusals_need_their_legal_basis_and_abandonments_are_not_replies() {
        assert!(RequestOutcome::Partial.needs_legal_basis());
        assert!(RequestOutcome::DeniedThirdParty.needs_legal_basis());
        assert!(!RequestOutcome::Granted.needs_legal_basis());
        assert!(RequestOutcome::OtherFeeUnpaid.is_abandonment());
        assert!(!RequestOutcome::Other.is_abandonment());
        for outcome in RequestOutcome::ALL {
            assert!(!outcome.statutory_reply_zh().is_empty());
        }
    }
}
