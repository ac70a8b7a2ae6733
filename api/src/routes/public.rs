//! `/api/v1/public/…`: anonymous reads. These handlers reach storage only through
//! `persistence::public`, whose queries select published, public rows alone.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::documents::{DocKind, DocumentCategory, IssuingAuthority, Validity};
use persistence::documents::Document;
use persistence::public::{self, PublicFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::http::pagination::{Page, PageParams};
use crate::routes::interpretations::InterpretationDto;
use crate::state::AppState;

/// A published document as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicDocument {
    pub id: Uuid,
    #[schema(example = "元政办发〔2026〕12号")]
    pub doc_number: Option<String>,
    #[schema(example = "元谋县人民政府办公室关于进一步做好城乡居民最低生活保障工作的通知")]
    pub title: String,
    pub body: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub is_policy: bool,
    pub formed_on: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    /// 效力状态: a repealed or expired document stays readable.
    pub validity: Validity,
    pub validity_changed_on: Option<NaiveDate>,
    pub validity_reason: Option<String>,
}

impl From<Document> for PublicDocument {
    fn from(d: Document) -> Self {
        PublicDocument {
            id: d.id,
            doc_number: d.doc_number,
            title: d.title,
            body: d.body,
            issuing_org_id: d.issuing_org_id,
            issuing_authority: d.issuing_authority,
            category: d.category,
            doc_kind: d.doc_kind,
            is_policy: d.is_policy,
            formed_on: d.formed_on,
            published_at: d.published_at,
            validity: d.validity,
            validity_changed_on: d.validity_changed_on,
            validity_reason: d.validity_reason,
        }
    }
}

/// A published document with its published interpretations.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDocumentDetail {
    #[serde(flatten)]
    pub document: PublicDocument,
    pub interpretations: Vec<InterpretationDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicDocumentQuery {
    pub category: Option<DocumentCategory>,
    /// Issuing organization.
    pub org: Option<Uuid>,
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Text contained in the title.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

/// Published documents (public_release and proactive only), newest first.
#[utoipa::path(operation_id = "list_public_documents", tag = "public", params(PublicDocumentQuery, PageParams), responses((status = 200, description = "A page of published documents", body = Page<PublicDocument>)), security(()))]
#[get("/public/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    query: web::Query<PublicDocumentQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let before = page.after_id()?;
    if query.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::field("q", "length", "检索词不得超过 100 个字符", "q must be at most 100 characters"));
    }
    let filter = PublicFilter {
        category: query.category,
        organization_id: query.org,
        year: query.year,
        title_contains: query.q.clone(),
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let rows = public::list_documents(&mut conn, &filter, before, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |d| d.id, PublicDocument::from)))
}

/// One published document with its published interpretations; anything else is 404, as an unknown id.
#[utoipa::path(operation_id = "get_public_document", tag = "public", params(("id" = Uuid, Path, description = "Document id")), responses((status = 200, description = "The document", body = PublicDocumentDetail)), security(()))]
#[get("/public/documents/{id}")]
pub async fn get_document(state: web::Data<AppState>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let document = public::get_document(&mut conn, *id).await?.ok_or_else(ApiError::not_found)?;
    let interpretations =
        public::interpretations_of(&mut conn, *id).await?.into_iter().map(InterpretationDto::from).collect();
    Ok(HttpResponse::Ok().json(PublicDocumentDetail { document: document.into(), interpretations }))
}
