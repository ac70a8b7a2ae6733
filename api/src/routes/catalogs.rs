//! Proactive-disclosure catalogs (主动公开基本目录, DOMAIN.md §4): one per organization, its items
//! written as a draft (JSON, or a CSV/XLSX sheet with the standard Chinese headers, every bad cell
//! reported and nothing imported while one is bad) and published as a whole as a new version; the
//! area reference list (the 26 standard areas plus the county's own).

use std::collections::HashMap;

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::catalogs::{self as rules, CatalogItemDraft, CellError};
use domain::Role;
use persistence::catalogs::{self as store, Catalog, CatalogItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult, Localized, RowProblem};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::{read_limited_to, ValidJson};
use crate::http::pagination::{Page, PageParams};
use crate::http::spreadsheet::{self, TableFormat};
use crate::routes::not_blank;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogAreaDto {
    pub id: Uuid,
    pub name: String,
    /// One of the 26 grassroots standard areas (国办发〔2019〕54号), or the county's own.
    pub standard: bool,
    pub position: i32,
}

impl From<store::CatalogArea> for CatalogAreaDto {
    fn from(a: store::CatalogArea) -> Self {
        CatalogAreaDto { id: a.id, name: a.name, standard: a.county_id.is_none(), position: a.position }
    }
}

/// The standard areas and the caller's county's own, standard first.
#[utoipa::path(operation_id = "list_catalog_areas", tag = "catalogs", responses((status = 200, description = "The areas", body = Vec<CatalogAreaDto>)))]
#[get("/catalog-areas")]
pub async fn list_areas(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal);
    if org.is_none() && !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let county = match org {
        Some(org) => persistence::organizations::county_of(&conn, org).await?,
        None => None,
    };
    let areas: Vec<CatalogAreaDto> = store::areas(&mut conn, county).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(areas))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogAreaInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "宅基地审批")]
    pub name: String,
}

/// Adds a local area for the county (government office); 422 `area_exists` for a name already listed.
#[utoipa::path(operation_id = "create_catalog_area", tag = "catalogs", request_body = CatalogAreaInput, responses((status = 201, description = "Added", body = CatalogAreaDto)))]
#[post("/catalog-areas")]
pub async fn create_area(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<CatalogAreaInput>,
) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal)
        .filter(|_| auth.principal.has_role(Role::GovOffice))
        .ok_or_else(ApiError::forbidden)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = persistence::organizations::county_of(&conn, org).await?.ok_or_else(ApiError::forbidden)?;
    let area = store::add_area(&mut conn, &auth.actor(), county, body.0.name.trim()).await?;
    Ok(HttpResponse::Created().json(CatalogAreaDto::from(area)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    /// Items in the draft.
    pub item_count: usize,
    /// The draft differs from the latest published version (or none is published yet).
    pub has_unpublished_changes: bool,
    pub latest_version: Option<i32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn dto(conn: &mut persistence::PooledConnection, catalog: Catalog) -> ApiResult<CatalogDto> {
    let item_count = store::items(conn, catalog.id).await?.len();
    let latest_version = store::versions(conn, catalog.id).await?.first().map(|v| v.0);
    Ok(CatalogDto {
        has_unpublished_changes: catalog.has_unpublished_changes(),
        item_count,
        latest_version,
        id: catalog.id,
        organization_id: catalog.organization_id,
        title: catalog.title,
        version: catalog.version,
        created_at: catalog.created_at,
        updated_at: catalog.updated_at,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县民政局主动公开基本目录")]
    pub title: String,
}

/// Opens the organization's catalog (openness officer; one per organization, 409 `catalog_exists`).
#[utoipa::path(operation_id = "create_catalog", tag = "catalogs", request_body = CatalogInput, responses((status = 201, description = "Created", body = CatalogDto)))]
#[post("/catalogs")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<CatalogInput>) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    if !staff_scope::is_openness_officer_of(&auth.principal, org) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let user = Some(auth.principal.subject());
    let catalog = store::create(&mut conn, &auth.actor(), org, body.0.title.trim(), user).await?;
    let location = format!("/api/v1/catalogs/{}", catalog.id);
    let version = catalog.version;
    Ok(created_with_etag(&dto(&mut conn, catalog).await?, version, &location))
}

/// Catalogs of the caller's organization (the county's for the government office).
#[utoipa::path(operation_id = "list_catalogs", tag = "catalogs", params(PageParams), responses((status = 200, description = "A page", body = Page<CatalogDto>)))]
#[get("/catalogs")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut page = Vec::new();
    for catalog in rows {
        page.push(dto(&mut conn, catalog).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(page, more, |c| c.id)))
}

/// The catalog, for those who see its organization's records; 404 otherwise.
async fn visible(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Catalog> {
    let catalog = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, catalog.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(catalog)
}

/// Drafters and openness officers of the organization write the items.
fn may_write_items(auth: &Auth, catalog: &Catalog) -> ApiResult<()> {
    let own = own_org(&auth.principal) == Some(catalog.organization_id);
    let role = auth.principal.has_role(Role::Drafter) || auth.principal.has_role(Role::OpennessOfficer);
    if own && role {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

const ID: &str = "Catalog id";

/// One catalog.
#[utoipa::path(operation_id = "get_catalog", tag = "catalogs", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The catalog", body = CatalogDto)))]
#[get("/catalogs/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    let version = catalog.version;
    Ok(ok_with_etag(&dto(&mut conn, catalog).await?, version))
}

/// One item of a catalog, with the area by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogItemDto {
    pub position: i32,
    pub area_id: Uuid,
    #[serde(flatten)]
    pub item: CatalogItemDraft,
}

impl From<CatalogItem> for CatalogItemDto {
    fn from(i: CatalogItem) -> Self {
        CatalogItemDto { position: i.position, area_id: i.area_id, item: i.item }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogItemsDto {
    pub catalog_id: Uuid,
    pub items: Vec<CatalogItemDto>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (default), `csv` or `xlsx`; `Accept: text/csv` or the XLSX type work too.
    pub format: Option<TableFormat>,
}

/// Answers items as JSON, or as the standard sheet in CSV or XLSX.
pub fn items_response(
    req: &HttpRequest,
    format: Option<TableFormat>,
    catalog_id: Uuid,
    rows: Vec<CatalogItem>,
    filename: &str,
    version: Option<i32>,
) -> ApiResult<HttpResponse> {
    match spreadsheet::negotiate(format, req.headers()) {
        TableFormat::Json => {
            let body = CatalogItemsDto { catalog_id, items: rows.into_iter().map(Into::into).collect() };
            Ok(match version {
                Some(v) => ok_with_etag(&body, v),
                None => HttpResponse::Ok().json(body),
            })
        }
        format => {
            let drafts: Vec<CatalogItemDraft> = rows.into_iter().map(|r| r.item).collect();
            let rows = rules::write_sheet(&drafts);
            if format == TableFormat::Csv {
                spreadsheet::csv_response(&rows, filename)
            } else {
                spreadsheet::xlsx_response(&rows, "主动公开基本目录", filename)
            }
        }
    }
}

/// The draft items, as JSON, CSV or XLSX (`?format=`), with the standard Chinese headers.
#[utoipa::path(operation_id = "list_catalog_items", tag = "catalogs", params(("id" = Uuid, Path, description = ID), FormatParams), responses((status = 200, description = "The draft items", content((CatalogItemsDto = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
#[get("/catalogs/{id}/items")]
pub async fn items(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<FormatParams>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    let draft = store::items(&mut conn, catalog.id).await?;
    items_response(
        &req,
        query.format,
        catalog.id,
        draft,
        &format!("catalog-{}-draft", catalog.id),
        Some(catalog.version),
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogItemsInput {
    /// The whole draft, in order (at most 5,000 items; larger catalogs come as a sheet).
    pub items: Vec<CatalogItemDraft>,
}

impl Validate for CatalogItemsInput {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

async fn county_areas(conn: &mut persistence::PooledConnection, catalog: &Catalog) -> ApiResult<HashMap<String, Uuid>> {
    let county = persistence::organizations::county_of(conn, catalog.organization_id).await?;
    Ok(store::area_ids(conn, county).await?)
}

fn field_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "required" => ("必填", "Required"),
        "too_long" => ("内容过长", "Too long"),
        "invalid_text" => ("含有无法保存的字符", "Holds characters that cannot be stored"),
        "unknown_area" => {
            ("不是标准领域，也不是本县自定义的领域", "Neither a standard area nor one of the county's own")
        }
        "unknown_value" => ("不是可接受的取值", "Not an accepted value"),
        "unknown_channel" => ("不是已知的公开渠道和载体（可填“其他”）", "Not a known channel (use 其他 for others)"),
        "missing_column" => ("缺少必需的列", "A required column is missing"),
        "unknown_column" => ("无法识别的列名", "Unknown column header"),
        "duplicate_column" => ("列名重复", "The column appears twice"),
        "no_rows" => ("表格中没有任何事项", "The sheet holds no item"),
        "too_many_rows" => ("事项超过 5000 条", "More than 5,000 items"),
        _ => ("取值无效", "Invalid value"),
    }
}

/// 422 `catalog_rows_invalid` with every bad cell.
fn rows_invalid(errors: Vec<CellError>) -> ApiError {
    let count = errors.len();
    let rows = errors
        .into_iter()
        .map(|e| {
            let (zh, en) = field_message(e.code);
            let problem = RowProblem {
                line: e.line,
                column: e.column.to_owned(),
                field: e.field.to_owned(),
                code: e.code.to_owned(),
                message: String::new(),
                value: e.value,
            };
            (problem, Localized::new(zh, en))
        })
        .collect();
    ApiError {
        rows: Some(rows),
        ..ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "catalog_rows_invalid")
    }
    .detail(format!("共 {count} 处错误，未导入任何事项"), format!("{count} bad cells; nothing was imported"))
}

/// Replaces the draft items with the body's (drafter or openness officer of the organization); 422
/// `validation_failed` naming `items[i].field` for every bad item, nothing written.
#[utoipa::path(operation_id = "replace_catalog_items", tag = "catalogs", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = CatalogItemsInput, responses((status = 200, description = "The catalog", body = CatalogDto)))]
#[put("/catalogs/{id}/items")]
pub async fn replace_items(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<CatalogItemsInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    may_write_items(&auth, &catalog)?;
    let areas = county_areas(&mut conn, &catalog).await?;
    if body.0.items.len() > rules::MAX_ITEMS {
        return Err(ApiError::field("items", "too_many_rows", "事项超过 5000 条", "More than 5,000 items"));
    }
    let drafts: Vec<CatalogItemDraft> = body
        .0
        .items
        .into_iter()
        .map(|mut item| {
            item.area = item.area.trim().to_owned();
            item
        })
        .collect();
    let mut error: Option<ApiError> = None;
    for (index, draft) in drafts.iter().enumerate() {
        for (column, code) in rules::text_problems(draft, |a| areas.contains_key(a)) {
            let (zh, en) = field_message(code);
            let field = format!("items[{index}].{}", column.field());
            error = Some(match error {
                Some(e) => e.and_field(&field, code, zh, en),
                None => ApiError::field(&field, code, zh, en),
            });
        }
    }
    if let Some(error) = error {
        return Err(error);
    }
    let saved = store::replace_items(&mut conn, &auth.actor(), catalog.id, expected, &drafts, &areas, "json").await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

/// Replaces the draft items with a sheet (`Content-Type: text/csv` in UTF-8, or XLSX; first sheet,
/// header row first, the standard Chinese headers in any order); 422 `catalog_rows_invalid` lists
/// every bad cell by line and column and nothing is imported.
#[utoipa::path(operation_id = "import_catalog_items", tag = "catalogs", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body(description = "The sheet", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), responses((status = 200, description = "The catalog", body = CatalogDto)))]
#[post("/catalogs/{id}/import")]
pub async fn import(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    may_write_items(&auth, &catalog)?;
    let format = spreadsheet::upload_format(req.headers())?;
    // No pooled connection waits on the client's upload or the parsing.
    drop(conn);
    let bytes = read_limited_to(req.headers(), &mut payload, spreadsheet::SHEET_LIMIT_BYTES).await?;
    let sheet = web::block(move || spreadsheet::read(format, &bytes)).await.map_err(|_| ApiError::internal())??;
    let mut conn = persistence::connection(&state.pool).await?;
    let areas = county_areas(&mut conn, &catalog).await?;
    let drafts = rules::read_sheet(&sheet, |a| areas.contains_key(a)).map_err(rows_invalid)?;
    let source = if format == TableFormat::Csv { "csv" } else { "xlsx" };
    let saved = store::replace_items(&mut conn, &auth.actor(), catalog.id, expected, &drafts, &areas, source).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

/// Publishes the draft as the next version, as a whole (openness officer); 409 `catalog_empty` or
/// `catalog_unchanged`. Earlier versions stay readable.
#[utoipa::path(operation_id = "publish_catalog", tag = "catalogs", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The catalog", body = CatalogDto)))]
#[post("/catalogs/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    if !staff_scope::is_openness_officer_of(&auth.principal, catalog.organization_id) {
        return Err(ApiError::forbidden());
    }
    let user = Some(auth.principal.subject());
    let (saved, _) = store::publish(&mut conn, &auth.actor(), catalog.id, expected, user).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogVersionDto {
    pub number: i32,
    pub item_count: i32,
    pub published_at: DateTime<Utc>,
}

/// The published versions, newest first (read any of them at `/public/catalogs/{id}?version=`).
#[utoipa::path(operation_id = "list_catalog_versions", tag = "catalogs", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The versions", body = Vec<CatalogVersionDto>)))]
#[get("/catalogs/{id}/versions")]
pub async fn versions(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let catalog = visible(&mut conn, &auth, *id).await?;
    let body: Vec<CatalogVersionDto> = store::versions(&mut conn, catalog.id)
        .await?
        .into_iter()
        .map(|(number, item_count, published_at)| CatalogVersionDto { number, item_count, published_at })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
