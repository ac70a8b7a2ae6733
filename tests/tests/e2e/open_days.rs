//! Government open days over HTTP (seed §5.3): announced, listed publicly with the seats left,
//! registrations up to the capacity (also when they arrive at once) and until the closing time;
//! edits that keep room for those registered, and cancellation with the reason the public sees.

use chrono::{Duration, Utc};
use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};

#[actix_web::test]
async fn an_open_day_takes_registrations_up_to_its_capacity_and_no_later_than_announced() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
    app.create_user(&admin, "xf.drafter", Some(county), &["drafter"]).await;
    let officer = app.token_of("xf.officer").await;
    let drafter = app.token_of("xf.drafter").await;
    let starts = Utc::now() + Duration::days(10);
    let announcement = json!({"title": "元谋县人民政府“政府开放日”活动", "description": "走进县政务服务中心",
        "location": "县政务服务中心三楼", "starts_at": starts, "ends_at": starts + Duration::hours(3),
        "registration_closes_at": starts - Duration::days(1), "capacity": 6});
    let announce =
        |token: &str, body: Value| app.http.post(app.url("/api/v1/open-days")).bearer_auth(token).json(&body).send();
    expect_problem(announce(&drafter, announcement.clone()).await.unwrap(), 403, "forbidden").await;
    let mut late_close = announcement.clone();
    late_close["registration_closes_at"] = json!(starts + Duration::hours(1));
    let problem = expect_problem(announce(&officer, late_close).await.unwrap(), 422, "validation_failed").await;
    assert!(problem["errors"]["registration_closes_at"].is_array());
    let response = announce(&officer, announcement).await.unwrap();
    assert_eq!(response.status(), 201);
    let day: Value = response.json().await.unwrap();
    let id = day["id"].as_str().unwrap().to_owned();

    // Eight parties of two try at once: three fit in six seats.
    let path = format!("/api/v1/public/open-days/{id}/registrations");
    let attempts = (0..8).map(|n| {
        let body = json!({"name": format!("市民{n}"), "contact": format!("1398765{n:04}"), "party_size": 2});
        app.http.post(app.url(&path)).json(&body).send()
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "eight tries stay under the hourly limit: {statuses:?}");
    let public: Value = app.http.get(app.url("/api/v1/public/open-days")).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["items"][0]["seats_left"], 0);
    let text = serde_json::to_string(&public).unwrap();
    assert!(!text.contains("1398765"), "contacts are never public");

    let registered: Value = app
        .http
        .get(app.url(&format!("/api/v1/open-days/{id}/registrations")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(registered.as_array().unwrap().len(), 3);
    assert!(registered[0]["contact"].as_str().unwrap().starts_with("1398765"));

    app.execute_batch(&format!(
        "UPDATE open_days SET capacity = 100, registration_closes_at = now() - interval '1 minute' WHERE id = '{id}'"
    ))
    .await;
    let closed = app
        .http
        .post(app.url(&path))
        .json(&json!({"name": "迟到者", "contact": "13900000000", "party_size": 1}))
        .send()
        .await
        .unwrap();
    expect_problem(closed, 409, "registration_closed").await;
}

struct Day {
    app: TestApp,
    officer: String,
    drafter: String,
    stranger: String,
    id: String,
    body: Value,
}

impl Day {
    async fn announce() -> Day {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let other = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
        app.create_user(&admin, "xf.drafter", Some(county), &["drafter"]).await;
        app.create_user(&admin, "wd.officer", Some(other), &["openness_officer"]).await;
        let officer = app.token_of("xf.officer").await;
        let starts = Utc::now() + Duration::days(10);
        let body = json!({"title": "政府开放日：走进县应急管理局", "description": "参观应急指挥中心",
            "location": "县应急管理局", "starts_at": starts, "ends_at": starts + Duration::hours(3),
            "registration_closes_at": starts - Duration::days(1), "capacity": 10});
        let response =
            app.http.post(app.url("/api/v1/open-days")).bearer_auth(&officer).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        Day {
            drafter: app.token_of("xf.drafter").await,
            stranger: app.token_of("wd.officer").await,
            app,
            officer,
            id,
            body,
        }
    }

    async fn register(&self, party_size: i32) -> reqwest::Response {
        let body = json!({"name": "市民", "contact": "13987650000", "party_size": party_size});
        let path = format!("/api/v1/public/open-days/{}/registrations", self.id);
        self.app.http.post(self.app.url(&path)).json(&body).send().await.unwrap()
    }

    async fn put(&self, token: &str, body: &Value, etag: Option<&str>) -> reqwest::Response {
        let mut request = self.app.http.put(self.app.url(&format!("/api/v1/open-days/{}", self.id))).bearer_auth(token);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.json(body).send().await.unwrap()
    }

    async fn cancel(&self, token: &str) -> reqwest::Response {
        let path = format!("/api/v1/open-days/{}/cancel", self.id);
        let reason = json!({"reason": "因防汛应急响应，本次开放日活动取消"});
        self.app.http.post(self.app.url(&path)).bearer_auth(token).json(&reason).send().await.unwrap()
    }

    async fn staff_view(&self) -> (Value, String) {
        let response = self
            .app
            .http
            .get(self.app.url(&format!("/api/v1/open-days/{}", self.id)))
            .bearer_auth(&self.officer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (response.json().await.unwrap(), etag)
    }
}

#[actix_web::test]
async fn an_open_day_is_edited_without_dropping_those_registered() {
    let day = Day::announce().await;
    for _ in 0..2 {
        assert_eq!(day.register(4).await.status(), 201);
    }
    let (before, etag) = day.staff_view().await;
    assert_eq!(before["seats_left"], 2);

    let mut smaller = day.body.clone();
    smaller["capacity"] = json!(7);
    let problem = expect_problem(day.put(&day.officer, &smaller, Some(&etag)).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["capacity"][0]["code"], "below_registered", "{problem}");
    let mut inverted = day.body.clone();
    inverted["ends_at"] = day.body["starts_at"].clone();
    let problem = expect_problem(day.put(&day.officer, &inverted, Some(&etag)).await, 422, "validation_failed").await;
    assert!(problem["errors"]["ends_at"].is_array(), "{problem}");
    expect_problem(day.put(&day.drafter, &smaller, Some(&etag)).await, 403, "forbidden").await;
    expect_problem(day.put(&day.stranger, &smaller, Some(&etag)).await, 404, "not_found").await;
    let (unchanged, _) = day.staff_view().await;
    assert_eq!(
        (unchanged["capacity"].as_i64(), unchanged["version"].as_i64()),
        (Some(10), Some(1)),
        "refusals change nothing"
    );

    let mut larger = day.body.clone();
    larger["capacity"] = json!(20);
    larger["location"] = json!("县应急管理局二楼指挥大厅");
    let response = day.put(&day.officer, &larger, Some(&etag)).await;
    assert_eq!(response.status(), 200);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(
        (edited["seats_left"].as_i64(), edited["location"].as_str()),
        (Some(12), Some("县应急管理局二楼指挥大厅"))
    );
    expect_problem(day.put(&day.officer, &larger, Some(&etag)).await, 412, "stale_version").await;
    let exact = {
        let mut b = day.body.clone();
        b["capacity"] = json!(8);
        b
    };
    assert_eq!(day.put(&day.officer, &exact, None).await.status(), 200, "down to exactly those registered");
    expect_problem(day.register(1).await, 409, "open_day_full").await;

    // Once it has started it can no longer change.
    day.app
        .execute_batch(&format!(
            "UPDATE open_days SET starts_at = now() - interval '1 hour', registration_closes_at = now() - interval '2 hours', \
             ends_at = now() + interval '2 hours' WHERE id = '{}'",
            day.id
        ))
        .await;
    expect_problem(day.put(&day.officer, &larger, None).await, 409, "open_day_over").await;
    expect_problem(day.cancel(&day.officer).await, 409, "open_day_over").await;
}

#[actix_web::test]
async fn a_cancelled_open_day_tells_the_public_why_and_takes_no_registrations() {
    let day = Day::announce().await;
    assert_eq!(day.register(2).await.status(), 201);
    expect_problem(day.cancel(&day.drafter).await, 403, "forbidden").await;
    expect_problem(day.cancel(&day.stranger).await, 404, "not_found").await;
    let no_reason = day
        .app
        .http
        .post(day.app.url(&format!("/api/v1/open-days/{}/cancel", day.id)))
        .bearer_auth(&day.officer)
        .json(&json!({"reason": " "}))
        .send()
        .await
        .unwrap();
    expect_problem(no_reason, 422, "validation_failed").await;
    assert_eq!(day.staff_view().await.0["cancelled_at"], Value::Null, "refusals change nothing");

    assert_eq!(day.cancel(&day.officer).await.status(), 200);
    let public: Value =
        day.app.http.get(day.app.url("/api/v1/public/open-days")).send().await.unwrap().json().await.unwrap();
    let listed = &public["items"][0];
    assert_eq!(listed["id"], day.id.as_str(), "the cancelled day stays listed so registrants learn of it");
    assert_eq!(listed["cancellation_reason"], "因防汛应急响应，本次开放日活动取消");
    assert!(listed["cancelled_at"].is_string());
    expect_problem(day.register(1).await, 409, "open_day_cancelled").await;
    expect_problem(day.cancel(&day.officer).await, 409, "open_day_cancelled").await;
    expect_problem(day.put(&day.officer, &day.body, None).await, 409, "open_day_cancelled").await;
    let registrations = "SELECT count(*) AS n FROM open_day_registrations";
    assert_eq!(day.app.scalar(registrations).await, 1);
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'open_day.cancel'";
    assert_eq!(day.app.scalar(audited).await, 1);
}
