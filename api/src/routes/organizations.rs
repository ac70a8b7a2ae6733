//! `/api/v1/organizations`: the tree of 机关 (DOMAIN.md §1).

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{Action, OrganizationKind};
use persistence::organizations::{self, Organization, OrganizationFields, OrganizationFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::ApiResult;
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    /// 主要负责人 (published, seed §6.1).
    pub principal_name: Option<String>,
    /// 分管负责人: the deputy in charge of openness (published).
    pub openness_deputy_name: Option<String>,
    /// The principal's duties (分工), published with the leadership.
    pub principal_duties: Option<String>,
    /// The openness deputy's duties (分工), published with the leadership.
    pub openness_deputy_duties: Option<String>,
    /// Send back in `If-Match` (also the `ETag`).
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationDto {
    fn from(o: Organization) -> Self {
        OrganizationDto {
            id: o.id,
            name: o.name,
            kind: o.kind,
            parent_id: o.parent_id,
            principal_name: o.principal_name,
            openness_deputy_name: o.openness_deputy_name,
            principal_duties: o.principal_duties,
            openness_deputy_duties: o.openness_deputy_duties,
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县人民政府办公室")]
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub principal_name: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub openness_deputy_name: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "主持县政府全面工作")]
    pub principal_duties: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "分管政务公开、政务服务、大数据工作")]
    pub openness_deputy_duties: Option<String>,
}

impl From<OrganizationInput> for OrganizationFields {
    fn from(i: OrganizationInput) -> Self {
        OrganizationFields {
            name: i.name.trim().to_owned(),
            kind: i.kind,
            parent_id: i.parent_id,
            principal_name: i.principal_name,
            openness_deputy_name: i.openness_deputy_name,
            principal_duties: i.principal_duties,
            openness_deputy_duties: i.openness_deputy_duties,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only organizations of this kind.
    pub kind: Option<OrganizationKind>,
    /// Only direct children of this organization.
    pub parent_id: Option<Uuid>,
}

/// List organizations (any authenticated caller), oldest first.
#[utoipa::path(operation_id = "list_organizations", tag = "organizations", params(OrganizationQuery, PageParams), responses((status = 200, description = "A page of organizations", body = Page<OrganizationDto>)))]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<OrganizationQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadOrganizations)?;
    let limit = page.limit()?;
    let after = page.after_id()?;
    let filter = OrganizationFilter { kind: filter.kind, parent_id: filter.parent_id };
    let mut conn = persistence::connection(&state.pool).await?;
    let rows = organizations::list(&mut conn, &filter, after, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |o| o.id, OrganizationDto::from)))
}

/// Create an organization (system_admin).
#[utoipa::path(operation_id = "create_organization", tag = "organizations", request_body = OrganizationInput, responses((status = 201, description = "Created", body = OrganizationDto)))]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<OrganizationInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageOrganizations)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let created = organizations::create(&mut conn, &auth.actor(), body.0.into()).await?;
    let location = format!("/api/v1/organizations/{}", created.id);
    let version = created.version;
    Ok(created_with_etag(&OrganizationDto::from(created), version, &location))
}

/// Get one organization.
#[utoipa::path(operation_id = "get_organization", tag = "organizations", params(("id" = Uuid, Path, description = "Organization id")), responses((status = 200, description = "The organization", body = OrganizationDto)))]
#[get("/organizations/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadOrganizations)?;
    let conn = persistence::connection(&state.pool).await?;
    let found = organizations::get(&conn, *id).await?;
    let version = found.version;
    Ok(ok_with_etag(&OrganizationDto::from(found), version))
}

/// Replace an organization's fields (system_admin). Send `If-Match` to avoid overwriting a concurrent change.
#[utoipa::path(operation_id = "update_organization", 
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = OrganizationInput,
    responses((status = 200, description = "Updated", body = OrganizationDto))
)]
#[put("/organizations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<OrganizationInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageOrganizations)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let updated = organizations::update(&mut conn, &auth.actor(), *id, expected, body.0.into()).await?;
    let version = updated.version;
    Ok(ok_with_etag(&OrganizationDto::from(updated), version))
}

/// Delete an organization that has no children, staff or clients (system_admin); otherwise 409 `organization_in_use`.
#[utoipa::path(operation_id = "delete_organization", 
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/organizations/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageOrganizations)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    organizations::delete(&mut conn, &auth.actor(), *id, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}
