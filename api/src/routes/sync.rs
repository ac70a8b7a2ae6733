//! The change feed for integrating systems (`GET /api/v1/sync/changes?cursor=`): every publication
//! and later change of a public record, in commit order, resumable from any cursor, with no gap
//! and no duplicate even under concurrent writes (the database numbers the changes at commit).

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{Role, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous answer; omit (or `0`) to start from the beginning.
    pub cursor: Option<String>,
    /// Changes per answer, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangeDto {
    /// The change's number: strictly increasing in commit order.
    pub seq: i64,
    /// `document`, `interpretation`, `annual_report`, `consultation`, `opinion_release` or `catalog`.
    pub entity_type: String,
    pub entity_id: Uuid,
    /// `published`, `updated` or `repealed`; for consultations also `closed` and `results_published`.
    pub event: String,
    pub occurred_at: DateTime<Utc>,
    /// Where the public reads the record now.
    pub url: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangesPage {
    pub items: Vec<ChangeDto>,
    /// Always present: pass it back to continue (after the last change, or where you were).
    pub next_cursor: String,
    /// Whether more changes were already waiting beyond this answer.
    pub more: bool,
}

pub(crate) fn url_of(entity_type: &str, entity_id: Uuid, document_of_interpretation: Option<Uuid>) -> String {
    match (entity_type, document_of_interpretation) {
        ("annual_report", _) => format!("/api/v1/public/annual-reports/{entity_id}"),
        ("consultation", _) => format!("/api/v1/public/consultations/{entity_id}"),
        ("catalog", _) => format!("/api/v1/public/catalogs/{entity_id}"),
        ("opinion_release", _) => "/api/v1/public/opinion-releases".to_owned(),
        ("interpretation", Some(document)) => format!("/api/v1/public/documents/{document}"),
        _ => format!("/api/v1/public/documents/{entity_id}"),
    }
}

/// Changes to public records after the cursor, oldest first (machine clients with `sync:read`,
/// or the system administrator).
#[utoipa::path(operation_id = "sync_changes", tag = "sync", params(ChangesQuery), responses((status = 200, description = "The next changes", body = ChangesPage)))]
#[get("/sync/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_scope(Scope::SyncRead) && !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let after = match query.cursor.as_deref() {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_request("invalid_cursor")
                .detail("分页游标无效，请从第一页重新开始", "The cursor is invalid; start again from the first page")
        })?,
    };
    let limit = crate::http::pagination::limit_within(query.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let mut rows = persistence::outbox::after(&mut conn, after, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let interpretation_ids: Vec<Uuid> =
        rows.iter().filter(|r| r.entity_type == "interpretation").map(|r| r.entity_id).collect();
    let documents = persistence::interpretations::documents_of(&mut conn, &interpretation_ids).await?;
    let next = rows.last().map_or(after, |r| r.seq);
    let items = rows
        .into_iter()
        .map(|r| ChangeDto {
            url: url_of(&r.entity_type, r.entity_id, documents.get(&r.entity_id).copied()),
            seq: r.seq,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            event: r.event,
            occurred_at: r.occurred_at,
        })
        .collect();
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(ChangesPage {
        items,
        next_cursor: next.to_string(),
        more,
    }))
}
