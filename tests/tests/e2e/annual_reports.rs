//! The statutory annual report over HTTP (DOMAIN.md §9): a year of disclosure requests driven
//! through their real lifecycle on a manual clock, counted into table 三 and checked cell by cell
//! against counts made here; the XLSX read back; review, publication and immutability; the public
//! reads; deadlines and late reports.

use std::collections::BTreeMap;

use api::clock::Clock;
use chrono::{DateTime, NaiveDate, Utc};
use e2e::{expect_problem, resident_id, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

const COMPANY_CODE: &str = "91350100M000100Y43";
const TYPES: [&str; 6] =
    ["natural_person", "commercial", "research", "public_welfare", "legal_services", "other_legal_person"];
/// Table 三's outcome rows, in the format's order.
const OUTCOMES: [&str; 21] = [
    "granted",
    "partial",
    "denied_state_secret",
    "denied_law_forbidden",
    "denied_safety_stability",
    "denied_third_party",
    "denied_internal_affairs",
    "denied_process_info",
    "denied_enforcement_file",
    "denied_admin_query",
    "unable_not_held",
    "unable_needs_creation",
    "unable_still_unclear",
    "not_processed_petition",
    "not_processed_duplicate",
    "not_processed_publication",
    "not_processed_excessive",
    "not_processed_reconfirmation",
    "other_no_correction",
    "other_fee_unpaid",
    "other",
];

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// 10:00 in Yuanmou on that day.
fn morning(day: &str) -> DateTime<Utc> {
    at(&format!("{day}T02:00:00Z"))
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// One request of the year as the test planned it: what is counted is derived from this alone.
#[derive(Debug, Clone)]
struct Case {
    applicant: &'static str,
    received: NaiveDate,
    /// The outcome and the day it was reached, if ever.
    concluded: Option<(&'static str, NaiveDate)>,
    id: String,
}

struct World {
    app: TestApp,
    clock: Clock,
    org: Uuid,
    officer: String,
    head: String,
    principal: String,
    drafter: String,
    gov_office: String,
    stranger: String,
    serial: u32,
}

impl World {
    async fn new() -> World {
        let clock = Clock::manual(morning("2025-12-01"));
        let app = TestApp::spawn_with_clock(clock.clone()).await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let org = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_office =
            app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
        app.create_user(&admin, "mz.officer", Some(org), &["openness_officer"]).await;
        app.create_user(&admin, "mz.head", Some(org), &["openness_head"]).await;
        app.create_user(&admin, "mz.principal", Some(org), &["principal"]).await;
        app.create_user(&admin, "mz.drafter", Some(org), &["drafter"]).await;
        app.create_user(&admin, "zfb.office", Some(office), &["gov_office"]).await;
        app.create_user(&admin, "wd.office", Some(other_office), &["gov_office", "openness_officer"]).await;
        World {
            officer: app.token_of("mz.officer").await,
            head: app.token_of("mz.head").await,
            principal: app.token_of("mz.principal").await,
            drafter: app.token_of("mz.drafter").await,
            gov_office: app.token_of("zfb.office").await,
            stranger: app.token_of("wd.office").await,
            app,
            clock,
            org,
            serial: 300,
        }
    }

    fn today(&self) -> NaiveDate {
        self.clock.now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive()
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn post_ok(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.post(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn act(&self, id: &str, action: &str, body: Value) -> Value {
        self.post_ok(&self.officer, &format!("/api/v1/disclosure-requests/{id}/{action}"), body).await
    }

    /// Registers an in-person request that arrived today; answers its id.
    async fn register(&mut self, applicant: &'static str) -> String {
        self.serial += 1;
        let mut request = json!({
            "organization_id": self.org,
            "applicant_type": applicant,
            "description": "元谋县城乡居民最低生活保障资金发放情况",
            "information_form": "electronic",
            "delivery_method": "online",
            "phone": "13812345678",
        });
        if applicant == "natural_person" {
            request["name"] = json!(format!("申请人{}", self.serial));
            request["identity_document_type"] = json!("resident_identity_card");
            request["identity_number"] = json!(resident_id(self.serial));
        } else {
            request["name"] = json!(format!("元谋县某某机构{}", self.serial));
            request["identity_document_type"] = json!("unified_social_credit_code");
            request["identity_number"] = json!(COMPANY_CODE);
        }
        let body = json!({"request": request, "arrival": {"channel": "in_person", "arrived_on": self.today()}});
        let registered = self.post_ok(&self.officer, "/api/v1/disclosure-requests", body).await;
        registered["id"].as_str().unwrap().to_owned()
    }

    /// A 行政规范性文件 of the bureau, issued (印发) without publication after the real lifecycle.
    async fn issue_normative(&self, number: u32) -> String {
        let draft = json!({
            "doc_number": format!("元民规〔2026〕{number}号"),
            "title": format!("元谋县民政局关于规范临时救助工作的通知（{number}）"),
            "body": "各乡（镇）人民政府：为规范临时救助审批，现就有关事项通知如下……",
            "issuing_org_id": self.org,
            "issuing_authority": "department",
            "is_policy": false,
            "category": "management",
            "doc_kind": "normative",
            "disclosure": "on_request",
            "disclosure_reason": "涉及个案办理流程，依申请公开",
            "legal_basis": "《中华人民共和国政府信息公开条例》第二十七条",
        });
        let created = self.post_ok(&self.drafter, "/api/v1/documents", draft).await;
        let id = created["id"].as_str().unwrap().to_owned();
        self.post_ok(&self.officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true})).await;
        let submitted = self.post_ok(&self.drafter, &format!("/api/v1/documents/{id}/submit"), json!({})).await;
        assert_eq!(submitted["outcome"], "submitted", "{submitted}");
        self.post_ok(&self.principal, &format!("/api/v1/documents/{id}/approve"), json!({})).await;
        let filed = self.post_ok(&self.officer, &format!("/api/v1/documents/{id}/file"), json!({})).await;
        assert_eq!(filed["status"], "filed");
        id
    }

    /// Takes the request to `outcome` today through the acts the outcome needs.
    async fn conclude(&self, id: &str, outcome: &str) {
        match outcome {
            "unable_still_unclear" => {
                let deadline = self.today() + chrono::Duration::days(10);
                self.act(id, "request-correction", json!({"items": ["请说明所需信息的年份"], "deadline": deadline}))
                    .await;
                self.act(id, "record-correction", json!({})).await;
                self.act(id, "accept", json!({})).await;
            }
            "other_no_correction" | "other_fee_unpaid" => {
                let closed = self.act(id, "close", json!({"outcome": outcome, "reason": "申请人逾期未办理"})).await;
                assert_eq!(closed["state"], "closed");
                return;
            }
            _ => {
                self.act(id, "accept", json!({})).await;
            }
        }
        let reply = json!({"outcome": outcome, "legal_basis": "《中华人民共和国政府信息公开条例》第三十六条"});
        let replied = self.act(id, "reply", reply).await;
        assert_eq!(replied["state"], "replied", "{outcome}");
    }
}

/// The counts of table 三 made from the plan alone: new in 2026; carried over from 2025 unless
/// concluded in 2025; under the outcome if concluded in 2026; carried forward if open at its end.
fn expected_table(cases: &[Case]) -> BTreeMap<String, [i64; 7]> {
    let first = day("2026-01-01");
    let last = day("2026-12-31");
    let mut table: BTreeMap<String, [i64; 7]> = BTreeMap::new();
    let mut add = |key: &str, applicant: &str| {
        let column = TYPES.iter().position(|t| *t == applicant).unwrap();
        let row = table.entry(key.to_owned()).or_insert([0; 7]);
        row[column] += 1;
        row[6] += 1;
    };
    for case in cases.iter().filter(|c| c.received <= last) {
        let concluded_on = case.concluded.map(|(_, d)| d);
        if case.received >= first {
            add("new_received", case.applicant);
        } else if concluded_on.is_none_or(|d| d >= first) {
            add("carried_over", case.applicant);
        }
        match case.concluded {
            Some((outcome, d)) if d >= first && d <= last => {
                add(outcome, case.applicant);
                add("total", case.applicant);
            }
            Some((_, d)) if d < first => {}
            _ => add("carried_forward", case.applicant),
        }
    }
    table
}

#[actix_web::test]
async fn a_year_of_requests_is_counted_into_table_three_cell_by_cell_and_published_as_json_xlsx_and_html() {
    let mut world = World::new().await;
    let mut cases: Vec<Case> = Vec::new();

    // 2025: two requests answered within the year (not in 2026's table), four left open.
    for (applicant, outcome) in [("natural_person", "granted"), ("legal_services", "partial")] {
        let id = world.register(applicant).await;
        world.conclude(&id, outcome).await;
        cases.push(Case { applicant, received: world.today(), concluded: Some((outcome, world.today())), id });
    }
    let mut carried_over = Vec::new();
    for applicant in ["natural_person", "commercial", "research", "natural_person"] {
        let id = world.register(applicant).await;
        carried_over.push(cases.len());
        cases.push(Case { applicant, received: world.today(), concluded: None, id });
    }

    // 2026: three of last year's are answered; every outcome of table 三 at least once, under
    // every applicant type; one fee is paid.
    world.clock.set(morning("2026-01-05"));
    for (index, outcome) in carried_over[..3].iter().zip(["granted", "denied_third_party", "not_processed_duplicate"]) {
        let id = cases[*index].id.clone();
        world.conclude(&id, outcome).await;
        cases[*index].concluded = Some((outcome, world.today()));
    }
    let mut lapsing = Vec::new();
    for (n, outcome) in OUTCOMES.iter().enumerate() {
        let applicant = TYPES[n % TYPES.len()];
        let id = world.register(applicant).await;
        match *outcome {
            "other_no_correction" => {
                let deadline = world.today() + chrono::Duration::days(10);
                world.act(&id, "request-correction", json!({"items": ["请补充身份证明"], "deadline": deadline})).await;
                lapsing.push((cases.len(), *outcome));
            }
            "other_fee_unpaid" => {
                world.act(&id, "accept", json!({})).await;
                world.act(&id, "fee-notice", json!({"method": "per_page", "pages": 35})).await;
                lapsing.push((cases.len(), *outcome));
            }
            _ => world.conclude(&id, outcome).await,
        }
        let concluded = (!outcome.starts_with("other_")).then(|| (*outcome, world.today()));
        cases.push(Case { applicant, received: world.today(), concluded, id });
    }
    for (n, applicant) in TYPES.iter().enumerate() {
        let outcome = ["granted", "partial", "denied_process_info", "unable_not_held", "other", "granted"][n];
        let id = world.register(applicant).await;
        if n == 0 {
            // 35 pages: 5 over the free 30, at 10 yuan each.
            world.act(&id, "accept", json!({})).await;
            world.act(&id, "fee-notice", json!({"method": "per_page", "pages": 35})).await;
            world.act(&id, "record-payment", json!({})).await;
            world.act(&id, "reply", json!({"outcome": outcome})).await;
        } else {
            world.conclude(&id, outcome).await;
        }
        cases.push(Case { applicant, received: world.today(), concluded: Some((outcome, world.today())), id });
    }
    // March: the correction and the payment periods have run out.
    world.clock.set(morning("2026-03-16"));
    for (index, outcome) in lapsing {
        let id = cases[index].id.clone();
        world.conclude(&id, outcome).await;
        cases[index].concluded = Some((outcome, world.today()));
    }
    // Two 行政规范性文件 issued in 2026, one of them repealed within the year.
    world.issue_normative(1).await;
    let repealed = world.issue_normative(2).await;
    let repeal = json!({"validity": "repealed", "on": world.today(), "reason": "已被新文件替代"});
    world.post_ok(&world.officer, &format!("/api/v1/documents/{repealed}/repeal"), repeal).await;
    // Late December: three arrive, one is accepted, one waits for a correction; none is answered in 2026.
    world.clock.set(morning("2026-12-28"));
    let mut december = Vec::new();
    for (n, applicant) in
        ["public_welfare", "other_legal_person", "natural_person", "legal_services"].iter().enumerate()
    {
        let id = world.register(applicant).await;
        match n {
            1 => {
                world.act(&id, "accept", json!({})).await;
            }
            3 => {
                let deadline = world.today() + chrono::Duration::days(10);
                world
                    .act(&id, "request-correction", json!({"items": ["请说明所需信息的年份"], "deadline": deadline}))
                    .await;
            }
            _ => {}
        }
        december.push(cases.len());
        cases.push(Case { applicant, received: world.today(), concluded: None, id });
    }

    // 2027: one of December's and the last of 2025's are answered; a new one arrives.
    world.clock.set(morning("2027-01-05"));
    let accepted = cases[december[1]].id.clone();
    world.act(&accepted, "reply", json!({"outcome": "granted"})).await;
    cases[december[1]].concluded = Some(("granted", world.today()));
    let oldest = cases[carried_over[3]].id.clone();
    world.conclude(&oldest, "granted").await;
    cases[carried_over[3]].concluded = Some(("granted", world.today()));
    let id = world.register("commercial").await;
    cases.push(Case { applicant: "commercial", received: world.today(), concluded: None, id });

    // A reconsideration upheld and a lawsuit still pending, both brought in 2026.
    world.clock.set(morning("2027-01-06"));
    let reconsideration = world
        .post_ok(
            &world.officer,
            "/api/v1/legal-challenges",
            json!({"organization_id": world.org, "kind": "reconsideration", "case_number": "元复决字〔2026〕3号", "filed_on": "2026-04-01"}),
        )
        .await;
    let rid = reconsideration["id"].as_str().unwrap();
    world
        .post_ok(
            &world.officer,
            &format!("/api/v1/legal-challenges/{rid}/conclude"),
            json!({"result": "upheld", "concluded_on": "2026-06-01"}),
        )
        .await;
    world
        .post_ok(
            &world.officer,
            "/api/v1/legal-challenges",
            json!({"organization_id": world.org, "kind": "litigation_direct", "case_number": "（2026）云2328行初5号", "filed_on": "2026-09-10"}),
        )
        .await;
    // The county's own record as the co-defendant reconsideration body is kept but not counted.
    let as_body = json!({"organization_id": world.org, "kind": "litigation_after_reconsideration", "role": "reconsideration_body",
        "case_number": "（2026）云2328行初9号", "filed_on": "2026-10-10"});
    let kept = world.post_ok(&world.officer, "/api/v1/legal-challenges", as_body).await;
    assert_eq!(kept["role"], "reconsideration_body");
    let wrong_role = json!({"organization_id": world.org, "kind": "reconsideration", "role": "reconsideration_body",
        "case_number": "元复决字〔2026〕4号", "filed_on": "2026-10-10"});
    let problem = expect_problem(
        world.post(&world.officer, "/api/v1/legal-challenges", wrong_role).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]["role"].is_array(), "{problem}");
    let ancient =
        json!({"organization_id": world.org, "kind": "reconsideration", "case_number": "x", "filed_on": "1899-12-31"});
    expect_problem(world.post(&world.officer, "/api/v1/legal-challenges", ancient).await, 422, "validation_failed")
        .await;
    let twice = world
        .post(
            &world.officer,
            "/api/v1/legal-challenges",
            json!({"organization_id": world.org, "kind": "litigation_direct", "case_number": "（2026）云2328行初5号", "filed_on": "2026-09-10"}),
        )
        .await;
    expect_problem(twice, 409, "challenge_exists").await;

    // The draft, counted from the data.
    let not_ended =
        world.post(&world.officer, "/api/v1/annual-reports", json!({"organization_id": world.org, "year": 2027})).await;
    expect_problem(not_ended, 422, "validation_failed").await;
    let by_stranger = world
        .post(&world.stranger, "/api/v1/annual-reports", json!({"organization_id": world.org, "year": 2026}))
        .await;
    expect_problem(by_stranger, 422, "validation_failed").await;
    let created =
        world.post(&world.officer, "/api/v1/annual-reports", json!({"organization_id": world.org, "year": 2026})).await;
    assert_eq!(created.status(), 201);
    let report: Value = created.json().await.unwrap();
    let report_id = report["id"].as_str().unwrap().to_owned();
    assert_eq!(report["status"], "draft");
    assert_eq!(report["scope"], "organization");
    assert_eq!(report["due_on"], "2027-01-31");
    assert_eq!(report["title"], "元谋县民政局2026年政府信息公开工作年度报告");

    let expected = expected_table(&cases);
    let rows = report["section_3"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    let mut keys = vec!["new_received", "carried_over"];
    keys.extend(OUTCOMES);
    keys.extend(["total", "carried_forward"]);
    for (row, key) in rows.iter().zip(&keys) {
        assert_eq!(row["key"], *key);
        let got: Vec<i64> = row["values"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let want = expected.get(*key).copied().unwrap_or([0; 7]);
        assert_eq!(got, want.to_vec(), "row {key}");
    }
    // The same rows written out by hand from the plan, so that a rule shared by the server and
    // `expected_table` cannot hide a mistake in both.
    let literal = |key: &str| rows.iter().find(|r| r["key"] == key).unwrap()["values"].clone();
    assert_eq!(literal("new_received"), json!([6, 5, 5, 5, 5, 5, 31]));
    assert_eq!(literal("carried_over"), json!([2, 1, 1, 0, 0, 0, 4]));
    assert_eq!(literal("granted"), json!([3, 0, 0, 0, 0, 1, 4]));
    assert_eq!(literal("not_processed_duplicate"), json!([0, 0, 2, 0, 0, 0, 2]));
    assert_eq!(literal("total"), json!([6, 6, 6, 4, 4, 4, 30]));
    assert_eq!(literal("carried_forward"), json!([2, 0, 0, 1, 1, 1, 5]));
    // The plan's shape: every outcome and every applicant type occurs; both carries are non-zero.
    for key in OUTCOMES {
        assert!(expected.get(key).is_some_and(|r| r[6] > 0), "{key} occurs");
    }
    for column in 0..6 {
        assert!(expected["new_received"][column] > 0, "{} files in 2026", TYPES[column]);
    }
    assert_eq!(expected["carried_over"][6], 4);
    assert_eq!(expected["carried_forward"][6], 5);
    // Rows and columns add up: each row's total is the sum of its columns; per column 新收 + 上年结转
    // = 总计 + 结转下年度, and 总计 is the sum of the outcome rows.
    let cell = |key: &str, c: usize| expected.get(key).map_or(0, |r| r[c]);
    for (key, values) in &expected {
        assert_eq!(values[..6].iter().sum::<i64>(), values[6], "row {key}");
    }
    for c in 0..7 {
        assert_eq!(cell("new_received", c) + cell("carried_over", c), cell("total", c) + cell("carried_forward", c));
        assert_eq!(OUTCOMES.iter().map(|o| cell(o, c)).sum::<i64>(), cell("total", c));
    }
    assert_eq!(report["section_3"]["reconciled"], true);
    assert_eq!(report["section_3"]["columns"][0], "自然人");
    assert_eq!(rows[14]["label"], "3.补正后申请内容仍不明确");
    assert_eq!(rows[14]["group"], "（四）无法提供");
    // Table 四 from the two cases; section 六's fee from the one payment (5 pages × 10 yuan).
    assert_eq!(
        report["section_4"]["reconsideration"],
        json!({"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1})
    );
    assert_eq!(
        report["section_4"]["litigation_direct"],
        json!({"upheld": 0, "corrected": 0, "other": 0, "pending": 1, "total": 1})
    );
    assert_eq!(report["section_4"]["litigation_after_reconsideration"]["total"], 0);
    assert_eq!(report["section_2"]["normative"], json!({"issued": 2, "repealed": 1, "valid": 1}));
    assert_eq!(report["section_2"]["regulations"], json!({"issued": 0, "repealed": 0, "valid": 0}));
    assert_eq!(report["section_6"]["information_fees_fen"], 5000);
    assert!(report["section_6"]["fee_statement"].as_str().unwrap().contains("50.00元"));

    // Entered numbers and texts; review needs section 一.
    let path = format!("/api/v1/annual-reports/{report_id}");
    let early_review = world.post(&world.head, &format!("{path}/review"), json!({})).await;
    let problem = expect_problem(early_review, 422, "validation_failed").await;
    assert!(problem["errors"]["overview"].is_array(), "{problem}");
    let edits = json!({
        "overview": "2026年，县民政局认真贯彻《中华人民共和国政府信息公开条例》，围绕社会救助、养老服务等重点领域做好主动公开。\n依申请公开办理规范，全年未发生逾期答复。",
        "problems_and_improvements": "政策解读形式较为单一，下一步将增加图解和视频解读。",
        // Longer than one spreadsheet cell holds: the workbook spreads it over rows.
        "other_matters": format!("无其他需要报告的事项。\n附：{}", "政务公开工作台账".repeat(5000)),
        "licensing_decisions": 12,
        "penalty_decisions": 3,
        "enforcement_decisions": 0,
        "administrative_fees_fen": 1234500,
    });
    let response = world
        .app
        .http
        .put(world.app.url(&path))
        .bearer_auth(&world.officer)
        .header("If-Match", "\"99\"")
        .json(&edits)
        .send()
        .await
        .unwrap();
    expect_problem(response, 412, "stale_version").await;
    let etag = format!("\"{}\"", report["version"]);
    let response = world
        .app
        .http
        .put(world.app.url(&path))
        .bearer_auth(&world.officer)
        .header("If-Match", etag)
        .json(&edits)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["section_2"]["licensing"]["decisions"], 12);
    assert_eq!(edited["section_2"]["administrative_fees_wan"], "1.2345");
    // Recounting keeps what was entered.
    let recounted = world
        .post_ok(&world.officer, "/api/v1/annual-reports", json!({"organization_id": world.org, "year": 2026}))
        .await;
    assert_eq!(recounted["id"], report_id);
    assert_eq!(recounted["section_2"]["penalty"]["decisions"], 3);
    assert_eq!(recounted["section_3"], report["section_3"]);

    // The XLSX holds the same numbers, laid out like the official table.
    let xlsx = world
        .app
        .http
        .get(world.app.url(&format!("{path}?format=xlsx")))
        .bearer_auth(&world.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    check_workbook(&bytes, &recounted);

    let html = world
        .app
        .http
        .get(world.app.url(&format!("{path}?format=html")))
        .bearer_auth(&world.officer)
        .send()
        .await
        .unwrap();
    assert!(html.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = html.text().await.unwrap();
    assert!(page.contains("<h1>元谋县民政局2026年政府信息公开工作年度报告</h1>"));
    assert!(page.contains("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"));
    assert!(page.contains("<td>3.补正后申请内容仍不明确</td>"));
    assert!(page.contains("收取信息处理费50.00元"));

    // Review, publication by the principal only, then nothing changes.
    let by_officer = world.post(&world.officer, &format!("{path}/review"), json!({})).await;
    expect_problem(by_officer, 403, "forbidden").await;
    let reviewed = world.post_ok(&world.head, &format!("{path}/review"), json!({})).await;
    assert_eq!(reviewed["status"], "reviewed");
    let edit_reviewed =
        world.app.http.put(world.app.url(&path)).bearer_auth(&world.officer).json(&edits).send().await.unwrap();
    expect_problem(edit_reviewed, 409, "annual_report_not_draft").await;
    let by_head = world.post(&world.head, &format!("{path}/publish"), json!({})).await;
    expect_problem(by_head, 403, "forbidden").await;
    let public_path = format!("/api/v1/public/annual-reports/{report_id}");
    let before = world.app.http.get(world.app.url(&public_path)).send().await.unwrap();
    expect_problem(before, 404, "not_found").await;
    let published = world.post_ok(&world.principal, &format!("{path}/publish"), json!({})).await;
    assert_eq!(published["status"], "published");
    assert_eq!(published["published_on"], "2027-01-06");
    assert_eq!(published["late"], false);
    for (action, token) in [("review", &world.head), ("reopen", &world.head), ("publish", &world.principal)] {
        let again = world.post(token, &format!("{path}/{action}"), json!({})).await;
        expect_problem(again, 409, "annual_report_state_conflict").await;
    }
    let recount =
        world.post(&world.officer, "/api/v1/annual-reports", json!({"organization_id": world.org, "year": 2026})).await;
    expect_problem(recount, 409, "annual_report_not_draft").await;
    let tamper = {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = persistence::connection(&world.app.pool).await.unwrap();
        conn.batch_execute(&format!("UPDATE annual_reports SET overview = 'x' WHERE id = '{report_id}'")).await
    };
    assert!(tamper.is_err(), "the database refuses to change a published report");

    // The public reads it, in every format, and only it.
    let listed: Value = world
        .app
        .http
        .get(world.app.url(&format!("/api/v1/public/annual-reports?org={}&year=2026", world.org)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let public: Value = world.app.http.get(world.app.url(&public_path)).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["section_3"], report["section_3"]);
    let public_xlsx = world.app.http.get(world.app.url(&format!("{public_path}?format=xlsx"))).send().await.unwrap();
    check_workbook(&public_xlsx.bytes().await.unwrap(), &published);
    let for_office = world.app.get_ok(&world.gov_office, &path).await;
    assert_eq!(for_office["status"], "published");
    // Another county's government office sees nothing of it but the public page.
    let hidden = world.app.http.get(world.app.url(&path)).bearer_auth(&world.stranger).send().await.unwrap();
    expect_problem(hidden, 404, "not_found").await;
}

fn number(cell: Option<&calamine::Data>) -> f64 {
    match cell {
        Some(calamine::Data::Float(f)) => *f,
        Some(calamine::Data::Int(i)) => *i as f64,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn text(cell: Option<&calamine::Data>) -> String {
    match cell {
        Some(calamine::Data::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Reads the workbook back and finds every number of tables 二, 三 and 四 where the format puts it.
fn check_workbook(bytes: &[u8], report: &Value) {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("年度报告").unwrap();
    let (height, _) = sheet.get_size();
    let find = |label: &str| -> usize {
        (0..height)
            .find(|&r| (0..3).any(|c| text(sheet.get((r, c))) == label))
            .unwrap_or_else(|| panic!("no row labelled {label}"))
    };
    assert_eq!(text(sheet.get((0, 0))), report["title"].as_str().unwrap());
    for row in report["section_3"]["rows"].as_array().unwrap() {
        let r = find(row["label"].as_str().unwrap());
        for (c, value) in row["values"].as_array().unwrap().iter().enumerate() {
            assert_eq!(number(sheet.get((r, 3 + c))), value.as_f64().unwrap(), "{} column {c}", row["label"]);
        }
    }
    let header = find("三、收到和处理政府信息公开申请情况");
    assert_eq!(text(sheet.get((header + 1, 3))), "申请人情况");
    assert_eq!(text(sheet.get((header + 3, 8))), "其他");
    let section_2 = &report["section_2"];
    for (label, key) in [("规章", "regulations"), ("行政规范性文件", "normative")] {
        let r = find(label);
        for (c, field) in ["issued", "repealed", "valid"].iter().enumerate() {
            assert_eq!(number(sheet.get((r, 3 + c))), section_2[key][field].as_f64().unwrap(), "{label} {field}");
        }
    }
    for (label, key) in [("行政许可", "licensing"), ("行政处罚", "penalty"), ("行政强制", "enforcement")] {
        assert_eq!(number(sheet.get((find(label), 3))), section_2[key]["decisions"].as_f64().unwrap(), "{label}");
    }
    let fees = section_2["administrative_fees_wan"].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(number(sheet.get((find("行政事业性收费"), 3))), fees);
    let challenges = find("行政复议");
    let blocks = ["reconsideration", "litigation_direct", "litigation_after_reconsideration"];
    for (b, block) in blocks.iter().enumerate() {
        for (i, key) in ["upheld", "corrected", "other", "pending", "total"].iter().enumerate() {
            let got = number(sheet.get((challenges + 3, b * 5 + i)));
            assert_eq!(got, report["section_4"][block][key].as_f64().unwrap(), "{block} {key}");
        }
    }
}
