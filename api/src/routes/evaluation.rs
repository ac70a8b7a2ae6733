//! Evaluation systems (考核评议指标体系, seed §6): a tree of weighted indicators per county, kept by
//! the county's government office and replaced as a whole, so that the rule "weights sum to 100 at
//! every level" (domain::evaluation) is checked on the complete tree; frozen once any period holds
//! scores under it. Also the share openness carries in the comprehensive assessment (a setting).

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::evaluation::{self as rules, IndicatorSpec, TreeProblem};
use domain::{Principal, Role, Scope};
use persistence::evaluation::{self as store, Indicator, NewIndicator, System};
use persistence::PooledConnection;
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
use crate::routes::organization_records::field;
use crate::routes::rectifications::office_county;
use crate::state::AppState;

/// The county whose evaluation the caller reads: `None` (every county) for system_admin, the
/// office's county for the government office, the county of its organization for a third-party
/// client with `evaluation:write`; 403 for anyone else.
pub async fn reader_county(conn: &mut PooledConnection, principal: &Principal) -> ApiResult<Option<Uuid>> {
    if principal.has_role(Role::SystemAdmin) {
        return Ok(None);
    }
    if principal.has_role(Role::GovOffice) {
        return Ok(Some(office_county(conn, principal).await?));
    }
    if principal.has_scope(Scope::EvaluationWrite) {
        return crate::routes::staff_scope::client_county(conn, principal).await.map(Some);
    }
    Err(ApiError::forbidden())
}

/// 404 unless the caller reads `county`'s evaluation.
pub fn in_reach(reader: Option<Uuid>, county: Uuid) -> ApiResult<()> {
    match reader {
        Some(own) if own != county => Err(ApiError::not_found()),
        _ => Ok(()),
    }
}

/// A hundredths value as written by people: 9900 → "99", 1250 → "12.5".
pub fn decimal(hundredths: i64) -> String {
    let text = format!("{}.{:02}", hundredths / 100, (hundredths % 100).abs());
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IndicatorDto {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub parent_code: Option<String>,
    /// Percent of the parent (of the whole, for a first-level indicator); siblings sum to 100.
    pub weight: f64,
    /// Leaves are scored (0–100); parents are computed.
    pub is_leaf: bool,
    pub description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SystemDto {
    pub id: Uuid,
    pub county_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// Scores exist under it: the indicators can no longer change.
    pub frozen: bool,
    /// In the order submitted.
    pub indicators: Vec<IndicatorDto>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn indicator_dtos(indicators: Vec<Indicator>) -> Vec<IndicatorDto> {
    let codes: Vec<(Uuid, String)> = indicators.iter().map(|i| (i.id, i.code.clone())).collect();
    indicators
        .into_iter()
        .map(|i| IndicatorDto {
            parent_code: i.parent_id.and_then(|p| codes.iter().find(|(id, _)| *id == p).map(|(_, c)| c.clone())),
            id: i.id,
            code: i.code,
            name: i.name,
            parent_id: i.parent_id,
            weight: f64::from(i.weight) / 100.0,
            is_leaf: i.is_leaf,
            description: i.description,
        })
        .collect()
}

async fn system_dto(conn: &mut PooledConnection, system: System) -> ApiResult<SystemDto> {
    let indicators = indicator_dtos(store::indicators_of(conn, system.id).await?);
    Ok(SystemDto {
        frozen: store::is_frozen(conn, system.id).await?,
        indicators,
        id: system.id,
        county_id: system.county_id,
        name: system.name,
        description: system.description,
        version: system.version,
        created_at: system.created_at,
        updated_at: system.updated_at,
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "2026年度政务公开工作考核指标体系")]
    pub name: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
}

/// Creates an indicator system of the county (its government office); indicators follow with `PUT …/indicators`.
#[utoipa::path(operation_id = "create_evaluation_system", tag = "evaluation", request_body = SystemInput, responses((status = 201, description = "Created", body = SystemDto)))]
#[post("/evaluation-systems")]
pub async fn create_system(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<SystemInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let input = body.0;
    let description = input.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
    let user = Some(auth.principal.subject());
    let saved = store::create_system(&mut conn, &auth.actor(), county, input.name.trim(), description, user).await?;
    let location = format!("/api/v1/evaluation-systems/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&system_dto(&mut conn, saved).await?, version, &location))
}

/// Indicator systems of the caller's county (every county for system_admin), newest first.
#[utoipa::path(operation_id = "list_evaluation_systems", tag = "evaluation", params(PageParams), responses((status = 200, description = "A page", body = Page<SystemDto>)))]
#[get("/evaluation-systems")]
pub async fn list_systems(
    state: web::Data<AppState>,
    auth: Auth,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = reader_county(&mut conn, &auth.principal).await?;
    let rows = store::list_systems(&mut conn, county, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for system in rows {
        items.push(system_dto(&mut conn, system).await?);
    }
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |s| s.id)))
}

pub async fn visible_system(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<System> {
    let reader = reader_county(conn, &auth.principal).await?;
    let system = store::get_system(conn, id).await?;
    in_reach(reader, system.county_id)?;
    Ok(system)
}

const ID: &str = "Indicator system id";

/// One indicator system with its indicators.
#[utoipa::path(operation_id = "get_evaluation_system", tag = "evaluation", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The system", body = SystemDto)))]
#[get("/evaluation-systems/{id}")]
pub async fn get_system(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let system = visible_system(&mut conn, &auth, *id).await?;
    let version = system.version;
    Ok(ok_with_etag(&system_dto(&mut conn, system).await?, version))
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    /// Unique in the system; children name their parent by it.
    #[validate(length(min = 1, max = 20), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 20, example = "A1")]
    pub code: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "主动公开")]
    pub name: String,
    /// The parent's `code`; none for a first-level indicator.
    #[validate(length(min = 1, max = 20))]
    #[schema(min_length = 1, max_length = 20, example = "A")]
    pub parent_code: Option<String>,
    /// Percent of the parent, above 0 and at most 100, two decimals at most.
    #[schema(example = 40)]
    pub weight: f64,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsInput {
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub indicators: Vec<IndicatorInput>,
}

fn tree_error(specs: &[IndicatorSpec], problems: &[TreeProblem]) -> ApiError {
    let mut error = ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "indicator_tree_invalid");
    let (mut zh_all, mut en_all) = (Vec::new(), Vec::new());
    for problem in problems {
        let (key, code, zh, en) = match problem {
            TreeProblem::Empty => (
                "indicators".to_owned(),
                "required",
                "至少需要一个指标".into(),
                "At least one indicator is needed".into(),
            ),
            TreeProblem::TooMany => (
                "indicators".to_owned(),
                "too_many",
                format!("指标不得超过 {} 个", rules::MAX_INDICATORS),
                format!("At most {} indicators", rules::MAX_INDICATORS),
            ),
            TreeProblem::DuplicateCode { index } => (
                format!("indicators[{index}].code"),
                "duplicate_code",
                format!("指标编码「{}」重复", specs[*index].code),
                format!("The code “{}” is used twice", specs[*index].code),
            ),
            TreeProblem::UnknownParent { index } => (
                format!("indicators[{index}].parent_code"),
                "unknown_parent",
                format!("指标「{}」的上级编码不存在", specs[*index].name),
                format!("The parent code of “{}” names no indicator", specs[*index].name),
            ),
            TreeProblem::Cycle { index } => (
                format!("indicators[{index}].parent_code"),
                "cycle",
                format!("指标「{}」的上级关系构成循环", specs[*index].name),
                format!("“{}” is its own ancestor", specs[*index].name),
            ),
            TreeProblem::TooDeep { index } => (
                format!("indicators[{index}].parent_code"),
                "too_deep",
                format!("指标「{}」超过 {} 级", specs[*index].name, rules::MAX_DEPTH),
                format!("“{}” is deeper than {} levels", specs[*index].name, rules::MAX_DEPTH),
            ),
            TreeProblem::WeightRange { index } => (
                format!("indicators[{index}].weight"),
                "weight_range",
                format!("指标「{}」的权重须大于 0 且不超过 100", specs[*index].name),
                format!("The weight of “{}” must be above 0 and at most 100", specs[*index].name),
            ),
            TreeProblem::WeightsNot100 { parent: None, sum } => (
                "indicators".to_owned(),
                "weights_not_100",
                format!("一级指标权重合计为 {}，应为 100", decimal(*sum)),
                format!("The first-level weights sum to {}, not 100", decimal(*sum)),
            ),
            TreeProblem::WeightsNot100 { parent: Some(p), sum } => (
                format!("indicators[{p}]"),
                "weights_not_100",
                format!(
                    "指标「{}」（{}）的下级指标权重合计为 {}，应为 100",
                    specs[*p].name,
                    specs[*p].code,
                    decimal(*sum)
                ),
                format!(
                    "The weights under “{}” ({}) sum to {}, not 100",
                    specs[*p].name,
                    specs[*p].code,
                    decimal(*sum)
                ),
            ),
        };
        error = error.and_field(&key, code, zh.clone(), en.clone());
        zh_all.push(zh);
        en_all.push(en);
    }
    error.detail(zh_all.join("；"), en_all.join("; "))
}

/// Replaces every indicator of the system (its county's government office) as one tree: weights sum to 100 among the first-level indicators and among the children of each indicator, at most 4 levels. 422 `indicator_tree_invalid` with every problem in `errors` (e.g. `indicators[0]` → `weights_not_100` naming the indicator and the actual sum); 409 `evaluation_system_frozen` once a period has scores under it.
#[utoipa::path(operation_id = "replace_evaluation_indicators", tag = "evaluation", params(("id" = Uuid, Path, description = ID), ("If-Match" = Option<String>, Header, description = "The ETag you read")), request_body = IndicatorsInput, responses((status = 200, description = "The system", body = SystemDto)))]
#[put("/evaluation-systems/{id}/indicators")]
pub async fn replace_indicators(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<IndicatorsInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let system = store::get_system(&mut conn, *id).await?;
    in_reach(Some(county), system.county_id)?;
    let mut new = Vec::new();
    for (n, input) in body.0.indicators.into_iter().enumerate() {
        let weight = rules::to_hundredths(input.weight)
            .ok_or_else(|| field(&format!("indicators[{n}].weight"), "too_precise"))?;
        let spec = IndicatorSpec {
            code: input.code.trim().to_owned(),
            name: input.name.trim().to_owned(),
            parent_code: input.parent_code.map(|p| p.trim().to_owned()),
            weight,
        };
        let description = input.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        new.push(NewIndicator { spec, description });
    }
    let specs: Vec<IndicatorSpec> = new.iter().map(|n| n.spec.clone()).collect();
    let tree = rules::check_tree(&specs).map_err(|problems| tree_error(&specs, &problems))?;
    let saved = store::replace_indicators(&mut conn, &auth.actor(), system.id, expected, &new, &tree).await?;
    let version = saved.version;
    Ok(ok_with_etag(&system_dto(&mut conn, saved).await?, version))
}

/// The share of openness in the comprehensive assessment (国办发〔2016〕80号: at least 4%).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSettingsDto {
    /// Percent, above 0 and at most 100, two decimals at most (default 4).
    #[schema(example = 4)]
    pub openness_share_percent: f64,
}

/// The evaluation settings; readable by staff with a role and third-party evaluators.
#[utoipa::path(operation_id = "get_evaluation_settings", tag = "evaluation", responses((status = 200, description = "Settings", body = EvaluationSettingsDto)))]
#[get("/evaluation-settings")]
pub async fn get_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let staff = matches!(auth.principal, Principal::User { ref roles, .. } if !roles.is_empty());
    if !staff && !auth.principal.has_scope(Scope::EvaluationWrite) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let share = store::share_basis_points(&mut conn).await?;
    Ok(HttpResponse::Ok().json(EvaluationSettingsDto { openness_share_percent: f64::from(share) / 100.0 }))
}

/// Replaces the evaluation settings (system_admin); 422 on `openness_share_percent` (`share_range`, `too_precise`).
#[utoipa::path(operation_id = "put_evaluation_settings", tag = "evaluation", request_body = EvaluationSettingsDto, responses((status = 200, description = "Settings", body = EvaluationSettingsDto)))]
#[put("/evaluation-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<EvaluationSettingsDto>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let share = rules::to_hundredths(body.0.openness_share_percent)
        .ok_or_else(|| field("openness_share_percent", "too_precise"))?;
    let share = i32::try_from(share).ok().filter(|s| rules::share_allowed(*s));
    let share = share.ok_or_else(|| field("openness_share_percent", "share_range"))?;
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = store::put_share(&mut conn, &auth.actor(), share).await?;
    Ok(HttpResponse::Ok().json(EvaluationSettingsDto { openness_share_percent: f64::from(saved) / 100.0 }))
}
