//! The applicant's side of 依申请公开, anonymous: `POST /api/v1/public/disclosure-requests` files a
//! request online (the acknowledgment is the art. 31 confirmation, so the submission date is the
//! received date) and answers a tracking code with a secret query token; `GET …/{tracking_code}`
//! with the token in `X-Query-Token` shows the state, the due date and the reply. A wrong token is
//! answered exactly like an unknown code (404). Personal data never comes back unmasked here.

use actix_web::http::header::HeaderName;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use domain::identity::{self, IdentityDocumentType};
use domain::request_outcomes::RequestOutcome;
use domain::request_workflow::{DeliveryMethod, FeeMethod, InformationForm, RequestState};
use domain::requests::{ApplicantType, ReceiptChannel};
use persistence::attachments::{self, Owner};
use persistence::requests::{self, Applicant, Arrival, Asked, DisclosureRequest, Receipt};
use persistence::{PooledConnection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::error::{ApiError, ApiResult};
use crate::http::conditional::created_with_etag;
use crate::http::extract::ValidJson;
use crate::http::throttle;
use crate::routes::not_blank;
use crate::routes::public::PublicAttachment;
use crate::state::AppState;

/// The per-applicant submission window: one day.
const APPLICANT_WINDOW_SECS: i64 = 24 * 3600;

pub const QUERY_TOKEN: HeaderName = HeaderName::from_static("x-query-token");

/// A disclosure request as the applicant writes it (art. 29 ¶2). `Debug` is redacted.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    /// The organization asked (its openness office handles the request).
    pub organization_id: Uuid,
    pub applicant_type: ApplicantType,
    /// The applicant's name, or the organization's.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "张三")]
    pub name: String,
    /// A resident identity card or another personal document for natural persons; the unified social credit code for organizations.
    pub identity_document_type: IdentityDocumentType,
    /// Checked: resident identity numbers and unified social credit codes carry a check character.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "11010519491231002X")]
    pub identity_number: String,
    /// At least one of phone, email and address is required.
    #[validate(length(max = 30))]
    #[schema(max_length = 30, example = "13812345678")]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Postal address (required for delivery by post).
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub address: Option<String>,
    /// The information asked for: its name, document number or other features.
    #[validate(length(min = 5, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 5, max_length = 5000, example = "2026年元谋县城乡居民最低生活保障资金发放情况")]
    pub description: String,
    /// 文号 of the document asked for, if known.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "元政办发〔2026〕12号")]
    pub document_number: Option<String>,
    pub information_form: InformationForm,
    pub delivery_method: DeliveryMethod,
    /// The applicant has reading, sight or hearing difficulties and needs help (art. 43).
    #[serde(default)]
    pub needs_assistance: bool,
}

impl std::fmt::Debug for ApplicantInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicantInput").field("organization_id", &self.organization_id).finish_non_exhaustive()
    }
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Checks what the validator attributes cannot (check characters, contact rules) and reports
/// every problem at once.
pub fn applicant_from(input: &ApplicantInput, today: NaiveDate) -> ApiResult<(Applicant, Asked)> {
    let mut err: Option<ApiError> = None;
    let mut problem = |field: &str, code: &str, zh: &str, en: &str| {
        err = Some(match err.take() {
            Some(e) => e.and_field(field, code, zh, en),
            None => ApiError::field(field, code, zh, en),
        });
    };
    let number = identity::normalize(&input.identity_number);
    if let Err(p) = identity::check(input.identity_document_type, &number, input.applicant_type, today) {
        let (zh, en) = match p {
            identity::IdentityProblem::CheckDigit => ("证件号码校验位不正确", "The number's check character is wrong"),
            identity::IdentityProblem::Malformed => ("证件号码格式不正确", "The number is malformed"),
            identity::IdentityProblem::BirthDate => {
                ("身份证号码中的出生日期无效", "The birth date in the number is not valid")
            }
            identity::IdentityProblem::WrongKindForApplicant => (
                "证件类型与申请人类型不符（法人或其他组织使用统一社会信用代码）",
                "The document does not fit the applicant type (organizations use the unified social credit code)",
            ),
        };
        problem("identity_number", p.code(), zh, en);
    }
    let phone = trimmed(&input.phone);
    let email = trimmed(&input.email);
    let address = trimmed(&input.address);
    if phone.as_deref().is_some_and(|p| !identity::is_plausible_phone(p)) {
        problem("phone", "format", "电话号码格式不正确", "The phone number is malformed");
    }
    if phone.is_none() && email.is_none() && address.is_none() {
        problem(
            "contact",
            "required",
            "请至少提供电话、电子邮箱或通信地址之一",
            "Give at least a phone, an e-mail or an address",
        );
    }
    if input.delivery_method == DeliveryMethod::Email && email.is_none() {
        problem("email", "required", "选择电子邮件送达时须填写电子邮箱", "Delivery by e-mail needs an e-mail address");
    }
    if input.delivery_method == DeliveryMethod::Post && address.is_none() {
        problem("address", "required", "选择邮寄送达时须填写通信地址", "Delivery by post needs an address");
    }
    if let Some(err) = err {
        return Err(err);
    }
    let applicant = Applicant {
        applicant_type: input.applicant_type,
        name: input.name.trim().to_owned(),
        identity_document_type: input.identity_document_type,
        identity_number: number,
        phone,
        email,
        address,
    };
    let asked = Asked {
        organization_id: input.organization_id,
        description: input.description.trim().to_owned(),
        document_number: trimmed(&input.document_number),
        information_form: input.information_form,
        delivery_method: input.delivery_method,
        needs_assistance: input.needs_assistance,
    };
    Ok((applicant, asked))
}

/// An unknown target organization is the applicant's input error, not a conflict.
pub fn organization_problem(err: StoreError) -> ApiError {
    match err {
        StoreError::Refused("organization_not_found") => ApiError::field(
            "organization_id",
            "not_found",
            "所申请的机关不存在",
            "The organization asked does not exist",
        ),
        StoreError::Refused("organization_takes_no_requests") => ApiError::field(
            "organization_id",
            "takes_no_requests",
            "该机关不受理本县的政府信息公开申请（上级机关或公共企事业单位）",
            "This organization takes no disclosure requests here (a higher-level authority or a public institution)",
        ),
        other => other.into(),
    }
}

/// The acknowledgment of a filed request. Keep the query token: it is shown only here and is
/// needed, with the tracking code, to follow the request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmissionReceipt {
    pub id: Uuid,
    #[schema(example = "YSQ20261126-7KQ2MXAB")]
    pub tracking_code: String,
    /// Send it in the `X-Query-Token` header to read the request; never put it in a URL.
    pub query_token: String,
    pub organization_id: Uuid,
    pub state: RequestState,
    /// The received date (art. 31): for online requests, the submission date in Asia/Shanghai.
    pub received_on: NaiveDate,
    /// 20 working days after the received date, not counting it (art. 33).
    pub due_on: NaiveDate,
    pub due_provisional: bool,
    /// Where the status can be read (with the token header).
    pub status_url: String,
}

impl From<Receipt> for SubmissionReceipt {
    fn from(r: Receipt) -> Self {
        SubmissionReceipt {
            id: r.request.id,
            status_url: format!("/api/v1/public/disclosure-requests/{}", r.request.tracking_code),
            tracking_code: r.request.tracking_code,
            query_token: r.query_token,
            organization_id: r.request.organization_id,
            state: r.request.state,
            received_on: r.request.received_on,
            due_on: r.request.due_on,
            due_provisional: r.request.due_provisional,
        }
    }
}

/// Files a disclosure request online, anonymously. Limited per client address and per applicant (429 with Retry-After); `Idempotency-Key` makes a retry safe.
#[utoipa::path(operation_id = "submit_disclosure_request", tag = "public", security(()), request_body = ApplicantInput, responses((status = 201, description = "Filed", body = SubmissionReceipt), (status = 429, description = "Too many submissions from this address (per hour) or by this applicant (per day); `Retry-After` says when to retry", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/disclosure-requests")]
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<ApplicantInput>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let today = state.today();
    let mut conn = persistence::connection(&state.pool).await?;
    let settings = requests::settings(&mut conn).await?;
    let address = throttle::client_address(&req);
    let address_bucket = format!("request-submit:address:{address}");
    throttle::claim(&mut conn, &address_bucket, settings.submissions_per_address_per_hour, 3600, now).await?;
    let (applicant, asked) = applicant_from(&body.0, today)?;
    // The applicant's slot is claimed before the request is stored, so simultaneous submissions
    // cannot all pass the check; a submission that is not stored gives its slot back.
    let key = state.sealer.index(requests::APPLICANT_INDEX, &applicant.identity_number);
    let applicant_bucket = format!("request-submit:applicant:{key}");
    let per_day = settings.submissions_per_applicant_per_day;
    throttle::claim(&mut conn, &applicant_bucket, per_day, APPLICANT_WINDOW_SECS, now).await?;
    let arrival = Arrival {
        channel: ReceiptChannel::Online,
        arrived_on: today,
        signed_for_on: None,
        confirmed_on: Some(today),
        proxy_filled: false,
        received_on: today,
    };
    let actor = persistence::Actor {
        kind: persistence::ActorKind::Anonymous,
        id: None,
        request_id: crate::auth::principal::request_id(&req),
    };
    let receipt = match requests::file(&mut conn, &state.sealer, &actor, &applicant, &asked, &arrival, None).await {
        Ok(receipt) => receipt,
        Err(err) => {
            let _ = throttle::give_back(&mut conn, &applicant_bucket, APPLICANT_WINDOW_SECS, now).await;
            return Err(organization_problem(err));
        }
    };
    let location = format!("/api/v1/public/disclosure-requests/{}", receipt.request.tracking_code);
    let version = receipt.request.version;
    Ok(secret_receipt(created_with_etag(&SubmissionReceipt::from(receipt), version, &location)))
}

/// A receipt holds the query token: no cache may keep it, and an idempotent replay keeps it only
/// sealed, so that an applicant whose connection dropped can still get their token by retrying.
pub fn secret_receipt(mut response: HttpResponse) -> HttpResponse {
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(crate::http::idempotency::SEAL_FOR_REPLAY, HeaderValue::from_static("1"));
    response
}

/// The reply (arts. 36–39).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReplyDto {
    pub outcome: RequestOutcome,
    pub reply_text: String,
    /// The statutory substance of the reply for this outcome.
    pub statutory_reply: String,
    pub legal_basis: Option<String>,
    /// Where the information is not this agency's (art. 36(五)): the agency responsible.
    pub responsible_agency_name: Option<String>,
    pub responsible_agency_contact: Option<String>,
    /// Published documents given with the reply.
    pub provided_document_ids: Vec<Uuid>,
    pub replied_on: NaiveDate,
}

pub async fn reply_of(conn: &mut PooledConnection, request: &DisclosureRequest) -> ApiResult<Option<ReplyDto>> {
    Ok(reply_dto(request.outcome, requests::reply(conn, request.id).await?))
}

pub fn reply_dto(outcome: Option<RequestOutcome>, reply: Option<requests::Reply>) -> Option<ReplyDto> {
    let (Some(outcome), Some(reply)) = (outcome, reply) else {
        return None;
    };
    Some(ReplyDto {
        outcome,
        reply_text: reply.reply_text,
        statutory_reply: outcome.statutory_reply_zh().to_owned(),
        legal_basis: reply.legal_basis,
        responsible_agency_name: reply.responsible_agency_name,
        responsible_agency_contact: reply.responsible_agency_contact,
        provided_document_ids: reply.provided_document_ids,
        replied_on: reply.replied_on,
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicantCorrection {
    pub items: Vec<String>,
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicantFee {
    pub method: FeeMethod,
    /// In fen (分).
    pub amount_fen: i64,
    pub payment_due_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

/// What the applicant sees of their request: no internal notes, personal data masked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApplicantStatus {
    pub tracking_code: String,
    pub organization_id: Uuid,
    pub applicant_name: String,
    /// Masked, e.g. 110105**********2X.
    pub identity_number_masked: String,
    pub description: String,
    pub state: RequestState,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub due_provisional: bool,
    /// What to correct and by when, while a correction is requested.
    pub correction: Option<ApplicantCorrection>,
    pub extension_days: i32,
    pub extension_reason: Option<String>,
    pub fee_notice: Option<ApplicantFee>,
    pub reply: Option<ReplyDto>,
    pub outcome: Option<RequestOutcome>,
    pub closed_on: Option<NaiveDate>,
    /// The files given with the reply, once replied: download each at
    /// `/api/v1/public/disclosure-requests/{tracking_code}/attachments/{id}/content` with the same
    /// `X-Query-Token`.
    pub reply_attachments: Vec<PublicAttachment>,
}

/// The request of `tracking_code` when the `X-Query-Token` header holds its token; 404 otherwise,
/// for a wrong token exactly as for an unknown code.
async fn applicant_request(
    conn: &mut PooledConnection,
    req: &HttpRequest,
    tracking_code: &str,
) -> ApiResult<DisclosureRequest> {
    let token = req.headers().get(QUERY_TOKEN).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    if token.is_empty() || token.len() > 200 || tracking_code.len() > 40 {
        return Err(ApiError::not_found());
    }
    Ok(requests::find_for_applicant(conn, tracking_code, token).await?)
}

/// The status of a request, for its applicant: send the query token in the `X-Query-Token` header. Unknown codes and wrong tokens are both 404.
#[utoipa::path(operation_id = "get_disclosure_request_status", tag = "public", security(()), params(("tracking_code" = String, Path, description = "The tracking code"), ("X-Query-Token" = String, Header, description = "The query token of the receipt")), responses((status = 200, description = "The status", body = ApplicantStatus)))]
#[get("/disclosure-requests/{tracking_code}")]
pub async fn status(
    state: web::Data<AppState>,
    req: HttpRequest,
    tracking_code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let request = applicant_request(&mut conn, &req, &tracking_code).await?;
    let reply = reply_of(&mut conn, &request).await?;
    let reply_attachments = match reply {
        Some(_) => attachments::list_for(&mut conn, Owner::RequestReply(request.id)).await?,
        None => Vec::new(),
    };
    let fee_notice = requests::fee_notice(&mut conn, request.id).await?.map(|f| ApplicantFee {
        method: persistence::error::parse_code(&f.method).unwrap_or(FeeMethod::PerRequest),
        amount_fen: f.amount_fen,
        payment_due_on: f.payment_due_on,
        paid_on: f.paid_on,
    });
    let correction = (request.state == RequestState::CorrectionRequested).then(|| ApplicantCorrection {
        items: request.correction_items.clone(),
        deadline: request.correction_deadline,
    });
    let body = ApplicantStatus {
        tracking_code: request.tracking_code,
        organization_id: request.organization_id,
        applicant_name: request.applicant_name,
        identity_number_masked: request.identity_number_masked,
        description: request.description,
        state: request.state,
        received_on: request.received_on,
        due_on: request.due_on,
        due_provisional: request.due_provisional,
        correction,
        extension_days: request.extension_days,
        extension_reason: request.extension_reason,
        fee_notice,
        reply,
        outcome: request.outcome,
        closed_on: request.closed_on,
        reply_attachments: reply_attachments.into_iter().map(PublicAttachment::from).collect(),
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body))
}

/// A file given with the reply, for the applicant: send the query token in `X-Query-Token` (supports `Range` and `If-None-Match`). Before the reply, for a wrong token, an unknown code or another request's file: 404.
#[utoipa::path(operation_id = "download_disclosure_request_reply_attachment", tag = "public", security(()), params(("tracking_code" = String, Path, description = "The tracking code"), ("id" = Uuid, Path, description = "Attachment id"), ("X-Query-Token" = String, Header, description = "The query token of the receipt"), ("Range" = Option<String>, Header, description = "e.g. bytes=0-1023")), responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 206, description = "Part of the file"), (status = 304, description = "Not modified"), (status = 416, description = "Range not satisfiable", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/disclosure-requests/{tracking_code}/attachments/{id}/content")]
pub async fn reply_attachment(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (tracking_code, id) = path.into_inner();
    let mut conn = persistence::connection(&state.pool).await?;
    let request = applicant_request(&mut conn, &req, &tracking_code).await?;
    let attachment = attachments::get(&mut conn, id).await?;
    if attachment.owner() != Some(Owner::RequestReply(request.id))
        || requests::reply(&mut conn, request.id).await?.is_none()
    {
        return Err(ApiError::not_found());
    }
    let mut response = crate::routes::attachments::download(&state, &req, attachment).await?;
    let no_store = actix_web::http::header::HeaderValue::from_static("no-store");
    response.headers_mut().insert(actix_web::http::header::CACHE_CONTROL, no_store);
    Ok(response)
}
