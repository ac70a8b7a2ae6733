//! The yearly self-inspection (自查, seed §1.4, `/api/v1/self-inspections`): the openness officer
//! opens it for a year, decides on each listed document and frequently requested subject (keep, with
//! the reason, or convert to proactive — the document's attribute changes through its audited act
//! and its 20-working-day publication clock starts), and submits the report to the government
//! office, which reads every organization's of its county.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Utc};
use domain::documents::Disclosure;
use domain::self_inspections::{self as rules, SelfInspectionDecision, SelfInspectionItemKind, SelfInspectionStatus};
use persistence::self_inspections::{self as store, SelfInspection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SelfInspectionItemDto {
    pub id: Uuid,
    pub kind: SelfInspectionItemKind,
    pub document_id: Option<Uuid>,
    /// The document's attribute when the self-inspection listed it.
    pub disclosure_before: Option<Disclosure>,
    /// The document's title (and number), or the requested information's description.
    pub subject: String,
    /// Requests for this information in the year (requested information only).
    pub request_count: i32,
    pub decision: Option<SelfInspectionDecision>,
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SelfInspectionDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub status: SelfInspectionStatus,
    pub summary: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub undecided: usize,
    pub converted: usize,
    pub items: Vec<SelfInspectionItemDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn dto(conn: &mut persistence::PooledConnection, inspection: SelfInspection) -> ApiResult<SelfInspectionDto> {
    let mut items = Vec::new();
    for item in store::items_of(conn, inspection.id).await? {
        items.push(SelfInspectionItemDto {
            kind: item.kind()?,
            disclosure_before: item.disclosure_before.as_deref().map(persistence::error::parse_code).transpose()?,
            decision: item.decision.as_deref().map(persistence::error::parse_code).transpose()?,
            id: item.id,
            document_id: item.document_id,
            subject: item.subject,
            request_count: item.request_count,
            reason: item.reason,
            decided_by: item.decided_by,
            decided_at: item.decided_at,
        });
    }
    Ok(SelfInspectionDto {
        status: inspection.status()?,
        undecided: items.iter().filter(|i| i.decision.is_none()).count(),
        converted: items.iter().filter(|i| i.decision == Some(SelfInspectionDecision::Convert)).count(),
        items,
        id: inspection.id,
        organization_id: inspection.organization_id,
        year: inspection.year,
        summary: inspection.summary,
        submitted_at: inspection.submitted_at,
        version: inspection.version,
        created_at: inspection.created_at,
        updated_at: inspection.updated_at,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfInspectionInput {
    /// The year inspected: a year that has begun.
    #[schema(example = 2026)]
    pub year: i32,
}

/// Opens the organization's self-inspection of a year (openness officer) with its documents not
/// disclosed proactively and the information most requested; 409 `self_inspection_exists`; 422 on `year`.
#[utoipa::path(operation_id = "open_self_inspection", tag = "self-inspections", request_body = SelfInspectionInput, responses((status = 201, description = "Opened", body = SelfInspectionDto)))]
#[post("/self-inspections")]
pub async fn open(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<SelfInspectionInput>,
) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    if !staff_scope::is_openness_officer_of(&auth.principal, org) {
        return Err(ApiError::forbidden());
    }
    let current_year = state.today().year();
    if !rules::year_allowed(body.0.year, current_year) {
        return Err(ApiError::field(
            "year",
            "range",
            "年份须为 2008 年至今年",
            "The year must be from 2008 to this year",
        ));
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let user = Some(auth.principal.subject());
    let saved = store::open(&mut conn, &auth.actor(), org, body.0.year, user).await?;
    let location = format!("/api/v1/self-inspections/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&dto(&mut conn, saved).await?, version, &location))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SelfInspectionQuery {
    pub year: Option<i32>,
    pub status: Option<SelfInspectionStatus>,
}

/// Self-inspections of the caller's organization (every organization's of the county for the government office), newest first.
#[utoipa::path(operation_id = "list_self_inspections", tag = "self-inspections", params(PageParams, SelfInspectionQuery), responses((status = 200, description = "A page", body = Page<SelfInspectionDto>)))]
#[get("/self-inspections")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
    query: web::Query<SelfInspectionQuery>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows =
        store::list(&mut conn, orgs.as_deref(), query.year, query.status, page.after_id()?, i64::from(limit) + 1)
            .await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for inspection in rows {
        items.push(dto(&mut conn, inspection).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

async fn visible(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<SelfInspection> {
    let inspection = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, inspection.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(inspection)
}

async fn officers(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<SelfInspection> {
    let inspection = visible(conn, auth, id).await?;
    if !staff_scope::is_openness_officer_of(&auth.principal, inspection.organization_id) {
        return Err(ApiError::forbidden());
    }
    Ok(inspection)
}

const ID: &str = "Self-inspection id";

/// One self-inspection with its items and decisions.
#[utoipa::path(operation_id = "get_self_inspection", tag = "self-inspections", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The self-inspection", body = SelfInspectionDto)))]
#[get("/self-inspections/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let inspection = visible(&mut conn, &auth, *id).await?;
    let version = inspection.version;
    Ok(ok_with_etag(&dto(&mut conn, inspection).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfInspectionDecisionInput {
    pub item_id: Uuid,
    pub decision: SelfInspectionDecision,
    /// Why the attribute stays, or why the information can now be disclosed proactively; written to the document's history on a conversion.
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "经自查，该文件不涉及国家秘密和个人隐私，可转为主动公开")]
    pub reason: String,
}

/// Decides one item (openness officer): `keep` with the reason, or `convert` — the document becomes
/// `proactive` in the same transaction and must then pass a secrecy review and be published within 20
/// working days. 409 `item_already_decided`, `self_inspection_submitted`, `document_not_convertible`.
#[utoipa::path(operation_id = "decide_self_inspection_item", tag = "self-inspections", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = SelfInspectionDecisionInput, responses((status = 200, description = "The self-inspection", body = SelfInspectionDto)))]
#[post("/self-inspections/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<SelfInspectionDecisionInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let today = state.today();
    let mut conn = persistence::connection(&state.pool).await?;
    officers(&mut conn, &auth, *id).await?;
    let input = body.0;
    let user = Some(auth.principal.subject());
    let saved = store::decide(
        &mut conn,
        &auth.actor(),
        *id,
        expected,
        input.item_id,
        input.decision,
        input.reason.trim(),
        today,
        user,
    )
    .await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfInspectionSubmitInput {
    /// The report's summary: what was found and what was rectified (自查整改情况).
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub summary: String,
}

/// Submits the report to the government office (openness officer); 422 `rules_failed` with
/// `undecided_items` while any item lacks its decision; final afterwards.
#[utoipa::path(operation_id = "submit_self_inspection", tag = "self-inspections", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = SelfInspectionSubmitInput, responses((status = 200, description = "The self-inspection", body = SelfInspectionDto)))]
#[post("/self-inspections/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<SelfInspectionSubmitInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    officers(&mut conn, &auth, *id).await?;
    let user = Some(auth.principal.subject());
    let saved = store::submit(&mut conn, &auth.actor(), *id, expected, body.0.summary.trim(), user).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}
