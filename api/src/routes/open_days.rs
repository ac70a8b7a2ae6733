//! Government open days (政府开放日, seed §5.3): announced, edited or cancelled by the openness
//! officer until the day starts (`/api/v1/open-days`), listed publicly with the seats left (and a
//! cancellation with its reason), and open to registration until the announced closing time or
//! the capacity (`/api/v1/public/open-days`).

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use persistence::open_days::{self as store, OpenDay, OpenDayFields};
use persistence::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::request_id;
use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::throttle;
use crate::routes::not_blank;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// Registrations per client address per hour.
const REGISTRATIONS_PER_ADDRESS_PER_HOUR: i32 = 10;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDayInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "元谋县人民政府“政府开放日”活动")]
    pub title: String,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "县政务服务中心三楼")]
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// No later than the start.
    pub registration_closes_at: DateTime<Utc>,
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenDayDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub description: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    pub capacity: i32,
    pub seats_left: i64,
    /// Set when the open day was cancelled; registration is then refused.
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn dto(conn: &mut persistence::PooledConnection, day: OpenDay) -> ApiResult<OpenDayDto> {
    let taken = store::seats_taken(conn, day.id).await?;
    Ok(OpenDayDto {
        seats_left: domain::participation::seats_left(day.seats(taken)),
        cancelled_at: day.cancelled_at,
        cancellation_reason: day.cancellation_reason,
        version: day.version,
        updated_at: day.updated_at,
        id: day.id,
        organization_id: day.organization_id,
        title: day.title,
        description: day.description,
        location: day.location,
        starts_at: day.starts_at,
        ends_at: day.ends_at,
        registration_closes_at: day.registration_closes_at,
        capacity: day.capacity,
        created_at: day.created_at,
    })
}

fn fields_of(input: OpenDayInput) -> OpenDayFields {
    OpenDayFields {
        title: input.title.trim().to_owned(),
        description: input.description.trim().to_owned(),
        location: input.location.trim().to_owned(),
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        registration_closes_at: input.registration_closes_at,
        capacity: input.capacity,
    }
}

/// Announces an open day (openness officer of the organization); 422 on `ends_at` (`before_start`) or `registration_closes_at` (`after_start`).
#[utoipa::path(operation_id = "announce_open_day", tag = "open-days", request_body = OpenDayInput, responses((status = 201, description = "Announced", body = OpenDayDto)))]
#[post("/open-days")]
pub async fn announce(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<OpenDayInput>,
) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    if !staff_scope::is_openness_officer_of(&auth.principal, org) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let user = Some(auth.principal.subject());
    let saved = store::announce(&mut conn, &auth.actor(), org, &fields_of(body.0), user).await?;
    let location = format!("/api/v1/open-days/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&dto(&mut conn, saved).await?, version, &location))
}

async fn officers_day(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<OpenDay> {
    let day = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, day.organization_id).await? {
        return Err(ApiError::not_found());
    }
    if !staff_scope::is_openness_officer_of(&auth.principal, day.organization_id) {
        return Err(ApiError::forbidden());
    }
    Ok(day)
}

const ID: &str = "Open day id";

/// One open day of the caller's organization (the county's for the government office).
#[utoipa::path(operation_id = "get_open_day", tag = "open-days", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The open day", body = OpenDayDto)))]
#[get("/open-days/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let day = store::get(&mut conn, *id).await?;
    if !staff_scope::sees(&mut conn, &auth.principal, day.organization_id).await? {
        return Err(ApiError::not_found());
    }
    let version = day.version;
    Ok(ok_with_etag(&dto(&mut conn, day).await?, version))
}

/// Replaces the announcement until the day starts (409 `open_day_over` / `open_day_cancelled`); the capacity cannot drop below those registered (422 `below_registered`).
#[utoipa::path(operation_id = "update_open_day", tag = "open-days", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = OpenDayInput, responses((status = 200, description = "The open day", body = OpenDayDto)))]
#[put("/open-days/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<OpenDayInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    officers_day(&mut conn, &auth, *id).await?;
    let saved = store::update(&mut conn, &auth.actor(), *id, expected, &fields_of(body.0), Utc::now()).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Shown to the public with the cancelled open day.
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 1000, example = "因天气原因，本次开放日活动取消")]
    pub reason: String,
}

/// Cancels the open day before it starts, with the reason the public sees; registration stops.
#[utoipa::path(operation_id = "cancel_open_day", tag = "open-days", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = CancelInput, responses((status = 200, description = "The open day", body = OpenDayDto)))]
#[post("/open-days/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<CancelInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    officers_day(&mut conn, &auth, *id).await?;
    let saved = store::cancel(&mut conn, &auth.actor(), *id, expected, body.0.reason.trim(), Utc::now()).await?;
    let version = saved.version;
    Ok(ok_with_etag(&dto(&mut conn, saved).await?, version))
}

/// Open days of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_open_days", tag = "open-days", params(PageParams), responses((status = 200, description = "A page", body = Page<OpenDayDto>)))]
#[get("/open-days")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), None, page.after_id()?, i64::from(limit) + 1).await?;
    page_of(&mut conn, rows, limit).await
}

async fn page_of(conn: &mut persistence::PooledConnection, rows: Vec<OpenDay>, limit: u32) -> ApiResult<HttpResponse> {
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for day in rows {
        items.push(dto(conn, day).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationDto {
    pub id: Uuid,
    pub receipt_code: String,
    pub name: String,
    pub contact: String,
    pub party_size: i32,
    pub created_at: DateTime<Utc>,
}

/// The registrations of an open day, with contacts (the organization's openness officer).
#[utoipa::path(operation_id = "list_open_day_registrations", tag = "open-days", params(("id" = Uuid, Path, description = "Open day id")), responses((status = 200, description = "Registrations", body = Vec<RegistrationDto>)))]
#[get("/open-days/{id}/registrations")]
pub async fn registrations(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    officers_day(&mut conn, &auth, *id).await?;
    let mut body = Vec::new();
    for r in store::registrations_of(&mut conn, *id).await? {
        body.push(RegistrationDto {
            contact: r.contact(&state.sealer)?,
            id: r.id,
            receipt_code: r.receipt_code,
            name: r.name,
            party_size: r.party_size,
            created_at: r.created_at,
        });
    }
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(body))
}

/// Open days not yet over, for everyone (cancelled ones too, with the reason).
#[utoipa::path(operation_id = "list_public_open_days", tag = "public", security(()), params(PageParams), responses((status = 200, description = "A page", body = Page<OpenDayDto>)))]
#[get("/open-days")]
pub async fn public_list(state: web::Data<AppState>, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = store::list(&mut conn, None, Some(Utc::now()), page.after_id()?, i64::from(limit) + 1).await?;
    page_of(&mut conn, rows, limit).await
}

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Phone or e-mail; sealed, seen only by the organization's openness officers.
    #[validate(length(min = 5, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 5, max_length = 200)]
    pub contact: String,
    /// 1–5 people.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub party_size: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationReceipt {
    pub id: Uuid,
    pub receipt_code: String,
    pub party_size: i32,
}

/// Registers for an open day; 409 `open_day_full`, `registration_closed` or `open_day_cancelled`; limited per client address.
#[utoipa::path(operation_id = "register_for_open_day", tag = "public", security(()), params(("id" = Uuid, Path, description = "Open day id")), request_body = RegistrationInput, responses((status = 201, description = "Registered", body = RegistrationReceipt), (status = 429, description = "Too many registrations from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/open-days/{id}/registrations")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<RegistrationInput>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let mut conn = persistence::connection(&state.pool).await?;
    throttle::claim_hourly_for_address(
        &mut conn,
        &req,
        "open-day-registration",
        REGISTRATIONS_PER_ADDRESS_PER_HOUR,
        now,
    )
    .await?;
    let input = body.0;
    let registration = store::register(
        &mut conn,
        &state.sealer,
        *id,
        &store::NewRegistration {
            name: input.name.trim(),
            contact: input.contact.trim(),
            party_size: input.party_size,
        },
        now,
        request_id(&req),
    )
    .await
    .map_err(|e| match e {
        StoreError::Refused(code) => ApiError::conflict(code),
        other => other.into(),
    })?;
    let receipt = RegistrationReceipt {
        id: registration.id,
        receipt_code: registration.receipt_code,
        party_size: registration.party_size,
    };
    Ok(HttpResponse::Created().json(receipt))
}
