//! The accountability ledger and the annual-report deadlines over HTTP (DOMAIN.md §8, §9, §10):
//! who is late with the report, the `annual_report_late` breaches, a detected breach linked to
//! its source record, manual entries and decisions by the government office, filters and exports.

use api::clock::Clock;
use chrono::{DateTime, Utc};
use e2e::{expect_problem, resident_id, TestApp};
use serde_json::{json, Value};

fn morning(day: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{day}T02:00:00Z")).unwrap().with_timezone(&Utc)
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.http.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = post(app, token, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

fn names_of(items: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        items.as_array().unwrap().iter().map(|i| i["organization_name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[actix_web::test]
async fn late_reports_and_detected_breaches_reach_the_ledger_where_the_office_decides_and_exports() {
    let clock = Clock::manual(morning("2026-12-01"));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
    let civil = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
    app.create_organization(&admin, "元马镇人民政府", "township", Some(county)).await;
    app.create_organization(&admin, "元谋县人民医院", "public_institution", Some(county)).await;
    let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
    let other_office =
        app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
    app.create_user(&admin, "mz.officer", Some(civil), &["openness_officer"]).await;
    app.create_user(&admin, "mz.head", Some(civil), &["openness_head"]).await;
    app.create_user(&admin, "mz.principal", Some(civil), &["principal"]).await;
    app.create_user(&admin, "zfb.office", Some(office), &["gov_office"]).await;
    app.create_user(&admin, "wd.office", Some(other_office), &["gov_office"]).await;
    app.create_user(&admin, "mz.drafter", Some(civil), &["drafter"]).await;
    let officer = app.token_of("mz.officer").await;
    let head = app.token_of("mz.head").await;
    let principal = app.token_of("mz.principal").await;
    let gov_office = app.token_of("zfb.office").await;
    let stranger = app.token_of("wd.office").await;

    // A request registered on 1 December 2026 and never answered.
    let request = json!({
        "organization_id": civil,
        "applicant_type": "natural_person",
        "name": "李四",
        "identity_document_type": "resident_identity_card",
        "identity_number": resident_id(901),
        "phone": "13812345678",
        "description": "2026年元谋县临时救助资金发放情况",
        "information_form": "electronic",
        "delivery_method": "online",
    });
    let registered = post_ok(
        &app,
        &officer,
        "/api/v1/disclosure-requests",
        json!({"request": request, "arrival": {"channel": "in_person", "arrived_on": "2026-12-01"}}),
    )
    .await;
    let request_id = registered["id"].as_str().unwrap().to_owned();

    // The civil-affairs bureau publishes its 2026 report on 2 February 2027, two days late.
    clock.set(morning("2027-02-02"));
    let report =
        post_ok(&app, &officer, "/api/v1/annual-reports", json!({"organization_id": civil, "year": 2026})).await;
    let path = format!("/api/v1/annual-reports/{}", report["id"].as_str().unwrap());
    let edits = json!({
        "overview": "2026年度政府信息公开工作总体情况。",
        "problems_and_improvements": "",
        "other_matters": "",
        "licensing_decisions": 0,
        "penalty_decisions": 0,
        "enforcement_decisions": 0,
        "administrative_fees_fen": 0,
    });
    let response = app.http.put(app.url(&path)).bearer_auth(&officer).json(&edits).send().await.unwrap();
    assert_eq!(response.status(), 200);
    post_ok(&app, &head, &format!("{path}/review"), json!({})).await;
    let published = post_ok(&app, &principal, &format!("{path}/publish"), json!({})).await;
    assert_eq!(published["late"], true);

    // Four creations of the county government's report at once end in one draft: one 201, the
    // rest recount it.
    let create = json!({"organization_id": county, "year": 2026});
    let attempts = (0..4).map(|_| post(&app, &gov_office, "/api/v1/annual-reports", create.clone()));
    let mut statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.into_iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 201]);
    let drafts = format!("SELECT count(*) AS n FROM annual_reports WHERE organization_id = '{county}' AND year = 2026");
    assert_eq!(app.scalar(&drafts).await, 1);

    // Who owes what: departments and townships by 31 January, the county government by 31 March;
    // the hospital owes none; another county's organizations are not listed.
    let all = app.get_ok(&gov_office, "/api/v1/annual-report-deadlines?year=2026").await;
    assert_eq!(names_of(&all), ["元谋县人民政府", "元谋县人民政府办公室", "元谋县民政局", "元马镇人民政府"]);
    let late = app.get_ok(&gov_office, "/api/v1/annual-report-deadlines?year=2026&late=true").await;
    assert_eq!(names_of(&late), ["元谋县人民政府办公室", "元谋县民政局", "元马镇人民政府"]);
    let county_line = all.as_array().unwrap().iter().find(|o| o["organization_name"] == "元谋县人民政府").unwrap();
    assert_eq!(county_line["due_on"], "2027-03-31");
    let civil_line = all.as_array().unwrap().iter().find(|o| o["organization_name"] == "元谋县民政局").unwrap();
    assert_eq!(
        (civil_line["status"].as_str(), civil_line["published_on"].as_str()),
        (Some("published"), Some("2027-02-02"))
    );
    let own = app.get_ok(&officer, "/api/v1/annual-report-deadlines?year=2026").await;
    assert_eq!(names_of(&own), ["元谋县民政局"]);

    // The county sets the townships' date to 28 February: the township is no longer late.
    let bad = app
        .http
        .put(app.url("/api/v1/annual-report-settings"))
        .bearer_auth(&admin)
        .json(&json!({"township_due_month": 2, "township_due_day": 30}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(bad, 422, "validation_failed").await;
    assert!(problem["errors"]["township_due"].is_array(), "{problem}");
    let by_office = app
        .http
        .put(app.url("/api/v1/annual-report-settings"))
        .bearer_auth(&gov_office)
        .json(&json!({"township_due_month": 2, "township_due_day": 28}))
        .send()
        .await
        .unwrap();
    expect_problem(by_office, 403, "forbidden").await;
    let set = app
        .http
        .put(app.url("/api/v1/annual-report-settings"))
        .bearer_auth(&admin)
        .json(&json!({"township_due_month": 2, "township_due_day": 28}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let late = app.get_ok(&gov_office, "/api/v1/annual-report-deadlines?year=2026&late=true").await;
    assert_eq!(names_of(&late), ["元谋县人民政府办公室", "元谋县民政局"]);

    // The sweeps record what they see, once each.
    let today = chrono::NaiveDate::from_ymd_opt(2027, 2, 2).unwrap();
    let mut conn = persistence::connection(&app.pool).await.unwrap();
    // Two here, and the other county's government office.
    assert_eq!(persistence::annual_report_deadlines::record_late(&mut conn, today).await.unwrap(), 3);
    assert_eq!(persistence::annual_report_deadlines::record_late(&mut conn, today).await.unwrap(), 0);
    assert_eq!(persistence::request_acts::record_overdue(&mut conn, today).await.unwrap(), 1);
    drop(conn);

    let ledger = app.get_ok(&gov_office, "/api/v1/breaches?kind=annual_report_late").await;
    assert_eq!(names_of(&ledger["items"]), ["元谋县人民政府办公室", "元谋县民政局"]);
    let civil_late =
        ledger["items"].as_array().unwrap().iter().find(|b| b["organization_name"] == "元谋县民政局").unwrap();
    assert_eq!(civil_late["due_on"], "2027-01-31");
    assert_eq!(civil_late["details"]["year"], 2026);
    assert_eq!(civil_late["details"]["report_id"], report["id"]);
    assert_eq!(civil_late["source_path"], format!("/api/v1/annual-reports/{}", report["id"].as_str().unwrap()));
    let office_late =
        ledger["items"].as_array().unwrap().iter().find(|b| b["organization_name"] != "元谋县民政局").unwrap();
    assert_eq!(office_late["source_path"], "/api/v1/annual-report-deadlines?year=2026");
    let overdue = app.get_ok(&gov_office, "/api/v1/breaches?kind=request_overdue").await;
    let overdue = &overdue["items"][0];
    assert_eq!(overdue["entity_id"], request_id.as_str());
    let source = overdue["source_path"].as_str().unwrap();
    assert_eq!(source, format!("/api/v1/disclosure-requests/{request_id}"));
    assert_eq!(app.get_ok(&gov_office, source).await["id"], request_id.as_str(), "the ledger links to its source");

    // Drafters do not read the ledger.
    let drafter = app.token_of("mz.drafter").await;
    let refused = app.http.get(app.url("/api/v1/breaches")).bearer_auth(&drafter).send().await.unwrap();
    expect_problem(refused, 403, "forbidden").await;
    let unseen = app
        .http
        .get(app.url(&format!("/api/v1/breaches/{}", civil_late["id"].as_str().unwrap())))
        .bearer_auth(&drafter)
        .send()
        .await
        .unwrap();
    expect_problem(unseen, 404, "not_found").await;
    // Staff see their own organization's breaches; another county's office only its own.
    assert_eq!(app.get_ok(&officer, "/api/v1/breaches").await["items"].as_array().unwrap().len(), 2);
    assert_eq!(names_of(&app.get_ok(&stranger, "/api/v1/breaches").await["items"]), ["武定县人民政府办公室"]);
    let hidden = app
        .http
        .get(app.url(&format!("/api/v1/breaches/{}", civil_late["id"].as_str().unwrap())))
        .bearer_auth(&stranger)
        .send()
        .await
        .unwrap();
    expect_problem(hidden, 404, "not_found").await;

    // A manual entry by the government office only, for its own county.
    let entry = json!({
        "organization_id": civil,
        "category": "inaccurate_release",
        // Text a spreadsheet would run as a formula is exported defused.
        "description": "=HYPERLINK(\"http://example.com\")；2026年第3期政策解读中补贴标准与原文件不一致",
        "happened_on": "2027-01-20",
    });
    let by_officer = post(&app, &officer, "/api/v1/breaches", entry.clone()).await;
    expect_problem(by_officer, 403, "forbidden").await;
    let elsewhere = post(&app, &stranger, "/api/v1/breaches", entry.clone()).await;
    let problem = expect_problem(elsewhere, 422, "validation_failed").await;
    assert!(problem["errors"]["organization_id"].is_array());
    let mut future = entry.clone();
    future["happened_on"] = json!("2027-02-03");
    expect_problem(post(&app, &gov_office, "/api/v1/breaches", future).await, 422, "validation_failed").await;
    let mut unknown = entry.clone();
    unknown["category"] = json!("bribery");
    expect_problem(post(&app, &gov_office, "/api/v1/breaches", unknown).await, 400, "invalid_body").await;
    let created = post(&app, &gov_office, "/api/v1/breaches", entry).await;
    assert_eq!(created.status(), 201);
    let manual: Value = created.json().await.unwrap();
    assert_eq!(
        (manual["kind"].as_str(), manual["details"]["category"].as_str()),
        (Some("manual"), Some("inaccurate_release"))
    );
    let manual_path = format!("/api/v1/breaches/{}", manual["id"].as_str().unwrap());

    // Decisions: a referral names where it went; only the county's office decides.
    let unnamed =
        post(&app, &gov_office, &format!("{manual_path}/decide"), json!({"kind": "referral", "reason": "移送处理"}))
            .await;
    let problem = expect_problem(unnamed, 422, "validation_failed").await;
    assert!(problem["errors"]["referred_to"].is_array(), "{problem}");
    let not_theirs =
        post(&app, &stranger, &format!("{manual_path}/decide"), json!({"kind": "criticism", "reason": "x"})).await;
    expect_problem(not_theirs, 404, "not_found").await;
    let by_officer =
        post(&app, &officer, &format!("{manual_path}/decide"), json!({"kind": "criticism", "reason": "x"})).await;
    expect_problem(by_officer, 403, "forbidden").await;
    let first = post_ok(
        &app,
        &gov_office,
        &format!("{manual_path}/decide"),
        json!({"kind": "public_notice", "reason": "经核实属实，予以通报批评，并责令一个月内整改"}),
    )
    .await;
    assert_eq!(first["decisions"].as_array().unwrap().len(), 1);
    assert_eq!(first["decisions"][0]["decided_on"], "2027-02-02");
    let second = post_ok(
        &app,
        &gov_office,
        &format!("{manual_path}/decide"),
        json!({"kind": "referral", "reason": "涉嫌弄虚作假，移送处理", "referred_to": "县纪委监委", "decided_on": "2027-02-01"}),
    )
    .await;
    let decisions = second["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 2);
    assert_eq!(
        (decisions[0]["kind"].as_str(), decisions[1]["referred_to"].as_str()),
        (Some("public_notice"), Some("县纪委监委"))
    );
    assert_eq!(app.get_ok(&gov_office, &manual_path).await["decisions"], second["decisions"]);

    // Filters.
    let decided_only = app.get_ok(&gov_office, "/api/v1/breaches?decided=true").await;
    assert_eq!(decided_only["items"].as_array().unwrap().len(), 1);
    let waiting = app.get_ok(&gov_office, "/api/v1/breaches?decided=false").await;
    assert_eq!(waiting["items"].as_array().unwrap().len(), 3);
    let of_office = app.get_ok(&gov_office, &format!("/api/v1/breaches?organization_id={office}")).await;
    assert_eq!(of_office["items"].as_array().unwrap().len(), 1);
    let page = app.get_ok(&gov_office, "/api/v1/breaches?limit=3").await;
    let next = page["next_cursor"].as_str().expect("a second page");
    let rest = app.get_ok(&gov_office, &format!("/api/v1/breaches?limit=3&cursor={next}")).await;
    assert_eq!(page["items"].as_array().unwrap().len() + rest["items"].as_array().unwrap().len(), 4);
    // Breaches are stamped when the sweep found them (the database's time, not the test clock).
    let found_today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let since_today = app.get_ok(&gov_office, &format!("/api/v1/breaches?from={found_today}&to={found_today}")).await;
    assert_eq!(since_today["items"].as_array().unwrap().len(), 4);
    let tomorrow = found_today.succ_opt().unwrap();
    let none_yet = app.get_ok(&gov_office, &format!("/api/v1/breaches?from={tomorrow}")).await;
    assert_eq!(none_yet["items"].as_array().unwrap().len(), 0);
    let backwards = app
        .http
        .get(app.url("/api/v1/breaches?from=2027-02-02&to=2027-02-01"))
        .bearer_auth(&gov_office)
        .send()
        .await
        .unwrap();
    expect_problem(backwards, 422, "validation_failed").await;
    for bad in ["from=1899-12-31", "to=-262143-01-01", "from=+262142-12-31"] {
        let response =
            app.http.get(app.url(&format!("/api/v1/breaches?{bad}"))).bearer_auth(&gov_office).send().await.unwrap();
        let status = response.status().as_u16();
        assert!(status == 422 || status == 400, "{bad}: {status}");
    }

    // Exports: CSV with the Chinese labels, XLSX with one line per breach.
    let csv = app.http.get(app.url("/api/v1/breaches?format=csv")).bearer_auth(&gov_office).send().await.unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_end().lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(lines[0].contains("类型") && lines[0].contains("处理决定"));
    assert_eq!(text.matches("年度报告未按时公布").count(), 2);
    assert!(text.contains("依申请公开逾期答复"));
    assert!(text.contains("移送有关机关处理→县纪委监委"));
    assert!(text.contains("'=HYPERLINK") && !text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"), "{text}");
    let xlsx = app
        .http
        .get(app.url("/api/v1/breaches?kind=annual_report_late"))
        .header("Accept", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .bearer_auth(&gov_office)
        .send()
        .await
        .unwrap();
    let bytes = xlsx.bytes().await.unwrap();
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = workbook.worksheet_range("问责台账").unwrap();
    assert_eq!(sheet.get_size().0, 3);
    let english = app
        .http
        .get(app.url("/api/v1/breaches?format=csv"))
        .header("Accept-Language", "en")
        .bearer_auth(&gov_office)
        .send()
        .await
        .unwrap();
    assert!(english.text().await.unwrap().contains("Annual report late"));
}
