//! Work-report hearings (听取工作汇报, seed §6): the principal hears a report on the openness work at
//! least once a year. The openness officer (or the county's government office) records each with its
//! date and minutes; the government office checks a year and sees who held none.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::oversight::record_date_error;
use domain::{OrganizationKind, Role};
use persistence::organization_records::{self as store, Hearing};
use persistence::{organizations, PooledConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::organization_records::{field, record_keeper, target_org, RecordQuery};
use crate::routes::rectifications::office_county;
use crate::routes::staff_scope;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HearingDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub held_on: NaiveDate,
    /// The principal who heard the report, as named on the minutes.
    pub chaired_by: Option<String>,
    pub minutes: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<Hearing> for HearingDto {
    fn from(h: Hearing) -> Self {
        HearingDto {
            id: h.id,
            organization_id: h.organization_id,
            held_on: h.held_on,
            chaired_by: h.chaired_by,
            minutes: h.minutes,
            created_by: h.created_by,
            created_at: h.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HearingInput {
    /// Default: the caller's organization; the government office names any of its county's.
    pub organization_id: Option<Uuid>,
    /// Not after today.
    pub held_on: NaiveDate,
    /// The principal who heard the report; the organization's recorded principal when omitted.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "李明")]
    pub chaired_by: Option<String>,
    /// 会议纪要: what was reported and decided.
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20000, example = "听取2026年上半年政务公开工作汇报，研究部署下半年重点工作")]
    pub minutes: String,
}

/// Records a hearing of the openness work by the principal (openness officer of the organization, or the county's government office); 422 on `held_on` (`date_in_future`, `before_2000`) or `organization_id`.
#[utoipa::path(operation_id = "record_work_report_hearing", tag = "organization-records", request_body = HearingInput, responses((status = 201, description = "Recorded", body = HearingDto)))]
#[post("/work-report-hearings")]
pub async fn record(state: web::Data<AppState>, auth: Auth, body: ValidJson<HearingInput>) -> ApiResult<HttpResponse> {
    record_keeper(&auth.principal)?;
    let input = body.0;
    if let Some(code) = record_date_error(input.held_on, state.today()) {
        return Err(field("held_on", code));
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let org = target_org(&mut conn, &auth.principal, input.organization_id).await?;
    // The check counts hearings *by the principal*: an unnamed chair is the organization's principal.
    let named = input.chaired_by.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
    let chaired = match named {
        Some(name) => name,
        None => organizations::get(&conn, org)
            .await?
            .principal_name
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| field("chaired_by", "chaired_by_unknown"))?,
    };
    let chaired_by = Some(chaired.as_str());
    let user = Some(auth.principal.subject());
    let saved =
        store::record_hearing(&mut conn, &auth.actor(), org, input.held_on, chaired_by, input.minutes.trim(), user)
            .await?;
    let location = format!("/api/v1/work-report-hearings/{}", saved.id);
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(HearingDto::from(saved)))
}

/// Hearings of the caller's organization (the county's for the government office), newest first; `year` filters by the day held.
#[utoipa::path(operation_id = "list_work_report_hearings", tag = "organization-records", params(RecordQuery, PageParams), responses((status = 200, description = "A page", body = Page<HearingDto>)))]
#[get("/work-report-hearings")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<RecordQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    if let Some(year) = query.year {
        crate::routes::plausible_year("year", year)?;
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list_hearings(
        &mut conn,
        orgs.as_deref(),
        query.organization_id,
        query.year,
        page.after_id()?,
        i64::from(limit) + 1,
    )
    .await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(HearingDto::from).collect();
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |h: &HearingDto| h.id)))
}

/// One hearing with its minutes.
#[utoipa::path(operation_id = "get_work_report_hearing", tag = "organization-records", params(("id" = Uuid, Path, description = "Hearing id")), responses((status = 200, description = "The hearing", body = HearingDto)))]
#[get("/work-report-hearings/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let hearing = store::get_hearing(&mut conn, *id).await?;
    if !staff_scope::sees(&mut conn, &auth.principal, hearing.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(HttpResponse::Ok().json(HearingDto::from(hearing)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    /// The year checked.
    pub year: i32,
    /// The county checked (system_admin only; the government office checks its own).
    pub county_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HearingCountDto {
    pub organization_id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    /// Hearings held in the year.
    pub hearings: i64,
    pub last_held_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HearingCheckDto {
    pub county_id: Uuid,
    pub year: i32,
    /// Every county government, government office, department and township of the county, by name.
    pub organizations: Vec<HearingCountDto>,
    /// Those that held no hearing in the year.
    pub without_hearing: Vec<HearingCountDto>,
}

async fn checked_county(conn: &mut PooledConnection, auth: &Auth, given: Option<Uuid>) -> ApiResult<Uuid> {
    if auth.principal.has_role(Role::SystemAdmin) {
        let county = given.ok_or_else(|| field("county_id", "required"))?;
        let org = organizations::get(conn, county).await.map_err(|_| field("county_id", "not_found"))?;
        if org.kind != OrganizationKind::CountyGovernment {
            return Err(field("county_id", "not_found"));
        }
        return Ok(county);
    }
    let own = office_county(conn, &auth.principal).await?;
    if given.is_some_and(|c| c != own) {
        return Err(field("county_id", "not_found"));
    }
    Ok(own)
}

/// The yearly check (government office of the county, or system_admin naming `county_id`): each organization that must hear a report on the openness work at least once a year, with its hearings, and those without any.
#[utoipa::path(operation_id = "check_work_report_hearings", tag = "organization-records", params(CheckQuery), responses((status = 200, description = "The check", body = HearingCheckDto)))]
#[get("/work-report-hearing-check")]
pub async fn check(state: web::Data<AppState>, auth: Auth, query: web::Query<CheckQuery>) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) && !auth.principal.has_role(Role::GovOffice) {
        return Err(ApiError::forbidden());
    }
    crate::routes::plausible_year("year", query.year)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = checked_county(&mut conn, &auth, query.county_id).await?;
    let members = organizations::in_county(&mut conn, county).await?;
    let counts = store::hearing_counts(&mut conn, &members, query.year).await?;
    let organizations: Vec<HearingCountDto> = counts
        .into_iter()
        .map(|c| HearingCountDto {
            organization_id: c.organization_id,
            name: c.name,
            kind: c.kind,
            hearings: c.hearings,
            last_held_on: c.last_held_on,
        })
        .collect();
    let without_hearing = organizations
        .iter()
        .filter(|o| o.hearings == 0)
        .map(|o| HearingCountDto { name: o.name.clone(), ..*o })
        .collect();
    Ok(HttpResponse::Ok().json(HearingCheckDto { county_id: county, year: query.year, organizations, without_hearing }))
}
