//! `/api/v1/experts`: the expert pool (解读专家库) interpretations draw on.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::Action;
use persistence::experts::{self, Expert, ExpertFields, Pool};
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
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ExpertDto {
    pub id: Uuid,
    pub name: String,
    pub field: String,
    pub affiliation: Option<String>,
    pub is_active: bool,
    /// The county whose pool this is; null for a deployment-wide expert.
    pub county_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Expert> for ExpertDto {
    fn from(e: Expert) -> Self {
        ExpertDto {
            id: e.id,
            name: e.name,
            field: e.field,
            affiliation: e.affiliation,
            is_active: e.is_active,
            county_id: e.county_id,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "李明")]
    pub name: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "社会保障政策")]
    pub field: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "云南大学公共管理学院")]
    pub affiliation: Option<String>,
    /// Defaults to true.
    pub is_active: Option<bool>,
}

impl From<ExpertInput> for ExpertFields {
    fn from(i: ExpertInput) -> Self {
        ExpertFields {
            name: i.name.trim().to_owned(),
            field: i.field.trim().to_owned(),
            affiliation: i.affiliation,
            is_active: i.is_active.unwrap_or(true),
        }
    }
}

/// The pool the caller draws on: a system administrator sees every expert, staff their county's
/// and the deployment-wide ones.
async fn pool_of(conn: &mut persistence::PooledConnection, auth: &Auth) -> ApiResult<Pool> {
    if auth.principal.has_role(domain::Role::SystemAdmin) {
        return Ok(Pool::All);
    }
    let county = match &auth.principal {
        domain::Principal::User { organization_id: Some(org), .. } => {
            persistence::organizations::county_of(conn, *org).await?
        }
        _ => None,
    };
    Ok(Pool::County(county))
}

/// An expert of the caller's pool; 404 for anyone else's.
async fn in_pool(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Expert> {
    let expert = experts::get(conn, id).await?;
    let visible = match pool_of(conn, auth).await? {
        Pool::All => true,
        Pool::County(county) => expert.county_id.is_none() || expert.county_id == county,
    };
    if visible {
        Ok(expert)
    } else {
        Err(ApiError::not_found())
    }
}

/// The expert pool (any staff): their county's experts and the deployment-wide ones.
#[utoipa::path(operation_id = "list_experts", tag = "interpretations", params(PageParams), responses((status = 200, description = "A page of experts", body = Page<ExpertDto>)))]
#[get("/experts")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadExperts)?;
    let limit = page.limit()?;
    let after = page.after_id()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let pool = pool_of(&mut conn, &auth).await?;
    let rows = experts::list(&mut conn, pool, after, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |e| e.id, ExpertDto::from)))
}

/// Add an expert (openness_officer, gov_office or system_admin).
#[utoipa::path(operation_id = "create_expert", tag = "interpretations", request_body = ExpertInput, responses((status = 201, description = "Created", body = ExpertDto)))]
#[post("/experts")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<ExpertInput>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageExperts)?;
    let mut conn = persistence::connection(&state.pool).await?;
    // A system administrator adds deployment-wide experts; everyone else adds to their county's pool.
    let county = match pool_of(&mut conn, &auth).await? {
        Pool::All => None,
        Pool::County(Some(county)) => Some(county),
        Pool::County(None) => {
            return Err(ApiError::forbidden().detail("本机关不属于任何县", "Your organization belongs to no county"))
        }
    };
    let expert = experts::create(&mut conn, &auth.actor(), body.0.into(), county).await?;
    let location = format!("/api/v1/experts/{}", expert.id);
    let version = expert.version;
    Ok(created_with_etag(&ExpertDto::from(expert), version, &location))
}

/// One expert.
#[utoipa::path(operation_id = "get_expert", tag = "interpretations", params(("id" = Uuid, Path, description = "Expert id")), responses((status = 200, description = "The expert", body = ExpertDto)))]
#[get("/experts/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadExperts)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let expert = in_pool(&mut conn, &auth, *id).await?;
    let version = expert.version;
    Ok(ok_with_etag(&ExpertDto::from(expert), version))
}

/// Replace an expert's record; set `is_active: false` to retire them from the pool.
#[utoipa::path(operation_id = "update_expert", tag = "interpretations", params(("id" = Uuid, Path, description = "Expert id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = ExpertInput, responses((status = 200, description = "Updated", body = ExpertDto)))]
#[put("/experts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ExpertInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageExperts)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = in_pool(&mut conn, &auth, *id).await?;
    if current.county_id.is_none() && !auth.principal.has_role(domain::Role::SystemAdmin) {
        return Err(ApiError::forbidden()
            .detail("全域专家只能由系统管理员维护", "Deployment-wide experts are kept by the system administrator"));
    }
    let expert = experts::update(&mut conn, &auth.actor(), *id, expected, body.0.into()).await?;
    let version = expert.version;
    Ok(ok_with_etag(&ExpertDto::from(expert), version))
}
