//! Government open days (政府开放日, seed §5.3): announced by the openness officer
//! (`/api/v1/open-days`), listed publicly with the seats left, and open to registration until
//! the announced closing time or the capacity (`/api/v1/public/open-days`).

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::Role;
use persistence::open_days::{self as store, OpenDay};
use persistence::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
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
    pub created_at: DateTime<Utc>,
}

async fn dto(conn: &mut persistence::PooledConnection, day: OpenDay) -> ApiResult<OpenDayDto> {
    let taken = store::seats_taken(conn, day.id).await?;
    Ok(OpenDayDto {
        seats_left: (i64::from(day.capacity) - taken).max(0),
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

/// Announces an open day (openness officer of the organization).
#[utoipa::path(operation_id = "announce_open_day", tag = "open-days", request_body = OpenDayInput, responses((status = 201, description = "Announced", body = OpenDayDto)))]
#[post("/open-days")]
pub async fn announce(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<OpenDayInput>,
) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal).ok_or_else(ApiError::forbidden)?;
    if !auth.principal.has_role(Role::OpennessOfficer) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    if input.ends_at <= input.starts_at {
        return Err(ApiError::field(
            "ends_at",
            "before_start",
            "结束时间须晚于开始时间",
            "It must end after it starts",
        ));
    }
    if input.registration_closes_at > input.starts_at {
        return Err(ApiError::field(
            "registration_closes_at",
            "after_start",
            "报名截止时间不得晚于活动开始时间",
            "Registration must close no later than the start",
        ));
    }
    let day = OpenDay {
        id: Uuid::now_v7(),
        organization_id: org,
        title: input.title.trim().to_owned(),
        description: input.description.trim().to_owned(),
        location: input.location.trim().to_owned(),
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        registration_closes_at: input.registration_closes_at,
        capacity: input.capacity,
        created_by: Some(auth.principal.subject()),
        created_at: Utc::now(),
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = store::announce(&mut conn, &auth.actor(), day).await?;
    Ok(HttpResponse::Created().json(dto(&mut conn, saved).await?))
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
    let has_more = rows.len() > limit as usize;
    let mut items = Vec::new();
    for day in rows.into_iter().take(limit as usize) {
        items.push(dto(conn, day).await?);
    }
    let next_cursor =
        if has_more { items.last().map(|d| crate::http::pagination::encode_id_cursor(d.id)) } else { None };
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
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
    let day = store::get(&mut conn, *id).await?;
    if !staff_scope::sees(&mut conn, &auth.principal, day.organization_id).await? {
        return Err(ApiError::not_found());
    }
    if !(own_org(&auth.principal) == Some(day.organization_id) && auth.principal.has_role(Role::OpennessOfficer)) {
        return Err(ApiError::forbidden());
    }
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

/// Open days not yet over, for everyone.
#[utoipa::path(operation_id = "list_public_open_days", tag = "public", security(()), params(PageParams), responses((status = 200, description = "A page", body = Page<OpenDayDto>)))]
#[get("/public/open-days")]
pub async fn public_list(state: web::Data<AppState>, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
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

/// Registers for an open day; 409 `open_day_full` or `registration_closed`; limited per client address.
#[utoipa::path(operation_id = "register_for_open_day", tag = "public", security(()), params(("id" = Uuid, Path, description = "Open day id")), request_body = RegistrationInput, responses((status = 201, description = "Registered", body = RegistrationReceipt), (status = 429, description = "Too many registrations from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/public/open-days/{id}/registrations")]
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
    let registration =
        store::register(&mut conn, &state.sealer, *id, input.name.trim(), input.contact.trim(), input.party_size, now)
            .await
            .map_err(|e| match e {
                StoreError::Refused(code @ ("open_day_full" | "registration_closed")) => ApiError::conflict(code),
                other => other.into(),
            })?;
    let receipt = RegistrationReceipt {
        id: registration.id,
        receipt_code: registration.receipt_code,
        party_size: registration.party_size,
    };
    Ok(HttpResponse::Created().json(receipt))
}
