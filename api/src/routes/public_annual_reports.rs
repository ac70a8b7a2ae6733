//! Published annual reports, for everyone: exactly as the principal published them, in JSON,
//! XLSX (the official table layout) or HTML.

use actix_web::{get, web, HttpRequest, HttpResponse};
use domain::annual_reports::AnnualReportStatus;
use persistence::annual_reports::{self as store, ReportFilter};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::http::pagination::{Page, PageParams};
use crate::routes::annual_report_views::{self as views, AnnualReportDto};
use crate::routes::annual_reports::{negotiate, page_dtos, respond, FormatParam};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicReportQuery {
    /// Only this organization's reports.
    pub org: Option<Uuid>,
    pub year: Option<i32>,
}

/// Published annual reports, newest first.
#[utoipa::path(operation_id = "list_public_annual_reports", tag = "public", security(()), params(PublicReportQuery, PageParams), responses((status = 200, description = "A page", body = Page<AnnualReportDto>)))]
#[get("/annual-reports")]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PublicReportQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let filter =
        ReportFilter { organization_id: query.org, year: query.year, status: Some(AnnualReportStatus::Published) };
    let rows = store::list(&mut conn, None, &filter, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = page_dtos(&mut conn, rows, state.today()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", super::public::PUBLIC_CACHE_CONTROL))
        .json(Page::after_split(items, more, |r| r.id)))
}

/// One published report: JSON, or `?format=xlsx|html`; 404 for anything not published.
#[utoipa::path(operation_id = "get_public_annual_report", tag = "public", security(()), params(("id" = Uuid, Path, description = "Annual report id"), FormatParam), responses((status = 200, description = "The report",
    content((AnnualReportDto = "application/json"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "text/html")))))]
#[get("/annual-reports/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let found = store::get(&mut conn, *id).await?;
    if found.status != AnnualReportStatus::Published.as_str() {
        return Err(ApiError::not_found());
    }
    let name = persistence::organizations::get(&conn, found.organization_id).await?.name;
    let dto = views::dto(found, name, state.today())?;
    let format = negotiate(query.format, &req);
    respond(&dto, format, Some("public, max-age=300"))
}
