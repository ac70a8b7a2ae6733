//! Public reading venues (公共查阅点, seed §4.4 “发挥好图书馆、档案馆等公共查阅平台的作用”): the
//! county's government office keeps its venues and records which published documents were placed
//! where and when (`/api/v1/reading-venues`); everyone reads the venues with their public
//! documents (`/api/v1/public/reading-venues`), never a document that is not public.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::oversight::ReadingVenueKind;
use domain::Role;
use persistence::reading_venues::{self as store, Placement, Venue, VenueFields};
use persistence::{organizations, PooledConnection, StoreError};
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
use crate::routes::rectifications::{field_message, office_county, store_error};
use crate::routes::staff_scope::own_org;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县图书馆政府信息公开查阅点")]
    pub name: String,
    pub kind: ReadingVenueKind,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "元谋县元马镇龙川街")]
    pub address: String,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "周二至周日 9:00—17:30")]
    pub opening_hours: String,
}

fn fields_of(input: VenueInput) -> VenueFields {
    VenueFields {
        name: input.name.trim().to_owned(),
        kind: input.kind,
        address: input.address.trim().to_owned(),
        opening_hours: input.opening_hours.trim().to_owned(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacedDocumentDto {
    pub placement_id: Uuid,
    pub document_id: Uuid,
    pub doc_number: Option<String>,
    pub title: String,
    pub placed_on: NaiveDate,
}

fn placed(p: Placement) -> PlacedDocumentDto {
    PlacedDocumentDto {
        placement_id: p.id,
        document_id: p.document_id,
        doc_number: p.doc_number,
        title: p.title,
        placed_on: p.placed_on,
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VenueDto {
    pub id: Uuid,
    /// The county government whose office keeps the venue.
    pub county_id: Uuid,
    pub name: String,
    pub kind: ReadingVenueKind,
    pub address: String,
    pub opening_hours: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn dto(v: Venue) -> ApiResult<VenueDto> {
    Ok(VenueDto {
        kind: v.kind()?,
        id: v.id,
        county_id: v.county_id,
        name: v.name,
        address: v.address,
        opening_hours: v.opening_hours,
        version: v.version,
        created_at: v.created_at,
        updated_at: v.updated_at,
    })
}

/// The county of a member of staff with a role (`None` for the system administrator: all).
async fn staff_county(conn: &mut PooledConnection, auth: &Auth) -> ApiResult<Option<Uuid>> {
    if auth.principal.has_role(Role::SystemAdmin) {
        return Ok(None);
    }
    let own = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    organizations::county_of(conn, own).await?.map(Some).ok_or_else(ApiError::forbidden)
}

/// The venue, for staff of its county (404 otherwise).
async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Venue> {
    let venue = store::get(conn, id).await?;
    let county = match staff_county(conn, auth).await {
        Ok(county) => county,
        Err(_) => return Err(ApiError::not_found()),
    };
    if county.is_some_and(|c| c != venue.county_id) {
        return Err(ApiError::not_found());
    }
    Ok(venue)
}

/// The venue, for its county's government office (404 for other counties, 403 for other staff).
async fn office_venue(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Venue> {
    let venue = visible(conn, auth, id).await?;
    if office_county(conn, &auth.principal).await? != venue.county_id {
        return Err(ApiError::forbidden());
    }
    Ok(venue)
}

/// Adds a reading venue of the county (government office).
#[utoipa::path(operation_id = "create_reading_venue", tag = "reading-venues", request_body = VenueInput, responses((status = 201, description = "Created", body = VenueDto)))]
#[post("/reading-venues")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<VenueInput>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let saved = store::create(&mut conn, &auth.actor(), county, &fields_of(body.0)).await?;
    let location = format!("/api/v1/reading-venues/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&dto(saved)?, version, &location))
}

/// Reading venues of the caller's county, newest first.
#[utoipa::path(operation_id = "list_reading_venues", tag = "reading-venues", params(PageParams), responses((status = 200, description = "A page", body = Page<VenueDto>)))]
#[get("/reading-venues")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = staff_county(&mut conn, &auth).await?;
    let rows = store::list(&mut conn, county, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

const ID: &str = "Reading venue id";

/// One reading venue of the caller's county.
#[utoipa::path(operation_id = "get_reading_venue", tag = "reading-venues", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The venue", body = VenueDto)))]
#[get("/reading-venues/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let venue = visible(&mut conn, &auth, *id).await?;
    let version = venue.version;
    Ok(ok_with_etag(&dto(venue)?, version))
}

/// Replaces the venue's name, kind, address and opening hours (government office of the county).
#[utoipa::path(operation_id = "update_reading_venue", tag = "reading-venues", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = VenueInput, responses((status = 200, description = "The venue", body = VenueDto)))]
#[put("/reading-venues/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<VenueInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    office_venue(&mut conn, &auth, *id).await?;
    let saved = store::update(&mut conn, &auth.actor(), *id, expected, &fields_of(body.0)).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(saved)?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlacementInput {
    /// A published document with a public attribute.
    pub document_id: Uuid,
    /// The day it was placed; not after today.
    pub placed_on: NaiveDate,
}

/// Records that a published, public document was placed at the venue (government office of the county); 422 on `document_id` (`not_public`) or `placed_on` (`date_in_future`, `before_2000`); 409 `placement_exists`.
#[utoipa::path(operation_id = "place_document_at_reading_venue", tag = "reading-venues", params(("id" = Uuid, Path, description = ID)), request_body = PlacementInput, responses((status = 201, description = "Placed", body = PlacedDocumentDto)))]
#[post("/reading-venues/{id}/placements")]
pub async fn place(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<PlacementInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    office_venue(&mut conn, &auth, *id).await?;
    let input = body.0;
    if let Some(code) = domain::oversight::record_date_error(input.placed_on, state.today()) {
        let (zh, en) = field_message(code);
        return Err(ApiError::field("placed_on", code, zh, en));
    }
    let saved =
        store::place(&mut conn, &auth.actor(), *id, input.document_id, input.placed_on).await.map_err(|e| match e {
            StoreError::Conflict { constraint } if constraint == "reading_venue_placements_once" => {
                ApiError::conflict("placement_exists")
            }
            other => store_error(other),
        })?;
    let location = format!("/api/v1/reading-venues/{id}/placements");
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(placed(saved)))
}

/// Documents placed at the venue, newest first: every one for the county's government office, those public now for other staff of the county.
#[utoipa::path(operation_id = "list_reading_venue_placements", tag = "reading-venues", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Placements", body = Vec<PlacedDocumentDto>)))]
#[get("/reading-venues/{id}/placements")]
pub async fn placements(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let venue = visible(&mut conn, &auth, *id).await?;
    // Every placement for the county's government office (which sees all of the county's
    // documents); only documents public now for other staff, as documents no longer public are
    // not theirs to see (DOMAIN.md §10).
    let office = auth.principal.has_role(domain::Role::SystemAdmin)
        || office_county(&mut conn, &auth.principal).await.ok() == Some(venue.county_id);
    let rows = if office {
        store::placements_of(&mut conn, *id).await?
    } else {
        store::public_placements(&mut conn, &[*id]).await?
    };
    let items: Vec<PlacedDocumentDto> = rows.into_iter().map(placed).collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicVenueDto {
    pub id: Uuid,
    pub county_id: Uuid,
    pub name: String,
    pub kind: ReadingVenueKind,
    pub address: String,
    pub opening_hours: String,
    /// The public documents placed there, newest placement first.
    pub documents: Vec<PlacedDocumentDto>,
}

async fn public_dtos(conn: &mut PooledConnection, venues: Vec<Venue>) -> ApiResult<Vec<PublicVenueDto>> {
    let ids: Vec<Uuid> = venues.iter().map(|v| v.id).collect();
    let mut placed_docs = store::public_placements(conn, &ids).await?;
    venues
        .into_iter()
        .map(|v| {
            let (mine, rest): (Vec<Placement>, Vec<Placement>) =
                placed_docs.drain(..).partition(|p| p.venue_id == v.id);
            placed_docs = rest;
            Ok(PublicVenueDto {
                kind: v.kind()?,
                id: v.id,
                county_id: v.county_id,
                name: v.name,
                address: v.address,
                opening_hours: v.opening_hours,
                documents: mine.into_iter().map(placed).collect(),
            })
        })
        .collect()
}

/// Reading venues with the public documents placed there, for everyone, newest first.
#[utoipa::path(operation_id = "list_public_reading_venues", tag = "public", security(()), params(PageParams), responses((status = 200, description = "A page", body = Page<PublicVenueDto>)))]
#[get("/reading-venues")]
pub async fn public_list(state: web::Data<AppState>, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = store::list(&mut conn, None, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = public_dtos(&mut conn, rows).await?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

/// One reading venue with the public documents placed there, for everyone.
#[utoipa::path(operation_id = "get_public_reading_venue", tag = "public", security(()), params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The venue", body = PublicVenueDto)))]
#[get("/reading-venues/{id}")]
pub async fn public_get(state: web::Data<AppState>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let venue = store::get(&mut conn, *id).await?;
    let mut items = public_dtos(&mut conn, vec![venue]).await?;
    Ok(HttpResponse::Ok().json(items.pop().ok_or_else(ApiError::not_found)?))
}
