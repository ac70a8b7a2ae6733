//! `/api/v1/consultations`: public consultations as staff run them — drafting, opening, closing,
//! moderating comments, clustering them, giving adoption results and publishing the results
//! (DOMAIN.md §5, §10; seed §5.2). The public side is in `public_consultations`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::consultations::{AdoptionResult, ConsultationMethod, ConsultationStatus};
use domain::{Principal, Role};
use persistence::consultations::{
    self as store, ClusterRow, CommentRow, Consultation, ConsultationAct, ConsultationFields, ConsultationScope,
    MethodCode,
};
use persistence::PooledConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::routes::staff_scope::{self, own_org};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsultationDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub draft_text: String,
    pub document_id: Option<Uuid>,
    pub meeting_topic: Option<String>,
    pub method: ConsultationMethod,
    pub purpose: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub shorter_period_reason: Option<String>,
    pub channels: Vec<String>,
    pub contact: String,
    /// As of now: an open consultation whose period has ended is `closed`.
    pub status: ConsultationStatus,
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was closed before its period ended.
    pub early_close_reason: Option<String>,
    pub results_summary: Option<String>,
    pub results_published_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Consultation> for ConsultationDto {
    fn from(c: Consultation) -> Self {
        ConsultationDto {
            status: c.status_at(Utc::now()),
            id: c.id,
            organization_id: c.organization_id,
            title: c.title,
            draft_text: c.draft_text,
            document_id: c.document_id,
            meeting_topic: c.meeting_topic,
            method: c.method,
            purpose: c.purpose,
            opens_at: c.opens_at,
            closes_at: c.closes_at,
            shorter_period_reason: c.shorter_period_reason,
            channels: c.channels,
            contact: c.contact,
            closed_at: c.closed_at,
            early_close_reason: c.early_close_reason,
            results_summary: c.results_summary,
            results_published_at: c.results_published_at,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A consultation's draft and period (create and full replacement while a draft).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationInput {
    /// The consulting organization; defaults to the caller's.
    pub organization_id: Option<Uuid>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "关于《元谋县城乡居民最低生活保障实施细则（征求意见稿）》公开征求意见的公告"
    )]
    pub title: String,
    #[validate(length(min = 1, max = 200000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200000)]
    pub draft_text: String,
    /// The document the draft becomes, if it is one.
    pub document_id: Option<Uuid>,
    /// Or the meeting topic it prepares.
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub meeting_topic: Option<String>,
    pub method: ConsultationMethod,
    #[validate(length(min = 1, max = 2000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub purpose: String,
    pub opens_at: DateTime<Utc>,
    /// At least 30 days after opening unless `shorter_period_reason` is given.
    pub closes_at: DateTime<Utc>,
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub shorter_period_reason: Option<String>,
    /// How comments may be sent besides this API (mail, e-mail, fax …).
    #[validate(length(max = 10))]
    #[schema(max_items = 10)]
    #[serde(default)]
    pub channels: Vec<String>,
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "县民政局社会救助股，0878-8211234")]
    pub contact: String,
}

fn fields(input: ConsultationInput, organization_id: Uuid) -> ApiResult<ConsultationFields> {
    if input.document_id.is_none() && input.meeting_topic.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(ApiError::field(
            "document_id",
            "draft_link_required",
            "征求意见稿须关联一份公文（document_id）或一个会议议题（meeting_topic）",
            "Link the draft to a document (document_id) or a meeting topic (meeting_topic)",
        ));
    }
    if input.channels.iter().any(|c| c.trim().is_empty() || c.chars().count() > 200) {
        return Err(ApiError::field(
            "channels",
            "invalid",
            "渠道不能为空且不超过200字",
            "Channels are 1–200 characters",
        ));
    }
    Ok(ConsultationFields {
        organization_id,
        title: input.title.trim().to_owned(),
        draft_text: input.draft_text,
        document_id: input.document_id,
        meeting_topic: input.meeting_topic.map(|t| t.trim().to_owned()),
        method: MethodCode(input.method),
        purpose: input.purpose.trim().to_owned(),
        opens_at: input.opens_at,
        closes_at: input.closes_at,
        shorter_period_reason: input.shorter_period_reason,
        channels: input.channels,
        contact: input.contact.trim().to_owned(),
    })
}

/// Drafters and openness officers write consultations; officers moderate and decide results.
pub(crate) fn may_write(principal: &Principal, org: Uuid) -> bool {
    own_org(principal) == Some(org) && (principal.has_role(Role::Drafter) || principal.has_role(Role::OpennessOfficer))
}

fn may_handle(principal: &Principal, org: Uuid) -> bool {
    staff_scope::is_openness_officer_of(principal, org)
}

/// Loads a consultation the caller may see as staff; others get 404.
pub(crate) async fn visible(conn: &mut PooledConnection, principal: &Principal, id: Uuid) -> ApiResult<Consultation> {
    let c = store::get(conn, id).await?;
    if staff_scope::sees(conn, principal, c.organization_id).await? {
        Ok(c)
    } else {
        Err(ApiError::not_found())
    }
}

/// Drafts a consultation (drafter or openness officer of the organization).
#[utoipa::path(operation_id = "create_consultation", tag = "consultations", request_body = ConsultationInput, responses((status = 201, description = "Created", body = ConsultationDto)))]
#[post("/consultations")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ConsultationInput>,
) -> ApiResult<HttpResponse> {
    let org = body.0.organization_id.or_else(|| own_org(&auth.principal)).ok_or_else(ApiError::forbidden)?;
    if !may_write(&auth.principal, org) {
        return Err(ApiError::forbidden());
    }
    let fields = fields(body.0, org)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let created = store::create(&mut conn, &auth.actor(), fields, Some(auth.principal.subject())).await?;
    let location = format!("/api/v1/consultations/{}", created.id);
    let version = created.version;
    Ok(created_with_etag(&ConsultationDto::from(created), version, &location))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationQuery {
    /// Only those whose period has ended and whose results are not published.
    pub awaiting_results: Option<bool>,
}

/// Consultations the caller may see, newest first.
#[utoipa::path(operation_id = "list_consultations", tag = "consultations", params(ConsultationQuery, PageParams), responses((status = 200, description = "A page", body = Page<ConsultationDto>)))]
#[get("/consultations")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ConsultationQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let scope = match staff_scope::listable(&mut conn, &auth.principal).await? {
        None => ConsultationScope::All,
        Some(orgs) => ConsultationScope::Organizations(orgs),
    };
    let awaiting = query.awaiting_results.unwrap_or(false).then(Utc::now);
    let rows = store::list(&mut conn, &scope, awaiting, page.after_id()?, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |c| c.id, ConsultationDto::from)))
}

const ID: &str = "Consultation id";

/// One consultation as its organization, the county office or the system administrator sees it.
#[utoipa::path(operation_id = "get_consultation", tag = "consultations", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The consultation", body = ConsultationDto)))]
#[get("/consultations/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let c = visible(&mut conn, &auth.principal, *id).await?;
    let version = c.version;
    Ok(ok_with_etag(&ConsultationDto::from(c), version))
}

/// Replaces a draft's fields.
#[utoipa::path(operation_id = "update_consultation", tag = "consultations", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = ConsultationInput, responses((status = 200, description = "The consultation", body = ConsultationDto)))]
#[put("/consultations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ConsultationInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, *id).await?;
    if !may_write(&auth.principal, current.organization_id) {
        return Err(ApiError::forbidden());
    }
    let fields = fields(body.0, current.organization_id)?;
    let updated = store::update(&mut conn, &auth.actor(), *id, expected, fields).await?;
    let version = updated.version;
    Ok(ok_with_etag(&ConsultationDto::from(updated), version))
}

async fn run_act(
    state: &AppState,
    auth: &Auth,
    req: &HttpRequest,
    id: Uuid,
    act: ConsultationAct,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = visible(&mut conn, &auth.principal, id).await?;
    let allowed = match act {
        ConsultationAct::Open => may_write(&auth.principal, current.organization_id),
        _ => may_handle(&auth.principal, current.organization_id),
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let updated = store::act(&mut conn, &auth.actor(), id, expected, act, Utc::now()).await?;
    let version = updated.version;
    Ok(ok_with_etag(&ConsultationDto::from(updated), version))
}

/// Opens the consultation for comments (its period decides when comments are taken); 422 `period_already_over`, or `short_period_without_reason` when opening late would leave less than 30 days.
#[utoipa::path(operation_id = "open_consultation", tag = "consultations", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The consultation", body = ConsultationDto)))]
#[post("/consultations/{id}/open")]
pub async fn open(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    run_act(&state, &auth, &req, *id, ConsultationAct::Open).await
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// Required before the end of the period (422 `early_close_without_reason` otherwise).
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 1000, example = "决策事项已由上级统一部署，本次征求意见终止")]
    pub reason: Option<String>,
}

/// Closes the consultation before the end of its period, with the reason (openness officer).
#[utoipa::path(operation_id = "close_consultation", tag = "consultations", params(("id" = Uuid, Path, description = ID)), request_body = CloseInput, responses((status = 200, description = "The consultation", body = ConsultationDto)))]
#[post("/consultations/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<CloseInput>,
) -> ApiResult<HttpResponse> {
    let reason = body.0.reason.map(|r| r.trim().to_owned());
    run_act(&state, &auth, &req, *id, ConsultationAct::Close { reason }).await
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishResultsInput {
    /// An overall account of the comments and how they were used.
    #[validate(length(min = 1, max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub summary: Option<String>,
}

/// Publishes the adoption results in one act; refused (422) while a comment has no result or a clustered opinion not adopted lacks its reason.
#[utoipa::path(operation_id = "publish_consultation_results", tag = "consultations", params(("id" = Uuid, Path, description = ID)), request_body = PublishResultsInput, responses((status = 200, description = "The consultation", body = ConsultationDto)))]
#[post("/consultations/{id}/publish-results")]
pub async fn publish_results(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<PublishResultsInput>,
) -> ApiResult<HttpResponse> {
    run_act(&state, &auth, &req, *id, ConsultationAct::PublishResults { summary: body.0.summary }).await
}

/// A comment as staff see it; the contact only for the organization's openness officers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffCommentDto {
    pub id: Uuid,
    pub receipt_code: String,
    /// The original text, as submitted.
    pub body: String,
    /// The text the public sees when moderation redacted it.
    pub published_body: Option<String>,
    pub commenter_name: Option<String>,
    /// The commenter agreed that the name is published.
    pub publish_name: bool,
    /// Moderation withheld the name from the public.
    pub name_withheld: bool,
    /// Moderation withheld the clause reference from the public.
    pub clause_ref_withheld: bool,
    pub contact: Option<String>,
    pub clause_ref: Option<String>,
    pub hidden: bool,
    pub moderation_reason: Option<String>,
    pub cluster_id: Option<Uuid>,
    pub result: Option<AdoptionResult>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn staff_comment(c: CommentRow, contact: Option<String>) -> StaffCommentDto {
    StaffCommentDto {
        id: c.id,
        receipt_code: c.receipt_code,
        body: c.body,
        published_body: c.published_body,
        commenter_name: c.commenter_name,
        publish_name: c.publish_name,
        name_withheld: c.name_withheld,
        clause_ref_withheld: c.clause_ref_withheld,
        contact,
        clause_ref: c.clause_ref,
        hidden: c.hidden,
        moderation_reason: c.moderation_reason,
        cluster_id: c.cluster_id,
        result: c.result.as_deref().and_then(|r| persistence::error::parse_code(r).ok()),
        reason: c.reason,
        created_at: c.created_at,
    }
}

/// Every comment, hidden ones included, oldest first.
#[utoipa::path(operation_id = "list_consultation_comments", tag = "consultations", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Comments", body = Vec<StaffCommentDto>)))]
#[get("/consultations/{id}/comments")]
pub async fn comments(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let c = visible(&mut conn, &auth.principal, *id).await?;
    let officer = may_handle(&auth.principal, c.organization_id);
    let mut body = Vec::new();
    for row in store::comments_of(&mut conn, *id, true).await? {
        let contact = if officer { row.contact(&state.sealer)? } else { None };
        body.push(staff_comment(row, contact));
    }
    Ok(crate::routes::requests::personal(HttpResponse::Ok().json(body), officer))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClusterDto {
    pub id: Uuid,
    pub title: String,
    pub result: Option<AdoptionResult>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<ClusterRow> for ClusterDto {
    fn from(k: ClusterRow) -> Self {
        ClusterDto {
            id: k.id,
            title: k.title,
            result: k.result.as_deref().and_then(|r| persistence::error::parse_code(r).ok()),
            reason: k.reason,
            created_at: k.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterInput {
    #[validate(length(min = 1, max = 300), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 300, example = "建议提高低保标准")]
    pub title: String,
    /// Comments of this consultation that say the same thing (相对集中的意见).
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_items = 1, max_items = 1000)]
    pub comment_ids: Vec<Uuid>,
}

/// Groups similar comments into a cluster (openness officer).
#[utoipa::path(operation_id = "create_consultation_cluster", tag = "consultations", params(("id" = Uuid, Path, description = ID)), request_body = ClusterInput, responses((status = 201, description = "The cluster", body = ClusterDto)))]
#[post("/consultations/{id}/clusters")]
pub async fn create_cluster(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ClusterInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let c = visible(&mut conn, &auth.principal, *id).await?;
    if !may_handle(&auth.principal, c.organization_id) {
        return Err(ApiError::forbidden());
    }
    let cluster =
        store::create_cluster(&mut conn, &auth.actor(), *id, body.0.title.trim(), &body.0.comment_ids).await?;
    Ok(HttpResponse::Created().json(ClusterDto::from(cluster)))
}

/// The clusters of a consultation.
#[utoipa::path(operation_id = "list_consultation_clusters", tag = "consultations", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "Clusters", body = Vec<ClusterDto>)))]
#[get("/consultations/{id}/clusters")]
pub async fn clusters(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    visible(&mut conn, &auth.principal, *id).await?;
    let body: Vec<ClusterDto> = store::clusters_of(&mut conn, *id).await?.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationInput {
    /// Hide the comment from the public.
    pub hidden: bool,
    /// Or show it with this text (personal data or abuse removed); the original is kept.
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub published_body: Option<String>,
    /// Withhold the commenter's name from the public even though it was consented to.
    #[serde(default)]
    pub withhold_name: bool,
    /// Withhold the clause reference from the public (it is free text).
    #[serde(default)]
    pub withhold_clause_ref: bool,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, example = "含有他人身份证号码")]
    pub reason: String,
}

/// Moderates a comment (openness officer): hide it, redact its public text or withhold the name, with the reason. After the results are published only redaction is possible (hiding → 409).
#[utoipa::path(operation_id = "moderate_consultation_comment", tag = "consultations", params(("id" = Uuid, Path, description = "Comment id")), request_body = ModerationInput, responses((status = 200, description = "The comment", body = StaffCommentDto)))]
#[post("/consultation-comments/{id}/moderate")]
pub async fn moderate(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ModerationInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let comment = store::comment_by_id(&mut conn, *id).await?;
    let c = visible(&mut conn, &auth.principal, comment.consultation_id).await?;
    if !may_handle(&auth.principal, c.organization_id) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let decision = store::Moderation {
        hidden: input.hidden,
        published_body: input.published_body.map(|b| b.trim().to_owned()),
        withhold_name: input.withhold_name,
        withhold_clause_ref: input.withhold_clause_ref,
        reason: input.reason.trim().to_owned(),
    };
    let row = store::moderate(&mut conn, &auth.actor(), *id, &decision).await?;
    let contact = row.contact(&state.sealer)?;
    let response = HttpResponse::Ok().json(staff_comment(row, contact));
    Ok(crate::routes::requests::personal(response, true))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    pub result: AdoptionResult,
    /// Required for `not_adopted` before the results can be published.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "与上位法规定不一致")]
    pub reason: Option<String>,
}

async fn set_result(state: &AppState, auth: &Auth, id: Uuid, cluster: bool, input: ResultInput) -> ApiResult<Uuid> {
    // A missing reason is allowed while the results are worked out; publishing refuses it.
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let mut conn = persistence::connection(&state.pool).await?;
    let consultation_id = if cluster {
        store::cluster_by_id(&mut conn, id).await?.consultation_id
    } else {
        store::comment_by_id(&mut conn, id).await?.consultation_id
    };
    let c = visible(&mut conn, &auth.principal, consultation_id).await?;
    if !may_handle(&auth.principal, c.organization_id) {
        return Err(ApiError::forbidden());
    }
    Ok(store::set_result(&mut conn, &auth.actor(), id, cluster, input.result, reason).await?)
}

/// Gives a comment its adoption result.
#[utoipa::path(operation_id = "set_consultation_comment_result", tag = "consultations", params(("id" = Uuid, Path, description = "Comment id")), request_body = ResultInput, responses((status = 204, description = "Recorded")))]
#[post("/consultation-comments/{id}/result")]
pub async fn comment_result(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ResultInput>,
) -> ApiResult<HttpResponse> {
    set_result(&state, &auth, *id, false, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a cluster its adoption result; `not_adopted` needs the reason (seed §5.2).
#[utoipa::path(operation_id = "set_consultation_cluster_result", tag = "consultations", params(("id" = Uuid, Path, description = "Cluster id")), request_body = ResultInput, responses((status = 204, description = "Recorded")))]
#[post("/consultation-clusters/{id}/result")]
pub async fn cluster_result(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ResultInput>,
) -> ApiResult<HttpResponse> {
    set_result(&state, &auth, *id, true, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The county's consultation settings.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationSettingsDto {
    /// Working days after a consultation ends within which its results must be published (default 15).
    #[validate(range(min = 1, max = 120))]
    #[schema(minimum = 1, maximum = 120)]
    pub results_working_days: i32,
    /// Public comments per client address per hour (default 30).
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub comments_per_address_per_hour: i32,
}

/// The consultation settings; readable by staff with a role.
#[utoipa::path(operation_id = "get_consultation_settings", tag = "consultations", responses((status = 200, description = "Settings", body = ConsultationSettingsDto)))]
#[get("/consultation-settings")]
pub async fn get_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    if !matches!(auth.principal, Principal::User { ref roles, .. } if !roles.is_empty()) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let s = store::settings(&mut conn).await?;
    Ok(HttpResponse::Ok().json(ConsultationSettingsDto {
        results_working_days: s.results_working_days,
        comments_per_address_per_hour: s.comments_per_address_per_hour,
    }))
}

/// Replaces the consultation settings (system_admin).
#[utoipa::path(operation_id = "put_consultation_settings", tag = "consultations", request_body = ConsultationSettingsDto, responses((status = 200, description = "Settings", body = ConsultationSettingsDto)))]
#[put("/consultation-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ConsultationSettingsDto>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let new = store::ConsultationSettings {
        results_working_days: body.0.results_working_days,
        comments_per_address_per_hour: body.0.comments_per_address_per_hour,
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = store::put_settings(&mut conn, &auth.actor(), new).await?;
    Ok(HttpResponse::Ok().json(ConsultationSettingsDto {
        results_working_days: saved.results_working_days,
        comments_per_address_per_hour: saved.comments_per_address_per_hour,
    }))
}
