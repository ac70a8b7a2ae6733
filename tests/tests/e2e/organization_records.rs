//! Organization records and training over HTTP (seed §6; DOMAIN.md §8): the published leadership
//! page read anonymously with the year's work priorities, the yearly check of the principal's
//! hearings, and training coverage with its exact share and the untrained staff.

use chrono::{Datelike, FixedOffset, Utc};
use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

/// 元谋县 with its government, office, two departments, a township and a public institution, and
/// 武定县 with its office and a department.
struct County {
    app: TestApp,
    admin: String,
    county: Uuid,
    office_org: Uuid,
    civil_affairs: Uuid,
    finance: Uuid,
    township: Uuid,
    other_department: Uuid,
    office: String,
    officer: String,
    drafter: String,
    finance_officer: String,
    other_office: String,
}

impl County {
    async fn new() -> County {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office_org =
            app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let civil_affairs = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let finance = app.create_organization(&admin, "元谋县财政局", "department", Some(county)).await;
        let township = app.create_organization(&admin, "元谋县老城乡人民政府", "township", Some(county)).await;
        app.create_organization(&admin, "元谋县人民医院", "public_institution", Some(county)).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_office_org =
            app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
        let other_department = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
        let users: [(&str, Uuid, &[&str]); 5] = [
            ("zfb.office", office_org, &["gov_office"]),
            ("mz.officer", civil_affairs, &["openness_officer"]),
            ("mz.drafter", civil_affairs, &["drafter"]),
            ("cz.officer", finance, &["openness_officer"]),
            ("wd.office", other_office_org, &["gov_office", "openness_officer"]),
        ];
        for (name, org, roles) in users {
            app.create_user(&admin, name, Some(org), roles).await;
        }
        County {
            office: app.token_of("zfb.office").await,
            officer: app.token_of("mz.officer").await,
            drafter: app.token_of("mz.drafter").await,
            finance_officer: app.token_of("cz.officer").await,
            other_office: app.token_of("wd.office").await,
            admin,
            county,
            office_org,
            civil_affairs,
            finance,
            township,
            other_department,
            app,
        }
    }

    async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> Response {
        self.app.http.request(method, self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn post_ok(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.send(reqwest::Method::POST, token, path, body).await;
        assert_eq!(response.status(), 201, "POST {path}: {}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

fn this_year() -> i32 {
    Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).year()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn leadership_and_the_years_priorities_are_published_to_everyone() {
    let c = County::new().await;
    let org_path = format!("/api/v1/organizations/{}", c.civil_affairs);
    let version = c.app.get_ok(&c.officer, &org_path).await["version"].as_i64().unwrap();
    let leadership = json!({
        "principal_name": "李明",
        "principal_duties": "主持局全面工作",
        "openness_deputy_name": "王芳",
        "openness_deputy_duties": "分管政务公开、办公室工作",
    });
    let path = format!("{org_path}/leadership");
    // Another county's office, and a drafter of the organization, may not.
    let refused = c.send(reqwest::Method::PUT, &c.other_office, &path, leadership.clone()).await;
    expect_problem(refused, 403, "forbidden").await;
    expect_problem(c.send(reqwest::Method::PUT, &c.drafter, &path, leadership.clone()).await, 403, "forbidden").await;
    let stale = c
        .app
        .http
        .put(c.app.url(&path))
        .bearer_auth(&c.officer)
        .header("If-Match", format!("\"{}\"", version + 7))
        .json(&leadership)
        .send()
        .await
        .unwrap();
    expect_problem(stale, 412, "stale_version").await;
    let response = c
        .app
        .http
        .put(c.app.url(&path))
        .bearer_auth(&c.officer)
        .header("If-Match", format!("\"{version}\""))
        .json(&leadership)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let year = this_year();
    for text in ["完善主动公开基本目录", "办好政府开放日活动"] {
        c.post_ok(&c.officer, "/api/v1/work-priorities", json!({"year": year, "text": text})).await;
    }
    let next = json!({"year": year + 1, "text": "推进基层政务公开标准化", "organization_id": c.civil_affairs});
    let planned = c.post_ok(&c.office, "/api/v1/work-priorities", next).await;
    assert_eq!(planned["organization_id"], json!(c.civil_affairs));

    let public =
        c.app.http.get(c.app.url(&format!("/api/v1/public/organizations/{}", c.civil_affairs))).send().await.unwrap();
    assert_eq!(public.status(), 200);
    let page: Value = public.json().await.unwrap();
    assert_eq!(page["name"], "元谋县民政局");
    assert_eq!(page["kind"], "department");
    assert_eq!(page["parent"], json!({"id": c.county, "name": "元谋县人民政府"}));
    assert_eq!(page["principal"], json!({"name": "李明", "duties": "主持局全面工作"}));
    assert_eq!(page["openness_deputy"], json!({"name": "王芳", "duties": "分管政务公开、办公室工作"}));
    assert_eq!(page["year"], year);
    let texts: Vec<&str> =
        page["work_priorities"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["完善主动公开基本目录", "办好政府开放日活动"]);
    let next_page: Value = c
        .app
        .http
        .get(c.app.url(&format!("/api/v1/public/organizations/{}?year={}", c.civil_affairs, year + 1)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(next_page["work_priorities"].as_array().unwrap().len(), 1);
    let unknown = c.app.http.get(c.app.url(&format!("/api/v1/public/organizations/{}", Uuid::now_v7()))).send().await;
    expect_problem(unknown.unwrap(), 404, "not_found").await;

    // Another county's staff neither read nor write these records.
    let priority = id(&planned);
    let foreign =
        c.app.http.get(c.app.url(&format!("/api/v1/work-priorities/{priority}"))).bearer_auth(&c.other_office);
    expect_problem(foreign.send().await.unwrap(), 404, "not_found").await;
    let body = json!({"year": year, "text": "越权", "organization_id": c.civil_affairs});
    let refused = c.send(reqwest::Method::POST, &c.other_office, "/api/v1/work-priorities", body).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["organization_id"][0]["code"], "not_found");
    let listed = c.app.get_ok(&c.other_office, "/api/v1/work-priorities").await;
    assert_eq!(listed["items"], json!([]));
    // A drafter writes no priorities; the finance officer cannot change the civil-affairs bureau's.
    let body = json!({"year": year, "text": "x"});
    expect_problem(c.send(reqwest::Method::POST, &c.drafter, "/api/v1/work-priorities", body).await, 403, "forbidden")
        .await;
    let update = json!({"year": year, "text": "改写"});
    let path = format!("/api/v1/work-priorities/{priority}");
    expect_problem(c.send(reqwest::Method::PUT, &c.finance_officer, &path, update.clone()).await, 404, "not_found")
        .await;
    let rewritten = c.send(reqwest::Method::PUT, &c.officer, &path, update).await;
    assert_eq!(rewritten.status(), 200);
    let too_late = json!({"year": year + 2, "text": "远期"});
    let refused = c.send(reqwest::Method::POST, &c.officer, "/api/v1/work-priorities", too_late).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["year"][0]["code"], "year_range");
}

#[actix_web::test]
async fn the_hearing_check_lists_exactly_the_organizations_without_a_hearing() {
    let c = County::new().await;
    let hearing =
        |day: &str| json!({"held_on": day, "chaired_by": "李明", "minutes": "听取政务公开工作汇报，研究部署重点工作"});
    let first = c.post_ok(&c.officer, "/api/v1/work-report-hearings", hearing("2025-06-30")).await;
    assert_eq!(first["organization_id"], json!(c.civil_affairs));
    c.post_ok(&c.officer, "/api/v1/work-report-hearings", hearing("2025-11-03")).await;
    c.post_ok(&c.officer, "/api/v1/work-report-hearings", hearing("2024-12-31")).await;
    let mut for_township = hearing("2025-03-01");
    for_township["organization_id"] = json!(c.township);
    c.post_ok(&c.office, "/api/v1/work-report-hearings", for_township).await;
    c.post_ok(&c.finance_officer, "/api/v1/work-report-hearings", hearing("2026-01-01")).await;
    // Another county's office records its own; the check of 元谋 never shows it.
    let mut foreign = hearing("2025-05-05");
    foreign["organization_id"] = json!(c.other_department);
    c.post_ok(&c.other_office, "/api/v1/work-report-hearings", foreign).await;

    let check = c.app.get_ok(&c.office, "/api/v1/work-report-hearing-check?year=2025").await;
    let counts: Vec<(String, i64)> = check["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_owned(), o["hearings"].as_i64().unwrap()))
        .collect();
    let mut expected = vec![
        ("元谋县人民政府".to_owned(), 0),
        ("元谋县人民政府办公室".to_owned(), 0),
        ("元谋县民政局".to_owned(), 2),
        ("元谋县老城乡人民政府".to_owned(), 1),
        ("元谋县财政局".to_owned(), 0),
    ];
    expected.sort();
    let mut sorted = counts.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "the public institution is not checked");
    let mut without: Vec<Uuid> = check["without_hearing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["organization_id"].as_str().unwrap().parse().unwrap())
        .collect();
    without.sort();
    let mut expected = vec![c.county, c.office_org, c.finance];
    expected.sort();
    assert_eq!(without, expected);
    let civil = check["organizations"].as_array().unwrap().iter().find(|o| o["name"] == "元谋县民政局").unwrap();
    assert_eq!(civil["last_held_on"], "2025-11-03");

    // Who may check, and what the others see.
    let officer_check =
        c.app.http.get(c.app.url("/api/v1/work-report-hearing-check?year=2025")).bearer_auth(&c.officer);
    expect_problem(officer_check.send().await.unwrap(), 403, "forbidden").await;
    let other = c.app.get_ok(&c.other_office, "/api/v1/work-report-hearing-check?year=2025").await;
    assert_eq!(other["without_hearing"].as_array().unwrap().len(), 2, "武定's government and office: {other}");
    let hidden = c.app.http.get(c.app.url(&format!("/api/v1/work-report-hearings/{}", id(&first))));
    expect_problem(hidden.bearer_auth(&c.other_office).send().await.unwrap(), 404, "not_found").await;
    let admin_check = c.app.http.get(c.app.url("/api/v1/work-report-hearing-check?year=2025")).bearer_auth(&c.admin);
    let problem = expect_problem(admin_check.send().await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"]["county_id"][0]["code"], "required");
    let by_admin =
        c.app.get_ok(&c.admin, &format!("/api/v1/work-report-hearing-check?year=2025&county_id={}", c.county)).await;
    assert_eq!(by_admin["without_hearing"], check["without_hearing"]);
    let listed = c.app.get_ok(&c.office, "/api/v1/work-report-hearings?year=2025").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let future = c.send(reqwest::Method::POST, &c.officer, "/api/v1/work-report-hearings", hearing("2999-01-01")).await;
    let problem = expect_problem(future, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["held_on"][0]["code"], "date_in_future");
    // A hearing counts as the principal's: without a named chair and without a recorded principal
    // it is refused; once the leadership is recorded, the principal is the chair.
    let unnamed = json!({"held_on": "2025-07-01", "minutes": "听取政务公开工作汇报"});
    let refused =
        c.send(reqwest::Method::POST, &c.finance_officer, "/api/v1/work-report-hearings", unnamed.clone()).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["chaired_by"][0]["code"], "chaired_by_unknown");
    let leadership = json!({"principal_name": "李明", "openness_deputy_name": "王芳"});
    let path = format!("/api/v1/organizations/{}/leadership", c.civil_affairs);
    let set = c.send(reqwest::Method::PUT, &c.officer, &path, leadership).await;
    assert_eq!(set.status(), 200, "{}", set.text().await.unwrap());
    let recorded = c.post_ok(&c.officer, "/api/v1/work-report-hearings", unnamed).await;
    assert_eq!(recorded["chaired_by"], "李明");
}

async fn me(app: &TestApp, token: &str) -> Uuid {
    app.get_ok(token, "/api/v1/me").await["id"].as_str().unwrap().parse().unwrap()
}

async fn attend(c: &County, session: &Value, users: Vec<Uuid>) -> Response {
    let path = format!("/api/v1/training-sessions/{}/attendance", id(session));
    c.send(reqwest::Method::PUT, &c.office, &path, json!({"user_ids": users})).await
}

#[actix_web::test]
async fn training_coverage_gives_the_exact_share_and_the_untrained_staff() {
    let c = County::new().await;
    let a_head = c.app.create_user(&c.admin, "mz.head", Some(c.civil_affairs), &["openness_head"]).await;
    let a_second = c.app.create_user(&c.admin, "mz.officer2", Some(c.civil_affairs), &["openness_officer"]).await;
    let b_officer = c.app.create_user(&c.admin, "cz.officer2", Some(c.finance), &["openness_officer", "drafter"]).await;
    let gone = c.app.create_user(&c.admin, "cz.gone", Some(c.finance), &["openness_officer"]).await;
    let remove = c.app.http.delete(c.app.url(&format!("/api/v1/users/{gone}"))).bearer_auth(&c.admin).send().await;
    assert_eq!(remove.unwrap().status(), 204, "an inactive officer is not counted");
    let a_officer = me(&c.app, &c.officer).await;
    let finance_officer = me(&c.app, &c.finance_officer).await;
    let other_county_user = me(&c.app, &c.other_office).await;

    let plan = c
        .post_ok(&c.office, "/api/v1/training-plans", json!({"year": 2025, "title": "2025年度政务公开轮训计划"}))
        .await;
    assert_eq!(plan["organization_id"], json!(c.county), "the office's plans are county-wide");
    let sessions = format!("/api/v1/training-plans/{}/sessions", id(&plan));
    let may = c.post_ok(&c.office, &sessions, json!({"held_on": "2025-05-10", "topic": "依申请公开办理实务"})).await;
    let december = c.post_ok(&c.office, &sessions, json!({"held_on": "2024-12-01", "topic": "政策解读"})).await;
    let refused = attend(&c, &may, vec![a_officer, other_county_user]).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["user_ids"][0]["code"], "other_county");
    assert_eq!(attend(&c, &may, vec![a_officer, a_second, b_officer, gone]).await.status(), 200);
    assert_eq!(attend(&c, &december, vec![a_head, finance_officer]).await.status(), 200);
    let detail = c.app.get_ok(&c.office, &format!("/api/v1/training-sessions/{}", id(&may))).await;
    assert_eq!(detail["attendees"].as_array().unwrap().len(), 4);

    // Openness staff of 元谋: mz.officer, mz.officer2, mz.head, cz.officer, cz.officer2 (cz.gone is
    // inactive, zfb.office and the drafter are no openness staff).
    let county = c.app.get_ok(&c.office, "/api/v1/training-coverage?from=2025-01-01&to=2025-12-31").await;
    assert_eq!((county["staff"].as_u64(), county["trained"].as_u64()), (Some(5), Some(3)));
    assert_eq!(county["share_percent"], 60.0);
    let untrained: Vec<Uuid> = county["untrained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["user_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut expected = vec![a_head, finance_officer];
    expected.sort_by_key(|u| if *u == a_head { "用户 mz.head" } else { "用户 cz.officer" });
    assert_eq!(untrained, expected);
    let wide = c.app.get_ok(&c.office, "/api/v1/training-coverage?from=2024-01-01&to=2025-12-31").await;
    assert_eq!(wide["share_percent"], 100.0);
    assert_eq!(wide["untrained"], json!([]));
    let own = c.app.get_ok(&c.officer, "/api/v1/training-coverage?from=2025-01-01&to=2025-12-31").await;
    assert_eq!((own["staff"].as_u64(), own["trained"].as_u64()), (Some(3), Some(2)));
    assert_eq!(own["share_percent"], 66.67);
    assert_eq!(own["untrained"].as_array().unwrap().len(), 1);
    assert_eq!(own["untrained"][0]["user_id"], json!(a_head));
    let finance = c.app.get_ok(&c.finance_officer, "/api/v1/training-coverage?from=2025-01-01&to=2025-06-30").await;
    assert_eq!(finance["share_percent"], 50.0);
    let thirds = c
        .app
        .get_ok(
            &c.office,
            &format!("/api/v1/training-coverage?from=2024-01-01&to=2024-12-31&organization_id={}", c.finance),
        )
        .await;
    assert_eq!((thirds["staff"].as_u64(), thirds["share_percent"].as_f64()), (Some(2), Some(50.0)));

    // Others' plans are invisible; the drafter reads no coverage.
    let hidden =
        c.app.http.get(c.app.url(&format!("/api/v1/training-plans/{}", id(&plan)))).bearer_auth(&c.other_office);
    expect_problem(hidden.send().await.unwrap(), 404, "not_found").await;
    let drafter =
        c.app.http.get(c.app.url("/api/v1/training-coverage?from=2025-01-01&to=2025-12-31")).bearer_auth(&c.drafter);
    expect_problem(drafter.send().await.unwrap(), 403, "forbidden").await;
    let backwards =
        c.app.http.get(c.app.url("/api/v1/training-coverage?from=2025-12-31&to=2025-01-01")).bearer_auth(&c.office);
    let problem = expect_problem(backwards.send().await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"]["to"][0]["code"], "before_from");
}
