//! Spot checks (抽查, seed §1.4 “各级政府办公室要定期抽查”): the county's government office picks n
//! of an organization's issued documents at random, records its findings on sampled documents
//! (each opens a rectification for the organization) and completes the check, which freezes it.
//! The checked organization's staff read their checks.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::documents::DocumentStatus;
use domain::oversight::{self as rules, SpotCheckStatus};
use persistence::spot_checks::{self as store, SpotCheck};
use persistence::{PooledConnection, StoreError};
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
use crate::routes::rectifications::{county_gov_office, field_message, office_county, store_error};
use crate::routes::staff_scope;
use crate::state::AppState;

fn field(name: &str, code: &str) -> ApiError {
    let (zh, en) = field_message(code);
    ApiError::field(name, code, zh, en)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SampledDocumentDto {
    pub document_id: Uuid,
    pub doc_number: Option<String>,
    pub title: String,
    pub status: DocumentStatus,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotCheckFindingDto {
    pub id: Uuid,
    pub document_id: Uuid,
    pub problem: String,
    pub deadline: NaiveDate,
    /// The rectification the finding opened.
    pub rectification_id: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SpotCheckDto {
    pub id: Uuid,
    /// The organization checked.
    pub organization_id: Uuid,
    pub sample_size: i32,
    pub status: SpotCheckStatus,
    pub notes: Option<String>,
    pub completed_on: Option<NaiveDate>,
    /// The documents drawn at random when the check was created, in the order drawn.
    pub sample: Vec<SampledDocumentDto>,
    pub findings: Vec<SpotCheckFindingDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn dto(conn: &mut PooledConnection, check: SpotCheck) -> ApiResult<SpotCheckDto> {
    let mut sample = Vec::new();
    for s in store::sample_of(conn, check.id).await? {
        sample.push(SampledDocumentDto {
            status: persistence::error::parse_code(&s.status)?,
            document_id: s.document_id,
            doc_number: s.doc_number,
            title: s.title,
        });
    }
    let findings = store::findings_of(conn, check.id)
        .await?
        .into_iter()
        .map(|f| SpotCheckFindingDto {
            id: f.id,
            document_id: f.document_id,
            problem: f.problem,
            deadline: f.deadline,
            rectification_id: f.rectification_id,
            created_at: f.created_at,
        })
        .collect();
    Ok(SpotCheckDto {
        status: check.status()?,
        id: check.id,
        organization_id: check.organization_id,
        sample_size: check.sample_size,
        notes: check.notes,
        completed_on: check.completed_on,
        sample,
        findings,
        version: check.version,
        created_at: check.created_at,
        updated_at: check.updated_at,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckInput {
    /// An organization of the office's county.
    pub organization_id: Uuid,
    /// How many issued documents to draw: 1–50, no more than the organization has issued.
    pub sample_size: i32,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000, example = "2026年第一季度政务公开抽查")]
    pub notes: Option<String>,
}

/// Creates a spot check and draws its sample at random (government office of the county); 422 `no_issued_documents`, or on `sample_size` (`range`, `more_than_issued`).
#[utoipa::path(operation_id = "create_spot_check", tag = "spot-checks", request_body = SpotCheckInput, responses((status = 201, description = "Created with its sample", body = SpotCheckDto)))]
#[post("/spot-checks")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<SpotCheckInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    office_county(&mut conn, &auth.principal).await?;
    let input = body.0;
    if !county_gov_office(&mut conn, &auth.principal, input.organization_id).await? {
        return Err(field("organization_id", "not_found"));
    }
    if let Some(code) = rules::sample_size_error(input.sample_size) {
        return Err(field("sample_size", code));
    }
    let notes = input.notes.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let saved = store::create(&mut conn, &auth.actor(), input.organization_id, input.sample_size, notes)
        .await
        .map_err(|e| match e {
            StoreError::Refused("no_issued_documents") => {
                let (zh, en) =
                    ("该机关没有已印发（公开或不公开）的公文", "The organization has no published or filed document");
                ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "no_issued_documents").detail(zh, en)
            }
            other => store_error(other),
        })?;
    let location = format!("/api/v1/spot-checks/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&dto(&mut conn, saved).await?, version, &location))
}

/// Spot checks of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_spot_checks", tag = "spot-checks", params(PageParams), responses((status = 200, description = "A page", body = Page<SpotCheckDto>)))]
#[get("/spot-checks")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for check in rows {
        items.push(dto(&mut conn, check).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<SpotCheck> {
    let check = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, check.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(check)
}

async fn office_check(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<SpotCheck> {
    let check = visible(conn, auth, id).await?;
    if !county_gov_office(conn, &auth.principal, check.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    Ok(check)
}

const ID: &str = "Spot check id";

/// One spot check with its sample and findings, for the office and the checked organization.
#[utoipa::path(operation_id = "get_spot_check", tag = "spot-checks", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The spot check", body = SpotCheckDto)))]
#[get("/spot-checks/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let check = visible(&mut conn, &auth, *id).await?;
    let version = check.version;
    Ok(ok_with_etag(&dto(&mut conn, check).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpotCheckFindingInput {
    /// A document of the sample.
    pub document_id: Uuid,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "公开属性为“不公开”但未说明理由和依据")]
    pub problem: String,
    /// The rectification deadline: after today, within a year.
    pub deadline: NaiveDate,
}

/// Records a finding on a sampled document and opens its rectification (government office of the county); 409 `spot_check_completed`; 422 on `document_id` (`not_in_sample`) or `deadline`.
#[utoipa::path(operation_id = "record_spot_check_finding", tag = "spot-checks", params(("id" = Uuid, Path, description = ID)), request_body = SpotCheckFindingInput, responses((status = 201, description = "The spot check with the new finding", body = SpotCheckDto)))]
#[post("/spot-checks/{id}/findings")]
pub async fn record_finding(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<SpotCheckFindingInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    office_check(&mut conn, &auth, *id).await?;
    let input = body.0;
    let (saved, _) = store::record_finding(
        &mut conn,
        &auth.actor(),
        *id,
        input.document_id,
        input.problem.trim(),
        input.deadline,
        state.today(),
    )
    .await
    .map_err(store_error)?;
    let location = format!("/api/v1/spot-checks/{id}");
    let version = saved.version;
    Ok(created_with_etag(&dto(&mut conn, saved).await?, version, &location))
}

/// Completes the spot check, freezing its findings (government office of the county); 409 `spot_check_completed`.
#[utoipa::path(operation_id = "complete_spot_check", tag = "spot-checks", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The spot check", body = SpotCheckDto)))]
#[post("/spot-checks/{id}/complete")]
pub async fn complete(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    office_check(&mut conn, &auth, *id).await?;
    let saved = store::complete(&mut conn, &auth.actor(), *id, expected, state.today()).await.map_err(store_error)?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}
