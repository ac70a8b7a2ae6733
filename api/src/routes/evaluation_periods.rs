//! Evaluation periods (考核期): a period of a county under one indicator system; scores per
//! organization and leaf indicator, each with its source — `staff` when the government office
//! scores, `third_party` when a machine client with `evaluation:write` (a third-party evaluator)
//! records them, or when the government office transcribes a named third party's results — and the
//! ranking: totals computed down the tree, equal totals ranked equally, and each organization's
//! contribution to the comprehensive assessment at the openness share.

use std::collections::{HashMap, HashSet};

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::evaluation::{self as rules, Node, ScoreSource};
use domain::{Principal, Role, Scope};
use persistence::evaluation::{self as store, NewScore, Period, Score};
use persistence::{clients, organizations, PooledConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::evaluation::{in_reach, reader_county, visible_system};
use crate::routes::not_blank;
use crate::routes::organization_records::field;
use crate::routes::rectifications::office_county;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PeriodDto {
    pub id: Uuid,
    pub county_id: Uuid,
    pub system_id: Uuid,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<Period> for PeriodDto {
    fn from(p: Period) -> Self {
        PeriodDto {
            id: p.id,
            county_id: p.county_id,
            system_id: p.system_id,
            name: p.name,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            version: p.version,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInput {
    /// An indicator system of the county with its indicators.
    pub system_id: Uuid,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "2026年度政务公开工作考核")]
    pub name: String,
    pub starts_on: NaiveDate,
    /// Not before `starts_on`.
    pub ends_on: NaiveDate,
}

/// Opens an evaluation period of the county (its government office); 422 on `system_id` (`not_found`, `no_leaves`) or `ends_on` (`before_from`).
#[utoipa::path(operation_id = "create_evaluation_period", tag = "evaluation", request_body = PeriodInput, responses((status = 201, description = "Created", body = PeriodDto)))]
#[post("/evaluation-periods")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<PeriodInput>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let input = body.0;
    let system = match store::get_system(&mut conn, input.system_id).await {
        Ok(system) if system.county_id == county => system,
        _ => return Err(field("system_id", "not_found")),
    };
    if store::indicators_of(&mut conn, system.id).await?.is_empty() {
        return Err(field("system_id", "no_leaves"));
    }
    if input.ends_on < input.starts_on {
        return Err(field("ends_on", "before_from"));
    }
    let user = Some(auth.principal.subject());
    let saved = store::create_period(
        &mut conn,
        &auth.actor(),
        &system,
        input.name.trim(),
        input.starts_on,
        input.ends_on,
        user,
    )
    .await?;
    let location = format!("/api/v1/evaluation-periods/{}", saved.id);
    let version = saved.version;
    Ok(created_with_etag(&PeriodDto::from(saved), version, &location))
}

/// Evaluation periods of the caller's county (every county for system_admin), newest first.
#[utoipa::path(operation_id = "list_evaluation_periods", tag = "evaluation", params(PageParams), responses((status = 200, description = "A page", body = Page<PeriodDto>)))]
#[get("/evaluation-periods")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let county = reader_county(&mut conn, &auth.principal).await?;
    let rows = store::list_periods(&mut conn, county, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(PeriodDto::from).collect();
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |p: &PeriodDto| p.id)))
}

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Period> {
    let reader = reader_county(conn, &auth.principal).await?;
    let period = store::get_period(conn, id).await?;
    in_reach(reader, period.county_id)?;
    Ok(period)
}

const ID: &str = "Evaluation period id";

/// One evaluation period.
#[utoipa::path(operation_id = "get_evaluation_period", tag = "evaluation", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The period", body = PeriodDto)))]
#[get("/evaluation-periods/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let period = visible(&mut conn, &auth, *id).await?;
    let version = period.version;
    Ok(ok_with_etag(&PeriodDto::from(period), version))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ScoreDto {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub indicator_id: Uuid,
    /// 0–100.
    pub score: f64,
    pub source: ScoreSource,
    /// The third-party evaluator, for `third_party` scores.
    pub evaluator: Option<String>,
    pub note: Option<String>,
    /// The user or client that recorded it.
    pub recorded_by: Uuid,
    pub recorded_at: DateTime<Utc>,
}

fn score_dto(s: Score) -> ApiResult<ScoreDto> {
    Ok(ScoreDto {
        source: s.source()?,
        id: s.id,
        organization_id: s.organization_id,
        indicator_id: s.indicator_id,
        score: f64::from(s.score) / 100.0,
        evaluator: s.evaluator,
        note: s.note,
        recorded_by: s.recorded_by,
        recorded_at: s.recorded_at,
    })
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// An organization of the period's county.
    pub organization_id: Uuid,
    /// A leaf indicator of the period's system.
    pub indicator_id: Uuid,
    /// 0–100, two decimals at most.
    #[schema(example = 87.5)]
    pub score: f64,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoresInput {
    /// The government office's default is `staff`; `third_party` (transcribing a third party's results) needs `evaluator`. A client with `evaluation:write` always records `third_party`.
    pub source: Option<ScoreSource>,
    /// The third-party evaluator's name (a client's defaults to the client's name).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "云南大学政府信息公开研究中心")]
    pub evaluator: Option<String>,
    #[validate(length(min = 1, max = 1000), nested)]
    #[schema(min_items = 1, max_items = 1000)]
    pub scores: Vec<ScoreInput>,
}

/// The source and evaluator of the scores the caller records; 403 for callers who record none.
async fn source_of(
    conn: &mut PooledConnection,
    principal: &Principal,
    input: &ScoresInput,
) -> ApiResult<(ScoreSource, Option<String>)> {
    let evaluator = input.evaluator.as_deref().map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned);
    if principal.has_role(Role::GovOffice) {
        return match input.source.unwrap_or(ScoreSource::Staff) {
            ScoreSource::Staff => Ok((ScoreSource::Staff, None)),
            ScoreSource::ThirdParty => {
                Ok((ScoreSource::ThirdParty, Some(evaluator.ok_or_else(|| field("evaluator", "required"))?)))
            }
        };
    }
    if principal.has_scope(Scope::EvaluationWrite) {
        if input.source == Some(ScoreSource::Staff) {
            return Err(field("source", "client_source"));
        }
        let name = match evaluator {
            Some(name) => name,
            None => clients::get(conn, principal.subject()).await?.name,
        };
        return Ok((ScoreSource::ThirdParty, Some(name)));
    }
    Err(ApiError::forbidden())
}

/// Records scores of the period, replacing earlier ones of the same organization and indicator, all or none (government office of the county: `staff`, or `third_party` with `evaluator`; a client with `evaluation:write` of the county: `third_party`). 422 on `scores[n].score` (`score_range`, `too_precise`), `scores[n].indicator_id` (`not_found`, `not_leaf`), `scores[n].organization_id` (`not_found`), `scores[n]` (`duplicate`), `evaluator` (`required`), `source` (`client_source`).
#[utoipa::path(operation_id = "record_evaluation_scores", tag = "evaluation", params(("id" = Uuid, Path, description = ID)), request_body = ScoresInput, responses((status = 200, description = "The scores recorded", body = Vec<ScoreDto>)), security(("bearer" = []), ("client_credentials" = ["evaluation:write"])))]
#[post("/evaluation-periods/{id}/scores")]
pub async fn record_scores(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ScoresInput>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::GovOffice) && !auth.principal.has_scope(Scope::EvaluationWrite) {
        return Err(ApiError::forbidden());
    }
    let mut conn = persistence::connection(&state.pool).await?;
    let period = visible(&mut conn, &auth, *id).await?;
    let input = body.0;
    let (source, evaluator) = source_of(&mut conn, &auth.principal, &input).await?;
    let indicators = store::indicators_of(&mut conn, period.system_id).await?;
    let members: HashSet<Uuid> = organizations::in_county(&mut conn, period.county_id).await?.into_iter().collect();
    let mut seen = HashSet::new();
    let mut new = Vec::new();
    for (n, s) in input.scores.into_iter().enumerate() {
        let score = rules::to_hundredths(s.score).ok_or_else(|| field(&format!("scores[{n}].score"), "too_precise"))?;
        if !(0..=rules::FULL).contains(&score) {
            return Err(field(&format!("scores[{n}].score"), "score_range"));
        }
        match indicators.iter().find(|i| i.id == s.indicator_id) {
            None => return Err(field(&format!("scores[{n}].indicator_id"), "not_found")),
            Some(i) if !i.is_leaf => return Err(field(&format!("scores[{n}].indicator_id"), "not_leaf")),
            Some(_) => {}
        }
        if !members.contains(&s.organization_id) {
            return Err(field(&format!("scores[{n}].organization_id"), "not_found"));
        }
        if !seen.insert((s.organization_id, s.indicator_id)) {
            return Err(field(&format!("scores[{n}]"), "duplicate"));
        }
        let note = s.note.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let score = i32::try_from(score).unwrap_or(i32::MAX);
        new.push(NewScore { organization_id: s.organization_id, indicator_id: s.indicator_id, score, note });
    }
    let saved = store::record_scores(&mut conn, &auth.actor(), period.id, source, evaluator.as_deref(), &new).await?;
    let items = saved.into_iter().map(score_dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreQuery {
    pub organization_id: Option<Uuid>,
}

/// The period's scores, oldest first.
#[utoipa::path(operation_id = "list_evaluation_scores", tag = "evaluation", params(("id" = Uuid, Path, description = ID), ScoreQuery, PageParams), responses((status = 200, description = "A page", body = Page<ScoreDto>)))]
#[get("/evaluation-periods/{id}/scores")]
pub async fn scores(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<ScoreQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let period = visible(&mut conn, &auth, *id).await?;
    let rows =
        store::list_scores(&mut conn, period.id, query.organization_id, page.after_id()?, Some(i64::from(limit) + 1))
            .await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(score_dto).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |s: &ScoreDto| s.id)))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RankingItem {
    /// Equal totals share a rank; the next rank skips the places they took (1, 2, 2, 4).
    pub rank: usize,
    pub organization_id: Uuid,
    pub name: String,
    /// Σ score × the weights on the leaf's path, 0–100, to two places; unscored leaves count 0.
    pub total: f64,
    /// `total` × the openness share: the points carried into the comprehensive assessment, to four places.
    pub contribution: f64,
    pub scored_leaves: usize,
    /// Every leaf indicator is scored.
    pub complete: bool,
    pub third_party_scores: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RankingDto {
    pub period_id: Uuid,
    pub system_id: Uuid,
    /// The share of openness in the comprehensive assessment, in percent (a setting, default 4).
    pub openness_share_percent: f64,
    pub leaf_indicators: usize,
    /// The organizations with at least one score, best first (by name among equals).
    pub items: Vec<RankingItem>,
    /// The county's government office, departments and townships with no score yet in the period,
    /// by name: not ranked, but not silently missing either.
    pub unscored: Vec<UnscoredOrganization>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnscoredOrganization {
    pub organization_id: Uuid,
    pub name: String,
}

/// The period's ranking: every scored organization's total, computed down the indicator tree, its rank and its contribution to the comprehensive assessment.
#[utoipa::path(operation_id = "evaluation_ranking", tag = "evaluation", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The ranking", body = RankingDto)))]
#[get("/evaluation-periods/{id}/ranking")]
pub async fn ranking(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let period = visible(&mut conn, &auth, *id).await?;
    visible_system(&mut conn, &auth, period.system_id).await?;
    let indicators = store::indicators_of(&mut conn, period.system_id).await?;
    let nodes: Vec<Node<Uuid>> =
        indicators.iter().map(|i| Node { key: i.id, parent: i.parent_id, weight: i64::from(i.weight) }).collect();
    let leaves = indicators.iter().filter(|i| i.is_leaf).count();
    let share = store::share_basis_points(&mut conn).await?;
    let mut by_org: HashMap<Uuid, Vec<Score>> = HashMap::new();
    for score in store::list_scores(&mut conn, period.id, None, None, None).await? {
        by_org.entry(score.organization_id).or_default().push(score);
    }
    let members = organizations::in_county(&mut conn, period.county_id).await?;
    let names = organizations::names(&mut conn, &members).await?;
    let kinds = organizations::kinds(&mut conn, &members).await?;
    let mut unscored = Vec::new();
    for org in &members {
        let evaluated = matches!(
            kinds.get(org),
            Some(
                domain::OrganizationKind::GovernmentOffice
                    | domain::OrganizationKind::Department
                    | domain::OrganizationKind::Township
            )
        );
        if evaluated && !by_org.contains_key(org) {
            unscored.push(UnscoredOrganization { organization_id: *org, name: names[org].clone() });
        }
    }
    unscored.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = Vec::new();
    for (org, recorded) in by_org {
        let name = names.get(&org).cloned().unwrap_or_default();
        let values: HashMap<Uuid, i64> = recorded.iter().map(|s| (s.indicator_id, i64::from(s.score))).collect();
        let third_party = recorded.iter().filter(|s| s.source == ScoreSource::ThirdParty.as_str()).count();
        rows.push((rules::total(&nodes, &values), name, org, recorded.len(), third_party));
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let totals: Vec<_> = rows.iter().map(|r| r.0).collect();
    let ranks = rules::ranks(&totals);
    let items = rows
        .into_iter()
        .zip(ranks)
        .map(|((total, name, org, scored, third_party), rank)| RankingItem {
            rank,
            organization_id: org,
            name,
            total: total.points(),
            contribution: total.contribution(share),
            scored_leaves: scored,
            complete: scored == leaves,
            third_party_scores: third_party,
        })
        .collect();
    Ok(HttpResponse::Ok().json(RankingDto {
        period_id: period.id,
        system_id: period.system_id,
        openness_share_percent: f64::from(share) / 100.0,
        leaf_indicators: leaves,
        items,
        unscored,
    }))
}
