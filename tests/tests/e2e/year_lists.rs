//! Issue 11: a list filtered by year reads that year's documents newest first off the index on
//! `(formed_year(formed_on), id)`, instead of walking the primary key backwards past every newer
//! year (ids are given at entry, so a year's documents sit together in the newest-first order).
//! The public list answers as the plain rule does page after page, the staff lists' first pages
//! too, at the year's edges as well.

use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::documents::DocumentCategory;
use e2e::TestApp;
use persistence::documents::{DocumentFilter, Scope};
use persistence::public::PublicFilter;
use uuid::Uuid;

/// Inserts `count` documents formed on `formed_on` (a draft may have no date), entered at
/// `entered` (their ids are UUIDv7 of that instant, one millisecond apart), in categories
/// `decision` and `service` by turns; published and proactive when `public`, drafts otherwise.
async fn insert(app: &TestApp, org: Uuid, count: u32, formed_on: Option<&str>, entered: &str, public: bool) {
    let (disclosure, status, published_at) = if public {
        ("'proactive'", "'published'", format!("'{entered}'::timestamptz + n * interval '1 ms'"))
    } else {
        ("NULL", "'draft'", "NULL".to_owned())
    };
    let formed_on = formed_on.map_or_else(|| "NULL".to_owned(), |d| format!("DATE '{d}'"));
    // Without triggers (the search vectors, the title index, the outbox): only the lists read
    // these rows, and 20,000 of them are inserted in a second instead of a minute. The public
    // list's kept rows, which a trigger would write, are written here as the migration does.
    app.execute_batch(&format!(
        "SET session_replication_role = replica; \
         INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
           drafting_org_ids, category, disclosure, status, formed_on, published_at) \
         SELECT (lpad(to_hex((extract(epoch FROM '{entered}'::timestamptz) * 1000)::bigint + n), 12, '0') \
                 || '7000' || '8' || lpad(to_hex(n), 15, '0'))::uuid, \
           '元谋县关于第' || n || '号事项的通知', '现将有关事项通知如下。', '{org}', 'department', '{org}', \
           ARRAY['{org}'::uuid], CASE WHEN n % 2 = 0 THEN 'service' ELSE 'decision' END, {disclosure}, {status}, \
           {formed_on}, {published_at} \
         FROM generate_series(1, {count}) n; \
         RESET session_replication_role; \
         SELECT public_document_list_write(d) FROM documents d \
         WHERE d.status = 'published' AND d.disclosure IN ('public_release', 'proactive')"
    ))
    .await;
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The ids the plain rule lists, newest first: `visible` is the SQL condition of who may see.
async fn plain_rule(conn: &mut AsyncPgConnection, visible: &str, category: &str, year: i32, limit: i64) -> Vec<Uuid> {
    let rows: Vec<IdRow> = diesel::sql_query(format!(
        "SELECT id FROM documents WHERE ({visible}) AND category = '{category}' \
           AND formed_on >= DATE '{year}-01-01' AND formed_on < DATE '{next}-01-01' \
         ORDER BY id DESC LIMIT {limit}",
        next = year + 1
    ))
    .load(conn)
    .await
    .unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

/// Rows read of the documents and of the public list's kept rows (migration 2026-11-28-000130),
/// which the public list reads instead.
const DOCUMENTS_READ: &str = "SELECT sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::bigint AS n \
                              FROM pg_stat_xact_user_tables WHERE relname IN ('documents', 'public_document_list')";

/// Opens a transaction, where PostgreSQL keeps this session's own table counts, with sequential
/// scans off so that the small test table is planned as a large one is; returns the count so far.
pub(crate) async fn start_counting(conn: &mut AsyncPgConnection) -> i64 {
    conn.batch_execute("BEGIN; SET LOCAL enable_seqscan = off").await.unwrap();
    e2e::scalar_on(conn, DOCUMENTS_READ).await
}

/// How many document rows were read since [`start_counting`]; ends its transaction.
pub(crate) async fn rows_read_since(conn: &mut AsyncPgConnection, before: i64) -> i64 {
    let read = e2e::scalar_on(conn, DOCUMENTS_READ).await - before;
    conn.batch_execute("COMMIT").await.unwrap();
    read
}

#[actix_web::test]
async fn a_year_filter_reads_that_years_documents_not_every_newer_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let org = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
    let other = app.create_organization(&admin, "元谋县财政局", "department", Some(county)).await;
    // 2019's documents were entered in 2019; then 20,000 of 2026, entered this year, all newer:
    // enough that PostgreSQL plans the lists as it does a county's (100,000 documents).
    insert(&app, org, 600, Some("2019-06-01"), "2019-06-01T08:00:00+08:00", true).await;
    insert(&app, org, 100, Some("2019-07-01"), "2019-07-01T08:00:00+08:00", false).await;
    insert(&app, other, 100, Some("2019-08-01"), "2019-08-01T08:00:00+08:00", false).await;
    // The year's edges, entered later still, and undated drafts (in no year).
    for (n, formed_on) in ["2018-12-31", "2019-01-01", "2019-12-31", "2020-01-01"].into_iter().enumerate() {
        insert(&app, org, 2, Some(formed_on), &format!("2019-09-0{}T08:00:00+08:00", n + 1), true).await;
    }
    insert(&app, org, 10, None, "2019-09-10T08:00:00+08:00", false).await;
    insert(&app, org, 20000, Some("2026-03-01"), "2026-03-01T08:00:00+08:00", true).await;
    app.execute_batch("VACUUM ANALYZE documents, public_document_list").await;

    let page = 20;
    // The newest of 2019 are the 4 documents of its edges and the two departments' 200 drafts,
    // passed over by the public; then the categories alternate: a page of n reads at most
    // 204 + 2n + 2 rows, not the 20,000 of 2026.
    let bound = 204 + 2 * (page + 1) + 2;
    let public = "status = 'published' AND disclosure IN ('public_release', 'proactive')";
    let mut conn = persistence::connection(&app.pool).await.unwrap();

    // The public list, page after page, against the plain rule; each page reads about a page.
    let expected = plain_rule(&mut conn, public, "service", 2019, 1000).await;
    assert_eq!(expected.len(), 302, "600 of June and one of each edge of the year");
    let filter =
        PublicFilter { category: Some(DocumentCategory::Service), year: Some(2019), ..PublicFilter::default() };
    let mut listed = Vec::new();
    let mut before = None;
    loop {
        let counted_from = start_counting(&mut conn).await;
        let rows = persistence::public::list_documents(&mut conn, &filter, before, page + 1).await.unwrap();
        let read = rows_read_since(&mut conn, counted_from).await;
        assert!(read >= rows.len() as i64 && read <= bound, "a public page of 2019 read {read} document rows");
        let more = rows.len() as i64 > page;
        listed.extend(rows.iter().take(page as usize).map(|d| d.id));
        if !more {
            break;
        }
        before = listed.last().copied();
    }
    assert_eq!(listed, expected, "the public list of 2019's service documents is the plain rule's");

    // A department officer sees the public documents and the department's own drafts, not the
    // other department's.
    let scope = Scope::Parties { organization_id: Some(org), county_id: None };
    let parties = format!("{public} OR issuing_org_id = '{org}'");
    let expected = plain_rule(&mut conn, &parties, "service", 2019, page + 1).await;
    assert_eq!(expected.len() as i64, page + 1);
    let filter =
        DocumentFilter { category: Some(DocumentCategory::Service), year: Some(2019), ..DocumentFilter::default() };
    let counted_from = start_counting(&mut conn).await;
    let rows = persistence::documents::list(&mut conn, &scope, &filter, None, page + 1).await.unwrap();
    let read = rows_read_since(&mut conn, counted_from).await;
    assert!(read >= rows.len() as i64 && read <= bound, "a department officer's page of 2019 read {read} rows");
    assert_eq!(rows.iter().map(|d| d.id).collect::<Vec<_>>(), expected);
    let drafts =
        plain_rule(&mut conn, &format!("status = 'draft' AND issuing_org_id = '{org}'"), "service", 2019, 60).await;
    assert_eq!(drafts.len(), 50, "the department's drafts of 2019 are in the fixture");
    let drafts_only = DocumentFilter { status: Some(domain::documents::DocumentStatus::Draft), ..filter.clone() };
    let all_drafts = persistence::documents::list(&mut conn, &scope, &drafts_only, None, 200).await.unwrap();
    assert_eq!(all_drafts.iter().map(|d| d.id).collect::<Vec<_>>(), drafts, "its own drafts, not the other's");

    // A year with nothing in it, and the system administrator's year-only list.
    let empty = DocumentFilter { year: Some(2021), ..DocumentFilter::default() };
    assert!(persistence::documents::list(&mut conn, &Scope::All, &empty, None, 10).await.unwrap().is_empty());
    let new_year = DocumentFilter { year: Some(2020), ..DocumentFilter::default() };
    let of_2020 = persistence::documents::list(&mut conn, &Scope::All, &new_year, None, 10).await.unwrap();
    assert_eq!(of_2020.iter().map(|d| d.formed_on.unwrap().to_string()).collect::<Vec<_>>(), ["2020-01-01"; 2]);
    let year_only = DocumentFilter { year: Some(2019), ..DocumentFilter::default() };
    let counted_from = start_counting(&mut conn).await;
    let rows = persistence::documents::list(&mut conn, &Scope::All, &year_only, None, page + 1).await.unwrap();
    let read = rows_read_since(&mut conn, counted_from).await;
    assert!(read >= rows.len() as i64 && read <= page + 1, "the administrator's page of 2019 read {read} rows");
    let newest_of_2019: Vec<IdRow> = diesel::sql_query(format!(
        "SELECT id FROM documents WHERE formed_on >= DATE '2019-01-01' AND formed_on < DATE '2020-01-01' \
         ORDER BY id DESC LIMIT {}",
        page + 1
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        rows.iter().map(|d| d.id).collect::<Vec<_>>(),
        newest_of_2019.into_iter().map(|r| r.id).collect::<Vec<_>>()
    );
}
