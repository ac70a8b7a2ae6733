//! `/api/v1/meetings`: meeting plans with their topics, approved by the principal only when every
//! major livelihood topic states its invitations, openness and broadcast, and held only when every
//! important decision draft has had its consultation results published (DOMAIN.md §5; seed §1.2).

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::consultations::ConsultationStatus;
use domain::meetings::{BroadcastMode, MeetingStatus};
use domain::{Principal, Role};
use persistence::meetings::{self as store, Meeting, MeetingAct, StoredInvitations, Topic};
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
use crate::routes::public_consultations::ResultCount;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// Who a topic invites to attend (列席).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationsDto {
    pub stakeholders: bool,
    pub public_representatives: bool,
    pub experts: bool,
    pub media: bool,
}

/// A topic and its openness plan.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicDto {
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "审议《元谋县城乡居民最低生活保障实施细则》")]
    pub title: String,
    /// A major livelihood matter (重大民生事项): the plan must state invitations, openness and broadcast.
    #[serde(default)]
    pub major_livelihood: bool,
    /// Whom the topic invites; null until the plan states it.
    pub invitations: Option<InvitationsDto>,
    /// `true` open, `false` confidential (with `confidential_reason`); null until stated.
    pub open: Option<bool>,
    /// How an open topic is broadcast (`none` is a statement too).
    #[validate(length(max = 5))]
    #[schema(max_items = 5)]
    #[serde(default)]
    pub broadcast: Vec<BroadcastMode>,
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000)]
    pub confidential_reason: Option<String>,
    /// The topic is a draft of an important decision: it needs a consultation with published results.
    #[serde(default)]
    pub important_decision_draft: bool,
    pub consultation_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// Defaults to the caller's organization.
    pub organization_id: Option<Uuid>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "县人民政府第12次常务会议")]
    pub title: String,
    pub scheduled_at: DateTime<Utc>,
    #[validate(length(min = 1, max = 50), nested)]
    #[schema(min_items = 1, max_items = 50)]
    pub topics: Vec<TopicDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetingDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub scheduled_at: DateTime<Utc>,
    pub status: MeetingStatus,
    pub topics: Vec<TopicDto>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub held_at: Option<DateTime<Utc>>,
    /// For each topic that names a consultation: how its draft was consulted on and what became
    /// of the comments (the comment summary attached to the meeting).
    pub comment_summaries: Vec<CommentSummaryDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentSummaryDto {
    /// The topic's position in `topics`, from 0.
    pub topic: usize,
    pub consultation_id: Uuid,
    pub title: String,
    pub status: ConsultationStatus,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Published (not hidden) comments.
    pub comments: usize,
    /// Comments by adoption result, once the results are published.
    pub counts: Vec<ResultCount>,
    pub results_summary: Option<String>,
    pub results_published_at: Option<DateTime<Utc>>,
}

/// The meeting as the API shows it, with the comment summaries of its topics.
async fn dto(
    conn: &mut persistence::PooledConnection,
    principal: &Principal,
    meeting: Meeting,
) -> ApiResult<MeetingDto> {
    let mut summaries = Vec::new();
    for summary in store::comment_summaries(conn, &meeting, Utc::now()).await? {
        // A consultation still in draft is internal to its organization.
        if summary.status != ConsultationStatus::Draft
            || staff_scope::sees(conn, principal, summary.organization_id).await?
        {
            summaries.push(summary);
        }
    }
    let mut dto = MeetingDto::from(meeting);
    dto.comment_summaries = summaries
        .into_iter()
        .map(|s| CommentSummaryDto {
            topic: s.topic,
            consultation_id: s.consultation_id,
            title: s.title,
            status: s.status,
            opens_at: s.opens_at,
            closes_at: s.closes_at,
            comments: s.comments,
            counts: s.counts.into_iter().flatten().map(|(result, comments)| ResultCount { result, comments }).collect(),
            results_summary: s.results_summary,
            results_published_at: s.results_published_at,
        })
        .collect();
    Ok(dto)
}

impl From<Meeting> for MeetingDto {
    fn from(m: Meeting) -> Self {
        let topics = m
            .topics
            .into_iter()
            .map(|t| TopicDto {
                title: t.title,
                major_livelihood: t.major_livelihood,
                invitations: t.invitations.map(|i| InvitationsDto {
                    stakeholders: i.stakeholders,
                    public_representatives: i.public_representatives,
                    experts: i.experts,
                    media: i.media,
                }),
                open: t.open,
                broadcast: t.broadcast,
                confidential_reason: t.confidential_reason,
                important_decision_draft: t.important_decision_draft,
                consultation_id: t.consultation_id,
            })
            .collect();
        MeetingDto {
            id: m.row.id,
            organization_id: m.row.organization_id,
            title: m.row.title,
            scheduled_at: m.row.scheduled_at,
            status: m.status,
            topics,
            approved_by: m.row.approved_by,
            approved_at: m.row.approved_at,
            held_at: m.row.held_at,
            comment_summaries: Vec::new(),
            version: m.row.version,
            created_at: m.row.created_at,
            updated_at: m.row.updated_at,
        }
    }
}

fn topics_of(input: &[TopicDto]) -> Vec<Topic> {
    input
        .iter()
        .map(|t| Topic {
            title: t.title.trim().to_owned(),
            major_livelihood: t.major_livelihood,
            invitations: t.invitations.map(|i| StoredInvitations {
                stakeholders: i.stakeholders,
                public_representatives: i.public_representatives,
                experts: i.experts,
                media: i.media,
            }),
            open: t.open,
            broadcast: t.broadcast.clone(),
            confidential_reason: t.confidential_reason.clone(),
            important_decision_draft: t.important_decision_draft,
            consultation_id: t.consultation_id,
        })
        .collect()
}

fn may_plan(principal: &Principal, org: Uuid) -> bool {
    own_org(principal) == Some(org) && (principal.has_role(Role::Drafter) || principal.has_role(Role::OpennessOfficer))
}

async fn visible(conn: &mut persistence::PooledConnection, principal: &Principal, id: Uuid) -> ApiResult<Meeting> {
    let meeting = store::get(conn, id).await?;
    if staff_scope::sees(conn, principal, meeting.row.organization_id).await? {
        Ok(meeting)
    } else {
        Err(ApiError::not_found())
    }
}

/// Plans a meeting (drafter or openness officer of the organization).
#[utoipa::path(operation_id = "create_meeting", tag = "meetings", request_body = MeetingInput, responses((status = 201, description = "Planned", body = MeetingDto)))]
#[post("/meetings")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<MeetingInput>) -> ApiResult<HttpResponse> {
    let input = body.0;
    let org = input.organization_id.or_else(|| own_org(&auth.principal)).ok_or_else(ApiError::forbidden)?;
    if !may_plan(&auth.principal, org) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let user = Some(auth.principal.subject());
    let meeting = store::create(
        &mut conn,
        &auth.actor(),
        org,
        input.title.trim(),
        input.scheduled_at,
        &topics_of(&input.topics),
        user,
    )
    .await?;
    let location = format!("/api/v1/meetings/{}", meeting.row.id);
    let version = meeting.row.version;
    Ok(created_with_etag(&dto(&mut conn, &auth.principal, meeting).await?, version, &location))
}

/// Meetings of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_meetings", tag = "meetings", params(PageParams), responses((status = 200, description = "A page", body = Page<MeetingDto>)))]
#[get("/meetings")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let rows = store::list(&mut conn, orgs.as_deref(), page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for meeting in rows {
        items.push(dto(&mut conn, &auth.principal, meeting).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

const ID: &str = "Meeting id";

/// One meeting with its topics.
#[utoipa::path(operation_id = "get_meeting", tag = "meetings", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The meeting", body = MeetingDto)))]
#[get("/meetings/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let meeting = visible(&mut conn, &auth.principal, *id).await?;
    let version = meeting.row.version;
    Ok(ok_with_etag(&dto(&mut conn, &auth.principal, meeting).await?, version))
}

/// Replaces the plan while it is not approved.
#[utoipa::path(operation_id = "update_meeting", tag = "meetings", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = MeetingInput, responses((status = 200, description = "The meeting", body = MeetingDto)))]
#[put("/meetings/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<MeetingInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, *id).await?;
    if !may_plan(&auth.principal, current.row.organization_id) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let topics = topics_of(&input.topics);
    let meeting =
        store::update(&mut conn, &auth.actor(), *id, expected, input.title.trim(), input.scheduled_at, &topics).await?;
    let version = meeting.row.version;
    Ok(ok_with_etag(&dto(&mut conn, &auth.principal, meeting).await?, version))
}

async fn run(state: &AppState, auth: &Auth, req: &HttpRequest, id: Uuid, act: MeetingAct) -> ApiResult<HttpResponse> {
    let expected = expected_version(req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, id).await?;
    let org = current.row.organization_id;
    let allowed = match act {
        MeetingAct::Approve => own_org(&auth.principal) == Some(org) && auth.principal.has_role(Role::Principal),
        MeetingAct::Hold => {
            own_org(&auth.principal) == Some(org)
                && (auth.principal.has_role(Role::Principal) || auth.principal.has_role(Role::OpennessOfficer))
        }
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let meeting = store::act(&mut conn, &auth.actor(), id, expected, act, Utc::now()).await?;
    let version = meeting.row.version;
    Ok(ok_with_etag(&dto(&mut conn, &auth.principal, meeting).await?, version))
}

/// Approves the plan (principal); 422 with every failed rule while a major livelihood topic lacks its invitations, openness or broadcast.
#[utoipa::path(operation_id = "approve_meeting", tag = "meetings", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The meeting", body = MeetingDto)))]
#[post("/meetings/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, MeetingAct::Approve).await
}

/// Records the meeting as held; 422 `consultation_results_missing` while an important decision draft's consultation results are unpublished.
#[utoipa::path(operation_id = "hold_meeting", tag = "meetings", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The meeting", body = MeetingDto)))]
#[post("/meetings/{id}/hold")]
pub async fn hold(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run(&state, &auth, &req, *id, MeetingAct::Hold).await
}
