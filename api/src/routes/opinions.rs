//! `/api/v1/opinion-incidents`: public-opinion incidents (政务舆情, DOMAIN.md §6; seed §3) with the
//! responsible party and the rule that named it, the workflow 收集 → 会商 → 研判 → 回应 → 评估, and
//! their running clocks. Releases, referrals and the clock list are in `opinion_releases`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::opinions::{EventLevel, HandlingClass, IncidentSource, IncidentStatus, OpinionFocus, ResponsibilityRule};
use domain::{Principal, Role};
use persistence::opinions::{self as store, Incident, IncidentFacts, WorkflowAct};
use persistence::PooledConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::lang::{current_lang, Lang};
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::opinion_releases::{clock_views, ClockDto};
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    pub source: IncidentSource,
    /// Where it was seen (an address, a hotline ticket number …).
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "https://weibo.com/...")]
    pub source_link: Option<String>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, example = "网传某镇自来水厂水质不达标")]
    pub summary: String,
    /// When it was first detected; the clocks run from here, in wall-clock hours.
    pub detected_at: DateTime<Utc>,
    /// The collection focus (seed §3.2), if it is one.
    pub focus: Option<OpinionFocus>,
    /// The level of the sudden public event it concerns, if any.
    pub event_level: Option<EventLevel>,
    /// It concerns an important policy or decision of the county government.
    #[serde(default)]
    pub county_policy: bool,
    /// For a county policy: the county department responsible for it.
    pub policy_department_id: Option<Uuid>,
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub involved_organization_ids: Vec<Uuid>,
    /// Townships or places it involves; several mean the higher-level authority responds.
    #[validate(length(max = 50))]
    #[schema(max_items = 50, example = json!(["元马镇"]))]
    #[serde(default)]
    pub regions: Vec<String>,
    /// For several regions: the higher-level competent department that responds (an organization
    /// of kind `higher_level`, or a county department above the townships), when it is in the system.
    pub higher_authority_id: Option<Uuid>,
}

fn facts_of(input: IncidentInput) -> ApiResult<IncidentFacts> {
    if input.regions.iter().any(|r| r.trim().is_empty() || r.chars().count() > 100) {
        return Err(ApiError::field(
            "regions",
            "invalid",
            "地区名称须为 1 至 100 个字符",
            "A region is 1 to 100 characters",
        ));
    }
    Ok(IncidentFacts {
        source: input.source,
        source_link: input.source_link.map(|s| s.trim().to_owned()),
        summary: input.summary.trim().to_owned(),
        detected_at: input.detected_at,
        focus: input.focus,
        event_level: input.event_level,
        county_policy: input.county_policy,
        policy_department_id: input.policy_department_id,
        involved_organization_ids: input.involved_organization_ids,
        regions: input.regions.iter().map(|r| r.trim().to_owned()).collect(),
        higher_authority_id: input.higher_authority_id,
    })
}

/// Who responds and why.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResponsibilityDto {
    pub rule: ResponsibilityRule,
    /// The rule in the caller's language.
    pub explanation: String,
    /// The organizations that respond (none when the higher-level authority does).
    pub responder_ids: Vec<Uuid>,
    pub lead_organization_id: Option<Uuid>,
    /// The response belongs to the higher-level authority (several regions).
    pub escalated: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IncidentDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub source: IncidentSource,
    pub source_link: Option<String>,
    pub summary: String,
    pub detected_at: DateTime<Utc>,
    pub focus: Option<OpinionFocus>,
    pub event_level: Option<EventLevel>,
    pub county_policy: bool,
    pub policy_department_id: Option<Uuid>,
    pub involved_organization_ids: Vec<Uuid>,
    pub regions: Vec<String>,
    pub higher_authority_id: Option<Uuid>,
    pub responsibility: ResponsibilityDto,
    pub status: IncidentStatus,
    pub consultation_participants: Option<String>,
    pub consultation_minutes: Option<String>,
    pub consulted_at: Option<DateTime<Utc>>,
    pub handling_class: Option<HandlingClass>,
    pub assessment_notes: Option<String>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub evaluation_notes: Option<String>,
    pub evaluated_at: Option<DateTime<Utc>>,
    /// Its clocks: running, met or breached.
    pub clocks: Vec<ClockDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

async fn dto(conn: &mut PooledConnection, state: &AppState, i: Incident) -> ApiResult<IncidentDto> {
    let clocks = persistence::opinion_clocks::clocks_of(conn, i.id).await?;
    let explanation = match current_lang().0 {
        Lang::Zh => i.rule.label_zh(),
        Lang::En => i.rule.label_en(),
    };
    Ok(IncidentDto {
        clocks: clock_views(clocks, state.clock.now())?,
        responsibility: ResponsibilityDto {
            rule: i.rule,
            explanation: explanation.to_owned(),
            responder_ids: i.responder_ids,
            lead_organization_id: i.lead_organization_id,
            escalated: i.escalated,
        },
        id: i.id,
        organization_id: i.organization_id,
        source: i.facts.source,
        source_link: i.facts.source_link,
        summary: i.facts.summary,
        detected_at: i.facts.detected_at,
        focus: i.facts.focus,
        event_level: i.facts.event_level,
        county_policy: i.facts.county_policy,
        policy_department_id: i.facts.policy_department_id,
        involved_organization_ids: i.facts.involved_organization_ids,
        regions: i.facts.regions,
        higher_authority_id: i.facts.higher_authority_id,
        status: i.status,
        consultation_participants: i.consultation_participants,
        consultation_minutes: i.consultation_minutes,
        consulted_at: i.consulted_at,
        handling_class: i.handling_class,
        assessment_notes: i.assessment_notes,
        assessed_at: i.assessed_at,
        responded_at: i.responded_at,
        evaluation_notes: i.evaluation_notes,
        evaluated_at: i.evaluated_at,
        version: i.version,
        created_at: i.created_at,
        updated_at: i.updated_at,
    })
}

/// Whether the caller sees the incident: any organization with a hand in it, the county's
/// government office, the system administrator.
pub(crate) async fn visible(conn: &mut PooledConnection, principal: &Principal, id: Uuid) -> ApiResult<Incident> {
    let incident = store::get(conn, id).await?;
    for org in incident.organizations() {
        if staff_scope::sees(conn, principal, org).await? {
            return Ok(incident);
        }
    }
    Err(ApiError::not_found())
}

/// Opinion officers of the collecting or a responding organization handle the incident.
pub(crate) fn may_handle(principal: &Principal, incident: &Incident) -> bool {
    let own = own_org(principal);
    principal.has_role(Role::OpinionOfficer)
        && own.is_some_and(|o| o == incident.organization_id || incident.responder_ids.contains(&o))
}

/// Records an incident (opinion officer); its responsible party is decided at once (422 `rules_failed` when the facts name none) and its clocks start from `detected_at`.
#[utoipa::path(operation_id = "create_opinion_incident", tag = "opinions", request_body = IncidentInput, responses((status = 201, description = "Collected", body = IncidentDto)))]
#[post("/opinion-incidents")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<IncidentInput>) -> ApiResult<HttpResponse> {
    let org = own_org(&auth.principal).filter(|_| auth.principal.has_role(Role::OpinionOfficer));
    let org = org.ok_or_else(ApiError::forbidden)?;
    let facts = facts_of(body.0)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let incident = store::create(&mut conn, &auth.actor(), org, &facts, state.clock.now()).await?;
    let location = format!("/api/v1/opinion-incidents/{}", incident.id);
    let version = incident.version;
    Ok(created_with_etag(&dto(&mut conn, &state, incident).await?, version, &location))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    pub status: Option<IncidentStatus>,
}

/// Incidents the caller's organization has a hand in (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_opinion_incidents", tag = "opinions", params(IncidentQuery, PageParams), responses((status = 200, description = "A page", body = Page<IncidentDto>)))]
#[get("/opinion-incidents")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<IncidentQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), query.status, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for incident in rows {
        items.push(dto(&mut conn, &state, incident).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

const ID: &str = "Incident id";

/// One incident with its responsibility and clocks.
#[utoipa::path(operation_id = "get_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The incident", body = IncidentDto)))]
#[get("/opinion-incidents/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let incident = visible(&mut conn, &auth.principal, *id).await?;
    let version = incident.version;
    Ok(ok_with_etag(&dto(&mut conn, &state, incident).await?, version))
}

/// Corrects the facts until the incident is responded to; responsibility and clocks follow (a recorded breach stays).
#[utoipa::path(operation_id = "update_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = IncidentInput, responses((status = 200, description = "The incident", body = IncidentDto)))]
#[put("/opinion-incidents/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<IncidentInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, *id).await?;
    if !may_handle(&auth.principal, &current) {
        return Err(ApiError::forbidden());
    }
    let facts = facts_of(body.0)?;
    let incident = store::update(&mut conn, &auth.actor(), *id, expected, &facts, state.clock.now()).await?;
    let version = incident.version;
    Ok(ok_with_etag(&dto(&mut conn, &state, incident).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadInput {
    /// One of the involved departments.
    pub lead_organization_id: Uuid,
}

/// Names the lead among several involved departments (government office); 422 `rules_failed` with `lead_not_involved`, or `lead_not_applicable` when the incident is not a several-departments case.
#[utoipa::path(operation_id = "name_opinion_lead", tag = "opinions", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = LeadInput, responses((status = 200, description = "The incident", body = IncidentDto)))]
#[post("/opinion-incidents/{id}/name-lead")]
pub async fn name_lead(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<LeadInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth.principal, *id).await?;
    if !auth.principal.has_role(Role::GovOffice) {
        return Err(ApiError::forbidden());
    }
    let incident = store::name_lead(&mut conn, &auth.actor(), *id, expected, body.0.lead_organization_id).await?;
    let version = incident.version;
    Ok(ok_with_etag(&dto(&mut conn, &state, incident).await?, version))
}

async fn run(state: &AppState, auth: &Auth, req: &HttpRequest, id: Uuid, act: WorkflowAct) -> ApiResult<HttpResponse> {
    let expected = expected_version(req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, id).await?;
    if !may_handle(&auth.principal, &current) {
        return Err(ApiError::forbidden());
    }
    let incident = store::act(&mut conn, &auth.actor(), id, expected, &act, state.clock.now()).await?;
    let version = incident.version;
    Ok(ok_with_etag(&dto(&mut conn, state, incident).await?, version))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultInput {
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "县委宣传部、县水务局、元马镇人民政府")]
    pub participants: String,
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub minutes: String,
}

/// Records the consultation (会商) with its participants and minutes.
#[utoipa::path(operation_id = "consult_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID)), request_body = ConsultInput, responses((status = 200, description = "The incident", body = IncidentDto)))]
#[post("/opinion-incidents/{id}/consult")]
pub async fn consult(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ConsultInput>,
) -> ApiResult<HttpResponse> {
    let act =
        WorkflowAct::Consult { participants: body.0.participants.trim().into(), minutes: body.0.minutes.trim().into() };
    run(&state, &auth, &req, *id, act).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessInput {
    pub handling_class: HandlingClass,
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: String,
}

/// Records the assessment (研判) and its handling class, which decides the public output the response needs; may be repeated until the response.
#[utoipa::path(operation_id = "assess_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID)), request_body = AssessInput, responses((status = 200, description = "The incident", body = IncidentDto)))]
#[post("/opinion-incidents/{id}/assess")]
pub async fn assess(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<AssessInput>,
) -> ApiResult<HttpResponse> {
    let act = WorkflowAct::Assess { class: body.0.handling_class, notes: body.0.notes.trim().into() };
    run(&state, &auth, &req, *id, act).await
}

/// Marks the incident responded; 422 `rules_failed` while its handling class's public output (and for false information the referral) is missing.
#[utoipa::path(operation_id = "respond_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The incident", body = IncidentDto)))]
#[post("/opinion-incidents/{id}/respond")]
pub async fn respond(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, WorkflowAct::Respond).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateInput {
    /// The effect of the response (评估).
    #[validate(length(min = 1, max = 20000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub notes: String,
}

/// Records the evaluation of the response's effect.
#[utoipa::path(operation_id = "evaluate_opinion_incident", tag = "opinions", params(("id" = Uuid, Path, description = ID)), request_body = EvaluateInput, responses((status = 200, description = "The incident", body = IncidentDto)))]
#[post("/opinion-incidents/{id}/evaluate")]
pub async fn evaluate(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<EvaluateInput>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, WorkflowAct::Evaluate { notes: body.0.notes.trim().into() }).await
}
