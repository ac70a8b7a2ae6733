//! The published catalogs, for everyone: only versions an officer published, each exactly as it
//! was published; any earlier version by number; JSON, CSV or XLSX.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use persistence::catalogs as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::http::json_body::json_ok;
use crate::http::pagination::{Page, PageParams};
use crate::http::spreadsheet::{self, TableFormat};
use crate::routes::catalogs::{items_response, CatalogItemDto};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicCatalogSummary {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub title: String,
    pub latest_version: i32,
    pub item_count: i32,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicCatalogFilter {
    /// Only this organization's catalog.
    pub organization_id: Option<Uuid>,
}

/// Published catalogs with their latest version.
#[utoipa::path(operation_id = "list_public_catalogs", tag = "public", security(()), params(PageParams, PublicCatalogFilter), responses((status = 200, description = "A page", body = Page<PublicCatalogSummary>)))]
#[get("/catalogs")]
pub async fn list(
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
    filter: web::Query<PublicCatalogFilter>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let orgs = filter.organization_id.map(|o| vec![o]);
    let rows = store::published(&mut conn, orgs.as_deref(), page.after_id()?, i64::from(limit) + 1).await?;
    let page = Page::from_rows(
        rows,
        limit,
        |c| c.id,
        |c| PublicCatalogSummary {
            id: c.id,
            organization_id: c.organization_id,
            organization_name: c.organization_name,
            title: c.title,
            latest_version: c.latest_version,
            item_count: c.item_count,
            published_at: c.published_at,
        },
    );
    json_ok(super::public::PUBLIC_CACHE_CONTROL, &page, 384 * page.items.len() + 256)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicCatalogParams {
    /// A published version's number; the latest when omitted.
    pub version: Option<i32>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<TableFormat>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicCatalogDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub title: String,
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub items: Vec<CatalogItemDto>,
}

/// A published catalog version with its items (JSON, CSV or XLSX); 404 for a catalog never published or an unknown version.
#[utoipa::path(operation_id = "get_public_catalog", tag = "public", security(()), params(("id" = Uuid, Path, description = "Catalog id"), PublicCatalogParams), responses((status = 200, description = "The published catalog", content((PublicCatalogDto = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
#[get("/catalogs/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<PublicCatalogParams>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let catalog = store::get(&mut conn, *id).await?;
    let version = store::version(&mut conn, catalog.id, query.version).await?;
    let format = spreadsheet::negotiate(query.format, req.headers());
    if format != TableFormat::Json {
        let name = format!("catalog-{}-v{}", catalog.id, version.number);
        return items_response(&req, Some(format), catalog.id, version.items, &name, None);
    }
    let organization = persistence::organizations::get(&conn, catalog.organization_id).await?;
    let body = PublicCatalogDto {
        id: catalog.id,
        organization_id: catalog.organization_id,
        organization_name: organization.name,
        title: catalog.title,
        version: version.number,
        published_at: version.published_at,
        items: version.items.into_iter().map(Into::into).collect(),
    };
    json_ok(super::public::PUBLIC_CACHE_CONTROL, &body, 1024 * body.items.len() + 512)
}
