//! The change feed under concurrent writes (issue 9): four writers publish documents through the
//! real lifecycle while a reader pages `/api/v1/sync/changes`; the reader ends with exactly the set
//! of changes, in the order the database committed them, with no gap and no duplicate.

use std::sync::atomic::{AtomicBool, Ordering};

use e2e::publishing::{post_ok as post, Publisher};
use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};

const PER_WRITER: usize = 5;

async fn page(app: &TestApp, token: &str, cursor: &str) -> Value {
    let url = app.url(&format!("/api/v1/sync/changes?cursor={cursor}&limit=3"));
    let response = app.http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[actix_web::test]
async fn a_reader_paging_during_four_concurrent_writers_ends_with_every_change_once_in_commit_order() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let mut writers = Vec::new();
    for n in 0..4 {
        let org = app.create_organization(&admin, &format!("元谋县第{n}局"), "department", Some(county)).await;
        writers.push(Publisher::create(&app, &admin, org, &format!("w{n}")).await);
    }

    let done = AtomicBool::new(false);
    let write = async {
        let each = writers.iter().map(|w| async {
            let mut ids = Vec::new();
            for n in 0..PER_WRITER {
                ids.push(w.publish(&app, n).await);
            }
            ids
        });
        let ids: Vec<String> = futures_util::future::join_all(each).await.into_iter().flatten().collect();
        done.store(true, Ordering::SeqCst);
        ids
    };
    let read = async {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor = "0".to_owned();
        loop {
            let finished = done.load(Ordering::SeqCst);
            let answer = page(&app, &admin, &cursor).await;
            let items = answer["items"].as_array().unwrap().clone();
            cursor = answer["next_cursor"].as_str().unwrap().to_owned();
            let empty = items.is_empty();
            seen.extend(items);
            if finished && empty {
                break seen;
            }
            if empty {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    };
    let (published, seen) = tokio::join!(write, read);

    assert_eq!(published.len(), 4 * PER_WRITER);
    let seqs: Vec<i64> = seen.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "strictly increasing, so no duplicate: {seqs:?}");
    let mut ids: Vec<&str> = seen.iter().map(|c| c["entity_id"].as_str().unwrap()).collect();
    assert!(seen.iter().all(|c| c["event"] == "published" && c["entity_type"] == "document"));
    ids.sort();
    let mut expected: Vec<&str> = published.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(ids, expected, "exactly the published documents");
    // No gap: the reader saw every row the database holds, and the numbers are those of the
    // commits (each publication's row was drawn at its commit, under the outbox lock).
    assert_eq!(app.scalar("SELECT count(*) AS n FROM outbox").await, seen.len() as i64);
    assert_eq!(app.scalar("SELECT max(seq) - min(seq) + 1 AS n FROM outbox").await, seen.len() as i64);

    // A later repeal is one more change after the cursor; the feed resumes from where it was.
    let last = seqs.last().unwrap().to_string();
    let first = &writers[0];
    let repeal = json!({"validity": "repealed", "on": "2026-11-01", "reason": "已被新文件替代"});
    post(&app, &first.officer, &format!("/api/v1/documents/{}/repeal", published[0]), repeal).await;
    let resumed = page(&app, &admin, &last).await;
    assert_eq!(resumed["items"].as_array().unwrap().len(), 1);
    assert_eq!(resumed["items"][0]["event"], "repealed");
    assert_eq!(resumed["items"][0]["url"], format!("/api/v1/public/documents/{}", published[0]));
    let quiet = page(&app, &admin, resumed["next_cursor"].as_str().unwrap()).await;
    assert_eq!(
        (quiet["items"].as_array().unwrap().len(), quiet["next_cursor"].clone()),
        (0, resumed["next_cursor"].clone())
    );

    // Only machine clients with sync:read (and the system administrator) read it.
    let officer = app.http.get(app.url("/api/v1/sync/changes")).bearer_auth(&first.officer).send().await.unwrap();
    expect_problem(officer, 403, "forbidden").await;
    assert_eq!(app.http.get(app.url("/api/v1/sync/changes")).send().await.unwrap().status(), 401);
    let bad = app.http.get(app.url("/api/v1/sync/changes?cursor=-3")).bearer_auth(&admin).send().await.unwrap();
    expect_problem(bad, 400, "invalid_cursor").await;
}
