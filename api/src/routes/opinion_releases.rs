//! Releases of public-opinion incidents (`/api/v1/opinion-incidents/{id}/releases`, public under
//! `/api/v1/public/opinion-releases`), referrals of false information, the running clocks
//! (`/api/v1/opinion-clocks`) and the clock hours (`/api/v1/opinion-settings`).

use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::opinions::{self as rules, ClockKind, ClockState, ReferralAuthority, ReleaseKind};
use domain::Role;
use persistence::attachments::{Attachment, Owner};
use persistence::opinion_clocks::{self as store, Clock, NewRelease, Release};
use persistence::PooledConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::opinions::{may_handle, visible};
use crate::routes::public::PublicAttachment;
use crate::routes::staff_scope;
use crate::state::AppState;

/// A clock of an incident as of now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClockDto {
    pub incident_id: Uuid,
    /// Also the breach kind recorded when it is missed.
    pub kind: ClockKind,
    pub due_at: DateTime<Utc>,
    /// `running`, `met` or `breached`.
    pub state: String,
    /// Seconds left while running (0 otherwise).
    pub seconds_left: i64,
    /// The first release that stopped it.
    pub stopped_at: Option<DateTime<Utc>>,
    /// When the breach was recorded.
    pub breach_recorded_at: Option<DateTime<Utc>>,
}

pub(crate) fn clock_views(rows: Vec<Clock>, now: DateTime<Utc>) -> ApiResult<Vec<ClockDto>> {
    let mut out = Vec::new();
    for c in rows {
        let kind: ClockKind = persistence::error::parse_code(&c.kind)?;
        // A recorded breach stands whatever was logged after it.
        let state = match c.breach_recorded_at {
            Some(_) => ClockState::Breached,
            None => rules::clock_state(c.due_at, c.stopped_at, now),
        };
        let (state, seconds_left) = match state {
            ClockState::Running { left } => ("running", left.num_seconds()),
            ClockState::Met => ("met", 0),
            ClockState::Breached => ("breached", 0),
        };
        out.push(ClockDto {
            incident_id: c.incident_id,
            kind,
            due_at: c.due_at,
            state: state.into(),
            seconds_left,
            stopped_at: c.stopped_at,
            breach_recorded_at: c.breach_recorded_at,
        });
    }
    Ok(out)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClockList {
    pub items: Vec<ClockDto>,
}

/// Every clock no release has stopped yet, soonest due first, with the time left (breached ones stay listed until answered).
#[utoipa::path(operation_id = "list_opinion_clocks", tag = "opinions", responses((status = 200, description = "Running clocks", body = ClockList)))]
#[get("/opinion-clocks")]
pub async fn clocks(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let running = store::running(&mut conn, orgs.as_deref()).await?;
    Ok(HttpResponse::Ok().json(ClockList { items: clock_views(running, state.clock.now())? }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    pub kind: ReleaseKind,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "县人民政府门户网站、“元谋发布”微信公众号")]
    pub channel: String,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[validate(length(min = 1, max = 50000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 50000)]
    pub content: String,
    /// When it went out; not before detection nor in the future. Defaults to now.
    pub released_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReleaseDto {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub kind: ReleaseKind,
    pub channel: String,
    pub title: String,
    pub content: String,
    pub released_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Its files, public like the release (`/api/v1/public/attachments/{id}/content`).
    pub attachments: Vec<PublicAttachment>,
}

fn release_dto(r: Release, files: Vec<Attachment>) -> ApiResult<ReleaseDto> {
    Ok(ReleaseDto {
        kind: r.kind()?,
        id: r.id,
        incident_id: r.incident_id,
        channel: r.channel,
        title: r.title,
        content: r.content,
        released_at: r.released_at,
        created_at: r.created_at,
        attachments: files.into_iter().map(PublicAttachment::from).collect(),
    })
}

/// The releases with their files, read through the public path (a release and its files are public).
async fn release_dtos(conn: &mut PooledConnection, rows: Vec<Release>) -> ApiResult<Vec<ReleaseDto>> {
    let owners: Vec<Owner> = rows.iter().map(|r| Owner::OpinionRelease(r.id)).collect();
    let mut files = persistence::public::attachments_of_many(conn, &owners).await?;
    rows.into_iter()
        .map(|r| {
            let own = files.remove(&Owner::OpinionRelease(r.id)).unwrap_or_default();
            release_dto(r, own)
        })
        .collect()
}

const ID: &str = "Incident id";

/// Logs a release (authoritative information, press conference, follow-up …); it is public at once and stops the clocks it answers.
#[utoipa::path(operation_id = "create_opinion_release", tag = "opinions", params(("id" = Uuid, Path, description = ID)), request_body = ReleaseInput, responses((status = 201, description = "Logged", body = ReleaseDto)))]
#[post("/opinion-incidents/{id}/releases")]
pub async fn release(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ReleaseInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let incident = visible(&mut conn, &auth.principal, *id).await?;
    if !may_handle(&auth.principal, &incident) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let now = state.clock.now();
    let new = NewRelease {
        kind: input.kind,
        channel: input.channel.trim().into(),
        title: input.title.trim().into(),
        content: input.content.trim().into(),
        released_at: input.released_at.unwrap_or(now),
    };
    let saved = store::release(&mut conn, &auth.actor(), *id, &new, now).await?;
    Ok(HttpResponse::Created().json(release_dto(saved, Vec::new())?))
}

/// The releases of an incident, in the order they went out.
#[utoipa::path(operation_id = "list_opinion_incident_releases", tag = "opinions", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Releases", body = Vec<ReleaseDto>)))]
#[get("/opinion-incidents/{id}/releases")]
pub async fn releases(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth.principal, *id).await?;
    let rows = store::releases_of(&mut conn, *id).await?;
    let body = release_dtos(&mut conn, rows).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Every release, newest first, for everyone.
#[utoipa::path(operation_id = "list_public_opinion_releases", tag = "public", security(()), params(PageParams), responses((status = 200, description = "A page", body = Page<ReleaseDto>)))]
#[get("/opinion-releases")]
pub async fn public_releases(state: web::Data<AppState>, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = store::public_releases(&mut conn, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = release_dtos(&mut conn, rows).await?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralInput {
    pub authority: ReferralAuthority,
    /// Defaults to now; not in the future.
    pub referred_at: Option<DateTime<Utc>>,
    /// The receiving authority's case or letter number.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub reference: Option<String>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000)]
    pub notes: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReferralDto {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    pub reference: Option<String>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

fn referral_dto(r: store::Referral) -> ApiResult<ReferralDto> {
    Ok(ReferralDto {
        authority: persistence::error::parse_code(&r.authority)?,
        id: r.id,
        incident_id: r.incident_id,
        referred_at: r.referred_at,
        reference: r.reference,
        notes: r.notes,
        created_at: r.created_at,
    })
}

/// Records the referral of false information to the police or the cyberspace authority (internal, never public).
#[utoipa::path(operation_id = "create_opinion_referral", tag = "opinions", params(("id" = Uuid, Path, description = ID)), request_body = ReferralInput, responses((status = 201, description = "Recorded", body = ReferralDto)))]
#[post("/opinion-incidents/{id}/referrals")]
pub async fn refer(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ReferralInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let incident = visible(&mut conn, &auth.principal, *id).await?;
    if !may_handle(&auth.principal, &incident) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let now = state.clock.now();
    let new = store::NewReferral {
        authority: input.authority,
        referred_at: input.referred_at.unwrap_or(now),
        reference: input.reference.map(|r| r.trim().to_owned()),
        notes: input.notes.trim().to_owned(),
    };
    let saved = store::refer(&mut conn, &auth.actor(), *id, &new, now).await?;
    Ok(HttpResponse::Created().json(referral_dto(saved)?))
}

/// The referrals of an incident.
#[utoipa::path(operation_id = "list_opinion_referrals", tag = "opinions", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Referrals", body = Vec<ReferralDto>)))]
#[get("/opinion-incidents/{id}/referrals")]
pub async fn referrals(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth.principal, *id).await?;
    let body =
        store::referrals_of(&mut conn, *id).await?.into_iter().map(referral_dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(body))
}

/// The county's clock hours (defaults 5, 24 and 48).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpinionSettingsDto {
    /// Hours to release authoritative information on an especially major or major sudden event.
    #[validate(range(min = 1, max = 72))]
    #[schema(minimum = 1, maximum = 72)]
    pub release_hours: i32,
    /// Hours to hold the press conference on such an event.
    #[validate(range(min = 1, max = 168))]
    #[schema(minimum = 1, maximum = 168)]
    pub press_conference_hours: i32,
    /// Hours to answer any other incident.
    #[validate(range(min = 1, max = 336))]
    #[schema(minimum = 1, maximum = 336)]
    pub response_hours: i32,
}

impl From<store::OpinionSettings> for OpinionSettingsDto {
    fn from(s: store::OpinionSettings) -> Self {
        OpinionSettingsDto {
            release_hours: s.release_hours,
            press_conference_hours: s.press_conference_hours,
            response_hours: s.response_hours,
        }
    }
}

/// The clock hours (any member of staff).
#[utoipa::path(operation_id = "get_opinion_settings", tag = "opinions", responses((status = 200, description = "Settings", body = OpinionSettingsDto)))]
#[get("/opinion-settings")]
pub async fn get_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    staff_scope::own_org(&auth.principal)
        .or_else(|| auth.principal.has_role(Role::SystemAdmin).then_some(Uuid::nil()))
        .ok_or_else(ApiError::forbidden)?;
    let mut conn = persistence::connection(&state.pool).await?;
    Ok(HttpResponse::Ok().json(OpinionSettingsDto::from(store::settings(&mut conn).await?)))
}

/// Replaces the clock hours (system_admin); running clocks keep their due instants.
#[utoipa::path(operation_id = "put_opinion_settings", tag = "opinions", request_body = OpinionSettingsDto, responses((status = 200, description = "Settings", body = OpinionSettingsDto)))]
#[put("/opinion-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<OpinionSettingsDto>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let new = store::OpinionSettings {
        release_hours: body.0.release_hours,
        press_conference_hours: body.0.press_conference_hours,
        response_hours: body.0.response_hours,
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = store::put_settings(&mut conn, &auth.actor(), new).await?;
    Ok(HttpResponse::Ok().json(OpinionSettingsDto::from(saved)))
}
