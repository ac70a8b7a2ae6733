use super::*;

fn org(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn a_county_policy_goes_to_its_department_whatever_else_is_involved() {
    let facts = ResponsibilityFacts {
        county_policy: true,
        policy_department: Some(org(1)),
        involved_organizations: vec![org(2), org(3)],
        regions: vec!["元马镇".into(), "黄瓜园镇".into()],
        lead: None,
        higher_authority: None,
    };
    let r = responsibility(&facts).unwrap();
    assert_eq!((r.rule, r.responders, r.escalation), (ResponsibilityRule::CountyPolicy, vec![org(1)], false));
    let unnamed = ResponsibilityFacts { policy_department: None, ..facts };
    assert_eq!(responsibility(&unnamed), Err(POLICY_DEPARTMENT_MISSING));
}

#[test]
fn one_organization_responds_for_itself() {
    let facts = ResponsibilityFacts {
        involved_organizations: vec![org(2), org(2)],
        regions: vec!["元马镇".into()],
        ..Default::default()
    };
    let r = responsibility(&facts).unwrap();
    assert_eq!((r.rule, r.responders, r.lead), (ResponsibilityRule::SingleOrganization, vec![org(2)], None));
}

#[test]
fn several_regions_go_to_the_higher_level_authority_as_an_escalation() {
    let facts = ResponsibilityFacts {
        involved_organizations: vec![org(2)],
        regions: vec!["元马镇".into(), " 黄瓜园镇 ".into(), "元马镇".into()],
        ..Default::default()
    };
    let r = responsibility(&facts).unwrap();
    assert_eq!((r.rule, r.responders.len(), r.escalation), (ResponsibilityRule::SeveralRegions, 0, true));
    let named = ResponsibilityFacts { higher_authority: Some(org(7)), ..facts.clone() };
    let r = responsibility(&named).unwrap();
    assert_eq!((r.rule, r.responders, r.escalation), (ResponsibilityRule::SeveralRegions, vec![org(7)], true));
    let same_region_twice = ResponsibilityFacts { regions: vec!["元马镇".into(), "元马镇 ".into()], ..facts };
    assert_eq!(responsibility(&same_region_twice).unwrap().rule, ResponsibilityRule::SingleOrganization);
}

#[test]
fn several_departments_respond_each_by_duty_with_a_lead_among_them() {
    let facts = ResponsibilityFacts { involved_organizations: vec![org(2), org(3)], ..Default::default() };
    let r = responsibility(&facts).unwrap();
    assert_eq!(
        (r.rule, r.responders.clone(), r.lead),
        (ResponsibilityRule::SeveralDepartments, vec![org(2), org(3)], None)
    );
    let led = ResponsibilityFacts { lead: Some(org(3)), ..facts.clone() };
    assert_eq!(responsibility(&led).unwrap().lead, Some(org(3)));
    let outsider = ResponsibilityFacts { lead: Some(org(9)), ..facts };
    assert_eq!(responsibility(&outsider), Err(LEAD_NOT_INVOLVED));
    assert_eq!(responsibility(&ResponsibilityFacts::default()), Err(NOTHING_INVOLVED));
}

#[test]
fn each_handling_class_demands_its_public_output_before_the_response() {
    use HandlingClass::*;
    use ReleaseKind::*;
    let cases = [
        (ConstructiveSuggestion, AdoptionPublished, ADOPTION_NOT_PUBLISHED),
        (RealDifficulty, SolutionPublished, SOLUTION_NOT_PUBLISHED),
        (MajorProblem, InvestigationPublished, INVESTIGATION_NOT_PUBLISHED),
        (PublicUnaware, AuthoritativeInformation, AUTHORITATIVE_INFORMATION_MISSING),
        (PublicUnaware, PressConference, AUTHORITATIVE_INFORMATION_MISSING),
        (WrongView, Correction, CORRECTION_MISSING),
    ];
    for (class, output, failure) in cases {
        assert_eq!(response_failures(class, &[], 0), vec![failure.clone()], "{class:?} with nothing released");
        assert_eq!(
            response_failures(class, &[FollowUp], 0),
            vec![failure.clone()],
            "{class:?}: a follow-up is not its output"
        );
        assert!(response_failures(class, &[FollowUp, output], 0).is_empty(), "{class:?} with {output:?}");
    }
}

#[test]
fn false_information_needs_both_a_public_response_and_a_referral() {
    use HandlingClass::FalseInformation;
    assert_eq!(response_failures(FalseInformation, &[], 0), vec![FALSE_INFORMATION_RESPONSE_MISSING, REFERRAL_MISSING]);
    assert_eq!(response_failures(FalseInformation, &[ReleaseKind::Response], 0), vec![REFERRAL_MISSING]);
    assert_eq!(response_failures(FalseInformation, &[], 1), vec![FALSE_INFORMATION_RESPONSE_MISSING]);
    assert!(response_failures(FalseInformation, &[ReleaseKind::Response], 1).is_empty());
    assert!(response_failures(FalseInformation, &[ReleaseKind::Correction], 1).is_empty());
    assert!(response_failures(FalseInformation, &[ReleaseKind::AuthoritativeInformation], 1).is_empty());
    assert_eq!(
        response_failures(FalseInformation, &[ReleaseKind::FollowUp], 1),
        vec![FALSE_INFORMATION_RESPONSE_MISSING]
    );
}

#[test]
fn opinion_about_a_major_sudden_event_runs_the_five_and_twenty_four_hour_clocks() {
    let detected = at("2026-11-26T01:00:00Z"); // 09:00 in Yuanmou
    for level in [EventLevel::EspeciallyMajor, EventLevel::Major] {
        assert_eq!(
            clocks(Some(level), detected, ClockHours::default()),
            vec![
                (ClockKind::Release, at("2026-11-26T06:00:00Z")),
                (ClockKind::PressConference, at("2026-11-27T01:00:00Z"))
            ]
        );
    }
    for level in [Some(EventLevel::Large), Some(EventLevel::General), None] {
        assert_eq!(
            clocks(level, detected, ClockHours::default()),
            vec![(ClockKind::Response, at("2026-11-28T01:00:00Z"))],
            "{level:?}: 48 wall-clock hours, weekend or not"
        );
    }
    let county = ClockHours { release: 3, press_conference: 12, response: 24 };
    assert_eq!(clocks(Some(EventLevel::Major), detected, county)[0].1, at("2026-11-26T04:00:00Z"));
}

#[test]
fn a_clock_is_met_by_its_own_kind_of_release_up_to_the_due_instant() {
    let due = at("2026-11-26T06:00:00Z");
    assert_eq!(clock_state(due, Some(at("2026-11-26T05:59:00Z")), at("2026-11-27T00:00:00Z")), ClockState::Met);
    assert_eq!(clock_state(due, Some(due), at("2026-11-27T00:00:00Z")), ClockState::Met, "the due instant is in time");
    assert_eq!(clock_state(due, Some(at("2026-11-26T06:01:00Z")), at("2026-11-26T06:01:00Z")), ClockState::Breached);
    assert_eq!(clock_state(due, None, at("2026-11-26T06:00:01Z")), ClockState::Breached);
    assert_eq!(clock_state(due, None, at("2026-11-26T05:00:00Z")), ClockState::Running { left: Duration::hours(1) });
    assert!(stops(ClockKind::Release, ReleaseKind::AuthoritativeInformation));
    assert!(!stops(ClockKind::Release, ReleaseKind::FollowUp));
    assert!(stops(ClockKind::PressConference, ReleaseKind::PressConference));
    assert!(!stops(ClockKind::PressConference, ReleaseKind::AuthoritativeInformation));
    assert!(stops(ClockKind::Response, ReleaseKind::Correction));
}

#[test]
fn the_workflow_runs_collected_consulted_assessed_responded_evaluated() {
    use IncidentAct::*;
    use IncidentStatus::*;
    assert_eq!(next_status(Collected, Consult), Ok(Consulted));
    assert_eq!(next_status(Consulted, Assess), Ok(Assessed));
    assert_eq!(next_status(Assessed, Assess), Ok(Assessed), "reassessed before the response");
    assert_eq!(next_status(Assessed, Respond), Ok(Responded));
    assert_eq!(next_status(Responded, Evaluate), Ok(Evaluated));
    for (from, act) in
        [(Collected, Assess), (Collected, Respond), (Consulted, Respond), (Responded, Assess), (Evaluated, Evaluate)]
    {
        assert_eq!(next_status(from, act), Err(INCIDENT_STATE_CONFLICT), "{from:?} {act:?}");
    }
}

#[test]
fn clock_kinds_are_the_contract_breach_kinds() {
    let codes: Vec<&str> = ClockKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(codes, ["opinion_release_late", "opinion_press_conference_late", "opinion_response_late"]);
}
