//! Rectifications (整改, seed §1.4, §4.1): opened by the government office's website checks and
//! spot checks, one per finding; the owner organization's openness officer reports what was done
//! (`submit`, with evidence), the county's government office `verify`s it or `reopen`s it with a
//! reason and a new deadline. Overdue (still waiting after the deadline) and late (reported after
//! it) are derived; overdue ones also become `rectification_overdue` breaches.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::oversight::{self as rules, RectificationSource, RectificationStatus};
use domain::{Principal, Role};
use persistence::rectifications::{self as store, Rectification, RectificationFilter};
use persistence::{organizations, PooledConnection, StoreError};
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
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

/// Whether the caller is the government office of `org`'s county (spot checks, website checks,
/// verifying rectifications, reading venues).
pub async fn county_gov_office(conn: &mut PooledConnection, principal: &Principal, org: Uuid) -> ApiResult<bool> {
    let Some(own) = own_org(principal).filter(|_| principal.has_role(Role::GovOffice)) else {
        return Ok(false);
    };
    let county = organizations::county_of(conn, own).await?;
    Ok(county.is_some() && county == organizations::county_of(conn, org).await?)
}

/// The county whose government office the caller is; 403 otherwise.
pub async fn office_county(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Uuid> {
    let own = own_org(principal).filter(|_| principal.has_role(Role::GovOffice)).ok_or_else(ApiError::forbidden)?;
    organizations::county_of(conn, own).await?.ok_or_else(ApiError::forbidden)
}

/// The field messages of the oversight slice, in both languages.
pub fn field_message(code: &str) -> (&'static str, &'static str) {
    match code {
        "before_publication" => {
            ("放置日期早于文件公开日期", "The placement is dated before the document was published")
        }
        "document_of_other_county" => {
            ("只能放置本县的文件", "Only the county's own documents are placed at its venues")
        }
        "not_after_check_date" => {
            ("整改期限须晚于检查（或退回）日期", "The deadline must be after the check (or reopening) date")
        }
        "more_than_a_year" => ("整改期限不得超过一年", "A rectification period is at most a year"),
        "range" => ("抽查数量须在 1 至 50 之间", "A sample holds 1 to 50 documents"),
        "not_in_sample" => ("该公文不在本次抽查样本中", "The document is not in this spot check's sample"),
        "more_than_issued" => {
            ("抽查数量超过该机关已印发的公文数", "The sample is larger than the organization's issued documents")
        }
        "not_public" => ("只能放置已公开发布的公文", "Only published, public documents can be placed"),
        "not_http_url" => {
            ("网址须以 http:// 或 https:// 开头并含有主机名", "The address must be http:// or https:// with a host")
        }
        "required" => ("此项必填", "This field is required"),
        "date_in_future" => ("日期不能晚于今天", "The date cannot be after today"),
        "before_2000" => ("日期早于2000年，可能是输入错误", "The date is before 2000, probably a typing error"),
        "not_found" => ("所指记录不存在", "The referenced record does not exist"),
        "other_county" => ("该机关不属于本县", "The organization is not of your county"),
        _ => ("取值不被接受", "The value is not accepted"),
    }
}

/// Maps a storage error of this slice, giving its field codes their own messages.
pub fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::InvalidField { field, code } => {
            let (zh, en) = field_message(code);
            ApiError::field(field, code, zh, en)
        }
        other => other.into(),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RectificationDto {
    pub id: Uuid,
    /// The organization that must put the problem right.
    pub organization_id: Uuid,
    pub source: RectificationSource,
    /// The website check or spot check that found the problem.
    pub source_id: Uuid,
    pub finding_id: Uuid,
    pub problem: String,
    /// Who reported on it (the first officer to submit), if anyone yet.
    pub owner_user_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: RectificationStatus,
    /// Still waiting for the report and the deadline has passed (Asia/Shanghai).
    pub overdue: bool,
    /// The last report came after the deadline then in force.
    pub late: bool,
    pub evidence: Option<String>,
    pub submitted_on: Option<NaiveDate>,
    pub reopen_reason: Option<String>,
    pub verified_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn dto(r: Rectification, today: NaiveDate) -> ApiResult<RectificationDto> {
    let status = r.status()?;
    Ok(RectificationDto {
        source: r.source()?,
        overdue: rules::is_overdue(status, r.deadline, today),
        late: rules::is_late(r.submitted_on, r.deadline),
        status,
        id: r.id,
        organization_id: r.organization_id,
        source_id: r.source_id,
        finding_id: r.finding_id,
        problem: r.problem,
        owner_user_id: r.owner_user_id,
        opened_on: r.opened_on,
        deadline: r.deadline,
        evidence: r.evidence,
        submitted_on: r.submitted_on,
        reopen_reason: r.reopen_reason,
        verified_on: r.verified_on,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn answer(saved: Rectification, today: NaiveDate) -> ApiResult<HttpResponse> {
    let version = saved.version;
    Ok(ok_with_etag(&dto(saved, today)?, version))
}

/// The rectification, if the caller sees its organization (404 otherwise).
async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Rectification> {
    let found = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, found.organization_id).await? {
        return Err(ApiError::not_found());
    }
    Ok(found)
}

const ID: &str = "Rectification id";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RectificationQuery {
    /// `true`: only those still waiting for the report after their deadline.
    pub overdue: Option<bool>,
    pub status: Option<RectificationStatus>,
    pub organization_id: Option<Uuid>,
}

/// Rectifications of the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_rectifications", tag = "rectifications", params(RectificationQuery, PageParams), responses((status = 200, description = "A page", body = Page<RectificationDto>)))]
#[get("/rectifications")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<RectificationQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let today = state.today();
    let filter = RectificationFilter {
        overdue_on: query.overdue.filter(|o| *o).map(|_| today),
        status: query.status,
        organization_id: query.organization_id,
    };
    let rows = store::list(&mut conn, orgs.as_deref(), &filter, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(|r| dto(r, today)).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |i| i.id)))
}

/// One rectification, for its organization and the county's government office.
#[utoipa::path(operation_id = "get_rectification", tag = "rectifications", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The rectification", body = RectificationDto)))]
#[get("/rectifications/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    answer(visible(&mut conn, &auth, *id).await?, state.today())
}

/// One entry of a rectification's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RectificationEvent {
    pub occurred_at: DateTime<Utc>,
    /// `rectification.open`, `rectification.submit`, `rectification.verify`, `rectification.reopen`.
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
    /// States, reasons and deadlines the act recorded.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// Every act on the rectification, oldest first, read from the audit log.
#[utoipa::path(operation_id = "rectification_history", tag = "rectifications", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The history", body = Vec<RectificationEvent>)))]
#[get("/rectifications/{id}/history")]
pub async fn history(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth, *id).await?;
    let items: Vec<RectificationEvent> = persistence::audit::for_entity(&mut conn, "rectification", *id)
        .await?
        .into_iter()
        .map(|r| RectificationEvent {
            occurred_at: r.occurred_at,
            action: r.action,
            actor_id: r.actor_id,
            changed_fields: r.changed_fields,
            details: r.details,
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitInput {
    /// What was done, and where it can be seen (links, document numbers).
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, example = "已修复首页12处断链，并建立每周链接巡检制度")]
    pub evidence: String,
}

/// Reports the rectification done, with evidence (openness officer of its organization); 409 `rectification_state_conflict` unless `open` or `reopened`.
#[utoipa::path(operation_id = "submit_rectification", tag = "rectifications", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = SubmitInput, responses((status = 200, description = "The rectification", body = RectificationDto)))]
#[post("/rectifications/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<SubmitInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    if !staff_scope::is_openness_officer_of(&auth.principal, found.organization_id) {
        return Err(ApiError::forbidden());
    }
    let saved = store::submit(&mut conn, &auth.actor(), *id, expected, body.0.evidence.trim(), state.today())
        .await
        .map_err(store_error)?;
    answer(saved, state.today())
}

async fn office_rectification(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Rectification> {
    let found = visible(conn, auth, id).await?;
    if !county_gov_office(conn, &auth.principal, found.organization_id).await? {
        return Err(ApiError::forbidden());
    }
    Ok(found)
}

/// Accepts the report (government office of the county); 409 `rectification_state_conflict` unless `submitted`.
#[utoipa::path(operation_id = "verify_rectification", tag = "rectifications", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "The rectification", body = RectificationDto)))]
#[post("/rectifications/{id}/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    office_rectification(&mut conn, &auth, *id).await?;
    let today = state.today();
    answer(store::verify(&mut conn, &auth.actor(), *id, expected, today).await.map_err(store_error)?, today)
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenInput {
    /// Why the report is not accepted.
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000, example = "整改材料未附截图，栏目仍有过期信息")]
    pub reason: String,
    /// The new deadline: after today, within a year.
    pub deadline: NaiveDate,
}

/// Sends the report back with a reason and a new deadline (government office of the county); 409 `rectification_state_conflict` unless `submitted`; 422 on `deadline` (`not_after_check_date`, `more_than_a_year`).
#[utoipa::path(operation_id = "reopen_rectification", tag = "rectifications", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = ReopenInput, responses((status = 200, description = "The rectification", body = RectificationDto)))]
#[post("/rectifications/{id}/reopen")]
pub async fn reopen(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ReopenInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    office_rectification(&mut conn, &auth, *id).await?;
    let input = body.0;
    let saved =
        store::reopen(&mut conn, &auth.actor(), *id, expected, input.reason.trim(), input.deadline, state.today())
            .await
            .map_err(store_error)?;
    answer(saved, state.today())
}
