//! Training of the openness staff (seed §6: all openness staff trained in rotation): plans of an
//! organization (the government office's default to the county government: county-wide), sessions
//! held under them, attendance, and the coverage of a period — who of the openness staff (active
//! users holding `openness_officer` or `openness_head`) attended at least one session held in it.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::organization_records as rules;
use domain::oversight::record_date_error;
use domain::Role;
use persistence::training::{self as store, Plan, Session};
use persistence::{organizations, PooledConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::organization_records::{field, keeps_records_of, record_keeper, store_error, target_org};
use crate::routes::rectifications::office_county;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionDto {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub held_on: NaiveDate,
    pub topic: String,
    pub trainer: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<Session> for SessionDto {
    fn from(s: Session) -> Self {
        SessionDto {
            id: s.id,
            plan_id: s.plan_id,
            held_on: s.held_on,
            topic: s.topic,
            trainer: s.trainer,
            version: s.version,
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanDto {
    pub id: Uuid,
    /// The organization whose plan it is; the county government's plans are county-wide.
    pub organization_id: Uuid,
    pub year: i32,
    pub title: String,
    pub description: Option<String>,
    pub sessions: Vec<SessionDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

async fn plan_dto(conn: &mut PooledConnection, plan: Plan) -> ApiResult<PlanDto> {
    let sessions = store::sessions_of(conn, plan.id).await?.into_iter().map(SessionDto::from).collect();
    Ok(PlanDto {
        id: plan.id,
        organization_id: plan.organization_id,
        year: plan.year,
        title: plan.title,
        description: plan.description,
        sessions,
        version: plan.version,
        created_at: plan.created_at,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// Default: the caller's organization, or the county government (county-wide) for the government office.
    pub organization_id: Option<Uuid>,
    #[schema(example = 2026)]
    pub year: i32,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "2026年度政务公开工作人员轮训计划")]
    pub title: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

/// Writes a training plan (openness officer of the organization, or the county's government office); 422 on `year` or `organization_id`.
#[utoipa::path(operation_id = "create_training_plan", tag = "training", request_body = PlanInput, responses((status = 201, description = "Written", body = PlanDto)))]
#[post("/training-plans")]
pub async fn create_plan(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<PlanInput>,
) -> ApiResult<HttpResponse> {
    record_keeper(&auth.principal)?;
    let input = body.0;
    if !rules::priority_year_allowed(input.year, chrono::Datelike::year(&state.today())) {
        return Err(field("year", "year_range"));
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let given = match input.organization_id {
        None if auth.principal.has_role(Role::GovOffice) => Some(office_county(&mut conn, &auth.principal).await?),
        given => given,
    };
    let org = target_org(&mut conn, &auth.principal, given).await?;
    let description = input.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let user = Some(auth.principal.subject());
    let saved =
        store::create_plan(&mut conn, &auth.actor(), org, input.year, input.title.trim(), description, user).await?;
    let location = format!("/api/v1/training-plans/{}", saved.id);
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(plan_dto(&mut conn, saved).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    pub year: Option<i32>,
}

/// Training plans of the caller's organization (the county's for the government office), newest first, with their sessions.
#[utoipa::path(operation_id = "list_training_plans", tag = "training", params(PlanQuery, PageParams), responses((status = 200, description = "A page", body = Page<PlanDto>)))]
#[get("/training-plans")]
pub async fn list_plans(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<PlanQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    if let Some(year) = query.year {
        crate::routes::plausible_year("year", year)?;
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows =
        store::list_plans(&mut conn, orgs.as_deref(), query.year, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for plan in rows {
        items.push(plan_dto(&mut conn, plan).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |p| p.id)))
}

async fn visible_plan(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Plan> {
    let plan = store::get_plan(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, plan.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(plan)
}

/// One plan with its sessions.
#[utoipa::path(operation_id = "get_training_plan", tag = "training", params(("id" = Uuid, Path, description = "Plan id")), responses((status = 200, description = "The plan", body = PlanDto)))]
#[get("/training-plans/{id}")]
pub async fn get_plan(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let plan = visible_plan(&mut conn, &auth, *id).await?;
    let version = plan.version;
    Ok(ok_with_etag(&plan_dto(&mut conn, plan).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// Not after today: sessions are recorded once held.
    pub held_on: NaiveDate,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, example = "《政府信息公开条例》依申请公开办理实务")]
    pub topic: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "州政务公开办 张老师")]
    pub trainer: Option<String>,
}

/// Records a session held under the plan (its keepers); 422 on `held_on` (`date_in_future`, `before_2000`).
#[utoipa::path(operation_id = "add_training_session", tag = "training", params(("id" = Uuid, Path, description = "Plan id")), request_body = SessionInput, responses((status = 201, description = "Recorded", body = SessionDto)))]
#[post("/training-plans/{id}/sessions")]
pub async fn add_session(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<SessionInput>,
) -> ApiResult<HttpResponse> {
    record_keeper(&auth.principal)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let plan = visible_plan(&mut conn, &auth, *id).await?;
    if !keeps_records_of(&mut conn, &auth.principal, plan.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    if let Some(code) = record_date_error(input.held_on, state.today()) {
        return Err(field("held_on", code));
    }
    let trainer = input.trainer.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let user = Some(auth.principal.subject());
    let saved =
        store::add_session(&mut conn, &auth.actor(), *id, input.held_on, input.topic.trim(), trainer, user).await?;
    let location = format!("/api/v1/training-sessions/{}", saved.id);
    let version = saved.version;
    Ok(crate::http::conditional::created_with_etag(&SessionDto::from(saved), version, &location))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttendeeDto {
    pub user_id: Uuid,
    pub organization_id: Option<Uuid>,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionDetailDto {
    #[serde(flatten)]
    pub session: SessionDto,
    pub attendees: Vec<AttendeeDto>,
}

async fn session_detail(conn: &mut PooledConnection, session: Session) -> ApiResult<SessionDetailDto> {
    let attendees = store::attendees(conn, session.id)
        .await?
        .into_iter()
        .map(|a| AttendeeDto { user_id: a.user_id, organization_id: a.organization_id, display_name: a.display_name })
        .collect();
    Ok(SessionDetailDto { session: SessionDto::from(session), attendees })
}

async fn visible_session(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<(Session, Plan)> {
    let session = store::get_session(conn, id).await?;
    let plan = visible_plan(conn, auth, session.plan_id).await?;
    Ok((session, plan))
}

/// One session with who attended.
#[utoipa::path(operation_id = "get_training_session", tag = "training", params(("id" = Uuid, Path, description = "Session id")), responses((status = 200, description = "The session", body = SessionDetailDto)))]
#[get("/training-sessions/{id}")]
pub async fn get_session(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let (session, _) = visible_session(&mut conn, &auth, *id).await?;
    let version = session.version;
    Ok(ok_with_etag(&session_detail(&mut conn, session).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    /// Everyone who attended; staff of the county only.
    #[validate(length(max = 1000))]
    #[schema(max_items = 1000)]
    pub user_ids: Vec<Uuid>,
}

/// Replaces who attended the session (the plan's keepers); 422 on `user_ids`: `not_found`, or `other_county` for staff of another county.
#[utoipa::path(operation_id = "record_training_attendance", tag = "training", params(("id" = Uuid, Path, description = "Session id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = AttendanceInput, responses((status = 200, description = "The session", body = SessionDetailDto)))]
#[put("/training-sessions/{id}/attendance")]
pub async fn record_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<AttendanceInput>,
) -> ApiResult<HttpResponse> {
    record_keeper(&auth.principal)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let (_, plan) = visible_session(&mut conn, &auth, *id).await?;
    if !keeps_records_of(&mut conn, &auth.principal, plan.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    let members = match organizations::county_of(&conn, plan.organization_id).await? {
        Some(county) => organizations::in_county(&mut conn, county).await?,
        None => vec![plan.organization_id],
    };
    let recorder = Some(auth.principal.subject());
    let saved =
        store::replace_attendance(&mut conn, &auth.actor(), *id, expected, &body.0.user_ids, &members, recorder)
            .await
            .map_err(store_error)?;
    let version = saved.version;
    Ok(ok_with_etag(&session_detail(&mut conn, saved).await?, version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Narrow the government office's county report to one organization.
    pub organization_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffDto {
    pub user_id: Uuid,
    pub display_name: String,
    pub organization_id: Uuid,
    /// Sessions attended that were held in the period.
    pub sessions: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CoverageDto {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Active users holding `openness_officer` or `openness_head` in the organizations covered.
    pub staff: usize,
    /// Of them, those who attended at least one session held in the period.
    pub trained: usize,
    /// `trained` / `staff` in percent to two places; null when there is no openness staff.
    pub share_percent: Option<f64>,
    pub trained_staff: Vec<StaffDto>,
    /// Who has not been trained in the period, by name.
    pub untrained: Vec<StaffDto>,
}

/// The organizations a coverage report covers: the county for its government office, the own organization for its openness officer or head.
async fn coverage_scope(conn: &mut PooledConnection, auth: &Auth, given: Option<Uuid>) -> ApiResult<Vec<Uuid>> {
    let principal = &auth.principal;
    if principal.has_role(Role::GovOffice) {
        let county = office_county(conn, principal).await?;
        let members = organizations::in_county(conn, county).await?;
        return match given {
            Some(org) if members.contains(&org) => Ok(vec![org]),
            Some(_) => Err(field("organization_id", "not_found")),
            None => Ok(members),
        };
    }
    let own = own_org(principal)
        .filter(|_| principal.has_role(Role::OpennessOfficer) || principal.has_role(Role::OpennessHead))
        .ok_or_else(ApiError::forbidden)?;
    if given.is_some_and(|org| org != own) {
        return Err(field("organization_id", "not_found"));
    }
    Ok(vec![own])
}

/// Training coverage of a period (government office: its county; openness officer or head: their organization): the share of openness staff who attended at least one session held from `from` to `to`, and who has not.
#[utoipa::path(operation_id = "training_coverage", tag = "training", params(CoverageQuery), responses((status = 200, description = "The coverage", body = CoverageDto)))]
#[get("/training-coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<CoverageQuery>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = coverage_scope(&mut conn, &auth, query.organization_id).await?;
    crate::routes::plausible_date("from", query.from)?;
    crate::routes::plausible_date("to", query.to)?;
    if let Some(code) = rules::period_error(query.from, query.to) {
        return Err(field("to", code));
    }
    let rows = store::coverage(&mut conn, &orgs, query.from, query.to).await?;
    let staff = rows.len();
    let (trained, untrained): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .map(|r| StaffDto {
            user_id: r.user_id,
            display_name: r.display_name,
            organization_id: r.organization_id,
            sessions: r.sessions,
        })
        .partition(|s| s.sessions > 0);
    Ok(HttpResponse::Ok().json(CoverageDto {
        from: query.from,
        to: query.to,
        staff,
        trained: trained.len(),
        share_percent: rules::coverage_percent(trained.len(), staff),
        trained_staff: trained,
        untrained,
    }))
}
