//! Government open days over HTTP (seed §5.3): announced, listed publicly with the seats left,
//! registrations up to the capacity (also when they arrive at once) and until the closing time.

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
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409 || *s == 429), "{statuses:?}");
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
