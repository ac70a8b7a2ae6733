//! Issue 11: a phrase common in bodies but absent from titles is found among the newest
//! documents and interpretations (a walk of at most `TEXT_WALK` rows of each kind), not by
//! sorting every match off the GIN index; the walks' answer is used only when it is certainly the
//! newest hits, and otherwise the GIN index answers. Either way the page is the plain rule's.

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use domain::documents::DocumentCategory;
use persistence::search::{search, Hit, Reach, SearchFilter};
use persistence::search_plans::HotSearches;
use persistence::search_walk::{newest_text_hits, SAMPLE, TEXT_WALK};
use uuid::Uuid;

use crate::search::Bureau;
use crate::title_terms::kinds_and_ids;

/// Scans of the whole-text GIN indexes in the current transaction.
const TEXT_GIN_SCANS: &str = "SELECT pg_stat_get_xact_numscans('document_text_vectors_search_idx'::regclass) \
    + pg_stat_get_xact_numscans('interpretation_text_vectors_search_idx'::regclass) AS n";
/// Whole-text vectors probed by id in the current transaction: documents' times 1,000,000 plus
/// interpretations'.
const PROBES: &str = "SELECT 1000000 * pg_stat_get_xact_numscans('document_text_vectors_pkey'::regclass) \
    + pg_stat_get_xact_numscans('interpretation_text_vectors_pkey'::regclass) AS n";

/// A search's page, as (kind, id), whether more follow, how often the whole-text GIN indexes
/// were scanned for it, and how many whole-text vectors of documents and of interpretations it
/// probed by id.
struct Searched {
    page: Vec<(String, Uuid)>,
    more: bool,
    gin_scans: i64,
    probes: (i64, i64),
}

/// 400 public documents inserted directly, the n-th published `n` seconds after a day ago (one
/// statement: one `now()`), none with the phrases in its title; `body` is an SQL expression of
/// `n`.
async fn publish_documents(b: &Bureau, body: &str) {
    b.app
        .execute_batch(&format!(
            "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
               drafting_org_ids, category, disclosure, status, formed_on, published_at) \
             SELECT gen_random_uuid(), '元谋县关于第' || n || '号资金管理事项的通知', {body}, '{org}', 'department', \
               '{org}', ARRAY['{org}'::uuid], 'service', 'proactive', 'published', current_date, \
               now() - interval '1 day' + n * interval '1 second' \
             FROM generate_series(1, 400) n",
            org = b.org
        ))
        .await;
}

/// 310 published interpretations of the 310 oldest documents, the m-th with the id `m` when
/// `m` is 2, 5 or 40; `published_at` and `main_content` are SQL expressions of `m` and `base`,
/// the time the documents count their seconds from.
async fn interpret(b: &Bureau, published_at: &str, main_content: &str) {
    b.app
        .execute_batch(&format!(
            "INSERT INTO interpretations (id, document_id, stage, status, responsible_org_id, title, main_content, \
               signed_by, signed_at, published_at) \
             SELECT CASE WHEN m IN (2, 5, 40) THEN lpad(to_hex(m), 32, '0')::uuid ELSE gen_random_uuid() END, \
               d.id, 'follow_up', 'published', '{org}', '政策问答第' || m || '号', {main_content}, \
               (SELECT id FROM users WHERE username = 'mz.principal'), now(), {published_at} \
             FROM generate_series(1, 310) m, \
               LATERAL (SELECT min(published_at) - interval '1 second' AS base FROM documents) first \
             JOIN LATERAL (SELECT id FROM documents ORDER BY published_at OFFSET m - 1 LIMIT 1) d ON true",
            org = b.org
        ))
        .await;
}

/// The public search's page `offset..offset + limit` for `query` with `filter`.
async fn searched(b: &Bureau, query: &str, filter: &SearchFilter, offset: i64, limit: i64) -> Searched {
    b.app
        .execute_batch("VACUUM ANALYZE documents, interpretations, document_text_vectors, interpretation_text_vectors")
        .await;
    let tsquery = domain::search::tsquery(query).unwrap();
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    // Without a sequential scan, so that the GIN path reads its index even over these few rows;
    // without merge joins, whose estimates read the ends of the key indexes while planning,
    // scans the probe counts would include (`get_actual_variable_range`).
    conn.batch_execute("BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_mergejoin = off").await.unwrap();
    let gin_before = e2e::scalar_on(&mut conn, TEXT_GIN_SCANS).await;
    let probes_before = e2e::scalar_on(&mut conn, PROBES).await;
    let (page, more) =
        search(&mut conn, Reach::Public, &tsquery, filter, offset, limit, &HotSearches::default()).await.unwrap();
    let gin_scans = e2e::scalar_on(&mut conn, TEXT_GIN_SCANS).await - gin_before;
    let probes = e2e::scalar_on(&mut conn, PROBES).await - probes_before;
    conn.batch_execute("COMMIT").await.unwrap();
    assert!(page.iter().all(|hit| !hit.title_hit), "the phrases are in no title");
    Searched {
        page: page.into_iter().map(|h| (h.kind, h.id)).collect(),
        more,
        gin_scans,
        probes: (probes / 1_000_000, probes % 1_000_000),
    }
}

/// What the walks alone find of `wanted` hits (unfiltered), and how many vectors of each kind
/// they probed.
async fn walk_probes(b: &Bureau, query: &str, wanted: i64) -> (Option<Vec<Hit>>, i64, i64) {
    let tsquery = domain::search::tsquery(query).unwrap();
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    // As `searched`: the walk's plan probes by id either way.
    conn.batch_execute("BEGIN; SET LOCAL enable_seqscan = off").await.unwrap();
    let before = e2e::scalar_on(&mut conn, PROBES).await;
    let hits = newest_text_hits(&mut conn, &tsquery, &SearchFilter::default(), wanted, false).await.unwrap();
    let probes = e2e::scalar_on(&mut conn, PROBES).await - before;
    conn.batch_execute("COMMIT").await.unwrap();
    (hits, probes / 1_000_000, probes % 1_000_000)
}

/// The public whole-text hits by the plain rule, newest first: what every page must be.
async fn plain_text_hits(conn: &mut AsyncPgConnection, query: &str, offset: i64, limit: i64) -> Vec<(String, Uuid)> {
    plain_filtered_text_hits(conn, query, "true", offset, limit).await
}

/// [`plain_text_hits`] of the documents `d` that pass `filter`, an SQL condition.
async fn plain_filtered_text_hits(
    conn: &mut AsyncPgConnection,
    query: &str,
    filter: &str,
    offset: i64,
    limit: i64,
) -> Vec<(String, Uuid)> {
    let tsquery = domain::search::tsquery(query).unwrap();
    let public = format!("d.status = 'published' AND d.disclosure IN ('public_release', 'proactive') AND {filter}");
    let sql = format!(
        "SELECT kind, id FROM ( \
           SELECT 'document' AS kind, d.id, d.published_at FROM documents d \
           JOIN document_text_vectors v ON v.id = d.id \
           WHERE {public} AND v.search_all @@ to_tsquery('simple', '{tsquery}') \
           UNION ALL \
           SELECT 'interpretation', i.id, i.published_at FROM interpretations i JOIN documents d ON d.id = i.document_id \
           JOIN interpretation_text_vectors v ON v.id = i.id \
           WHERE {public} AND i.status = 'published' AND v.search_all @@ to_tsquery('simple', '{tsquery}') \
         ) hits ORDER BY published_at DESC, id DESC OFFSET {offset} LIMIT {limit}"
    );
    kinds_and_ids(conn, &sql).await
}

#[actix_web::test]
async fn a_phrase_common_in_bodies_is_read_off_the_newest_rows_and_a_rare_one_off_the_index() {
    let b = Bureau::new().await;
    // Every other body has 专款专用; the five oldest also 防汛抢险.
    publish_documents(
        &b,
        "CASE WHEN n % 2 = 0 THEN '严格资金管理，确保专款专用。' ELSE '现将有关事项通知如下。' END \
         || CASE WHEN n <= 5 THEN '做好防汛抢险物资储备。' ELSE '' END",
    )
    .await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    const { assert!(400 > TEXT_WALK, "the documents outnumber the walk") };

    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 10).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 10).await);
    assert_eq!(found.page.len(), 10);
    assert!(found.more);
    assert_eq!(found.gin_scans, 0, "the page came from the newest rows, not the GIN index");
    // A later page, still within the walk's hits.
    let found = searched(&b, "专款专用", &SearchFilter::default(), 20, 10).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 20, 10).await);
    assert!(found.more);
    assert_eq!(found.gin_scans, 0);
    // A page beyond the walk's 150 hits: the walk cannot be sure, the index answers.
    let found = searched(&b, "专款专用", &SearchFilter::default(), 190, 20).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 190, 20).await);
    assert_eq!(found.page.len(), 10, "the 191st to the 200th of 200 hits");
    assert!(!found.more);
    assert!(found.gin_scans > 0, "the index answered");

    // Filtered: the walk reads the same newest rows and keeps those that pass. The documents
    // numbered 10, 20, … 400 are of another category, 30 of them among the newest 300.
    b.app.execute_batch("UPDATE documents SET category = 'execution' WHERE title LIKE '%0号%'").await;
    let execution = SearchFilter { category: Some(DocumentCategory::Execution), ..SearchFilter::default() };
    let found = searched(&b, "专款专用", &execution, 0, 10).await;
    assert_eq!(found.page, plain_filtered_text_hits(&mut conn, "专款专用", "d.category = 'execution'", 0, 10).await);
    assert_eq!(found.page.len(), 10);
    assert!(found.more);
    assert_eq!(found.gin_scans, 0, "the walk's 30 hits of the category fill the page");
    let found = searched(&b, "专款专用", &execution, 30, 10).await;
    assert_eq!(found.page, plain_filtered_text_hits(&mut conn, "专款专用", "d.category = 'execution'", 30, 10).await);
    assert_eq!(found.page.len(), 10, "the 31st to the 40th, behind the walk");
    assert!(!found.more);
    assert!(found.gin_scans > 0, "the index answered");
    let elsewhere = SearchFilter { organization_id: Some(Uuid::new_v4()), ..SearchFilter::default() };
    let found = searched(&b, "专款专用", &elsewhere, 0, 10).await;
    assert!(found.page.is_empty() && !found.more, "no document of another organization");

    // Only in the oldest bodies, behind the walk: the index finds them, after probing the
    // newest documents' sample alone (no interpretation: the documents' walk fell short).
    let rare = searched(&b, "防汛抢险", &SearchFilter::default(), 0, 10).await;
    assert_eq!(rare.page, plain_text_hits(&mut conn, "防汛抢险", 0, 10).await);
    assert_eq!(rare.page.len(), 5);
    assert!(!rare.more);
    assert!(rare.gin_scans > 0, "the index answered");
    let (hits, documents, interpretations) = walk_probes(&b, "防汛抢险", 11).await;
    assert_eq!((hits.is_none(), documents, interpretations), (true, SAMPLE, 0));
    // A common phrase: the sample's first probe hits, then the walk probes until it has 11 hits
    // (every other document: 21 probes); there are no interpretations to walk.
    let (hits, documents, interpretations) = walk_probes(&b, "专款专用", 11).await;
    assert_eq!((hits.map(|h| h.len()), documents, interpretations), (Some(11), 1 + 21, 0));

    // More hits than a walk reads rows: no walk at all.
    let (hits, documents, interpretations) = walk_probes(&b, "专款专用", TEXT_WALK + 1).await;
    assert_eq!((hits.is_none(), documents, interpretations), (true, 0, 0));

    // Over HTTP, the first page's hits carry their snippets.
    let found = b.search("q=专款专用&limit=5").await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    for item in items {
        let snippet = item["snippet"].as_str().unwrap();
        assert!(snippet.contains("<em>专款专用</em>"), "{snippet}");
    }
}

#[actix_web::test]
async fn an_interpretation_older_than_its_walks_edge_is_found_when_it_belongs_on_the_page() {
    let b = Bureau::new().await;
    publish_documents(&b, "CASE WHEN n % 2 = 0 THEN '严格资金管理，确保专款专用。' ELSE '现将有关事项通知如下。' END")
        .await;
    // 310 published interpretations: the 300 newest, without the phrase, a day later than every
    // document; of the ten older ones, the fifth has the phrase and sits among the documents'
    // newest hits (at second 395, between 396 and 394).
    interpret(
        &b,
        "CASE WHEN m > 10 THEN base + interval '1 day' + m * interval '1 second' \
              WHEN m = 5 THEN base + interval '395 seconds' \
              ELSE base - interval '1 day' + m * interval '1 second' END",
        "CASE WHEN m = 5 THEN '资金拨付到位，确保专款专用。' ELSE '明确办理程序。' END",
    )
    .await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let interpretation = ("interpretation".to_owned(), Uuid::from_u128(5));

    // The documents' walk fills the page; the interpretations' sample has no hit, so their walk
    // stops at its 32nd row, newer than the page's end: the interpretation behind it belongs on
    // the page, so the index answers.
    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 10).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 10).await);
    assert_eq!(found.page[3], interpretation, "the 4th newest hit");
    assert!(found.more);
    assert!(found.gin_scans > 0, "the index answered");

    // Three days earlier, every interpretation is older than the page: the walks answer alone.
    b.app.execute_batch("UPDATE interpretations SET published_at = published_at - interval '3 days'").await;
    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 10).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 10).await);
    assert!(!found.page.contains(&interpretation));
    assert!(found.more);
    assert_eq!(found.gin_scans, 0, "the walks answered");
    // The interpretations' sample has no hit: their walk stops at its edge, older than the page.
    let (hits, documents, interpretations) = walk_probes(&b, "专款专用", 11).await;
    assert_eq!((hits.map(|h| h.len()), documents, interpretations), (Some(11), 1 + 21, SAMPLE));
}

#[actix_web::test]
async fn interpretations_among_the_documents_are_merged_by_the_walks_or_left_to_the_index() {
    let b = Bureau::new().await;
    publish_documents(&b, "CASE WHEN n % 2 = 0 THEN '严格资金管理，确保专款专用。' ELSE '现将有关事项通知如下。' END")
        .await;
    // The 40 newest interpretations among the documents' newest seconds (the m-th at
    // 400 - 0.44 m: the 32nd at 385.92, the 40th at 382.4), the other 270 a day older. Only the
    // 40th has the phrase: past the interpretations' sample, newer than the documents' 11th
    // newest hit (at second 380).
    interpret(
        &b,
        "CASE WHEN m <= 40 THEN base + (400 - 0.44 * m) * interval '1 second' \
              ELSE base - interval '1 day' + m * interval '1 second' END",
        "CASE WHEN m = 40 THEN '资金拨付到位，确保专款专用。' ELSE '明确办理程序。' END",
    )
    .await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let second = ("interpretation".to_owned(), Uuid::from_u128(2));
    let fortieth = ("interpretation".to_owned(), Uuid::from_u128(40));

    // The interpretations' walk ends at its sample's edge, the 32nd: a page reaching past it
    // (11 hits, the documents' down to second 380) goes to the index, which finds the 40th.
    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 11).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 11).await);
    assert_eq!(found.page[9], fortieth, "at second 382.4, between the documents' hits at 384 and 382");
    assert!(found.gin_scans > 0, "the index answered");
    let (hits, _, interpretations) = walk_probes(&b, "专款专用", 12).await;
    assert_eq!((hits.is_none(), interpretations), (true, SAMPLE), "the sample alone was probed");

    // With the 2nd newest phrased too, the sample has a hit and the interpretations walk their
    // 300 rows: both hits are theirs, the edge (the 300th) is a day older than the page, and the
    // walks answer alone.
    b.app
        .execute_batch(&format!(
            "UPDATE interpretations SET main_content = '专项资金确保专款专用。' WHERE id = '{}'",
            Uuid::from_u128(2)
        ))
        .await;
    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 11).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 11).await);
    assert!(found.page.contains(&second) && found.page.contains(&fortieth), "{:?}", found.page);
    assert_eq!(found.gin_scans, 0, "the walks answered");
}

#[actix_web::test]
async fn a_phrase_is_checked_only_on_the_candidates_a_page_shows() {
    let b = Bureau::new().await;
    // The phrase in every other one of the 200 oldest bodies; the 10 newest have its three terms
    // apart (专款 … 款专 … 专用), so the index offers them as candidates too; the rest neither.
    publish_documents(
        &b,
        "CASE WHEN n <= 200 AND n % 2 = 0 THEN '严格资金管理，确保专款专用。' \
              WHEN n > 390 THEN '专款管理与款专户及专用账户。' ELSE '现将有关事项通知如下。' END",
    )
    .await;
    // Interpretations of the 310 oldest documents, each half a second before its document; six
    // with the phrase.
    interpret(
        &b,
        "base + m * interval '1 second' - interval '0.5 seconds'",
        "CASE WHEN m % 50 = 0 THEN '资金拨付到位，确保专款专用。' ELSE '明确办理程序。' END",
    )
    .await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();

    // No hit among the newest 32: the walk declines after its sample (32 probes) and the index
    // answers. Newest first, the documents' candidates are the 10 decoys, then the hits: the
    // phrase is checked by id on the decoys and on the 11 hits the page needs (one more than it
    // shows), not on all 110 candidates; the interpretations' 6 candidates are all hits, each
    // checked once. (Checking every match the old way read the vectors through the GIN index's
    // bitmap, which these counts of probes by id do not see.)
    let found = searched(&b, "专款专用", &SearchFilter::default(), 0, 10).await;
    assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", 0, 10).await);
    assert_eq!(found.page.len(), 10);
    assert!(found.more);
    assert!(found.gin_scans > 0, "the index answered");
    assert_eq!(found.probes, (SAMPLE + 10 + 11, 6), "the walk's sample, then the candidates in order");
    let next = searched(&b, "专款专用", &SearchFilter::default(), 10, 10).await;
    assert_eq!(next.page, plain_text_hits(&mut conn, "专款专用", 10, 10).await);
    assert_eq!(next.probes, (SAMPLE + 10 + 21, 6), "ten more hits, ten more checks");

    // Deeper, with the interpretations among the documents' hits, and to the end.
    for (offset, limit) in [(40, 20), (95, 20)] {
        let found = searched(&b, "专款专用", &SearchFilter::default(), offset, limit).await;
        assert_eq!(found.page, plain_text_hits(&mut conn, "专款专用", offset, limit).await, "page at {offset}");
        if offset == 95 {
            assert_eq!(found.page.len(), 11, "100 documents and 6 interpretations");
            assert!(!found.more);
        }
    }
    // With a second part only the decoys have, they are the only candidates, and none is a hit:
    // the phrase is checked on all ten and the page is empty.
    let decoys = searched(&b, "专款专用 账户", &SearchFilter::default(), 0, 10).await;
    assert_eq!(decoys.page, plain_text_hits(&mut conn, "专款专用 账户", 0, 10).await);
    assert!(decoys.page.is_empty() && !decoys.more);
    assert_eq!(decoys.probes, (SAMPLE + 10, 0));
}
