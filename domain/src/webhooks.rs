//! Webhooks: which change-feed events a machine client may subscribe to, when a failed delivery
//! is tried again, and when it is given up (issue 9).
//!
//! A delivery is the change feed's row sent to one subscription; the rules here decide its fate
//! after each attempt. Time is passed in.

use std::time::Duration;

crate::labeled_enum! {
    /// The events of the change feed, as `entity_type.event`.
    pub enum WebhookEvent as "webhook_event" {
        DocumentPublished = "document.published", "公文发布", "Document published";
        DocumentUpdated = "document.updated", "公文更新", "Document updated";
        DocumentRepealed = "document.repealed", "公文废止或失效", "Document repealed or expired";
        InterpretationPublished = "interpretation.published", "解读发布", "Interpretation published";
        InterpretationUpdated = "interpretation.updated", "解读更新", "Interpretation updated";
        AnnualReportPublished = "annual_report.published", "年度报告发布", "Annual report published";
        ConsultationPublished = "consultation.published", "征求意见公开", "Consultation opened to the public";
        ConsultationUpdated = "consultation.updated", "征求意见更新", "Consultation updated";
        ConsultationClosed = "consultation.closed", "征求意见截止", "Consultation closed";
        ConsultationResultsPublished = "consultation.results_published", "意见采纳情况公开", "Consultation results published";
        OpinionReleasePublished = "opinion_release.published", "舆情回应发布", "Public-opinion response released";
        CatalogPublished = "catalog.published", "公开目录发布", "Disclosure catalog version published";
    }
}

crate::labeled_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus as "webhook_delivery_status" {
        Pending = "pending", "待投递", "Pending";
        Delivered = "delivered", "已投递", "Delivered";
        Dead = "dead", "投递失败（死信）", "Dead letter";
    }
}

impl WebhookEvent {
    /// The event of a change-feed row.
    pub fn of_change(entity_type: &str, event: &str) -> Option<WebhookEvent> {
        format!("{entity_type}.{event}").parse().ok()
    }
}

/// When failed deliveries are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure; each further failure doubles it.
    pub first_wait: Duration,
    /// No wait is longer than this.
    pub longest_wait: Duration,
    /// Attempts before the delivery becomes a dead letter.
    pub attempts: u32,
}

impl Default for RetryPolicy {
    /// 10 s, 20 s, 40 s … doubling up to 6 hours, 16 attempts: about 29 hours in all, so a
    /// receiver down over a night and a morning still gets everything.
    fn default() -> Self {
        RetryPolicy { first_wait: Duration::from_secs(10), longest_wait: Duration::from_secs(6 * 3600), attempts: 16 }
    }
}

/// What happens after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    Delivered,
    /// Try again after this wait.
    RetryAfter(Duration),
    /// Give up: a dead letter, until someone replays it.
    Dead,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    /// The receiver answered with this HTTP status.
    Answered(u16),
    /// No answer: refused, unreachable, timed out, or a target the service may not call.
    NoAnswer,
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 = the first).
    pub fn wait_after(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(32);
        self.first_wait.saturating_mul(1u32 << doublings.min(31)).min(self.longest_wait)
    }

    /// The fate of a delivery after its attempt number `attempt` ended with `result`. Any 2xx
    /// answer delivers; everything else is tried again, 410 Gone included (a receiver that
    /// wants no more events deactivates its subscription).
    pub fn after(&self, attempt: u32, result: AttemptResult) -> AfterAttempt {
        match result {
            AttemptResult::Answered(status) if (200..300).contains(&status) => AfterAttempt::Delivered,
            _ if attempt >= self.attempts => AfterAttempt::Dead,
            _ => AfterAttempt::RetryAfter(self.wait_after(attempt)),
        }
    }
}

/// The subscribed events without repeats, in a stable order; `None` when there are none.
pub fn subscribed_events(mut requested: Vec<WebhookEvent>) -> Option<Vec<WebhookEvent>> {
    requested.sort();
    requested.dedup();
    (!requested.is_empty()).then_some(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> RetryPolicy {
        RetryPolicy { first_wait: Duration::from_millis(100), longest_wait: Duration::from_secs(1), attempts: 5 }
    }

    #[test]
    fn waits_double_up_to_the_longest() {
        let p = quick();
        let waits: Vec<u128> = (1..=6).map(|n| p.wait_after(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.wait_after(u32::MAX), Duration::from_secs(1));
        assert_eq!(RetryPolicy::default().wait_after(100), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn the_default_schedule_spans_more_than_a_day() {
        let p = RetryPolicy::default();
        let total: Duration = (1..p.attempts).map(|n| p.wait_after(n)).sum();
        assert!(total > Duration::from_secs(24 * 3600) && total < Duration::from_secs(48 * 3600), "{total:?}");
    }

    #[test]
    fn any_2xx_delivers_and_the_last_failure_is_dead() {
        let p = quick();
        assert_eq!(p.after(1, AttemptResult::Answered(200)), AfterAttempt::Delivered);
        assert_eq!(p.after(5, AttemptResult::Answered(204)), AfterAttempt::Delivered);
        assert_eq!(p.after(1, AttemptResult::Answered(500)), AfterAttempt::RetryAfter(Duration::from_millis(100)));
        assert_eq!(p.after(2, AttemptResult::NoAnswer), AfterAttempt::RetryAfter(Duration::from_millis(200)));
        assert_eq!(p.after(3, AttemptResult::Answered(301)), AfterAttempt::RetryAfter(Duration::from_millis(400)));
        assert_eq!(p.after(4, AttemptResult::Answered(410)), AfterAttempt::RetryAfter(Duration::from_millis(800)));
        assert_eq!(p.after(5, AttemptResult::Answered(500)), AfterAttempt::Dead);
        assert_eq!(p.after(5, AttemptResult::NoAnswer), AfterAttempt::Dead);
    }

    #[test]
    fn events_are_deduplicated_and_ordered() {
        use WebhookEvent::*;
        assert_eq!(subscribed_events(vec![]), None);
        assert_eq!(
            subscribed_events(vec![InterpretationPublished, DocumentPublished, DocumentPublished]),
            Some(vec![DocumentPublished, InterpretationPublished])
        );
    }

    #[test]
    fn change_feed_rows_name_their_event() {
        assert_eq!(WebhookEvent::of_change("document", "repealed"), Some(WebhookEvent::DocumentRepealed));
        assert_eq!(WebhookEvent::of_change("annual_report", "published"), Some(WebhookEvent::AnnualReportPublished));
        assert_eq!(WebhookEvent::of_change("annual_report", "repealed"), None);
        assert_eq!(
            WebhookEvent::of_change("consultation", "results_published"),
            Some(WebhookEvent::ConsultationResultsPublished)
        );
    }
}
