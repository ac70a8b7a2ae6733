//! The lifecycle acts on a document: `POST /api/v1/documents/{id}/{action}`, each answering the
//! document as it now stands, plus the history and return records.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::document_access::DocumentAction;
use domain::documents::Validity;
use persistence::documents::{self, Repeal, ReturnRecord, ReviewKind, Verdict};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::routes::documents::{may_act, party_document, shanghai_today, visible, CallerContext, DocumentDto};
use crate::routes::not_blank;
use crate::state::AppState;

/// The codes a government office may cite when returning a document.
const RETURN_CODES: &[&str] = &[
    "disclosure_missing",
    "disclosure_reason_missing",
    "openness_review_missing",
    "interpretation_missing",
    "gov_office_return",
];

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnMessage {
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

/// A return (退文) record: automatic after failed rules, or by the government office.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReturnDto {
    pub id: Uuid,
    pub automatic: bool,
    pub codes: Vec<String>,
    pub messages: Vec<ReturnMessage>,
    pub reasons: Option<String>,
    pub returned_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

fn message_for(code: &str, automatic: bool) -> ReturnMessage {
    use domain::documents as d;
    let mut known = vec![
        d::DISCLOSURE_MISSING,
        d::DISCLOSURE_REASON_MISSING,
        d::OPENNESS_REVIEW_MISSING,
        d::INTERPRETATION_MISSING,
    ];
    if automatic {
        // D5 failed at submission: the proposal with its reason is missing.
        known.push(d::GOV_LEVEL_PROPOSAL_MISSING);
    }
    match known.iter().find(|f| f.code == code) {
        Some(f) => {
            ReturnMessage { code: code.into(), message_zh: f.message_zh.into(), message_en: f.message_en.into() }
        }
        None => ReturnMessage {
            code: code.into(),
            message_zh: "本级政府办公室退文，见退文理由".into(),
            message_en: "Returned by the government office; see the reasons".into(),
        },
    }
}

impl From<ReturnRecord> for ReturnDto {
    fn from(r: ReturnRecord) -> Self {
        ReturnDto {
            id: r.id,
            automatic: r.automatic,
            messages: r.codes.iter().map(|c| message_for(c, r.automatic)).collect(),
            codes: r.codes,
            reasons: r.reasons,
            returned_by: r.returned_by,
            created_at: r.created_at,
        }
    }
}

/// The answer of `submit`: 退文 is an outcome, not an error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmitResponse {
    /// `submitted` or `returned`.
    pub outcome: String,
    #[serde(rename = "return")]
    pub return_record: Option<ReturnDto>,
    pub document: DocumentDto,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub passed: bool,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000, example = "公开属性及理由适当")]
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// Any of disclosure_missing, disclosure_reason_missing, openness_review_missing, interpretation_missing, gov_office_return.
    #[validate(length(max = 5))]
    #[schema(max_items = 5)]
    #[serde(default)]
    pub codes: Vec<String>,
    /// Required: what the drafter must fix.
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "请补充不予公开的法律依据")]
    pub reasons: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepealInput {
    /// `repealed` (废止) or `expired` (失效).
    pub validity: Validity,
    #[schema(value_type = String, format = Date, example = "2026-12-31")]
    pub on: NaiveDate,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "已被元政发〔2026〕3号文件替代")]
    pub reason: String,
}

/// A connection and the caller; whether the caller may see the document and perform the act is
/// decided by the act itself, on the row it locks ([`may_act`]).
async fn caller(state: &AppState, auth: &Auth) -> ApiResult<(persistence::PooledConnection, CallerContext)> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, auth).await?;
    Ok((conn, ctx))
}

fn answer(document: persistence::documents::Document) -> HttpResponse {
    let version = document.version;
    ok_with_etag(&DocumentDto::from(document), version)
}

const ID: &str = "Document id";

/// Submit for approval (报批). Rules D1–D5 run; any failure returns the document (退文) with every failed rule — answered 200 with `outcome: returned`.
#[utoipa::path(operation_id = "submit_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "Submitted or returned", body = SubmitResponse)))]
#[post("/documents/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Submit);
    let outcome = documents::submit(&mut conn, &auth.actor(), *id, expected, &guard).await?;
    let version = outcome.document.version;
    let body = SubmitResponse {
        outcome: if outcome.returned.is_some() { "returned".into() } else { "submitted".into() },
        return_record: outcome.returned.map(|(record, _)| record.into()),
        document: outcome.document.into(),
    };
    Ok(ok_with_etag(&body, version))
}

/// Openness review (公开属性审查) of the current revision by the lead drafting organization's openness_officer.
#[utoipa::path(operation_id = "openness_review_document", tag = "documents", params(("id" = Uuid, Path, description = ID)), request_body = ReviewInput, responses((status = 200, description = "The document", body = DocumentDto)))]
#[post("/documents/{id}/openness-review")]
pub async fn openness_review(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    review(&state, &auth, *id, ReviewKind::Openness, body.0).await
}

/// Confidentiality review (保密审查) before publication (P1), by the issuing organization's openness_officer (or the government office for government-level documents).
#[utoipa::path(operation_id = "secrecy_review_document", tag = "documents", params(("id" = Uuid, Path, description = ID)), request_body = ReviewInput, responses((status = 200, description = "The document", body = DocumentDto)))]
#[post("/documents/{id}/secrecy-review")]
pub async fn secrecy_review(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    review(&state, &auth, *id, ReviewKind::Secrecy, body.0).await
}

/// Records a review by the caller's organization, for the act its kind stands for.
async fn review(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    kind: ReviewKind,
    input: ReviewInput,
) -> ApiResult<HttpResponse> {
    let action = match kind {
        ReviewKind::Openness => DocumentAction::OpennessReview,
        ReviewKind::Secrecy => DocumentAction::SecrecyReview,
    };
    let (mut conn, ctx) = caller(state, auth).await?;
    let (org, guard) = (ctx.organization_id(), may_act(&ctx, action));
    let verdict = Verdict { kind, passed: input.passed, comment: input.comment.as_deref() };
    let document = documents::review(&mut conn, &auth.actor(), id, verdict, org, &guard).await?;
    Ok(answer(document))
}

/// An involved organization's openness_officer confirms the content (P2).
#[utoipa::path(operation_id = "confirm_document", tag = "documents", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The document", body = DocumentDto)))]
#[post("/documents/{id}/confirm")]
pub async fn confirm(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Confirm);
    Ok(answer(documents::confirm(&mut conn, &auth.actor(), *id, ctx.organization_id(), &guard).await?))
}

/// 退文 by the government office of the county, for a submitted government-level document; reasons required.
#[utoipa::path(operation_id = "return_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = ReturnInput, responses((status = 200, description = "The returned document", body = DocumentDto)))]
#[post("/documents/{id}/return")]
pub async fn return_document(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ReturnInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    if let Some(unknown) = body.0.codes.iter().find(|c| !RETURN_CODES.contains(&c.as_str())) {
        return Err(ApiError::field(
            "codes",
            "unknown_code",
            format!("未知的退文代码 {unknown}"),
            format!("Unknown return code {unknown}"),
        ));
    }
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Return);
    let mut codes = body.0.codes.clone();
    if codes.is_empty() {
        codes.push("gov_office_return".into());
    }
    let (document, _) = documents::return_document(
        &mut conn,
        &auth.actor(),
        *id,
        expected,
        &guard,
        &codes,
        Some(body.0.reasons.trim()),
    )
    .await?;
    Ok(answer(document))
}

/// 审签 by the issuing organization's principal; approves the signed initial interpretation in the same act (S2).
#[utoipa::path(operation_id = "approve_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The approved document", body = DocumentDto)))]
#[post("/documents/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Approve);
    Ok(answer(documents::approve(&mut conn, &auth.actor(), *id, expected, &guard, shanghai_today(Utc::now())).await?))
}

/// 印发并公开: rules P1–P2; publishes the initial interpretation in the same transaction with the same `published_at` (S3).
#[utoipa::path(operation_id = "publish_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The published document", body = DocumentDto)))]
#[post("/documents/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Publish);
    let now = Utc::now();
    Ok(answer(documents::publish(&mut conn, &auth.actor(), *id, expected, &guard, now, shanghai_today(now)).await?))
}

/// 印发不公开: issue an approved on-request or not-public document without publishing it.
#[utoipa::path(operation_id = "file_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The filed document", body = DocumentDto)))]
#[post("/documents/{id}/file")]
pub async fn file(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::File);
    Ok(answer(documents::file(&mut conn, &auth.actor(), *id, expected, &guard).await?))
}

/// 废止 / 失效 with date and reason; the document stays readable and shows its validity.
#[utoipa::path(operation_id = "repeal_document", tag = "documents", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = RepealInput, responses((status = 200, description = "The document", body = DocumentDto)))]
#[post("/documents/{id}/repeal")]
pub async fn repeal(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RepealInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    if body.0.validity == Validity::Valid {
        return Err(ApiError::field("validity", "invalid", "须为 repealed 或 expired", "Must be repealed or expired"));
    }
    let (mut conn, ctx) = caller(&state, &auth).await?;
    let guard = may_act(&ctx, DocumentAction::Repeal);
    let repeal = Repeal { validity: body.0.validity, on: body.0.on, reason: body.0.reason.trim() };
    Ok(answer(documents::repeal(&mut conn, &auth.actor(), *id, expected, &guard, repeal).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    pub occurred_at: DateTime<Utc>,
    /// e.g. `document.submit`, `document.return`, `interpretation.sign`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub changed_fields: Vec<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentHistory {
    /// Every transition of the document and its interpretations, oldest first.
    pub items: Vec<HistoryEntry>,
    /// Every return (退文) with its codes, messages and reasons.
    pub returns: Vec<ReturnDto>,
}

/// Every transition and return, with actor, time and reasons, read from the audit log.
#[utoipa::path(operation_id = "document_history", tag = "documents", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The history", body = DocumentHistory)))]
#[get("/documents/{id}/history")]
pub async fn history(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    // The history (reasons, reviewers, request ids) is for the document's own organizations,
    // even once the document itself is public.
    party_document(&mut conn, &ctx, *id).await?;
    let mut rows = persistence::audit::for_entity(&mut conn, "document", *id).await?;
    for interpretation in persistence::interpretations::list_for_document(&mut conn, *id).await? {
        rows.extend(persistence::audit::for_entity(&mut conn, "interpretation", interpretation.id).await?);
    }
    rows.sort_by_key(|r| r.id);
    let items = rows
        .into_iter()
        .map(|r| HistoryEntry {
            occurred_at: r.occurred_at,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            request_id: r.request_id,
            changed_fields: r.changed_fields,
            details: r.details,
        })
        .collect();
    let returns = documents::returns(&mut conn, *id).await?.into_iter().map(ReturnDto::from).collect();
    Ok(HttpResponse::Ok().json(DocumentHistory { items, returns }))
}

/// How the publication due date was computed: formed_on (or the conversion day) + 20 working days, every skipped day named.
#[utoipa::path(operation_id = "document_publish_deadline", tag = "documents", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The explanation; `null` for documents without a publication clock", body = Option<domain::calendar::DeadlineExplanation>)))]
#[get("/documents/{id}/publish-deadline")]
pub async fn publish_deadline(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let document = visible(&mut conn, &ctx, *id).await?;
    let explanation =
        match (document.publish_clock_from.or(document.formed_on), document.disclosure.filter(|d| d.is_public())) {
            (Some(formed_on), Some(_)) => {
                let calendar = persistence::calendar::load(&conn).await?;
                Some(calendar.explain(formed_on, domain::documents::PUBLISH_WITHIN_WORKING_DAYS, &[]))
            }
            _ => None,
        };
    Ok(HttpResponse::Ok().json(explanation))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewDto {
    /// `openness` (公开属性审查) or `secrecy` (保密审查).
    pub kind: String,
    pub passed: bool,
    pub comment: Option<String>,
    /// The document revision reviewed; a later edit needs a new openness review.
    pub revision: i32,
    pub reviewer_id: Uuid,
    pub organization_id: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConfirmationDto {
    pub organization_id: Uuid,
    pub confirmed_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewRecord {
    pub reviews: Vec<ReviewDto>,
    /// Involved organizations that have confirmed the content (P2).
    pub confirmations: Vec<ConfirmationDto>,
}

/// The openness and secrecy reviews with their comments, and the confirmations (the document's organizations only).
#[utoipa::path(operation_id = "document_reviews", tag = "documents", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Reviews and confirmations", body = ReviewRecord)))]
#[get("/documents/{id}/reviews")]
pub async fn reviews(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    party_document(&mut conn, &ctx, *id).await?;
    let reviews = documents::reviews(&mut conn, *id)
        .await?
        .into_iter()
        .map(|r| ReviewDto {
            kind: r.kind,
            passed: r.passed,
            comment: r.comment,
            revision: r.revision,
            reviewer_id: r.reviewer_id,
            organization_id: r.organization_id,
            created_at: r.created_at,
        })
        .collect();
    let confirmations = documents::confirmations(&conn, *id)
        .await?
        .into_iter()
        .map(|(organization_id, confirmed_by, created_at)| ConfirmationDto {
            organization_id,
            confirmed_by,
            created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ReviewRecord { reviews, confirmations }))
}
