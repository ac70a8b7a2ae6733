//! The statutory annual report (条例第四十九、五十条): `POST /annual-reports` creates or recounts an
//! organization's draft for a past year from the data; the openness officer (or the county's
//! government office) enters table 二's numbers from other systems and the text sections; the head
//! of the openness office (or the government office) reviews it; the principal publishes it, after
//! which it never changes. The public reads published reports in JSON, XLSX or HTML.

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use domain::annual_reports::{AnnualReportStatus, ReportDeadlines};
use domain::{Principal, Role, Scope};
use persistence::annual_reports::{self as store, AnnualReport, ReportAct, ReportEdits, ReportFilter};
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
use crate::http::spreadsheet::{attachment, XLSX_MIME};
use crate::routes::annual_report_views::{self as views, AnnualReportDto};
use crate::routes::rectifications::county_gov_office;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// The field messages of the annual report, in both languages.
fn field_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "year_not_ended" => ("只能编制已结束年度的报告", "Only a year that has ended can be reported on"),
        "out_of_range" => ("年度超出范围", "The year is out of range"),
        "not_found" => ("所指记录不存在", "The referenced record does not exist"),
        "no_annual_report" => {
            ("该类机关不编制政府信息公开年度报告", "Organizations of this kind do not publish an annual report")
        }
        "required" => ("提交审核前须填写总体情况", "The overview must be written before review"),
        "invalid_deadline" => (
            "乡镇报告期限须为次年1月1日至3月31日之间的有效日期",
            "The township deadline must be a real day from 1 January to 31 March",
        ),
        "in_future" | "date_in_future" => ("日期不能晚于今天", "The date cannot be after today"),
        "before_2000" => ("日期早于2000年，可能是输入错误", "The date is before 2000, probably a typing error"),
        "before_filed" => ("结案日期早于立案日期", "The case cannot end before it was brought"),
        "role_needs_litigation_after_reconsideration" => (
            "只有复议后起诉的案件才有复议机关作为共同被告",
            "Only a lawsuit after reconsideration has the reconsideration body as co-defendant",
        ),
        _ => ("取值不被接受", "The value is not accepted"),
    }
}

pub fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::InvalidField { field, code } => {
            let (zh, en) = field_message(code);
            ApiError::field(field, code, zh, en)
        }
        other => other.into(),
    }
}

/// The organizations whose reports the caller reads (`None`: all): the system administrator all;
/// a machine client with `reports:read` those of its own organization's county; staff by their
/// usual scope.
async fn readable(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Option<Vec<Uuid>>> {
    if principal.has_role(Role::SystemAdmin) {
        return Ok(None);
    }
    if principal.has_scope(Scope::ReportsRead) {
        let county = staff_scope::client_county(conn, principal).await?;
        return Ok(Some(organizations::in_county(conn, county).await?));
    }
    staff_scope::listable(conn, principal).await
}

async fn sees(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    if principal.has_scope(Scope::ReportsRead) {
        return Ok(readable(conn, principal).await?.is_none_or(|orgs| orgs.contains(&org)));
    }
    staff_scope::sees(conn, principal, org).await
}

/// Drafts and edits: the organization's openness officer, or the government office of its county
/// (which compiles the county government's own report).
async fn may_draft(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    Ok(staff_scope::is_openness_officer_of(principal, org) || county_gov_office(conn, principal, org).await?)
}

/// Review and reopening: the head of the organization's openness office, or the county's government office.
async fn may_review(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    Ok((own_org(principal) == Some(org) && principal.has_role(Role::OpennessHead))
        || county_gov_office(conn, principal, org).await?)
}

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<AnnualReport> {
    let found = store::get(conn, id).await?;
    if !sees(conn, &auth.principal, found.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(found)
}

async fn to_dto(conn: &mut PooledConnection, report: AnnualReport, today: NaiveDate) -> ApiResult<AnnualReportDto> {
    let name = organizations::get(conn, report.organization_id).await?.name;
    views::dto(report, name, today)
}

/// A report's representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Xlsx,
    Html,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (default), `xlsx` (the official table layout) or `html` (a page ready to publish); also by `Accept`.
    pub format: Option<ReportFormat>,
}

pub fn negotiate(query: Option<ReportFormat>, req: &HttpRequest) -> ReportFormat {
    if let Some(format) = query {
        return format;
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains(XLSX_MIME) {
        ReportFormat::Xlsx
    } else if accept.contains("text/html") {
        ReportFormat::Html
    } else {
        ReportFormat::Json
    }
}

/// The report in the asked format; JSON carries the ETag of its version.
pub fn respond(report: &AnnualReportDto, format: ReportFormat, cache: Option<&str>) -> ApiResult<HttpResponse> {
    let mut response = match format {
        ReportFormat::Json => ok_with_etag(report, report.version),
        ReportFormat::Xlsx => {
            let body = views::xlsx(report).map_err(|e| {
                tracing::error!(error = %e, "could not write the annual report workbook");
                ApiError::internal()
            })?;
            HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, XLSX_MIME))
                .insert_header(attachment(&format!("annual-report-{}-{}.xlsx", report.year, report.id)))
                .body(body)
        }
        ReportFormat::Html => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(views::html(report)),
    };
    if let Some(cache) = cache {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, header::HeaderValue::from_str(cache).map_err(|_| ApiError::internal())?);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReportInput {
    pub organization_id: Uuid,
    /// A year that has ended.
    #[validate(range(min = 2008, max = 2100))]
    #[schema(minimum = 2008, maximum = 2100, example = 2025)]
    pub year: i32,
}

/// Creates the organization's draft for the year from the data (201), or recounts its existing
/// draft (200); 409 `annual_report_not_draft` once reviewed. The county government's report
/// counts its whole county.
#[utoipa::path(operation_id = "create_annual_report", tag = "annual-reports", request_body = CreateReportInput, responses(
    (status = 201, description = "The new draft", body = AnnualReportDto),
    (status = 200, description = "The recounted draft", body = AnnualReportDto)))]
#[post("/annual-reports")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<CreateReportInput>,
) -> ApiResult<HttpResponse> {
    let input = body.0;
    let mut conn = persistence::connection(&state.pool).await?;
    let org_visible = match organizations::get(&conn, input.organization_id).await {
        Ok(_) => staff_scope::sees(&mut conn, &auth.principal, input.organization_id).await?,
        Err(StoreError::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if own_org(&auth.principal).is_none() && !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    if !org_visible {
        return Err(store_error(StoreError::InvalidField { field: "organization_id", code: "not_found" }));
    }
    if !may_draft(&mut conn, &auth.principal, input.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    let today = state.today();
    let actor = auth.actor();
    let first = store::create_or_recompute(&mut conn, &actor, input.organization_id, input.year, today).await;
    // Two creations at once: the one that lost the insert recounts the draft the other created.
    let outcome = match first {
        Err(StoreError::Conflict { constraint }) if constraint == "annual_reports_org_year_key" => {
            store::create_or_recompute(&mut conn, &actor, input.organization_id, input.year, today).await
        }
        other => other,
    };
    let (saved, created) = outcome.map_err(store_error)?;
    let dto = to_dto(&mut conn, saved, today).await?;
    if created {
        Ok(created_with_etag(&dto, dto.version, &format!("/api/v1/annual-reports/{}", dto.id)))
    } else {
        Ok(ok_with_etag(&dto, dto.version))
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only this organization's reports.
    pub org: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<AnnualReportStatus>,
}

/// Reports the caller sees (its organization's; the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_annual_reports", tag = "annual-reports", params(ReportQuery, PageParams), responses((status = 200, description = "A page", body = Page<AnnualReportDto>)))]
#[get("/annual-reports")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ReportQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = readable(&mut conn, &auth.principal).await?;
    let filter = ReportFilter { organization_id: query.org, year: query.year, status: query.status };
    let rows = store::list(&mut conn, orgs.as_deref(), &filter, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = page_dtos(&mut conn, rows, state.today()).await?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |r| r.id)))
}

/// A page of reports with their organizations' names, in one query for the names.
pub async fn page_dtos(
    conn: &mut PooledConnection,
    rows: Vec<AnnualReport>,
    today: NaiveDate,
) -> ApiResult<Vec<AnnualReportDto>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.organization_id).collect();
    let names = organizations::names(conn, &ids).await?;
    rows.into_iter()
        .map(|r| {
            let name = names.get(&r.organization_id).cloned().unwrap_or_default();
            views::dto(r, name, today)
        })
        .collect()
}

const ID: &str = "Annual report id";

/// One report: JSON, or `?format=xlsx|html`.
#[utoipa::path(operation_id = "get_annual_report", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), FormatParam), responses((status = 200, description = "The report",
    content((AnnualReportDto = "application/json"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/html")))))]
#[get("/annual-reports/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    let dto = to_dto(&mut conn, found, state.today()).await?;
    respond(&dto, negotiate(query.format, &req), None)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditReportInput {
    /// 一、总体情况.
    #[validate(length(max = 50000))]
    #[schema(max_length = 50000)]
    pub overview: String,
    /// 五、存在的主要问题及改进情况.
    #[validate(length(max = 50000))]
    #[schema(max_length = 50000)]
    pub problems_and_improvements: String,
    /// 六、其他需要报告的事项 (the fee sentence is added from the data).
    #[validate(length(max = 50000))]
    #[schema(max_length = 50000)]
    pub other_matters: String,
    /// 行政许可 decisions in the year.
    #[validate(range(min = 0, max = 100000000))]
    pub licensing_decisions: i64,
    /// 行政处罚 decisions in the year.
    #[validate(range(min = 0, max = 100000000))]
    pub penalty_decisions: i64,
    /// 行政强制 decisions in the year.
    #[validate(range(min = 0, max = 100000000))]
    pub enforcement_decisions: i64,
    /// 行政事业性收费 collected in the year, in fen (shown in 万元).
    #[validate(range(min = 0, max = 100_000_000_000_000i64))]
    pub administrative_fees_fen: i64,
}

/// Saves the entered numbers and texts of a draft (who may draft it); 409 `annual_report_not_draft` otherwise.
#[utoipa::path(operation_id = "edit_annual_report", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = EditReportInput, responses((status = 200, description = "The report", body = AnnualReportDto)))]
#[put("/annual-reports/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<EditReportInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    if !may_draft(&mut conn, &auth.principal, found.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let edits = ReportEdits {
        overview: input.overview.trim().to_string(),
        problems_and_improvements: input.problems_and_improvements.trim().to_string(),
        other_matters: input.other_matters.trim().to_string(),
        licensing_decisions: input.licensing_decisions,
        penalty_decisions: input.penalty_decisions,
        enforcement_decisions: input.enforcement_decisions,
        administrative_fees_fen: input.administrative_fees_fen,
    };
    let saved = store::edit(&mut conn, &auth.actor(), *id, expected, &edits).await.map_err(store_error)?;
    let dto = to_dto(&mut conn, saved, state.today()).await?;
    Ok(ok_with_etag(&dto, dto.version))
}

async fn act(state: &AppState, auth: &Auth, req: &HttpRequest, id: Uuid, act: ReportAct) -> ApiResult<HttpResponse> {
    let expected = expected_version(req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, auth, id).await?;
    let allowed = match act {
        ReportAct::Review | ReportAct::Reopen => may_review(&mut conn, &auth.principal, found.organization_id).await?,
        ReportAct::Publish => {
            own_org(&auth.principal) == Some(found.organization_id) && auth.principal.has_role(Role::Principal)
        }
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let today = state.today();
    let saved = store::act(&mut conn, &auth.actor(), id, expected, act, today).await.map_err(store_error)?;
    let dto = to_dto(&mut conn, saved, today).await?;
    Ok(ok_with_etag(&dto, dto.version))
}

/// Marks the draft reviewed (head of the openness office, or the county's government office);
/// 422 `required` on `overview` while section 一 is empty; 409 `annual_report_state_conflict` unless `draft`.
#[utoipa::path(operation_id = "review_annual_report", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The report", body = AnnualReportDto)))]
#[post("/annual-reports/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    act(&state, &auth, &req, *id, ReportAct::Review).await
}

/// Sends a reviewed report back to draft for changes (who may review it); 409 `annual_report_state_conflict` unless `reviewed`.
#[utoipa::path(operation_id = "reopen_annual_report", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The report", body = AnnualReportDto)))]
#[post("/annual-reports/{id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    act(&state, &auth, &req, *id, ReportAct::Reopen).await
}

/// Publishes the reviewed report (the organization's principal); it never changes afterwards.
/// 409 `annual_report_state_conflict` unless `reviewed`.
#[utoipa::path(operation_id = "publish_annual_report", tag = "annual-reports", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The report", body = AnnualReportDto)))]
#[post("/annual-reports/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    act(&state, &auth, &req, *id, ReportAct::Publish).await
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnnualReportObligationDto {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub organization_kind: domain::OrganizationKind,
    pub year: i32,
    pub due_on: NaiveDate,
    pub report_id: Option<Uuid>,
    pub status: Option<AnnualReportStatus>,
    pub published_on: Option<NaiveDate>,
    /// Published after `due_on`, or still unpublished after it.
    pub late: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadlineQuery {
    /// The report year (the reports are due in the following year).
    pub year: i32,
    /// `true`: only the late ones.
    pub late: Option<bool>,
}

/// Who owes which year's report, by when, and who is late: departments by 31 January, the county
/// government by 31 March, townships by the county's setting (its organization for staff, the
/// county for the government office).
#[utoipa::path(operation_id = "list_annual_report_deadlines", tag = "annual-reports", params(DeadlineQuery), responses((status = 200, description = "The obligations", body = Vec<AnnualReportObligationDto>)))]
#[get("/annual-report-deadlines")]
pub async fn deadlines(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<DeadlineQuery>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = readable(&mut conn, &auth.principal).await?;
    if !(2008..=2100).contains(&query.year) {
        return Err(store_error(StoreError::InvalidField { field: "year", code: "out_of_range" }));
    }
    let today = state.today();
    let items: Vec<AnnualReportObligationDto> =
        persistence::annual_report_deadlines::obligations(&mut conn, orgs.as_deref(), query.year)
            .await?
            .into_iter()
            .map(|o| AnnualReportObligationDto {
                late: o.late(today),
                organization_id: o.organization_id,
                organization_name: o.organization_name,
                organization_kind: o.kind,
                year: o.year,
                due_on: o.due_on,
                report_id: o.report_id,
                status: o.status,
                published_on: o.published_on,
            })
            .filter(|o| query.late != Some(true) || o.late)
            .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// Month of the following year by which townships publish (1–3).
    #[validate(range(min = 1, max = 3))]
    #[schema(minimum = 1, maximum = 3, example = 1)]
    pub township_due_month: u32,
    #[validate(range(min = 1, max = 31))]
    #[schema(minimum = 1, maximum = 31, example = 31)]
    pub township_due_day: u32,
}

/// The townships' report deadline (any staff member reads it).
#[utoipa::path(operation_id = "get_annual_report_settings", tag = "annual-reports", responses((status = 200, description = "The settings", body = ReportSettings)))]
#[get("/annual-report-settings")]
pub async fn settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let reads_all = auth.principal.has_role(Role::SystemAdmin) || auth.principal.has_scope(Scope::ReportsRead);
    if own_org(&auth.principal).is_none() && !reads_all {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let d = store::deadlines(&mut conn).await?;
    Ok(HttpResponse::Ok()
        .json(ReportSettings { township_due_month: d.township_month, township_due_day: d.township_day }))
}

/// Sets the townships' report deadline (system administrator); 422 `invalid_deadline` for a day that does not exist.
#[utoipa::path(operation_id = "update_annual_report_settings", tag = "annual-reports", request_body = ReportSettings, responses((status = 200, description = "The settings", body = ReportSettings)))]
#[put("/annual-report-settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ReportSettings>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let value = ReportDeadlines { township_month: body.0.township_due_month, township_day: body.0.township_due_day };
    let mut conn = persistence::connection(&state.pool).await?;
    store::set_deadlines(&mut conn, &auth.actor(), value).await.map_err(store_error)?;
    Ok(HttpResponse::Ok().json(body.0))
}
