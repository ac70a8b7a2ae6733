//! Public full-text search over published documents of a public attribute and the published
//! interpretations of those documents, nothing else (the same rule as `public`). Title hits rank
//! first, then the text rank, then the newest.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float4, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::documents::DocumentCategory;
use uuid::Uuid;

use crate::error::StoreResult;

#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    /// `document` or `interpretation`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub document_id: Uuid,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub doc_number: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub organization_id: Uuid,
    #[diesel(sql_type = Text)]
    pub category: String,
    /// The document's or interpretation's status (always `published` for the public).
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub published_at: Option<DateTime<Utc>>,
    /// The searched text, for the snippet.
    #[diesel(sql_type = Text)]
    pub text: String,
    #[diesel(sql_type = Bool)]
    pub title_hit: bool,
    #[diesel(sql_type = Float4)]
    pub rank: f32,
}

#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub organization_id: Option<Uuid>,
    pub category: Option<DocumentCategory>,
    /// The year the document was formed (as the public list filters).
    pub year: Option<i32>,
}

/// Who searches: the public reads published documents of a public attribute and their published
/// interpretations; staff also what they may see (the documents list's rule: their organization's
/// documents as issuer, drafter or involved party, their county's for the government office,
/// everything for the system administrator), with those documents' interpretations at any stage.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    Public,
    Everything,
    Parties { organization_id: Option<Uuid>, county_id: Option<Uuid> },
}

/// `tsquery` is `domain::search::tsquery`'s text. Pages by offset: a ranked list has no stable key.
pub async fn search(
    conn: &mut AsyncPgConnection,
    reach: Reach,
    tsquery: &str,
    filter: &SearchFilter,
    offset: i64,
    limit: i64,
) -> StoreResult<Vec<Hit>> {
    const PUBLIC: &str = "(d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'))";
    const PARTIES: &str = "(d.issuing_org_id = $7 OR $7 = ANY(d.drafting_org_ids) OR $7 = ANY(d.involved_org_ids) \
        OR d.county_id = $8)";
    let (documents, interpretations) = match reach {
        Reach::Public => (PUBLIC.to_owned(), format!("i.status = 'published' AND {PUBLIC}")),
        Reach::Everything => ("true".to_owned(), "true".to_owned()),
        Reach::Parties { .. } => {
            (format!("({PUBLIC} OR {PARTIES})"), format!("((i.status = 'published' AND {PUBLIC}) OR {PARTIES})"))
        }
    };
    let (organization, county) = match reach {
        Reach::Parties { organization_id, county_id } => (organization_id, county_id),
        _ => (None, None),
    };
    // $7 and $8 are named in every branch so that PostgreSQL knows their types even when the
    // reach does not use them.
    const FILTERS: &str = "($2::uuid IS NULL OR d.issuing_org_id = $2) AND ($3::text IS NULL OR d.category = $3) \
        AND ($4::int IS NULL OR extract(year FROM d.formed_on) = $4) AND ($7::uuid IS NULL OR true) \
        AND ($8::uuid IS NULL OR true)";
    let sql = format!(
        "WITH q AS (SELECT to_tsquery('simple', $1) AS q) \
         SELECT * FROM ( \
             SELECT 'document' AS kind, d.id, d.id AS document_id, d.title, d.doc_number, \
                    d.issuing_org_id AS organization_id, d.category, d.status, d.published_at, d.body AS text, \
                    d.search_title @@ q.q AS title_hit, ts_rank_cd(d.search_all, q.q, 1) AS rank \
             FROM documents d, q WHERE d.search_all @@ q.q AND {documents} AND {FILTERS} \
             UNION ALL \
             SELECT 'interpretation', i.id, d.id, i.title, d.doc_number, d.issuing_org_id, d.category, i.status, \
                    i.published_at, \
                    coalesce(i.background_basis, '') || ' ' || coalesce(i.objectives, '') || ' ' \
                        || coalesce(i.main_content, '') || ' ' || coalesce(i.scope, '') || ' ' \
                        || coalesce(i.standards, '') || ' ' || coalesce(i.notes, '') || ' ' \
                        || coalesce(i.key_terms, '') || ' ' || coalesce(i.benefits, '') || ' ' \
                        || coalesce(i.changes, ''), \
                    i.search_title @@ q.q, ts_rank_cd(i.search_all, q.q, 1) \
             FROM interpretations i JOIN documents d ON d.id = i.document_id, q \
             WHERE i.search_all @@ q.q AND {interpretations} AND {FILTERS} \
         ) hits \
         ORDER BY title_hit DESC, rank DESC, published_at DESC NULLS LAST, id DESC \
         OFFSET $5 LIMIT $6"
    );
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(tsquery)
        .bind::<Nullable<SqlUuid>, _>(filter.organization_id)
        .bind::<Nullable<Text>, _>(filter.category.map(|c| c.as_str()))
        .bind::<Nullable<Int4>, _>(filter.year)
        .bind::<Int8, _>(offset)
        .bind::<Int8, _>(limit)
        .bind::<Nullable<SqlUuid>, _>(organization)
        .bind::<Nullable<SqlUuid>, _>(county)
        .load(conn)
        .await?)
}
