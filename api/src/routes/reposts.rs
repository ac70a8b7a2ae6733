//! Reposting higher-level documents (seed §4.2): the government office registers a State Council,
//! provincial or prefectural document published online (`/api/v1/higher-documents`), which owes a
//! repost from every department and township of the county by a deadline in working days; their
//! openness officers record the repost (`/api/v1/repost-obligations`); the special check shows each
//! organization's obligations as on time, late, missing or not yet due.

use std::collections::BTreeMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::reposts::{self as rules, IssuerLevel, RepostStanding, RepostStatus, StandingCounts};
use domain::Role;
use persistence::reposts::{self as store, HigherDocumentFields, HigherDocumentRow, Obligation, ObligationFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// An absolute http(s) address without spaces.
pub fn web_address(value: &str) -> Result<(), ValidationError> {
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !value.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(ValidationError::new("url")),
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HigherDocumentInput {
    pub issuer_level: IssuerLevel,
    /// The issuing authority, e.g. 国务院办公厅, 云南省人民政府.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "国务院办公厅")]
    pub issuer: String,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "国办发〔2026〕12号")]
    pub doc_number: Option<String>,
    /// Where the original was published.
    #[validate(length(min = 10, max = 2000), custom(function = "web_address"))]
    #[schema(
        min_length = 10,
        max_length = 2000,
        example = "https://www.gov.cn/zhengce/content/2026-11/02/content_0000000.htm"
    )]
    pub url: String,
    /// The day the original went online; not after today.
    pub published_on: NaiveDate,
    /// Working days to repost, counted from the registration (default 5).
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60, default = 5)]
    pub repost_working_days: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HigherDocumentDto {
    pub id: Uuid,
    pub county_id: Uuid,
    pub issuer_level: IssuerLevel,
    pub issuer: String,
    pub title: String,
    pub doc_number: Option<String>,
    pub url: String,
    pub published_on: NaiveDate,
    pub registered_on: NaiveDate,
    pub repost_working_days: i32,
    /// The deadline of every obligation (moves with calendar changes while any is pending).
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

fn document_dto(d: HigherDocumentRow) -> ApiResult<HigherDocumentDto> {
    Ok(HigherDocumentDto {
        issuer_level: d.issuer_level()?,
        id: d.id,
        county_id: d.county_id,
        issuer: d.issuer,
        title: d.title,
        doc_number: d.doc_number,
        url: d.url,
        published_on: d.published_on,
        registered_on: d.registered_on,
        repost_working_days: d.repost_working_days,
        due_on: d.due_on,
        created_at: d.created_at,
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredDocument {
    pub document: HigherDocumentDto,
    /// Departments and townships that now owe a repost.
    pub obligations: usize,
}

async fn gov_office_county(conn: &mut persistence::PooledConnection, auth: &Auth) -> ApiResult<Uuid> {
    let org = own_org(&auth.principal)
        .filter(|_| auth.principal.has_role(Role::GovOffice))
        .ok_or_else(ApiError::forbidden)?;
    persistence::organizations::county_of(conn, org).await?.ok_or_else(ApiError::forbidden)
}

/// Registers a higher-level document (government office) and creates each department's and
/// township's repost obligation; 409 `no_reposting_organizations` for a county without any.
#[utoipa::path(operation_id = "register_higher_document", tag = "reposts", request_body = HigherDocumentInput, responses((status = 201, description = "Registered", body = RegisteredDocument)))]
#[post("/higher-documents")]
pub async fn register(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<HigherDocumentInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let county = gov_office_county(&mut conn, &auth).await?;
    let input = body.0;
    let fields = HigherDocumentFields {
        issuer_level: input.issuer_level,
        issuer: input.issuer.trim().to_owned(),
        title: input.title.trim().to_owned(),
        doc_number: input.doc_number.map(|n| n.trim().to_owned()),
        url: input.url.trim().to_owned(),
        published_on: input.published_on,
        repost_working_days: input.repost_working_days.unwrap_or(rules::DEFAULT_REPOST_WORKING_DAYS),
    };
    let today = state.today();
    let user = Some(auth.principal.subject());
    let (document, obligations) = store::register(&mut conn, &auth.actor(), county, &fields, today, user).await?;
    let location = format!("/api/v1/higher-documents/{}", document.id);
    let body = RegisteredDocument { document: document_dto(document)?, obligations };
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(body))
}

/// The county whose registered documents the caller reads (None: all, for the system administrator).
async fn reader_county(conn: &mut persistence::PooledConnection, auth: &Auth) -> ApiResult<Option<Uuid>> {
    if auth.principal.has_role(Role::SystemAdmin) {
        return Ok(None);
    }
    let org = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    Ok(Some(persistence::organizations::county_of(conn, org).await?.ok_or_else(ApiError::forbidden)?))
}

/// Higher-level documents registered for the caller's county, newest first.
#[utoipa::path(operation_id = "list_higher_documents", tag = "reposts", params(PageParams), responses((status = 200, description = "A page", body = Page<HigherDocumentDto>)))]
#[get("/higher-documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = reader_county(&mut conn, &auth).await?;
    let rows = store::list_documents(&mut conn, county, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(document_dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |d| d.id)))
}

async fn visible_document(
    conn: &mut persistence::PooledConnection,
    auth: &Auth,
    id: Uuid,
) -> ApiResult<HigherDocumentRow> {
    let document = store::get_document(conn, id).await?;
    match reader_county(conn, auth).await? {
        Some(county) if county != document.county_id => Err(ApiError::not_found()),
        _ => Ok(document),
    }
}

/// One registered higher-level document.
#[utoipa::path(operation_id = "get_higher_document", tag = "reposts", params(("id" = Uuid, Path, description = "Higher-level document id")), responses((status = 200, description = "The document", body = HigherDocumentDto)))]
#[get("/higher-documents/{id}")]
pub async fn get_document(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let document = visible_document(&mut conn, &auth, *id).await?;
    Ok(HttpResponse::Ok().json(document_dto(document)?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ObligationDto {
    pub id: Uuid,
    pub higher_document_id: Uuid,
    pub higher_document_title: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub due_on: NaiveDate,
    pub status: RepostStatus,
    /// The special check's verdict today.
    pub standing: RepostStanding,
    pub repost_url: Option<String>,
    pub reposted_on: Option<NaiveDate>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub version: i32,
}

fn obligation_dto(o: Obligation, today: NaiveDate) -> ApiResult<ObligationDto> {
    Ok(ObligationDto {
        status: o.row.status()?,
        standing: o.row.standing(today),
        id: o.row.id,
        higher_document_id: o.row.higher_document_id,
        higher_document_title: o.document_title,
        organization_id: o.row.organization_id,
        organization_name: o.organization_name,
        due_on: o.row.due_on,
        repost_url: o.row.repost_url,
        reposted_on: o.row.reposted_on,
        recorded_at: o.row.recorded_at,
        version: o.row.version,
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganizationStanding {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    pub pending: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RepostReport {
    /// The day the standings were read.
    pub as_of: NaiveDate,
    pub on_time: u32,
    pub late: u32,
    pub missing: u32,
    pub pending: u32,
    /// One line per organization, by name.
    pub organizations: Vec<OrganizationStanding>,
    /// Every obligation with its standing.
    pub obligations: Vec<ObligationDto>,
}

fn report(obligations: Vec<Obligation>, today: NaiveDate) -> ApiResult<RepostReport> {
    let mut total = StandingCounts::default();
    let mut per_org: BTreeMap<(String, Uuid), StandingCounts> = BTreeMap::new();
    let mut lines = Vec::new();
    for o in obligations {
        let standing = o.row.standing(today);
        total.add(standing);
        per_org.entry((o.organization_name.clone(), o.row.organization_id)).or_default().add(standing);
        lines.push(obligation_dto(o, today)?);
    }
    let organizations = per_org
        .into_iter()
        .map(|((organization_name, organization_id), c)| OrganizationStanding {
            organization_id,
            organization_name,
            on_time: c.on_time,
            late: c.late,
            missing: c.missing,
            pending: c.pending,
        })
        .collect();
    Ok(RepostReport {
        as_of: today,
        on_time: total.on_time,
        late: total.late,
        missing: total.missing,
        pending: total.pending,
        organizations,
        obligations: lines,
    })
}

fn require_checker(auth: &Auth) -> ApiResult<()> {
    if auth.principal.has_role(Role::GovOffice) || auth.principal.has_role(Role::SystemAdmin) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The special check of one document (government office): each organization's obligation as on time, late, missing or not yet due.
#[utoipa::path(operation_id = "higher_document_report", tag = "reposts", params(("id" = Uuid, Path, description = "Higher-level document id")), responses((status = 200, description = "The special check", body = RepostReport)))]
#[get("/higher-documents/{id}/report")]
pub async fn document_report(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let document = visible_document(&mut conn, &auth, *id).await?;
    require_checker(&auth)?;
    let filter = ObligationFilter { higher_document_id: Some(document.id), ..Default::default() };
    let obligations = store::obligations(&mut conn, &filter, None, None).await?;
    Ok(HttpResponse::Ok().json(report(obligations, state.today())?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportPeriod {
    /// Documents registered on or after this day.
    pub from: Option<NaiveDate>,
    /// Documents registered on or before this day.
    pub to: Option<NaiveDate>,
}

/// The periodic special check (government office): every obligation of the county's documents registered in the period, per organization.
#[utoipa::path(operation_id = "repost_report", tag = "reposts", params(ReportPeriod), responses((status = 200, description = "The special check", body = RepostReport)))]
#[get("/repost-reports")]
pub async fn period_report(
    state: web::Data<AppState>,
    auth: Auth,
    period: web::Query<ReportPeriod>,
) -> ApiResult<HttpResponse> {
    require_checker(&auth)?;
    for (field, day) in [("from", period.from), ("to", period.to)] {
        if day.is_some_and(|d| d < rules::EARLIEST_DATE) {
            let (zh, en) = crate::routes::requests::field_message("before_2000");
            return Err(ApiError::field(field, "before_2000", zh, en));
        }
    }
    if let (Some(from), Some(to)) = (period.from, period.to) {
        if from > to {
            return Err(ApiError::field(
                "to",
                "before_start",
                "结束日期早于开始日期",
                "The period ends before it starts",
            ));
        }
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let filter =
        ObligationFilter { orgs, registered_from: period.from, registered_to: period.to, ..Default::default() };
    let obligations = store::obligations(&mut conn, &filter, None, None).await?;
    Ok(HttpResponse::Ok().json(report(obligations, state.today())?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    pub status: Option<RepostStatus>,
    /// Only pending obligations past their deadline.
    pub missing: Option<bool>,
    pub higher_document_id: Option<Uuid>,
}

/// Repost obligations of the caller's organization (the county's for the government office).
#[utoipa::path(operation_id = "list_repost_obligations", tag = "reposts", params(PageParams, ObligationQuery), responses((status = 200, description = "A page", body = Page<ObligationDto>)))]
#[get("/repost-obligations")]
pub async fn list_obligations(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
    query: web::Query<ObligationQuery>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let today = state.today();
    let mut conn = persistence::connection(&state.pool).await?;
    let filter = ObligationFilter {
        orgs: staff_scope::listable(&mut conn, &auth.principal).await?,
        higher_document_id: query.higher_document_id,
        status: query.status,
        missing_on: query.missing.unwrap_or(false).then_some(today),
        ..Default::default()
    };
    let rows = store::obligations(&mut conn, &filter, page.after_id()?, Some(i64::from(limit) + 1)).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(|o| obligation_dto(o, today)).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |o| o.id)))
}

async fn visible_obligation(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Obligation> {
    let row = store::get_obligation(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, row.organization_id).await? {
        return Err(ApiError::not_found());
    }
    let filter = ObligationFilter { id: Some(id), ..Default::default() };
    store::obligations(conn, &filter, None, Some(1)).await?.into_iter().next().ok_or_else(ApiError::not_found)
}

const OBLIGATION_ID: &str = "Repost obligation id";

/// One repost obligation.
#[utoipa::path(operation_id = "get_repost_obligation", tag = "reposts", params(("id" = Uuid, Path, description = OBLIGATION_ID)), responses((status = 200, description = "The obligation", body = ObligationDto)))]
#[get("/repost-obligations/{id}")]
pub async fn get_obligation(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let today = state.today();
    let mut conn = persistence::connection(&state.pool).await?;
    let obligation = visible_obligation(&mut conn, &auth, *id).await?;
    let version = obligation.row.version;
    Ok(ok_with_etag(&obligation_dto(obligation, today)?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepostInput {
    /// The repost's address on the organization's site.
    #[validate(length(min = 10, max = 2000), custom(function = "web_address"))]
    #[schema(min_length = 10, max_length = 2000, example = "https://www.yuanmou.gov.cn/mzj/zcwj/2026/1103.html")]
    pub url: String,
    /// The day the repost went online: not before the original, not after today.
    pub reposted_on: NaiveDate,
}

/// Records the repost (openness officer of the organization); 409 `already_reposted`; 422 on `reposted_on` (`before_original`, `in_future`).
#[utoipa::path(operation_id = "record_repost", tag = "reposts", params(("id" = Uuid, Path, description = OBLIGATION_ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = RepostInput, responses((status = 200, description = "The obligation", body = ObligationDto)))]
#[post("/repost-obligations/{id}/repost")]
pub async fn repost(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RepostInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let today = state.today();
    let mut conn = persistence::connection(&state.pool).await?;
    let obligation = visible_obligation(&mut conn, &auth, *id).await?;
    if !staff_scope::is_openness_officer_of(&auth.principal, obligation.row.organization_id) {
        return Err(ApiError::forbidden());
    }
    let user = Some(auth.principal.subject());
    let input = body.0;
    store::record_repost(&mut conn, &auth.actor(), *id, expected, input.url.trim(), input.reposted_on, today, user)
        .await?;
    let saved = visible_obligation(&mut conn, &auth, *id).await?;
    let version = saved.row.version;
    Ok(ok_with_etag(&obligation_dto(saved, today)?, version))
}
