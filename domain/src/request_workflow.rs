//! The life of a disclosure request (条例第四章; art. 45 登记 → 审核 → 办理 → 答复 → 归档) as the
//! states and acts of DOMAIN.md §10, the received-date rules of art. 31, and the answer clock built
//! from every fact that moves it (correction restarts, consultation and fee pauses, the extension).

use chrono::{Duration, NaiveDate};

use crate::calendar::{DeadlineExplanation, Pause, WorkCalendar};
use crate::labeled_enum;
use crate::requests::{self, ReceiptChannel, MAX_EXTENSION_WORKING_DAYS};

labeled_enum! {
    /// The state of a disclosure request.
    pub enum RequestState as "request_state" {
        Received = "received", "已登记", "Received";
        CorrectionRequested = "correction_requested", "待补正", "Correction requested";
        InProgress = "in_progress", "办理中", "In progress";
        Paused = "paused", "暂停计时", "Paused";
        Replied = "replied", "已答复", "Replied";
        Archived = "archived", "已归档", "Archived";
        Closed = "closed", "已终止", "Closed";
    }
}

labeled_enum! {
    /// The form in which the applicant wants the information (art. 29 ¶2(三), art. 40).
    pub enum InformationForm as "information_form" {
        Paper = "paper", "纸质文本", "Paper";
        Electronic = "electronic", "电子文本", "Electronic";
        Inspection = "inspection", "当场查阅、抄录", "Inspection on site";
    }
}

labeled_enum! {
    /// How the applicant wants to receive it.
    pub enum DeliveryMethod as "delivery_method" {
        Post = "post", "邮寄", "By post";
        Email = "email", "电子邮件", "By e-mail";
        Pickup = "pickup", "当面领取", "Pick up in person";
        Online = "online", "在线查看", "Online";
    }
}

labeled_enum! {
    /// Whom a request is consulted with; both pause the clock (art. 33 ¶3).
    pub enum ConsultedParty as "consulted_party" {
        ThirdParty = "third_party", "第三方（条例第三十二条）", "Third party (art. 32)";
        CoProducingAgency = "co_producing_agency", "共同制作机关（条例第三十四条）", "Co-producing agency (art. 34)";
    }
}

labeled_enum! {
    /// What a consulted party answered.
    pub enum ConsultationOpinion as "consultation_opinion" {
        Consent = "consent", "同意公开", "Consents";
        Objection = "objection", "不同意公开", "Objects";
        NoReply = "no_reply", "逾期未提出意见", "No reply in time";
    }
}

labeled_enum! {
    /// The charging method of 109号 art. 3; one per request.
    pub enum FeeMethod as "fee_method" {
        PerRequest = "per_request", "按件计收", "Per request";
        PerPage = "per_page", "按量计收", "Per page";
    }
}

/// Acts on a request (the kebab-case action names of DOMAIN.md §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAct {
    Accept,
    RequestCorrection,
    RecordCorrection,
    Consult,
    RecordOpinion,
    Extend,
    FeeNotice,
    RecordPayment,
    Reply,
    Archive,
    Close,
}

impl RequestState {
    /// Still being handled: the clock runs (or is paused) and the request may be closed.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            RequestState::Received
                | RequestState::CorrectionRequested
                | RequestState::InProgress
                | RequestState::Paused
        )
    }
}

/// The state after `act`, or `None` when the act is not allowed now (409). Acts that only lift
/// one of several holds (`record-opinion`, `record-payment`) answer `InProgress`; the caller keeps
/// `Paused` while another hold remains (see [`after_hold_lifted`]).
pub fn next_state(state: RequestState, act: RequestAct) -> Option<RequestState> {
    use RequestAct as A;
    use RequestState as S;
    match (state, act) {
        (S::Received, A::Accept) => Some(S::InProgress),
        (S::Received, A::RequestCorrection) => Some(S::CorrectionRequested),
        (S::CorrectionRequested, A::RecordCorrection) => Some(S::Received),
        (S::InProgress | S::Paused, A::Consult) => Some(S::Paused),
        (S::InProgress, A::FeeNotice) => Some(S::Paused),
        (S::Paused, A::RecordOpinion | A::RecordPayment) => Some(S::InProgress),
        // The extension lengthens the answer period of a request being handled (art. 33 ¶2).
        (S::InProgress | S::Paused, A::Extend) => Some(state),
        // Art. 33 ¶1: what can be answered on the spot is answered without further steps.
        (S::Received | S::InProgress, A::Reply) => Some(S::Replied),
        (S::Replied, A::Archive) => Some(S::Archived),
        (s, A::Close) if s.is_open() => Some(S::Closed),
        _ => None,
    }
}

/// The state once a hold is lifted: paused while any other consultation or fee is pending.
pub fn after_hold_lifted(other_holds_pending: usize) -> RequestState {
    if other_holds_pending > 0 {
        RequestState::Paused
    } else {
        RequestState::InProgress
    }
}

/// When a request arrived, as the officer registering it reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptFacts {
    pub channel: ReceiptChannel,
    /// The day it reached the office.
    pub arrived_on: NaiveDate,
    /// Registered post: the day the office signed for it.
    pub signed_for_on: Option<NaiveDate>,
    /// Ordinary letter, fax, e-mail: the day receipt was confirmed with the applicant.
    pub confirmed_on: Option<NaiveDate>,
    /// An oral request written down by the office (art. 29 ¶1).
    pub proxy_filled: bool,
}

/// How long after its arrival a request may still be registered: a request found a year later is a
/// matter for an inquiry, not for a back-dated clock.
pub const MAX_REGISTRATION_DELAY_DAYS: i64 = 366;

/// A registration the rules of art. 31 refuse; each names the field at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptProblem {
    pub field: &'static str,
    pub code: &'static str,
}

/// The received date of art. 31: in person the day of submission; by post the day it was signed
/// for; by ordinary letter, fax or e-mail the day receipt was confirmed with the applicant. For
/// e-mail this follows DOMAIN.md §7 and art. 31(三) ("双方确认之日") rather than 国办公开办函
/// 〔2015〕207号's "day the mail system received it", which predates the 2019 Regulation. Online
/// requests are not registered by staff: the API's own acknowledgment is their confirmation.
pub fn received_on(facts: &ReceiptFacts, today: NaiveDate) -> Result<NaiveDate, Vec<ReceiptProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field, code| problems.push(ReceiptProblem { field, code });
    if facts.arrived_on > today {
        problem("arrived_on", "date_in_future");
    }
    if facts.arrived_on < today - Duration::days(MAX_REGISTRATION_DELAY_DAYS) {
        problem("arrived_on", "too_old");
    }
    if facts.proxy_filled && facts.channel != ReceiptChannel::InPerson {
        problem("proxy_filled", "proxy_filled_in_person_only");
    }
    let received = match facts.channel {
        ReceiptChannel::Online => {
            problem("channel", "online_requests_are_filed_by_applicants");
            None
        }
        ReceiptChannel::InPerson => Some(facts.arrived_on),
        ReceiptChannel::Post => match facts.signed_for_on {
            None => {
                problem("signed_for_on", "required");
                None
            }
            Some(day) if day < facts.arrived_on => {
                problem("signed_for_on", "before_arrival");
                None
            }
            Some(day) => Some(day),
        },
        ReceiptChannel::OrdinaryLetter | ReceiptChannel::Fax | ReceiptChannel::Email => match facts.confirmed_on {
            None => {
                problem("confirmed_on", "required");
                None
            }
            Some(day) if day < facts.arrived_on => {
                problem("confirmed_on", "before_arrival");
                None
            }
            Some(day) => Some(day),
        },
    };
    if let Some(day) = received.filter(|d| *d > today) {
        let field = if Some(day) == facts.signed_for_on { "signed_for_on" } else { "confirmed_on" };
        problem(field, "date_in_future");
    }
    match received {
        Some(day) if problems.is_empty() => Ok(day),
        _ => Err(problems),
    }
}

/// Working days a consulted party has to answer (arts. 32, 34).
pub const CONSULTATION_WORKING_DAYS: u32 = 15;

/// A consultation, open or answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsultationSpan {
    pub sent_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
}

/// A fee notice, paid or not, with the county settings in force when it was issued: a later
/// change of the settings does not move a clock retroactively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSpan {
    pub notified_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub payment_working_days: u32,
    pub pauses_clock: bool,
}

impl FeeSpan {
    pub fn new(notified_on: NaiveDate, settings: &FeeSettings) -> Self {
        FeeSpan {
            notified_on,
            paid_on: None,
            payment_working_days: settings.payment_working_days,
            pauses_clock: settings.pause_while_unpaid,
        }
    }

    /// The end of the payment period; without a pause it ends with the answer period at the
    /// latest, so that an unpaid fee cannot push a request past its due date.
    pub fn payment_due(&self, answer_due: NaiveDate, calendar: &WorkCalendar) -> NaiveDate {
        let period = calendar.add_working_days(self.notified_on, self.payment_working_days);
        if self.pauses_clock {
            period
        } else {
            period.min(answer_due)
        }
    }
}

/// County settings for the information processing fee (DOMAIN.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSettings {
    /// Working days from the day after the notice to pay (a provincial rule; 20 by default).
    pub payment_working_days: u32,
    /// Whether the answer clock stops while a fee is unpaid.
    pub pause_while_unpaid: bool,
}

impl Default for FeeSettings {
    fn default() -> Self {
        FeeSettings { payment_working_days: 20, pause_while_unpaid: true }
    }
}

/// The last day for a consulted party to answer.
pub fn consultation_due(sent_on: NaiveDate, calendar: &WorkCalendar) -> NaiveDate {
    calendar.add_working_days(sent_on, CONSULTATION_WORKING_DAYS)
}

/// The days not counted for a hold from `start` until `lifted_on`, capped at `window_end`: the time
/// the law allows for the answer is excluded, never more, so a forgotten hold cannot stop the
/// clock for good. The day the letter went out was a working day of the agency and counts.
fn hold_pause(start: NaiveDate, lifted_on: Option<NaiveDate>, window_end: NaiveDate) -> Option<Pause> {
    let from = start + Duration::days(1);
    let to = lifted_on.map_or(window_end, |d| d.min(window_end));
    (from <= to).then_some(Pause { from, to })
}

/// Everything that moves the answer clock of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFacts {
    pub received_on: NaiveDate,
    /// The corrected request arrived (art. 30): the 20 days count again from here.
    pub corrected_on: Option<NaiveDate>,
    pub extension_days: u32,
    pub consultations: Vec<ConsultationSpan>,
    pub fee: Option<FeeSpan>,
}

impl ClockFacts {
    pub fn new(received_on: NaiveDate) -> Self {
        ClockFacts { received_on, corrected_on: None, extension_days: 0, consultations: Vec::new(), fee: None }
    }

    /// The day the 20 working days count from.
    pub fn clock_start(&self) -> NaiveDate {
        self.corrected_on.unwrap_or(self.received_on)
    }

    /// The paused stretches: each consultation up to its answer or its 15-day window, and an
    /// unpaid fee up to payment or the payment period when the county pauses for fees.
    pub fn pauses(&self, calendar: &WorkCalendar) -> Vec<Pause> {
        let mut pauses: Vec<Pause> = self
            .consultations
            .iter()
            .filter_map(|c| hold_pause(c.sent_on, c.answered_on, consultation_due(c.sent_on, calendar)))
            .collect();
        if let Some(fee) = self.fee.filter(|f| f.pauses_clock) {
            let window = calendar.add_working_days(fee.notified_on, fee.payment_working_days);
            pauses.extend(hold_pause(fee.notified_on, fee.paid_on, window));
        }
        pauses.sort_by_key(|p| p.from);
        pauses
    }

    /// The answer due date with its day-by-day explanation.
    pub fn answer_due(&self, calendar: &WorkCalendar) -> DeadlineExplanation {
        requests::answer_due(self.clock_start(), self.extension_days, &self.pauses(calendar), calendar)
    }
}

/// Why an act is refused although the request is in the right state (409 with the code).
pub const CORRECTION_ALREADY_REQUESTED: &str = "correction_already_requested";
pub const CORRECTION_WINDOW_CLOSED: &str = "correction_window_closed";
pub const EXTENSION_ALREADY_GRANTED: &str = "extension_already_granted";
pub const EXTENSION_AFTER_DUE_DATE: &str = "extension_after_due_date";
pub const FEE_ALREADY_NOTIFIED: &str = "fee_already_notified";
pub const FEE_NOTICE_AFTER_DUE_DATE: &str = "fee_notice_after_due_date";
pub const CONSULTATION_STILL_RUNNING: &str = "consultation_still_running";
pub const NO_PENDING_CONSULTATION: &str = "no_pending_consultation";
pub const NO_PENDING_FEE: &str = "no_pending_fee";
pub const CONSULTATION_AFTER_DUE_DATE: &str = "consultation_after_due_date";

/// Art. 30: a correction is requested once, within 7 working days of receipt.
pub fn check_correction_request(
    already_requested: bool,
    received_on: NaiveDate,
    today: NaiveDate,
    calendar: &WorkCalendar,
) -> Result<(), &'static str> {
    if already_requested {
        return Err(CORRECTION_ALREADY_REQUESTED);
    }
    if today > requests::correction_notice_due(received_on, calendar).due_on {
        return Err(CORRECTION_WINDOW_CLOSED);
    }
    Ok(())
}

/// Art. 33 ¶2: one extension, approved and notified before the original due date.
pub fn check_extension(already_extended: bool, due_on: NaiveDate, today: NaiveDate) -> Result<(), &'static str> {
    if already_extended {
        return Err(EXTENSION_ALREADY_GRANTED);
    }
    if today > due_on {
        return Err(EXTENSION_AFTER_DUE_DATE);
    }
    Ok(())
}

/// Extension lengths the law allows.
pub fn extension_days_valid(days: u32) -> bool {
    (1..=MAX_EXTENSION_WORKING_DAYS).contains(&days)
}

/// A consulted party's silence: a co-producing agency's silence counts as consent (art. 34); a
/// third party's leaves the decision to the agency (art. 32). Either only once the window passed.
pub fn opinion_as_recorded(
    party: ConsultedParty,
    opinion: ConsultationOpinion,
    window_due: NaiveDate,
    today: NaiveDate,
) -> Result<ConsultationOpinion, &'static str> {
    match opinion {
        ConsultationOpinion::NoReply if today <= window_due => Err(CONSULTATION_STILL_RUNNING),
        ConsultationOpinion::NoReply if party == ConsultedParty::CoProducingAgency => Ok(ConsultationOpinion::Consent),
        other => Ok(other),
    }
}

/// The fee of 109号 in fen for this request: per request from the applicant's count this month,
/// or per page from the page count.
pub fn fee_fen(method: FeeMethod, nth_request_this_month: u32, pages: u32) -> i64 {
    match method {
        FeeMethod::PerRequest => requests::fee_per_request_fen(nth_request_this_month),
        FeeMethod::PerPage => requests::fee_by_pages_fen(pages),
    }
}

#[cfg(test)]
#[path = "request_workflow_tests.rs"]
mod tests;
