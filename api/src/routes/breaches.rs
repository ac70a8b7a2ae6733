//! The accountability ledger (问责台账, seed §6.3): every breach the clocks recorded, with a link to
//! its source record, the government office's manual entries (inaccurate release, 弄虚作假), and its
//! decisions (criticism, public notice, referral). Filterable, and exported as CSV or XLSX.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::accountability::{self as rules, BreachDecisionKind, BreachKind, ManualBreachCategory};
use domain::calendar::shanghai_midnight;
use domain::oversight::record_date_error;
use persistence::breaches::{self as store, Breach, BreachDecision, BreachFilter, ManualBreach, NewDecision};
use persistence::{organizations, PooledConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::ValidJson;
use crate::http::lang::Lang;
use crate::http::pagination::{Page, PageParams};
use crate::http::spreadsheet::{self, TableFormat};
use crate::routes::rectifications::{office_county, store_error};
use crate::routes::staff_scope;
use crate::routes::{not_blank, plausible_date};
use crate::state::AppState;

/// Rows one export may hold; narrower filters export the rest.
const EXPORT_LIMIT: i64 = 20_000;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BreachDecisionDto {
    pub id: Uuid,
    pub kind: BreachDecisionKind,
    pub decided_on: NaiveDate,
    pub reason: String,
    /// For a referral: the authority it went to.
    pub referred_to: Option<String>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BreachDto {
    pub id: Uuid,
    pub kind: BreachKind,
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    /// The kind of record the breach was found on (`document`, `disclosure_request`, `manual` …).
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// Where the source record is read in this API, when it has its own resource.
    pub source_path: Option<String>,
    /// The deadline that was missed (for a manual entry: the day it happened, if known).
    pub due_on: Option<NaiveDate>,
    pub occurred_at: DateTime<Utc>,
    /// What the detection recorded (for a manual entry: `category` and `description`).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Who recorded a manual entry.
    pub recorded_by: Option<Uuid>,
    pub decisions: Vec<BreachDecisionDto>,
}

fn decision_dto(d: BreachDecision) -> ApiResult<BreachDecisionDto> {
    Ok(BreachDecisionDto {
        id: d.id,
        kind: persistence::error::parse_code(&d.kind)?,
        decided_on: d.decided_on,
        reason: d.reason,
        referred_to: d.referred_to,
        decided_by: d.decided_by,
        created_at: d.created_at,
    })
}

/// The page's breaches with their organizations' names and decisions, in two queries.
async fn dtos(conn: &mut PooledConnection, rows: Vec<Breach>) -> ApiResult<Vec<BreachDto>> {
    let ids: Vec<Uuid> = rows.iter().map(|b| b.id).collect();
    let org_ids: Vec<Uuid> = rows.iter().filter_map(|b| b.organization_id).collect();
    let names = organizations::names(conn, &org_ids).await?;
    let mut decisions: HashMap<Uuid, Vec<BreachDecisionDto>> = HashMap::new();
    for d in store::decisions_of(conn, &ids).await? {
        decisions.entry(d.breach_id).or_default().push(decision_dto(d)?);
    }
    rows.into_iter()
        .map(|b| {
            Ok(BreachDto {
                kind: persistence::error::parse_code(&b.kind)?,
                organization_name: b.organization_id.and_then(|o| names.get(&o).cloned()),
                source_path: source_path(&b),
                decisions: decisions.remove(&b.id).unwrap_or_default(),
                id: b.id,
                organization_id: b.organization_id,
                entity_type: b.entity_type,
                entity_id: b.entity_id,
                due_on: b.due_on,
                occurred_at: b.occurred_at,
                details: b.details,
                recorded_by: b.recorded_by,
            })
        })
        .collect()
}

/// The source record's address: its own resource, or where the record is listed when it has none
/// (a website check's finding, an annual report never created).
fn source_path(b: &Breach) -> Option<String> {
    rules::source_path(&b.entity_type, b.entity_id).or_else(|| match b.entity_type.as_str() {
        "website_check_finding" => b.details["website_id"].as_str().map(|w| format!("/api/v1/websites/{w}/checks")),
        "annual_report_obligation" => match b.details["report_id"].as_str() {
            Some(report) => Some(format!("/api/v1/annual-reports/{report}")),
            None => b.details["year"].as_i64().map(|y| format!("/api/v1/annual-report-deadlines?year={y}")),
        },
        _ => None,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreachQuery {
    pub kind: Option<BreachKind>,
    pub organization_id: Option<Uuid>,
    /// Found on or after this day (Asia/Shanghai).
    pub from: Option<NaiveDate>,
    /// Found on or before this day (Asia/Shanghai).
    pub to: Option<NaiveDate>,
    /// `true`: only breaches with a decision; `false`: only those still awaiting one.
    pub decided: Option<bool>,
    /// `csv` or `xlsx` for the whole filtered ledger as a table (also by `Accept`).
    pub format: Option<TableFormat>,
}

fn filter_of(query: &BreachQuery) -> ApiResult<BreachFilter> {
    if let Some(from) = query.from {
        plausible_date("from", from)?;
    }
    if let Some(to) = query.to {
        plausible_date("to", to)?;
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if to < from {
            return Err(ApiError::field("to", "before_from", "结束日期早于开始日期", "`to` is before `from`"));
        }
    }
    Ok(BreachFilter {
        kind: query.kind,
        organization_id: query.organization_id,
        from: query.from.and_then(shanghai_midnight),
        until: query.to.and_then(|d| d.succ_opt()).and_then(shanghai_midnight),
        decided: query.decided,
    })
}

/// The ledger: breaches of the caller's organization (the county's for the government office),
/// newest first; `?format=csv|xlsx` exports the whole filtered ledger (at most 20,000 rows).
#[utoipa::path(operation_id = "list_breaches", tag = "accountability", params(BreachQuery, PageParams), responses(
    (status = 200, description = "A page, or the export", content((Page<BreachDto> = "application/json"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    (status = 422, description = "`export_too_large`: narrow the filters", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/breaches")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    query: web::Query<BreachQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    if !reads_ledger(&auth.principal) {
        return Err(ApiError::forbidden());
    }
    let filter = filter_of(&query)?;
    let format = spreadsheet::negotiate(query.format, req.headers());
    if format != TableFormat::Json {
        let rows = store::list(&mut conn, orgs.as_deref(), &filter, None, EXPORT_LIMIT + 1).await?;
        if rows.len() as i64 > EXPORT_LIMIT {
            return Err(ApiError::new(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, "export_too_large").detail(
                format!("导出超过 {EXPORT_LIMIT} 条，请缩小筛选范围"),
                format!("The export exceeds {EXPORT_LIMIT} rows; narrow the filters"),
            ));
        }
        let lang = Lang::from_headers(req.headers());
        let table = export_rows(&dtos(&mut conn, rows).await?, lang);
        return match format {
            TableFormat::Csv => spreadsheet::csv_response(&table, "breaches"),
            _ => spreadsheet::xlsx_response(&table, "问责台账", "breaches"),
        };
    }
    let limit = page.limit()?;
    let rows = store::list(&mut conn, orgs.as_deref(), &filter, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    Ok(HttpResponse::Ok().json(Page::after_split(dtos(&mut conn, rows).await?, more, |b| b.id)))
}

/// Free text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is exported
/// with a leading apostrophe, as OWASP advises for CSV injection.
fn defused(cells: Vec<String>) -> Vec<String> {
    cells
        .into_iter()
        .map(|c| if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c })
        .collect()
}

fn export_rows(items: &[BreachDto], lang: Lang) -> Vec<Vec<String>> {
    let header: [&str; 9] = match lang {
        Lang::Zh => ["编号", "类型", "机关", "来源记录", "来源编号", "应完成日期", "发现时间", "情况", "处理决定"],
        Lang::En => ["Id", "Kind", "Organization", "Source", "Source id", "Due", "Found at", "Details", "Decisions"],
    };
    let label = |zh: &'static str, en: &'static str| if lang == Lang::En { en } else { zh };
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    for b in items {
        let decisions = b
            .decisions
            .iter()
            .map(|d| {
                let kind = label(d.kind.label_zh(), d.kind.label_en());
                let to = d.referred_to.as_deref().map(|r| format!("→{r}")).unwrap_or_default();
                format!("{} {kind}{to}：{}", d.decided_on, d.reason)
            })
            .collect::<Vec<_>>()
            .join("；");
        let details = match b.kind {
            BreachKind::Manual => b.details["description"].as_str().unwrap_or_default().to_string(),
            _ => b.details.to_string(),
        };
        rows.push(defused(vec![
            b.id.to_string(),
            label(b.kind.label_zh(), b.kind.label_en()).to_string(),
            b.organization_name.clone().unwrap_or_default(),
            b.source_path.clone().unwrap_or_else(|| b.entity_type.clone()),
            b.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            b.due_on.map(|d| d.to_string()).unwrap_or_default(),
            (b.occurred_at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string(),
            details,
            decisions,
        ]));
    }
    rows
}

/// The ledger is read by those answerable for it: the government office, principals and the
/// openness office (officers and head); drafters and opinion officers do not read it.
fn reads_ledger(principal: &domain::Principal) -> bool {
    use domain::Role;
    [Role::SystemAdmin, Role::GovOffice, Role::Principal, Role::OpennessOfficer, Role::OpennessHead]
        .iter()
        .any(|r| principal.has_role(*r))
}

async fn visible(conn: &mut PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Breach> {
    if !reads_ledger(&auth.principal) {
        return Err(ApiError::not_found());
    }
    let found = store::get(conn, id).await?;
    let sees = match found.organization_id {
        Some(org) => staff_scope::sees(conn, &auth.principal, org).await?,
        None => auth.principal.has_role(domain::Role::SystemAdmin),
    };
    if !sees {
        return Err(ApiError::not_found());
    }
    Ok(found)
}

const ID: &str = "Breach id";

/// One breach with its decisions.
#[utoipa::path(operation_id = "get_breach", tag = "accountability", params(("id" = Uuid, Path, description = ID)), responses((status = 200, description = "The breach", body = BreachDto)))]
#[get("/breaches/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    let mut items = dtos(&mut conn, vec![found]).await?;
    Ok(HttpResponse::Ok().json(items.remove(0)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualBreachInput {
    /// The organization of the county responsible.
    pub organization_id: Uuid,
    pub category: ManualBreachCategory,
    /// What happened, with the evidence.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "2026年第3期政策解读中补贴标准数字与原文件不一致，已被群众指出"
    )]
    pub description: String,
    /// The day it happened, if known; not after today.
    pub happened_on: Option<NaiveDate>,
    /// The document it concerns, if any; it must be of the same county.
    pub document_id: Option<Uuid>,
}

/// Records a breach the system cannot detect (government office of the county): an inaccurate
/// release, 弄虚作假, or another failing.
#[utoipa::path(operation_id = "record_breach", tag = "accountability", request_body = ManualBreachInput, responses((status = 201, description = "The breach", body = BreachDto)))]
#[post("/breaches")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ManualBreachInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let input = body.0;
    let in_county = |c: Option<Uuid>| c == Some(county);
    match organizations::county_of(&conn, input.organization_id).await {
        Ok(c) if in_county(c) => {}
        Ok(_) | Err(persistence::StoreError::NotFound) => {
            return Err(store_error(persistence::StoreError::InvalidField {
                field: "organization_id",
                code: "other_county",
            }))
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(code) = input.happened_on.and_then(|d| record_date_error(d, state.today())) {
        return Err(store_error(persistence::StoreError::InvalidField { field: "happened_on", code }));
    }
    if let Some(document_id) = input.document_id {
        let county_of_document = match persistence::documents::get(&mut conn, document_id).await {
            Ok(document) => document.county_id,
            Err(persistence::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        if !in_county(county_of_document) {
            return Err(store_error(persistence::StoreError::InvalidField { field: "document_id", code: "not_found" }));
        }
    }
    let new = ManualBreach {
        organization_id: input.organization_id,
        category: input.category,
        description: input.description.trim(),
        happened_on: input.happened_on,
        document_id: input.document_id,
    };
    let saved = store::record_manual(&mut conn, &auth.actor(), &new).await?;
    let mut items = dtos(&mut conn, vec![saved]).await?;
    Ok(HttpResponse::Created().json(items.remove(0)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub kind: BreachDecisionKind,
    /// The day it was decided; today when omitted, not after today.
    pub decided_on: Option<NaiveDate>,
    /// The grounds of the decision.
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, example = "经核实属实，对该局予以通报批评，并责令一个月内整改")]
    pub reason: String,
    /// For a referral: the authority it goes to (e.g. 县纪委监委).
    #[validate(length(max = 200))]
    #[schema(max_length = 200, example = "县纪委监委")]
    pub referred_to: Option<String>,
}

/// Adds a decision on the breach (government office of the county); a referral names where it went.
#[utoipa::path(operation_id = "decide_breach", tag = "accountability", params(("id" = Uuid, Path, description = ID)), request_body = DecisionInput, responses((status = 200, description = "The breach with its decisions", body = BreachDto)))]
#[post("/breaches/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<DecisionInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let found = visible(&mut conn, &auth, *id).await?;
    let county = office_county(&mut conn, &auth.principal).await?;
    let breach_county = match found.organization_id {
        Some(org) => organizations::county_of(&conn, org).await?,
        None => None,
    };
    if breach_county != Some(county) {
        return Err(ApiError::forbidden());
    }
    let input = body.0;
    let today = state.today();
    let decided_on = input.decided_on.unwrap_or(today);
    if let Some(code) = record_date_error(decided_on, today) {
        return Err(store_error(persistence::StoreError::InvalidField { field: "decided_on", code }));
    }
    let decision = NewDecision {
        kind: input.kind,
        decided_on,
        reason: input.reason.trim(),
        referred_to: input.referred_to.as_deref().map(str::trim).filter(|r| !r.is_empty()),
    };
    store::decide(&mut conn, &auth.actor(), *id, &decision).await.map_err(store_error)?;
    let refreshed = store::get(&mut conn, *id).await?;
    let mut items = dtos(&mut conn, vec![refreshed]).await?;
    Ok(HttpResponse::Ok().json(items.remove(0)))
}
