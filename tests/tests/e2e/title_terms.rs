//! Issue 11: the public title search reads its hits newest first off the ordered index of public
//! title terms (`public_title_terms`) by a whole term of the query, so a word common only in older
//! titles no longer walks every newer document; a query of several parts reads a bounded number of
//! its term's rows and leaves the rest to the GIN index. The index follows publication, the
//! disclosure attribute, title and publication-time changes and deletion; a row it keeps that no
//! longer applies is never shown; and the answers are those of the plain rule.

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use persistence::search::{search, Reach, SearchFilter};
use persistence::search_plans::{HotSearches, ADMIT_AFTER};
use serde_json::json;
use uuid::Uuid;

use crate::search::Bureau;
use crate::year_lists::{rows_read_since, start_counting};

/// How many rows of the index name `id`, with `term` when given.
async fn rows_of(b: &Bureau, id: &str, term: Option<&str>) -> i64 {
    let term = term.map_or_else(String::new, |t| format!(" AND term = '{t}'"));
    b.app.scalar(&format!("SELECT count(*) AS n FROM public_title_terms WHERE id = '{id}'{term}")).await
}

/// How many distinct terms the title of the document or interpretation `id` has.
async fn title_terms_of(b: &Bureau, table: &str, id: &str) -> i64 {
    b.app
        .scalar(&format!(
            "SELECT count(*) AS n FROM {table} x, unnest(tsvector_to_array(x.search_title)) WHERE x.id = '{id}'"
        ))
        .await
}

/// The public hits for `query`, as (kind, id), by the search the API runs.
async fn public_hits(b: &Bureau, tsquery: &str, limit: i64) -> Vec<(String, Uuid)> {
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let (hits, _) =
        search(&mut conn, Reach::Public, tsquery, &SearchFilter::default(), 0, limit, &HotSearches::default())
            .await
            .unwrap();
    hits.into_iter().map(|h| (h.kind, h.id)).collect()
}

/// The (kind, id) rows `sql` returns.
pub(crate) async fn kinds_and_ids(conn: &mut AsyncPgConnection, sql: &str) -> Vec<(String, Uuid)> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    use diesel_async::RunQueryDsl;
    let rows: Vec<Row> = diesel::sql_query(sql).load(conn).await.unwrap();
    rows.into_iter().map(|r| (r.kind, r.id)).collect()
}

/// The public title hits by the plain rule, newest first: what the index must reproduce.
async fn plain_title_hits(conn: &mut AsyncPgConnection, tsquery: &str, limit: i64) -> Vec<(String, Uuid)> {
    let public = "d.status = 'published' AND d.disclosure IN ('public_release', 'proactive')";
    let sql = format!(
        "SELECT kind, id FROM ( \
           SELECT 'document' AS kind, d.id, d.published_at FROM documents d \
           WHERE {public} AND d.search_title @@ to_tsquery('simple', '{tsquery}') \
           UNION ALL \
           SELECT 'interpretation', i.id, i.published_at FROM interpretations i JOIN documents d ON d.id = i.document_id \
           WHERE {public} AND i.status = 'published' AND i.search_title @@ to_tsquery('simple', '{tsquery}') \
         ) hits ORDER BY published_at DESC, id DESC LIMIT {limit}"
    );
    kinds_and_ids(conn, &sql).await
}

#[actix_web::test]
async fn the_title_index_follows_what_the_public_may_read_and_a_stale_row_is_never_shown() {
    let b = Bureau::new().await;
    let package = json!({
        "title": "《扶贫资金发放办法》政策解读",
        "forms": ["article"],
        "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
        "background_basis": "依据《社会救助暂行办法》",
        "main_content": "明确发放程序。",
        "changes": "无"
    });
    let public = b
        .issue(1, "元谋县民政局关于印发《扶贫资金发放办法》的通知", "现将办法印发给你们。", "proactive", Some(package))
        .await;
    let hidden = b.issue(2, "元谋县民政局关于扶贫资金专项审计的内部通报", "内部通报。", "not_public", None).await;
    let interpretation = b
        .app
        .scalar(&format!(
            "SELECT count(*) AS n FROM interpretations WHERE document_id = '{public}' AND status = 'published'"
        ))
        .await;
    assert_eq!(interpretation, 1, "the package is published with its document");
    let interpretation: Uuid = {
        let found = public_hits(&b, "(扶贫)", 10).await;
        found.iter().find(|(kind, _)| kind == "interpretation").expect("the interpretation is found").1
    };
    let interpretation = interpretation.to_string();

    // Every distinct term of a public title has its row; nothing of a document not public.
    let document_terms = title_terms_of(&b, "documents", &public).await;
    assert!(document_terms > 10);
    assert_eq!(rows_of(&b, &public, None).await, document_terms);
    assert_eq!(rows_of(&b, &interpretation, None).await, title_terms_of(&b, "interpretations", &interpretation).await);
    assert_eq!(rows_of(&b, &hidden, None).await, 0);
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let both = public_hits(&b, "(扶贫)", 10).await;
    assert_eq!(both.len(), 2, "the document and its interpretation, never the internal report: {both:?}");
    assert_eq!(both, plain_title_hits(&mut conn, "(扶贫)", 10).await);

    // Made not public, the document's rows go; its interpretation's stay (the index does not read
    // the document) but are not shown, since the document is no longer public.
    b.app.execute_batch(&format!("UPDATE documents SET disclosure = 'on_request' WHERE id = '{public}'")).await;
    assert_eq!(rows_of(&b, &public, None).await, 0);
    assert!(rows_of(&b, &interpretation, None).await > 0);
    assert_eq!(public_hits(&b, "(扶贫)", 10).await, vec![], "a stale row is never shown");
    assert_eq!(plain_title_hits(&mut conn, "(扶贫)", 10).await, vec![]);
    b.app.execute_batch(&format!("UPDATE documents SET disclosure = 'proactive' WHERE id = '{public}'")).await;
    assert_eq!(rows_of(&b, &public, None).await, document_terms);
    assert_eq!(public_hits(&b, "(扶贫)", 10).await, both);

    // A new title and a new publication time replace the rows.
    b.app
        .execute_batch(&format!(
            "UPDATE documents SET title = '元谋县民政局关于印发《低保资金发放办法》的通知', \
             published_at = published_at - interval '1 day' WHERE id = '{public}'"
        ))
        .await;
    assert_eq!(rows_of(&b, &public, Some("扶贫")).await, 0);
    assert_eq!(rows_of(&b, &public, Some("低保")).await, 1);
    assert_eq!(rows_of(&b, &public, None).await, title_terms_of(&b, "documents", &public).await);
    let moved = b
        .app
        .scalar(&format!(
            "SELECT count(*) AS n FROM public_title_terms t JOIN documents d ON d.id = t.id \
             WHERE t.id = '{public}' AND t.published_at = d.published_at"
        ))
        .await;
    assert_eq!(moved, rows_of(&b, &public, None).await, "every row carries the new time");
    let found = public_hits(&b, "(低保)", 10).await;
    assert_eq!(found, vec![("document".to_owned(), public.parse().unwrap())]);
    assert_eq!(public_hits(&b, "(扶贫)", 10).await, plain_title_hits(&mut conn, "(扶贫)", 10).await);

    // An interpretation withdrawn from publication takes its rows along.
    b.app.execute_batch(&format!("UPDATE interpretations SET status = 'approved' WHERE id = '{interpretation}'")).await;
    assert_eq!(rows_of(&b, &interpretation, None).await, 0);

    // A published document deleted (no product path does it; the rows go all the same).
    b.app
        .execute_batch(&format!(
            "INSERT INTO documents (id, title, issuing_org_id, issuing_authority, lead_drafting_org_id, drafting_org_ids, \
               category, disclosure, status, formed_on, published_at) \
             VALUES ('{id}', '元谋县民政局关于扶贫车间认定的通知', '{org}', 'department', '{org}', ARRAY['{org}'::uuid], \
               'service', 'proactive', 'published', current_date, now())",
            id = Uuid::nil(),
            org = b.org
        ))
        .await;
    assert_eq!(rows_of(&b, &Uuid::nil().to_string(), Some("扶贫")).await, 1);
    // An interpretation written as published and deleted likewise (no product path does either).
    let follow_up = Uuid::from_u128(1).to_string();
    b.app
        .execute_batch(&format!(
            "INSERT INTO interpretations (id, document_id, stage, status, responsible_org_id, title, signed_by, \
               signed_at, published_at) \
             VALUES ('{follow_up}', '{id}', 'follow_up', 'published', '{org}', '《扶贫车间认定》政策问答', \
               (SELECT id FROM users WHERE username = 'mz.principal'), now(), now())",
            id = Uuid::nil(),
            org = b.org
        ))
        .await;
    assert_eq!(rows_of(&b, &follow_up, Some("扶贫")).await, 1);
    let found = public_hits(&b, "(扶贫)", 10).await;
    assert!(found.contains(&("interpretation".to_owned(), follow_up.parse().unwrap())), "{found:?}");
    b.app.execute_batch(&format!("DELETE FROM interpretations WHERE id = '{follow_up}'")).await;
    assert_eq!(rows_of(&b, &follow_up, None).await, 0);
    b.app.execute_batch(&format!("DELETE FROM documents WHERE id = '{}'", Uuid::nil())).await;
    assert_eq!(rows_of(&b, &Uuid::nil().to_string(), None).await, 0);
}

/// Public documents inserted directly, `count` of them titled by `title(n)`, the n-th published
/// `n` seconds after `start` (an interval after now).
async fn publish_many(b: &Bureau, count: u32, title: &str, start: &str) {
    b.app
        .execute_batch(&format!(
            "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
               drafting_org_ids, category, disclosure, status, formed_on, published_at) \
             SELECT gen_random_uuid(), {title}, '现将有关事项通知如下。', '{org}', 'department', '{org}', \
               ARRAY['{org}'::uuid], 'service', 'proactive', 'published', current_date, \
               now() + interval '{start}' + n * interval '1 second' \
             FROM generate_series(1, {count}) n",
            org = b.org
        ))
        .await;
}

/// The public search's first page of `limit` for `query`, and how many document rows it read
/// (counted as [`start_counting`] says).
async fn first_page_and_rows_read(b: &Bureau, query: &str, limit: i64) -> (Vec<(String, Uuid)>, bool, i64) {
    b.app.execute_batch("VACUUM ANALYZE documents").await;
    b.app.execute_batch("VACUUM ANALYZE public_title_terms").await;
    let tsquery = domain::search::tsquery(query).unwrap();
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let before = start_counting(&mut conn).await;
    let (hits, more) =
        search(&mut conn, Reach::Public, &tsquery, &SearchFilter::default(), 0, limit, &HotSearches::default())
            .await
            .unwrap();
    let documents_read = rows_read_since(&mut conn, before).await;
    assert!(hits.iter().all(|h| h.title_hit && h.text == "现将有关事项通知如下。"));
    (hits.into_iter().map(|h| (h.kind, h.id)).collect(), more, documents_read)
}

#[actix_web::test]
async fn a_word_common_only_in_older_titles_reads_a_page_not_every_newer_document() {
    let b = Bureau::new().await;
    // 1,500 older documents with the word in the title, then 4,000 newer ones without it (a busy
    // month of other notices). The word is common, so without the index PostgreSQL either walks
    // the newer documents newest first or sorts every match.
    publish_many(&b, 1500, "'元谋县民政局关于第' || n || '批扶贫资金发放的通知'", "-1 year").await;
    publish_many(&b, 4000, "'元谋县民政局关于第' || n || '批救助资金发放的通知'", "-1 month").await;
    let (hits, more, documents_read) = first_page_and_rows_read(&b, "扶贫", 10).await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    assert_eq!(hits, plain_title_hits(&mut conn, "(扶贫)", 10).await);
    assert_eq!(hits.len(), 10);
    assert!(more, "more hits follow");
    // The page's 11 hits are read, and their texts: not the 4,000 newer documents, nor every match.
    assert!(documents_read <= 40, "read {documents_read} documents for a page of 10");
}

#[actix_web::test]
async fn a_query_of_several_parts_reads_one_term_and_leaves_a_whole_rare_among_its_rows_to_the_gin_index() {
    let b = Bureau::new().await;
    // Oldest first: five notices on model roads, 1,500 on model sites of rural revitalization,
    // 1,200 on rural construction (乡村 without 振兴), then 2,000 without any of these words.
    publish_many(&b, 5, "'元谋县交通运输局关于2026年第' || n || '批农村公路示范路建设的通知'", "-2 years").await;
    publish_many(&b, 1500, "'元谋县乡村振兴局关于第' || n || '批乡村振兴示范点的通知'", "-1 year").await;
    publish_many(&b, 1200, "'元谋县住房和城乡建设局关于第' || n || '批和美乡村建设的通知'", "-6 months").await;
    publish_many(&b, 2000, "'元谋县民政局关于第' || n || '批救助资金发放的通知'", "-1 month").await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();

    // Every title with 振兴 (the term read) has the whole phrase: a page is its newest rows.
    let (hits, more, documents_read) = first_page_and_rows_read(&b, "振兴示范", 10).await;
    assert_eq!(hits, plain_title_hits(&mut conn, "(振兴 <-> 兴示 <-> 示范)", 10).await);
    assert_eq!(hits.len(), 10);
    assert!(more);
    assert!(documents_read <= 40, "read {documents_read} documents for a page of 10");

    // 乡村 is read first, and its 1,000 newest rows are all 和美乡村: the GIN index answers.
    let (hits, _, _) = first_page_and_rows_read(&b, "乡村振兴", 10).await;
    assert_eq!(hits.len(), 10, "found behind the walk's bound");
    assert_eq!(hits, plain_title_hits(&mut conn, "(乡村 <-> 村振 <-> 振兴)", 10).await);

    // 公路 has five rows, all read: the page is complete without the GIN index.
    let (hits, more, _) = first_page_and_rows_read(&b, "公路 示范", 10).await;
    assert_eq!(hits.len(), 5);
    assert!(!more);
    assert_eq!(hits, plain_title_hits(&mut conn, "(公路) & (示范)", 10).await);

    // Parts that meet only in the five oldest titles, behind the 1,000 newest rows of 示范 (so
    // the GIN index answers); and a number with a word, read by the word.
    for (query, tsquery) in [("示范 建设", "(示范) & (建设)"), ("2026年 公路", "(2026 <-> 年:*) & (公路)")]
    {
        let (hits, _, _) = first_page_and_rows_read(&b, query, 10).await;
        assert_eq!(hits.len(), 5, "{query}: the five notices on model roads");
        assert_eq!(hits, plain_title_hits(&mut conn, tsquery, 10).await, "{query}");
    }

    // Asked often, each is kept prepared with its values written in (the walk's bound too), and
    // answers as it did bound.
    for tsquery in ["(振兴 <-> 兴示 <-> 示范)", "(乡村 <-> 村振 <-> 振兴)", "(公路) & (示范)"] {
        let plans = HotSearches::default();
        let expected = plain_title_hits(&mut conn, tsquery, 10).await;
        for run in 1..=ADMIT_AFTER + 1 {
            let (hits, _) =
                search(&mut conn, Reach::Public, tsquery, &SearchFilter::default(), 0, 10, &plans).await.unwrap();
            let hits: Vec<_> = hits.into_iter().map(|h| (h.kind, h.id)).collect();
            assert_eq!(hits, expected, "{tsquery}, run {run}");
        }
        let kept = e2e::scalar_on(
            &mut conn,
            &format!("SELECT count(*) AS n FROM pg_prepared_statements WHERE strpos(statement, '''{tsquery}''') > 0"),
        )
        .await;
        assert!(kept > 0, "{tsquery} is kept prepared");
    }
}

#[actix_web::test]
async fn rows_tied_in_publication_time_at_the_walks_edge_are_all_read() {
    let b = Bureau::new().await;
    // 1,100 titles with 道路, one a second; the 31 ranked 985th to 1,015th newest share one
    // publication time, so the bound of the walk (its term's 1,000th newest row) falls among
    // them. Ten of those also have 硬化, as do five of the oldest.
    b.app
        .execute_batch(&format!(
            "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
               drafting_org_ids, category, disclosure, status, formed_on, published_at) \
             SELECT gen_random_uuid(), \
               CASE WHEN (n BETWEEN 86 AND 116 AND n % 3 = 0) OR (n <= 50 AND n % 10 = 0) \
                    THEN '元谋县关于第' || n || '条道路硬化的通知' ELSE '元谋县关于第' || n || '条道路养护的通知' END, \
               '现将有关事项通知如下。', '{org}', 'department', '{org}', ARRAY['{org}'::uuid], 'service', 'proactive', \
               'published', current_date, \
               now() - interval '1 day' + CASE WHEN n BETWEEN 86 AND 116 THEN 100 ELSE n END * interval '1 second' \
             FROM generate_series(1, 1100) n",
            org = b.org
        ))
        .await;
    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let ties = b
        .app
        .scalar(
            "SELECT count(*) AS n FROM public_title_terms t WHERE t.term = '道路' AND t.published_at = \
               (SELECT published_at FROM public_title_terms WHERE term = '道路' \
                ORDER BY published_at DESC, id DESC OFFSET 999 LIMIT 1)",
        )
        .await;
    assert_eq!(ties, 31, "the walk's edge falls among the tied rows");

    // The tied rows' eight newest hits fill the page from the walk, in the plain rule's order
    // (publication time, then id, newest first), without the GIN index: a walk that stopped
    // before the tied rows would have found none and left the page to it.
    let title_gin_scans = "SELECT pg_stat_get_xact_numscans('documents_search_title_idx'::regclass) AS n";
    b.app.execute_batch("VACUUM ANALYZE documents").await;
    b.app.execute_batch("VACUUM ANALYZE public_title_terms").await;
    conn.batch_execute("BEGIN").await.unwrap();
    let before = e2e::scalar_on(&mut conn, title_gin_scans).await;
    let tsquery = domain::search::tsquery("道路 硬化").unwrap();
    let (page, more) =
        search(&mut conn, Reach::Public, &tsquery, &SearchFilter::default(), 0, 8, &HotSearches::default())
            .await
            .unwrap();
    let gin_scans = e2e::scalar_on(&mut conn, title_gin_scans).await - before;
    conn.batch_execute("COMMIT").await.unwrap();
    let hits: Vec<_> = page.into_iter().map(|h| (h.kind, h.id)).collect();
    assert_eq!(hits, plain_title_hits(&mut conn, "(道路) & (硬化)", 8).await);
    assert!(more);
    assert_eq!(gin_scans, 0, "the walk read the tied rows");
    // All fifteen: the tied ten, then the five oldest behind the walk.
    let (hits, more, _) = first_page_and_rows_read(&b, "道路 硬化", 20).await;
    assert_eq!(hits.len(), 15);
    assert!(!more);
    assert_eq!(hits, plain_title_hits(&mut conn, "(道路) & (硬化)", 20).await);
}
