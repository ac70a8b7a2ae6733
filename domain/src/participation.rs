//! Participation channels (seed §5.3): messages to a hotline or leader mailbox, answered within a
//! county-set number of working days and published only with the sender's consent and the
//! officer's decision; government open days (政府开放日) with registration up to the capacity.

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar::WorkCalendar;

/// The day a message must be answered by: `working_days` after the day it arrived (the arrival
/// day itself does not count, as with every working-day clock here).
pub fn reply_due(received_on: NaiveDate, working_days: u32, calendar: &WorkCalendar) -> NaiveDate {
    calendar.add_working_days(received_on, working_days.max(1))
}

/// Whether an answer given (or not yet given) on `day` is late.
pub fn reply_late(due_on: NaiveDate, day: NaiveDate) -> bool {
    day > due_on
}

/// Why a message cannot be published (409 with the code).
pub const NOT_CONSENTED: &str = "message_publication_not_consented";
pub const NOT_REPLIED: &str = "message_not_replied";

/// A message goes public only when its sender agreed and it has been answered: the public sees
/// the question with its answer, never one without the other.
pub fn publication_refusal(publish_consent: bool, replied: bool) -> Option<&'static str> {
    if !publish_consent {
        Some(NOT_CONSENTED)
    } else if !replied {
        Some(NOT_REPLIED)
    } else {
        None
    }
}

/// A field of an open day's schedule that is wrong, with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleError {
    pub field: &'static str,
    pub code: &'static str,
}

pub const ENDS_BEFORE_START: ScheduleError = ScheduleError { field: "ends_at", code: "before_start" };
pub const REGISTRATION_AFTER_START: ScheduleError =
    ScheduleError { field: "registration_closes_at", code: "after_start" };

/// An open day ends after it starts, and registration closes no later than the start.
pub fn schedule_error(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    registration_closes_at: DateTime<Utc>,
) -> Option<ScheduleError> {
    if ends_at <= starts_at {
        Some(ENDS_BEFORE_START)
    } else if registration_closes_at > starts_at {
        Some(REGISTRATION_AFTER_START)
    } else {
        None
    }
}

/// Why a registration is refused (409 with the code).
pub const OPEN_DAY_CANCELLED: &str = "open_day_cancelled";
pub const REGISTRATION_CLOSED: &str = "registration_closed";
pub const OPEN_DAY_FULL: &str = "open_day_full";

/// An open day as registration sees it.
#[derive(Debug, Clone, Copy)]
pub struct Seats {
    pub capacity: i64,
    /// People already registered (party sizes summed).
    pub taken: i64,
}

/// Whether `party_size` more people may register at `now`.
pub fn registration_refusal(
    cancelled: bool,
    registration_closes_at: DateTime<Utc>,
    seats: Seats,
    party_size: i64,
    now: DateTime<Utc>,
) -> Option<&'static str> {
    if cancelled {
        Some(OPEN_DAY_CANCELLED)
    } else if now >= registration_closes_at {
        Some(REGISTRATION_CLOSED)
    } else if seats.taken + party_size > seats.capacity {
        Some(OPEN_DAY_FULL)
    } else {
        None
    }
}

/// Seats left for the public listing.
pub fn seats_left(seats: Seats) -> i64 {
    (seats.capacity - seats.taken).max(0)
}

/// Why an open day cannot be edited or cancelled (409 with the code).
pub const OPEN_DAY_OVER: &str = "open_day_over";

/// An open day can be changed or cancelled until it starts, and never after it was cancelled;
/// its capacity never drops below the people already registered (422 on `capacity`).
pub fn change_refusal(cancelled: bool, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<&'static str> {
    if cancelled {
        Some(OPEN_DAY_CANCELLED)
    } else if now >= starts_at {
        Some(OPEN_DAY_OVER)
    } else {
        None
    }
}

pub const CAPACITY_BELOW_REGISTERED: ScheduleError = ScheduleError { field: "capacity", code: "below_registered" };

pub fn capacity_error(new_capacity: i64, taken: i64) -> Option<ScheduleError> {
    (new_capacity < taken).then_some(CAPACITY_BELOW_REGISTERED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::tests_support::calendar_2025_2026;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_message_is_due_some_working_days_after_it_arrived() {
        let calendar = calendar_2025_2026();
        // Thursday 24 Sept 2026: Mid-Autumn (25–27 Sept) and National Day (1–7 Oct) do not count.
        assert_eq!(reply_due(d("2026-09-24"), 3, &calendar), d("2026-09-30"));
        assert_eq!(reply_due(d("2026-09-24"), 4, &calendar), d("2026-10-08"));
        assert_eq!(reply_due(d("2026-11-20"), 1, &calendar), d("2026-11-23"), "a Friday's message is due Monday");
        assert_eq!(reply_due(d("2026-11-20"), 0, &calendar), d("2026-11-23"), "at least one working day");
    }

    #[test]
    fn an_answer_after_the_due_day_is_late() {
        assert!(!reply_late(d("2026-11-23"), d("2026-11-23")));
        assert!(reply_late(d("2026-11-23"), d("2026-11-24")));
    }

    #[test]
    fn only_answered_messages_whose_senders_agreed_are_published() {
        assert_eq!(publication_refusal(true, true), None);
        assert_eq!(publication_refusal(false, true), Some(NOT_CONSENTED));
        assert_eq!(publication_refusal(true, false), Some(NOT_REPLIED));
        assert_eq!(publication_refusal(false, false), Some(NOT_CONSENTED));
    }

    #[test]
    fn an_open_day_ends_after_it_starts_and_registration_closes_by_the_start() {
        let (start, end) = (at("2026-12-10T01:00:00Z"), at("2026-12-10T04:00:00Z"));
        assert_eq!(schedule_error(start, end, at("2026-12-09T10:00:00Z")), None);
        assert_eq!(schedule_error(start, start, start), Some(ENDS_BEFORE_START));
        assert_eq!(schedule_error(start, end, start), None, "registration may run until the start");
        assert_eq!(schedule_error(start, end, at("2026-12-10T01:00:01Z")), Some(REGISTRATION_AFTER_START));
    }

    #[test]
    fn registration_stops_at_the_capacity_the_closing_time_or_a_cancellation() {
        let closes = at("2026-12-09T10:00:00Z");
        let before = at("2026-12-01T00:00:00Z");
        let seats = Seats { capacity: 30, taken: 27 };
        assert_eq!(registration_refusal(false, closes, seats, 3, before), None, "the last three seats");
        assert_eq!(registration_refusal(false, closes, seats, 4, before), Some(OPEN_DAY_FULL));
        assert_eq!(registration_refusal(false, closes, seats, 1, closes), Some(REGISTRATION_CLOSED));
        assert_eq!(registration_refusal(true, closes, seats, 1, before), Some(OPEN_DAY_CANCELLED));
        assert_eq!(seats_left(seats), 3);
        assert_eq!(seats_left(Seats { capacity: 10, taken: 12 }), 0, "never negative after a capacity cut");
    }

    #[test]
    fn an_open_day_changes_until_it_starts_and_keeps_room_for_those_registered() {
        let start = at("2026-12-10T01:00:00Z");
        assert_eq!(change_refusal(false, start, at("2026-12-09T00:00:00Z")), None);
        assert_eq!(change_refusal(false, start, start), Some(OPEN_DAY_OVER));
        assert_eq!(change_refusal(true, start, at("2026-12-09T00:00:00Z")), Some(OPEN_DAY_CANCELLED));
        assert_eq!(capacity_error(20, 20), None);
        assert_eq!(capacity_error(19, 20), Some(CAPACITY_BELOW_REGISTERED));
    }
}
