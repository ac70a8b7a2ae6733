//! Policy interpretations: `/api/v1/documents/{id}/interpretations` and `/api/v1/interpretations/{id}`.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::document_access::DocumentAction;
use domain::interpretations::{InterpretationForm, InterpretationStage, InterpretationStatus};
use persistence::interpretations::{self, ContentElements, Interpretation, InterpretationFields, PlannedActivity};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::routes::documents::{parties, require, visible, CallerContext};
use crate::routes::not_blank;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedActivityDto {
    pub form: InterpretationForm,
    /// Where it appears, e.g. 县政府门户网站政策解读专栏.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "县政府门户网站政策解读专栏")]
    pub channel: String,
    #[schema(value_type = String, format = Date, example = "2026-12-15")]
    pub planned_on: NaiveDate,
}

/// Which content elements are still empty.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Completeness {
    pub complete: bool,
    pub empty_elements: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InterpretationDto {
    pub id: Uuid,
    pub document_id: Uuid,
    pub stage: InterpretationStage,
    pub status: InterpretationStatus,
    /// The lead drafting organization (谁起草、谁解读), never typed.
    pub responsible_org_id: Uuid,
    pub title: String,
    pub forms: Vec<InterpretationForm>,
    pub plan: Vec<PlannedActivityDto>,
    pub background_basis: Option<String>,
    pub objectives: Option<String>,
    pub main_content: Option<String>,
    pub scope: Option<String>,
    pub standards: Option<String>,
    pub notes: Option<String>,
    pub key_terms: Option<String>,
    pub benefits: Option<String>,
    pub changes: Option<String>,
    pub interpreter_user_id: Option<Uuid>,
    pub expert_ids: Vec<Uuid>,
    pub effect_evaluation: Option<String>,
    pub completeness: Completeness,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Interpretation> for InterpretationDto {
    fn from(i: Interpretation) -> Self {
        let empty: Vec<String> = i.empty_elements().into_iter().map(str::to_owned).collect();
        InterpretationDto {
            id: i.id,
            document_id: i.document_id,
            stage: i.stage,
            status: i.status,
            responsible_org_id: i.responsible_org_id,
            title: i.title,
            forms: i.forms,
            plan: i
                .plan
                .into_iter()
                .map(|a| PlannedActivityDto { form: a.form, channel: a.channel, planned_on: a.planned_on })
                .collect(),
            background_basis: i.elements.background_basis,
            objectives: i.elements.objectives,
            main_content: i.elements.main_content,
            scope: i.elements.scope,
            standards: i.elements.standards,
            notes: i.elements.notes,
            key_terms: i.elements.key_terms,
            benefits: i.elements.benefits,
            changes: i.elements.changes,
            interpreter_user_id: i.interpreter_user_id,
            expert_ids: i.expert_ids,
            effect_evaluation: i.effect_evaluation,
            completeness: Completeness { complete: empty.is_empty(), empty_elements: empty },
            signed_by: i.signed_by,
            signed_at: i.signed_at,
            published_at: i.published_at,
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterpretationList {
    pub items: Vec<InterpretationDto>,
}

/// The plan and materials of an interpretation.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterpretationInput {
    /// `initial` (with the document, only while it is a draft) or `follow_up` (once it is published). Ignored on update.
    pub stage: Option<InterpretationStage>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, example = "《关于进一步做好城乡居民最低生活保障工作的通知》政策解读")]
    pub title: String,
    #[validate(length(max = 9))]
    #[schema(max_items = 9)]
    #[serde(default)]
    pub forms: Vec<InterpretationForm>,
    /// 解读方案: the planned activities.
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub plan: Vec<PlannedActivityDto>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000, example = "依据《社会救助暂行办法》和省、州有关规定制定")]
    pub background_basis: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub objectives: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000, example = "明确低保申请、审核确认、动态管理等要求")]
    pub main_content: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub scope: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub standards: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub notes: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub key_terms: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub benefits: Option<String>,
    /// 新旧政策差异; may be 无.
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000, example = "无")]
    pub changes: Option<String>,
    pub interpreter_user_id: Option<Uuid>,
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    #[serde(default)]
    pub expert_ids: Vec<Uuid>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub effect_evaluation: Option<String>,
}

/// Experts come from the pool of the document's county (its own and the deployment-wide ones).
async fn fields_from(
    conn: &mut persistence::PooledConnection,
    input: InterpretationInput,
    county: Option<Uuid>,
) -> ApiResult<InterpretationFields> {
    let active = persistence::experts::active_among(conn, &input.expert_ids, county).await?;
    if let Some(unknown) = input.expert_ids.iter().find(|id| !active.contains(id)) {
        return Err(ApiError::field(
            "expert_ids",
            "not_found",
            format!("专家 {unknown} 不在专家库中"),
            format!("Expert {unknown} is not in the pool"),
        ));
    }
    if let Some(interpreter) = input.interpreter_user_id {
        if let Err(persistence::StoreError::NotFound) = persistence::users::get(conn, interpreter).await {
            return Err(ApiError::field(
                "interpreter_user_id",
                "not_found",
                "解读人不存在",
                "The interpreter does not exist",
            ));
        }
    }
    let text = |t: Option<String>| t.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    Ok(InterpretationFields {
        title: input.title.trim().to_owned(),
        forms: input.forms,
        plan: input
            .plan
            .into_iter()
            .map(|a| PlannedActivity { form: a.form, channel: a.channel.trim().to_owned(), planned_on: a.planned_on })
            .collect(),
        elements: ContentElements {
            background_basis: text(input.background_basis),
            objectives: text(input.objectives),
            main_content: text(input.main_content),
            scope: text(input.scope),
            standards: text(input.standards),
            notes: text(input.notes),
            key_terms: text(input.key_terms),
            benefits: text(input.benefits),
            changes: text(input.changes),
        },
        interpreter_user_id: input.interpreter_user_id,
        expert_ids: input.expert_ids,
        effect_evaluation: text(input.effect_evaluation),
    })
}

/// The document's interpretations: all of them for its organizations, the published ones for everyone else.
#[utoipa::path(operation_id = "list_document_interpretations", tag = "interpretations", params(("id" = Uuid, Path, description = "Document id")), responses((status = 200, description = "The interpretations", body = InterpretationList)))]
#[get("/documents/{id}/interpretations")]
pub async fn list(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let document = visible(&mut conn, &ctx, *id).await?;
    let mut as_party = parties(&document);
    as_party.is_public = false;
    let party = ctx.caller().can_see(&as_party);
    let items = interpretations::list_for_document(&mut conn, *id)
        .await?
        .into_iter()
        .filter(|i| party || i.status == InterpretationStatus::Published)
        .map(InterpretationDto::from)
        .collect();
    Ok(HttpResponse::Ok().json(InterpretationList { items }))
}

/// Add the initial package (draft document) or a follow-up (published document); drafter of a drafting organization.
#[utoipa::path(operation_id = "create_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Document id")), request_body = InterpretationInput, responses((status = 201, description = "Created", body = InterpretationDto)))]
#[post("/documents/{id}/interpretations")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<InterpretationInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, &auth).await?;
    let document = visible(&mut conn, &ctx, *id).await?;
    require(&ctx, &document, DocumentAction::EditInterpretation)?;
    let stage = body.0.stage.unwrap_or(InterpretationStage::Initial);
    let fields = fields_from(&mut conn, body.0, document.county_id).await?;
    let created = match interpretations::create(&mut conn, &auth.actor(), *id, stage, fields).await {
        Err(persistence::StoreError::Conflict { constraint }) if constraint == "interpretations_one_initial_idx" => {
            return Err(ApiError::conflict("initial_interpretation_exists")
                .detail("该文件已有初始解读", "The document already has its initial interpretation"));
        }
        other => other?,
    };
    let location = format!("/api/v1/interpretations/{}", created.id);
    let version = created.version;
    Ok(created_with_etag(&InterpretationDto::from(created), version, &location))
}

async fn load(
    state: &AppState,
    auth: &Auth,
    id: Uuid,
) -> ApiResult<(persistence::PooledConnection, CallerContext, Interpretation, persistence::documents::Document)> {
    let mut conn = persistence::connection(&state.pool).await?;
    let ctx = CallerContext::of(&mut conn, auth).await?;
    let interpretation = interpretations::get(&mut conn, id).await?;
    let document = visible(&mut conn, &ctx, interpretation.document_id).await?;
    let mut as_party = parties(&document);
    as_party.is_public = false;
    if interpretation.status != InterpretationStatus::Published && !ctx.caller().can_see(&as_party) {
        return Err(ApiError::not_found());
    }
    Ok((conn, ctx, interpretation, document))
}

/// Get one interpretation (unpublished ones only for the document's organizations).
#[utoipa::path(operation_id = "get_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Interpretation id")), responses((status = 200, description = "The interpretation", body = InterpretationDto)))]
#[get("/interpretations/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let (_, _, interpretation, _) = load(&state, &auth, *id).await?;
    let version = interpretation.version;
    Ok(ok_with_etag(&InterpretationDto::from(interpretation), version))
}

/// Replace the plan and materials; a signed package returns to draft and must be signed again.
#[utoipa::path(operation_id = "update_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Interpretation id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = InterpretationInput, responses((status = 200, description = "Updated", body = InterpretationDto)))]
#[put("/interpretations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<InterpretationInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx, _, document) = load(&state, &auth, *id).await?;
    require(&ctx, &document, DocumentAction::EditInterpretation)?;
    let fields = fields_from(&mut conn, body.0, document.county_id).await?;
    let updated = interpretations::update(&mut conn, &auth.actor(), *id, expected, fields).await?;
    let version = updated.version;
    Ok(ok_with_etag(&InterpretationDto::from(updated), version))
}

/// The principal of the lead drafting organization signs the package (first interpreter, 第一解读人).
#[utoipa::path(operation_id = "sign_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Interpretation id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")), responses((status = 200, description = "Signed", body = InterpretationDto)))]
#[post("/interpretations/{id}/sign")]
pub async fn sign(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let (mut conn, ctx, _, document) = load(&state, &auth, *id).await?;
    require(&ctx, &document, DocumentAction::SignInterpretation)?;
    let signed = interpretations::sign(&mut conn, &auth.actor(), *id, expected, Utc::now()).await?;
    let version = signed.version;
    Ok(ok_with_etag(&InterpretationDto::from(signed), version))
}

/// Publish a signed follow-up interpretation of a published document (initial packages publish only with their document).
#[utoipa::path(operation_id = "publish_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Interpretation id")), responses((status = 200, description = "Published", body = InterpretationDto)))]
#[post("/interpretations/{id}/publish")]
pub async fn publish(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let (mut conn, ctx, _, document) = load(&state, &auth, *id).await?;
    require(&ctx, &document, DocumentAction::Publish)?;
    let published = interpretations::publish_follow_up(&mut conn, &auth.actor(), *id, Utc::now()).await?;
    let version = published.version;
    Ok(ok_with_etag(&InterpretationDto::from(published), version))
}

/// Confidentiality review (保密审查, P1) of a signed follow-up interpretation before it is published on its own.
#[utoipa::path(operation_id = "secrecy_review_interpretation", tag = "interpretations", params(("id" = Uuid, Path, description = "Interpretation id")), request_body = crate::routes::document_actions::ReviewInput, responses((status = 200, description = "Reviewed", body = InterpretationDto)))]
#[post("/interpretations/{id}/secrecy-review")]
pub async fn secrecy_review(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<crate::routes::document_actions::ReviewInput>,
) -> ApiResult<HttpResponse> {
    let (mut conn, ctx, _, document) = load(&state, &auth, *id).await?;
    require(&ctx, &document, DocumentAction::SecrecyReview)?;
    let reviewed = interpretations::secrecy_review(&mut conn, &auth.actor(), *id, body.0.passed, Utc::now()).await?;
    let version = reviewed.version;
    Ok(ok_with_etag(&InterpretationDto::from(reviewed), version))
}
