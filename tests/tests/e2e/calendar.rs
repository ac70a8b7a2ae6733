//! The working-day calendar over HTTP.

use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.unwrap()
}

#[actix_web::test]
async fn the_2025_and_2026_schedules_are_seeded() {
    let app = TestApp::spawn().await;
    let list: Value = get(&app, "/api/v1/calendar/years").await.json().await.unwrap();
    let years: Vec<i64> = list["items"].as_array().unwrap().iter().map(|y| y["year"].as_i64().unwrap()).collect();
    assert_eq!(years, vec![2025, 2026]);
    for year in list["items"].as_array().unwrap() {
        assert_eq!(year["working_days"], 248, "{}", year["year"]);
    }
    let response = get(&app, "/api/v1/calendar/years/2026").await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let y2026: Value = response.json().await.unwrap();
    let off: Vec<&str> = y2026["off_days"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert!(off.contains(&"2026-02-16") && off.contains(&"2026-10-07"));
    assert_eq!(y2026["makeup_workdays"][1], json!({"date": "2026-02-14", "name": "春节"}));
    expect_problem(get(&app, "/api/v1/calendar/years/2027").await, 404, "calendar_year_not_published").await;
}

#[actix_web::test]
async fn due_dates_are_explained() {
    let app = TestApp::spawn().await;
    let explained: Value =
        get(&app, "/api/v1/calendar/deadline?from=2026-02-10&working_days=20").await.json().await.unwrap();
    assert_eq!(explained["due_on"], "2026-03-16");
    assert_eq!(explained["provisional"], false);
    assert_eq!(explained["makeup_workdays_counted"], json!(["2026-02-14", "2026-02-28"]));
    let skipped = explained["skipped"].as_array().unwrap();
    assert!(skipped.iter().any(|s| s["date"] == "2026-02-17" && s["reason"] == "holiday" && s["name"] == "春节"));
    assert!(skipped.iter().any(|s| s["date"] == "2026-03-07" && s["reason"] == "weekend"));

    let crossing: Value =
        get(&app, "/api/v1/calendar/deadline?from=2026-12-20&working_days=20").await.json().await.unwrap();
    assert_eq!(crossing["provisional"], true, "2027 has no published schedule yet");

    let bad = get(&app, "/api/v1/calendar/deadline?from=2026-02-30&working_days=20").await;
    expect_problem(bad, 400, "invalid_query_parameter").await;
    let too_many = get(&app, "/api/v1/calendar/deadline?from=2026-02-10&working_days=401").await;
    expect_problem(too_many, 422, "validation_failed").await;
}

fn schedule_2027() -> Value {
    json!({
        "source": "国办发明电〔2026〕1号",
        "off_days": [
            {"date": "2027-01-01", "name": "元旦"},
            {"date": "2027-02-05", "name": "春节"},
            {"date": "2027-02-08", "name": "春节"},
            {"date": "2027-02-09", "name": "春节"},
            {"date": "2027-02-10", "name": "春节"},
            {"date": "2027-02-11", "name": "春节"},
            {"date": "2027-02-12", "name": "春节"}
        ],
        "makeup_workdays": [{"date": "2027-02-20", "name": "春节"}]
    })
}

#[actix_web::test]
async fn only_a_system_admin_enters_a_year_and_bad_schedules_are_refused_whole() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", None).await;
    app.create_user(&admin, "gov.office", Some(org), &["gov_office"]).await;
    let staff = app.tokens("gov.office", &TestApp::password_of("gov.office")).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = |token: &str, body: &Value| {
        app.http.put(app.url("/api/v1/calendar/years/2027")).bearer_auth(token).json(body).send()
    };
    expect_problem(put(&staff, &schedule_2027()).await.unwrap(), 403, "forbidden").await;

    let bad = json!({
        "source": "测试",
        "off_days": [{"date": "2027-02-05", "name": "春节"}, {"date": "2027-02-05", "name": "春节"}, {"date": "2026-12-31", "name": "元旦"}],
        "makeup_workdays": [{"date": "2027-02-08", "name": "春节"}, {"date": "2027-02-05", "name": "春节"}]
    });
    let body = expect_problem(put(&admin, &bad).await.unwrap(), 422, "validation_failed").await;
    let codes: Vec<&str> = body["errors"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|list| list.as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()))
        .collect();
    for code in ["duplicate_date", "date_outside_year", "makeup_day_not_weekend", "day_both_off_and_working"] {
        assert!(codes.contains(&code), "{code} missing in {body}");
    }
    expect_problem(get(&app, "/api/v1/calendar/years/2027").await, 404, "calendar_year_not_published").await;

    let before: Value =
        get(&app, "/api/v1/calendar/deadline?from=2027-02-01&working_days=10").await.json().await.unwrap();
    assert_eq!(before["provisional"], true);
    let stored = put(&admin, &schedule_2027()).await.unwrap();
    assert_eq!(stored.status(), 200);
    let stored: Value = stored.json().await.unwrap();
    assert_eq!(stored["version"], 1);
    let after: Value =
        get(&app, "/api/v1/calendar/deadline?from=2027-02-01&working_days=10").await.json().await.unwrap();
    assert_eq!(after["provisional"], false);
    assert_ne!(before["due_on"], after["due_on"], "the Spring Festival now counts");
    assert_eq!(after["due_on"], "2027-02-22", "2-2…2-4, 2-15…2-19, 2-20 (make-up Sat), 2-22");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'calendar.update'").await, 1);

    let stale = app
        .http
        .put(app.url("/api/v1/calendar/years/2027"))
        .bearer_auth(&admin)
        .header("if-match", "\"7\"")
        .json(&schedule_2027())
        .send()
        .await
        .unwrap();
    expect_problem(stale, 412, "stale_version").await;
}

#[actix_web::test]
async fn local_holidays_count_in_any_year_and_are_managed_by_the_system_admin() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "元谋县民族宗教事务局", "department", None).await;
    app.create_user(&admin, "mz.staff", Some(org), &["openness_officer"]).await;
    let staff =
        app.tokens("mz.staff", &TestApp::password_of("mz.staff")).await["access_token"].as_str().unwrap().to_owned();
    let holiday = json!({"name": "彝族火把节", "source": "楚雄州人民政府关于2027年彝族火把节放假的通知"});
    let path = "/api/v1/calendar/local-holidays/2027-07-28";
    let by_staff = app.http.put(app.url(path)).bearer_auth(&staff).json(&holiday).send().await.unwrap();
    expect_problem(by_staff, 403, "forbidden").await;

    let before: Value =
        get(&app, "/api/v1/calendar/deadline?from=2027-07-26&working_days=5").await.json().await.unwrap();
    let stored = app.http.put(app.url(path)).bearer_auth(&admin).json(&holiday).send().await.unwrap();
    assert_eq!(stored.status(), 200);
    let listed: Value = get(&app, "/api/v1/calendar/local-holidays").await.json().await.unwrap();
    assert_eq!(listed["items"][0]["date"], "2027-07-28");
    let after: Value =
        get(&app, "/api/v1/calendar/deadline?from=2027-07-26&working_days=5").await.json().await.unwrap();
    assert_ne!(before["due_on"], after["due_on"]);
    assert_eq!(after["provisional"], true, "2027's national schedule is still unpublished");
    assert!(after["skipped"].as_array().unwrap().iter().any(|s| s["name"] == "彝族火把节"));
    expect_problem(get(&app, "/api/v1/calendar/years/2027").await, 404, "calendar_year_not_published").await;

    assert_eq!(app.http.delete(app.url(path)).bearer_auth(&admin).send().await.unwrap().status(), 204);
    let restored: Value =
        get(&app, "/api/v1/calendar/deadline?from=2027-07-26&working_days=5").await.json().await.unwrap();
    assert_eq!(restored["due_on"], before["due_on"]);
    expect_problem(app.http.delete(app.url(path)).bearer_auth(&admin).send().await.unwrap(), 404, "not_found").await;
}

#[actix_web::test]
async fn a_calendar_change_waits_for_acts_that_compute_a_due_date_from_the_calendar() {
    use diesel_async::SimpleAsyncConnection;
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    // A filing or a request act in flight holds the calendar lock shared until it commits.
    let mut in_flight = persistence::connection(&app.pool).await.unwrap();
    in_flight.batch_execute("BEGIN").await.unwrap();
    persistence::calendar::hold_shared(&mut in_flight).await.unwrap();

    let holiday = json!({"name": "彝族火把节", "source": "楚雄州人民政府通知（测试）"});
    let change =
        app.http.put(app.url("/api/v1/calendar/local-holidays/2027-07-28")).bearer_auth(&admin).json(&holiday).send();
    let change = tokio::spawn(change);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!change.is_finished(), "the change must wait: its recomputation would miss the act's due date");
    let rows = "SELECT count(*) AS n FROM local_holidays";
    assert_eq!(app.scalar(rows).await, 0, "nothing committed yet");

    in_flight.batch_execute("COMMIT").await.unwrap();
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), change).await.unwrap().unwrap().unwrap();
    assert_eq!(response.status(), 200, "then it goes through");
    assert_eq!(app.scalar(rows).await, 1);
}
