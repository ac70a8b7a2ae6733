//! Policy interpretation (政策解读) and the three synchronizations (三同步), DOMAIN.md §3.

use crate::documents::PackageFacts;
use crate::labeled_enum;

labeled_enum! {
    pub enum InterpretationForm as "interpretation_form" {
        Article = "article", "解读文章", "Article";
        Graphic = "graphic", "图解", "Graphic";
        Video = "video", "视频", "Video";
        PressConference = "press_conference", "新闻发布会", "Press conference";
        MediaInterview = "media_interview", "媒体专访", "Media interview";
        OnlineInterview = "online_interview", "在线访谈", "Online interview";
        Qa = "qa", "问答", "Q&A";
        PressRelease = "press_release", "新闻稿", "Press release";
        Briefing = "briefing", "吹风会", "Briefing";
    }
}

labeled_enum! {
    pub enum InterpretationStage as "interpretation_stage" {
        Initial = "initial", "随文件同步解读", "With the document";
        FollowUp = "follow_up", "执行中持续解读", "Follow-up during execution";
    }
}

labeled_enum! {
    pub enum InterpretationStatus as "interpretation_status" {
        Draft = "draft", "起草", "Draft";
        Signed = "signed", "已审签", "Signed";
        Approved = "approved", "随文件审签", "Approved with the document";
        Published = "published", "已发布", "Published";
    }
}

/// The nine content elements, in the order of DOMAIN.md §3, with their Chinese names.
pub const CONTENT_ELEMENTS: &[(&str, &str)] = &[
    ("background_basis", "背景依据"),
    ("objectives", "目标任务"),
    ("main_content", "主要内容"),
    ("scope", "涉及范围"),
    ("standards", "执行标准"),
    ("notes", "注意事项"),
    ("key_terms", "关键词诠释"),
    ("benefits", "惠民利民举措"),
    ("changes", "新旧政策差异"),
];

/// The elements of a package as texts, in the order of [`CONTENT_ELEMENTS`].
pub type Elements<'a> = [Option<&'a str>; 9];

/// The names of the elements left empty (whitespace counts as empty; "changes" may say 无).
pub fn empty_elements(elements: &Elements<'_>) -> Vec<&'static str> {
    CONTENT_ELEMENTS
        .iter()
        .zip(elements.iter())
        .filter(|(_, text)| text.is_none_or(|t| t.trim().is_empty()))
        .map(|((name, _), _)| *name)
        .collect()
}

/// The facts D4 and S2 check, from a package's state.
pub fn package_facts(
    planned_activities: usize,
    elements: &Elements<'_>,
    signed_by_lead_principal: bool,
) -> PackageFacts {
    let main_content = elements[2].is_some_and(|t| !t.trim().is_empty());
    PackageFacts { has_plan: planned_activities > 0, has_materials: main_content, signed_by_lead_principal }
}

/// Who may sign: the principal of the lead drafting organization, the "first interpreter".
pub fn may_sign(signer_org: Option<uuid::Uuid>, is_principal: bool, lead_drafting_org: uuid::Uuid) -> bool {
    is_principal && signer_org == Some(lead_drafting_org)
}

/// The next status of an interpretation, or None when the act is not allowed now.
pub fn next_status(
    from: InterpretationStatus,
    act: InterpretationAct,
    stage: InterpretationStage,
) -> Option<InterpretationStatus> {
    use InterpretationAct as A;
    use InterpretationStatus as S;
    match (from, act, stage) {
        (S::Draft, A::Edit, _) => Some(S::Draft),
        // Editing a signed package withdraws the signature: the principal signs what is published.
        (S::Signed, A::Edit, _) => Some(S::Draft),
        (S::Draft, A::Sign, _) => Some(S::Signed),
        // S2: the initial package is approved only together with its document.
        (S::Signed, A::ApproveWithDocument, InterpretationStage::Initial) => Some(S::Approved),
        // S3: published with the document; a follow-up is published on its own once signed.
        (S::Approved, A::PublishWithDocument, InterpretationStage::Initial) => Some(S::Published),
        (S::Signed, A::PublishAlone, InterpretationStage::FollowUp) => Some(S::Published),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterpretationAct {
    Edit,
    Sign,
    ApproveWithDocument,
    PublishWithDocument,
    PublishAlone,
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn completeness_lists_the_empty_elements() {
        let mut elements: Elements = [Some("依据《条例》"); 9];
        assert!(empty_elements(&elements).is_empty());
        elements[4] = None;
        elements[8] = Some("  ");
        assert_eq!(empty_elements(&elements), vec!["standards", "changes"]);
    }

    #[test]
    fn s1_a_package_needs_plan_materials_and_signature() {
        let elements: Elements = [None, None, Some("主要内容"), None, None, None, None, None, None];
        assert!(package_facts(1, &elements, true).is_complete());
        assert!(!package_facts(0, &elements, true).is_complete(), "no plan");
        assert!(!package_facts(1, &[None; 9], true).is_complete(), "no materials");
        assert!(!package_facts(1, &elements, false).is_complete(), "not signed");
    }

    #[test]
    fn only_the_lead_principal_signs() {
        let lead = Uuid::now_v7();
        assert!(may_sign(Some(lead), true, lead));
        assert!(!may_sign(Some(lead), false, lead));
        assert!(!may_sign(Some(Uuid::now_v7()), true, lead));
    }

    #[test]
    fn s2_s3_the_initial_package_moves_only_with_its_document() {
        use InterpretationAct as A;
        use InterpretationStage as G;
        use InterpretationStatus as S;
        assert_eq!(next_status(S::Signed, A::ApproveWithDocument, G::Initial), Some(S::Approved));
        assert_eq!(
            next_status(S::Draft, A::ApproveWithDocument, G::Initial),
            None,
            "unsigned packages are not approved"
        );
        assert_eq!(next_status(S::Approved, A::PublishWithDocument, G::Initial), Some(S::Published));
        assert_eq!(next_status(S::Signed, A::PublishAlone, G::Initial), None, "never public without its document");
        assert_eq!(next_status(S::Signed, A::PublishAlone, G::FollowUp), Some(S::Published));
        assert_eq!(next_status(S::Signed, A::Edit, G::Initial), Some(S::Draft));
        assert_eq!(next_status(S::Approved, A::Edit, G::Initial), None, "approved packages are frozen");
    }
}
