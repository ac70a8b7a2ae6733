use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn fact(applicant: ApplicantType, received: NaiveDate, concluded: Option<(NaiveDate, RequestOutcome)>) -> RequestFact {
    RequestFact { applicant_type: applicant, received_on: received, concluded }
}

#[test]
fn the_table_has_the_formats_25_rows_in_order() {
    let table = request_table(2026, &[]);
    assert_eq!(table.rows.len(), 25);
    assert_eq!(table.rows[0].label, "一、本年新收政府信息公开申请数量");
    assert_eq!(table.rows[1].label, "二、上年结转政府信息公开申请数量");
    assert_eq!(table.rows[2].label, "（一）予以公开");
    assert_eq!(table.rows[4].group.as_deref(), Some("（三）不予公开"));
    assert_eq!(table.rows[11].label, "8.属于行政查询事项");
    assert_eq!(table.rows[12].group.as_deref(), Some("（四）无法提供"));
    assert_eq!(table.rows[15].group.as_deref(), Some("（五）不予处理"));
    assert_eq!(table.rows[20].group.as_deref(), Some("（六）其他处理"));
    assert_eq!(table.rows[23].label, "（七）总计");
    assert_eq!(table.rows[24].label, "四、结转下年度继续办理");
    assert!(table.unreconciled_columns().is_empty());
}

#[test]
fn requests_are_new_carried_over_concluded_or_carried_forward_by_their_dates() {
    use ApplicantType as A;
    use RequestOutcome as O;
    let facts = [
        // Received last year, answered this year: carried over and counted under its outcome.
        fact(A::NaturalPerson, day(2025, 12, 20), Some((day(2026, 1, 8), O::Granted))),
        // Received and answered last year: not in this year's table at all.
        fact(A::NaturalPerson, day(2025, 11, 3), Some((day(2025, 12, 1), O::Granted))),
        // Received last year, still open at the end of this year: carried over and forward.
        fact(A::Commercial, day(2025, 12, 30), None),
        // New this year, answered this year.
        fact(A::Research, day(2026, 3, 2), Some((day(2026, 3, 20), O::DeniedProcessInfo))),
        // New this year, answered next year: carried forward.
        fact(A::LegalServices, day(2026, 12, 28), Some((day(2027, 1, 12), O::Partial))),
        // Next year's request: ignored.
        fact(A::PublicWelfare, day(2027, 1, 3), None),
        // Closed on the last day of the year belongs to this year.
        fact(A::OtherLegalPerson, day(2026, 6, 1), Some((day(2026, 12, 31), O::OtherFeeUnpaid))),
    ];
    let table = request_table(2026, &facts);
    let row = |k: &str| table.row(k).unwrap().values;
    assert_eq!(row("new_received"), [0, 0, 1, 0, 1, 1, 3]);
    assert_eq!(row("carried_over"), [1, 1, 0, 0, 0, 0, 2]);
    assert_eq!(row("granted"), [1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(row("denied_process_info"), [0, 0, 1, 0, 0, 0, 1]);
    assert_eq!(row("other_fee_unpaid"), [0, 0, 0, 0, 0, 1, 1]);
    assert_eq!(row("partial"), [0; 7]);
    assert_eq!(row("total"), [1, 0, 1, 0, 0, 1, 3]);
    assert_eq!(row("carried_forward"), [0, 1, 0, 0, 1, 0, 2]);
    assert!(table.unreconciled_columns().is_empty());
}

#[test]
fn a_table_that_does_not_add_up_names_its_columns() {
    let mut table = request_table(2026, &[fact(ApplicantType::Research, day(2026, 2, 1), None)]);
    table.rows[0].values[2] += 1;
    table.rows[0].values[6] += 1;
    assert_eq!(table.unreconciled_columns(), vec![2, 6]);
}

#[test]
fn issuance_counts_follow_the_issue_and_end_dates() {
    let facts = [
        IssuedDocumentFact { is_regulation: false, issued_on: day(2024, 5, 1), ended_on: None },
        IssuedDocumentFact { is_regulation: false, issued_on: day(2024, 5, 1), ended_on: Some(day(2026, 7, 1)) },
        IssuedDocumentFact { is_regulation: false, issued_on: day(2026, 2, 1), ended_on: None },
        IssuedDocumentFact { is_regulation: false, issued_on: day(2026, 2, 1), ended_on: Some(day(2027, 2, 1)) },
        IssuedDocumentFact { is_regulation: false, issued_on: day(2027, 1, 5), ended_on: None },
        IssuedDocumentFact { is_regulation: true, issued_on: day(2025, 1, 5), ended_on: Some(day(2025, 8, 1)) },
    ];
    let (regulations, normative) = issuance_counts(2026, &facts);
    assert_eq!(normative, IssuanceCounts { issued: 2, repealed: 1, valid: 3 });
    assert_eq!(regulations, IssuanceCounts { issued: 0, repealed: 0, valid: 0 });
}

#[test]
fn challenges_count_in_the_year_they_were_brought_with_their_result_at_its_end() {
    use ChallengeKind as K;
    use ChallengeResult as R;
    let facts = [
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::Reconsideration,
            filed_on: day(2026, 3, 1),
            concluded: Some((day(2026, 5, 1), R::Upheld)),
        },
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::Reconsideration,
            filed_on: day(2026, 4, 1),
            concluded: Some((day(2026, 6, 1), R::Corrected)),
        },
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::Reconsideration,
            filed_on: day(2026, 11, 1),
            concluded: Some((day(2027, 1, 9), R::Upheld)),
        },
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::LitigationDirect,
            filed_on: day(2026, 2, 1),
            concluded: Some((day(2026, 9, 1), R::Other)),
        },
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::LitigationAfterReconsideration,
            filed_on: day(2026, 2, 1),
            concluded: None,
        },
        ChallengeFact {
            role: ChallengeRole::OriginalAgency,
            kind: K::LitigationAfterReconsideration,
            filed_on: day(2025, 2, 1),
            concluded: None,
        },
        // The same lawsuit recorded by the reconsideration body as co-defendant: not counted.
        ChallengeFact {
            role: ChallengeRole::ReconsiderationBody,
            kind: K::LitigationAfterReconsideration,
            filed_on: day(2026, 2, 1),
            concluded: None,
        },
    ];
    let [reconsideration, direct, after] = challenge_table(2026, &facts);
    assert_eq!(reconsideration, ChallengeCounts { upheld: 1, corrected: 1, other: 0, pending: 1, total: 3 });
    assert_eq!(direct, ChallengeCounts { upheld: 0, corrected: 0, other: 1, pending: 0, total: 1 });
    assert_eq!(after, ChallengeCounts { upheld: 0, corrected: 0, other: 0, pending: 1, total: 1 });
}

#[test]
fn reports_are_due_by_organization_kind() {
    let deadlines = ReportDeadlines::default();
    assert_eq!(report_due_on(OrganizationKind::Department, 2026, deadlines), Some(day(2027, 1, 31)));
    assert_eq!(report_due_on(OrganizationKind::GovernmentOffice, 2026, deadlines), Some(day(2027, 1, 31)));
    assert_eq!(report_due_on(OrganizationKind::CountyGovernment, 2026, deadlines), Some(day(2027, 3, 31)));
    assert_eq!(report_due_on(OrganizationKind::Township, 2026, deadlines), Some(day(2027, 1, 31)));
    let set = ReportDeadlines { township_month: 2, township_day: 28 };
    assert_eq!(report_due_on(OrganizationKind::Township, 2026, set), Some(day(2027, 2, 28)));
    assert_eq!(report_due_on(OrganizationKind::PublicInstitution, 2026, deadlines), None);
    assert!(valid_township_deadline(1, 26));
    assert!(!valid_township_deadline(2, 30));
    assert!(!valid_township_deadline(6, 30));
}

#[test]
fn money_is_shown_exactly() {
    assert_eq!(fen_as_wan(0), "0.00");
    assert_eq!(fen_as_wan(1_234_500), "1.2345");
    assert_eq!(fen_as_wan(10_000_000), "10.00");
    assert_eq!(fen_as_wan(1), "0.000001");
    assert_eq!(fen_as_yuan(12_345), "123.45");
}
