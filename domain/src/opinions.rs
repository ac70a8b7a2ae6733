//! Public-opinion response (政务舆情, DOMAIN.md §6; seed §3): who must respond, what each handling
//! class must publish before the incident counts as responded, and the wall-clock deadlines of
//! 国办发〔2016〕80号 (authoritative information within 5 hours and a press conference within 24
//! hours for opinion about an especially major or major sudden event) and 国办发〔2016〕61号 (every
//! other incident answered within 48 hours).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::documents::RuleFailure;
use crate::labeled_enum;

labeled_enum! {
    /// Where the opinion was found.
    pub enum IncidentSource as "incident_source" {
        Media = "media", "媒体报道", "Media";
        OnlinePlatform = "online_platform", "网络平台", "Online platform";
        Hotline = "hotline", "政府热线", "Hotline";
        Petition = "petition", "信访", "Petition";
        Other = "other", "其他", "Other";
    }
}

labeled_enum! {
    /// The collection focus of seed §3.2 (突出舆情收集重点).
    pub enum OpinionFocus as "opinion_focus" {
        MajorDecision = "major_decision", "党委政府重要决策部署及会议议定事项", "Major decisions and meeting resolutions";
        PublicInterestReport = "public_interest_report", "涉及公众切身利益且可能产生较大影响的媒体报道", "Media reports on the public's vital interests";
        GovernmentCredibility = "government_credibility", "可能影响政府形象和公信力的舆情", "Opinion that may affect the government's credibility";
        EmergencyResponse = "emergency_response", "重大突发事件处置和自然灾害应对", "Major emergencies and natural disasters";
        MoralBottomLine = "moral_bottom_line", "严重冲击社会道德底线的民生舆情", "Livelihood opinion that shocks social morals";
        HarmfulFalseInformation = "harmful_false_information", "严重危害社会秩序和国家利益的不实信息", "False information seriously harming public order or the national interest";
    }
}

labeled_enum! {
    /// The level of the sudden public event (突发事件) an incident concerns.
    pub enum EventLevel as "event_level" {
        EspeciallyMajor = "especially_major", "特别重大", "Especially major";
        Major = "major", "重大", "Major";
        Large = "large", "较大", "Large";
        General = "general", "一般", "General";
    }
}

labeled_enum! {
    /// The state of an incident (DOMAIN.md §10).
    pub enum IncidentStatus as "incident_status" {
        Collected = "collected", "已收集", "Collected";
        Consulted = "consulted", "已会商", "Consulted";
        Assessed = "assessed", "已研判", "Assessed";
        Responded = "responded", "已回应", "Responded";
        Evaluated = "evaluated", "已评估", "Evaluated";
    }
}

labeled_enum! {
    /// How the incident is handled after assessment (研判, seed §3.3).
    pub enum HandlingClass as "handling_class" {
        ConstructiveSuggestion = "constructive_suggestion", "建设性意见建议", "Constructive suggestion";
        RealDifficulty = "real_difficulty", "群众反映的实际困难", "Real difficulty";
        MajorProblem = "major_problem", "群众反映的重大问题", "Major problem";
        PublicUnaware = "public_unaware", "公众不了解情况", "Public unaware of the facts";
        WrongView = "wrong_view", "错误看法", "Wrong view";
        FalseInformation = "false_information", "虚假和不实信息", "False information";
    }
}

labeled_enum! {
    /// What a release is.
    pub enum ReleaseKind as "release_kind" {
        AuthoritativeInformation = "authoritative_information", "权威信息发布", "Authoritative information";
        PressConference = "press_conference", "新闻发布会", "Press conference";
        FollowUp = "follow_up", "持续发布", "Follow-up release";
        AdoptionPublished = "adoption_published", "吸收采纳情况公开", "Adoption published";
        SolutionPublished = "solution_published", "研究解决情况公布", "Solution published";
        InvestigationPublished = "investigation_published", "调查处置情况发布", "Investigation published";
        Correction = "correction", "引导纠正信息", "Correction";
        Response = "response", "回应", "Response";
    }
}

labeled_enum! {
    /// Where false information is referred (移交公安机关、网络监管部门).
    pub enum ReferralAuthority as "referral_authority" {
        Police = "police", "公安机关", "Police";
        CyberspaceAuthority = "cyberspace_authority", "网络监管部门", "Cyberspace authority";
    }
}

// ---------------------------------------------------------------------------------------------
// Responsibility (属地管理、分级负责、谁主管谁负责)

labeled_enum! {
    /// The rule of seed §3.1 that named the responsible party.
    pub enum ResponsibilityRule as "responsibility_rule" {
        CountyPolicy = "county_policy", "涉及县政府重要政策、重要决策部署的，县级有关部门是回应主体", "County policy: the responsible county department";
        SingleOrganization = "single_organization", "涉及单个乡镇或部门的，涉事责任部门是回应主体", "One organization: that organization";
        SeveralRegions = "several_regions", "涉及多个地区的，上级政府主管部门是回应主体", "Several regions: the higher-level authority";
        SeveralDepartments = "several_departments", "涉及多个部门的，有关部门按职责分工回应，必要时确定牵头部门", "Several departments: each by duty, a lead if named";
    }
}

/// What the responsibility rules read.
#[derive(Debug, Clone, Default)]
pub struct ResponsibilityFacts {
    /// The subject is an important policy or decision of the county government.
    pub county_policy: bool,
    /// The county department responsible for that policy.
    pub policy_department: Option<Uuid>,
    /// The organizations the incident involves.
    pub involved_organizations: Vec<Uuid>,
    /// The regions (townships, or places beyond the county) it involves.
    pub regions: Vec<String>,
    /// The lead `gov_office` named among several departments.
    pub lead: Option<Uuid>,
    /// For opinion spanning several regions: the competent department of the higher-level
    /// government, when it is in the system (otherwise the response is escalated outside it).
    pub higher_authority: Option<Uuid>,
}

/// Who responds, and by which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responsibility {
    pub rule: ResponsibilityRule,
    /// The organizations that respond (empty when it goes to the higher-level authority).
    pub responders: Vec<Uuid>,
    pub lead: Option<Uuid>,
    /// The response belongs to the higher-level authority: recorded as an escalation.
    pub escalation: bool,
}

pub const POLICY_DEPARTMENT_MISSING: RuleFailure = RuleFailure {
    code: "policy_department_missing",
    message_zh: "涉及县政府重要政策的舆情，须指明负责该政策的县级部门",
    message_en: "Opinion on a county policy must name the county department responsible for it",
};
pub const NOTHING_INVOLVED: RuleFailure = RuleFailure {
    code: "no_organization_involved",
    message_zh: "须至少指明一个涉事单位或地区",
    message_en: "Name at least one involved organization or region",
};
pub const LEAD_NOT_APPLICABLE: RuleFailure = RuleFailure {
    code: "lead_not_applicable",
    message_zh: "仅涉及多个部门的舆情可确定牵头部门",
    message_en: "A lead is named only when several departments are involved",
};
pub const LEAD_NOT_INVOLVED: RuleFailure = RuleFailure {
    code: "lead_not_involved",
    message_zh: "牵头部门须为涉事部门之一",
    message_en: "The lead must be one of the involved departments",
};

fn distinct<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

/// Applies seed §3.1 in its order: a county policy goes to its department; opinion spanning
/// several regions to the higher-level authority; otherwise the one organization involved, or each
/// involved department by its duty with the lead `gov_office` named.
pub fn responsibility(facts: &ResponsibilityFacts) -> Result<Responsibility, RuleFailure> {
    let organizations = distinct(&facts.involved_organizations);
    let regions =
        distinct(&facts.regions.iter().map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect::<Vec<_>>());
    if facts.county_policy {
        let department = facts.policy_department.ok_or(POLICY_DEPARTMENT_MISSING)?;
        return Ok(Responsibility {
            rule: ResponsibilityRule::CountyPolicy,
            responders: vec![department],
            lead: None,
            escalation: false,
        });
    }
    if regions.len() > 1 {
        return Ok(Responsibility {
            rule: ResponsibilityRule::SeveralRegions,
            responders: facts.higher_authority.into_iter().collect(),
            lead: None,
            escalation: true,
        });
    }
    match organizations.as_slice() {
        [] => Err(NOTHING_INVOLVED),
        [one] => Ok(Responsibility {
            rule: ResponsibilityRule::SingleOrganization,
            responders: vec![*one],
            lead: None,
            escalation: false,
        }),
        several => {
            if facts.lead.is_some_and(|lead| !several.contains(&lead)) {
                return Err(LEAD_NOT_INVOLVED);
            }
            Ok(Responsibility {
                rule: ResponsibilityRule::SeveralDepartments,
                responders: several.to_vec(),
                lead: facts.lead,
                escalation: false,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Handling classes and their public output

/// The release kinds that satisfy a handling class (any one of them).
pub fn required_release(class: HandlingClass) -> &'static [ReleaseKind] {
    use ReleaseKind::*;
    match class {
        HandlingClass::ConstructiveSuggestion => &[AdoptionPublished],
        HandlingClass::RealDifficulty => &[SolutionPublished],
        HandlingClass::MajorProblem => &[InvestigationPublished],
        HandlingClass::PublicUnaware => &[AuthoritativeInformation, PressConference],
        HandlingClass::WrongView => &[Correction],
        HandlingClass::FalseInformation => &[Response, AuthoritativeInformation, Correction],
    }
}

pub const ADOPTION_NOT_PUBLISHED: RuleFailure = RuleFailure {
    code: "adoption_not_published",
    message_zh: "建设性意见建议的吸收采纳情况须对外公开",
    message_en: "A constructive suggestion needs its adoption published",
};
pub const SOLUTION_NOT_PUBLISHED: RuleFailure = RuleFailure {
    code: "solution_not_published",
    message_zh: "群众反映的实际困难，研究解决的情况须对外公布",
    message_en: "A real difficulty needs its solution published",
};
pub const INVESTIGATION_NOT_PUBLISHED: RuleFailure = RuleFailure {
    code: "investigation_not_published",
    message_zh: "群众反映的重大问题，调查处置情况须及时发布",
    message_en: "A major problem needs its investigation published",
};
pub const AUTHORITATIVE_INFORMATION_MISSING: RuleFailure = RuleFailure {
    code: "authoritative_information_missing",
    message_zh: "公众不了解情况的，须主动发布权威信息",
    message_en: "Where the public is unaware, authoritative information must be released",
};
pub const CORRECTION_MISSING: RuleFailure = RuleFailure {
    code: "correction_missing",
    message_zh: "对错误看法，须及时发布信息进行引导和纠正",
    message_en: "A wrong view needs a correcting release",
};
pub const FALSE_INFORMATION_RESPONSE_MISSING: RuleFailure = RuleFailure {
    code: "false_information_response_missing",
    message_zh: "对虚假和不实信息，须及时公开回应",
    message_en: "False information needs a public response",
};
pub const REFERRAL_MISSING: RuleFailure = RuleFailure {
    code: "referral_missing",
    message_zh: "虚假和不实信息涉嫌违法的线索，须移交公安机关或网络监管部门",
    message_en: "False information must be referred to the police or the cyberspace authority",
};

/// Why the incident cannot be marked `responded` yet: the public output its class demands, and for
/// false information also the referral.
pub fn response_failures(class: HandlingClass, released: &[ReleaseKind], referrals: usize) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    if !required_release(class).iter().any(|k| released.contains(k)) {
        failures.push(match class {
            HandlingClass::ConstructiveSuggestion => ADOPTION_NOT_PUBLISHED,
            HandlingClass::RealDifficulty => SOLUTION_NOT_PUBLISHED,
            HandlingClass::MajorProblem => INVESTIGATION_NOT_PUBLISHED,
            HandlingClass::PublicUnaware => AUTHORITATIVE_INFORMATION_MISSING,
            HandlingClass::WrongView => CORRECTION_MISSING,
            HandlingClass::FalseInformation => FALSE_INFORMATION_RESPONSE_MISSING,
        });
    }
    if class == HandlingClass::FalseInformation && referrals == 0 {
        failures.push(REFERRAL_MISSING);
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Clocks

labeled_enum! {
    /// A response deadline; its code is the breach kind recorded when it is missed.
    pub enum ClockKind as "opinion_clock_kind" {
        Release = "opinion_release_late", "权威信息发布（5小时）", "Authoritative information (5 hours)";
        PressConference = "opinion_press_conference_late", "新闻发布会（24小时）", "Press conference (24 hours)";
        Response = "opinion_response_late", "回应（48小时）", "Response (48 hours)";
    }
}

/// The hours of each clock (a county setting; these are the statutory defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockHours {
    pub release: u32,
    pub press_conference: u32,
    pub response: u32,
}

impl Default for ClockHours {
    fn default() -> Self {
        ClockHours { release: 5, press_conference: 24, response: 48 }
    }
}

/// Whether opinion about this event runs the 5-hour and 24-hour clocks.
pub fn is_grave(level: Option<EventLevel>) -> bool {
    matches!(level, Some(EventLevel::EspeciallyMajor | EventLevel::Major))
}

/// The clocks an incident runs, each with its due instant (wall-clock hours from detection).
pub fn clocks(
    level: Option<EventLevel>,
    detected_at: DateTime<Utc>,
    hours: ClockHours,
) -> Vec<(ClockKind, DateTime<Utc>)> {
    let after = |h: u32| detected_at + Duration::hours(i64::from(h));
    if is_grave(level) {
        vec![(ClockKind::Release, after(hours.release)), (ClockKind::PressConference, after(hours.press_conference))]
    } else {
        vec![(ClockKind::Response, after(hours.response))]
    }
}

/// The releases that stop a clock.
pub fn stops(kind: ClockKind, release: ReleaseKind) -> bool {
    match kind {
        ClockKind::Release => release == ReleaseKind::AuthoritativeInformation,
        ClockKind::PressConference => release == ReleaseKind::PressConference,
        // Any public answer counts as answering within 48 hours.
        ClockKind::Response => true,
    }
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Still running, with this much time left.
    Running { left: Duration },
    /// Stopped in time by a release.
    Met,
    /// Missed: the due instant passed with no stopping release (a release after it does not undo
    /// the breach).
    Breached,
}

/// A clock due at `due_at`, first stopped at `stopped_at` (if any), seen at `now`. The due instant
/// itself is still in time.
pub fn clock_state(due_at: DateTime<Utc>, stopped_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ClockState {
    match stopped_at {
        Some(at) if at <= due_at => ClockState::Met,
        _ if now > due_at => ClockState::Breached,
        _ => ClockState::Running { left: due_at - now },
    }
}

// ---------------------------------------------------------------------------------------------
// Workflow

pub const INCIDENT_STATE_CONFLICT: &str = "incident_state_conflict";

/// A workflow act and the state it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentAct {
    Consult,
    Assess,
    Respond,
    Evaluate,
}

/// The state an act leads to from `from`, or the conflict.
pub fn next_status(from: IncidentStatus, act: IncidentAct) -> Result<IncidentStatus, &'static str> {
    use IncidentStatus::*;
    match (from, act) {
        (Collected, IncidentAct::Consult) => Ok(Consulted),
        (Consulted, IncidentAct::Assess) => Ok(Assessed),
        // A reassessment before the response is allowed: 研判 may change with new facts.
        (Assessed, IncidentAct::Assess) => Ok(Assessed),
        (Assessed, IncidentAct::Respond) => Ok(Responded),
        (Responded, IncidentAct::Evaluate) => Ok(Evaluated),
        _ => Err(INCIDENT_STATE_CONFLICT),
    }
}

#[cfg(test)]
#[path = "opinions_tests.rs"]
mod tests;
