//! The acts on a disclosure request (DOMAIN.md §10). Each runs in one transaction with the request
//! row locked: the domain decides whether the act is allowed, the clock is recomputed from every
//! fact that moves it, and the change, its history entry (with any move of the due date) and the
//! audit row are written together — or nothing is.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::calendar::WorkCalendar;
use domain::request_outcomes::RequestOutcome;
use domain::request_workflow::{
    self as flow, ConsultationOpinion, ConsultedParty, FeeMethod, RequestAct, RequestState,
};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::requests::{self, clock_facts, lock, record_event, DisclosureRequest};
use crate::schema::{
    disclosure_requests as dr, documents, request_consultations, request_fee_notices, request_replies,
};

/// The reply's content (arts. 36–39).
#[derive(Debug, Clone)]
pub struct ReplyContent {
    pub outcome: RequestOutcome,
    pub reply_text: String,
    pub legal_basis: Option<String>,
    pub responsible_agency_name: Option<String>,
    pub responsible_agency_contact: Option<String>,
    pub provided_document_ids: Vec<Uuid>,
}

/// An act with what it needs. Dates default to today in the API and are checked here.
#[derive(Debug, Clone)]
pub enum Act {
    Accept,
    RequestCorrection {
        items: Vec<String>,
        deadline: NaiveDate,
    },
    RecordCorrection {
        corrected_on: NaiveDate,
    },
    Consult {
        party: ConsultedParty,
        party_name: String,
        sent_on: NaiveDate,
    },
    RecordOpinion {
        consultation_id: Uuid,
        opinion: ConsultationOpinion,
        answered_on: NaiveDate,
        notes: Option<String>,
    },
    Extend {
        days: u32,
        reason: String,
    },
    FeeNotice {
        method: FeeMethod,
        pages: Option<u32>,
    },
    RecordPayment {
        paid_on: NaiveDate,
        reference: Option<String>,
    },
    Reply(ReplyContent),
    Archive,
    Close {
        outcome: RequestOutcome,
        reason: String,
    },
    /// Joins the group of another request for the same information (art. 44).
    Group {
        with: Uuid,
    },
}

impl Act {
    fn name(&self) -> &'static str {
        match self {
            Act::Accept => "accept",
            Act::RequestCorrection { .. } => "request-correction",
            Act::RecordCorrection { .. } => "record-correction",
            Act::Consult { .. } => "consult",
            Act::RecordOpinion { .. } => "record-opinion",
            Act::Extend { .. } => "extend",
            Act::FeeNotice { .. } => "fee-notice",
            Act::RecordPayment { .. } => "record-payment",
            Act::Reply(_) => "reply",
            Act::Archive => "archive",
            Act::Close { .. } => "close",
            Act::Group { .. } => "group",
        }
    }

    fn domain_act(&self) -> Option<RequestAct> {
        Some(match self {
            Act::Accept => RequestAct::Accept,
            Act::RequestCorrection { .. } => RequestAct::RequestCorrection,
            Act::RecordCorrection { .. } => RequestAct::RecordCorrection,
            Act::Consult { .. } => RequestAct::Consult,
            Act::RecordOpinion { .. } => RequestAct::RecordOpinion,
            Act::Extend { .. } => RequestAct::Extend,
            Act::FeeNotice { .. } => RequestAct::FeeNotice,
            Act::RecordPayment { .. } => RequestAct::RecordPayment,
            Act::Reply(_) => RequestAct::Reply,
            Act::Archive => RequestAct::Archive,
            Act::Close { .. } => RequestAct::Close,
            Act::Group { .. } => return None,
        })
    }
}

/// Columns an act may change; `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = dr)]
struct RequestUpdate {
    state: Option<&'static str>,
    corrected_on: Option<NaiveDate>,
    correction_requested_on: Option<NaiveDate>,
    correction_items: Option<Vec<String>>,
    correction_deadline: Option<NaiveDate>,
    extension_days: Option<i32>,
    extension_reason: Option<String>,
    extension_approved_by: Option<Uuid>,
    extended_on: Option<NaiveDate>,
    outcome: Option<&'static str>,
    closed_on: Option<NaiveDate>,
    archived_on: Option<NaiveDate>,
    group_id: Option<Uuid>,
}

/// How many days back a consultation letter may be dated when it is recorded: the record follows
/// the letter closely, or the pause it brings could be claimed after the fact.
const CONSULTATION_GRACE_DAYS: i64 = 3;

/// The longest correction deadline an officer may set, in calendar days.
const MAX_CORRECTION_DAYS: i64 = 90;

fn shanghai_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(8)).date_naive()
}

/// The acting user, when a person acts (none for the system or a machine client).
fn actor_user(actor: &Actor) -> Option<Uuid> {
    (actor.kind == crate::audit::ActorKind::User).then_some(actor.id).flatten()
}

fn refuse(code: &'static str) -> StoreError {
    StoreError::Refused(code)
}

fn invalid(field: &'static str, code: &'static str) -> StoreError {
    StoreError::InvalidField { field, code }
}

/// A date an officer reports must lie between `earliest` and today.
fn check_date(field: &'static str, day: NaiveDate, earliest: NaiveDate, today: NaiveDate) -> StoreResult<()> {
    if day > today {
        return Err(invalid(field, "date_in_future"));
    }
    if day < earliest {
        return Err(invalid(field, "date_too_early"));
    }
    Ok(())
}

/// Performs `act` on request `id`. `today` is the Asia/Shanghai date.
pub async fn perform(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    act: Act,
    today: NaiveDate,
) -> StoreResult<DisclosureRequest> {
    conn.transaction(async |conn| {
        crate::calendar::hold_shared(conn).await?;
        let current = lock(conn, id, expected_version).await?;
        let mut next = match act.domain_act() {
            Some(a) => flow::next_state(current.state, a).ok_or(refuse("request_state_conflict"))?,
            None => current.state,
        };
        let calendar = crate::calendar::load(conn).await?;
        let mut update = RequestUpdate::default();
        let mut details = serde_json::json!({});
        let mut changed: Vec<&str> = vec!["state"];
        let mut late_reply = false;
        match &act {
            Act::Accept | Act::Archive => {
                if matches!(act, Act::Archive) {
                    update.archived_on = Some(today);
                }
            }
            Act::RequestCorrection { items, deadline } => {
                flow::check_correction_request(current.correction_requested_on.is_some(), current.received_on, today, &calendar)
                    .map_err(refuse)?;
                if *deadline <= today {
                    return Err(invalid("deadline", "not_after_today"));
                }
                if *deadline > today + chrono::Duration::days(MAX_CORRECTION_DAYS) {
                    return Err(invalid("deadline", "too_far"));
                }
                update.correction_requested_on = Some(today);
                update.correction_items = Some(items.clone());
                update.correction_deadline = Some(*deadline);
                details = serde_json::json!({"items": items, "deadline": deadline});
                changed.extend(["correction_items", "correction_deadline"]);
            }
            Act::RecordCorrection { corrected_on } => {
                check_date("corrected_on", *corrected_on, current.correction_requested_on.unwrap_or(current.received_on), today)?;
                update.corrected_on = Some(*corrected_on);
                details = serde_json::json!({"corrected_on": corrected_on, "reason": "correction_received"});
                changed.push("corrected_on");
            }
            Act::Consult { party, party_name, sent_on } => {
                // A consultation cannot be dated before the clock it pauses started, nor before
                // the last act on the request, nor begin once the answer period has run out:
                // otherwise a late request could be made punctual after the fact.
                let last_act = shanghai_date(current.updated_at);
                let grace = today - chrono::Duration::days(CONSULTATION_GRACE_DAYS);
                check_date("sent_on", *sent_on, current.clock_start().max(last_act).max(grace), today)?;
                if *sent_on > current.due_on || today > current.due_on {
                    return Err(refuse(flow::CONSULTATION_AFTER_DUE_DATE));
                }
                let window = flow::consultation_due(*sent_on, &calendar);
                let consultation_id = Uuid::now_v7();
                diesel::insert_into(request_consultations::table)
                    .values((
                        request_consultations::id.eq(consultation_id),
                        request_consultations::request_id.eq(id),
                        request_consultations::party.eq(party.as_str()),
                        request_consultations::party_name.eq(party_name),
                        request_consultations::sent_on.eq(sent_on),
                        request_consultations::window_due_on.eq(window),
                        request_consultations::created_by.eq(actor_user(actor)),
                    ))
                    .execute(conn)
                    .await?;
                details = serde_json::json!({"consultation_id": consultation_id, "party": party.as_str(), "sent_on": sent_on, "window_due_on": window, "reason": "consultation_pause"});
            }
            Act::RecordOpinion { consultation_id, opinion, answered_on, notes } => {
                let pending = requests::consultations(conn, id).await?;
                let Some(consultation) = pending.iter().find(|c| c.id == *consultation_id) else {
                    return Err(invalid("consultation_id", "not_found"));
                };
                if consultation.answered_on.is_some() {
                    return Err(refuse(flow::NO_PENDING_CONSULTATION));
                }
                check_date("answered_on", *answered_on, consultation.sent_on, today)?;
                let party: ConsultedParty = crate::error::parse_code(&consultation.party)?;
                let recorded =
                    flow::opinion_as_recorded(party, *opinion, consultation.window_due_on, today).map_err(refuse)?;
                diesel::update(request_consultations::table.find(consultation_id))
                    .set((
                        request_consultations::answered_on.eq(answered_on),
                        request_consultations::opinion.eq(recorded.as_str()),
                        request_consultations::notes.eq(notes),
                    ))
                    .execute(conn)
                    .await?;
                let others = pending.iter().filter(|c| c.id != *consultation_id && c.answered_on.is_none()).count();
                let fee_pending = fee_pending(conn, id).await?;
                next = flow::after_hold_lifted(others + usize::from(fee_pending));
                details = serde_json::json!({"consultation_id": consultation_id, "opinion": recorded.as_str(), "answered_on": answered_on, "reason": "consultation_answered"});
            }
            Act::Extend { days, reason } => {
                if !flow::extension_days_valid(*days) {
                    return Err(invalid("days", "range"));
                }
                flow::check_extension(current.extension_days > 0, current.due_on, today).map_err(refuse)?;
                update.extension_days = Some(*days as i32);
                update.extension_reason = Some(reason.clone());
                update.extension_approved_by = actor_user(actor);
                update.extended_on = Some(today);
                details = serde_json::json!({"days": days, "reason": "extension", "approved_by": actor_user(actor)});
                changed = vec!["extension_days", "extension_reason"];
            }
            Act::FeeNotice { method, pages } => {
                if requests::fee_notice(conn, id).await?.is_some() {
                    return Err(refuse(flow::FEE_ALREADY_NOTIFIED));
                }
                if today > current.due_on {
                    return Err(refuse(flow::FEE_NOTICE_AFTER_DUE_DATE));
                }
                if *method == FeeMethod::PerPage && pages.is_none() {
                    return Err(invalid("pages", "required"));
                }
                let nth = requests::nth_request_this_month(conn, &current).await?;
                let amount = flow::fee_fen(*method, nth, pages.unwrap_or(0));
                if amount == 0 {
                    return Err(invalid("method", "no_fee_due"));
                }
                let settings = requests::settings(conn).await?;
                let span = flow::FeeSpan::new(today, &settings.fee());
                let payment_due = span.payment_due(current.due_on, &calendar);
                diesel::insert_into(request_fee_notices::table)
                    .values((
                        request_fee_notices::request_id.eq(id),
                        request_fee_notices::method.eq(method.as_str()),
                        request_fee_notices::nth_request_this_month.eq(nth as i32),
                        request_fee_notices::pages.eq(pages.map(|p| p as i32)),
                        request_fee_notices::amount_fen.eq(amount),
                        request_fee_notices::notified_on.eq(today),
                        request_fee_notices::payment_due_on.eq(payment_due),
                        request_fee_notices::payment_working_days.eq(span.payment_working_days as i32),
                        request_fee_notices::pauses_clock.eq(span.pauses_clock),
                        request_fee_notices::created_by.eq(actor_user(actor)),
                    ))
                    .execute(conn)
                    .await?;
                details = serde_json::json!({"method": method.as_str(), "nth_request_this_month": nth, "pages": pages, "amount_fen": amount, "payment_due_on": payment_due, "reason": "fee_pause"});
            }
            Act::RecordPayment { paid_on, reference } => {
                let Some(notice) = requests::fee_notice(conn, id).await?.filter(|n| n.paid_on.is_none()) else {
                    return Err(refuse(flow::NO_PENDING_FEE));
                };
                check_date("paid_on", *paid_on, notice.notified_on, today)?;
                if *paid_on > notice.payment_due_on {
                    return Err(invalid("paid_on", "after_payment_due"));
                }
                diesel::update(request_fee_notices::table.find(id))
                    .set((request_fee_notices::paid_on.eq(paid_on), request_fee_notices::payment_reference.eq(reference)))
                    .execute(conn)
                    .await?;
                let open_consultations =
                    requests::consultations(conn, id).await?.iter().filter(|c| c.answered_on.is_none()).count();
                next = flow::after_hold_lifted(open_consultations);
                details = serde_json::json!({"paid_on": paid_on, "reason": "fee_paid"});
            }
            Act::Reply(reply) => {
                if reply.outcome.is_abandonment() {
                    return Err(invalid("outcome", "abandonment_is_closed_not_replied"));
                }
                // 三(四)3 counts requests still unclear *after* a correction (art. 30).
                if reply.outcome == RequestOutcome::UnableStillUnclear && current.corrected_on.is_none() {
                    return Err(invalid("outcome", "no_correction_was_made"));
                }
                check_provided_documents(conn, &reply.provided_document_ids).await?;
                diesel::insert_into(request_replies::table)
                    .values((
                        request_replies::request_id.eq(id),
                        request_replies::reply_text.eq(&reply.reply_text),
                        request_replies::legal_basis.eq(&reply.legal_basis),
                        request_replies::responsible_agency_name.eq(&reply.responsible_agency_name),
                        request_replies::responsible_agency_contact.eq(&reply.responsible_agency_contact),
                        request_replies::provided_document_ids.eq(&reply.provided_document_ids),
                        request_replies::replied_on.eq(today),
                        request_replies::replied_by.eq(actor_user(actor)),
                    ))
                    .execute(conn)
                    .await?;
                update.outcome = Some(reply.outcome.as_str());
                late_reply = today > current.due_on;
                details = serde_json::json!({"outcome": reply.outcome.as_str(), "late": late_reply});
                changed.extend(["outcome", "reply"]);
            }
            Act::Close { outcome, reason } => {
                let allowed = matches!(
                    outcome,
                    RequestOutcome::OtherNoCorrection | RequestOutcome::OtherFeeUnpaid | RequestOutcome::Other
                );
                if !allowed {
                    return Err(invalid("outcome", "not_a_closing_outcome"));
                }
                if *outcome == RequestOutcome::OtherNoCorrection
                    && !(current.state == RequestState::CorrectionRequested
                        && current.correction_deadline.is_some_and(|d| today > d))
                {
                    return Err(refuse("correction_deadline_not_passed"));
                }
                if *outcome == RequestOutcome::OtherFeeUnpaid {
                    let lapsed = requests::fee_notice(conn, id)
                        .await?
                        .is_some_and(|n| n.paid_on.is_none() && today > n.payment_due_on);
                    if !lapsed {
                        return Err(refuse("payment_period_not_passed"));
                    }
                }
                update.outcome = Some(outcome.as_str());
                update.closed_on = Some(today);
                // The applicant's abandonment is not the agency's lateness; any other late end is.
                late_reply = *outcome == RequestOutcome::Other && current.clock_runs() && today > current.due_on;
                details = serde_json::json!({"outcome": outcome.as_str(), "reason": reason});
                changed.push("outcome");
            }
            Act::Group { with } => {
                let other = requests::get(conn, *with).await.map_err(|e| match e {
                    StoreError::NotFound => invalid("with", "not_found"),
                    e => e,
                })?;
                if other.organization_id != current.organization_id {
                    return Err(invalid("with", "other_organization"));
                }
                update.group_id = Some(other.group_id);
                details = serde_json::json!({"group_id": other.group_id, "with": with});
                changed = vec!["group_id"];
            }
        }
        update.state = Some(next.as_str());
        diesel::update(dr::table.find(id))
            .set((update, dr::version.eq(dr::version + 1), dr::updated_at.eq(diesel::dsl::now)))
            .execute(conn)
            .await?;
        let mut updated = requests::get(conn, id).await?;
        if updated.clock_runs() {
            let facts = clock_facts(conn, &updated).await?;
            updated = set_due(conn, updated, &facts.answer_due(&calendar)).await?;
        }
        if let Some(obj) = details.as_object_mut() {
            if current.due_on != updated.due_on {
                obj.insert("due_moved".into(), serde_json::json!({"from": current.due_on, "to": updated.due_on}));
            }
        }
        record_event(conn, &updated, act.name(), Some(current.state), Some(current.due_on), details, actor_user(actor))
            .await?;
        if late_reply {
            record_overdue_breach(conn, &current, today).await?;
        }
        let change = Change::new(action_name(&act), "disclosure_request", id).fields(changed);
        audit::record(conn, actor, change).await?;
        Ok(updated)
    })
    .await
}

fn action_name(act: &Act) -> &'static str {
    match act {
        Act::Accept => "disclosure_request.accept",
        Act::RequestCorrection { .. } => "disclosure_request.request_correction",
        Act::RecordCorrection { .. } => "disclosure_request.record_correction",
        Act::Consult { .. } => "disclosure_request.consult",
        Act::RecordOpinion { .. } => "disclosure_request.record_opinion",
        Act::Extend { .. } => "disclosure_request.extend",
        Act::FeeNotice { .. } => "disclosure_request.fee_notice",
        Act::RecordPayment { .. } => "disclosure_request.record_payment",
        Act::Reply(_) => "disclosure_request.reply",
        Act::Archive => "disclosure_request.archive",
        Act::Close { .. } => "disclosure_request.close",
        Act::Group { .. } => "disclosure_request.group",
    }
}

async fn fee_pending(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<bool> {
    Ok(requests::fee_notice(conn, id).await?.is_some_and(|n| n.paid_on.is_none()))
}

/// Documents given in a reply must exist and be public: a reply never hands out what is not.
async fn check_provided_documents(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let public: i64 = documents::table
        .filter(documents::id.eq_any(ids))
        .filter(documents::status.eq("published"))
        .filter(documents::disclosure.eq_any(["proactive", "public_release"]))
        .count()
        .get_result(conn)
        .await?;
    let distinct: std::collections::HashSet<&Uuid> = ids.iter().collect();
    if public as usize != distinct.len() {
        return Err(invalid("provided_document_ids", "not_public"));
    }
    Ok(())
}

async fn set_due(
    conn: &mut AsyncPgConnection,
    request: DisclosureRequest,
    due: &domain::calendar::DeadlineExplanation,
) -> StoreResult<DisclosureRequest> {
    if request.due_on == due.due_on && request.due_provisional == due.provisional {
        return Ok(request);
    }
    diesel::update(dr::table.find(request.id))
        .set((dr::due_on.eq(due.due_on), dr::due_provisional.eq(due.provisional)))
        .execute(conn)
        .await?;
    requests::get(conn, request.id).await
}

async fn record_overdue_breach(
    conn: &mut AsyncPgConnection,
    request: &DisclosureRequest,
    today: NaiveDate,
) -> StoreResult<bool> {
    crate::documents::record_breach(
        conn,
        "request_overdue",
        request.organization_id,
        "disclosure_request",
        request.id,
        request.due_on,
        serde_json::json!({"tracking_code": request.tracking_code, "detected_on": today}),
    )
    .await
}

/// Open requests whose clock ran out become `request_overdue` breaches as soon as the day passes
/// (each once), in one statement however many there are. Returns how many were new.
pub async fn record_overdue(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    let inserted = diesel::sql_query(
        "INSERT INTO breaches (id, kind, organization_id, entity_type, entity_id, due_on, details) \
         SELECT gen_random_uuid(), 'request_overdue', organization_id, 'disclosure_request', id, due_on, \
                jsonb_build_object('tracking_code', tracking_code, 'detected_on', $1::date) \
         FROM disclosure_requests \
         WHERE state IN ('received', 'in_progress', 'paused') AND due_on < $1 \
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Date, _>(today)
    .execute(conn)
    .await?;
    Ok(inserted)
}

/// Closes what the applicant abandoned (art. 30; 109号): corrections not made by their deadline
/// and fees not paid in their period. Each in its own transaction, recorded as the system.
pub async fn close_lapsed(conn: &mut AsyncPgConnection, actor: &Actor, today: NaiveDate) -> StoreResult<usize> {
    let no_correction: Vec<Uuid> = dr::table
        .filter(dr::state.eq(RequestState::CorrectionRequested.as_str()))
        .filter(dr::correction_deadline.lt(today))
        .select(dr::id)
        .load(conn)
        .await?;
    let unpaid: Vec<Uuid> = dr::table
        .inner_join(request_fee_notices::table)
        .filter(dr::state.eq(RequestState::Paused.as_str()))
        .filter(request_fee_notices::paid_on.is_null())
        .filter(request_fee_notices::payment_due_on.lt(today))
        .select(dr::id)
        .load(conn)
        .await?;
    let mut closed = 0;
    let lapsed = no_correction
        .into_iter()
        .map(|id| (id, RequestOutcome::OtherNoCorrection, "correction_deadline_passed"))
        .chain(unpaid.into_iter().map(|id| (id, RequestOutcome::OtherFeeUnpaid, "fee_unpaid")));
    for (id, outcome, reason) in lapsed {
        let act = Act::Close { outcome, reason: reason.into() };
        match perform(conn, actor, id, None, act, today).await {
            Ok(_) => closed += 1,
            // Someone acted on it meanwhile: nothing lapsed any more.
            Err(StoreError::Refused(_)) => {}
            Err(StoreError::Unavailable(message)) => return Err(StoreError::Unavailable(message)),
            // One broken request must not keep the others open.
            Err(other) => tracing::warn!(request = %id, error = %other, "could not close a lapsed request"),
        }
    }
    Ok(closed)
}

/// Recomputes, after the calendar changed, every running clock: the consultation windows and
/// payment periods still open, then the due date — each request locked while it is recomputed,
/// each move written to its history. Returns how many due dates moved.
pub async fn recompute_due_dates(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    calendar: &WorkCalendar,
    reason: &str,
) -> StoreResult<usize> {
    // Ids in order, so that two recomputations could never lock the same rows in opposite orders.
    let open: Vec<Uuid> = dr::table
        .filter(dr::state.eq_any(["received", "in_progress", "paused"]))
        .order(dr::id.asc())
        .select(dr::id)
        .load(conn)
        .await?;
    let mut moved = 0;
    for id in open {
        let request = lock(conn, id, None).await?;
        if !request.clock_runs() {
            continue;
        }
        for consultation in requests::consultations(conn, id).await?.into_iter().filter(|c| c.answered_on.is_none()) {
            let window = flow::consultation_due(consultation.sent_on, calendar);
            if window != consultation.window_due_on {
                diesel::update(request_consultations::table.find(consultation.id))
                    .set(request_consultations::window_due_on.eq(window))
                    .execute(conn)
                    .await?;
            }
        }
        let facts = clock_facts(conn, &request).await?;
        let due = facts.answer_due(calendar);
        if let Some(notice) = requests::fee_notice(conn, id).await?.filter(|n| n.paid_on.is_none()) {
            let payment_due = notice.span().payment_due(due.due_on, calendar);
            if payment_due != notice.payment_due_on {
                diesel::update(request_fee_notices::table.find(id))
                    .set(request_fee_notices::payment_due_on.eq(payment_due))
                    .execute(conn)
                    .await?;
            }
        }
        let before = request.due_on;
        let state = request.state;
        let updated = set_due(conn, request, &due).await?;
        if updated.due_on != before {
            let details = serde_json::json!({"reason": reason, "due_moved": {"from": before, "to": updated.due_on}});
            record_event(conn, &updated, "due_date_recomputed", Some(state), Some(before), details, actor_user(actor))
                .await?;
            let change = Change::new("disclosure_request.due_date_recomputed", "disclosure_request", updated.id)
                .fields(["due_on"]);
            audit::record(conn, actor, change).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// The current due date of `request` explained day by day (for a closed clock, as it stood).
pub async fn explain_due(
    conn: &mut AsyncPgConnection,
    request: &DisclosureRequest,
) -> StoreResult<domain::calendar::DeadlineExplanation> {
    let calendar = crate::calendar::load(conn).await?;
    Ok(clock_facts(conn, request).await?.answer_due(&calendar))
}
