//! `/api/v1/public/…`: anonymous reads. These handlers reach storage only through
//! `persistence::public`, whose queries select published, public rows alone.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::documents::{DocKind, DocumentCategory, IssuingAuthority, Validity};
use persistence::public::{self, DocumentSummary, PublicFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::http::json_body::{json_ok, json_page_of_items, serialization_failed};
use crate::http::json_time;
use crate::http::pagination::{encode_id_cursor, split, Page, PageParams};
use crate::state::AppState;
use domain::interpretations::{InterpretationForm, InterpretationStage};

/// Public reads may be kept by browsers and proxies for a minute.
pub(crate) const PUBLIC_CACHE_CONTROL: &str = "public, max-age=60";
/// A document page's JSON besides the text: its summary, files and interpretations, usually.
const DOCUMENT_BYTES_BESIDES_TEXT: usize = 2048;

/// A published document as the public sees it: its summary and its text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicDocument {
    #[serde(flatten)]
    pub summary: PublicDocumentSummary,
    pub body: String,
}

/// A published interpretation as the public sees it (no internal sign-off or staff data).
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicInterpretation {
    pub id: Uuid,
    pub stage: InterpretationStage,
    pub title: String,
    pub forms: Vec<InterpretationForm>,
    pub background_basis: Option<String>,
    pub objectives: Option<String>,
    pub main_content: Option<String>,
    pub scope: Option<String>,
    pub standards: Option<String>,
    pub notes: Option<String>,
    pub key_terms: Option<String>,
    pub benefits: Option<String>,
    pub changes: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub attachments: Vec<PublicAttachment>,
}

/// A file of an item the public sees, downloadable at `/api/v1/public/attachments/{id}/content`
/// (the files of a request's reply: by its applicant alone, at the address in `reply_attachments`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicAttachment {
    pub id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

impl From<public::PublicFile> for PublicAttachment {
    fn from(f: public::PublicFile) -> Self {
        PublicAttachment {
            id: f.id,
            filename: f.filename,
            media_type: f.media_type,
            size_bytes: f.size_bytes,
            sha256: f.sha256,
        }
    }
}

/// A published document as a list shows it: the document without its text, which
/// `GET /api/v1/public/documents/{id}` gives (with its interpretations and files).
// The list's items are this JSON as PostgreSQL writes it (`public_document_summary()`, migration
// 2026-11-28-000130): a change here is a change there, with the update trigger's column list
// (e2e `public_list` compares the two).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicDocumentSummary {
    pub id: Uuid,
    #[schema(example = "元政办发〔2026〕12号")]
    pub doc_number: Option<String>,
    #[schema(example = "元谋县人民政府办公室关于进一步做好城乡居民最低生活保障工作的通知")]
    pub title: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub is_policy: bool,
    #[serde(serialize_with = "json_time::optional_date")]
    pub formed_on: Option<NaiveDate>,
    #[serde(serialize_with = "json_time::optional_timestamp")]
    pub published_at: Option<DateTime<Utc>>,
    /// 效力状态: a repealed or expired document stays listed and readable.
    pub validity: Validity,
    #[serde(serialize_with = "json_time::optional_date")]
    pub validity_changed_on: Option<NaiveDate>,
    pub validity_reason: Option<String>,
}

impl From<DocumentSummary> for PublicDocumentSummary {
    fn from(d: DocumentSummary) -> Self {
        PublicDocumentSummary {
            id: d.id,
            doc_number: d.doc_number,
            title: d.title,
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

impl From<persistence::attachments::Attachment> for PublicAttachment {
    fn from(a: persistence::attachments::Attachment) -> Self {
        PublicAttachment {
            id: a.id,
            filename: a.filename,
            media_type: a.media_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
        }
    }
}

/// A published document with its published interpretations and their files.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicDocumentDetail {
    #[serde(flatten)]
    pub document: PublicDocument,
    pub attachments: Vec<PublicAttachment>,
    pub interpretations: Vec<PublicInterpretation>,
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

/// Published documents (public_release and proactive only), newest first, without their texts:
/// each document's page (`GET /api/v1/public/documents/{id}`) has the text.
#[utoipa::path(operation_id = "list_public_documents", tag = "public", params(PublicDocumentQuery, PageParams), responses((status = 200, description = "A page of published documents", body = Page<PublicDocumentSummary>)), security(()))]
#[get("/documents")]
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
    crate::routes::documents::check_year(query.year)?;
    let filter = PublicFilter {
        category: query.category,
        organization_id: query.org,
        year: query.year,
        title_contains: query.q.clone(),
    };
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = public::list_documents(&mut conn, &filter, before, i64::from(limit) + 1).await?;
    let (rows, more) = split(rows, limit);
    let next_cursor = if more { rows.last().map(|r| encode_id_cursor(r.id)) } else { None };
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        match row.summary_json {
            Some(json) => items.push(json),
            // A date PostgreSQL does not write as the service does (a year outside 1–9999).
            None => {
                // Unpublished since the list was read: left out, as a moment later.
                let Some(summary) = public::summary_of(&mut conn, row.id).await? else { continue };
                items.push(serde_json::to_string(&PublicDocumentSummary::from(summary)).map_err(serialization_failed)?);
            }
        }
    }
    json_page_of_items(PUBLIC_CACHE_CONTROL, &items, next_cursor.as_deref())
}

/// One published document with its published interpretations; anything else is 404, as an unknown id.
#[utoipa::path(operation_id = "get_public_document", tag = "public", params(("id" = Uuid, Path, description = "Document id")), responses((status = 200, description = "The document", body = PublicDocumentDetail)), security(()))]
#[get("/documents/{id}")]
pub async fn get_document(state: web::Data<AppState>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let page = public::document_page(&mut conn, *id).await?.ok_or_else(ApiError::not_found)?;
    let extras = page.extras;
    let attachments = extras.attachments.into_iter().map(PublicAttachment::from).collect();
    let interpretations = extras
        .interpretations
        .into_iter()
        .map(|i| {
            let e = i.elements;
            PublicInterpretation {
                id: i.id,
                stage: i.stage,
                title: i.title,
                forms: i.forms,
                background_basis: e.background_basis,
                objectives: e.objectives,
                main_content: e.main_content,
                scope: e.scope,
                standards: e.standards,
                notes: e.notes,
                key_terms: e.key_terms,
                benefits: e.benefits,
                changes: e.changes,
                published_at: i.published_at,
                attachments: i.attachments.into_iter().map(PublicAttachment::from).collect(),
            }
        })
        .collect();
    let document = PublicDocument { summary: page.summary.into(), body: page.body };
    let detail = PublicDocumentDetail { document, attachments, interpretations };
    let expected = detail.document.body.len() + DOCUMENT_BYTES_BESIDES_TEXT;
    json_ok(PUBLIC_CACHE_CONTROL, &detail, expected)
}
