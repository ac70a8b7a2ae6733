//! Administrative reconsiderations and lawsuits about disclosure (table 四 of the annual report),
//! entered by the organization's openness officer (or the county's government office) and
//! concluded with their result; a case without a result is 尚未审结.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::annual_reports::{ChallengeKind, ChallengeResult, ChallengeRole};
use persistence::legal_challenges::{self as store, LegalChallenge, NewChallenge};
use persistence::{organizations, PooledConnection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::annual_reports::store_error;
use crate::routes::not_blank;
use crate::routes::rectifications::county_gov_office;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LegalChallengeDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: ChallengeKind,
    /// `reconsideration_body`: recorded by the reconsideration body as co-defendant, not counted in table 四.
    pub role: ChallengeRole,
    pub case_number: String,
    pub filed_on: NaiveDate,
    pub summary: String,
    /// `None` while the case is pending (尚未审结).
    pub result: Option<ChallengeResult>,
    pub concluded_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn dto(c: LegalChallenge) -> ApiResult<LegalChallengeDto> {
    Ok(LegalChallengeDto {
        kind: persistence::error::parse_code(&c.kind)?,
        role: persistence::error::parse_code(&c.role)?,
        result: c.result.as_deref().map(persistence::error::parse_code).transpose()?,
        id: c.id,
        organization_id: c.organization_id,
        case_number: c.case_number,
        filed_on: c.filed_on,
        summary: c.summary,
        concluded_on: c.concluded_on,
        version: c.version,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

async fn may_record(conn: &mut PooledConnection, auth: &Auth, org: Uuid) -> ApiResult<bool> {
    Ok(staff_scope::is_openness_officer_of(&auth.principal, org)
        || county_gov_office(conn, &auth.principal, org).await?)
}

fn original_agency() -> ChallengeRole {
    ChallengeRole::OriginalAgency
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeInput {
    pub organization_id: Uuid,
    pub kind: ChallengeKind,
    /// `original_agency` (default) or, for a lawsuit after reconsideration, `reconsideration_body`
    /// when the organization is the co-defendant reconsideration body: such records are kept but
    /// only the original agency counts the case.
    #[serde(default = "original_agency")]
    pub role: ChallengeRole,
    /// The case number (案号), unique per organization.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "元复决字〔2026〕3号")]
    pub case_number: String,
    /// The day it was brought; not after today.
    pub filed_on: NaiveDate,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub summary: String,
}

/// Records a reconsideration or lawsuit (openness officer of the organization, or the county's
/// government office); 409 `challenge_exists` for a case number already recorded.
#[utoipa::path(operation_id = "create_legal_challenge", tag = "annual-reports", request_body = ChallengeInput, responses((status = 201, description = "The case", body = LegalChallengeDto)))]
#[post("/legal-challenges")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ChallengeInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    if own_org(&auth.principal).is_none() {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let visible = match organizations::get(&conn, input.organization_id).await {
        Ok(_) => staff_scope::sees(&mut conn, &auth.principal, input.organization_id).await?,
        Err(StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !visible {
        return Err(store_error(StoreError::InvalidField { field: "organization_id", code: "not_found" }));
    }
    if !may_record(&mut conn, &auth, input.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    if let Some(code) = domain::oversight::record_date_error(input.filed_on, state.today()) {
        return Err(store_error(StoreError::InvalidField { field: "filed_on", code }));
    }
    let new = NewChallenge {
        organization_id: input.organization_id,
        kind: input.kind,
        role: input.role,
        case_number: &input.case_number,
        filed_on: input.filed_on,
        summary: input.summary.trim(),
    };
    let saved = dto(store::create(&mut conn, &auth.actor(), &new).await.map_err(store_error)?)?;
    Ok(created_with_etag(&saved, saved.version, &format!("/api/v1/legal-challenges/{}", saved.id)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    pub org: Option<Uuid>,
    /// Only the cases brought in this year.
    pub year: Option<i32>,
}

/// Cases of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_legal_challenges", tag = "annual-reports", params(ChallengeQuery, PageParams), responses((status = 200, description = "A page", body = Page<LegalChallengeDto>)))]
#[get("/legal-challenges")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ChallengeQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    if let Some(y) = query.year {
        crate::routes::plausible_year("year", y)?;
    }
    let year = match query.year {
        Some(y) => Some(
            domain::calendar::year_bounds(y)
                .ok_or_else(|| store_error(StoreError::InvalidField { field: "year", code: "out_of_range" }))?,
        ),
        None => None,
    };
    let rows = store::list(&mut conn, orgs.as_deref(), query.org, year, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |c| c.id)))
}

const ID: &str = "Legal challenge id";

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<LegalChallenge> {
    let found = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, found.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(found)
}

/// One case.
#[utoipa::path(operation_id = "get_legal_challenge", tag = "annual-reports", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The case", body = LegalChallengeDto)))]
#[get("/legal-challenges/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let found = dto(visible(&mut conn, &auth, *id).await?)?;
    Ok(ok_with_etag(&found, found.version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeInput {
    pub result: ChallengeResult,
    /// Not before the case was brought, not after today.
    pub concluded_on: NaiveDate,
}

/// Records how the case ended (who may record it); 409 `challenge_already_concluded`.
#[utoipa::path(operation_id = "conclude_legal_challenge", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = ConcludeInput, responses((status = 200, description = "The case", body = LegalChallengeDto)))]
#[post("/legal-challenges/{id}/conclude")]
pub async fn conclude(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ConcludeInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    if !may_record(&mut conn, &auth, found.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    let saved =
        store::conclude(&mut conn, &auth.actor(), *id, expected, body.0.result, body.0.concluded_on, state.today())
            .await
            .map_err(store_error)?;
    let saved = dto(saved)?;
    Ok(ok_with_etag(&saved, saved.version))
}
