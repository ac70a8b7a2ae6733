use super::*;
use crate::calendar::tests_support::calendar_2025_2026;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn the_worked_examples_through_the_clock() {
    let calendar = calendar_2025_2026();
    assert_eq!(ClockFacts::new(d("2025-09-26")).answer_due(&calendar).due_on, d("2025-10-30"));
    let extended = ClockFacts { extension_days: 20, ..ClockFacts::new(d("2025-09-26")) };
    assert_eq!(extended.answer_due(&calendar).due_on, d("2025-11-27"));
    assert_eq!(ClockFacts::new(d("2026-02-10")).answer_due(&calendar).due_on, d("2026-03-16"));
    assert_eq!(requests::correction_notice_due(d("2026-02-10"), &calendar).due_on, d("2026-02-26"));
}

#[test]
fn a_corrected_request_restarts_the_twenty_days() {
    let calendar = calendar_2025_2026();
    let corrected = ClockFacts { corrected_on: Some(d("2026-03-02")), ..ClockFacts::new(d("2026-02-10")) };
    assert_eq!(corrected.clock_start(), d("2026-03-02"));
    assert_eq!(corrected.answer_due(&calendar).due_on, d("2026-03-30"));
}

#[test]
fn an_answered_consultation_across_national_day_2026_pauses_exactly_its_days() {
    let calendar = calendar_2025_2026();
    let plain = ClockFacts::new(d("2026-09-18"));
    assert_eq!(plain.answer_due(&calendar).due_on, d("2026-10-22"));
    let consulted = ClockFacts {
        consultations: vec![ConsultationSpan { sent_on: d("2026-09-22"), answered_on: Some(d("2026-10-09")) }],
        ..plain
    };
    let due = consulted.answer_due(&calendar);
    // 9-23 … 10-09 hold 7 working days (National Day and 中秋 are off anyway): 10-22 + 7 = 11-02.
    assert_eq!(due.due_on, d("2026-11-02"));
    assert_eq!(due.pauses, vec![Pause { from: d("2026-09-23"), to: d("2026-10-09") }]);
    assert!(due.makeup_workdays_counted.contains(&d("2026-10-10")), "the make-up Saturday after the pause counts");
}

#[test]
fn an_unanswered_consultation_pauses_no_longer_than_its_window() {
    let calendar = calendar_2025_2026();
    assert_eq!(consultation_due(d("2026-09-22"), &calendar), d("2026-10-20"));
    let facts = ClockFacts {
        consultations: vec![ConsultationSpan { sent_on: d("2026-09-22"), answered_on: None }],
        ..ClockFacts::new(d("2026-09-18"))
    };
    assert_eq!(facts.answer_due(&calendar).due_on, d("2026-11-12"));
    let late_answer = ClockFacts {
        consultations: vec![ConsultationSpan { sent_on: d("2026-09-22"), answered_on: Some(d("2026-11-05")) }],
        ..ClockFacts::new(d("2026-09-18"))
    };
    assert_eq!(late_answer.answer_due(&calendar).due_on, d("2026-11-12"), "a late answer does not stop the clock");
}

#[test]
fn an_unpaid_fee_pauses_the_clock_only_where_the_county_says_so() {
    let calendar = calendar_2025_2026();
    let fee = FeeSpan { paid_on: Some(d("2025-10-13")), ..FeeSpan::new(d("2025-10-09"), &FeeSettings::default()) };
    let pausing = ClockFacts { fee: Some(fee), ..ClockFacts::new(d("2025-09-26")) };
    // 10-10, the make-up Saturday 10-11 and 10-13 are not counted: 10-30 + 3 = 11-04.
    assert_eq!(pausing.answer_due(&calendar).due_on, d("2025-11-04"));
    let running = ClockFacts { fee: Some(FeeSpan { pauses_clock: false, ..fee }), ..pausing.clone() };
    assert_eq!(running.answer_due(&calendar).due_on, d("2025-10-30"));
    let unpaid = FeeSpan::new(d("2025-10-09"), &FeeSettings::default());
    assert_eq!(unpaid.payment_due(d("2025-10-30"), &calendar), d("2025-11-05"));
    let unpaused = FeeSpan { pauses_clock: false, ..unpaid };
    assert_eq!(unpaused.payment_due(d("2025-10-30"), &calendar), d("2025-10-30"), "ends with the answer period");
}

#[test]
fn the_state_machine_of_domain_section_ten() {
    use RequestAct as A;
    use RequestState as S;
    assert_eq!(next_state(S::Received, A::RequestCorrection), Some(S::CorrectionRequested));
    assert_eq!(next_state(S::CorrectionRequested, A::RecordCorrection), Some(S::Received));
    assert_eq!(next_state(S::Received, A::Accept), Some(S::InProgress));
    assert_eq!(next_state(S::InProgress, A::Consult), Some(S::Paused));
    assert_eq!(next_state(S::InProgress, A::FeeNotice), Some(S::Paused));
    assert_eq!(next_state(S::Paused, A::RecordOpinion), Some(S::InProgress));
    assert_eq!(next_state(S::Paused, A::RecordPayment), Some(S::InProgress));
    assert_eq!(next_state(S::InProgress, A::Reply), Some(S::Replied));
    assert_eq!(next_state(S::Replied, A::Archive), Some(S::Archived));
    for open in [S::Received, S::CorrectionRequested, S::InProgress, S::Paused] {
        assert_eq!(next_state(open, A::Close), Some(S::Closed), "{open}");
    }
    for done in [S::Replied, S::Archived, S::Closed] {
        assert_eq!(next_state(done, A::Close), None, "{done}");
        assert_eq!(next_state(done, A::Extend), None, "{done}");
        assert_eq!(next_state(done, A::Reply), None, "{done}");
    }
    assert_eq!(next_state(S::CorrectionRequested, A::Accept), None);
    assert_eq!(next_state(S::Paused, A::Reply), None, "no reply while a consultation or fee is pending");
    assert_eq!(next_state(S::Received, A::Extend), None, "an extension is for a request being handled");
    assert_eq!(next_state(S::InProgress, A::Extend), Some(S::InProgress));
    assert_eq!(next_state(S::Received, A::RecordCorrection), None);
    assert_eq!(next_state(S::Archived, A::Archive), None);
    assert_eq!(after_hold_lifted(1), S::Paused);
    assert_eq!(after_hold_lifted(0), S::InProgress);
}

fn receipt(channel: ReceiptChannel) -> ReceiptFacts {
    ReceiptFacts { channel, arrived_on: d("2026-03-02"), signed_for_on: None, confirmed_on: None, proxy_filled: false }
}

#[test]
fn received_dates_follow_article_thirty_one() {
    let today = d("2026-03-10");
    assert_eq!(received_on(&receipt(ReceiptChannel::InPerson), today), Ok(d("2026-03-02")));
    let post = ReceiptFacts { signed_for_on: Some(d("2026-03-03")), ..receipt(ReceiptChannel::Post) };
    assert_eq!(received_on(&post, today), Ok(d("2026-03-03")));
    let letter = ReceiptFacts { confirmed_on: Some(d("2026-03-04")), ..receipt(ReceiptChannel::OrdinaryLetter) };
    assert_eq!(received_on(&letter, today), Ok(d("2026-03-04")));
    for channel in [ReceiptChannel::Fax, ReceiptChannel::Email, ReceiptChannel::OrdinaryLetter] {
        let problems = received_on(&receipt(channel), today).unwrap_err();
        assert_eq!(problems, vec![ReceiptProblem { field: "confirmed_on", code: "required" }], "{channel}");
    }
    let unsigned = received_on(&receipt(ReceiptChannel::Post), today).unwrap_err();
    assert_eq!(unsigned[0].field, "signed_for_on");
    let early = ReceiptFacts { confirmed_on: Some(d("2026-03-01")), ..receipt(ReceiptChannel::Fax) };
    assert_eq!(received_on(&early, today).unwrap_err()[0].code, "before_arrival");
    assert_eq!(received_on(&receipt(ReceiptChannel::Online), today).unwrap_err()[0].field, "channel");
    assert_eq!(received_on(&receipt(ReceiptChannel::InPerson), d("2026-03-01")).unwrap_err()[0].code, "date_in_future");
    let signed_early = ReceiptFacts { signed_for_on: Some(d("2026-03-01")), ..receipt(ReceiptChannel::Post) };
    assert_eq!(received_on(&signed_early, today).unwrap_err()[0].code, "before_arrival");
    assert_eq!(received_on(&receipt(ReceiptChannel::InPerson), d("2027-03-04")).unwrap_err()[0].code, "too_old");
}

#[test]
fn only_an_oral_request_at_the_office_is_proxy_filled() {
    let today = d("2026-03-10");
    let oral = ReceiptFacts { proxy_filled: true, ..receipt(ReceiptChannel::InPerson) };
    assert_eq!(received_on(&oral, today), Ok(d("2026-03-02")));
    let faxed =
        ReceiptFacts { proxy_filled: true, confirmed_on: Some(d("2026-03-02")), ..receipt(ReceiptChannel::Fax) };
    assert_eq!(received_on(&faxed, today).unwrap_err()[0].field, "proxy_filled");
}

#[test]
fn a_correction_is_requested_once_within_seven_working_days() {
    let calendar = calendar_2025_2026();
    let received = d("2026-02-10");
    assert_eq!(check_correction_request(false, received, d("2026-02-26"), &calendar), Ok(()));
    assert_eq!(check_correction_request(false, received, d("2026-02-27"), &calendar), Err(CORRECTION_WINDOW_CLOSED));
    assert_eq!(check_correction_request(true, received, d("2026-02-11"), &calendar), Err(CORRECTION_ALREADY_REQUESTED));
}

#[test]
fn an_extension_is_granted_once_and_only_before_the_due_date() {
    assert_eq!(check_extension(false, d("2025-10-30"), d("2025-10-30")), Ok(()));
    assert_eq!(check_extension(false, d("2025-10-30"), d("2025-10-31")), Err(EXTENSION_AFTER_DUE_DATE));
    assert_eq!(check_extension(true, d("2025-10-30"), d("2025-10-01")), Err(EXTENSION_ALREADY_GRANTED));
    assert!(extension_days_valid(1) && extension_days_valid(20));
    assert!(!extension_days_valid(0) && !extension_days_valid(21));
}

#[test]
fn silence_of_a_co_producing_agency_is_consent_once_its_window_passed() {
    let window = d("2026-10-20");
    let agency = ConsultedParty::CoProducingAgency;
    let third = ConsultedParty::ThirdParty;
    assert_eq!(
        opinion_as_recorded(agency, ConsultationOpinion::NoReply, window, d("2026-10-21")),
        Ok(ConsultationOpinion::Consent)
    );
    assert_eq!(
        opinion_as_recorded(third, ConsultationOpinion::NoReply, window, d("2026-10-21")),
        Ok(ConsultationOpinion::NoReply)
    );
    assert_eq!(
        opinion_as_recorded(agency, ConsultationOpinion::NoReply, window, window),
        Err(CONSULTATION_STILL_RUNNING)
    );
    assert_eq!(
        opinion_as_recorded(third, ConsultationOpinion::Objection, window, d("2026-10-01")),
        Ok(ConsultationOpinion::Objection)
    );
}

#[test]
fn fees_by_method_at_the_tier_boundaries() {
    use crate::requests::YUAN;
    let per_request = |n| fee_fen(FeeMethod::PerRequest, n, 9999);
    assert_eq!(
        [per_request(10), per_request(11), per_request(30), per_request(31)],
        [0, 100 * YUAN, 100 * YUAN, 200 * YUAN]
    );
    let per_page = |p| fee_fen(FeeMethod::PerPage, 9999, p);
    assert_eq!(per_page(30), 0);
    assert_eq!(per_page(31), 10 * YUAN);
    assert_eq!(per_page(100), 70 * 10 * YUAN);
    assert_eq!(per_page(101), 700 * YUAN + 20 * YUAN);
    assert_eq!(per_page(200), 700 * YUAN + 100 * 20 * YUAN);
    assert_eq!(per_page(201), 700 * YUAN + 2000 * YUAN + 40 * YUAN);
}
