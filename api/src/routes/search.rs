//! Public full-text search (`GET /api/v1/public/search?q=`) over published documents and their
//! published interpretations, in Chinese without an external engine (see `domain::search`): title
//! hits first, highlighted title and snippet, filters by organization, category and year.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use domain::documents::DocumentCategory;
use domain::search;
use persistence::documents::Scope;
use persistence::search::{self as store, Hit, Reach, SearchFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::Page;
use crate::routes::documents::CallerContext;
use crate::state::AppState;

/// Hits one query may page through: a list with title hits first is read from the top, and deeper
/// pages are better reached by narrowing the query.
const MAX_OFFSET: u32 = 1000;
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 50;
/// Characters of text around the first match.
const SNIPPET_CHARS: usize = 120;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for: Chinese words of two or more characters, numbers and ASCII words, separated
    /// by spaces or punctuation; every part must match (e.g. `2026年 医保`).
    #[param(min_length = 1, max_length = 100, example = "医保")]
    pub q: String,
    /// Issuing organization.
    pub org: Option<Uuid>,
    pub category: Option<DocumentCategory>,
    /// The year the document was formed.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Hits per page, 1–50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `document` or `interpretation`.
    pub kind: String,
    pub id: Uuid,
    /// The document, or the document the interpretation explains.
    pub document_id: Uuid,
    pub title: String,
    /// The title as HTML, matches in `<em>`; everything else escaped.
    pub title_highlighted: String,
    /// About 120 characters around the first match, as HTML with matches in `<em>`.
    pub snippet: String,
    pub doc_number: Option<String>,
    pub organization_id: Uuid,
    pub category: String,
    /// The document's or interpretation's status (`published` for the public).
    pub status: String,
    #[serde(serialize_with = "crate::http::json_time::optional_timestamp")]
    pub published_at: Option<DateTime<Utc>>,
    /// The query matched the title.
    pub title_hit: bool,
    /// Where the public reads it.
    pub url: String,
}

fn hit_dto(hit: Hit, q: &str, url_base: &str) -> SearchHit {
    SearchHit {
        title_highlighted: search::highlight(&hit.title, q, None),
        snippet: search::highlight(&hit.text, q, Some(SNIPPET_CHARS)),
        url: format!("{url_base}/{}", hit.document_id),
        status: hit.status,
        kind: hit.kind,
        id: hit.id,
        document_id: hit.document_id,
        title: hit.title,
        doc_number: hit.doc_number,
        organization_id: hit.organization_id,
        category: hit.category,
        published_at: hit.published_at,
        title_hit: hit.title_hit,
    }
}

fn offset_of(cursor: Option<&str>) -> ApiResult<u32> {
    match cursor {
        None => Ok(0),
        Some(c) => {
            c.strip_prefix('o').and_then(|n| n.parse::<u32>().ok()).filter(|n| *n <= MAX_OFFSET).ok_or_else(|| {
                ApiError::bad_request("invalid_cursor").detail(
                    "分页游标无效，请从第一页重新开始",
                    "The cursor is invalid; start again from the first page",
                )
            })
        }
    }
}

async fn run(state: &AppState, reach: Reach, query: &SearchQuery, url_base: &str) -> ApiResult<Page<SearchHit>> {
    let q = query.q.trim();
    if q.chars().count() > 100 {
        return Err(ApiError::field("q", "length", "检索词不得超过 100 个字符", "q must be at most 100 characters"));
    }
    let Some(tsquery) = search::tsquery(q) else {
        return Err(ApiError::field(
            "q",
            "no_terms",
            "检索词须含有汉字、字母或数字",
            "q must contain Chinese characters, letters or digits",
        ));
    };
    crate::routes::documents::check_year(query.year)?;
    let limit = crate::http::pagination::limit_within(query.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = offset_of(query.cursor.as_deref())?;
    let filter = SearchFilter { organization_id: query.org, category: query.category, year: query.year };
    let pool = if matches!(reach, Reach::Public) { &state.public_reads } else { &state.pool };
    let mut conn = persistence::connection(pool).await?;
    let (rows, more) =
        store::search(&mut conn, reach, &tsquery, &filter, i64::from(offset), i64::from(limit), &state.search_plans)
            .await?;
    let more = more && offset + limit <= MAX_OFFSET;
    let items: Vec<SearchHit> = rows.into_iter().map(|h| hit_dto(h, q, url_base)).collect();
    let next_cursor = more.then(|| format!("o{}", offset + limit));
    Ok(Page { items, next_cursor })
}

/// Searches published documents and interpretations (anonymous): title hits first, then the
/// other hits, each group newest first; 422 on `q` when it holds nothing searchable or is over 100 characters.
#[utoipa::path(operation_id = "public_search", tag = "public", security(()), params(SearchQuery), responses((status = 200, description = "A page of hits", body = Page<SearchHit>)))]
#[get("/search")]
pub async fn public_search(state: web::Data<AppState>, query: web::Query<SearchQuery>) -> ApiResult<HttpResponse> {
    let page = run(&state, Reach::Public, &query, "/api/v1/public/documents").await?;
    // A hit is about a kilobyte: its title twice, a snippet of about 120 characters, ids and a link.
    crate::http::json_body::json_ok(super::public::PUBLIC_CACHE_CONTROL, &page, 1024 * page.items.len() + 256)
}

/// Searches everything the caller may see, at any stage (staff; machine clients with
/// `documents:read`): the public's hits plus their organization's documents as issuer, drafter or
/// involved party (the county's for the government office, all for the system administrator) and
/// those documents' interpretations.
#[utoipa::path(operation_id = "staff_search", tag = "documents", params(SearchQuery), responses((status = 200, description = "A page of hits", body = Page<SearchHit>)))]
#[get("/search")]
pub async fn staff_search(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<SearchQuery>,
) -> ApiResult<HttpResponse> {
    let reach = {
        let mut conn = persistence::connection(&state.pool).await?;
        match CallerContext::of(&mut conn, &auth).await?.scope() {
            Scope::All => Reach::Everything,
            Scope::Parties { organization_id, county_id } => Reach::Parties { organization_id, county_id },
        }
    };
    let page = run(&state, reach, &query, "/api/v1/documents").await?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(page))
}
