//! Public consultations (公开征求意见, DOMAIN.md §5; seed §5.2): the period rule of
//! 重大行政决策程序暂行条例 art. 14, the comment window, and the rules for publishing adoption results
//! (every clustered opinion not adopted carries its reason). Issue 5 builds its workflow on these.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::calendar::WorkCalendar;
use crate::documents::RuleFailure;
use crate::labeled_enum;

labeled_enum! {
    /// How the public is consulted.
    pub enum ConsultationMethod as "consultation_method" {
        WrittenComment = "written_comment", "征求意见", "Written comment";
        Hearing = "hearing", "听证", "Hearing";
        Symposium = "symposium", "座谈", "Symposium";
        Consultation = "consultation", "咨询协商", "Consultation";
        Attendance = "attendance", "列席会议", "Attendance at meetings";
        MediaBriefing = "media_briefing", "媒体吹风", "Media briefing";
    }
}

labeled_enum! {
    /// The state of a consultation (DOMAIN.md §10).
    pub enum ConsultationStatus as "consultation_status" {
        Draft = "draft", "草稿", "Draft";
        Open = "open", "征求意见中", "Open";
        Closed = "closed", "已截止", "Closed";
        ResultsPublished = "results_published", "已公布采纳情况", "Results published";
    }
}

labeled_enum! {
    /// What became of a comment or a cluster of comments.
    pub enum AdoptionResult as "adoption_result" {
        Adopted = "adopted", "采纳", "Adopted";
        PartiallyAdopted = "partially_adopted", "部分采纳", "Partially adopted";
        NotAdopted = "not_adopted", "未采纳", "Not adopted";
    }
}

/// Calendar days a consultation on a major decision lasts at least, unless a shorter period is
/// reasoned (重大行政决策程序暂行条例 art. 14: "征求意见期限一般不少于30日").
pub const MIN_PERIOD_DAYS: i64 = 30;

pub const PERIOD_NOT_AFTER_OPENING: RuleFailure = RuleFailure {
    code: "period_closes_before_it_opens",
    message_zh: "截止时间须晚于开始时间",
    message_en: "The period must close after it opens",
};
pub const SHORT_PERIOD_WITHOUT_REASON: RuleFailure = RuleFailure {
    code: "short_period_without_reason",
    message_zh: "征求意见期限少于30日的，须说明理由",
    message_en: "A period shorter than 30 days needs a recorded reason",
};
pub const COMMENT_WITHOUT_RESULT: RuleFailure = RuleFailure {
    code: "comment_without_result",
    message_zh: "仍有意见未给出采纳情况",
    message_en: "Some comments have no adoption result yet",
};
pub const CLUSTER_NOT_ADOPTED_WITHOUT_REASON: RuleFailure = RuleFailure {
    code: "cluster_not_adopted_without_reason",
    message_zh: "相对集中的意见未予采纳的，须说明理由",
    message_en: "A clustered opinion that is not adopted must give the reason",
};
pub const NOT_ADOPTED_WITHOUT_REASON: RuleFailure = RuleFailure {
    code: "not_adopted_without_reason",
    message_zh: "未采纳的意见须说明理由",
    message_en: "A comment that is not adopted must give the reason",
};

/// Checks the period of a consultation; every failure is reported.
pub fn period_failures(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    shorter_period_reason: Option<&str>,
) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    if closes_at <= opens_at {
        failures.push(PERIOD_NOT_AFTER_OPENING);
        return failures;
    }
    let reasoned = shorter_period_reason.is_some_and(|r| !r.trim().is_empty());
    if closes_at - opens_at < Duration::days(MIN_PERIOD_DAYS) && !reasoned {
        failures.push(SHORT_PERIOD_WITHOUT_REASON);
    }
    failures
}

pub const PERIOD_ALREADY_OVER: RuleFailure = RuleFailure {
    code: "period_already_over",
    message_zh: "征求意见期限已届满，不能再发布征求意见",
    message_en: "The period is already over; the consultation can no longer be opened",
};
pub const EARLY_CLOSE_WITHOUT_REASON: RuleFailure = RuleFailure {
    code: "early_close_without_reason",
    message_zh: "提前结束征求意见的，须说明理由",
    message_en: "Closing before the period ends needs a recorded reason",
};

/// Opening at `now`: the public must still get the whole period the rule asks for, counted from
/// when comments can actually be made (a draft opened late cannot shorten it silently).
pub fn opening_failures(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    shorter_period_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<RuleFailure> {
    if now >= closes_at {
        return vec![PERIOD_ALREADY_OVER];
    }
    period_failures(opens_at.max(now), closes_at, shorter_period_reason)
}

/// Closing at `now`: before the end of the period only with a reason, which is recorded.
pub fn closing_failures(
    closes_at: DateTime<Utc>,
    early_close_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<RuleFailure> {
    let reasoned = early_close_reason.is_some_and(|r| !r.trim().is_empty());
    if now < closes_at && !reasoned {
        vec![EARLY_CLOSE_WITHOUT_REASON]
    } else {
        Vec::new()
    }
}

/// The status as time has moved it: an open consultation is closed once its period has ended,
/// whether or not anyone has acted.
pub fn effective_status(
    stored: ConsultationStatus,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ConsultationStatus {
    if stored == ConsultationStatus::Open && now >= closes_at {
        ConsultationStatus::Closed
    } else {
        stored
    }
}

/// Why a comment is not accepted now (409 with the code).
pub const NOT_OPEN_YET: &str = "consultation_not_open_yet";
pub const CONSULTATION_CLOSED: &str = "consultation_closed";

/// Whether a comment may be made at `now`.
pub fn comment_window(
    stored: ConsultationStatus,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    match effective_status(stored, closes_at, now) {
        ConsultationStatus::Draft => Err(NOT_OPEN_YET),
        ConsultationStatus::Open if now < opens_at => Err(NOT_OPEN_YET),
        ConsultationStatus::Open => Ok(()),
        ConsultationStatus::Closed | ConsultationStatus::ResultsPublished => Err(CONSULTATION_CLOSED),
    }
}

/// A published (not hidden) comment as the results rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentResult {
    /// The cluster the comment belongs to, if any.
    pub cluster: Option<usize>,
    pub result: Option<AdoptionResult>,
    pub reason: Option<String>,
}

/// A cluster of similar comments (相对集中的意见).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterResult {
    pub result: Option<AdoptionResult>,
    pub reason: Option<String>,
}

fn has_text(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// Publishing the results (seed §5.2): every comment has a result, its own or its cluster's;
/// every `not_adopted` — and above all every clustered opinion not adopted — gives its reason.
pub fn results_failures(comments: &[CommentResult], clusters: &[ClusterResult]) -> Vec<RuleFailure> {
    let mut failures = Vec::new();
    let cluster_result = |c: &CommentResult| c.cluster.and_then(|i| clusters.get(i)).and_then(|k| k.result);
    if comments.iter().any(|c| c.result.is_none() && cluster_result(c).is_none()) {
        failures.push(COMMENT_WITHOUT_RESULT);
    }
    // A cluster every comment has left says nothing and is not published against.
    let in_use = |i: usize| comments.iter().any(|c| c.cluster == Some(i));
    let unreasoned = |(i, k): (usize, &ClusterResult)| {
        in_use(i) && k.result == Some(AdoptionResult::NotAdopted) && !has_text(&k.reason)
    };
    if clusters.iter().enumerate().any(unreasoned) {
        failures.push(CLUSTER_NOT_ADOPTED_WITHOUT_REASON);
    }
    if comments.iter().any(|c| c.result == Some(AdoptionResult::NotAdopted) && !has_text(&c.reason)) {
        failures.push(NOT_ADOPTED_WITHOUT_REASON);
    }
    failures
}

/// Counts by result for the public view: a comment counts under its own result, or its cluster's.
pub fn counts_by_result(comments: &[CommentResult], clusters: &[ClusterResult]) -> [(AdoptionResult, usize); 3] {
    let effective =
        |c: &CommentResult| c.result.or_else(|| c.cluster.and_then(|i| clusters.get(i)).and_then(|k| k.result));
    [AdoptionResult::Adopted, AdoptionResult::PartiallyAdopted, AdoptionResult::NotAdopted]
        .map(|r| (r, comments.iter().filter(|c| effective(c) == Some(r)).count()))
}

/// The day results must be published by, `working_days` after the consultation closed (a county
/// setting); later is a `consultation_results_late` breach.
pub fn results_due(closed_on: NaiveDate, working_days: u32, calendar: &WorkCalendar) -> NaiveDate {
    calendar.add_working_days(closed_on, working_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests_support::calendar_2025_2026;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_lasts_thirty_days_unless_a_shorter_one_is_reasoned() {
        let opens = at("2026-03-01T00:00:00Z");
        assert!(period_failures(opens, at("2026-03-31T00:00:00Z"), None).is_empty());
        assert_eq!(period_failures(opens, at("2026-03-30T23:59:59Z"), None), vec![SHORT_PERIOD_WITHOUT_REASON]);
        assert_eq!(period_failures(opens, at("2026-03-10T00:00:00Z"), Some("  ")), vec![SHORT_PERIOD_WITHOUT_REASON]);
        assert!(period_failures(opens, at("2026-03-10T00:00:00Z"), Some("防汛紧急事项")).is_empty());
        assert_eq!(period_failures(opens, opens, Some("x")), vec![PERIOD_NOT_AFTER_OPENING]);
    }

    #[test]
    fn opening_late_cannot_shorten_the_period_or_open_a_period_already_over() {
        let (opens, closes) = (at("2026-03-01T00:00:00Z"), at("2026-03-31T00:00:00Z"));
        assert!(opening_failures(opens, closes, None, at("2026-02-20T00:00:00Z")).is_empty(), "opened ahead");
        assert!(opening_failures(opens, closes, None, opens).is_empty());
        assert_eq!(
            opening_failures(opens, closes, None, at("2026-03-05T00:00:00Z")),
            vec![SHORT_PERIOD_WITHOUT_REASON],
            "opened four days late, the public would get 26 days"
        );
        assert!(opening_failures(opens, closes, Some("紧急情况"), at("2026-03-05T00:00:00Z")).is_empty());
        assert_eq!(opening_failures(opens, closes, Some("紧急情况"), closes), vec![PERIOD_ALREADY_OVER]);
        assert_eq!(opening_failures(opens, closes, None, at("2026-04-10T00:00:00Z")), vec![PERIOD_ALREADY_OVER]);
    }

    #[test]
    fn closing_before_the_end_of_the_period_needs_a_reason() {
        let closes = at("2026-03-31T00:00:00Z");
        let early = at("2026-03-20T00:00:00Z");
        assert_eq!(closing_failures(closes, None, early), vec![EARLY_CLOSE_WITHOUT_REASON]);
        assert_eq!(closing_failures(closes, Some(" "), early), vec![EARLY_CLOSE_WITHOUT_REASON]);
        assert!(closing_failures(closes, Some("决策事项已撤回"), early).is_empty());
        assert!(closing_failures(closes, None, closes).is_empty(), "at the end no reason is needed");
    }

    #[test]
    fn comments_are_taken_only_while_the_period_runs() {
        let (opens, closes) = (at("2026-03-01T00:00:00Z"), at("2026-03-31T00:00:00Z"));
        let open = ConsultationStatus::Open;
        assert_eq!(comment_window(open, opens, closes, at("2026-03-15T00:00:00Z")), Ok(()));
        assert_eq!(comment_window(open, opens, closes, at("2026-02-28T23:00:00Z")), Err(NOT_OPEN_YET));
        assert_eq!(comment_window(open, opens, closes, closes), Err(CONSULTATION_CLOSED), "the closing instant is out");
        assert_eq!(
            comment_window(ConsultationStatus::Draft, opens, closes, at("2026-03-15T00:00:00Z")),
            Err(NOT_OPEN_YET)
        );
        assert_eq!(
            comment_window(ConsultationStatus::Closed, opens, closes, at("2026-03-15T00:00:00Z")),
            Err(CONSULTATION_CLOSED),
            "closed early by staff"
        );
        assert_eq!(effective_status(open, closes, at("2026-04-01T00:00:00Z")), ConsultationStatus::Closed);
    }

    fn comment(cluster: Option<usize>, result: Option<AdoptionResult>, reason: Option<&str>) -> CommentResult {
        CommentResult { cluster, result, reason: reason.map(str::to_owned) }
    }

    #[test]
    fn results_are_refused_while_a_clustered_opinion_not_adopted_lacks_its_reason() {
        use AdoptionResult::*;
        let clusters = vec![ClusterResult { result: Some(NotAdopted), reason: None }];
        let comments = vec![comment(Some(0), None, None), comment(None, Some(Adopted), None)];
        assert_eq!(results_failures(&comments, &clusters), vec![CLUSTER_NOT_ADOPTED_WITHOUT_REASON]);
        let reasoned =
            vec![ClusterResult { result: Some(NotAdopted), reason: Some("与上位法规定不符".into()) }];
        assert!(results_failures(&comments, &reasoned).is_empty());
    }

    #[test]
    fn an_empty_cluster_does_not_hold_up_the_results() {
        use AdoptionResult::*;
        let clusters = vec![
            ClusterResult { result: Some(NotAdopted), reason: None },
            ClusterResult { result: Some(Adopted), reason: None },
        ];
        let comments = vec![comment(Some(1), None, None)];
        assert!(results_failures(&comments, &clusters).is_empty(), "cluster 0 lost its comments to cluster 1");
    }

    #[test]
    fn every_comment_needs_a_result_and_every_refusal_a_reason() {
        use AdoptionResult::*;
        let clusters = vec![ClusterResult { result: None, reason: None }];
        let comments = vec![comment(Some(0), None, None), comment(None, Some(NotAdopted), Some(" "))];
        assert_eq!(results_failures(&comments, &clusters), vec![COMMENT_WITHOUT_RESULT, NOT_ADOPTED_WITHOUT_REASON]);
    }

    #[test]
    fn counts_follow_the_cluster_unless_the_comment_has_its_own_result() {
        use AdoptionResult::*;
        let clusters = vec![ClusterResult { result: Some(PartiallyAdopted), reason: None }];
        let comments = vec![
            comment(Some(0), None, None),
            comment(Some(0), Some(Adopted), None),
            comment(None, Some(NotAdopted), Some("超出本文件调整范围")),
        ];
        assert_eq!(counts_by_result(&comments, &clusters), [(Adopted, 1), (PartiallyAdopted, 1), (NotAdopted, 1)]);
    }

    #[test]
    fn results_are_due_some_working_days_after_closing() {
        let calendar = calendar_2025_2026();
        // Closed on the eve of National Day 2026: the holiday does not count.
        assert_eq!(results_due("2026-09-30".parse().unwrap(), 5, &calendar), "2026-10-13".parse().unwrap());
    }
}
