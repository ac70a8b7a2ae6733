//! The anonymous read path. Every query here selects only published documents with a public
//! attribute, and only published interpretations of those (and, for files, the other owners the
//! public sees): nothing else is reachable from the public API, by construction rather than by a
//! check someone could forget.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::documents::{DocKind, DocumentCategory, DocumentStatus, IssuingAuthority, Validity};
use domain::interpretations::{InterpretationForm, InterpretationStage};
use serde::Deserialize;
use uuid::Uuid;

use crate::attachments::{Attachment, Owner};
use crate::codes::Code;
use crate::documents::Document;
use crate::error::{StoreError, StoreResult};
use crate::interpretations::ContentElements;
use crate::schema::{attachments, document_page_extras, documents};

const PUBLIC_ATTRIBUTES: [&str; 2] = ["public_release", "proactive"];

fn is_public() -> diesel::dsl::And<
    diesel::dsl::Eq<documents::status, &'static str>,
    diesel::dsl::EqAny<documents::disclosure, [&'static str; 2]>,
> {
    documents::status.eq(DocumentStatus::Published.as_str()).and(documents::disclosure.eq_any(PUBLIC_ATTRIBUTES))
}

#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub category: Option<DocumentCategory>,
    pub organization_id: Option<Uuid>,
    pub year: Option<i32>,
    pub title_contains: Option<String>,
}

/// A public document as a list shows it: everything but the text, which is read with the
/// document alone. A page of texts was about 100 KB of JSON, most of a list's cost (issue 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    pub id: Uuid,
    pub doc_number: Option<String>,
    pub title: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub is_policy: bool,
    pub formed_on: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub validity: Validity,
    pub validity_changed_on: Option<NaiveDate>,
    pub validity_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
struct SummaryRow {
    id: Uuid,
    doc_number: Option<String>,
    title: String,
    issuing_org_id: Uuid,
    issuing_authority: Code<IssuingAuthority>,
    category: Code<DocumentCategory>,
    doc_kind: Code<DocKind>,
    is_policy: bool,
    formed_on: Option<NaiveDate>,
    published_at: Option<DateTime<Utc>>,
    validity: Code<Validity>,
    validity_changed_on: Option<NaiveDate>,
    validity_reason: Option<String>,
}

impl From<SummaryRow> for DocumentSummary {
    fn from(r: SummaryRow) -> Self {
        DocumentSummary {
            id: r.id,
            doc_number: r.doc_number,
            title: r.title,
            issuing_org_id: r.issuing_org_id,
            issuing_authority: r.issuing_authority.0,
            category: r.category.0,
            doc_kind: r.doc_kind.0,
            is_policy: r.is_policy,
            formed_on: r.formed_on,
            published_at: r.published_at,
            validity: r.validity.0,
            validity_changed_on: r.validity_changed_on,
            validity_reason: r.validity_reason,
        }
    }
}

/// A list item as the public list answers it: the document's id and its summary as JSON, written
/// by PostgreSQL when the document changed (`public_document_list`, migration
/// 2026-11-28-000130), or `None` where the service must write it ([`summary_of`]).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ListedDocument {
    pub id: Uuid,
    pub summary_json: Option<String>,
}

/// Newest first by id (UUIDv7); `before` is the last id of the previous page. `year` is the
/// year of `formed_on` as PostgreSQL counts it (the API takes 2000–2100). Reads the kept list,
/// which holds exactly the public documents.
pub async fn list_documents(
    conn: &mut AsyncPgConnection,
    filter: &PublicFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ListedDocument>> {
    use crate::schema::public_document_list as listed;
    let mut query =
        listed::table.select((listed::id, listed::summary)).order(listed::id.desc()).limit(limit).into_boxed();
    if let Some(category) = filter.category {
        query = query.filter(listed::category.eq(category.as_str()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(listed::issuing_org_id.eq(org));
    }
    if let Some(year) = filter.year {
        query = query.filter(listed::formed_year.eq(year));
    }
    if let Some(text) = filter.title_contains.as_deref().filter(|t| !t.is_empty()) {
        query = query.filter(listed::title.ilike(format!("%{}%", crate::documents::escape_like(text))));
    }
    if let Some(before) = before {
        query = query.filter(listed::id.lt(before));
    }
    Ok(query.load::<ListedDocument>(conn).await?)
}

/// A public document's summary, read from its row; None for an unknown or non-public id.
pub async fn summary_of(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<DocumentSummary>> {
    Ok(documents::table
        .filter(documents::id.eq(id))
        .filter(is_public())
        .select(SummaryRow::as_select())
        .first::<SummaryRow>(conn)
        .await
        .optional()?
        .map(DocumentSummary::from))
}

/// A file the public sees, as the public page of a document lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublicFile {
    pub id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A published interpretation with its files, as the public page of a document lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublishedInterpretation {
    pub id: Uuid,
    pub stage: InterpretationStage,
    pub title: String,
    pub forms: Vec<InterpretationForm>,
    /// The JSON's nine element fields, side by side with the others.
    #[serde(flatten)]
    pub elements: ContentElements,
    pub published_at: Option<DateTime<Utc>>,
    pub attachments: Vec<PublicFile>,
}

/// What the public page of a document shows besides the document, each list oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct DocumentExtras {
    pub attachments: Vec<PublicFile>,
    pub interpretations: Vec<PublishedInterpretation>,
}

/// A public document's page: the document as a list shows it, its text, and its files and
/// published interpretations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPage {
    pub summary: DocumentSummary,
    pub body: String,
    pub extras: DocumentExtras,
}

/// A public document's page, or None (unknown and non-public ids look the same). One statement:
/// the public columns of the document's row (not its internal ones, which the page never shows
/// and which were half of the row's columns to form, send and decode; issue 11) and its kept
/// extras.
pub async fn document_page(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<DocumentPage>> {
    let row = documents::table
        .filter(documents::id.eq(id))
        .filter(is_public())
        .select((
            SummaryRow::as_select(),
            documents::body,
            // Kept per document by triggers (migration 2026-11-28-000100): one probe, where
            // computing them was most of a get's database time.
            document_page_extras::table
                .filter(document_page_extras::document_id.eq(documents::id))
                .select(document_page_extras::extras)
                .single_value(),
        ))
        .first::<(SummaryRow, String, Option<String>)>(conn)
        .await
        .optional()?;
    let Some((summary, body, extras)) = row else { return Ok(None) };
    let extras = match extras {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| StoreError::Other(format!("document_page_extras: {e}")))?
        }
        None => DocumentExtras::default(),
    };
    Ok(Some(DocumentPage { summary: summary.into(), body, extras }))
}

diesel::define_sql_function! {
    /// The database function `public_attachment_owner` (migrations 2026-11-28-000030 and -000050).
    fn public_attachment_owner(owner_type: diesel::sql_types::Text, owner_id: diesel::sql_types::Uuid) -> Bool;
}

/// Attachments whose owner the public sees: a public document, a published interpretation of one,
/// an opinion release (public once logged), a consultation past its draft. The files of a
/// request's reply are never among them (only the applicant reads those, with the query token).
///
/// The test is a database function, probing each owner with an index lookup, so that the query
/// stays one the connection prepares once and reuses: written as raw SQL here, it was parsed and
/// planned on every request, most of PostgreSQL's time under load (bench/README.md, issue 11).
/// (Before that, an `IN (SELECT …)` under an `OR` hashed every public document id per call.)
fn publicly_owned() -> Box<dyn BoxableExpression<attachments::table, Pg, SqlType = Bool>> {
    Box::new(public_attachment_owner(attachments::owner_type, attachments::owner_id))
}

/// The attachments of each of `owners` that the public sees (see [`publicly_owned`]), oldest first.
pub async fn attachments_of_many(
    conn: &mut AsyncPgConnection,
    owners: &[Owner],
) -> StoreResult<HashMap<Owner, Vec<Attachment>>> {
    crate::attachments::grouped(conn, owners, Some(publicly_owned)).await
}

/// The attachments of `owner` when the public sees it; empty otherwise.
pub async fn attachments_of(conn: &mut AsyncPgConnection, owner: Owner) -> StoreResult<Vec<Attachment>> {
    Ok(attachments_of_many(conn, &[owner]).await?.remove(&owner).unwrap_or_default())
}

/// An attachment the public sees (see [`publicly_owned`]); None otherwise.
pub async fn attachment(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<Attachment>> {
    Ok(attachments::table
        .filter(attachments::id.eq(id))
        .filter(publicly_owned())
        .select(Attachment::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The most recently published public documents (of one organization, or all), newest first: the
/// feed readers follow.
pub async fn recently_published(
    conn: &mut AsyncPgConnection,
    organization_id: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Document>> {
    let mut query = documents::table
        .filter(is_public())
        .select(crate::documents::row_selection())
        .order((documents::published_at.desc(), documents::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(org) = organization_id {
        query = query.filter(documents::issuing_org_id.eq(org));
    }
    Ok(crate::documents::from_rows(query.load(conn).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_two_public_attributes_are_public() {
        use domain::documents::Disclosure;
        for d in Disclosure::ALL {
            assert_eq!(super::PUBLIC_ATTRIBUTES.contains(&d.as_str()), d.is_public(), "{d}");
        }
    }
}
