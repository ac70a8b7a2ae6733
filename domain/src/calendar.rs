//! Working days (工作日) in mainland China: weekends, the State Council's yearly holiday schedule
//! with its make-up working days (调休上班日), and local holidays.
//!
//! Counting follows regulations.md §5.2: the start day is not counted, and a period ends at the
//! end of its last working day. A year whose schedule has not been published yet falls back to
//! weekends and the fixed-date statutory holidays; every date computed over such a year is marked
//! `provisional` and is recomputed when the schedule is entered.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Serialize;

/// The statutory holidays with a fixed solar date (全国年节及纪念日放假办法 Art. 2). The lunar ones
/// (春节, 清明, 端午, 中秋) cannot be known before the State Council publishes the year.
const FIXED_HOLIDAYS: &[(u32, u32, &str)] =
    &[(1, 1, "元旦"), (5, 1, "劳动节"), (5, 2, "劳动节"), (10, 1, "国庆节"), (10, 2, "国庆节"), (10, 3, "国庆节")];

/// One year's published schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearSchedule {
    /// Days off that would otherwise be working days or weekends, with the holiday's name.
    pub off_days: BTreeMap<NaiveDate, String>,
    /// Weekend days declared working days (调休上班), with the holiday they make up for.
    pub makeup_workdays: BTreeMap<NaiveDate, String>,
}

/// The calendar the clocks run on: the published years and the local holidays of any year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearSchedule>,
    /// Days off set locally (全国年节及纪念日放假办法 Art. 4, e.g. 彝族火把节 in 楚雄州), in any
    /// year, whether or not the State Council has published that year's schedule.
    local_holidays: BTreeMap<NaiveDate, String>,
}

/// Why a day is or is not a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DayKind {
    Workday,
    Weekend,
    Holiday { name: String },
    MakeupWorkday { name: String },
}

impl DayKind {
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday { .. })
    }
}

/// A stretch of days during which a clock does not run (a consultation, an unpaid fee …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pause {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

impl Pause {
    fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// A day passed over while counting, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedDay {
    pub date: NaiveDate,
    /// `weekend`, `holiday` or `paused`.
    pub reason: String,
    /// The holiday's name, for holidays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// How a due date was computed, for the people who must meet it (and the courts that check it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineExplanation {
    /// The day the period starts from; it is not counted.
    pub start: NaiveDate,
    pub working_days: u32,
    pub due_on: NaiveDate,
    /// True when a year without a published schedule was crossed: the date may move.
    pub provisional: bool,
    pub skipped: Vec<SkippedDay>,
    /// Weekend days counted because they are make-up working days.
    pub makeup_workdays_counted: Vec<NaiveDate>,
    pub pauses: Vec<Pause>,
}

impl WorkCalendar {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) a year's published schedule.
    pub fn set_year(&mut self, year: i32, schedule: YearSchedule) {
        self.years.insert(year, schedule);
    }

    pub fn add_local_holiday(&mut self, date: NaiveDate, name: impl Into<String>) {
        self.local_holidays.insert(date, name.into());
    }

    pub fn year(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    pub fn is_published(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        if let Some(name) = self.local_holidays.get(&date) {
            return DayKind::Holiday { name: name.clone() };
        }
        match self.years.get(&date.year()) {
            Some(schedule) => {
                if let Some(name) = schedule.makeup_workdays.get(&date) {
                    DayKind::MakeupWorkday { name: name.clone() }
                } else if let Some(name) = schedule.off_days.get(&date) {
                    DayKind::Holiday { name: name.clone() }
                } else if weekend {
                    DayKind::Weekend
                } else {
                    DayKind::Workday
                }
            }
            None => {
                let fixed = FIXED_HOLIDAYS.iter().find(|(m, d, _)| date.month() == *m && date.day() == *d);
                match (fixed, weekend) {
                    (Some((_, _, name)), _) => DayKind::Holiday { name: (*name).to_owned() },
                    (None, true) => DayKind::Weekend,
                    (None, false) => DayKind::Workday,
                }
            }
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// The date `n` working days after `start` (`start` itself not counted).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        self.explain(start, n, &[]).due_on
    }

    /// Working days in `(start, end]`: the count that `add_working_days` inverts.
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> u32 {
        let mut count = 0;
        let mut day = start;
        while day < end {
            day += Duration::days(1);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The due date `n` working days after `start`, not counting paused days, with the reasons.
    pub fn explain(&self, start: NaiveDate, n: u32, pauses: &[Pause]) -> DeadlineExplanation {
        let mut explanation = DeadlineExplanation {
            start,
            working_days: n,
            due_on: start,
            provisional: false,
            skipped: Vec::new(),
            makeup_workdays_counted: Vec::new(),
            pauses: pauses.to_vec(),
        };
        let mut counted = 0;
        let mut day = start;
        while counted < n {
            day += Duration::days(1);
            if !self.is_published(day.year()) {
                explanation.provisional = true;
            }
            if pauses.iter().any(|p| p.contains(day)) {
                explanation.skipped.push(SkippedDay { date: day, reason: "paused".into(), name: None });
                continue;
            }
            match self.day_kind(day) {
                DayKind::Workday => counted += 1,
                DayKind::MakeupWorkday { .. } => {
                    counted += 1;
                    explanation.makeup_workdays_counted.push(day);
                }
                DayKind::Weekend => {
                    explanation.skipped.push(SkippedDay { date: day, reason: "weekend".into(), name: None })
                }
                DayKind::Holiday { name } => {
                    explanation.skipped.push(SkippedDay { date: day, reason: "holiday".into(), name: Some(name) })
                }
            }
        }
        explanation.due_on = day;
        explanation
    }
}

/// Problems with a schedule entered for a year.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleProblem {
    #[error("date_outside_year")]
    DateOutsideYear(NaiveDate),
    #[error("makeup_day_not_weekend")]
    MakeupDayNotWeekend(NaiveDate),
    #[error("day_both_off_and_working")]
    BothOffAndWorking(NaiveDate),
}

impl ScheduleProblem {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleProblem::DateOutsideYear(_) => "date_outside_year",
            ScheduleProblem::MakeupDayNotWeekend(_) => "makeup_day_not_weekend",
            ScheduleProblem::BothOffAndWorking(_) => "day_both_off_and_working",
        }
    }

    pub fn date(&self) -> NaiveDate {
        match self {
            ScheduleProblem::DateOutsideYear(d)
            | ScheduleProblem::MakeupDayNotWeekend(d)
            | ScheduleProblem::BothOffAndWorking(d) => *d,
        }
    }
}

/// The first and last day of `year`, if chrono can hold them.
pub fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((NaiveDate::from_ymd_opt(year, 1, 1)?, NaiveDate::from_ymd_opt(year, 12, 31)?))
}

/// The instant `day` begins in Asia/Shanghai (UTC+8 all year, no daylight saving), for filters
/// and deadlines on instants; `None` at the edge of what chrono can hold.
pub fn shanghai_midnight(day: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    day.and_time(chrono::NaiveTime::MIN).checked_sub_signed(Duration::hours(8)).map(|at| at.and_utc())
}

/// Checks a year's schedule; returns every problem, not the first.
pub fn check_schedule(year: i32, schedule: &YearSchedule) -> Vec<ScheduleProblem> {
    let mut problems = Vec::new();
    let all: BTreeSet<NaiveDate> = schedule.off_days.keys().chain(schedule.makeup_workdays.keys()).copied().collect();
    for date in all {
        if date.year() != year {
            problems.push(ScheduleProblem::DateOutsideYear(date));
        }
    }
    for date in schedule.makeup_workdays.keys() {
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            problems.push(ScheduleProblem::MakeupDayNotWeekend(*date));
        }
        if schedule.off_days.contains_key(date) {
            problems.push(ScheduleProblem::BothOffAndWorking(*date));
        }
    }
    problems
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn span(schedule: &mut YearSchedule, from: &str, to: &str, name: &str) {
        let mut day = d(from);
        while day <= d(to) {
            schedule.off_days.insert(day, name.into());
            day += Duration::days(1);
        }
    }

    /// The 2025 and 2026 schedules of regulations.md §5.3–5.4 (the migration seeds the same).
    pub(crate) fn calendar_2025_2026() -> WorkCalendar {
        let mut y2025 = YearSchedule::default();
        span(&mut y2025, "2025-01-01", "2025-01-01", "元旦");
        span(&mut y2025, "2025-01-28", "2025-02-04", "春节");
        span(&mut y2025, "2025-04-04", "2025-04-06", "清明节");
        span(&mut y2025, "2025-05-01", "2025-05-05", "劳动节");
        span(&mut y2025, "2025-05-31", "2025-06-02", "端午节");
        span(&mut y2025, "2025-10-01", "2025-10-08", "国庆节、中秋节");
        for (day, name) in [
            ("2025-01-26", "春节"),
            ("2025-02-08", "春节"),
            ("2025-04-27", "劳动节"),
            ("2025-09-28", "国庆节"),
            ("2025-10-11", "国庆节"),
        ] {
            y2025.makeup_workdays.insert(d(day), name.into());
        }
        let mut y2026 = YearSchedule::default();
        span(&mut y2026, "2026-01-01", "2026-01-03", "元旦");
        span(&mut y2026, "2026-02-15", "2026-02-23", "春节");
        span(&mut y2026, "2026-04-04", "2026-04-06", "清明节");
        span(&mut y2026, "2026-05-01", "2026-05-05", "劳动节");
        span(&mut y2026, "2026-06-19", "2026-06-21", "端午节");
        span(&mut y2026, "2026-09-25", "2026-09-27", "中秋节");
        span(&mut y2026, "2026-10-01", "2026-10-07", "国庆节");
        for (day, name) in [
            ("2026-01-04", "元旦"),
            ("2026-02-14", "春节"),
            ("2026-02-28", "春节"),
            ("2026-05-09", "劳动节"),
            ("2026-09-20", "国庆节"),
            ("2026-10-10", "国庆节"),
        ] {
            y2026.makeup_workdays.insert(d(day), name.into());
        }
        let mut calendar = WorkCalendar::new();
        calendar.set_year(2025, y2025);
        calendar.set_year(2026, y2026);
        calendar
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::calendar_2025_2026;
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn both_years_have_248_working_days() {
        let calendar = calendar_2025_2026();
        assert_eq!(calendar.working_days_between(d("2024-12-31"), d("2025-12-31")), 248);
        assert_eq!(calendar.working_days_between(d("2025-12-31"), d("2026-12-31")), 248);
    }

    #[test]
    fn worked_examples_of_the_reference() {
        let calendar = calendar_2025_2026();
        // National Day 2025: 9-28 (Sun) and 10-11 (Sat) count, 10-01…10-08 do not.
        assert_eq!(calendar.add_working_days(d("2025-09-26"), 20), d("2025-10-30"));
        assert_eq!(calendar.add_working_days(d("2025-09-26"), 40), d("2025-11-27"));
        // Spring Festival 2026: 2-14 (Sat) counts, 2-15…2-23 are off.
        assert_eq!(calendar.add_working_days(d("2026-02-10"), 7), d("2026-02-26"));
        assert_eq!(calendar.add_working_days(d("2026-02-10"), 20), d("2026-03-16"));
        // Across the new year: 1-1…1-3 off, 1-4 (Sun) is a working day.
        assert_eq!(calendar.add_working_days(d("2025-12-31"), 20), d("2026-01-29"));
    }

    #[test]
    fn a_makeup_saturday_counts_and_a_holiday_weekday_does_not() {
        let calendar = calendar_2025_2026();
        assert_eq!(calendar.day_kind(d("2026-02-14")), DayKind::MakeupWorkday { name: "春节".into() });
        assert!(calendar.is_working_day(d("2026-02-14")));
        assert!(!calendar.is_working_day(d("2026-02-16")), "a Monday inside the Spring Festival");
        assert!(!calendar.is_working_day(d("2026-10-05")), "a Monday inside National Day");
        assert!(calendar.is_working_day(d("2026-10-08")));
    }

    #[test]
    fn the_explanation_names_every_skipped_day() {
        let calendar = calendar_2025_2026();
        let explanation = calendar.explain(d("2026-02-10"), 7, &[]);
        assert_eq!(explanation.due_on, d("2026-02-26"));
        assert_eq!(explanation.makeup_workdays_counted, vec![d("2026-02-14")]);
        let holidays: Vec<_> = explanation.skipped.iter().filter(|s| s.reason == "holiday").map(|s| s.date).collect();
        assert_eq!(holidays.len(), 9);
        assert!(explanation.skipped.iter().all(|s| s.reason != "holiday" || s.name.as_deref() == Some("春节")));
        assert!(!explanation.provisional);
    }

    #[test]
    fn pauses_stop_the_clock() {
        let calendar = calendar_2025_2026();
        let pause = Pause { from: d("2026-03-02"), to: d("2026-03-06") };
        let explanation = calendar.explain(d("2026-02-27"), 5, &[pause]);
        // 2-28 (Sat, make-up) counts; 3-02…3-06 paused; then 3-09, 3-10, 3-11, 3-12.
        assert_eq!(explanation.due_on, d("2026-03-12"));
        assert_eq!(explanation.skipped.iter().filter(|s| s.reason == "paused").count(), 5);
    }

    #[test]
    fn an_unpublished_year_is_provisional_with_fixed_holidays() {
        let calendar = calendar_2025_2026();
        let explanation = calendar.explain(d("2026-12-20"), 20, &[]);
        assert!(explanation.provisional);
        assert!(!calendar.is_working_day(d("2027-01-01")), "元旦 is fixed by law");
        assert!(!calendar.explain(d("2026-03-01"), 20, &[]).provisional);
    }

    #[test]
    fn local_holidays_count_in_any_year_and_keep_provisional_years_provisional() {
        let mut calendar = calendar_2025_2026();
        let torch_festival_2026 = d("2026-08-07"); // a Friday
        assert!(calendar.is_working_day(torch_festival_2026));
        calendar.add_local_holiday(torch_festival_2026, "彝族火把节");
        calendar.add_local_holiday(d("2027-07-28"), "彝族火把节");
        assert_eq!(calendar.day_kind(torch_festival_2026), DayKind::Holiday { name: "彝族火把节".into() });
        assert!(!calendar.is_working_day(d("2027-07-28")));
        let explanation = calendar.explain(d("2027-07-26"), 5, &[]);
        assert!(explanation.provisional, "a local holiday does not publish the State Council's schedule");
        assert!(explanation.skipped.iter().any(|s| s.name.as_deref() == Some("彝族火把节")));
    }

    #[test]
    fn schedules_are_checked() {
        let mut schedule = YearSchedule::default();
        schedule.off_days.insert(d("2027-02-06"), "春节".into());
        schedule.makeup_workdays.insert(d("2027-02-06"), "春节".into());
        schedule.makeup_workdays.insert(d("2027-02-08"), "春节".into()); // a Monday
        schedule.off_days.insert(d("2026-12-31"), "元旦".into());
        let problems = check_schedule(2027, &schedule);
        let codes: Vec<_> = problems.iter().map(ScheduleProblem::code).collect();
        assert!(codes.contains(&"date_outside_year"));
        assert!(codes.contains(&"makeup_day_not_weekend"));
        assert!(codes.contains(&"day_both_off_and_working"));
        assert!(check_schedule(2026, calendar_2025_2026().year(2026).unwrap()).is_empty());
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..(365 * 3)).prop_map(|offset| d("2024-10-01") + Duration::days(offset))
    }

    proptest! {
        #[test]
        fn adding_then_counting_round_trips(start in any_date(), n in 0u32..60) {
            let calendar = calendar_2025_2026();
            let due = calendar.add_working_days(start, n);
            prop_assert_eq!(calendar.working_days_between(start, due), n);
        }

        #[test]
        fn a_due_date_is_always_a_working_day(start in any_date(), n in 1u32..60) {
            let calendar = calendar_2025_2026();
            prop_assert!(calendar.is_working_day(calendar.add_working_days(start, n)));
        }

        #[test]
        fn more_days_never_end_earlier(start in any_date(), n in 0u32..60) {
            let calendar = calendar_2025_2026();
            prop_assert!(calendar.add_working_days(start, n + 1) > calendar.add_working_days(start, n));
        }
    }
}
