//! Reposting higher-level documents end to end: one registration fans out to twenty departments
//! and a township; each officer records the repost; the special check sorts them as on time, late,
//! missing or not yet due as the days pass; missed deadlines become breaches once.

use api::clock::Clock;
use chrono::{DateTime, NaiveDate, Utc};
use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.http.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

fn counts(report: &Value) -> (i64, i64, i64, i64) {
    let n = |k: &str| report[k].as_i64().unwrap();
    (n("on_time"), n("late"), n("missing"), n("pending"))
}

#[actix_web::test]
async fn a_repost_fans_out_to_twenty_departments_and_the_special_check_shows_on_time_late_and_missing() {
    // Monday 2 November 2026, 10:00 in Yuanmou.
    let clock = Clock::manual(at("2026-11-02T02:00:00Z"));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
    let hospital = app.create_organization(&admin, "元谋县人民医院", "public_institution", Some(county)).await;
    let township = app.create_organization(&admin, "元马镇人民政府", "township", Some(county)).await;
    let mut departments: Vec<(Uuid, String)> = Vec::new();
    for n in 0..20 {
        let org = app.create_organization(&admin, &format!("元谋县第{n}局"), "department", Some(county)).await;
        let username = format!("dept{n}.officer");
        app.create_user(&admin, &username, Some(org), &["openness_officer"]).await;
        departments.push((org, app.token_of(&username).await));
    }
    app.create_user(&admin, "zfb.office", Some(office), &["gov_office"]).await;
    let gov_office = app.token_of("zfb.office").await;
    let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
    let other_office =
        app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
    app.create_user(&admin, "wd.office", Some(other_office), &["gov_office"]).await;
    let stranger = app.token_of("wd.office").await;

    let document = json!({
        "issuer_level": "state_council",
        "issuer": "国务院办公厅",
        "title": "国务院办公厅关于进一步优化政务服务提升行政效能的意见",
        "doc_number": "国办发〔2026〕30号",
        "url": "https://www.gov.cn/zhengce/content/2026-10/30/content_0000001.htm",
        "published_on": "2026-10-30",
    });
    expect_problem(post(&app, &departments[0].1, "/api/v1/higher-documents", document.clone()).await, 403, "forbidden")
        .await;
    let mut future = document.clone();
    future["published_on"] = json!("2026-11-03");
    let problem =
        expect_problem(post(&app, &gov_office, "/api/v1/higher-documents", future).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["published_on"][0]["code"], "in_future");
    let registered = json_of(post(&app, &gov_office, "/api/v1/higher-documents", document).await, 201).await;
    assert_eq!(registered["obligations"], 21, "twenty departments and the township; not the hospital");
    let doc_id = registered["document"]["id"].as_str().unwrap().to_owned();
    // Five working days from Monday 2 November.
    assert_eq!(registered["document"]["due_on"], "2026-11-09");
    assert_eq!(registered["document"]["repost_working_days"], 5);
    let hospital_owes =
        app.scalar(&format!("SELECT count(*) AS n FROM repost_obligations WHERE organization_id = '{hospital}'")).await;
    assert_eq!(hospital_owes, 0);
    let township_owes =
        app.scalar(&format!("SELECT count(*) AS n FROM repost_obligations WHERE organization_id = '{township}'")).await;
    assert_eq!(township_owes, 1);

    let obligation_of = |token: String| {
        let app = &app;
        async move {
            let page = app.get_ok(&token, "/api/v1/repost-obligations").await;
            let items = page["items"].as_array().unwrap().clone();
            assert_eq!(items.len(), 1, "an officer sees only the own organization's obligation");
            items[0]["id"].as_str().unwrap().to_owned()
        }
    };
    let repost = |token: String, id: String, day: &'static str| {
        let app = &app;
        async move {
            let body = json!({"url": format!("https://www.yuanmou.gov.cn/zcwj/{id}.html"), "reposted_on": day});
            post(app, &token, &format!("/api/v1/repost-obligations/{id}/repost"), body).await
        }
    };

    // Thursday 5 November: eight departments repost on time.
    clock.set(at("2026-11-05T03:00:00Z"));
    let mut ids = Vec::new();
    for (_, token) in &departments {
        ids.push(obligation_of(token.clone()).await);
    }
    for n in 0..8 {
        let done = json_of(repost(departments[n].1.clone(), ids[n].clone(), "2026-11-05").await, 200).await;
        assert_eq!(done["standing"], "on_time");
    }
    let early = json_of(
        app.http
            .get(app.url(&format!("/api/v1/higher-documents/{doc_id}/report")))
            .bearer_auth(&gov_office)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(counts(&early), (8, 0, 0, 13), "before the deadline the rest are pending");

    // Refusals leave the obligation as it was.
    expect_problem(repost(departments[0].1.clone(), ids[0].clone(), "2026-11-05").await, 409, "already_reposted").await;
    let before =
        expect_problem(repost(departments[8].1.clone(), ids[8].clone(), "2026-10-29").await, 422, "validation_failed")
            .await;
    assert_eq!(before["errors"]["reposted_on"][0]["code"], "before_original");
    let later =
        expect_problem(repost(departments[8].1.clone(), ids[8].clone(), "2026-11-06").await, 422, "validation_failed")
            .await;
    assert_eq!(later["errors"]["reposted_on"][0]["code"], "in_future");
    expect_problem(repost(departments[9].1.clone(), ids[8].clone(), "2026-11-05").await, 404, "not_found").await;
    expect_problem(repost(gov_office.clone(), ids[8].clone(), "2026-11-05").await, 403, "forbidden").await;
    let untouched = app.get_ok(&departments[8].1, &format!("/api/v1/repost-obligations/{}", ids[8])).await;
    assert_eq!(untouched["status"], "pending");
    assert!(untouched["reposted_on"].is_null());

    // Thursday 12 November, past the deadline: six more repost late, six never do.
    clock.set(at("2026-11-12T03:00:00Z"));
    for n in 8..14 {
        let done = json_of(repost(departments[n].1.clone(), ids[n].clone(), "2026-11-11").await, 200).await;
        assert_eq!(done["standing"], "late");
    }
    let report = json_of(
        app.http
            .get(app.url(&format!("/api/v1/higher-documents/{doc_id}/report")))
            .bearer_auth(&gov_office)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(counts(&report), (8, 6, 7, 0), "the township never reposted either");
    let lines = report["organizations"].as_array().unwrap();
    assert_eq!(lines.len(), 21);
    for (n, (org, _)) in departments.iter().enumerate() {
        let line = lines.iter().find(|l| l["organization_id"] == json!(org)).unwrap();
        let expected = match n {
            0..8 => (1, 0, 0),
            8..14 => (0, 1, 0),
            _ => (0, 0, 1),
        };
        let got =
            (line["on_time"].as_i64().unwrap(), line["late"].as_i64().unwrap(), line["missing"].as_i64().unwrap());
        assert_eq!(got, expected, "department {n}");
    }
    let period = json_of(
        app.http
            .get(app.url("/api/v1/repost-reports?from=2026-11-01&to=2026-11-30"))
            .bearer_auth(&gov_office)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(counts(&period), (8, 6, 7, 0));
    let empty = json_of(
        app.http.get(app.url("/api/v1/repost-reports?from=2026-12-01")).bearer_auth(&gov_office).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(counts(&empty), (0, 0, 0, 0));
    let missing = app.get_ok(&gov_office, "/api/v1/repost-obligations?missing=true").await;
    assert_eq!(missing["items"].as_array().unwrap().len(), 7);

    // Missed deadlines become breaches, once.
    let mut conn = persistence::connection(&app.pool).await.unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 12).unwrap();
    assert_eq!(persistence::reposts::record_missing(&mut conn, today).await.unwrap(), 7);
    assert_eq!(persistence::reposts::record_missing(&mut conn, today).await.unwrap(), 0);
    let breaches =
        app.scalar("SELECT count(*) AS n FROM breaches WHERE kind = 'repost_missing' AND due_on = '2026-11-09'").await;
    assert_eq!(breaches, 7);

    // Another county sees none of it.
    expect_problem(
        app.http
            .get(app.url(&format!("/api/v1/higher-documents/{doc_id}/report")))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    expect_problem(
        app.http
            .get(app.url(&format!("/api/v1/repost-obligations/{}", ids[0])))
            .bearer_auth(&stranger)
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.get_ok(&stranger, "/api/v1/higher-documents").await["items"], json!([]));
    // A department reads the document but not the special check.
    expect_problem(
        app.http
            .get(app.url(&format!("/api/v1/higher-documents/{doc_id}/report")))
            .bearer_auth(&departments[0].1)
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;
}

#[actix_web::test]
async fn a_calendar_change_moves_pending_repost_deadlines() {
    let clock = Clock::manual(at("2026-11-02T02:00:00Z"));
    let app = TestApp::spawn_with_clock(clock).await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
    app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
    app.create_user(&admin, "zfb.office", Some(office), &["gov_office"]).await;
    let gov_office = app.token_of("zfb.office").await;
    let body = json!({
        "issuer_level": "province", "issuer": "云南省人民政府办公厅", "title": "关于做好2026年冬春救助工作的通知",
        "url": "https://www.yn.gov.cn/zwgk/zcwj/202611/t20261102_000001.html", "published_on": "2026-11-02",
        "repost_working_days": 3,
    });
    let registered = json_of(post(&app, &gov_office, "/api/v1/higher-documents", body).await, 201).await;
    assert_eq!(registered["document"]["due_on"], "2026-11-05");
    // The county declares Wednesday 4 November a local holiday: the deadline moves a day.
    let holiday = app
        .http
        .put(app.url("/api/v1/calendar/local-holidays/2026-11-04"))
        .bearer_auth(&admin)
        .json(&json!({"name": "县庆", "source": "元政发〔2026〕1号"}))
        .send()
        .await
        .unwrap();
    assert!(holiday.status().is_success(), "{:?}", holiday.text().await);
    let id = registered["document"]["id"].as_str().unwrap();
    assert_eq!(app.get_ok(&gov_office, &format!("/api/v1/higher-documents/{id}")).await["due_on"], "2026-11-06");
    let moved = app.scalar("SELECT count(*) AS n FROM repost_obligations WHERE due_on = '2026-11-06'").await;
    assert_eq!(moved, 1);
}
