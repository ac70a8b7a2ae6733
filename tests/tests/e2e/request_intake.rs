//! Online intake of disclosure requests from the citizen's side (DOMAIN.md §7, §10): filing
//! anonymously, following the request only with the query token, refusals that store nothing,
//! safe retries, the two rate limits, personal data sealed at rest, and the settings behind them.

use e2e::{expect_problem, resident_id, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

const SUBMIT: &str = "/api/v1/public/disclosure-requests";
const SETTINGS: &str = "/api/v1/disclosure-request-settings";

/// A valid resident identity number; its birth date 1949-12-31 must never leave the server in clear.
const CITIZEN_ID: &str = "11010519491231002X";
const CITIZEN_BIRTH_DATE: &str = "19491231";
const CITIZEN_ID_MASKED: &str = "110105**********2X";
const CITIZEN_PHONE: &str = "13812345678";
/// The same number with a wrong check digit.
const WRONG_CHECK_DIGIT_ID: &str = "110105194912310021";
/// A valid unified social credit code, and the same code with a wrong check character.
const COMPANY_CODE: &str = "91350100M000100Y43";
const WRONG_COMPANY_CODE: &str = "91350100M000100Y44";

/// A county department that takes requests, and the administrator who sets the limits.
struct Intake {
    app: TestApp,
    admin: String,
    civil_affairs: Uuid,
}

impl Intake {
    async fn new() -> Intake {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let civil_affairs = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        Intake { app, admin, civil_affairs }
    }

    /// A complete, valid online application by a natural person who gives only a phone number.
    fn application(&self, identity_number: &str) -> Value {
        json!({
            "organization_id": self.civil_affairs,
            "applicant_type": "natural_person",
            "name": "张三",
            "identity_document_type": "resident_identity_card",
            "identity_number": identity_number,
            "phone": CITIZEN_PHONE,
            "description": "2026年元谋县城乡居民最低生活保障资金发放情况",
            "information_form": "electronic",
            "delivery_method": "online",
        })
    }

    async fn submit(&self, body: &Value) -> Response {
        self.app.http.post(self.app.url(SUBMIT)).json(body).send().await.unwrap()
    }

    async fn submit_with_key(&self, key: &str, body: &Value) -> Response {
        self.app.http.post(self.app.url(SUBMIT)).header("Idempotency-Key", key).json(body).send().await.unwrap()
    }

    /// Files and returns the receipt; panics unless 201.
    async fn file(&self, body: &Value) -> Value {
        let response = self.submit(body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn status(&self, tracking_code: &str, token: Option<&str>) -> Response {
        let request = self.app.http.get(self.app.url(&format!("{SUBMIT}/{tracking_code}")));
        match token {
            Some(token) => request.header("X-Query-Token", token),
            None => request,
        }
        .send()
        .await
        .unwrap()
    }

    async fn put_settings(&self, token: &str, body: &Value) -> Response {
        self.app.http.put(self.app.url(SETTINGS)).bearer_auth(token).json(body).send().await.unwrap()
    }

    /// Sets both submission limits, leaving the fee settings at their defaults.
    async fn limit_submissions(&self, per_address_per_hour: i32, per_applicant_per_day: i32) {
        let body = json!({
            "fee_payment_working_days": 20,
            "pause_while_fee_unpaid": true,
            "submissions_per_address_per_hour": per_address_per_hour,
            "submissions_per_applicant_per_day": per_applicant_per_day,
        });
        let response = self.put_settings(&self.admin, &body).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }

    /// (rows in disclosure_requests, rows in audit_log): a refusal must change neither.
    async fn stored(&self) -> (i64, i64) {
        (self.app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, self.app.audit_rows().await)
    }
}

/// The problem body without `instance` (the request id), which differs by design between calls.
fn without_instance(mut problem: Value) -> Value {
    problem.as_object_mut().unwrap().remove("instance");
    problem
}

/// A refused submission: case, body, status, problem code, and the field named in `errors` with its code.
type Refusal = (&'static str, Value, u16, &'static str, Option<(&'static str, &'static str)>);

fn retry_after_seconds(response: &Response) -> i64 {
    let value = response.headers().get("retry-after").expect("Retry-After on a 429");
    value.to_str().unwrap().parse().expect("Retry-After in whole seconds")
}

#[actix_web::test]
async fn a_citizen_files_online_and_reads_the_status_only_with_the_token_header() {
    let intake = Intake::new().await;
    let response = intake.submit(&intake.application(CITIZEN_ID)).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store", "the receipt holds the query token");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    for secret in [CITIZEN_ID, CITIZEN_BIRTH_DATE, CITIZEN_PHONE] {
        assert!(!text.contains(secret), "the receipt leaks {secret}: {text}");
    }
    let receipt: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(receipt["state"], "received");
    assert_eq!(receipt["organization_id"], json!(intake.civil_affairs));
    assert!(receipt["due_provisional"].is_boolean() && receipt["due_on"].is_string() && receipt["id"].is_string());
    assert!(receipt["received_on"].as_str().unwrap() < receipt["due_on"].as_str().unwrap());
    let code = receipt["tracking_code"].as_str().unwrap();
    let token = receipt["query_token"].as_str().unwrap();
    assert!(!token.is_empty());
    assert_eq!(receipt["status_url"], format!("{SUBMIT}/{code}"));
    assert_eq!(location, format!("{SUBMIT}/{code}"));

    let response = intake.status(code, Some(token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    for secret in [CITIZEN_ID, CITIZEN_BIRTH_DATE, CITIZEN_PHONE] {
        assert!(!text.contains(secret), "the status leaks {secret}: {text}");
    }
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(seen["identity_number_masked"], CITIZEN_ID_MASKED);
    assert_eq!((seen["tracking_code"].as_str(), seen["state"].as_str()), (Some(code), Some("received")));
    assert_eq!(seen["due_on"], receipt["due_on"]);
    assert!(seen["reply"].is_null());

    // Someone else's valid token does not open this request either.
    let other = intake.file(&intake.application(&resident_id(1))).await;
    let other_token = other["query_token"].as_str().unwrap();
    let status_url = intake.app.url(&format!("{SUBMIT}/{code}"));
    let refusals = [
        ("wrong token", intake.status(code, Some("not-the-token")).await),
        ("another request's token", intake.status(code, Some(other_token)).await),
        ("no token", intake.status(code, None).await),
        ("blank token", intake.status(code, Some("   ")).await),
        ("unknown code", intake.status("YSQ20260101-ZZZZZZZZ", Some(token)).await),
        (
            "token in the query string",
            intake.app.http.get(format!("{status_url}?query_token={token}")).send().await.unwrap(),
        ),
        (
            "header name in the query string",
            intake.app.http.get(format!("{status_url}?X-Query-Token={token}")).send().await.unwrap(),
        ),
    ];
    // Every refusal must look the same, so that a caller cannot tell a real code from a made-up one.
    let mut first: Option<Value> = None;
    for (case, response) in refusals {
        let problem = without_instance(expect_problem(response, 404, "not_found").await);
        match &first {
            None => first = Some(problem),
            Some(first) => assert_eq!(&problem, first, "{case} is answered differently"),
        }
    }
}

#[actix_web::test]
async fn bad_submissions_are_refused_naming_the_field_and_store_nothing() {
    let intake = Intake::new().await;
    // Refusals found by the handler count against the address limit; keep it out of the way.
    intake.limit_submissions(1000, 1000).await;
    let valid = intake.application(CITIZEN_ID);
    let with = |changes: Value| {
        let mut body = valid.clone();
        for (field, value) in changes.as_object().unwrap() {
            body[field] = value.clone();
        }
        body
    };
    let mut without_contact = valid.clone();
    without_contact.as_object_mut().unwrap().remove("phone");
    let mut unknown_field = valid.clone();
    unknown_field["is_vip"] = json!(true);
    let company = |code: &str| {
        with(json!({
            "applicant_type": "commercial",
            "name": "元谋县某某食品有限公司",
            "identity_document_type": "unified_social_credit_code",
            "identity_number": code,
        }))
    };

    let cases: Vec<Refusal> = vec![
        ("no contact at all", without_contact, 422, "validation_failed", Some(("contact", "required"))),
        (
            "blank contact fields",
            with(json!({"phone": "  ", "address": " "})),
            422,
            "validation_failed",
            Some(("contact", "required")),
        ),
        (
            "description of 10,001 characters",
            with(json!({"description": "请".repeat(10_001)})),
            422,
            "validation_failed",
            Some(("description", "length")),
        ),
        (
            "name of 101 characters",
            with(json!({"name": "张".repeat(101)})),
            422,
            "validation_failed",
            Some(("name", "length")),
        ),
        (
            "wrong ID check digit",
            with(json!({"identity_number": WRONG_CHECK_DIGIT_ID})),
            422,
            "validation_failed",
            Some(("identity_number", "check_digit")),
        ),
        (
            "wrong credit-code check character",
            company(WRONG_COMPANY_CODE),
            422,
            "validation_failed",
            Some(("identity_number", "check_digit")),
        ),
        (
            "natural person with a social credit code",
            with(json!({"identity_document_type": "unified_social_credit_code", "identity_number": COMPANY_CODE})),
            422,
            "validation_failed",
            Some(("identity_number", "wrong_kind_for_applicant")),
        ),
        (
            "company with a resident identity card",
            with(json!({"applicant_type": "commercial", "name": "元谋县某某食品有限公司"})),
            422,
            "validation_failed",
            Some(("identity_number", "wrong_kind_for_applicant")),
        ),
        (
            "unknown organization",
            with(json!({"organization_id": Uuid::now_v7()})),
            422,
            "validation_failed",
            Some(("organization_id", "not_found")),
        ),
        (
            "delivery by e-mail without an e-mail",
            with(json!({"delivery_method": "email"})),
            422,
            "validation_failed",
            Some(("email", "required")),
        ),
        (
            "delivery by post without an address",
            with(json!({"delivery_method": "post"})),
            422,
            "validation_failed",
            Some(("address", "required")),
        ),
        ("unknown field", unknown_field, 400, "invalid_body", None),
        (
            "NUL character in the description",
            with(json!({"description": "申请公开\u{0}低保资金发放情况"})),
            400,
            "invalid_body",
            None,
        ),
    ];
    for (case, body, status, code, field) in cases {
        let before = intake.stored().await;
        let problem = expect_problem(intake.submit(&body).await, status, code).await;
        if let Some((field, field_code)) = field {
            let codes: Vec<&str> = problem["errors"][field]
                .as_array()
                .unwrap_or_else(|| panic!("{case}: no errors.{field} in {problem}"))
                .iter()
                .map(|e| e["code"].as_str().unwrap())
                .collect();
            assert!(codes.contains(&field_code), "{case}: errors.{field} = {codes:?}; {problem}");
        }
        assert_eq!(intake.stored().await, before, "{case}: something was stored");
    }

    let before = intake.stored().await;
    let huge = with(json!({"description": "请".repeat(100_000)})).to_string();
    assert!(huge.len() > 256 * 1024);
    let response = intake
        .app
        .http
        .post(intake.app.url(SUBMIT))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_problem(response, 413, "payload_too_large").await;
    assert_eq!(intake.stored().await, before, "an oversized body stored something");

    // The refusals were about the fields, not the numbers themselves: both are accepted as intended.
    intake.file(&valid).await;
    intake.file(&company(COMPANY_CODE)).await;
    assert_eq!(intake.stored().await.0, 2);
}

#[actix_web::test]
async fn a_replayed_submission_returns_the_first_receipt_and_stores_it_once() {
    let intake = Intake::new().await;
    let key = Uuid::new_v4().to_string();
    let body = intake.application(CITIZEN_ID);
    let first = intake.submit_with_key(&key, &body).await;
    assert_eq!(first.status(), 201);
    let first_location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let after_first = intake.stored().await;
    assert_eq!(after_first.0, 1);

    let replay = intake.submit_with_key(&key, &body).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], first_location);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["tracking_code"], first["tracking_code"]);
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(intake.stored().await, after_first, "the replay stored nothing new");

    let mut changed = body.clone();
    changed["description"] = json!("2025年元谋县临时救助资金发放情况");
    let reused = intake.submit_with_key(&key, &changed).await;
    expect_problem(reused, 422, "idempotency_key_reused").await;
    assert_eq!(intake.stored().await, after_first, "a reused key stored nothing");

    // Without the key the same body is a new request, as for any POST.
    intake.file(&body).await;
    assert_eq!(intake.stored().await.0, 2);
}

#[actix_web::test]
async fn a_flood_from_one_address_is_stopped_at_the_hourly_limit() {
    let intake = Intake::new().await;
    intake.limit_submissions(3, 5).await;
    for serial in 1..=3 {
        intake.file(&intake.application(&resident_id(serial))).await;
    }
    let before = intake.stored().await;
    let fourth = intake.submit(&intake.application(&resident_id(4))).await;
    let wait = retry_after_seconds(&fourth);
    assert!((1..=3600).contains(&wait), "Retry-After {wait} lies within the hour window");
    expect_problem(fourth, 429, "rate_limited").await;
    assert_eq!(intake.stored().await, before, "the refused submission stored nothing");
    assert_eq!(before.0, 3);

    // Still refused on the next try: the limit is not a one-off.
    let fifth = intake.submit(&intake.application(&resident_id(5))).await;
    expect_problem(fifth, 429, "rate_limited").await;
    assert_eq!(intake.stored().await.0, 3);
}

#[actix_web::test]
async fn one_applicant_is_limited_per_day_whatever_the_spelling_of_the_number() {
    let intake = Intake::new().await;
    intake.limit_submissions(1000, 2).await;
    intake.file(&intake.application(CITIZEN_ID)).await;
    let mut other_matter = intake.application(CITIZEN_ID);
    other_matter["description"] = json!("2026年元谋县临时救助资金发放情况");
    intake.file(&other_matter).await;

    let before = intake.stored().await;
    let third = intake.submit(&intake.application(CITIZEN_ID)).await;
    let wait = retry_after_seconds(&third);
    assert!(wait >= 1, "Retry-After {wait}");
    expect_problem(third, 429, "rate_limited").await;
    // The number is compared as stored (upper case, no spaces): other spellings do not get around it.
    let respelled = intake.submit(&intake.application(&CITIZEN_ID.to_lowercase())).await;
    expect_problem(respelled, 429, "rate_limited").await;
    let spaced = intake.submit(&intake.application("110105 19491231 002X")).await;
    expect_problem(spaced, 429, "rate_limited").await;
    assert_eq!(intake.stored().await, before, "refused submissions stored nothing");

    // Another applicant from the same address is not affected.
    intake.file(&intake.application(&resident_id(1))).await;
    assert_eq!(intake.stored().await.0, 3);
}

#[actix_web::test]
async fn identity_number_and_phone_are_sealed_at_rest_and_never_audited_in_clear() {
    let intake = Intake::new().await;
    let key = Uuid::new_v4().to_string();
    let response = intake.submit_with_key(&key, &intake.application(CITIZEN_ID)).await;
    assert_eq!(response.status(), 201);

    // Not vacuous: the row is there, sealed and masked.
    let sealed = "SELECT count(*) AS n FROM disclosure_requests \
                  WHERE length(identity_number_sealed) > 0 AND length(phone_sealed) > 0";
    assert_eq!(intake.app.scalar(sealed).await, 1);
    let masked = format!(
        "SELECT count(*) AS n FROM disclosure_requests \
         WHERE identity_number_masked = '{CITIZEN_ID_MASKED}' AND phone_masked = '138****5678'"
    );
    assert_eq!(intake.app.scalar(&masked).await, 1);
    assert!(intake.app.audit_rows().await > 0);

    for secret in [CITIZEN_ID, CITIZEN_BIRTH_DATE, CITIZEN_PHONE] {
        // Sealed columns: the clear bytes appear nowhere inside them. (`position` over bytea, as
        // `convert_from(…, 'LATIN1')` fails on the NUL bytes any ciphertext may hold.)
        let in_sealed = format!(
            "SELECT count(*) AS n FROM disclosure_requests WHERE \
             position(convert_to('{secret}', 'UTF8') in identity_number_sealed) > 0 \
             OR position(convert_to('{secret}', 'UTF8') in coalesce(phone_sealed, ''::bytea)) > 0"
        );
        assert_eq!(intake.app.scalar(&in_sealed).await, 0, "{secret} in a sealed column");
        // Every other column of the row, as text (bytea renders as hex there).
        let in_row =
            format!("SELECT count(*) AS n FROM disclosure_requests r WHERE row_to_json(r)::text LIKE '%{secret}%'");
        assert_eq!(intake.app.scalar(&in_row).await, 0, "{secret} in clear in disclosure_requests");
        let in_audit = format!(
            "SELECT count(*) AS n FROM audit_log \
             WHERE details::text LIKE '%{secret}%' OR changed_fields::text LIKE '%{secret}%'"
        );
        assert_eq!(intake.app.scalar(&in_audit).await, 0, "{secret} in clear in audit_log");
        let in_history =
            format!("SELECT count(*) AS n FROM request_events e WHERE row_to_json(e)::text LIKE '%{secret}%'");
        assert_eq!(intake.app.scalar(&in_history).await, 0, "{secret} in clear in request_events");
        // The stored receipt kept for replays is sealed too.
        let in_replay = format!(
            "SELECT count(*) AS n FROM idempotency_keys \
             WHERE position(convert_to('{secret}', 'UTF8') in coalesce(response_body, ''::bytea)) > 0"
        );
        assert_eq!(intake.app.scalar(&in_replay).await, 0, "{secret} in clear in idempotency_keys");
    }
}

#[actix_web::test]
async fn only_the_administrator_replaces_the_settings_and_only_with_valid_values() {
    let intake = Intake::new().await;
    intake.app.create_user(&intake.admin, "mz.officer", Some(intake.civil_affairs), &["openness_officer"]).await;
    let officer = intake.app.tokens("mz.officer", &TestApp::password_of("mz.officer")).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let defaults = json!({
        "fee_payment_working_days": 20,
        "pause_while_fee_unpaid": true,
        "submissions_per_address_per_hour": 10,
        "submissions_per_applicant_per_day": 5,
    });
    let read = |token: String| {
        let request = intake.app.http.get(intake.app.url(SETTINGS)).bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(read(officer.clone()).await, defaults, "staff who handle requests may read the settings");

    let mut looser = defaults.clone();
    looser["submissions_per_address_per_hour"] = json!(10_000);
    let audit_before = intake.app.audit_rows().await;
    expect_problem(intake.put_settings(&officer, &looser).await, 403, "forbidden").await;
    let anonymous = intake.app.http.put(intake.app.url(SETTINGS)).json(&looser).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let mut zero_days = defaults.clone();
    zero_days["fee_payment_working_days"] = json!(0);
    let problem = expect_problem(intake.put_settings(&intake.admin, &zero_days).await, 422, "validation_failed").await;
    assert!(problem["errors"]["fee_payment_working_days"].is_array(), "{problem}");

    let mut incomplete = defaults.clone();
    incomplete.as_object_mut().unwrap().remove("submissions_per_applicant_per_day");
    let problem = expect_problem(intake.put_settings(&intake.admin, &incomplete).await, 422, "validation_failed").await;
    assert!(problem["errors"]["submissions_per_applicant_per_day"].is_array(), "all four are required: {problem}");

    assert_eq!(intake.app.audit_rows().await, audit_before, "refused changes are not audited as changes");
    assert_eq!(read(intake.admin.clone()).await, defaults, "nothing was changed");

    let saved = intake.put_settings(&intake.admin, &looser).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(saved.json::<Value>().await.unwrap(), looser);
    assert_eq!(read(officer).await, looser);
}

#[actix_web::test]
async fn simultaneous_submissions_by_one_applicant_cannot_pass_the_daily_limit_together() {
    let intake = Intake::new().await;
    intake.limit_submissions(1000, 1).await;
    // A script firing the same application at once must not get more through than one by one;
    // the address limit claims its slot before the work for this reason, the applicant limit must too.
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let request = intake.app.http.post(intake.app.url(SUBMIT)).json(&intake.application(CITIZEN_ID));
            actix_web::rt::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for send in sends {
        statuses.push(send.await.unwrap());
    }
    statuses.sort_unstable();
    let stored = intake.stored().await.0;
    assert_eq!(stored, 1, "a limit of 1 a day let {stored} requests through at once; statuses {statuses:?}");
    assert_eq!(statuses, [201, 429, 429, 429, 429, 429, 429, 429]);
}

#[actix_web::test]
async fn an_applicant_who_waits_as_retry_after_says_is_let_through() {
    let intake = Intake::new().await;
    intake.limit_submissions(1000, 1).await;
    intake.file(&intake.application(CITIZEN_ID)).await;
    let refused = intake.submit(&intake.application(CITIZEN_ID)).await;
    let wait = retry_after_seconds(&refused);
    expect_problem(refused, 429, "rate_limited").await;
    // The applicant waits exactly as told: every counting window now lies that much further back.
    intake
        .app
        .execute_batch(&format!(
            "UPDATE rate_limit_counters SET window_start = window_start - interval '{} seconds'",
            wait + 1
        ))
        .await;
    let after_waiting = intake.submit(&intake.application(CITIZEN_ID)).await;
    let status = after_waiting.status();
    let text = after_waiting.text().await.unwrap();
    assert_eq!(status, 201, "told to retry after {wait} s, refused again after waiting that long: {text}");
}

#[actix_web::test]
async fn a_rate_limited_submission_retried_with_its_idempotency_key_after_the_wait_is_filed() {
    let intake = Intake::new().await;
    intake.limit_submissions(1, 5).await;
    intake.file(&intake.application(&resident_id(1))).await;
    let key = Uuid::new_v4().to_string();
    let body = intake.application(&resident_id(2));
    let refused = intake.submit_with_key(&key, &body).await;
    retry_after_seconds(&refused);
    expect_problem(refused, 429, "rate_limited").await;

    // The hour passes; the client retries the same submission with the same key, as it should.
    intake.app.execute_batch("UPDATE rate_limit_counters SET window_start = window_start - interval '1 hour'").await;
    let retried = intake.submit_with_key(&key, &body).await;
    let status = retried.status();
    let replayed = retried.headers().get("idempotent-replayed").is_some();
    let retry_after = retried.headers().get("retry-after").is_some();
    let text = retried.text().await.unwrap();
    assert_eq!(
        status, 201,
        "the 429 was kept under the key and replayed (replayed: {replayed}, Retry-After present: {retry_after}): {text}"
    );
    assert_eq!(intake.stored().await.0, 2);
}
