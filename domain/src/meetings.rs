//! Government meetings and their openness (DOMAIN.md §5; seed §1.2): a topic on a major
//! livelihood matter needs its invitation plan, its openness and its way of broadcast before the
//! plan is approved; an important decision draft needs a consultation whose results are published
//! before the meeting is held. Issue 5 builds the workflow on these rules.

use crate::consultations::ConsultationStatus;
use crate::documents::RuleFailure;
use crate::labeled_enum;

labeled_enum! {
    /// The state of a meeting (DOMAIN.md §10).
    pub enum MeetingStatus as "meeting_status" {
        Planned = "planned", "已拟定", "Planned";
        Approved = "approved", "已批准", "Approved";
        Held = "held", "已召开", "Held";
    }
}

labeled_enum! {
    /// How a meeting is made public, including live streams of teleconferences (seed §1.2).
    pub enum BroadcastMode as "broadcast_mode" {
        None = "none", "不直播", "Not broadcast";
        OnlineLive = "online_live", "网络直播", "Live online";
        RadioLive = "radio_live", "广播直播", "Live on radio";
        TvLive = "tv_live", "电视直播", "Live on TV";
        TeleconferenceStream = "teleconference_stream", "电视电话会议直播", "Teleconference stream";
    }
}

/// Who is invited to attend (利益相关方、公众代表、专家、媒体列席).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Invitations {
    pub stakeholders: bool,
    pub public_representatives: bool,
    pub experts: bool,
    pub media: bool,
}

/// Whether a topic is discussed in the open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Openness {
    Open {
        broadcast: Vec<BroadcastMode>,
    },
    /// Confidential, with the legal reason.
    Confidential {
        legal_reason: String,
    },
}

/// A topic as the plan states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPlan {
    pub major_livelihood: bool,
    pub invitations: Option<Invitations>,
    pub openness: Option<Openness>,
    /// The topic is a draft of an important decision (重要决策草案).
    pub important_decision_draft: bool,
    /// The status of the consultation held on the draft, if any.
    pub consultation: Option<ConsultationStatus>,
}

pub const INVITATION_PLAN_MISSING: RuleFailure = RuleFailure {
    code: "invitation_plan_missing",
    message_zh: "涉及重大民生事项的议题须说明是否邀请利益相关方、公众代表、专家和媒体列席",
    message_en:
        "A major livelihood topic must state whom it invites (stakeholders, public representatives, experts, media)",
};
pub const OPENNESS_MISSING: RuleFailure = RuleFailure {
    code: "openness_missing",
    message_zh: "涉及重大民生事项的议题须说明是否公开及公开方式",
    message_en: "A major livelihood topic must state whether and how it is open",
};
pub const BROADCAST_MISSING: RuleFailure = RuleFailure {
    code: "broadcast_missing",
    message_zh: "公开的议题须说明直播方式（可为不直播）",
    message_en: "An open topic must state its way of broadcast (which may be none)",
};
pub const CONFIDENTIAL_REASON_MISSING: RuleFailure = RuleFailure {
    code: "confidential_reason_missing",
    message_zh: "不公开的议题须说明法律依据",
    message_en: "A confidential topic must state its legal reason",
};
pub const CONSULTATION_RESULTS_MISSING: RuleFailure = RuleFailure {
    code: "consultation_results_missing",
    message_zh: "重要决策草案须先公开征求意见并公布采纳情况，方可上会",
    message_en: "An important decision draft needs a consultation with published results before the meeting",
};

fn push_once(failures: &mut Vec<RuleFailure>, failure: RuleFailure) {
    if !failures.contains(&failure) {
        failures.push(failure);
    }
}

/// Why the plan cannot be approved; every failure once, however many topics share it.
pub fn approval_failures(topics: &[TopicPlan]) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    for topic in topics {
        if let Some(Openness::Confidential { legal_reason }) = &topic.openness {
            if legal_reason.trim().is_empty() {
                push_once(&mut failures, CONFIDENTIAL_REASON_MISSING);
            }
        }
        if !topic.major_livelihood {
            continue;
        }
        if topic.invitations.is_none() {
            push_once(&mut failures, INVITATION_PLAN_MISSING);
        }
        match &topic.openness {
            None => push_once(&mut failures, OPENNESS_MISSING),
            Some(Openness::Open { broadcast }) if broadcast.is_empty() => push_once(&mut failures, BROADCAST_MISSING),
            Some(_) => {}
        }
    }
    failures
}

/// Why the meeting cannot be held yet.
pub fn holding_failures(topics: &[TopicPlan]) -> Vec<RuleFailure> {
    let unconsulted = topics
        .iter()
        .any(|t| t.important_decision_draft && t.consultation != Some(ConsultationStatus::ResultsPublished));
    if unconsulted {
        vec![CONSULTATION_RESULTS_MISSING]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn livelihood() -> TopicPlan {
        TopicPlan {
            major_livelihood: true,
            invitations: Some(Invitations { stakeholders: true, public_representatives: true, ..Default::default() }),
            openness: Some(Openness::Open { broadcast: vec![BroadcastMode::OnlineLive] }),
            important_decision_draft: false,
            consultation: None,
        }
    }

    #[test]
    fn a_major_livelihood_topic_states_invitations_openness_and_broadcast() {
        assert!(approval_failures(&[livelihood()]).is_empty());
        let bare = TopicPlan { invitations: None, openness: None, ..livelihood() };
        assert_eq!(approval_failures(&[bare.clone(), bare]), vec![INVITATION_PLAN_MISSING, OPENNESS_MISSING]);
        let silent = TopicPlan { openness: Some(Openness::Open { broadcast: vec![] }), ..livelihood() };
        assert_eq!(approval_failures(&[silent]), vec![BROADCAST_MISSING]);
        let streamed = TopicPlan {
            openness: Some(Openness::Open { broadcast: vec![BroadcastMode::TeleconferenceStream] }),
            ..livelihood()
        };
        assert!(approval_failures(&[streamed]).is_empty());
    }

    #[test]
    fn a_confidential_topic_gives_its_legal_reason() {
        let secret = TopicPlan { openness: Some(Openness::Confidential { legal_reason: " ".into() }), ..livelihood() };
        assert_eq!(approval_failures(&[secret]), vec![CONFIDENTIAL_REASON_MISSING]);
        let reasoned = TopicPlan {
            openness: Some(Openness::Confidential { legal_reason: "涉及国家秘密".into() }),
            ..livelihood()
        };
        assert!(approval_failures(&[reasoned]).is_empty());
    }

    #[test]
    fn ordinary_topics_need_no_plan() {
        let ordinary = TopicPlan { major_livelihood: false, invitations: None, openness: None, ..livelihood() };
        assert!(approval_failures(&[ordinary]).is_empty());
    }

    #[test]
    fn an_important_draft_waits_for_its_published_consultation_results() {
        let draft = TopicPlan { important_decision_draft: true, consultation: None, ..livelihood() };
        assert_eq!(holding_failures(std::slice::from_ref(&draft)), vec![CONSULTATION_RESULTS_MISSING]);
        let closed = TopicPlan { consultation: Some(ConsultationStatus::Closed), ..draft.clone() };
        assert_eq!(holding_failures(&[closed]), vec![CONSULTATION_RESULTS_MISSING]);
        let published = TopicPlan { consultation: Some(ConsultationStatus::ResultsPublished), ..draft };
        assert!(holding_failures(&[published, livelihood()]).is_empty());
    }
}
