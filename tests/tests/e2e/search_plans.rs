//! Issue 11: a search asked often is kept prepared on its connection with its values written in
//! as literals, so that PostgreSQL plans it once per connection; it answers exactly as the statement
//! with bound parameters does, for every reach, filter and page. Connections are replaced after
//! their maximum age, so what they keep prepared does not pile up.

use std::time::Duration;

use chrono::Datelike;
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::documents::DocumentCategory;
use persistence::search::{search, Hit, Reach, SearchFilter};
use persistence::search_plans::{HotSearches, ADMIT_AFTER};
use serde_json::json;
use uuid::Uuid;

use crate::search::Bureau;

/// Statements this connection keeps prepared that name `tsquery` (a query's text, or a phrase's
/// terms in any order) as a literal.
async fn kept_naming(conn: &mut AsyncPgConnection, tsquery: &str) -> i64 {
    e2e::scalar_on(
        conn,
        &format!("SELECT count(*) AS n FROM pg_prepared_statements WHERE strpos(statement, '''{tsquery}''') > 0"),
    )
    .await
}

/// What a client sees of a hit: kind, id, document, title, title hit, text.
type Seen = (String, Uuid, Uuid, String, bool, String);

/// What a client sees of a page of hits and whether more follow.
fn seen(hits: &(Vec<Hit>, bool)) -> (Vec<Seen>, bool) {
    let rows = hits
        .0
        .iter()
        .map(|h| (h.kind.clone(), h.id, h.document_id, h.title.clone(), h.title_hit, h.text.clone()))
        .collect();
    (rows, hits.1)
}

#[actix_web::test]
async fn a_search_asked_often_is_kept_prepared_and_answers_exactly_as_the_bound_statement() {
    let b = Bureau::new().await;
    let text = "现将有关事项通知如下，请认真贯彻落实。";
    for n in 1..=3 {
        b.issue(
            10 + n,
            &format!("元谋县民政局关于防汛工作的第{n}号通知"),
            &format!("编号T{n}。{text}"),
            "proactive",
            None,
        )
        .await;
        b.issue(
            20 + n,
            &format!("元谋县民政局关于第{n}批救助资金发放的通知"),
            &format!("防汛期间编号B{n}。{text}"),
            "proactive",
            None,
        )
        .await;
    }
    // An interpretation whose text alone holds the word: the interpretations' arm and its text.
    let package = json!({
        "title": "《救助资金发放办法》政策解读",
        "forms": ["article"],
        "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
        "background_basis": "依据《社会救助暂行办法》",
        "main_content": "明确防汛期间临时救助的发放程序。",
        "changes": "无"
    });
    b.issue(31, "元谋县民政局关于印发《救助资金发放办法》的通知", text, "proactive", Some(package)).await;
    // A draft: staff find it, the public does not.
    b.post(
        &b.drafter,
        "/api/v1/documents",
        json!({"title": "元谋县民政局关于防汛物资储备的通知（征求意见稿）", "body": text, "issuing_org_id": b.org,
               "issuing_authority": "department", "is_policy": false, "category": "service",
               "doc_kind": "normative", "disclosure": "proactive"}),
    )
    .await;
    // Three public hits each of which one filter excludes: another issuer (of the same county, so
    // that the county's staff still find it), another category, another year.
    b.app
        .execute_batch(&format!(
            "UPDATE documents SET issuing_org_id = (SELECT id FROM organizations WHERE name = '元谋县人民政府') \
               WHERE doc_number = '元民发〔2026〕21号' AND issuing_org_id = '{org}'; \
             UPDATE documents SET category = 'decision' WHERE doc_number = '元民发〔2026〕22号' AND issuing_org_id = '{org}'; \
             UPDATE documents SET formed_on = '2020-05-01' WHERE doc_number = '元民发〔2026〕23号' AND issuing_org_id = '{org}';",
            org = b.org
        ))
        .await;
    let county = {
        let conn = persistence::connection(&b.app.pool).await.unwrap();
        persistence::organizations::county_of(&conn, b.org).await.unwrap().expect("the bureau's county")
    };
    let nothing = SearchFilter::default();
    let filtered = SearchFilter {
        organization_id: Some(b.org),
        category: Some(DocumentCategory::Service),
        // Formed on approval, today in Asia/Shanghai.
        year: Some((chrono::Utc::now() + chrono::Duration::hours(8)).date_naive().year()),
    };
    let parties = Reach::Parties { organization_id: Some(b.org), county_id: None };
    let county_staff = Reach::Parties { organization_id: None, county_id: Some(county) };
    let cases: [(&str, Reach, &SearchFilter, i64, i64); 7] = [
        ("public, first page of 2 (title hits fill it)", Reach::Public, &nothing, 0, 2),
        ("public, everything (both arms)", Reach::Public, &nothing, 0, 50),
        ("public, a deeper page", Reach::Public, &nothing, 2, 3),
        ("public, every filter", Reach::Public, &filtered, 0, 50),
        ("staff of the bureau", parties, &nothing, 0, 50),
        ("staff of the county", county_staff, &nothing, 0, 50),
        ("the system administrator", Reach::Everything, &nothing, 0, 50),
    ];

    let mut conn = persistence::connection(&b.app.pool).await.unwrap();
    let mut answers = Vec::new();
    for (case, reach, filter, offset, limit) in cases {
        // Its own counts: all the cases' statements together pass what one period keeps.
        let plans = HotSearches::default();
        let kept_before = kept_naming(&mut conn, "(防汛)").await;
        let mut runs = Vec::new();
        for run in 1..=ADMIT_AFTER + 1 {
            let hits = search(&mut conn, reach, "(防汛)", filter, offset, limit, &plans).await.unwrap();
            runs.push(seen(&hits));
            let kept = kept_naming(&mut conn, "(防汛)").await;
            if run < ADMIT_AFTER {
                assert_eq!(kept, kept_before, "{case}: run {run} is planned for itself, nothing kept");
            } else {
                assert!(kept > kept_before, "{case}: from run {ADMIT_AFTER} on it is kept prepared");
            }
        }
        assert!(!runs[0].0.is_empty(), "{case}: finds something");
        for (run, answer) in runs.iter().enumerate().skip(1) {
            assert_eq!(answer, &runs[0], "{case}: run {} (kept) answers as run 1 (bound)", run + 1);
        }
        answers.push((case, runs.swap_remove(0)));
    }
    // The cases differ where they should, so the comparisons above compared something.
    let titles = |i: usize| answers[i].1 .0.iter().map(|h| h.3.clone()).collect::<Vec<_>>();
    assert_eq!(titles(0).len(), 2);
    assert_eq!(titles(1).len(), 7, "six public documents and the interpretation");
    assert!(answers[1].1 .0.iter().any(|h| h.0 == "interpretation" && h.5.contains("防汛期间临时救助")));
    assert_eq!(titles(2), titles(1)[2..5].to_vec());
    assert_eq!(titles(3).len(), 4, "each filter leaves out its own hit");
    assert!(titles(3).iter().all(|t| titles(1).contains(t)));
    assert_eq!(titles(4).len(), 8, "the bureau's staff also find its draft");
    assert_eq!(titles(5).len(), 8, "so do the county's, and its other issuers' documents");
    assert_eq!(titles(6), titles(5));

    // A phrase (防汛期间, in three bodies and the interpretation): the staff's searches have no
    // newest-first walk, so the GIN path answers, its candidates found by the terms in any order
    // (`$10`), which the kept statement writes in as a literal too.
    let phrase = domain::search::tsquery("防汛期间").unwrap();
    let any_order = domain::search::tsquery_in_any_order(&phrase).unwrap();
    for (case, reach) in [("staff of the bureau", parties), ("the system administrator", Reach::Everything)] {
        let plans = HotSearches::default();
        let kept_before = kept_naming(&mut conn, &any_order).await;
        let mut runs = Vec::new();
        for _ in 1..=ADMIT_AFTER + 1 {
            runs.push(seen(&search(&mut conn, reach, &phrase, &nothing, 0, 50, &plans).await.unwrap()));
        }
        assert!(kept_naming(&mut conn, &any_order).await > kept_before, "{case}: the phrase's statement is kept");
        assert!(runs[0].0.iter().any(|h| h.0 == "interpretation"), "{case}: {:?}", runs[0].0);
        assert_eq!(runs[0].0.len(), 4, "{case}: three documents and the interpretation");
        for (run, answer) in runs.iter().enumerate().skip(1) {
            assert_eq!(answer, &runs[0], "{case}: run {} (kept) answers as run 1 (bound)", run + 1);
        }
    }
}

#[actix_web::test]
async fn pooled_connections_are_replaced_once_past_their_maximum_age() {
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let app = e2e::TestApp::spawn().await;
    let url = &app.db.url;
    let backend = |pool: persistence::Pool| async move {
        let mut conn = persistence::connection(&pool).await.unwrap();
        let row: Backend = diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result(&mut conn).await.unwrap();
        row.pid
    };
    let young = persistence::build_pool_with_max_age(url, 1, Duration::from_secs(3600)).unwrap();
    let first = backend(young.clone()).await;
    assert_eq!(backend(young.clone()).await, first, "a young connection is reused");

    let aging = persistence::build_pool_with_max_age(url, 1, Duration::from_millis(200)).unwrap();
    let first = backend(aging.clone()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = backend(aging.clone()).await;
    assert_ne!(second, first, "an old connection is replaced");
    assert_eq!(aging.status().size, 1, "and closed, not kept beside its successor");
}
