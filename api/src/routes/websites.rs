//! Government websites (政府网站, seed §4.1): the county's government office registers and edits
//! the sites of its county's organizations and records its monitoring checks (recorded, not
//! crawled). A check with findings makes the site `non_compliant` and opens one rectification per
//! finding; one without makes it `compliant`; stale content is also a `website_not_updated`
//! breach. A closed site (closing needs a reason) takes no more checks.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::oversight::{self as rules, WebsiteFindingKind, WebsiteStatus};
use persistence::websites::{self as store, Check, Finding, NewFinding, Website, WebsiteFields};
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
use crate::routes::rectifications::{county_gov_office, field_message, office_county, store_error};
use crate::routes::staff_scope;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebsiteDto {
    pub id: Uuid,
    /// The organization that runs the site.
    pub organization_id: Uuid,
    pub name: String,
    pub url: String,
    pub status: WebsiteStatus,
    pub closure_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn dto(site: Website) -> ApiResult<WebsiteDto> {
    Ok(WebsiteDto {
        status: site.status()?,
        id: site.id,
        organization_id: site.organization_id,
        name: site.name,
        url: site.url,
        closure_reason: site.closure_reason,
        closed_on: site.closed_on,
        version: site.version,
        created_at: site.created_at,
        updated_at: site.updated_at,
    })
}

fn field(name: &str, code: &str) -> ApiError {
    let (zh, en) = field_message(code);
    ApiError::field(name, code, zh, en)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebsiteInput {
    /// The organization that runs the site (of the office's county); fixed once registered.
    pub organization_id: Option<Uuid>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县人民政府门户网站")]
    pub name: String,
    /// `http://` or `https://` with a host.
    #[validate(length(min = 8, max = 500))]
    #[schema(min_length = 8, max_length = 500, example = "https://www.ynym.gov.cn")]
    pub url: String,
    /// Default `compliant`; `closed` needs `closure_reason`.
    pub status: Option<WebsiteStatus>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "迁移至县政府网站集约化平台后关停")]
    pub closure_reason: Option<String>,
}

fn fields_of(input: &WebsiteInput) -> ApiResult<WebsiteFields> {
    let url = input.url.trim();
    if !rules::is_site_url(url) {
        return Err(field("url", "not_http_url"));
    }
    Ok(WebsiteFields {
        name: input.name.trim().to_owned(),
        url: url.to_owned(),
        status: input.status.unwrap_or(WebsiteStatus::Compliant),
        closure_reason: input.closure_reason.clone(),
    })
}

/// Registers a site of an organization of the county (government office); 422 on `url` (`not_http_url`) or `closure_reason` (`required` when closed).
#[utoipa::path(operation_id = "register_website", tag = "websites", request_body = WebsiteInput, responses((status = 201, description = "Registered", body = WebsiteDto)))]
#[post("/websites")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<WebsiteInput>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    office_county(&mut conn, &auth.principal).await?;
    let input = body.0;
    let org = input.organization_id.ok_or_else(|| field("organization_id", "required"))?;
    if !county_gov_office(&mut conn, &auth.principal, org).await? {
        return Err(field("organization_id", "not_found"));
    }
    let fields = fields_of(&input)?;
    let user = Some(auth.principal.subject());
    let saved =
        store::create(&mut conn, &auth.actor(), org, &fields, user, state.today()).await.map_err(store_error)?;
    let location = format!("/api/v1/websites/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&dto(saved)?, version, &location))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebsiteQuery {
    pub status: Option<WebsiteStatus>,
}

/// Sites of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_websites", tag = "websites", params(WebsiteQuery, PageParams), responses((status = 200, description = "A page", body = Page<WebsiteDto>)))]
#[get("/websites")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<WebsiteQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), query.status, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Website> {
    let site = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, site.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(site)
}

async fn office_site(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Website> {
    let site = visible(conn, auth, id).await?;
    if !county_gov_office(conn, &auth.principal, site.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    Ok(site)
}

const ID: &str = "Website id";

/// One site, for its organization and the county's government office.
#[utoipa::path(operation_id = "get_website", tag = "websites", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The site", body = WebsiteDto)))]
#[get("/websites/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let site = visible(&mut conn, &auth, *id).await?;
    let version = site.version;
    Ok(ok_with_etag(&dto(site)?, version))
}

/// Replaces name, address and standing (government office of the county); closing needs `closure_reason`; `organization_id`, if given, must be unchanged.
#[utoipa::path(operation_id = "update_website", tag = "websites", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = WebsiteInput, responses((status = 200, description = "The site", body = WebsiteDto)))]
#[put("/websites/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<WebsiteInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let site = office_site(&mut conn, &auth, *id).await?;
    let input = body.0;
    if input.organization_id.is_some_and(|org| org != site.organization_id) {
        return Err(ApiError::field(
            "organization_id",
            "immutable",
            "网站的主办机关不能更改",
            "The organization running a site cannot change",
        ));
    }
    let fields = fields_of(&input)?;
    let saved =
        store::update(&mut conn, &auth.actor(), *id, expected, &fields, state.today()).await.map_err(store_error)?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(saved)?, version))
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingInput {
    pub kind: WebsiteFindingKind,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "“政务公开”栏目最近一次更新在三个月前")]
    pub description: String,
    /// The rectification deadline: after the check date, within a year.
    pub deadline: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// The day of the check; not after today.
    pub checked_on: NaiveDate,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Empty when the site passed.
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub findings: Vec<FindingInput>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingDto {
    pub id: Uuid,
    pub kind: WebsiteFindingKind,
    pub description: String,
    pub deadline: NaiveDate,
    /// The rectification the finding opened.
    pub rectification_id: Uuid,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckDto {
    pub id: Uuid,
    pub website_id: Uuid,
    pub checked_on: NaiveDate,
    pub notes: Option<String>,
    /// The site's standing the check set.
    pub status_after: WebsiteStatus,
    pub findings: Vec<FindingDto>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

fn check_dto(check: Check, findings: Vec<Finding>) -> ApiResult<CheckDto> {
    let findings = findings
        .into_iter()
        .map(|f| {
            Ok(FindingDto {
                kind: f.kind()?,
                id: f.id,
                description: f.description,
                deadline: f.deadline,
                rectification_id: f.rectification_id,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(CheckDto {
        status_after: persistence::error::parse_code(&check.status_after)?,
        id: check.id,
        website_id: check.website_id,
        checked_on: check.checked_on,
        notes: check.notes,
        findings,
        created_by: check.created_by,
        created_at: check.created_at,
    })
}

/// Records a monitoring check (government office of the county): findings open rectifications and set the site `non_compliant`, none sets it `compliant`; 409 `website_closed`; 422 on `checked_on` (`date_in_future`, `before_2000`) or a finding's deadline (`not_after_check_date`, `more_than_a_year`).
#[utoipa::path(operation_id = "record_website_check", tag = "websites", params(("id" = Uuid, Path, description = ID)), request_body = CheckInput, responses((status = 201, description = "Recorded", body = CheckDto)))]
#[post("/websites/{id}/checks")]
pub async fn record_check(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<CheckInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    office_site(&mut conn, &auth, *id).await?;
    let input = body.0;
    if let Some(code) = rules::record_date_error(input.checked_on, state.today()) {
        return Err(field("checked_on", code));
    }
    let mut findings = Vec::new();
    for (n, f) in input.findings.into_iter().enumerate() {
        if let Some(code) = rules::deadline_error(f.deadline, input.checked_on) {
            return Err(field(&format!("findings[{n}].deadline"), code));
        }
        findings.push(NewFinding { kind: f.kind, description: f.description.trim().to_owned(), deadline: f.deadline });
    }
    let notes = input.notes.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let (check, saved) = store::record_check(&mut conn, &auth.actor(), *id, input.checked_on, notes, &findings)
        .await
        .map_err(store_error)?;
    let location = format!("/api/v1/websites/{id}/checks");
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(check_dto(check, saved)?))
}

/// The site's checks, newest first, with their findings and the rectifications they opened.
#[utoipa::path(operation_id = "list_website_checks", tag = "websites", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The checks", body = Vec<CheckDto>)))]
#[get("/websites/{id}/checks")]
pub async fn checks(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth, *id).await?;
    let items = store::checks_of(&mut conn, *id)
        .await?
        .into_iter()
        .map(|(check, findings)| check_dto(check, findings))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(items))
}
