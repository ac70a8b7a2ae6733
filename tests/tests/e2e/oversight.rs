//! Oversight by the government office over HTTP (seed §1.4, §4; DOMAIN.md §4, §10): website checks
//! that open rectifications and record stale content, the rectification states with who may act,
//! overdue rectifications listed and recorded as breaches once, spot checks on a random but fixed
//! sample, and reading venues whose public view never shows a document that is not public.

use chrono::{Duration, NaiveDate};
use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

/// A county with its government office and two departments, a township with no documents, and
/// another county with its own office.
struct County {
    app: TestApp,
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
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_office_org =
            app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
        let other_department = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
        let users: [(&str, Uuid, &[&str]); 5] = [
            ("zfb.office", office_org, &["gov_office"]),
            ("mz.officer", civil_affairs, &["openness_officer"]),
            ("mz.drafter", civil_affairs, &["drafter"]),
            ("cz.officer", finance, &["openness_officer"]),
            ("wd.office", other_office_org, &["gov_office"]),
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
            civil_affairs,
            finance,
            township,
            other_department,
            app,
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn post_if_match(&self, token: &str, path: &str, version: i64, body: Value) -> Response {
        let request = self.app.http.post(self.app.url(path)).bearer_auth(token);
        request.header("If-Match", format!("\"{version}\"")).json(&body).send().await.unwrap()
    }

    async fn get(&self, token: Option<&str>, path: &str) -> Response {
        self.app.get_as(token, path).await
    }

    /// A document of `org` straight in the database, in `status` with `disclosure`.
    async fn document(&self, org: Uuid, status: &str, disclosure: &str) -> Uuid {
        let id = Uuid::now_v7();
        let published_at = if status == "published" { "now() - interval '30 days'" } else { "NULL" };
        self.app
            .execute_batch(&format!(
                "INSERT INTO documents (id, title, issuing_org_id, county_id, issuing_authority, lead_drafting_org_id, \
                 drafting_org_ids, category, disclosure, status, formed_on, published_at) VALUES ('{id}', \
                 '关于做好城乡低保工作的通知 {id}', '{org}', (SELECT parent_id FROM organizations WHERE id = '{org}'), \
                 'department', '{org}', ARRAY['{org}'::uuid], 'service', \
                 '{disclosure}', '{status}', DATE '2026-03-02', {published_at})"
            ))
            .await;
        id
    }

    async fn website(&self, org: Uuid) -> Value {
        let body = json!({"organization_id": org, "name": "元谋县民政局网站", "url": "https://mz.ynym.gov.cn"});
        created(self.post(&self.office, "/api/v1/websites", body).await).await
    }

    /// A check of a new site of the civil affairs bureau with one finding per kind given, whose
    /// deadlines are 30 days after the check.
    async fn checked_site(&self, kinds: &[&str]) -> (Value, Value) {
        let site = self.website(self.civil_affairs).await;
        let checked_on = today() - Duration::days(1);
        let findings: Vec<Value> = kinds
            .iter()
            .map(|k| json!({"kind": k, "description": format!("发现问题：{k}"), "deadline": checked_on + Duration::days(30)}))
            .collect();
        let path = format!("/api/v1/websites/{}/checks", site["id"].as_str().unwrap());
        let check =
            created(self.post(&self.office, &path, json!({"checked_on": checked_on, "findings": findings})).await)
                .await;
        (site, check)
    }
}

fn today() -> NaiveDate {
    api::routes::documents::shanghai_today(chrono::Utc::now())
}

async fn ok(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

#[actix_web::test]
async fn a_website_check_opens_rectifications_sets_the_standing_and_records_stale_content() {
    let c = County::new().await;
    let cr = &c;
    let register = |token: &str, body: Value| {
        let token = token.to_owned();
        async move { cr.post(&token, "/api/v1/websites", body).await }
    };
    let site = json!({"organization_id": c.civil_affairs, "name": "元谋县民政局网站", "url": "ftp://mz.ynym.gov.cn"});
    let bad_url = expect_problem(register(&c.office, site.clone()).await, 422, "validation_failed").await;
    assert_eq!(bad_url["errors"]["url"][0]["code"], "not_http_url");
    let mut good = site.clone();
    good["url"] = json!("https://mz.ynym.gov.cn");
    expect_problem(register(&c.officer, good.clone()).await, 403, "forbidden").await;
    let mut elsewhere = good.clone();
    elsewhere["organization_id"] = json!(c.other_department);
    let refused = expect_problem(register(&c.office, elsewhere).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"]["organization_id"][0]["code"], "not_found");
    let site = created(register(&c.office, good).await).await;
    assert_eq!(site["status"], "compliant");
    let id = site["id"].as_str().unwrap();
    let path = format!("/api/v1/websites/{id}");
    ok(c.get(Some(&c.officer), &path).await).await;
    expect_problem(c.get(Some(&c.finance_officer), &path).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.other_office), &path).await, 404, "not_found").await;

    // A finding whose deadline is not after the check refuses the whole check.
    let checks = format!("{path}/checks");
    let checked_on = today() - Duration::days(2);
    let finding = |kind: &str, deadline: NaiveDate| json!({"kind": kind, "description": "首页“政务公开”栏目三个月未更新", "deadline": deadline});
    let early = json!({"checked_on": checked_on, "findings": [finding("stale_content", checked_on + Duration::days(20)), finding("broken_links", checked_on)]});
    let problem = expect_problem(c.post(&c.office, &checks, early).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["findings[1].deadline"][0]["code"], "not_after_check_date");
    for (day, code) in [("1999-12-31", "before_2000"), ("+200000-01-01", "date_in_future")] {
        let odd = json!({"checked_on": day, "findings": []});
        let problem = expect_problem(c.post(&c.office, &checks, odd).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"]["checked_on"][0]["code"], code);
    }
    let by_officer = json!({"checked_on": checked_on, "findings": []});
    expect_problem(c.post(&c.officer, &checks, by_officer).await, 403, "forbidden").await;
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM website_checks").await, 0);
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM rectifications").await, 0);

    let body = json!({"checked_on": checked_on, "notes": "季度监测", "findings": [
        finding("stale_content", checked_on + Duration::days(20)),
        finding("broken_links", checked_on + Duration::days(30)),
    ]});
    let check = created(c.post(&c.office, &checks, body).await).await;
    assert_eq!(check["status_after"], "non_compliant");
    assert_eq!(ok(c.get(Some(&c.office), &path).await).await["status"], "non_compliant");
    let findings = check["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    for f in findings {
        let rectification = ok(c
            .get(Some(&c.officer), &format!("/api/v1/rectifications/{}", f["rectification_id"].as_str().unwrap()))
            .await)
        .await;
        assert_eq!(rectification["organization_id"], json!(c.civil_affairs));
        assert_eq!(rectification["source"], "website_check");
        assert_eq!(rectification["source_id"], check["id"]);
        assert_eq!(rectification["status"], "open");
        assert_eq!(rectification["deadline"], f["deadline"]);
    }
    let stale = format!(
        "SELECT count(*) AS n FROM breaches WHERE kind = 'website_not_updated' AND organization_id = '{}'",
        c.civil_affairs
    );
    assert_eq!(c.app.scalar(&stale).await, 1, "stale content only");

    // A clean check makes the site compliant again; the list shows both, newest first.
    created(c.post(&c.office, &checks, json!({"checked_on": today(), "findings": []})).await).await;
    assert_eq!(ok(c.get(Some(&c.office), &path).await).await["status"], "compliant");
    let listed = ok(c.get(Some(&c.officer), &checks).await).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[1]["findings"][0]["kind"], "stale_content");
    assert_eq!(listed[1]["findings"][1]["rectification_id"], findings[1]["rectification_id"]);

    // Closing needs a reason; a closed site takes no more checks.
    let put = |body: Value| c.app.http.put(c.app.url(&path)).bearer_auth(&c.office).json(&body).send();
    let closing = json!({"name": "元谋县民政局网站", "url": "https://mz.ynym.gov.cn", "status": "closed"});
    let problem = expect_problem(put(closing.clone()).await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["errors"]["closure_reason"][0]["code"], "required");
    let mut with_reason = closing;
    with_reason["closure_reason"] = json!("迁移至县政府网站集约化平台");
    let closed = ok(put(with_reason).await.unwrap()).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_on"], json!(today()));
    let refused = c.post(&c.office, &checks, json!({"checked_on": today(), "findings": []})).await;
    expect_problem(refused, 409, "website_closed").await;
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM website_checks").await, 2);
}

#[actix_web::test]
async fn a_rectification_is_submitted_then_verified_or_reopened_by_the_right_people_only() {
    let c = County::new().await;
    let (_, check) = c.checked_site(&["security"]).await;
    let id = check["findings"][0]["rectification_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/rectifications/{id}");
    let status = || async { ok(c.get(Some(&c.office), &path).await).await["status"].clone() };
    let evidence = json!({"evidence": "已升级内容管理系统并修补漏洞，附扫描报告"});

    expect_problem(c.post(&c.office, &format!("{path}/verify"), json!({})).await, 409, "rectification_state_conflict")
        .await;
    assert_eq!(status().await, "open");
    expect_problem(c.post(&c.finance_officer, &format!("{path}/submit"), evidence.clone()).await, 404, "not_found")
        .await;
    expect_problem(c.post(&c.drafter, &format!("{path}/submit"), evidence.clone()).await, 403, "forbidden").await;
    expect_problem(c.post(&c.other_office, &format!("{path}/verify"), json!({})).await, 404, "not_found").await;
    expect_problem(
        c.post(&c.officer, &format!("{path}/submit"), json!({"evidence": "  "})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(status().await, "open");

    let submitted = ok(c.post_if_match(&c.officer, &format!("{path}/submit"), 1, evidence.clone()).await).await;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["late"], false);
    assert_eq!(submitted["submitted_on"], json!(today()));
    assert!(submitted["owner_user_id"].is_string());
    expect_problem(
        c.post(&c.officer, &format!("{path}/submit"), evidence.clone()).await,
        409,
        "rectification_state_conflict",
    )
    .await;
    expect_problem(c.post(&c.officer, &format!("{path}/verify"), json!({})).await, 403, "forbidden").await;
    assert_eq!(status().await, "submitted");

    let reopen = |deadline: NaiveDate| json!({"reason": "未附整改前后截图", "deadline": deadline});
    let problem =
        expect_problem(c.post(&c.office, &format!("{path}/reopen"), reopen(today())).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["deadline"][0]["code"], "not_after_check_date");
    let new_deadline = today() + Duration::days(15);
    let stale = c.post_if_match(&c.office, &format!("{path}/reopen"), 1, reopen(new_deadline)).await;
    expect_problem(stale, 412, "stale_version").await;
    assert_eq!(status().await, "submitted");
    let reopened = ok(c.post_if_match(&c.office, &format!("{path}/reopen"), 2, reopen(new_deadline)).await).await;
    assert_eq!(reopened["status"], "reopened");
    assert_eq!(reopened["deadline"], json!(new_deadline));
    assert_eq!(reopened["reopen_reason"], "未附整改前后截图");
    expect_problem(c.post(&c.office, &format!("{path}/verify"), json!({})).await, 409, "rectification_state_conflict")
        .await;
    assert_eq!(status().await, "reopened");

    ok(c.post(&c.officer, &format!("{path}/submit"), evidence).await).await;
    let verified = ok(c.post(&c.office, &format!("{path}/verify"), json!({})).await).await;
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["verified_on"], json!(today()));
    expect_problem(
        c.post(&c.office, &format!("{path}/reopen"), reopen(new_deadline)).await,
        409,
        "rectification_state_conflict",
    )
    .await;
    assert_eq!(status().await, "verified");

    let history = ok(c.get(Some(&c.officer), &format!("{path}/history")).await).await;
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "rectification.open",
            "rectification.submit",
            "rectification.reopen",
            "rectification.submit",
            "rectification.verify"
        ]
    );
    expect_problem(c.get(Some(&c.finance_officer), &format!("{path}/history")).await, 404, "not_found").await;
}

#[actix_web::test]
async fn overdue_rectifications_are_listed_and_recorded_as_breaches_once() {
    let c = County::new().await;
    let (_, check) = c.checked_site(&["broken_links", "accessibility"]).await;
    let late_id = check["findings"][0]["rectification_id"].as_str().unwrap().to_owned();
    let other_id = check["findings"][1]["rectification_id"].as_str().unwrap().to_owned();
    c.app
        .execute_batch(&format!(
            "UPDATE rectifications SET opened_on = DATE '2026-01-01', deadline = DATE '2026-01-05' WHERE id = '{late_id}'"
        ))
        .await;

    for token in [&c.office, &c.officer] {
        let overdue = ok(c.get(Some(token), "/api/v1/rectifications?overdue=true").await).await;
        let items = overdue["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{overdue}");
        assert_eq!(items[0]["id"], json!(late_id));
        assert_eq!(items[0]["overdue"], true);
    }
    let all =
        ok(c.get(Some(&c.office), &format!("/api/v1/rectifications?organization_id={}", c.civil_affairs)).await).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let open = ok(c.get(Some(&c.office), "/api/v1/rectifications?status=open&limit=1").await).await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    assert!(open["next_cursor"].is_string(), "keyset pages");
    let elsewhere = ok(c.get(Some(&c.other_office), "/api/v1/rectifications").await).await;
    assert!(elsewhere["items"].as_array().unwrap().is_empty(), "another county sees none");
    let finance = ok(c.get(Some(&c.finance_officer), "/api/v1/rectifications").await).await;
    assert!(finance["items"].as_array().unwrap().is_empty(), "another organization sees none");

    let mut conn = persistence::connection(&c.app.pool).await.unwrap();
    assert_eq!(persistence::rectifications::record_overdue(&mut conn, today()).await.unwrap(), 1);
    assert_eq!(persistence::rectifications::record_overdue(&mut conn, today()).await.unwrap(), 0, "once");
    let breach = format!(
        "SELECT count(*) AS n FROM breaches WHERE kind = 'rectification_overdue' AND entity_id = '{late_id}' \
         AND organization_id = '{}' AND due_on = DATE '2026-01-05'",
        c.civil_affairs
    );
    assert_eq!(c.app.scalar(&breach).await, 1);

    // Reported late: no longer overdue, but late.
    let path = format!("/api/v1/rectifications/{late_id}/submit");
    let submitted = ok(c.post(&c.officer, &path, json!({"evidence": "已修复全部断链"})).await).await;
    assert_eq!((submitted["overdue"].clone(), submitted["late"].clone()), (json!(false), json!(true)));
    let overdue = ok(c.get(Some(&c.office), "/api/v1/rectifications?overdue=true").await).await;
    assert!(overdue["items"].as_array().unwrap().is_empty());

    // A later day makes the other one overdue too: one more breach, the first one not repeated.
    let later = today() + Duration::days(60);
    assert_eq!(persistence::rectifications::record_overdue(&mut conn, later).await.unwrap(), 1);
    let all_breaches = "SELECT count(*) AS n FROM breaches WHERE kind = 'rectification_overdue'";
    assert_eq!(c.app.scalar(all_breaches).await, 2);
    let other = format!("SELECT count(*) AS n FROM breaches WHERE entity_id = '{other_id}'");
    assert_eq!(c.app.scalar(&other).await, 1);
}

#[actix_web::test]
async fn a_spot_check_samples_issued_documents_of_its_organization_and_opens_rectifications() {
    let c = County::new().await;
    let mut issued = Vec::new();
    for (status, disclosure) in [
        ("published", "proactive"),
        ("published", "public_release"),
        ("published", "proactive"),
        ("filed", "on_request"),
        ("filed", "not_public"),
    ] {
        issued.push(c.document(c.civil_affairs, status, disclosure).await);
    }
    let draft = c.document(c.civil_affairs, "draft", "proactive").await;
    let approved = c.document(c.civil_affairs, "approved", "proactive").await;
    let finance_doc = c.document(c.finance, "published", "proactive").await;

    let cr = &c;
    let create = |token: &str, org: Uuid, n: i64| {
        let token = token.to_owned();
        async move { cr.post(&token, "/api/v1/spot-checks", json!({"organization_id": org, "sample_size": n})).await }
    };
    for n in [0, 51] {
        let problem = expect_problem(create(&c.office, c.civil_affairs, n).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"]["sample_size"][0]["code"], "range");
    }
    let problem = expect_problem(create(&c.office, c.civil_affairs, 6).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["sample_size"][0]["code"], "more_than_issued");
    expect_problem(create(&c.office, c.township, 1).await, 422, "no_issued_documents").await;
    expect_problem(create(&c.officer, c.civil_affairs, 2).await, 403, "forbidden").await;
    let problem = expect_problem(create(&c.other_office, c.civil_affairs, 2).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["organization_id"][0]["code"], "not_found");
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM spot_checks").await, 0);

    let check = created(create(&c.office, c.civil_affairs, 4).await).await;
    let sample: Vec<Uuid> = check["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["document_id"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut distinct = sample.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "four distinct documents");
    assert!(sample.iter().all(|d| issued.contains(d)), "issued documents of the organization only: {sample:?}");
    assert!(!sample.contains(&draft) && !sample.contains(&approved) && !sample.contains(&finance_doc));
    let id = check["id"].as_str().unwrap();
    let path = format!("/api/v1/spot-checks/{id}");
    let again = ok(c.get(Some(&c.officer), &path).await).await;
    assert_eq!(again["sample"], check["sample"], "the sample is fixed");
    expect_problem(c.get(Some(&c.finance_officer), &path).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.other_office), &path).await, 404, "not_found").await;

    let findings = format!("{path}/findings");
    let finding = |doc: Uuid| json!({"document_id": doc, "problem": "不公开理由未写明法律依据", "deadline": today() + Duration::days(20)});
    let outside = *issued.iter().find(|d| !sample.contains(d)).unwrap();
    for doc in [outside, finance_doc] {
        let problem = expect_problem(c.post(&c.office, &findings, finding(doc)).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"]["document_id"][0]["code"], "not_in_sample");
    }
    expect_problem(c.post(&c.officer, &findings, finding(sample[0])).await, 403, "forbidden").await;
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM rectifications").await, 0);

    let recorded = created(c.post(&c.office, &findings, finding(sample[0])).await).await;
    let rectification_id = recorded["findings"][0]["rectification_id"].as_str().unwrap();
    let rectification = ok(c.get(Some(&c.officer), &format!("/api/v1/rectifications/{rectification_id}")).await).await;
    assert_eq!(rectification["organization_id"], json!(c.civil_affairs));
    assert_eq!(rectification["source"], "spot_check");
    assert_eq!(rectification["source_id"], json!(id));
    created(c.post(&c.office, &findings, finding(sample[1])).await).await;
    let opened = format!(
        "SELECT count(*) AS n FROM rectifications WHERE source = 'spot_check' AND organization_id = '{}'",
        c.civil_affairs
    );
    assert_eq!(c.app.scalar(&opened).await, 2);

    expect_problem(c.post(&c.officer, &format!("{path}/complete"), json!({})).await, 403, "forbidden").await;
    let completed = ok(c.post(&c.office, &format!("{path}/complete"), json!({})).await).await;
    assert_eq!(completed["status"], "completed");
    expect_problem(c.post(&c.office, &findings, finding(sample[2])).await, 409, "spot_check_completed").await;
    expect_problem(c.post(&c.office, &format!("{path}/complete"), json!({})).await, 409, "spot_check_completed").await;
    assert_eq!(c.app.scalar(&opened).await, 2);
    let listed = ok(c.get(Some(&c.officer), "/api/v1/spot-checks").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn reading_venues_hold_placed_documents_and_show_the_public_only_public_ones() {
    let c = County::new().await;
    let venue = json!({"name": "元谋县图书馆政府信息公开查阅点", "kind": "library", "address": "元马镇龙川街",
        "opening_hours": "周二至周日 9:00—17:30"});
    expect_problem(c.post(&c.officer, "/api/v1/reading-venues", venue.clone()).await, 403, "forbidden").await;
    let mut bad_kind = venue.clone();
    bad_kind["kind"] = json!("museum");
    assert_eq!(c.post(&c.office, "/api/v1/reading-venues", bad_kind).await.status(), 400);
    let created_venue = created(c.post(&c.office, "/api/v1/reading-venues", venue).await).await;
    let id = created_venue["id"].as_str().unwrap();
    let placements = format!("/api/v1/reading-venues/{id}/placements");

    let public_doc = c.document(c.civil_affairs, "published", "proactive").await;
    let filed_doc = c.document(c.civil_affairs, "filed", "on_request").await;
    let withdrawn_doc = c.document(c.finance, "published", "public_release").await;
    let (cr, at) = (&c, &placements);
    let place = |token: &str, doc: Uuid, on: NaiveDate| {
        let token = token.to_owned();
        async move { cr.post(&token, at, json!({"document_id": doc, "placed_on": on})).await }
    };

    created(place(&c.office, public_doc, today()).await).await;
    expect_problem(place(&c.office, public_doc, today()).await, 409, "placement_exists").await;
    for doc in [filed_doc, Uuid::now_v7()] {
        let problem = expect_problem(place(&c.office, doc, today()).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"]["document_id"][0]["code"], "not_public");
    }
    let problem =
        expect_problem(place(&c.office, withdrawn_doc, today() + Duration::days(1)).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["placed_on"][0]["code"], "date_in_future");
    let early =
        expect_problem(place(&c.office, withdrawn_doc, today() - Duration::days(40)).await, 422, "validation_failed")
            .await;
    assert_eq!(early["errors"]["placed_on"][0]["code"], "before_publication");
    created(place(&c.office, withdrawn_doc, today() - Duration::days(3)).await).await;
    expect_problem(place(&c.officer, filed_doc, today()).await, 403, "forbidden").await;
    expect_problem(place(&c.other_office, public_doc, today()).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.other_office), &format!("/api/v1/reading-venues/{id}")).await, 404, "not_found").await;

    // The finance document stops being public (converted to not_public and filed).
    c.app
        .execute_batch(&format!(
            "UPDATE documents SET status = 'filed', disclosure = 'not_public', published_at = NULL WHERE id = '{withdrawn_doc}'"
        ))
        .await;
    let staff = ok(c.get(Some(&c.officer), &placements).await).await;
    assert_eq!(staff.as_array().unwrap().len(), 1, "other staff no longer see the withdrawn document");
    assert_eq!(staff[0]["document_id"], json!(public_doc));
    let office = ok(c.get(Some(&c.office), &placements).await).await;
    assert_eq!(office.as_array().unwrap().len(), 2, "the government office sees every placement");

    let public_list = ok(c.get(None, "/api/v1/public/reading-venues").await).await;
    let public_one = ok(c.get(None, &format!("/api/v1/public/reading-venues/{id}")).await).await;
    for shown in [&public_list["items"][0], &public_one] {
        let docs = shown["documents"].as_array().unwrap();
        assert_eq!(docs.len(), 1, "{shown}");
        assert_eq!(docs[0]["document_id"], json!(public_doc));
        assert_eq!(shown["kind"], "library");
    }
    for text in [public_list.to_string(), public_one.to_string()] {
        assert!(!text.contains(&withdrawn_doc.to_string()) && !text.contains(&filed_doc.to_string()));
    }
    expect_problem(c.get(None, &format!("/api/v1/public/reading-venues/{}", Uuid::now_v7())).await, 404, "not_found")
        .await;
}
