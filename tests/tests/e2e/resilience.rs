//! The database going away and coming back.

use std::time::{Duration, Instant};

use e2e::proxy::{through_proxy, DbProxy};
use e2e::{expect_problem, TestApp};
use persistence::test_databases::TestDatabase;

#[actix_web::test]
async fn database_outage_is_503_problem_then_recovers_by_itself() {
    let db = TestDatabase::create().await;
    let proxy = DbProxy::start(&db.url).await;
    let url = through_proxy(&db.url, proxy.port);
    let app = TestApp::spawn_on(db, &url).await;
    let token = app.admin_token().await;
    let list = || app.http.get(app.url("/api/v1/organizations")).bearer_auth(&token).send();
    assert_eq!(list().await.unwrap().status(), 200);

    proxy.go_down();
    let started = Instant::now();
    let body = expect_problem(list().await.unwrap(), 503, "database_unavailable").await;
    assert!(body["title"].as_str().is_some());
    assert!(started.elapsed() < Duration::from_secs(10), "an outage must be answered promptly, not hang");
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    // The process itself stays up.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);

    proxy.come_back();
    let back = Instant::now();
    loop {
        let status = list().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s of the database's return (last {status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.http.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}
