//! Disclosure requests over HTTP (DOMAIN.md §7, §10): the applicant files and follows a request;
//! the officers take it through correction, consultation, fees, extension and the reply; the
//! clocks, lists, breaches and art. 44 groups follow.

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use e2e::{expect_problem, resident_id, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

const CITIZEN_ID: &str = "11010519491231002X";

pub(crate) fn today() -> NaiveDate {
    Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).date_naive()
}

pub(crate) struct County {
    pub(crate) app: TestApp,
    pub(crate) admin: String,
    pub(crate) civil_affairs: Uuid,
    pub(crate) officer: String,
    pub(crate) head: String,
    pub(crate) drafter: String,
    pub(crate) gov_office: String,
    pub(crate) stranger: String,
}

async fn token(app: &TestApp, username: &str) -> String {
    app.tokens(username, &TestApp::password_of(username)).await["access_token"].as_str().unwrap().to_owned()
}

impl County {
    pub(crate) async fn new() -> County {
        County::on(TestApp::spawn().await).await
    }

    /// The county's organizations and staff, served by `app`.
    pub(crate) async fn on(app: TestApp) -> County {
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let civil_affairs = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let users: [(&str, Uuid, &[&str]); 5] = [
            ("mz.officer", civil_affairs, &["openness_officer"]),
            ("mz.head", civil_affairs, &["openness_head"]),
            ("mz.drafter", civil_affairs, &["drafter"]),
            ("zfb.office", office, &["gov_office"]),
            ("wd.stranger", other_county, &["openness_officer", "gov_office"]),
        ];
        for (name, org, roles) in users {
            app.create_user(&admin, name, Some(org), roles).await;
        }
        County {
            officer: token(&app, "mz.officer").await,
            head: token(&app, "mz.head").await,
            drafter: token(&app, "mz.drafter").await,
            gov_office: token(&app, "zfb.office").await,
            stranger: token(&app, "wd.stranger").await,
            admin,
            civil_affairs,
            app,
        }
    }

    pub(crate) fn application(&self, identity_number: &str) -> Value {
        json!({
            "organization_id": self.civil_affairs,
            "applicant_type": "natural_person",
            "name": "张三",
            "identity_document_type": "resident_identity_card",
            "identity_number": identity_number,
            "phone": "13812345678",
            "description": "2026年元谋县城乡居民最低生活保障资金发放情况",
            "information_form": "electronic",
            "delivery_method": "online",
        })
    }

    /// Files online as a citizen; answers the receipt.
    pub(crate) async fn file_online(&self, body: Value) -> Value {
        let response =
            self.app.http.post(self.app.url("/api/v1/public/disclosure-requests")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    /// Registers an in-person request that arrived `days_ago` days ago.
    pub(crate) async fn register_in_person(&self, identity_number: &str, days_ago: i64) -> Value {
        let body = json!({
            "request": self.application(identity_number),
            "arrival": {"channel": "in_person", "arrived_on": today() - Duration::days(days_ago)},
        });
        let response = self.post(&self.officer, "/api/v1/disclosure-requests", body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    pub(crate) async fn act(&self, token: &str, id: &str, action: &str, body: Value) -> Response {
        self.post(token, &format!("/api/v1/disclosure-requests/{id}/{action}"), body).await
    }

    pub(crate) async fn act_ok(&self, token: &str, id: &str, action: &str, body: Value) -> Value {
        let response = self.act(token, id, action, body).await;
        assert_eq!(response.status(), 200, "{action}: {}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> Response {
        self.app.http.get(self.app.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub(crate) async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.get(token, path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    pub(crate) async fn status_text(&self, receipt: &Value) -> (u16, String) {
        let code = receipt["tracking_code"].as_str().unwrap();
        let response = self
            .app
            .http
            .get(self.app.url(&format!("/api/v1/public/disclosure-requests/{code}")))
            .header("X-Query-Token", receipt["query_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// The calendar's own answer: `n` working days after `from`.
    pub(crate) async fn working_days_after(&self, from: &str, n: u32) -> String {
        let path = format!("/api/v1/calendar/deadline?from={from}&working_days={n}");
        let explained: Value = self.app.http.get(self.app.url(&path)).send().await.unwrap().json().await.unwrap();
        explained["due_on"].as_str().unwrap().to_owned()
    }
}

pub(crate) fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn a_citizen_files_online_and_an_officer_takes_it_through_correction_extension_and_a_partial_reply() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(CITIZEN_ID)).await;
    let id = id_of(&receipt);
    let received = receipt["received_on"].as_str().unwrap().to_owned();
    assert_eq!(received, today().to_string(), "online: the submission date is the received date");
    assert_eq!(receipt["due_on"], county.working_days_after(&received, 20).await);

    // The handling officer sees the applicant in clear; the county office masked; others nothing.
    let for_officer = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}")).await;
    assert_eq!(for_officer["identity_number"], CITIZEN_ID);
    assert_eq!(for_officer["personal_data_masked"], false);
    let for_office = county.get(&county.gov_office, &format!("/api/v1/disclosure-requests/{id}")).await;
    let office_text = for_office.text().await.unwrap();
    assert!(!office_text.contains(CITIZEN_ID) && !office_text.contains("13812345678"), "{office_text}");
    assert!(office_text.contains("110105**********2X"));
    for outsider in [&county.stranger, &county.drafter] {
        let response = county.get(outsider, &format!("/api/v1/disclosure-requests/{id}")).await;
        expect_problem(response, 404, "not_found").await;
    }

    let items = json!({"items": ["请说明所需信息的年份和乡镇"], "deadline": today() + Duration::days(15)});
    let corrected = county.act_ok(&county.officer, &id, "request-correction", items).await;
    assert_eq!(corrected["state"], "correction_requested");
    let (status, text) = county.status_text(&receipt).await;
    assert_eq!(status, 200);
    assert!(text.contains("请说明所需信息的年份和乡镇"), "the applicant sees what to correct: {text}");

    let restarted = county.act_ok(&county.officer, &id, "record-correction", json!({})).await;
    assert_eq!(restarted["state"], "received");
    assert_eq!(restarted["due_on"], county.working_days_after(&today().to_string(), 20).await);
    let again = county
        .act(
            &county.officer,
            &id,
            "request-correction",
            json!({"items": ["再补"], "deadline": today() + Duration::days(5)}),
        )
        .await;
    expect_problem(again, 409, "correction_already_requested").await;

    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let by_officer = county.act(&county.officer, &id, "extend", json!({"days": 10, "reason": "需协调"})).await;
    expect_problem(by_officer, 403, "forbidden").await;
    let extended =
        county.act_ok(&county.head, &id, "extend", json!({"days": 10, "reason": "涉及多个部门，需协调确认"})).await;
    assert_eq!(extended["due_on"], county.working_days_after(&today().to_string(), 30).await);
    assert_eq!(extended["extension"]["days"], 10);
    let twice = county.act(&county.head, &id, "extend", json!({"days": 5, "reason": "再延"})).await;
    expect_problem(twice, 409, "extension_already_granted").await;

    let without_basis = county.act(&county.officer, &id, "reply", json!({"outcome": "partial"})).await;
    let problem = expect_problem(without_basis, 422, "validation_failed").await;
    assert!(problem["errors"]["legal_basis"].is_array());
    let reply = json!({
        "outcome": "partial",
        "reply_text": "现提供各乡镇低保资金发放总额；个人明细涉及个人隐私，不予公开。",
        "legal_basis": "《中华人民共和国政府信息公开条例》第十五条、第三十七条",
    });
    let replied = county.act_ok(&county.officer, &id, "reply", reply).await;
    assert_eq!(replied["state"], "replied");
    assert!(replied["report_row"].as_str().unwrap().starts_with("（二）部分公开"));

    let (status, text) = county.status_text(&receipt).await;
    assert_eq!(status, 200);
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["state"], "replied");
    assert_eq!(seen["reply"]["outcome"], "partial");
    assert_eq!(seen["reply"]["legal_basis"], "《中华人民共和国政府信息公开条例》第十五条、第三十七条");
    assert!(!text.contains(CITIZEN_ID) && !text.contains("19491231") && !text.contains("13812345678"), "{text}");

    county.act_ok(&county.officer, &id, "archive", json!({})).await;
    let history = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/history")).await;
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["file", "request-correction", "record-correction", "accept", "extend", "reply", "archive"]);
    let extension = &history.as_array().unwrap()[4];
    assert_ne!(extension["due_from"], extension["due_to"], "the extension's move of the due date is recorded");
    assert_eq!(extension["details"]["reason"], "extension");
}

#[actix_web::test]
async fn registration_follows_article_thirty_one_and_a_correction_restarts_the_clock() {
    let county = County::new().await;
    let register = |arrival: Value| json!({"request": county.application(&resident_id(1)), "arrival": arrival});
    let cases = [
        (json!({"channel": "post", "arrived_on": today()}), "arrival.signed_for_on"),
        (json!({"channel": "fax", "arrived_on": today()}), "arrival.confirmed_on"),
        (
            json!({"channel": "fax", "arrived_on": today(), "confirmed_on": today(), "proxy_filled": true}),
            "arrival.proxy_filled",
        ),
        (json!({"channel": "online", "arrived_on": today()}), "arrival.channel"),
        (json!({"channel": "in_person", "arrived_on": today() + Duration::days(1)}), "arrival.arrived_on"),
    ];
    for (arrival, field) in cases {
        let response = county.post(&county.officer, "/api/v1/disclosure-requests", register(arrival)).await;
        let problem = expect_problem(response, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert_eq!(county.app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 0);
    let by_drafter = county
        .post(
            &county.drafter,
            "/api/v1/disclosure-requests",
            register(json!({"channel": "in_person", "arrived_on": today()})),
        )
        .await;
    expect_problem(by_drafter, 403, "forbidden").await;

    let signed = today() - Duration::days(2);
    let posted = county
        .post(
            &county.officer,
            "/api/v1/disclosure-requests",
            register(json!({"channel": "post", "arrived_on": signed, "signed_for_on": signed})),
        )
        .await;
    assert_eq!(posted.status(), 201);
    let posted: Value = posted.json().await.unwrap();
    assert_eq!(posted["received_on"], signed.to_string(), "by post: the day it was signed for");

    let oral = json!({"request": county.application(&resident_id(2)), "arrival": {"channel": "in_person", "arrived_on": today() - Duration::days(3), "proxy_filled": true}});
    let response = county.post(&county.officer, "/api/v1/disclosure-requests", oral).await;
    assert_eq!(response.status(), 201);
    let id = id_of(&response.json::<Value>().await.unwrap());
    let request = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}")).await;
    assert_eq!(request["proxy_filled"], true);
    let first_due = request["due_on"].as_str().unwrap().to_owned();
    let received = (today() - Duration::days(3)).to_string();
    assert_eq!(first_due, county.working_days_after(&received, 20).await);

    county
        .act_ok(
            &county.officer,
            &id,
            "request-correction",
            json!({"items": ["请写明文号"], "deadline": today() + Duration::days(10)}),
        )
        .await;
    let restarted = county.act_ok(&county.officer, &id, "record-correction", json!({"corrected_on": today()})).await;
    let restarted_due = county.working_days_after(&today().to_string(), 20).await;
    assert_eq!(restarted["due_on"], restarted_due);
    assert_ne!(restarted_due, first_due, "20 working days count again from the corrected request");
    let history = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/history")).await;
    let correction = history.as_array().unwrap().iter().find(|e| e["action"] == "record-correction").unwrap();
    assert_eq!(correction["due_from"], first_due);
    assert_eq!(correction["due_to"], restarted_due);
    assert_eq!(correction["details"]["reason"], "correction_received");
}

#[actix_web::test]
async fn late_acts_are_refused_and_an_overdue_request_is_listed_and_recorded_once() {
    let county = County::new().await;
    let old = county.register_in_person(&resident_id(3), 45).await;
    let fresh = county.register_in_person(&resident_id(4), 0).await;
    let id = id_of(&old);

    let late_correction = county
        .act(
            &county.officer,
            &id,
            "request-correction",
            json!({"items": ["x"], "deadline": today() + Duration::days(3)}),
        )
        .await;
    expect_problem(late_correction, 409, "correction_window_closed").await;
    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let late_extension = county.act(&county.head, &id, "extend", json!({"days": 20, "reason": "太晚了"})).await;
    expect_problem(late_extension, 409, "extension_after_due_date").await;

    let overdue = county.get_json(&county.officer, "/api/v1/disclosure-requests?due=overdue").await;
    let ids: Vec<&str> = overdue["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()]);
    let soon = county.get_json(&county.officer, "/api/v1/disclosure-requests?due=soon").await;
    assert!(soon["items"].as_array().unwrap().iter().all(|r| r["id"] != old["id"] && r["id"] != fresh["id"]));

    let mut conn = persistence::connection(&county.app.pool).await.unwrap();
    assert_eq!(persistence::request_acts::record_overdue(&mut conn, today()).await.unwrap(), 1);
    assert_eq!(persistence::request_acts::record_overdue(&mut conn, today()).await.unwrap(), 0, "recorded once");
    county.act_ok(&county.officer, &id, "reply", json!({"outcome": "granted"})).await;
    let breaches = format!("SELECT count(*) AS n FROM breaches WHERE kind = 'request_overdue' AND entity_id = '{id}'");
    assert_eq!(county.app.scalar(&breaches).await, 1, "the late reply does not record it twice");
    let again = county.act(&county.officer, &id, "reply", json!({"outcome": "granted"})).await;
    expect_problem(again, 409, "request_state_conflict").await;
}

#[actix_web::test]
async fn a_due_soon_request_is_listed_for_its_officers() {
    let county = County::new().await;
    let within: NaiveDate = county.working_days_after(&today().to_string(), 3).await.parse().unwrap();
    // Find a receipt date whose 20 working days end within the next 3 working days.
    let mut days_ago = 20;
    loop {
        let from = (today() - Duration::days(days_ago)).to_string();
        let due: NaiveDate = county.working_days_after(&from, 20).await.parse().unwrap();
        if due >= today() && due <= within {
            break;
        }
        days_ago += 1;
        assert!(days_ago < 60, "no receipt date found");
    }
    let near = county.register_in_person(&resident_id(5), days_ago).await;
    let far = county.register_in_person(&resident_id(16), 0).await;
    let soon = county.get_json(&county.officer, "/api/v1/disclosure-requests?due=soon").await;
    let ids: Vec<&Value> = soon["items"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&near["id"]], "only the request due within 3 working days, not {}", far["id"]);
    let bad = county.get(&county.officer, "/api/v1/disclosure-requests?due=someday").await;
    expect_problem(bad, 422, "validation_failed").await;
}

#[actix_web::test]
async fn a_consultation_pauses_the_clock_until_the_opinion_and_blocks_the_reply() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(&resident_id(6))).await;
    let id = id_of(&receipt);
    let original_due = receipt["due_on"].clone();
    county.act_ok(&county.officer, &id, "accept", json!({})).await;
    let paused = county
        .act_ok(
            &county.officer,
            &id,
            "consult",
            json!({"party": "third_party", "party_name": "元谋县某某食品有限公司"}),
        )
        .await;
    assert_eq!(paused["state"], "paused");
    let explained = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/deadline")).await;
    assert_eq!(paused["due_on"], explained["due_on"]);
    assert!(paused["due_on"].as_str().unwrap() > original_due.as_str().unwrap(), "the window is not counted");
    assert_eq!(explained["pauses"].as_array().unwrap().len(), 1);

    let reply = county.act(&county.officer, &id, "reply", json!({"outcome": "granted"})).await;
    expect_problem(reply, 409, "request_state_conflict").await;
    let consultation = paused["consultations"][0]["id"].as_str().unwrap().to_owned();
    let silence = county
        .act(&county.officer, &id, "record-opinion", json!({"consultation_id": consultation, "opinion": "no_reply"}))
        .await;
    expect_problem(silence, 409, "consultation_still_running").await;
    let resumed = county
        .act_ok(
            &county.officer,
            &id,
            "record-opinion",
            json!({"consultation_id": consultation, "opinion": "objection", "notes": "涉及商业秘密"}),
        )
        .await;
    assert_eq!(resumed["state"], "in_progress");
    assert_eq!(resumed["due_on"], original_due, "answered the same day: no day was paused");
    assert_eq!(resumed["consultations"][0]["opinion"], "objection");
    let unclear = county.act(&county.officer, &id, "reply", json!({"outcome": "unable_still_unclear"})).await;
    let problem = expect_problem(unclear, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["outcome"][0]["code"], "no_correction_was_made");
    let reply = json!({"outcome": "denied_third_party", "legal_basis": "《中华人民共和国政府信息公开条例》第十五条、第三十二条"});
    let replied = county.act_ok(&county.officer, &id, "reply", reply).await;
    assert_eq!(replied["report_row"], "4.保护第三方合法权益");
}

#[actix_web::test]
async fn fees_follow_the_tiers_of_circular_109_and_pause_the_clock() {
    let county = County::new().await;
    let applicant = resident_id(7);
    let mut last = Value::Null;
    for _ in 0..11 {
        last = county.register_in_person(&applicant, 0).await;
    }
    let eleventh = id_of(&last);
    county.act_ok(&county.officer, &eleventh, "accept", json!({})).await;
    let noticed = county.act_ok(&county.officer, &eleventh, "fee-notice", json!({"method": "per_request"})).await;
    assert_eq!(noticed["fee_notice"]["nth_request_this_month"], 11);
    assert_eq!(noticed["fee_notice"]["amount_fen"], 10_000, "the 11th request of the month costs 100 元");
    assert_eq!(noticed["state"], "paused");
    let while_paused = county.act(&county.officer, &eleventh, "reply", json!({"outcome": "granted"})).await;
    expect_problem(while_paused, 409, "request_state_conflict").await;
    let paid = county.act_ok(&county.officer, &eleventh, "record-payment", json!({"reference": "POS-0001"})).await;
    assert_eq!(paid["state"], "in_progress");
    assert_eq!(paid["fee_notice"]["paid_on"], today().to_string());
    let twice = county.act(&county.officer, &eleventh, "fee-notice", json!({"method": "per_page", "pages": 40})).await;
    expect_problem(twice, 409, "fee_already_notified").await;

    let other = county.file_online(county.application(&resident_id(8))).await;
    let other_id = id_of(&other);
    county.act_ok(&county.officer, &other_id, "accept", json!({})).await;
    let free = county.act(&county.officer, &other_id, "fee-notice", json!({"method": "per_request"})).await;
    let problem = expect_problem(free, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["method"][0]["code"], "no_fee_due");
    let pages =
        county.act_ok(&county.officer, &other_id, "fee-notice", json!({"method": "per_page", "pages": 101})).await;
    assert_eq!(pages["fee_notice"]["amount_fen"], (70 * 10 + 20) * 100, "pages 31–100 at 10 元, page 101 at 20 元");
    let citizen = county.status_text(&other).await.1;
    assert!(citizen.contains("\"amount_fen\":72000"), "{citizen}");
}

#[actix_web::test]
async fn abandoned_requests_are_closed_by_the_housekeeping_with_their_outcome() {
    let county = County::new().await;
    let uncorrected = county.register_in_person(&resident_id(9), 0).await;
    let unpaid = county.register_in_person(&resident_id(10), 0).await;
    let (a, b) = (id_of(&uncorrected), id_of(&unpaid));
    county
        .act_ok(
            &county.officer,
            &a,
            "request-correction",
            json!({"items": ["请写明年份"], "deadline": today() + Duration::days(1)}),
        )
        .await;
    let early =
        county.act(&county.officer, &a, "close", json!({"outcome": "other_no_correction", "reason": "未补正"})).await;
    expect_problem(early, 409, "correction_deadline_not_passed").await;
    county.act_ok(&county.officer, &b, "accept", json!({})).await;
    county.act_ok(&county.officer, &b, "fee-notice", json!({"method": "per_page", "pages": 50})).await;

    // Time passes: both deadlines lie behind us.
    county
        .app
        .execute_batch(&format!(
            "UPDATE disclosure_requests SET correction_deadline = current_date - 2 WHERE id = '{a}';
             UPDATE request_fee_notices SET payment_due_on = current_date - 2 WHERE request_id = '{b}';"
        ))
        .await;
    let mut conn = persistence::connection(&county.app.pool).await.unwrap();
    let system = persistence::Actor::system(None);
    assert_eq!(persistence::request_acts::close_lapsed(&mut conn, &system, today()).await.unwrap(), 2);
    let a_now = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{a}")).await;
    assert_eq!((a_now["state"].as_str(), a_now["outcome"].as_str()), (Some("closed"), Some("other_no_correction")));
    let b_now = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{b}")).await;
    assert_eq!((b_now["state"].as_str(), b_now["outcome"].as_str()), (Some("closed"), Some("other_fee_unpaid")));
    assert_eq!(persistence::request_acts::close_lapsed(&mut conn, &system, today()).await.unwrap(), 0);
    let wrong = county
        .act(
            &county.officer,
            &id_of(&county.register_in_person(&resident_id(11), 0).await),
            "close",
            json!({"outcome": "granted", "reason": "x"}),
        )
        .await;
    let problem = expect_problem(wrong, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["outcome"][0]["code"], "not_a_closing_outcome");
}

#[actix_web::test]
async fn requests_for_the_same_information_are_grouped_for_proactive_disclosure() {
    let county = County::new().await;
    let mut same = county.application(&resident_id(12));
    same["document_number"] = json!("元政办发〔2026〕12号");
    same["description"] = json!("请公开元政办发〔2026〕12号文件全文");
    let first = county.file_online(same.clone()).await;
    same["identity_number"] = json!(resident_id(13));
    same["document_number"] = json!("元政办发〔2026〕 12 号");
    same["description"] = json!("申请获取12号文件");
    county.file_online(same.clone()).await;
    same["identity_number"] = json!(resident_id(12));
    county.file_online(same).await;
    let differently_worded = county.file_online(county.application(&resident_id(14))).await;

    let groups = county
        .get_json(&county.officer, &format!("/api/v1/disclosure-request-groups?org={}", county.civil_affairs))
        .await;
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!((groups[0]["requests"].as_i64(), groups[0]["applicants"].as_i64()), (Some(3), Some(2)));

    let joined =
        county.act_ok(&county.officer, &id_of(&differently_worded), "group", json!({"with": first["id"]})).await;
    let group = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{}", id_of(&first))).await
        ["group_id"]
        .clone();
    assert_eq!(joined["group_id"], group);
    let groups = county.get_json(&county.officer, "/api/v1/disclosure-request-groups?min_applicants=3").await;
    assert_eq!(groups.as_array().unwrap()[0]["applicants"], 3);
    let stranger = county.get_json(&county.stranger, "/api/v1/disclosure-request-groups").await;
    assert_eq!(stranger.as_array().unwrap().len(), 0, "another county's groups are not shown");
}

#[actix_web::test]
async fn a_new_local_holiday_moves_open_due_dates_and_says_why() {
    let county = County::new().await;
    let receipt = county.file_online(county.application(&resident_id(15))).await;
    let id = id_of(&receipt);
    let before: NaiveDate = receipt["due_on"].as_str().unwrap().parse().unwrap();
    let explained = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/deadline")).await;
    // A working day inside the period becomes a local holiday.
    let counted = (1..30)
        .map(|d| today() + Duration::days(d))
        .find(|d| *d < before && !explained["skipped"].as_array().unwrap().iter().any(|s| s["date"] == d.to_string()))
        .unwrap();
    let holiday = county
        .app
        .http
        .put(county.app.url(&format!("/api/v1/calendar/local-holidays/{counted}")))
        .bearer_auth(&county.admin)
        .json(&json!({"name": "彝族火把节", "source": "楚雄州人民政府通知（测试）"}))
        .send()
        .await
        .unwrap();
    assert!(holiday.status().is_success(), "{}", holiday.text().await.unwrap());
    let after = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}")).await;
    let moved: NaiveDate = after["due_on"].as_str().unwrap().parse().unwrap();
    assert!(moved > before, "{before} → {moved}");
    let history = county.get_json(&county.officer, &format!("/api/v1/disclosure-requests/{id}/history")).await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "due_date_recomputed");
    assert_eq!(last["details"]["reason"], "calendar_changed");
}

#[actix_web::test]
async fn a_retried_submission_gets_its_receipt_again_without_the_token_stored_in_clear() {
    let county = County::new().await;
    let key = Uuid::now_v7().to_string();
    let submit = || {
        county
            .app
            .http
            .post(county.app.url("/api/v1/public/disclosure-requests"))
            .header("Idempotency-Key", &key)
            .json(&county.application(&resident_id(17)))
            .send()
    };
    let first = submit().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["cache-control"], "no-store");
    assert!(first.headers().get("x-gongkai-seal-for-replay").is_none(), "the internal marker is not sent");
    let first: Value = first.json().await.unwrap();
    let again = submit().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    assert_eq!(again["query_token"], first["query_token"], "the applicant who lost the answer gets the token back");
    assert_eq!(county.app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 1);
    let token = first["query_token"].as_str().unwrap();
    let in_clear = format!(
        "SELECT count(*) AS n FROM idempotency_keys WHERE response_body IS NOT NULL \
         AND position(convert_to('{token}', 'UTF8') in response_body) > 0"
    );
    assert_eq!(county.app.scalar(&in_clear).await, 0, "the stored replay is sealed");
    let stored = "SELECT count(*) AS n FROM idempotency_keys WHERE response_body IS NOT NULL";
    assert_eq!(county.app.scalar(stored).await, 1);
}
