//! Health, readiness, the enumerations, and the audit log.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::enums::EnumCatalog;
use domain::Action;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: String,
}

/// The process is up (does not touch the database).
#[utoipa::path(tag = "meta", responses((status = 200, description = "Up", body = Health)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(Health { status: "ok".into() })
}

/// The database answers; 503 problem+json otherwise.
#[utoipa::path(tag = "meta", responses((status = 200, description = "Ready", body = Health)), security(()))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    persistence::ping(&state.pool).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(Health { status: "ok".into() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnumsResponse {
    pub enums: Vec<EnumCatalog>,
}

/// Every enumeration of the API with its zh-CN and English labels, for front ends.
#[utoipa::path(tag = "meta", responses((status = 200, description = "All enumerations", body = EnumsResponse)), security(()))]
#[get("/meta/enums")]
pub async fn enums() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(EnumsResponse { enums: domain::enums::all_catalogs() })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// `user`, `client`, `system` or `anonymous`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub changed_fields: Vec<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The audit log, newest first (system_admin).
#[utoipa::path(tag = "meta", params(AuditQuery), responses((status = 200, description = "A page of audit entries", body = AuditPage)))]
#[get("/audit-log")]
pub async fn audit_log(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadAuditLog)?;
    let limit = crate::http::pagination::PageParams { limit: query.limit, cursor: None }.limit()?;
    let before = match &query.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::bad_request("invalid_cursor"))?),
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let mut rows = persistence::audit::list(&mut conn, before, i64::from(limit) + 1).await?;
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if has_more { rows.last().map(|r| r.id.to_string()) } else { None };
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            occurred_at: r.occurred_at,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            request_id: r.request_id,
            changed_fields: r.changed_fields,
            details: r.details,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage { items, next_cursor }))
}

/// The audit chain's state: rows sealed and waiting, the head to keep elsewhere, and the first
/// broken link if any.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    /// Whether every sealed row still hashes to its seal and links to the one before.
    pub intact: bool,
    pub verified_rows: i64,
    /// Rows written but not yet sealed (the sealer runs every second).
    pub unsealed_rows: i64,
    /// The newest sealed row's place in the chain and hash (hex): removing the newest rows can
    /// only be seen against a copy of these kept outside the database.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    pub first_broken: Option<BrokenLinkDto>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BrokenLinkDto {
    pub chain_seq: i64,
    /// The audit row's id (as in `/audit-log`).
    pub audit_id: i64,
    /// `content_changed`, `previous_hash_mismatch` or `missing_rows`.
    pub reason: String,
}

/// Seal what is committed, then check the whole audit chain (system_admin).
#[utoipa::path(operation_id = "verify_audit_log", tag = "meta", responses((status = 200, description = "The chain's state", body = AuditVerification)))]
#[get("/audit/verify")]
pub async fn verify_audit(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadAuditLog)?;
    let mut conn = persistence::connection(&state.pool).await?;
    persistence::audit::seal(&mut conn, AUDIT_SEAL_BATCH).await?;
    let (chain, broken) = persistence::audit::verify(&mut conn).await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(AuditVerification {
        intact: broken.is_none(),
        verified_rows: chain.sealed,
        unsealed_rows: chain.unsealed,
        head_seq: chain.head_seq,
        head_hash: chain.head_hash,
        first_broken: broken.map(|b| BrokenLinkDto { chain_seq: b.chain_seq, audit_id: b.audit_id, reason: b.reason }),
    }))
}

/// Rows sealed per statement (each batch is one short transaction).
pub const AUDIT_SEAL_BATCH: i32 = 5000;
