//! `/api/v1/disclosure-requests`: the officers' side of 依申请公开 — registering requests received
//! off-line, reading and listing them (with the due-soon and overdue views), the history with
//! every move of the due date, the art. 44 groups and the county's settings. The acts are in
//! `request_actions`; the applicant's side is in `public_requests`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::identity::IdentityDocumentType;
use domain::request_access::{self, RequestParties, RequestView};
use domain::request_outcomes::RequestOutcome;
use domain::request_workflow::{self as flow, DeliveryMethod, InformationForm, ReceiptFacts, RequestState};
use domain::requests::{ApplicantType, ReceiptChannel};
use domain::{Principal, Role};
use persistence::requests::{self, DisclosureRequest, RequestFilter, RequestScope};
use persistence::{organizations, PooledConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::public_requests::{applicant_from, ApplicantInput, ReplyDto};
use crate::state::AppState;

/// Messages for the field codes storage may answer with (`StoreError::InvalidField`).
pub fn field_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "date_in_future" => ("日期不能晚于今天", "The date cannot be after today"),
        "date_too_early" => ("日期早于该事项的起始日期", "The date is before the matter began"),
        "not_after_today" => ("期限须晚于今天", "The deadline must be after today"),
        "too_far" => ("补正期限不得超过90日", "A correction deadline is at most 90 days away"),
        "not_found" => ("所指记录不存在", "The referenced record does not exist"),
        "other_organization" => ("所指申请属于其他机关", "The referenced request belongs to another organization"),
        "range" => ("延长期限须为 1 至 20 个工作日", "An extension is 1 to 20 working days"),
        "required" => ("此项必填", "This field is required"),
        "no_fee_due" => ("按该方式计算无需收费", "No fee is due by this method"),
        "after_payment_due" => ("缴费日期晚于缴费期限", "The payment date is after the payment period"),
        "abandonment_is_closed_not_replied" => {
            ("视为放弃申请的情形应以终止办理记录，而非答复", "Abandonment is recorded by closing, not by a reply")
        }
        "not_a_closing_outcome" => (
            "终止办理只能使用其他处理类结果",
            "Closing takes one of the 其他处理 outcomes (other_no_correction, other_fee_unpaid, other)",
        ),
        "no_correction_was_made" => (
            "“补正后申请内容仍不明确”须在申请人补正之后使用",
            "still_unclear applies only after the applicant corrected the request",
        ),
        "not_public" => ("所提供的公文须已公开发布", "Provided documents must be published and public"),
        "before_start" => ("结束时间须晚于开始时间", "It must end after it starts"),
        "after_start" => ("报名截止时间不得晚于活动开始时间", "Registration must close no later than the start"),
        "below_registered" => ("名额不得少于已报名人数", "The capacity cannot be below the people already registered"),
        "consultation_not_found" => ("议题所指的征求意见不存在", "The topic's consultation does not exist"),
        "consultation_of_other_organization" => (
            "议题所指的征求意见不属于本机关（县政府及其办公室可引用本县各单位的征求意见）",
            "The topic's consultation belongs to another organization (the county government and its office may cite any of their county's)",
        ),
        "area_exists" => ("该领域名称已在列表中", "An area of this name is already listed"),
        "unknown_area" => ("不是标准领域，也不是本县自定义的领域", "Neither a standard area nor one of the county's own"),
        "before_original" => ("转载日期早于原文发布日期", "The repost is dated before the original went online"),
        "in_future" => ("日期不能晚于今天", "The date cannot be after today"),
        "before_2000" => ("日期早于2000年，可能是输入错误", "The date is before 2000, probably a typing error"),
        _ => ("取值不被接受", "The value is not accepted"),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CorrectionDto {
    pub requested_on: NaiveDate,
    pub items: Vec<String>,
    pub deadline: Option<NaiveDate>,
    /// The day the corrected request arrived; the 20 working days count from it.
    pub corrected_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExtensionDto {
    pub days: i32,
    pub reason: Option<String>,
    pub approved_by: Option<Uuid>,
    pub extended_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeeNoticeDto {
    pub method: flow::FeeMethod,
    /// The applicant's position among their requests to this organization in the month (per_request).
    pub nth_request_this_month: i32,
    pub pages: Option<i32>,
    /// In fen (分): 10000 = 100 元.
    pub amount_fen: i64,
    pub notified_on: NaiveDate,
    pub payment_due_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

impl From<requests::FeeNotice> for FeeNoticeDto {
    fn from(f: requests::FeeNotice) -> Self {
        FeeNoticeDto {
            method: persistence::error::parse_code(&f.method).unwrap_or(flow::FeeMethod::PerRequest),
            nth_request_this_month: f.nth_request_this_month,
            pages: f.pages,
            amount_fen: f.amount_fen,
            notified_on: f.notified_on,
            payment_due_on: f.payment_due_on,
            paid_on: f.paid_on,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestConsultationDto {
    pub id: Uuid,
    pub party: flow::ConsultedParty,
    pub party_name: String,
    pub sent_on: NaiveDate,
    /// 15 working days after sending (arts. 32, 34); the clock pauses at most until then.
    pub window_due_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub opinion: Option<flow::ConsultationOpinion>,
    pub notes: Option<String>,
}

impl From<requests::Consultation> for RequestConsultationDto {
    fn from(c: requests::Consultation) -> Self {
        RequestConsultationDto {
            id: c.id,
            party: persistence::error::parse_code(&c.party).unwrap_or(flow::ConsultedParty::ThirdParty),
            party_name: c.party_name,
            sent_on: c.sent_on,
            window_due_on: c.window_due_on,
            answered_on: c.answered_on,
            opinion: c.opinion.as_deref().and_then(|o| persistence::error::parse_code(o).ok()),
            notes: c.notes,
        }
    }
}

/// A disclosure request as staff see it. Personal data is in clear only for the handling
/// officers (`personal_data_masked: false`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DisclosureRequestDto {
    pub id: Uuid,
    #[schema(example = "YSQ20261126-7KQ2MXAB")]
    pub tracking_code: String,
    pub organization_id: Uuid,
    pub applicant_type: ApplicantType,
    pub applicant_name: String,
    pub identity_document_type: IdentityDocumentType,
    pub identity_number: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Only for the handling officers.
    pub address: Option<String>,
    pub personal_data_masked: bool,
    pub description: String,
    pub document_number: Option<String>,
    pub information_form: InformationForm,
    pub delivery_method: DeliveryMethod,
    pub channel: ReceiptChannel,
    pub arrived_on: NaiveDate,
    pub signed_for_on: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    /// An oral request written down by the office (art. 29 ¶1).
    pub proxy_filled: bool,
    /// The applicant needs help reading, seeing or hearing (art. 43).
    pub needs_assistance: bool,
    /// The received date of art. 31; the answer clock starts the day after.
    pub received_on: NaiveDate,
    pub state: RequestState,
    /// The last day to answer; GET …/deadline explains it day by day.
    pub due_on: NaiveDate,
    pub due_provisional: bool,
    pub correction: Option<CorrectionDto>,
    pub extension: Option<ExtensionDto>,
    pub consultations: Vec<RequestConsultationDto>,
    pub fee_notice: Option<FeeNoticeDto>,
    pub outcome: Option<RequestOutcome>,
    /// The row of table 三 of the annual report this outcome is counted in.
    pub report_row: Option<String>,
    pub reply: Option<ReplyDto>,
    pub closed_on: Option<NaiveDate>,
    pub archived_on: Option<NaiveDate>,
    /// Requests for the same information share a group (art. 44).
    pub group_id: Uuid,
    pub registered_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Reads the parts stored beside the request and builds the caller's view of it.
pub async fn dto(
    conn: &mut PooledConnection,
    state: &AppState,
    request: DisclosureRequest,
    view: RequestView,
) -> ApiResult<DisclosureRequestDto> {
    let mut parts = requests::parts_of(conn, &[request.id]).await?;
    build_dto(state, request, view, &mut parts)
}

/// The caller's view of a request from its stored parts (taken out of `parts`).
fn build_dto(
    state: &AppState,
    request: DisclosureRequest,
    view: RequestView,
    parts: &mut requests::RequestParts,
) -> ApiResult<DisclosureRequestDto> {
    let consultations =
        parts.consultations.remove(&request.id).unwrap_or_default().into_iter().map(Into::into).collect();
    let fee_notice = parts.fee_notices.remove(&request.id).map(Into::into);
    let reply = crate::routes::public_requests::reply_dto(request.outcome, parts.replies.remove(&request.id));
    let full = view == RequestView::Full;
    let (identity_number, phone, email, address) = if full {
        let personal = request.unseal(&state.sealer)?;
        (personal.identity_number, personal.phone, personal.email, personal.address)
    } else {
        (request.identity_number_masked.clone(), request.phone_masked.clone(), request.email_masked.clone(), None)
    };
    let correction = request.correction_requested_on.map(|requested_on| CorrectionDto {
        requested_on,
        items: request.correction_items.clone(),
        deadline: request.correction_deadline,
        corrected_on: request.corrected_on,
    });
    let extension = (request.extension_days > 0).then(|| ExtensionDto {
        days: request.extension_days,
        reason: request.extension_reason.clone(),
        approved_by: request.extension_approved_by,
        extended_on: request.extended_on,
    });
    Ok(DisclosureRequestDto {
        id: request.id,
        tracking_code: request.tracking_code,
        organization_id: request.organization_id,
        applicant_type: request.applicant_type,
        applicant_name: request.applicant_name,
        identity_document_type: request.identity_document_type,
        identity_number,
        phone,
        email,
        address,
        personal_data_masked: !full,
        description: request.description,
        document_number: request.document_number,
        information_form: request.information_form,
        delivery_method: request.delivery_method,
        channel: request.channel,
        arrived_on: request.arrived_on,
        signed_for_on: request.signed_for_on,
        confirmed_on: request.confirmed_on,
        proxy_filled: request.proxy_filled,
        needs_assistance: request.needs_assistance,
        received_on: request.received_on,
        state: request.state,
        due_on: request.due_on,
        due_provisional: request.due_provisional,
        correction,
        extension,
        consultations,
        fee_notice,
        outcome: request.outcome,
        report_row: request.outcome.map(|o| o.report_row().label.to_owned()),
        reply,
        closed_on: request.closed_on,
        archived_on: request.archived_on,
        group_id: request.group_id,
        registered_by: request.registered_by,
        version: request.version,
        created_at: request.created_at,
        updated_at: request.updated_at,
    })
}

/// The caller's county (for the government office's county-wide view).
pub async fn caller_county(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Option<Uuid>> {
    Ok(match principal {
        Principal::User { organization_id: Some(org), .. } => organizations::county_of(conn, *org).await?,
        _ => None,
    })
}

/// Loads a request with the caller's view of it; hidden ones are 404 like unknown ids.
pub async fn visible(
    conn: &mut PooledConnection,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<(DisclosureRequest, RequestView)> {
    let request = requests::get(conn, id).await?;
    let county_id = organizations::county_of(conn, request.organization_id).await?;
    let caller_county = caller_county(conn, principal).await?;
    let parties = RequestParties { organization_id: request.organization_id, county_id };
    match request_access::view(principal, parties, caller_county) {
        RequestView::Hidden => Err(ApiError::not_found()),
        view => Ok((request, view)),
    }
}

/// Off-line receipt (art. 31): how and when the request arrived.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrivalInput {
    /// Any channel but `online` (online requests are filed by the applicants themselves).
    pub channel: ReceiptChannel,
    /// The day it reached the office.
    #[schema(value_type = String, format = Date, example = "2026-03-02")]
    pub arrived_on: NaiveDate,
    /// Registered post: the day the office signed for it.
    #[schema(value_type = Option<String>, format = Date)]
    pub signed_for_on: Option<NaiveDate>,
    /// Ordinary letter, fax, e-mail: the day receipt was confirmed with the applicant.
    #[schema(value_type = Option<String>, format = Date)]
    pub confirmed_on: Option<NaiveDate>,
    /// An oral request the office wrote down because writing was difficult (art. 29 ¶1).
    #[serde(default)]
    pub proxy_filled: bool,
}

/// A request received off-line, registered by the target organization's openness officer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    #[validate(nested)]
    pub request: ApplicantInput,
    #[validate(nested)]
    pub arrival: ArrivalInput,
}

/// Registers a request received in person, by post, ordinary letter, fax or e-mail, with the received date of art. 31; answers the request with its tracking code and the query token to hand to the applicant.
#[utoipa::path(operation_id = "register_disclosure_request", tag = "disclosure-requests", request_body = RegisterInput, responses((status = 201, description = "Registered", body = crate::routes::public_requests::SubmissionReceipt)))]
#[post("/disclosure-requests")]
pub async fn register(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<RegisterInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let today = state.today();
    let org = input.request.organization_id;
    if !request_access::may_act(&auth.principal, org, None) {
        return Err(ApiError::forbidden());
    }
    let facts = ReceiptFacts {
        channel: input.arrival.channel,
        arrived_on: input.arrival.arrived_on,
        signed_for_on: input.arrival.signed_for_on,
        confirmed_on: input.arrival.confirmed_on,
        proxy_filled: input.arrival.proxy_filled,
    };
    let (applicant, asked) = applicant_from(&input.request, today)?;
    let received_on = flow::received_on(&facts, today).map_err(|problems| {
        problems.iter().fold(
            ApiError::field(
                "arrival",
                "invalid",
                "收到日期不符合条例第三十一条",
                "The receipt does not satisfy art. 31",
            ),
            |err, p| {
                let (zh, en) = receipt_message(p.code);
                err.and_field(&format!("arrival.{}", p.field), p.code, zh, en)
            },
        )
    })?;
    let arrival = requests::Arrival {
        channel: facts.channel,
        arrived_on: facts.arrived_on,
        signed_for_on: facts.signed_for_on,
        confirmed_on: facts.confirmed_on,
        proxy_filled: facts.proxy_filled,
        received_on,
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let user = Some(auth.principal.subject());
    let receipt = requests::file(&mut conn, &state.sealer, &auth.actor(), &applicant, &asked, &arrival, user)
        .await
        .map_err(crate::routes::public_requests::organization_problem)?;
    let location = format!("/api/v1/disclosure-requests/{}", receipt.request.id);
    let version = receipt.request.version;
    let body = crate::routes::public_requests::SubmissionReceipt::from(receipt);
    Ok(crate::routes::public_requests::secret_receipt(created_with_etag(&body, version, &location)))
}

fn receipt_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "required" => ("此收件方式须填写该日期", "This channel needs this date"),
        "date_in_future" => ("日期不能晚于今天", "The date cannot be after today"),
        "before_arrival" => ("签收或确认日期早于到达日期", "Signed for or confirmed before it arrived"),
        "too_old" => {
            ("到达日期距今超过一年，不能补登记", "It arrived more than a year ago and cannot be registered now")
        }
        "proxy_filled_in_person_only" => {
            ("只有当面口头提出的申请可由工作机构代为填写", "Only an oral request at the office is filled in by staff")
        }
        "online_requests_are_filed_by_applicants" => {
            ("在线申请由申请人通过公开接口提交", "Online requests are filed by applicants through the public endpoint")
        }
        _ => ("取值不被接受", "The value is not accepted"),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// The target organization.
    pub org: Option<Uuid>,
    pub state: Option<RequestState>,
    /// `soon`: the clock runs and the answer is due within 3 working days; `overdue`: past due.
    #[param(pattern = "^(soon|overdue)$")]
    pub due: Option<String>,
    /// Requests for the same information (art. 44).
    pub group: Option<Uuid>,
    #[param(max_length = 40)]
    pub tracking_code: Option<String>,
}

/// Working days counted as "due soon".
pub const DUE_SOON_WORKING_DAYS: u32 = 3;

/// Lists the requests the caller may see, newest first; `due=soon|overdue` are the officers' work lists.
#[utoipa::path(operation_id = "list_disclosure_requests", tag = "disclosure-requests", params(RequestQuery, PageParams), responses((status = 200, description = "A page of requests", body = Page<DisclosureRequestDto>)))]
#[get("/disclosure-requests")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<RequestQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let (scope, full_orgs) = list_scope(&mut conn, &auth.principal).await?;
    let today = state.today();
    let mut filter = RequestFilter {
        organization_id: query.org,
        state: query.state,
        group_id: query.group,
        tracking_code: query.tracking_code.clone(),
        ..Default::default()
    };
    match query.due.as_deref() {
        None => {}
        Some("soon") => {
            let calendar = persistence::calendar::load(&conn).await?;
            filter.due_between = Some((today, calendar.add_working_days(today, DUE_SOON_WORKING_DAYS)));
        }
        Some("overdue") => filter.overdue_on = Some(today),
        Some(_) => {
            return Err(ApiError::field("due", "invalid", "due 只能是 soon 或 overdue", "due is soon or overdue"))
        }
    }
    let rows = requests::list(&mut conn, &scope, &filter, page.after_id()?, i64::from(limit) + 1).await?;
    let has_more = rows.len() > limit as usize;
    let rows: Vec<DisclosureRequest> = rows.into_iter().take(limit as usize).collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut parts = requests::parts_of(&mut conn, &ids).await?;
    let mut items = Vec::new();
    let mut any_clear = false;
    for request in rows {
        let view = if full_orgs.contains(&request.organization_id) { RequestView::Full } else { RequestView::Masked };
        any_clear |= view == RequestView::Full;
        items.push(build_dto(&state, request, view, &mut parts)?);
    }
    let next_cursor =
        if has_more { items.last().map(|r| crate::http::pagination::encode_id_cursor(r.id)) } else { None };
    Ok(personal(HttpResponse::Ok().json(Page { items, next_cursor }), any_clear))
}

/// What a caller may list, and the organizations whose requests they handle (clear personal data).
async fn list_scope(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<(RequestScope, Vec<Uuid>)> {
    let own = match principal {
        Principal::User { organization_id: Some(org), .. } => Some(*org),
        _ => None,
    };
    let handles = principal.has_role(Role::OpennessOfficer) || principal.has_role(Role::OpennessHead);
    let full: Vec<Uuid> = own.filter(|_| handles).into_iter().collect();
    if principal.has_role(Role::SystemAdmin) || principal.has_scope(domain::Scope::RequestsRead) {
        return Ok((RequestScope::All, full));
    }
    let mut orgs = Vec::new();
    if let Some(org) = own.filter(|_| handles || principal.has_role(Role::Principal)) {
        orgs.push(org);
    }
    if principal.has_role(Role::GovOffice) {
        if let Some(county) = caller_county(conn, principal).await? {
            orgs.extend(organizations::in_county(conn, county).await?);
        }
    }
    if orgs.is_empty() {
        return Err(ApiError::forbidden());
    }
    Ok((RequestScope::Organizations(orgs), full))
}

const ID: &str = "Request id";

/// One request as the caller may see it (404 for what they may not).
#[utoipa::path(operation_id = "get_disclosure_request", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The request", body = DisclosureRequestDto)))]
#[get("/disclosure-requests/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let (request, view) = visible(&mut conn, &auth.principal, *id).await?;
    let version = request.version;
    let body = dto(&mut conn, &state, request, view).await?;
    Ok(personal(ok_with_etag(&body, version), view == RequestView::Full))
}

/// A response carrying personal data in clear: no shared or browser cache keeps it, and an
/// idempotent replay copy is kept only sealed.
pub fn personal(mut response: HttpResponse, clear: bool) -> HttpResponse {
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
    let policy = if clear { "private, no-store" } else { "private, no-cache" };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    if clear {
        response.headers_mut().insert(crate::http::idempotency::SEAL_FOR_REPLAY, HeaderValue::from_static("1"));
    }
    response
}

/// A history entry: the act, the state change and any move of the due date with its reason.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestEventDto {
    pub id: i64,
    pub action: String,
    pub state_from: Option<String>,
    pub state_to: String,
    pub due_from: Option<NaiveDate>,
    pub due_to: NaiveDate,
    /// What the act recorded; `reason` says why the due date is what it is.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub actor_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The request's history, oldest first.
#[utoipa::path(operation_id = "disclosure_request_history", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The history", body = Vec<RequestEventDto>)))]
#[get("/disclosure-requests/{id}/history")]
pub async fn history(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth.principal, *id).await?;
    let events: Vec<RequestEventDto> = requests::history(&mut conn, *id)
        .await?
        .into_iter()
        .map(|e| RequestEventDto {
            id: e.id,
            action: e.action,
            state_from: e.state_from,
            state_to: e.state_to,
            due_from: e.due_from,
            due_to: e.due_to,
            details: e.details,
            actor_id: e.actor_id,
            created_at: e.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(events))
}

/// The answer due date explained day by day: the start, skipped weekends, holidays and paused days, make-up working days counted.
#[utoipa::path(operation_id = "disclosure_request_deadline", tag = "disclosure-requests", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The explanation", body = domain::calendar::DeadlineExplanation)))]
#[get("/disclosure-requests/{id}/deadline")]
pub async fn deadline(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let (request, _) = visible(&mut conn, &auth.principal, *id).await?;
    let explanation = persistence::request_acts::explain_due(&mut conn, &request).await?;
    Ok(HttpResponse::Ok().json(explanation))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestGroupDto {
    pub group_id: Uuid,
    pub organization_id: Uuid,
    pub requests: i64,
    /// Distinct applicants (by identity document), the measure of art. 44.
    pub applicants: i64,
    pub first_received_on: NaiveDate,
    pub last_received_on: NaiveDate,
    pub sample_description: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    pub org: Option<Uuid>,
    /// At least this many distinct applicants (default 2).
    #[param(minimum = 1, maximum = 1000)]
    pub min_applicants: Option<i64>,
}

/// Information asked for by several applicants (art. 44): candidates for proactive disclosure, most applicants first.
#[utoipa::path(operation_id = "list_disclosure_request_groups", tag = "disclosure-requests", params(GroupQuery), responses((status = 200, description = "Groups", body = Vec<RequestGroupDto>)))]
#[get("/disclosure-request-groups")]
pub async fn groups(state: web::Data<AppState>, auth: Auth, query: web::Query<GroupQuery>) -> ApiResult<HttpResponse> {
    let min = query.min_applicants.unwrap_or(2);
    if !(1..=1000).contains(&min) {
        return Err(ApiError::field("min_applicants", "range", "须在 1 到 1000 之间", "Between 1 and 1000"));
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let (scope, _) = list_scope(&mut conn, &auth.principal).await?;
    let mut orgs = match scope {
        RequestScope::All => None,
        RequestScope::Organizations(orgs) => Some(orgs),
    };
    if let Some(org) = query.org {
        orgs = Some(match orgs {
            Some(allowed) => allowed.into_iter().filter(|o| *o == org).collect(),
            None => vec![org],
        });
    }
    let groups = requests::groups(&mut conn, orgs.as_deref(), min, 200).await?;
    let body: Vec<RequestGroupDto> = groups
        .into_iter()
        .map(|g| RequestGroupDto {
            group_id: g.group_id,
            organization_id: g.organization_id,
            requests: g.requests,
            applicants: g.applicants,
            first_received_on: g.first_received_on,
            last_received_on: g.last_received_on,
            sample_description: g.sample_description,
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// The county's settings for requests (DOMAIN.md §7).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestSettingsDto {
    /// Working days to pay a fee after the notice (default 20, a provincial rule).
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60)]
    pub fee_payment_working_days: i32,
    /// Whether the answer clock stops while a fee is unpaid (default true).
    pub pause_while_fee_unpaid: bool,
    /// Online submissions per client address per hour.
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub submissions_per_address_per_hour: i32,
    /// Online submissions per applicant (identity document) per day.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub submissions_per_applicant_per_day: i32,
}

impl From<requests::RequestSettings> for RequestSettingsDto {
    fn from(s: requests::RequestSettings) -> Self {
        RequestSettingsDto {
            fee_payment_working_days: s.fee_payment_working_days,
            pause_while_fee_unpaid: s.pause_while_fee_unpaid,
            submissions_per_address_per_hour: s.submissions_per_address_per_hour,
            submissions_per_applicant_per_day: s.submissions_per_applicant_per_day,
        }
    }
}

/// The request settings; readable by the staff who handle or oversee requests.
#[utoipa::path(operation_id = "get_disclosure_request_settings", tag = "disclosure-requests", responses((status = 200, description = "Settings", body = RequestSettingsDto)))]
#[get("/disclosure-request-settings")]
pub async fn get_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let readers = [Role::OpennessOfficer, Role::OpennessHead, Role::Principal, Role::GovOffice, Role::SystemAdmin];
    if !readers.iter().any(|r| auth.principal.has_role(*r)) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    Ok(HttpResponse::Ok().json(RequestSettingsDto::from(requests::settings(&mut conn).await?)))
}

/// Replaces the request settings (system_admin); open clocks move with the fee-pause rule, each move in its request's history.
#[utoipa::path(operation_id = "put_disclosure_request_settings", tag = "disclosure-requests", request_body = RequestSettingsDto, responses((status = 200, description = "Settings", body = RequestSettingsDto)))]
#[put("/disclosure-request-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    _req: HttpRequest,
    body: ValidJson<RequestSettingsDto>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let s = body.0;
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = requests::put_settings(
        &mut conn,
        &auth.actor(),
        s.fee_payment_working_days,
        s.pause_while_fee_unpaid,
        s.submissions_per_address_per_hour,
        s.submissions_per_applicant_per_day,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RequestSettingsDto::from(saved)))
}
