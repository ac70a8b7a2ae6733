//! The acts on a disclosure request, `POST /api/v1/disclosure-requests/{id}/{action}`, each
//! answering the request as it now stands. Action names and states are those of DOMAIN.md §10.

use actix_web::{post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use domain::request_access::{self, RequestView};
use domain::request_outcomes::RequestOutcome;
use domain::request_workflow::{ConsultationOpinion, ConsultedParty, FeeMethod, RequestAct};
use persistence::request_acts::{self, Act, ReplyContent};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::routes::not_blank;
use crate::routes::requests::{dto, personal, visible, DisclosureRequestDto};
use crate::state::AppState;

fn items_not_blank(items: &[String]) -> Result<(), ValidationError> {
    if items.iter().any(|i| i.trim().is_empty() || i.chars().count() > 500) {
        Err(ValidationError::new("item_blank_or_too_long"))
    } else {
        Ok(())
    }
}

/// 补正 (art. 30): once, within 7 working days of receipt, with every item and a reasonable deadline.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// What the applicant must clarify or add; each item at most 500 characters.
    #[validate(length(min = 1, max = 20), custom(function = "items_not_blank"))]
    #[schema(min_items = 1, max_items = 20, example = json!(["请说明所需信息的年份和具体乡镇"]))]
    pub items: Vec<String>,
    /// The last day for the correction; after it the request is closed as other_no_correction.
    #[schema(value_type = String, format = Date, example = "2026-12-15")]
    pub deadline: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCorrectionInput {
    /// The day the corrected request arrived (default today); the 20 working days count from it.
    #[schema(value_type = Option<String>, format = Date)]
    pub corrected_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestConsultInput {
    pub party: ConsultedParty,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县某某食品有限公司")]
    pub party_name: String,
    /// The day the letter was sent (default today).
    #[schema(value_type = Option<String>, format = Date)]
    pub sent_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionInput {
    pub consultation_id: Uuid,
    /// `no_reply` only after the 15 working days; a co-producing agency's silence is recorded as consent (art. 34).
    pub opinion: ConsultationOpinion,
    #[schema(value_type = Option<String>, format = Date)]
    pub answered_on: Option<NaiveDate>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// 1–20 working days (art. 33 ¶2).
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub days: u32,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "涉及多个部门共同制作的信息，需协调确认")]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeNoticeInput {
    /// `per_request` from the applicant's count this month, or `per_page` from `pages`.
    pub method: FeeMethod,
    #[validate(range(min = 1, max = 1000000))]
    #[schema(minimum = 1, maximum = 1000000)]
    pub pages: Option<u32>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    #[schema(value_type = Option<String>, format = Date)]
    pub paid_on: Option<NaiveDate>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub reference: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestReplyInput {
    /// One outcome per row of table 三 (not other_no_correction / other_fee_unpaid, which are closures).
    pub outcome: RequestOutcome,
    /// The reply's text; defaults to the statutory text of the outcome.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub reply_text: Option<String>,
    /// Required for partial disclosure, every refusal and the refusals to process.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "《中华人民共和国政府信息公开条例》第十五条")]
    pub legal_basis: Option<String>,
    /// For information held by another agency (art. 36(五)).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub responsible_agency_name: Option<String>,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub responsible_agency_contact: Option<String>,
    /// Published documents given with the reply.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub provided_document_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestCloseInput {
    /// other_no_correction (after the correction deadline), other_fee_unpaid (after the payment period) or other.
    pub outcome: RequestOutcome,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    /// Another request of the same organization asking for the same information.
    pub with: Uuid,
}

async fn run(
    state: &AppState,
    auth: &Auth,
    req: &HttpRequest,
    id: Uuid,
    act: Act,
    domain_act: Option<RequestAct>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let (request, view) = visible(&mut conn, &auth.principal, id).await?;
    if !request_access::may_act(&auth.principal, request.organization_id, domain_act) {
        return Err(ApiError::forbidden());
    }
    let today = state.today();
    let updated = request_acts::perform(&mut conn, &auth.actor(), id, expected, act, today).await?;
    let version = updated.version;
    let body: DisclosureRequestDto = dto(&mut conn, state, updated, view.max(RequestView::Masked)).await?;
    Ok(personal(ok_with_etag(&body, version), view == RequestView::Full))
}

const ID: &str = "Request id";

/// 受理: the request is complete and clear; handling starts.
#[utoipa::path(operation_id = "accept_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, Act::Accept, Some(RequestAct::Accept)).await
}

/// 补正 notice (art. 30): once, within 7 working days of receipt; a second one, or one after the window, is 409.
#[utoipa::path(operation_id = "request_correction_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = CorrectionInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/request-correction")]
pub async fn request_correction(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<CorrectionInput>,
) -> ApiResult<HttpResponse> {
    let items = body.0.items.iter().map(|i| i.trim().to_owned()).collect();
    let act = Act::RequestCorrection { items, deadline: body.0.deadline };
    run(&state, &auth, &req, *id, act, Some(RequestAct::RequestCorrection)).await
}

/// The corrected request arrived: the request is `received` again and the 20 working days restart from that day.
#[utoipa::path(operation_id = "record_correction_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = RecordCorrectionInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/record-correction")]
pub async fn record_correction(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RecordCorrectionInput>,
) -> ApiResult<HttpResponse> {
    let act = Act::RecordCorrection { corrected_on: body.0.corrected_on.unwrap_or_else(|| state.today()) };
    run(&state, &auth, &req, *id, act, Some(RequestAct::RecordCorrection)).await
}

/// Consults a third party (art. 32) or a co-producing agency (art. 34): the clock pauses, at most for their 15 working days.
#[utoipa::path(operation_id = "consult_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = RequestConsultInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/consult")]
pub async fn consult(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RequestConsultInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let act = Act::Consult {
        party: input.party,
        party_name: input.party_name.trim().to_owned(),
        sent_on: input.sent_on.unwrap_or_else(|| state.today()),
    };
    run(&state, &auth, &req, *id, act, Some(RequestAct::Consult)).await
}

/// Records a consulted party's opinion; the clock resumes when nothing else is pending.
#[utoipa::path(operation_id = "record_opinion_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = OpinionInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/record-opinion")]
pub async fn record_opinion(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<OpinionInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let act = Act::RecordOpinion {
        consultation_id: input.consultation_id,
        opinion: input.opinion,
        answered_on: input.answered_on.unwrap_or_else(|| state.today()),
        notes: input.notes,
    };
    run(&state, &auth, &req, *id, act, Some(RequestAct::RecordOpinion)).await
}

/// 延期 (art. 33 ¶2) by the head of the openness office: once, 1–20 working days, with a reason, no later than the original due date.
#[utoipa::path(operation_id = "extend_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = ExtendInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/extend")]
pub async fn extend(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ExtendInput>,
) -> ApiResult<HttpResponse> {
    let act = Act::Extend { days: body.0.days, reason: body.0.reason.trim().to_owned() };
    run(&state, &auth, &req, *id, act, Some(RequestAct::Extend)).await
}

/// 收费通知 (国办函〔2020〕109号): the amount is computed from the applicant's requests this month or the page count; the clock pauses until payment where the county says so.
#[utoipa::path(operation_id = "fee_notice_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = FeeNoticeInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/fee-notice")]
pub async fn fee_notice(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<FeeNoticeInput>,
) -> ApiResult<HttpResponse> {
    let act = Act::FeeNotice { method: body.0.method, pages: body.0.pages };
    run(&state, &auth, &req, *id, act, Some(RequestAct::FeeNotice)).await
}

/// Records the payment of the fee; handling resumes.
#[utoipa::path(operation_id = "record_payment_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = PaymentInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/record-payment")]
pub async fn record_payment(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<PaymentInput>,
) -> ApiResult<HttpResponse> {
    let act =
        Act::RecordPayment { paid_on: body.0.paid_on.unwrap_or_else(|| state.today()), reference: body.0.reference };
    run(&state, &auth, &req, *id, act, Some(RequestAct::RecordPayment)).await
}

/// 答复 with one outcome of table 三; a reply after the due date is recorded as a request_overdue breach.
#[utoipa::path(operation_id = "reply_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = RequestReplyInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/reply")]
pub async fn reply(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RequestReplyInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let basis = input.legal_basis.as_deref().map(str::trim).filter(|b| !b.is_empty()).map(str::to_owned);
    if input.outcome.needs_legal_basis() && basis.is_none() {
        return Err(ApiError::field(
            "legal_basis",
            "required",
            "部分公开、不予公开和不予处理的答复须说明依据和理由",
            "Partial disclosure, refusals and refusals to process must state their legal basis",
        ));
    }
    let reply_text = input
        .reply_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or_else(|| input.outcome.statutory_reply_zh().to_owned(), str::to_owned);
    let content = ReplyContent {
        outcome: input.outcome,
        reply_text,
        legal_basis: basis,
        responsible_agency_name: input.responsible_agency_name,
        responsible_agency_contact: input.responsible_agency_contact,
        provided_document_ids: input.provided_document_ids,
    };
    run(&state, &auth, &req, *id, Act::Reply(content), Some(RequestAct::Reply)).await
}

/// 归档: a replied request is archived.
#[utoipa::path(operation_id = "archive_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, Act::Archive, Some(RequestAct::Archive)).await
}

/// Closes an open request the applicant abandoned (no correction or no payment in time) or that ended otherwise, with its outcome.
#[utoipa::path(operation_id = "close_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = RequestCloseInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RequestCloseInput>,
) -> ApiResult<HttpResponse> {
    let act = Act::Close { outcome: body.0.outcome, reason: body.0.reason.trim().to_owned() };
    run(&state, &auth, &req, *id, act, Some(RequestAct::Close)).await
}

/// Puts the request in the group of another request for the same information (art. 44).
#[utoipa::path(operation_id = "group_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), request_body = GroupInput, responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[post("/disclosure-requests/{id}/group")]
pub async fn group(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<GroupInput>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, Act::Group { with: body.0.with }, None).await
}
