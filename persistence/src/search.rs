//! Public full-text search over published documents of a public attribute and the published
//! interpretations of those documents, nothing else (the same rule as `public`). Title hits come
//! first, then the other hits; each group newest first.
//!
//! The order is chosen so that no query ranks every match: PostgreSQL can walk the newest-first
//! index and stop after a page's worth of hits when a word is common, or collect the few matches
//! from the GIN index when it is rare. Ranking by `ts_rank_cd` cost about 0.2 ms a match, 870 ms
//! for a two-character word in 5,000 documents (issue 11).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Int4, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::documents::DocumentCategory;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::kept::Kept;
use crate::search_plans::{tsquery_literal, HotSearches};
use crate::search_walk::newest_text_hits;
use domain::search::{title_driver, TitleDriver};

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
    #[diesel(sql_type = Bool)]
    pub title_hit: bool,
    /// The searched text, for the snippet: read with the hits on the first page (empty for the
    /// title hits of the whole-text query, which the page takes from the title query), read for
    /// the page's hits alone on deeper pages (empty until then).
    #[diesel(sql_type = Text)]
    pub text: String,
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

/// A document the public may read (the `public` module's rule).
pub(crate) const PUBLIC: &str = "(d.status = 'published' AND d.disclosure IN ('public_release', 'proactive'))";

/// A document hit's columns but its text (`documents d`, the query `$1`): the GIN path's and the
/// newest-first walk's (`search_walk`), which must agree.
pub(crate) const DOCUMENT_HIT: &str = "'document' AS kind, d.id, d.id AS document_id, d.title, d.doc_number, \
    d.issuing_org_id AS organization_id, d.category, d.status, d.published_at, \
    d.search_title @@ to_tsquery('simple', $1) AS title_hit";
/// An interpretation hit's columns but its text (`interpretations i` with its document `d`).
pub(crate) const INTERPRETATION_HIT: &str = "'interpretation' AS kind, i.id, d.id AS document_id, i.title, \
    d.doc_number, d.issuing_org_id AS organization_id, d.category, i.status, i.published_at, \
    i.search_title @@ to_tsquery('simple', $1) AS title_hit";

/// Whether the row `id` of a kind's whole-text `vectors` table matches the query `$1`, probed by
/// its id: the phrase check of the GIN path's candidates and of the newest-first walk
/// (`search_walk`), which must agree.
pub(crate) fn text_probe(vectors: &str, id: &str) -> String {
    format!("(SELECT v.search_all @@ to_tsquery('simple', $1) FROM {vectors} v WHERE v.id = {id})")
}

/// The search's filters, `$2` to `$4` (organization, category, year formed), on a row's columns:
/// one rule for the GIN path and the newest-first walk (`search_walk`), which must agree.
pub(crate) fn filter_rule(organization: &str, category: &str, formed_on: &str) -> String {
    format!(
        "($2::uuid IS NULL OR {organization} = $2) AND ($3::text IS NULL OR {category} = $3) \
         AND ($4::int IS NULL OR formed_year({formed_on}) = $4)"
    )
}

/// The public's title hits read newest first off `public_title_terms`'s key by the term `$8`
/// (migration 2026-11-28-000110), so that a word common only in older titles does not make the
/// search walk every newer document. When `$9` is not NULL, only rows as new as the term's `$9`-th
/// newest are read (its index entries found first, without the table; a subquery with a LIMIT
/// instead was planned for itself, as a bitmap scan that sorted every row of the term). Each row
/// is checked against the document or interpretation it names (published at the row's time, its
/// title matching the whole query `$1`), so a row left behind is never shown. The caller appends
/// the public rule, the filters, the order and the limit.
const PUBLIC_TITLE_TERM_HITS: &str =
    "SELECT CASE WHEN t.id = t.document_id THEN 'document' ELSE 'interpretation' END AS kind, \
        t.id, d.id AS document_id, coalesce(i.title, d.title) AS title, d.doc_number, \
        d.issuing_org_id AS organization_id, d.category, coalesce(i.status, d.status) AS status, t.published_at, \
        true AS title_hit, '' AS text \
    FROM public_title_terms t JOIN documents d ON d.id = t.document_id \
    LEFT JOIN interpretations i ON i.id = t.id AND t.id <> t.document_id \
    WHERE t.term = $8 AND ($9::bigint IS NULL OR t.published_at >= coalesce( \
        (SELECT e.published_at FROM public_title_terms e WHERE e.term = $8 \
         ORDER BY e.published_at DESC, e.id DESC OFFSET $9 - 1 LIMIT 1), '-infinity')) \
    AND CASE WHEN t.id = t.document_id \
        THEN d.published_at = t.published_at AND d.search_title @@ to_tsquery('simple', $1) \
        ELSE i.document_id = t.document_id AND i.status = 'published' AND i.published_at = t.published_at \
            AND i.search_title @@ to_tsquery('simple', $1) \
    END";

/// Rows of its term a query of several parts reads off the title index before, its page not
/// filled, it leaves the search to the GIN index: a common term can precede few hits of the whole
/// query (乡村 before 乡村振兴), where the GIN index intersects the parts' matches at once.
const TERM_WALK: i64 = 1000;

/// What a statement's placeholders stand for: `$1` to `$10`.
struct Values<'a> {
    tsquery: &'a str,
    filter: &'a SearchFilter,
    limit: i64,
    organization: Option<Uuid>,
    county: Option<Uuid>,
    /// The title index's term and how many of its rows to read (`None`: all).
    term: Option<&'a str>,
    walk: Option<i64>,
    /// The whole-text query's terms in any order, when it has a phrase to check row by row.
    any_order: Option<&'a str>,
}

/// The SQL of one reach: which documents, which interpretations, and the newest-first order
/// (the public's uses the public index, whose rows all have a publication time).
struct ReachSql {
    documents: String,
    interpretations: String,
    newest_first: &'static str,
}

impl ReachSql {
    fn of(reach: Reach) -> ReachSql {
        const PARTIES: &str = "(d.issuing_org_id = $6 OR $6 = ANY(d.drafting_org_ids) OR $6 = ANY(d.involved_org_ids) \
            OR d.county_id = $7)";
        match reach {
            Reach::Public => ReachSql {
                documents: PUBLIC.to_owned(),
                interpretations: format!("i.status = 'published' AND {PUBLIC}"),
                newest_first: "DESC",
            },
            Reach::Everything => ReachSql {
                documents: "true".to_owned(),
                interpretations: "true".to_owned(),
                newest_first: "DESC NULLS LAST",
            },
            Reach::Parties { .. } => ReachSql {
                documents: format!("({PUBLIC} OR {PARTIES})"),
                interpretations: format!("((i.status = 'published' AND {PUBLIC}) OR {PARTIES})"),
                newest_first: "DESC NULLS LAST",
            },
        }
    }
}

/// One statement's worth of a search: whose, which words and filters, the title alone or the
/// whole text, at most how many hits, and whether with their texts.
#[derive(Clone, Copy)]
struct HitQuery<'a> {
    reach: Reach,
    tsquery: &'a str,
    filter: &'a SearchFilter,
    titles_only: bool,
    limit: i64,
    with_text: bool,
}

/// Hits newest first, at most `limit`: matches of the title alone, or of the whole text. The
/// public's title hits are read off the title index when the query has a whole term.
async fn newest_hits(conn: &mut AsyncPgConnection, query: HitQuery<'_>, plans: &HotSearches) -> StoreResult<Vec<Hit>> {
    let driver = match query.reach {
        Reach::Public if query.titles_only => title_driver(query.tsquery),
        _ => None,
    };
    let Some(driver) = driver else {
        if matches!(query.reach, Reach::Public) && !query.titles_only {
            let walked = newest_text_hits(conn, query.tsquery, query.filter, query.limit, query.with_text).await?;
            if let Some(hits) = walked {
                return Ok(hits);
            }
        }
        return load_hits(conn, query, plans, None).await;
    };
    let hits = load_hits(conn, query, plans, Some(driver)).await?;
    // Every title with a sole term is a hit (the filters aside), so its walk reads all it needs.
    // Another walk stopped after TERM_WALK rows: when they did not fill the page and the term
    // has more, the hits it found may not be the newest. (The count is its own statement: should
    // the term lose rows in between, so that it no longer has more, a page of this one search can
    // miss older hits. Accepted: titles are withdrawn rarely, and the next search is right.)
    if driver.sole || hits.len() as i64 >= query.limit || !term_has_more_rows(conn, driver.term, TERM_WALK).await? {
        return Ok(hits);
    }
    load_hits(conn, query, plans, None).await
}

/// Whether the title index has more than `rows` rows of `term`.
async fn term_has_more_rows(conn: &mut AsyncPgConnection, term: &str, rows: i64) -> StoreResult<bool> {
    let count: crate::CountRow = diesel::sql_query(
        "SELECT count(*) AS n FROM (SELECT 1 FROM public_title_terms WHERE term = $1 LIMIT $2) rows_of_term",
    )
    .bind::<Text, _>(term)
    .bind::<Int8, _>(rows + 1)
    .get_result(conn)
    .await?;
    Ok(count.n > rows)
}

/// One statement of hits: off the title index by `driver`'s term, or off the search vectors.
async fn load_hits(
    conn: &mut AsyncPgConnection,
    query: HitQuery<'_>,
    plans: &HotSearches,
    driver: Option<TitleDriver<'_>>,
) -> StoreResult<Vec<Hit>> {
    let HitQuery { reach, tsquery, filter, titles_only, limit, with_text } = query;
    let ReachSql { documents, interpretations, newest_first } = ReachSql::of(reach);
    let (organization, county) = match reach {
        Reach::Parties { organization_id, county_id } => (organization_id, county_id),
        _ => (None, None),
    };
    // The whole text's vectors sit in tables of their own (migration 2026-11-28-000140), so that
    // a step of a document's life that leaves its text alone writes nothing to their GIN index.
    let (document_join, document_vector, interpretation_join, interpretation_vector) = if titles_only {
        ("", "d.search_title", "", "i.search_title")
    } else {
        (
            "JOIN document_text_vectors v ON v.id = d.id",
            "v.search_all",
            "JOIN interpretation_text_vectors v ON v.id = i.id",
            "v.search_all",
        )
    };
    // Walking the newest-first index and testing each row is cheap for titles (small, stored in
    // the row) but not for the whole text (a toasted tsvector a row), and the planner walks when
    // it misjudges a word as common: a word that occurs nowhere walked all 85,715 public documents
    // (850 ms at 100,000). Sorting on an expression keeps the text query on its GIN index, at a
    // cost that follows the number of matches. It runs only when title hits do not fill the page.
    let (document_key, interpretation_key) = if titles_only {
        ("d.published_at", "i.published_at")
    } else {
        ("(d.published_at + interval '0 seconds')", "(i.published_at + interval '0 seconds')")
    };
    // $6 to $10 are named in every branch so that PostgreSQL knows their types even when the
    // reach or the query does not use them. Each arm is limited on its own, so each can stop early.
    // A `sql_query` is never kept prepared (diesel marks it unsafe to cache), so every run is
    // planned for its own words: a plan kept for a common word would walk the whole index for a
    // rare one (a generic plan took 478 ms where its own took 0.9 ms on the bench database). A
    // search asked often is kept prepared with its values as literals instead (`search_plans`).
    let filters = format!(
        "{} AND ($6::uuid IS NULL OR true) AND ($7::uuid IS NULL OR true) AND ($8::text IS NULL OR true) \
         AND ($9::bigint IS NULL OR true) AND ($10::text IS NULL OR true)",
        filter_rule("d.issuing_org_id", "d.category", "d.formed_on")
    );
    // The texts of the hits this statement returns, read by primary key after the limit (so at
    // most `limit` reads, whatever the plan sorted), instead of a second statement. The
    // whole-text query skips its title hits: the page takes those from the title query.
    let text = if with_text {
        let skip_title_hits = if titles_only { "" } else { "WHEN page.title_hit THEN '' " };
        format!(
            "CASE {skip_title_hits}WHEN page.kind = 'document' THEN (SELECT b.body FROM documents b WHERE b.id = page.id) \
             ELSE (SELECT {INTERPRETATION_TEXT} FROM interpretations i WHERE i.id = page.id) END"
        )
    } else {
        "page.text".to_owned()
    };
    // A phrase in the whole text: the GIN index gives the documents with its terms, and checking
    // their positions read every candidate's vector, most of the statement's time for a phrase
    // in many bodies (36,039 vectors, 402 of 524 ms). The candidates are found by the terms in
    // any order, for which the index needs no vector, put in order, and the phrase is checked on
    // each in that order until the page is full. `OFFSET 0` keeps the candidates a statement of
    // their own, so the check stays above their sort. The check is exact, so the hits are the
    // same; a phrase whose terms occur apart in many texts and together in few is checked on all
    // of them, as the index did.
    let any_order = (!titles_only).then(|| domain::search::tsquery_in_any_order(tsquery)).flatten();
    let index_query = if any_order.is_some() { "$10" } else { "$1" };
    // One kind's hits: `shown` are the columns a hit shows, read `from` its tables; `matching`
    // is the rest of the statement that finds them, from its tables to its order. A phrase's
    // candidates are put in order by their times and ids alone (a row's other columns read for
    // 30,887 candidates cost 90 ms), checked in that order, and only the hits are read in full.
    let arm = |shown: &str, from: &str, id: &str, matching: String, vectors: &str| match any_order {
        Some(_) => format!(
            "({shown} {from} WHERE {id} IN (SELECT candidates.id \
               FROM (SELECT {id} AS id {matching} OFFSET 0) candidates \
               WHERE {probe} LIMIT $5))",
            probe = text_probe(vectors, "candidates.id")
        ),
        None => format!("({shown} {matching} LIMIT $5)"),
    };
    let hits = match driver {
        Some(_) => format!(
            "{PUBLIC_TITLE_TERM_HITS} AND {PUBLIC} AND {filters} ORDER BY t.published_at DESC, t.id DESC LIMIT $5"
        ),
        None => {
            let document_hits = arm(
                &format!("SELECT {DOCUMENT_HIT}, '' AS text"),
                "FROM documents d",
                "d.id",
                format!(
                    "FROM documents d {document_join} WHERE {document_vector} @@ to_tsquery('simple', {index_query}) \
                     AND {documents} AND {filters} ORDER BY {document_key} {newest_first}, d.id DESC"
                ),
                "document_text_vectors",
            );
            let interpretation_hits = arm(
                &format!("SELECT {INTERPRETATION_HIT}, '' AS text"),
                "FROM interpretations i JOIN documents d ON d.id = i.document_id",
                "i.id",
                format!(
                    "FROM interpretations i JOIN documents d ON d.id = i.document_id {interpretation_join} \
                     WHERE {interpretation_vector} @@ to_tsquery('simple', {index_query}) AND {interpretations} \
                     AND {filters} ORDER BY {interpretation_key} {newest_first}, i.id DESC"
                ),
                "interpretation_text_vectors",
            );
            format!(
                "SELECT * FROM ({document_hits} UNION ALL {interpretation_hits}) hits \
                 ORDER BY published_at {newest_first}, id DESC LIMIT $5"
            )
        }
    };
    let sql = format!(
        "SELECT page.kind, page.id, page.document_id, page.title, page.doc_number, page.organization_id, \
                page.category, page.status, page.published_at, page.title_hit, {text} AS text FROM ({hits}) page \
         ORDER BY page.published_at {newest_first}, page.id DESC"
    );
    // Counted by what makes up the literal statement, which is written out only once kept.
    let statement = (
        &sql,
        tsquery,
        filter.organization_id,
        filter.category.map(|c| c.as_str()),
        filter.year,
        limit,
        organization,
        county,
    );
    let values = Values {
        tsquery,
        filter,
        limit,
        organization,
        county,
        term: driver.map(|d| d.term),
        walk: driver.filter(|d| !d.sole).map(|_| TERM_WALK),
        any_order: any_order.as_deref(),
    };
    if tsquery_literal(tsquery).is_some() && plans.keep(statement) {
        if let Some(literal) = with_literals(&sql, &values) {
            // `Kept` steps around diesel's rule of never keeping raw SQL, whose texts are
            // unbounded: these are bounded by what `keep` admits.
            return Ok(Kept(diesel::sql_query(literal)).load(conn).await?);
        }
    }
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(tsquery)
        .bind::<Nullable<SqlUuid>, _>(filter.organization_id)
        .bind::<Nullable<Text>, _>(filter.category.map(|c| c.as_str()))
        .bind::<Nullable<Int4>, _>(filter.year)
        .bind::<Int8, _>(limit)
        .bind::<Nullable<SqlUuid>, _>(organization)
        .bind::<Nullable<SqlUuid>, _>(county)
        .bind::<Nullable<Text>, _>(values.term)
        .bind::<Nullable<Int8>, _>(values.walk)
        .bind::<Nullable<Text>, _>(values.any_order)
        .load(conn)
        .await?)
}

/// `sql` with its values written in as literals, when the query text, its terms in any order
/// and the term may be (see [`tsquery_literal`]); every other value is a UUID, a category's
/// identifier or a number.
fn with_literals(sql: &str, values: &Values<'_>) -> Option<String> {
    let query = tsquery_literal(values.tsquery)?;
    let term = match values.term {
        Some(term) => tsquery_literal(term)?,
        None => "NULL".to_owned(),
    };
    let any_order = match values.any_order {
        Some(any_order) => tsquery_literal(any_order)?,
        None => "NULL".to_owned(),
    };
    let uuid = |id: Option<Uuid>| id.map_or_else(|| "NULL".to_owned(), |id| format!("'{id}'::uuid"));
    let filter = values.filter;
    let values = [
        query,
        uuid(filter.organization_id),
        filter.category.map_or_else(|| "NULL".to_owned(), |category| format!("'{}'", category.as_str())),
        // In parentheses, so that even a negative year stays one operand of the cast after it.
        filter.year.map_or_else(|| "NULL".to_owned(), |year| format!("({year})")),
        values.limit.to_string(),
        uuid(values.organization),
        uuid(values.county),
        term,
        values.walk.map_or_else(|| "NULL".to_owned(), |walk| walk.to_string()),
        any_order,
    ];
    // One pass, so that nothing written in is read again as a placeholder; a `$` not followed by
    // the number of a value is left as it is (the statements have none).
    let mut out = String::with_capacity(sql.len() + 64);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| values.get(i)) {
            Some(value) => {
                out.push_str(value);
                rest = &after[digits..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The page `offset..offset + limit` of title hits followed by the other hits, from the newest
/// `offset + limit` title hits and, when those do not fill it, the newest `offset + limit` hits
/// of any kind (enough: at most as many of them are title hits as there are title hits).
pub fn title_hits_first(titles: Vec<Hit>, any: Option<Vec<Hit>>, offset: usize, limit: usize) -> Vec<Hit> {
    let others = any.unwrap_or_default().into_iter().filter(|h| !h.title_hit);
    titles.into_iter().chain(others).skip(offset).take(limit).collect()
}

/// The page `offset..offset + limit` and whether hits follow it. `tsquery` is
/// `domain::search::tsquery`'s text. Pages by offset: the order has no stable key.
pub async fn search(
    conn: &mut AsyncPgConnection,
    reach: Reach,
    tsquery: &str,
    filter: &SearchFilter,
    offset: i64,
    limit: i64,
    plans: &HotSearches,
) -> StoreResult<(Vec<Hit>, bool)> {
    // One more than the page, to know whether another follows.
    let wanted = offset + limit + 1;
    // On the first page the hit queries read the texts themselves: at most `wanted` texts of
    // title hits and `wanted` of other hits, where the page shows `limit`. Deeper, they would
    // read the texts of every page before, so the page's alone are read afterwards.
    let first_page = offset == 0;
    let query = HitQuery { reach, tsquery, filter, titles_only: true, limit: wanted, with_text: first_page };
    let titles = newest_hits(conn, query, plans).await?;
    // Title hits alone fill the page when the title query had to stop at its limit.
    let any = if (titles.len() as i64) < wanted {
        Some(newest_hits(conn, HitQuery { titles_only: false, ..query }, plans).await?)
    } else {
        None
    };
    let mut page = title_hits_first(titles, any, offset as usize, limit as usize + 1);
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    if !first_page {
        fill_texts(conn, &mut page).await?;
    }
    Ok((page, more))
}

/// An interpretation's searched text (of `interpretations i`): its elements, in order.
pub(crate) const INTERPRETATION_TEXT: &str =
    "coalesce(i.background_basis, '') || ' ' || coalesce(i.objectives, '') || ' ' \
    || coalesce(i.main_content, '') || ' ' || coalesce(i.scope, '') || ' ' || coalesce(i.standards, '') || ' ' \
    || coalesce(i.notes, '') || ' ' || coalesce(i.key_terms, '') || ' ' || coalesce(i.benefits, '') || ' ' \
    || coalesce(i.changes, '')";

#[derive(QueryableByName)]
struct HitText {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    text: String,
}

/// The texts the snippets are cut from, for the page's hits alone.
async fn fill_texts(conn: &mut AsyncPgConnection, page: &mut [Hit]) -> StoreResult<()> {
    if page.is_empty() {
        return Ok(());
    }
    let ids_of = |kind: &str| page.iter().filter(|h| h.kind == kind).map(|h| h.id).collect::<Vec<Uuid>>();
    let sql = format!(
        "SELECT 'document' AS kind, d.id, d.body AS text FROM documents d WHERE d.id = ANY($1) \
         UNION ALL \
         SELECT 'interpretation', i.id, {INTERPRETATION_TEXT} FROM interpretations i WHERE i.id = ANY($2)"
    );
    let texts: Vec<HitText> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids_of("document"))
        .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids_of("interpretation"))
        .load(conn)
        .await?;
    let mut by_key: std::collections::HashMap<(String, Uuid), String> =
        texts.into_iter().map(|t| ((t.kind, t.id), t.text)).collect();
    for hit in page {
        hit.text = by_key.remove(&(hit.kind.clone(), hit.id)).unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(n: u128, title_hit: bool) -> Hit {
        Hit {
            kind: "document".into(),
            id: Uuid::from_u128(n),
            document_id: Uuid::from_u128(n),
            title: String::new(),
            doc_number: None,
            organization_id: Uuid::nil(),
            category: String::new(),
            status: "published".into(),
            published_at: None,
            title_hit,
            text: String::new(),
        }
    }

    fn ids(hits: &[Hit]) -> Vec<u128> {
        hits.iter().map(|h| h.id.as_u128()).collect()
    }

    #[test]
    fn title_hits_come_first_and_other_hits_fill_the_rest_without_repeating_a_title_hit() {
        // Title hits 1 and 3; all hits newest first: 3, 2, 1, 4.
        let all = || Some(vec![hit(3, true), hit(2, false), hit(1, true), hit(4, false)]);
        assert_eq!(ids(&title_hits_first(vec![hit(3, true), hit(1, true)], all(), 0, 3)), [3, 1, 2]);
        assert_eq!(ids(&title_hits_first(vec![hit(3, true), hit(1, true)], all(), 2, 3)), [2, 4]);
        assert_eq!(ids(&title_hits_first(vec![hit(3, true), hit(1, true)], all(), 4, 3)), Vec::<u128>::new());
    }

    #[test]
    fn literals_replace_every_placeholder_and_nothing_else() {
        let org = Uuid::from_u128(7);
        let filter =
            SearchFilter { organization_id: Some(org), category: Some(DocumentCategory::Service), year: Some(2026) };
        let values = |tsquery, term, walk| Values {
            tsquery,
            filter: &filter,
            limit: 21,
            organization: None,
            county: Some(Uuid::from_u128(9)),
            term,
            walk,
            any_order: None,
        };
        let sql = "a = $1 AND b = $2 AND c = $3 AND d = $4 LIMIT $5 -- $6 $7 $1 $8 $9";
        let literal = with_literals(sql, &values("(扶贫) & ab:*", Some("扶贫"), Some(1000))).unwrap();
        assert_eq!(
            literal,
            format!(
                "a = '(扶贫) & ab:*' AND b = '{org}'::uuid AND c = 'service' AND d = (2026) LIMIT 21 -- NULL '{}'::uuid \
                 '(扶贫) & ab:*' '扶贫' 1000",
                Uuid::from_u128(9)
            )
        );
        assert_eq!(with_literals(sql, &values("x' OR true --", None, None)), None, "bound, never spliced");
        assert_eq!(with_literals(sql, &values("(扶贫)", Some("x'"), None)), None, "the term too");
        assert_eq!(with_literals("$8 $9", &values("(扶贫)", None, None)).unwrap(), "NULL NULL");
        let unknown = with_literals("$10 $11 $ $x $0", &values("(扶贫)", None, None)).unwrap();
        assert_eq!(unknown, "NULL $11 $ $x $0", "only $1 to $10 are values");
        let loose = |any_order| Values { any_order: Some(any_order), ..values("(专款 <-> 款专)", None, None) };
        assert_eq!(with_literals("$1 $10", &loose("(专款 & 款专)")).unwrap(), "'(专款 <-> 款专)' '(专款 & 款专)'");
        assert_eq!(with_literals("$10", &loose("x' OR true --")), None, "the loose query too");
    }

    #[test]
    fn a_page_full_of_title_hits_needs_no_other_hits() {
        let titles = vec![hit(5, true), hit(4, true), hit(3, true)];
        assert_eq!(ids(&title_hits_first(titles, None, 1, 2)), [4, 3]);
    }
}
