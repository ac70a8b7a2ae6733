//! Organization records (seed §6): the published leadership (the principal and the deputy in charge
//! of openness, with their duties) at `/api/v1/public/organizations/{id}`, kept current by the
//! organization's openness officer; and the yearly work priorities (年度工作重点), written by the
//! openness officer of the organization or the government office of its county.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Utc};
use domain::organization_records as rules;
use domain::{OrganizationKind, Principal, Role};
use persistence::organization_records::{self as store, WorkPriority};
use persistence::organizations::{self, Leadership};
use persistence::PooledConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::organizations::OrganizationDto;
use crate::routes::rectifications::county_gov_office;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// The messages of the field codes of organization records, training and evaluation.
pub fn field_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "year_range" => ("年份超出允许范围", "The year is out of the allowed range"),
        "chaired_by_unknown" => (
            "须写明主持听取汇报的主要负责人（或先登记机关的主要负责人）",
            "Name the principal who heard the report (or record the organization's principal first)",
        ),
        "before_from" => ("结束日期早于开始日期", "The end date is before the start date"),
        "period_too_long" => ("期间不得超过十年", "A period spans at most ten years"),
        "not_leaf" => {
            ("只能对末级指标评分", "Only leaf indicators are scored; a parent's score is computed from its children")
        }
        "too_precise" => ("最多保留两位小数", "At most two decimal places"),
        "score_range" => ("得分须在 0 至 100 之间", "A score is from 0 to 100"),
        "share_range" => ("占比须大于 0 且不超过 100", "The share is above 0 and at most 100"),
        "duplicate" => ("同一机关同一指标重复评分", "The same organization and indicator appear twice"),
        "client_source" => {
            ("第三方评估客户端只能录入第三方评分", "A third-party client records third-party scores only")
        }
        "other_county" => ("只能登记本县人员参加培训", "Only staff of the county are recorded as attending"),
        "immutable" => ("记录所属机关不能更改", "The organization of a record cannot change"),
        "no_leaves" => ("该指标体系尚未设置指标", "The indicator system has no indicators yet"),
        other => crate::routes::rectifications::field_message(other),
    }
}

pub fn field(name: &str, code: &str) -> ApiError {
    let (zh, en) = field_message(code);
    ApiError::field(name, code, zh, en)
}

/// Maps a storage error of these slices, giving their field codes their own messages.
pub fn store_error(err: persistence::StoreError) -> ApiError {
    match err {
        persistence::StoreError::InvalidField { field: name, code } => field(name, code),
        other => other.into(),
    }
}

/// 403 unless the caller may keep organization records at all: an openness officer or a
/// government office with an organization.
pub fn record_keeper(principal: &Principal) -> ApiResult<Uuid> {
    own_org(principal)
        .filter(|_| principal.has_role(Role::OpennessOfficer) || principal.has_role(Role::GovOffice))
        .ok_or_else(ApiError::forbidden)
}

/// Whether the caller keeps `org`'s records: its openness officer, or its county's government office.
pub async fn keeps_records_of(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    Ok(staff_scope::is_openness_officer_of(principal, org) || county_gov_office(conn, principal, org).await?)
}

/// The organization a new record is for: `given` when the caller keeps its records (otherwise 422
/// `not_found`, as for an organization they cannot see), else the caller's own.
pub async fn target_org(conn: &mut PooledConnection, principal: &Principal, given: Option<Uuid>) -> ApiResult<Uuid> {
    let own = record_keeper(principal)?;
    let org = given.unwrap_or(own);
    if !keeps_records_of(conn, principal, org).await? {
        return Err(field("organization_id", "not_found"));
    }
    Ok(org)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadershipInput {
    /// 主要负责人.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "李明")]
    pub principal_name: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "主持全面工作")]
    pub principal_duties: Option<String>,
    /// 分管政务公开工作的负责人.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "王芳")]
    pub openness_deputy_name: Option<String>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "分管政务公开、办公室工作")]
    pub openness_deputy_duties: Option<String>,
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Replaces the published leadership of an organization (its openness officer, the government office of its county, or system_admin); name, kind and parent stay the administrator's.
#[utoipa::path(operation_id = "update_organization_leadership", tag = "organizations", params(("id" = Uuid, Path, description = "Organization id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = LeadershipInput, responses((status = 200, description = "The organization", body = OrganizationDto)))]
#[put("/organizations/{id}/leadership")]
pub async fn update_leadership(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<LeadershipInput>,
) -> ApiResult<HttpResponse> {
    let admin = auth.principal.has_role(Role::SystemAdmin);
    if !admin {
        record_keeper(&auth.principal)?;
    }
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    organizations::get(&conn, *id).await?;
    if !admin && !keeps_records_of(&mut conn, &auth.principal, *id).await? {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let leadership = Leadership {
        principal_name: trimmed(input.principal_name),
        principal_duties: trimmed(input.principal_duties),
        openness_deputy_name: trimmed(input.openness_deputy_name),
        openness_deputy_duties: trimmed(input.openness_deputy_duties),
    };
    let saved = organizations::update_leadership(&mut conn, &auth.actor(), *id, expected, leadership).await?;
    let version = saved.version;
    Ok(ok_with_etag(&OrganizationDto::from(saved), version))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkPriorityDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub text: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WorkPriority> for WorkPriorityDto {
    fn from(p: WorkPriority) -> Self {
        WorkPriorityDto {
            id: p.id,
            organization_id: p.organization_id,
            year: p.year,
            text: p.text,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkPriorityInput {
    /// Default: the caller's organization; the government office names any of its county's. Fixed once written.
    pub organization_id: Option<Uuid>,
    /// From 2008 to next year.
    #[schema(example = 2026)]
    pub year: i32,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "推进基层政务公开标准化规范化，完善主动公开基本目录")]
    pub text: String,
}

fn check_year(state: &AppState, year: i32) -> ApiResult<()> {
    if rules::priority_year_allowed(year, state.today().year()) {
        Ok(())
    } else {
        Err(field("year", "year_range"))
    }
}

/// Writes one work priority of a year (openness officer of the organization, or the county's government office); 422 on `year` or `organization_id`.
#[utoipa::path(operation_id = "create_work_priority", tag = "organization-records", request_body = WorkPriorityInput, responses((status = 201, description = "Written", body = WorkPriorityDto)))]
#[post("/work-priorities")]
pub async fn create_priority(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<WorkPriorityInput>,
) -> ApiResult<HttpResponse> {
    record_keeper(&auth.principal)?;
    let input = body.0;
    check_year(&state, input.year)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let org = target_org(&mut conn, &auth.principal, input.organization_id).await?;
    let user = Some(auth.principal.subject());
    let saved = store::create_priority(&mut conn, &auth.actor(), org, input.year, input.text.trim(), user).await?;
    let location = format!("/api/v1/work-priorities/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&WorkPriorityDto::from(saved), version, &location))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    pub organization_id: Option<Uuid>,
    pub year: Option<i32>,
}

/// Work priorities of the caller's organization (the county's for the government office), oldest first.
#[utoipa::path(operation_id = "list_work_priorities", tag = "organization-records", params(RecordQuery, PageParams), responses((status = 200, description = "A page", body = Page<WorkPriorityDto>)))]
#[get("/work-priorities")]
pub async fn list_priorities(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<RecordQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list_priorities(
        &mut conn,
        orgs.as_deref(),
        query.organization_id,
        query.year,
        page.after_id()?,
        i64::from(limit) + 1,
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |p| p.id, WorkPriorityDto::from)))
}

async fn visible_priority(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<WorkPriority> {
    let priority = store::get_priority(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, priority.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(priority)
}

async fn kept_priority(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<WorkPriority> {
    record_keeper(&auth.principal)?;
    let priority = visible_priority(conn, auth, id).await?;
    if !keeps_records_of(conn, &auth.principal, priority.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    Ok(priority)
}

const PRIORITY: &str = "Work priority id";

/// One work priority.
#[utoipa::path(operation_id = "get_work_priority", tag = "organization-records", params(("id" = Uuid, Path, description = PRIORITY)), responses((status = 200, description = "The priority", body = WorkPriorityDto)))]
#[get("/work-priorities/{id}")]
pub async fn get_priority(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let priority = visible_priority(&mut conn, &auth, *id).await?;
    let version = priority.version;
    Ok(ok_with_etag(&WorkPriorityDto::from(priority), version))
}

/// Rewrites a work priority (its keepers); `organization_id`, if given, must be unchanged.
#[utoipa::path(operation_id = "update_work_priority", tag = "organization-records", params(("id" = Uuid, Path, description = PRIORITY), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = WorkPriorityInput, responses((status = 200, description = "The priority", body = WorkPriorityDto)))]
#[put("/work-priorities/{id}")]
pub async fn update_priority(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<WorkPriorityInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = kept_priority(&mut conn, &auth, *id).await?;
    let input = body.0;
    if input.organization_id.is_some_and(|o| o != current.organization_id) {
        return Err(field("organization_id", "immutable"));
    }
    check_year(&state, input.year)?;
    let saved = store::update_priority(&mut conn, &auth.actor(), *id, expected, input.year, input.text.trim()).await?;
    let version = saved.version;
    Ok(ok_with_etag(&WorkPriorityDto::from(saved), version))
}

/// Deletes a work priority (its keepers).
#[utoipa::path(operation_id = "delete_work_priority", tag = "organization-records", params(("id" = Uuid, Path, description = PRIORITY), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 204, description = "Deleted")))]
#[delete("/work-priorities/{id}")]
pub async fn delete_priority(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    kept_priority(&mut conn, &auth, *id).await?;
    store::delete_priority(&mut conn, &auth.actor(), *id, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicPerson {
    pub name: Option<String>,
    /// 分工.
    pub duties: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicParent {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicPriority {
    pub id: Uuid,
    pub text: String,
}

/// An organization's published leadership and work priorities (seed §6.1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicOrganizationDto {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent: Option<PublicParent>,
    /// 主要负责人.
    pub principal: PublicPerson,
    /// 分管政务公开工作的负责人.
    pub openness_deputy: PublicPerson,
    /// The year of `work_priorities`.
    pub year: i32,
    pub work_priorities: Vec<PublicPriority>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicOrganizationQuery {
    /// The year of the work priorities shown (default: this year, Asia/Shanghai).
    pub year: Option<i32>,
}

/// An organization's leadership (principal, the deputy in charge of openness, their duties) and its work priorities of a year, for everyone.
#[utoipa::path(operation_id = "get_public_organization", tag = "public", security(()), params(("id" = Uuid, Path, description = "Organization id"), PublicOrganizationQuery), responses((status = 200, description = "The organization", body = PublicOrganizationDto)))]
#[get("/organizations/{id}")]
pub async fn public_get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<PublicOrganizationQuery>,
) -> ApiResult<HttpResponse> {
    let year = query.year.unwrap_or_else(|| state.today().year());
    crate::routes::plausible_year("year", year)?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let (org, parent_name, priorities) = store::public_page(&mut conn, *id, year).await?;
    let parent = org.parent_id.zip(parent_name).map(|(id, name)| PublicParent { id, name });
    Ok(HttpResponse::Ok().json(PublicOrganizationDto {
        id: org.id,
        name: org.name,
        kind: org.kind,
        parent,
        principal: PublicPerson { name: org.principal_name, duties: org.principal_duties },
        openness_deputy: PublicPerson { name: org.openness_deputy_name, duties: org.openness_deputy_duties },
        year,
        work_priorities: priorities.into_iter().map(|p| PublicPriority { id: p.id, text: p.text }).collect(),
    }))
}
