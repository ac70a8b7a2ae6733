//! The HTTP contract every client relies on (DOMAIN.md §10): malformed input is a 4xx problem+json
//! in the caller's language carrying the request id, ETag/If-Match, Idempotency-Key, the audit
//! trail, keyset pagination, the organization tree and staff-account rules, the served contract
//! and CORS.

use std::collections::HashSet;

use e2e::{expect_problem, TestApp};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response};
use serde_json::{json, Value};
use uuid::Uuid;

const ORGANIZATIONS: &str = "/api/v1/organizations";
const USERS: &str = "/api/v1/users";
const ALLOWED_ORIGIN: &str = "https://portal.example.gov.cn";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh app and the initial administrator's access token.
async fn admin_app() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    (app, token)
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// Asserts a problem+json answer (via the harness) plus what every problem shares: never a 5xx,
/// `type` derived from the code, `instance` equal to the `X-Request-Id` header, and a
/// `Content-Language`. Returns the headers and the body.
async fn problem(response: Response, status: u16, code: &str) -> (HeaderMap, Value) {
    let headers = response.headers().clone();
    assert!(response.status().as_u16() < 500, "server error {} for expected {status} {code}", response.status());
    let body = expect_problem(response, status, code).await;
    let request_id = header(&headers, "x-request-id");
    assert!(!request_id.is_empty(), "a problem without X-Request-Id: {body}");
    assert_eq!(body["instance"], request_id.as_str(), "instance must be the request id; body: {body}");
    assert_eq!(body["type"], format!("urn:gongkai:problem:{code}"), "type; body: {body}");
    let language = header(&headers, "content-language");
    assert!(language == "zh-CN" || language == "en", "content-language {language:?}; body: {body}");
    (headers, body)
}

/// The codes of the field errors reported for `field`.
fn field_codes(body: &Value, field: &str) -> Vec<String> {
    body["errors"][field]
        .as_array()
        .unwrap_or_else(|| panic!("no errors.{field} in {body}"))
        .iter()
        .map(|e| {
            assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "field error without message: {body}");
            e["code"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A 422 `validation_failed` naming `field` with `code` first.
async fn expect_field_error(response: Response, field: &str, code: &str) -> Value {
    let (_, body) = problem(response, 422, "validation_failed").await;
    let codes = field_codes(&body, field);
    assert_eq!(codes.first().map(String::as_str), Some(code), "errors.{field}; body: {body}");
    body
}

fn org_body(name: &str) -> Value {
    json!({"name": name, "kind": "department", "parent_id": null})
}

fn post_org(app: &TestApp, token: &str) -> RequestBuilder {
    app.http.post(app.url(ORGANIZATIONS)).bearer_auth(token)
}

fn org_url(app: &TestApp, id: Uuid) -> String {
    app.url(&format!("{ORGANIZATIONS}/{id}"))
}

fn user_url(app: &TestApp, id: Uuid) -> String {
    app.url(&format!("{USERS}/{id}"))
}

/// PUT with an optional `If-Match`.
async fn put(app: &TestApp, token: &str, url: &str, if_match: Option<&str>, body: &Value) -> Response {
    let mut request = app.http.put(url).bearer_auth(token).json(body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.unwrap()
}

/// GET that must answer 200; returns the headers and the JSON body.
async fn get_ok(app: &TestApp, token: &str, url: &str) -> (HeaderMap, Value) {
    let response = app.http.get(url).bearer_auth(token).send().await.unwrap();
    let headers = response.headers().clone();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "GET {url}; body: {body}");
    (headers, body)
}

async fn organization_count(app: &TestApp) -> i64 {
    app.scalar("SELECT count(*) AS n FROM organizations").await
}

/// The id of the caller of `token`, from `/me`.
async fn my_id(app: &TestApp, token: &str) -> Uuid {
    let (_, me) = get_ok(app, token, &app.url("/api/v1/me")).await;
    me["id"].as_str().unwrap().parse().unwrap()
}

fn user_create_body(username: &str, password: &str, organization: Option<Uuid>, roles: &[&str]) -> Value {
    json!({
        "username": username,
        "password": password,
        "display_name": "测试用户",
        "organization_id": organization,
        "roles": roles,
    })
}

async fn post_user(app: &TestApp, token: &str, body: &Value) -> Response {
    app.http.post(app.url(USERS)).bearer_auth(token).json(body).send().await.unwrap()
}

fn role_set(value: &Value) -> HashSet<String> {
    value.as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Malformed input
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn invalid_json_is_400_malformed_json() {
    let (app, token) = admin_app().await;
    let raws =
        ["{\"name\": \"x\", ", "not json at all", "", "{\"name\": \"x\", \"kind\": \"department\"}}", "{'name': 'x'}"];
    for raw in raws {
        let response =
            post_org(&app, &token).header("content-type", "application/json").body(raw).send().await.unwrap();
        problem(response, 400, "malformed_json").await;
    }
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn unknown_field_is_400_invalid_body_naming_the_field() {
    let (app, token) = admin_app().await;
    let body = json!({"name": "县财政局", "kind": "department", "colour": "red"});
    let (_, problem_body) =
        problem(post_org(&app, &token).json(&body).send().await.unwrap(), 400, "invalid_body").await;
    let detail = problem_body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("colour"), "the unknown field must be named in detail: {problem_body}");
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn wrong_type_and_unknown_enum_are_400_invalid_body() {
    let (app, token) = admin_app().await;
    let bodies = [
        json!({"name": 42, "kind": "department"}),
        json!({"name": "县财政局", "kind": "ministry"}),
        json!({"name": "县财政局", "kind": "department", "parent_id": "not-a-uuid"}),
        json!({"name": "县财政局", "kind": "department", "parent_id": 7}),
        json!("县财政局"),
    ];
    for body in bodies {
        let response = post_org(&app, &token).json(&body).send().await.unwrap();
        let (_, problem_body) = problem(response, 400, "invalid_body").await;
        assert!(problem_body["detail"].as_str().is_some_and(|d| !d.is_empty()), "detail for {body}: {problem_body}");
    }
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn a_missing_required_field_is_422_naming_the_field() {
    let (app, token) = admin_app().await;
    for (body, field) in [(json!({"kind": "department"}), "name"), (json!({"name": "县财政局"}), "kind")] {
        let response = post_org(&app, &token).json(&body).send().await.unwrap();
        let (_, problem_body) = problem(response, 422, "validation_failed").await;
        assert_eq!(problem_body["errors"][field][0]["code"], "required", "{problem_body}");
    }
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn wrong_type_for_an_enum_field_is_400_invalid_body() {
    let (app, token) = admin_app().await;
    for kind in [json!(5), json!(true), json!(null), json!(["department"])] {
        let body = json!({"name": "县财政局", "kind": kind});
        let response = post_org(&app, &token).json(&body).send().await.unwrap();
        problem(response, 400, "invalid_body").await;
    }
    let body = json!({"username": "zhao.liu", "password": "Good-password-2026", "display_name": "赵六",
                      "organization_id": null, "roles": [5]});
    problem(post_user(&app, &token, &body).await, 400, "invalid_body").await;
}

#[actix_web::test]
async fn non_json_content_type_is_415() {
    let (app, token) = admin_app().await;
    let json_text = org_body("县财政局").to_string();
    let plain =
        post_org(&app, &token).header("content-type", "text/plain").body(json_text.clone()).send().await.unwrap();
    problem(plain, 415, "unsupported_media_type").await;
    let form = post_org(&app, &token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x&kind=department")
        .send()
        .await
        .unwrap();
    problem(form, 415, "unsupported_media_type").await;
    let missing = post_org(&app, &token).body(json_text).send().await.unwrap();
    problem(missing, 415, "unsupported_media_type").await;
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn body_over_256_kib_is_413() {
    let (app, token) = admin_app().await;
    let huge = json!({"name": "机".repeat(100_000), "kind": "department"}).to_string();
    assert!(huge.len() > 256 * 1024);
    let response = post_org(&app, &token).header("content-type", "application/json").body(huge.clone()).send().await;
    problem(response.unwrap(), 413, "payload_too_large").await;
    // With an Idempotency-Key the body is read by the idempotency layer first: same answer.
    let response = post_org(&app, &token)
        .header("content-type", "application/json")
        .header("idempotency-key", Uuid::new_v4().to_string())
        .body(huge)
        .send()
        .await;
    problem(response.unwrap(), 413, "payload_too_large").await;
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn blank_name_is_422_with_field_error() {
    let (app, token) = admin_app().await;
    let response = post_org(&app, &token).json(&org_body("   ")).send().await.unwrap();
    let body = expect_field_error(response, "name", "blank").await;
    assert_eq!(body["errors"].as_object().unwrap().len(), 1, "only name is wrong: {body}");
    let empty = post_org(&app, &token).json(&org_body("")).send().await.unwrap();
    expect_field_error(empty, "name", "length").await;
    let long = post_org(&app, &token).json(&org_body(&"局".repeat(201))).send().await.unwrap();
    expect_field_error(long, "name", "length").await;
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn bad_path_parameter_is_400() {
    let (app, token) = admin_app().await;
    for path in ["/api/v1/organizations/not-a-uuid", "/api/v1/organizations/123", "/api/v1/users/not-a-uuid"] {
        let response = app.http.get(app.url(path)).bearer_auth(&token).send().await.unwrap();
        problem(response, 400, "invalid_path_parameter").await;
    }
    let response = app.http.delete(app.url("/api/v1/organizations/zzz")).bearer_auth(&token).send().await.unwrap();
    problem(response, 400, "invalid_path_parameter").await;
}

#[actix_web::test]
async fn bad_query_parameters_are_400() {
    let (app, token) = admin_app().await;
    for query in ["kind=zzz", "parent_id=nope", "limit=abc", "limit=-1"] {
        let response = app.http.get(app.url(&format!("{ORGANIZATIONS}?{query}"))).bearer_auth(&token).send().await;
        problem(response.unwrap(), 400, "invalid_query_parameter").await;
    }
    let response = app.http.get(app.url("/api/v1/users?role=mayor")).bearer_auth(&token).send().await.unwrap();
    problem(response, 400, "invalid_query_parameter").await;
}

#[actix_web::test]
async fn bad_cursor_is_400_invalid_cursor() {
    let (app, token) = admin_app().await;
    // Not base64url; base64url of 3 bytes (not a UUID); base64url of 17 bytes.
    for cursor in ["!!!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAA"] {
        let url = app.url(&format!("{ORGANIZATIONS}?cursor={cursor}"));
        let response = app.http.get(url).bearer_auth(&token).send().await.unwrap();
        problem(response, 400, "invalid_cursor").await;
    }
    let response = app.http.get(app.url("/api/v1/users?cursor=!!!")).bearer_auth(&token).send().await.unwrap();
    problem(response, 400, "invalid_cursor").await;
}

#[actix_web::test]
async fn limit_out_of_range_is_422() {
    let (app, token) = admin_app().await;
    for limit in ["201", "0", "100000"] {
        let url = app.url(&format!("{ORGANIZATIONS}?limit={limit}"));
        let response = app.http.get(url).bearer_auth(&token).send().await.unwrap();
        expect_field_error(response, "limit", "range").await;
    }
    let (_, page) = get_ok(&app, &token, &app.url(&format!("{ORGANIZATIONS}?limit=200"))).await;
    assert!(page["items"].is_array(), "limit=200 is allowed: {page}");
}

#[actix_web::test]
async fn unknown_route_is_404_problem_never_html() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/does-not-exist", "/nothing-here", "/api/v2/organizations", "/api/v1/organizations/x/y/z"] {
        let response = app.http.get(app.url(path)).header("accept", "text/html").send().await.unwrap();
        problem(response, 404, "not_found").await;
    }
    let response = app.http.post(app.url("/api/v1/nope")).json(&json!({})).send().await.unwrap();
    problem(response, 404, "not_found").await;
}

#[actix_web::test]
async fn unsupported_method_is_405_problem() {
    let (app, token) = admin_app().await;
    let id = app.create_organization(&token, "县财政局", "department", None).await;
    for url in [app.url(ORGANIZATIONS), org_url(&app, id)] {
        let response = app.http.patch(&url).bearer_auth(&token).json(&json!({"name": "x"})).send().await.unwrap();
        problem(response, 405, "method_not_allowed").await;
    }
    let (_, body) = get_ok(&app, &token, &org_url(&app, id)).await;
    assert_eq!(body["version"], 1);
}

#[actix_web::test]
async fn method_not_allowed_names_the_allowed_methods() {
    let (app, token) = admin_app().await;
    let response = app.http.patch(app.url(ORGANIZATIONS)).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    let (headers, _) = problem(response, 405, "method_not_allowed").await;
    let allow = header(&headers, "allow");
    assert!(allow.contains("GET") && allow.contains("POST"), "Allow: {allow:?}");
}

#[actix_web::test]
async fn nul_character_in_text_is_a_client_error() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    let users_before = app.scalar("SELECT count(*) AS n FROM users").await;
    let responses = [
        post_org(&app, &token).json(&org_body("财政\u{0}局")).send().await.unwrap(),
        put(
            &app,
            &token,
            &org_url(&app, org),
            None,
            &json!({"name": "县财政局", "kind": "department",
            "principal_name": "张\u{0}三"}),
        )
        .await,
        post_user(
            &app,
            &token,
            &json!({"username": "zhao.liu", "password": "Good-password-2026",
            "display_name": "赵\u{0}六", "organization_id": org, "roles": ["drafter"]}),
        )
        .await,
    ];
    for response in responses {
        let status = response.status().as_u16();
        let content_type = header(response.headers(), "content-type");
        let body = response.text().await.unwrap();
        assert!(status == 400 || status == 422, "expected 400/422, got {status}: {body}");
        assert!(content_type.starts_with("application/problem+json"), "{content_type}");
    }
    assert_eq!(organization_count(&app).await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users").await, users_before);
}

// ---------------------------------------------------------------------------------------------
// 2. Language and request id
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn problem_title_follows_accept_language() {
    let (app, token) = admin_app().await;
    let url = org_url(&app, Uuid::new_v4());
    let cases = [
        (Some("en"), "en", "Not found"),
        (Some("en-US,en;q=0.9"), "en", "Not found"),
        (None, "zh-CN", "资源不存在"),
        (Some("zh-CN"), "zh-CN", "资源不存在"),
        (Some("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN", "资源不存在"),
        (Some("fr"), "zh-CN", "资源不存在"),
    ];
    for (accept, language, title) in cases {
        let mut request = app.http.get(&url).bearer_auth(&token);
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        let (headers, body) = problem(request.send().await.unwrap(), 404, "not_found").await;
        assert_eq!(header(&headers, "content-language"), language, "Accept-Language {accept:?}");
        assert_eq!(body["title"], title, "Accept-Language {accept:?}");
    }
}

#[actix_web::test]
async fn field_messages_and_detail_follow_accept_language() {
    let (app, token) = admin_app().await;
    let english = post_org(&app, &token).header("accept-language", "en").json(&org_body("  ")).send().await.unwrap();
    let body = expect_field_error(english, "name", "blank").await;
    assert_eq!(body["title"], "The input did not pass validation");
    assert_eq!(body["errors"]["name"][0]["message"], "must not be blank");
    let chinese = post_org(&app, &token).json(&org_body("  ")).send().await.unwrap();
    let body = expect_field_error(chinese, "name", "blank").await;
    assert_eq!(body["title"], "输入校验未通过");
    assert_eq!(body["errors"]["name"][0]["message"], "不能为空白");

    let text_plain = post_org(&app, &token).header("content-type", "text/plain").header("accept-language", "en");
    let (headers, body) = problem(text_plain.body("{}").send().await.unwrap(), 415, "unsupported_media_type").await;
    assert_eq!(header(&headers, "content-language"), "en");
    assert_eq!(body["title"], "Unsupported content type");
    assert_eq!(body["detail"], "The request body must be application/json");
}

#[actix_web::test]
async fn request_id_is_echoed_and_is_the_problem_instance() {
    let (app, token) = admin_app().await;
    // A caller's plain id is kept, on errors …
    let response =
        app.http.get(app.url("/api/v1/organizations/not-a-uuid")).bearer_auth(&token).header("x-request-id", "abc-123");
    let (headers, body) = problem(response.send().await.unwrap(), 400, "invalid_path_parameter").await;
    assert_eq!(header(&headers, "x-request-id"), "abc-123");
    assert_eq!(body["instance"], "abc-123");
    // … and on successes.
    let response = app.http.get(app.url(ORGANIZATIONS)).bearer_auth(&token).header("x-request-id", "abc-123");
    let response = response.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "x-request-id"), "abc-123");
    // Without one, each request gets its own.
    let first = app.http.get(app.url("/nothing")).send().await.unwrap();
    let second = app.http.get(app.url("/nothing")).send().await.unwrap();
    let (first_headers, _) = problem(first, 404, "not_found").await;
    let (second_headers, _) = problem(second, 404, "not_found").await;
    assert_ne!(header(&first_headers, "x-request-id"), header(&second_headers, "x-request-id"));
    // An id that is not short and plain is replaced, never echoed into logs or headers.
    for unsafe_id in ["has space", "semi;colon", &"x".repeat(65)] {
        let response = app.http.get(app.url("/nothing")).header("x-request-id", unsafe_id).send().await.unwrap();
        let (headers, _) = problem(response, 404, "not_found").await;
        assert_ne!(header(&headers, "x-request-id"), unsafe_id);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. ETag / If-Match
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn organization_etag_and_if_match() {
    let (app, token) = admin_app().await;
    let id = app.create_organization(&token, "县财政局", "department", None).await;
    let url = org_url(&app, id);
    let (headers, body) = get_ok(&app, &token, &url).await;
    assert_eq!(header(&headers, "etag"), "\"1\"");
    assert_eq!(body["version"], 1);

    let renamed = json!({"name": "县财政局（更名）", "kind": "department", "principal_name": "张三"});
    let response = put(&app, &token, &url, Some("\"1\""), &renamed).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), "\"2\"");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["version"], 2);
    assert_eq!(body["name"], "县财政局（更名）");

    let stale = json!({"name": "不该写入", "kind": "township"});
    problem(put(&app, &token, &url, Some("\"1\""), &stale).await, 412, "stale_version").await;
    // A tag the server never issued cannot match either.
    problem(put(&app, &token, &url, Some("\"banana\""), &stale).await, 412, "stale_version").await;
    let (headers, body) = get_ok(&app, &token, &url).await;
    assert_eq!(header(&headers, "etag"), "\"2\"", "a refused PUT leaves the row alone");
    assert_eq!(body["name"], "县财政局（更名）");
    assert_eq!(body["kind"], "department");
    assert_eq!(body["principal_name"], "张三");

    // `*` and no If-Match at all mean "any version".
    let starred = json!({"name": "县财政局（星号）", "kind": "department"});
    let response = put(&app, &token, &url, Some("*"), &starred).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), "\"3\"");
    let unconditional = json!({"name": "县财政局（无条件）", "kind": "department"});
    let response = put(&app, &token, &url, None, &unconditional).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), "\"4\"");
    let (headers, body) = get_ok(&app, &token, &url).await;
    assert_eq!(header(&headers, "etag"), "\"4\"");
    assert_eq!(body["name"], "县财政局（无条件）");
    assert_eq!(body["principal_name"], Value::Null, "PUT replaces every field");

    // DELETE honours If-Match too.
    let response = app.http.delete(&url).bearer_auth(&token).header("if-match", "\"3\"").send().await.unwrap();
    problem(response, 412, "stale_version").await;
    let response = app.http.delete(&url).bearer_auth(&token).header("if-match", "\"4\"").send().await.unwrap();
    assert_eq!(response.status(), 204);
}

#[actix_web::test]
async fn user_etag_and_if_match() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    let id = app.create_user(&token, "li.si", Some(org), &["drafter"]).await;
    let url = user_url(&app, id);
    let (headers, body) = get_ok(&app, &token, &url).await;
    assert_eq!(header(&headers, "etag"), "\"1\"");
    assert_eq!(body["version"], 1);
    assert!(body.get("password_hash").is_none(), "never expose the hash: {body}");

    let change = json!({"display_name": "李四", "organization_id": org, "roles": ["drafter"], "is_active": true});
    let response = put(&app, &token, &url, Some("\"1\""), &change).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), "\"2\"");

    let stale = json!({"display_name": "不该写入", "organization_id": org, "roles": ["principal"], "is_active": false});
    problem(put(&app, &token, &url, Some("\"1\""), &stale).await, 412, "stale_version").await;
    let (headers, body) = get_ok(&app, &token, &url).await;
    assert_eq!(header(&headers, "etag"), "\"2\"");
    assert_eq!(body["display_name"], "李四");
    assert_eq!(body["roles"], json!(["drafter"]));
    assert_eq!(body["is_active"], true);

    let unconditional =
        json!({"display_name": "李四四", "organization_id": org, "roles": ["drafter"], "is_active": true});
    let response = put(&app, &token, &url, None, &unconditional).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "etag"), "\"3\"");
    let (_, body) = get_ok(&app, &token, &url).await;
    assert_eq!(body["display_name"], "李四四");
    assert_eq!(body["version"], 3);
}

// ---------------------------------------------------------------------------------------------
// 4. Idempotency-Key
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn idempotency_key_replays_the_first_answer() {
    let (app, token) = admin_app().await;
    let key = Uuid::new_v4().to_string();
    let body = org_body("幂等局");
    let first = post_org(&app, &token).header("idempotency-key", &key).json(&body).send().await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_headers = first.headers().clone();
    let first_body = first.text().await.unwrap();

    let second = post_org(&app, &token).header("idempotency-key", &key).json(&body).send().await.unwrap();
    assert_eq!(second.status(), 201);
    let second_headers = second.headers().clone();
    let second_body = second.text().await.unwrap();
    assert_eq!(header(&second_headers, "idempotent-replayed"), "true");
    assert_eq!(second_body, first_body, "the replay is byte for byte the first answer");
    for name in ["location", "etag", "content-type"] {
        assert_eq!(header(&second_headers, name), header(&first_headers, name), "{name}");
    }
    assert_ne!(
        header(&second_headers, "x-request-id"),
        header(&first_headers, "x-request-id"),
        "the replay is a new exchange with its own request id"
    );
    assert_eq!(organization_count(&app).await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'organization.create'").await, 1);
    let (_, page) = get_ok(&app, &token, &app.url(ORGANIZATIONS)).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Without a key, the same body is a new request (and here a name conflict).
    let again = post_org(&app, &token).json(&body).send().await.unwrap();
    problem(again, 409, "organization_name_taken").await;
}

#[actix_web::test]
async fn idempotency_key_with_a_different_body_is_422() {
    let (app, token) = admin_app().await;
    let key = Uuid::new_v4().to_string();
    let first = post_org(&app, &token).header("idempotency-key", &key).json(&org_body("甲局")).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let second = post_org(&app, &token).header("idempotency-key", &key).json(&org_body("乙局")).send().await.unwrap();
    problem(second, 422, "idempotency_key_reused").await;
    assert_eq!(organization_count(&app).await, 1);
}

#[actix_web::test]
async fn malformed_idempotency_key_is_400() {
    let (app, token) = admin_app().await;
    for key in ["not-a-uuid", "12345", ""] {
        let response = post_org(&app, &token).header("idempotency-key", key).json(&org_body("甲局")).send().await;
        problem(response.unwrap(), 400, "invalid_idempotency_key").await;
    }
    assert_eq!(organization_count(&app).await, 0);
}

#[actix_web::test]
async fn idempotency_keys_are_scoped_to_the_caller() {
    let (app, token) = admin_app().await;
    app.create_user(&token, "admin2", None, &["system_admin"]).await;
    let other =
        app.tokens("admin2", &TestApp::password_of("admin2")).await["access_token"].as_str().unwrap().to_owned();
    let key = Uuid::new_v4().to_string();

    let first = post_org(&app, &token).header("idempotency-key", &key).json(&org_body("甲局")).send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    // Same key, another caller (and another body): a fresh key for them, not a 422 nor a replay.
    let theirs = post_org(&app, &other).header("idempotency-key", &key).json(&org_body("乙局")).send().await.unwrap();
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
    let theirs: Value = theirs.json().await.unwrap();
    assert_ne!(theirs["id"], first["id"]);
    assert_eq!(theirs["name"], "乙局");

    // Their own repeat is replayed from their own record.
    let repeat = post_org(&app, &other).header("idempotency-key", &key).json(&org_body("乙局")).send().await.unwrap();
    assert_eq!(repeat.status(), 201);
    assert_eq!(header(repeat.headers(), "idempotent-replayed"), "true");
    let repeat: Value = repeat.json().await.unwrap();
    assert_eq!(repeat["id"], theirs["id"]);
    assert_eq!(organization_count(&app).await, 2);
}

// ---------------------------------------------------------------------------------------------
// 5. Audit log
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn creating_an_organization_writes_one_audit_row_with_the_request_id() {
    let (app, token) = admin_app().await;
    let admin = my_id(&app, &token).await;
    let response = post_org(&app, &token).json(&org_body("审计局")).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let request_id = header(response.headers(), "x-request-id");
    assert!(!request_id.is_empty());
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();

    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'organization.create'").await, 1);
    assert_eq!(app.scalar(&format!("SELECT count(*) AS n FROM audit_log WHERE request_id = '{request_id}'")).await, 1);
    let exact = format!(
        "SELECT count(*) AS n FROM audit_log WHERE request_id = '{request_id}' AND action = 'organization.create' \
         AND entity_type = 'organization' AND entity_id = '{id}' AND actor_kind = 'user' AND actor_id = '{admin}'"
    );
    assert_eq!(app.scalar(&exact).await, 1, "the row names the actor, the entity and the request");

    // A caller-supplied request id is the one recorded.
    let response =
        post_org(&app, &token).header("x-request-id", "trace-42").json(&org_body("审计二局")).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE request_id = 'trace-42'").await, 1);
}

#[actix_web::test]
async fn failed_requests_write_no_audit_row() {
    let (app, token) = admin_app().await;
    let parent = app.create_organization(&token, "县政府", "county_government", None).await;
    app.create_organization(&token, "县财政局", "department", Some(parent)).await;
    let before = app.audit_rows().await;

    let duplicate = json!({"name": "县财政局", "kind": "department", "parent_id": parent});
    problem(post_org(&app, &token).json(&duplicate).send().await.unwrap(), 409, "organization_name_taken").await;
    // Surrounding white space is trimmed before the uniqueness check.
    let padded = json!({"name": "  县财政局 ", "kind": "township", "parent_id": parent});
    problem(post_org(&app, &token).json(&padded).send().await.unwrap(), 409, "organization_name_taken").await;
    expect_field_error(post_org(&app, &token).json(&org_body(" ")).send().await.unwrap(), "name", "blank").await;
    let orphan = json!({"name": "孤儿局", "kind": "department", "parent_id": Uuid::new_v4()});
    expect_field_error(post_org(&app, &token).json(&orphan).send().await.unwrap(), "parent_id", "not_found").await;
    let stale = json!({"name": "县政府（改）", "kind": "county_government"});
    problem(put(&app, &token, &org_url(&app, parent), Some("\"9\""), &stale).await, 412, "stale_version").await;
    let in_use = app.http.delete(org_url(&app, parent)).bearer_auth(&token).send().await.unwrap();
    problem(in_use, 409, "organization_in_use").await;

    assert_eq!(app.audit_rows().await, before, "refused requests leave no audit trace");
    // The same name under another parent is fine, and is audited.
    app.create_organization(&token, "县财政局", "department", None).await;
    assert_eq!(app.audit_rows().await, before + 1);
}

#[actix_web::test]
async fn audit_log_refuses_update_delete_and_truncate() {
    use diesel_async::RunQueryDsl;
    let (app, token) = admin_app().await;
    app.create_organization(&token, "审计局", "department", None).await;
    let before = app.audit_rows().await;
    assert!(before >= 1);
    let mut conn = persistence::connection(&app.pool).await.expect("db");
    for sql in [
        "UPDATE audit_log SET action = 'tampered'",
        "UPDATE audit_log SET request_id = NULL WHERE action = 'organization.create'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'organization.create'",
        "TRUNCATE audit_log",
    ] {
        let result = diesel::sql_query(sql).execute(&mut conn).await;
        assert!(result.is_err(), "`{sql}` must be refused, got {result:?}");
    }
    drop(conn);
    assert_eq!(app.audit_rows().await, before);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'tampered'").await, 0);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'organization.create'").await, 1);
}

// ---------------------------------------------------------------------------------------------
// 6. Keyset pagination
// ---------------------------------------------------------------------------------------------

/// Walks every page of `path` (which already has a query string) and returns the page sizes and
/// the ids in order.
async fn walk_pages(app: &TestApp, token: &str, path: &str) -> (Vec<usize>, Vec<String>) {
    let mut sizes = Vec::new();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => app.url(&format!("{path}&cursor={c}")),
            None => app.url(path),
        };
        let (_, page) = get_ok(app, token, &url).await;
        let items = page["items"].as_array().unwrap_or_else(|| panic!("no items: {page}"));
        sizes.push(items.len());
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match &page["next_cursor"] {
            Value::String(next) => cursor = Some(next.clone()),
            Value::Null => break,
            other => panic!("next_cursor must be a string or null, got {other}"),
        }
        assert!(sizes.len() < 20, "pagination does not end: {sizes:?}");
    }
    (sizes, ids)
}

#[actix_web::test]
async fn keyset_pagination_visits_every_organization_once() {
    let (app, token) = admin_app().await;
    assert_eq!(organization_count(&app).await, 0, "a fresh database has no organizations");
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_organization(&token, &format!("乡镇{i}"), "township", None).await.to_string());
    }

    let (sizes, ids) = walk_pages(&app, &token, &format!("{ORGANIZATIONS}?limit=2")).await;
    assert_eq!(sizes, vec![2, 2, 1]);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates: {ids:?}");
    assert_eq!(ids, created, "every id, oldest first");

    // An exact fit leaves no next page; a larger limit gives everything at once.
    let (sizes, _) = walk_pages(&app, &token, &format!("{ORGANIZATIONS}?limit=5")).await;
    assert_eq!(sizes, vec![5]);
    let (sizes, _) = walk_pages(&app, &token, &format!("{ORGANIZATIONS}?limit=50")).await;
    assert_eq!(sizes, vec![5]);

    // Filters combine with the cursor.
    app.create_organization(&token, "县财政局", "department", None).await;
    let (sizes, ids) = walk_pages(&app, &token, &format!("{ORGANIZATIONS}?kind=township&limit=2")).await;
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(ids, created);
}

// ---------------------------------------------------------------------------------------------
// 7. Organizations
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn organization_tree_rules() {
    let (app, token) = admin_app().await;
    let parent = app.create_organization(&token, "县人民政府", "county_government", None).await;
    let child = app.create_organization(&token, "县政府办公室", "government_office", Some(parent)).await;
    let grandchild = app.create_organization(&token, "督查室", "department", Some(child)).await;
    let parent_url = org_url(&app, parent);

    // Cycles: under its own child, grandchild, or itself.
    for new_parent in [child, grandchild, parent] {
        let body = json!({"name": "县人民政府", "kind": "county_government", "parent_id": new_parent});
        problem(put(&app, &token, &parent_url, Some("\"1\""), &body).await, 409, "organization_cycle").await;
    }
    let (headers, body) = get_ok(&app, &token, &parent_url).await;
    assert_eq!(body["parent_id"], Value::Null);
    assert_eq!(header(&headers, "etag"), "\"1\"");

    // A parent pointing nowhere is a field error, on create and on update.
    let nowhere = Uuid::new_v4();
    let orphan = json!({"name": "孤儿局", "kind": "department", "parent_id": nowhere});
    expect_field_error(post_org(&app, &token).json(&orphan).send().await.unwrap(), "parent_id", "not_found").await;
    let moved = json!({"name": "督查室", "kind": "department", "parent_id": nowhere});
    let response = put(&app, &token, &org_url(&app, grandchild), None, &moved).await;
    expect_field_error(response, "parent_id", "not_found").await;

    // Children listed by parent.
    let (_, page) = get_ok(&app, &token, &app.url(&format!("{ORGANIZATIONS}?parent_id={parent}"))).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], child.to_string());

    // In use while it has children.
    let response = app.http.delete(&parent_url).bearer_auth(&token).send().await.unwrap();
    problem(response, 409, "organization_in_use").await;
    let response = app.http.delete(org_url(&app, child)).bearer_auth(&token).send().await.unwrap();
    problem(response, 409, "organization_in_use").await;
    get_ok(&app, &token, &parent_url).await;

    // Leaves can go, then they are gone.
    for leaf in [grandchild, child] {
        let response = app.http.delete(org_url(&app, leaf)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 204);
        assert!(response.text().await.unwrap().is_empty());
        let response = app.http.get(org_url(&app, leaf)).bearer_auth(&token).send().await.unwrap();
        problem(response, 404, "not_found").await;
        let response = app.http.delete(org_url(&app, leaf)).bearer_auth(&token).send().await.unwrap();
        problem(response, 404, "not_found").await;
    }
    let ghost = json!({"name": "不存在", "kind": "department"});
    problem(put(&app, &token, &org_url(&app, child), None, &ghost).await, 404, "not_found").await;

    // A staff member also keeps an organization in use.
    app.create_user(&token, "wang.wu", Some(parent), &["drafter"]).await;
    let response = app.http.delete(&parent_url).bearer_auth(&token).send().await.unwrap();
    problem(response, 409, "organization_in_use").await;
    assert_eq!(organization_count(&app).await, 1);
}

#[actix_web::test]
async fn renaming_onto_a_sibling_name_is_409() {
    let (app, token) = admin_app().await;
    let parent = app.create_organization(&token, "县人民政府", "county_government", None).await;
    app.create_organization(&token, "县财政局", "department", Some(parent)).await;
    let other = app.create_organization(&token, "县教育局", "department", Some(parent)).await;
    let clash = json!({"name": "县财政局", "kind": "department", "parent_id": parent});
    problem(put(&app, &token, &org_url(&app, other), None, &clash).await, 409, "organization_name_taken").await;
    let (_, body) = get_ok(&app, &token, &org_url(&app, other)).await;
    assert_eq!(body["name"], "县教育局");
}

// ---------------------------------------------------------------------------------------------
// 8. Users
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn user_input_validation() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    let good_password = "Good-password-2026";

    let weak = user_create_body("zhao.liu", "short", Some(org), &["drafter"]);
    expect_field_error(post_user(&app, &token, &weak).await, "password", "password_too_short").await;
    for bad_name in ["Bad Name", "BadName", "ab", "-leading-dash", "名字"] {
        let body = user_create_body(bad_name, good_password, Some(org), &["drafter"]);
        expect_field_error(post_user(&app, &token, &body).await, "username", "username_format").await;
    }
    let blank = json!({"username": "zhao.liu", "password": good_password, "display_name": "  ",
                       "organization_id": org, "roles": ["drafter"]});
    expect_field_error(post_user(&app, &token, &blank).await, "display_name", "blank").await;

    let homeless = user_create_body("zhao.liu", good_password, None, &["drafter"]);
    expect_field_error(post_user(&app, &token, &homeless).await, "organization_id", "required").await;
    let homeless = user_create_body("zhao.liu", good_password, None, &[]);
    expect_field_error(post_user(&app, &token, &homeless).await, "organization_id", "required").await;
    let nowhere = user_create_body("zhao.liu", good_password, Some(Uuid::new_v4()), &["drafter"]);
    expect_field_error(post_user(&app, &token, &nowhere).await, "organization_id", "not_found").await;

    let bad_role = user_create_body("zhao.liu", good_password, Some(org), &["mayor"]);
    problem(post_user(&app, &token, &bad_role).await, 400, "invalid_body").await;

    // Nothing of the above was created; a deployment-wide system_admin needs no organization.
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users").await, 1);
    let admin = user_create_body("zhao.liu", good_password, None, &["system_admin"]);
    let response = post_user(&app, &token, &admin).await;
    assert_eq!(response.status(), 201);
    assert!(header(response.headers(), "location").starts_with("/api/v1/users/"));
    assert_eq!(header(response.headers(), "etag"), "\"1\"");
}

#[actix_web::test]
async fn password_rule_failures_name_the_password_field() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    let simple = user_create_body("zhao.liu", "abcdefghijkl", Some(org), &["drafter"]);
    expect_field_error(post_user(&app, &token, &simple).await, "password", "password_too_simple").await;
    let same = user_create_body("zhao-liu-2026", "zhao-liu-2026", Some(org), &["drafter"]);
    expect_field_error(post_user(&app, &token, &same).await, "password", "password_equals_username").await;
}

#[actix_web::test]
async fn duplicate_username_is_409() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    app.create_user(&token, "sun.qi", Some(org), &["drafter"]).await;
    let before = app.audit_rows().await;
    let again = user_create_body("sun.qi", "Other-password-2026", Some(org), &["principal"]);
    problem(post_user(&app, &token, &again).await, 409, "username_taken").await;
    let admin = user_create_body("admin", "Other-password-2026", None, &["system_admin"]);
    problem(post_user(&app, &token, &admin).await, 409, "username_taken").await;
    assert_eq!(app.audit_rows().await, before);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users").await, 2);
}

#[actix_web::test]
async fn the_last_system_admin_cannot_be_removed() {
    let (app, token) = admin_app().await;
    let admin = my_id(&app, &token).await;
    let admin_url = user_url(&app, admin);
    let org = app.create_organization(&token, "县财政局", "department", None).await;

    let response = app.http.delete(&admin_url).bearer_auth(&token).send().await.unwrap();
    problem(response, 409, "last_system_admin").await;
    let deactivate =
        json!({"display_name": "管理员", "organization_id": null, "roles": ["system_admin"], "is_active": false});
    problem(put(&app, &token, &admin_url, None, &deactivate).await, 409, "last_system_admin").await;
    let demote = json!({"display_name": "管理员", "organization_id": org, "roles": ["drafter"], "is_active": true});
    problem(put(&app, &token, &admin_url, None, &demote).await, 409, "last_system_admin").await;
    let (_, body) = get_ok(&app, &token, &admin_url).await;
    assert_eq!(body["is_active"], true);
    assert_eq!(body["roles"], json!(["system_admin"]));
    app.tokens(e2e::ADMIN_USERNAME, e2e::ADMIN_PASSWORD).await;

    // A second, later deactivated, administrator does not count.
    let second = app.create_user(&token, "admin2", None, &["system_admin"]).await;
    let response = app.http.delete(user_url(&app, second)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let (_, body) = get_ok(&app, &token, &user_url(&app, second)).await;
    assert_eq!(body["is_active"], false);
    problem(app.login("admin2", &TestApp::password_of("admin2")).await, 401, "invalid_credentials").await;
    let response = app.http.delete(&admin_url).bearer_auth(&token).send().await.unwrap();
    problem(response, 409, "last_system_admin").await;
}

#[actix_web::test]
async fn put_changes_a_users_roles() {
    let (app, token) = admin_app().await;
    let org = app.create_organization(&token, "县财政局", "department", None).await;
    let id = app.create_user(&token, "zhou.ba", Some(org), &["drafter"]).await;
    let url = user_url(&app, id);

    let change = json!({"display_name": "周八", "organization_id": org, "roles": ["openness_officer", "drafter"], "is_active": true});
    let response = put(&app, &token, &url, Some("\"1\""), &change).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(role_set(&body["roles"]), HashSet::from(["drafter".to_owned(), "openness_officer".to_owned()]));
    let (_, body) = get_ok(&app, &token, &url).await;
    assert_eq!(role_set(&body["roles"]), HashSet::from(["drafter".to_owned(), "openness_officer".to_owned()]));
    assert_eq!(body["display_name"], "周八");
    assert_eq!(body["version"], 2);

    let change = json!({"display_name": "周八", "organization_id": org, "roles": ["principal"], "is_active": true});
    assert_eq!(put(&app, &token, &url, Some("\"2\""), &change).await.status(), 200);
    let (_, body) = get_ok(&app, &token, &url).await;
    assert_eq!(body["roles"], json!(["principal"]));
    // The roles in effect at the next login are the new ones.
    let own =
        app.tokens("zhou.ba", &TestApp::password_of("zhou.ba")).await["access_token"].as_str().unwrap().to_owned();
    let (_, me) = get_ok(&app, &own, &app.url("/api/v1/me")).await;
    assert_eq!(me["roles"], json!(["principal"]));
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS n FROM audit_log WHERE action = 'user.update' AND entity_id = '{id}'"))
            .await,
        2
    );
}

// ---------------------------------------------------------------------------------------------
// 9. The contract served
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn openapi_document_is_served() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(response.headers(), "content-type").starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "openapi version: {}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for path in ["/api/v1/organizations", "/api/v1/organizations/{id}", "/api/v1/users", "/api/v1/meta/enums"] {
        assert!(paths.contains_key(path), "missing {path}");
    }
    assert!(doc["paths"]["/api/v1/organizations"]["post"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let responses = &doc["paths"]["/api/v1/organizations"]["post"]["responses"];
    assert!(responses["422"]["content"]["application/problem+json"].is_object(), "422 problem: {responses}");
}

#[actix_web::test]
async fn swagger_ui_is_served_locally() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(response.headers(), "content-type").starts_with("text/html"));
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "not Swagger UI: {html}");
    for cdn in ["unpkg.com", "cdn.jsdelivr", "cdnjs"] {
        assert!(!html.contains(cdn), "Swagger UI must not load from a CDN ({cdn})");
    }
    let script = app.http.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(script.status(), 200, "the bundle is served from this server");
    let initializer = app.http.get(app.url("/docs/swagger-initializer.js")).send().await.unwrap();
    assert_eq!(initializer.status(), 200);
    assert!(initializer.text().await.unwrap().contains("/api/v1/openapi.json"));
    let bare = app.http.get(app.url("/docs")).send().await.unwrap();
    assert!(bare.status().is_redirection(), "/docs redirects, got {}", bare.status());
    assert!(header(bare.headers(), "location").ends_with("/docs/"));
}

#[actix_web::test]
async fn enumerations_are_listed_with_both_labels() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/api/v1/meta/enums")).send().await.unwrap();
    assert_eq!(response.status(), 200, "no login needed");
    let body: Value = response.json().await.unwrap();
    let catalogs = body["enums"].as_array().unwrap();
    for (name, sample) in [("organization_kind", "township"), ("role", "system_admin"), ("scope", "public:read")] {
        let catalog = catalogs.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name} in {body}"));
        let values = catalog["values"].as_array().unwrap();
        assert!(values.iter().any(|v| v["code"] == sample), "{name} lacks {sample}");
        for value in values {
            let zh = value["label_zh"].as_str().unwrap_or_default();
            let en = value["label_en"].as_str().unwrap_or_default();
            assert!(!zh.is_empty() && !zh.is_ascii(), "{name}: zh label {value}");
            assert!(!en.is_empty() && en.is_ascii(), "{name}: en label {value}");
        }
    }
    let kinds = catalogs.iter().find(|c| c["name"] == "organization_kind").unwrap()["values"].as_array().unwrap().len();
    assert_eq!(kinds, 6);
}

// ---------------------------------------------------------------------------------------------
// 10. CORS
// ---------------------------------------------------------------------------------------------

fn preflight(app: &TestApp, origin: &str) -> RequestBuilder {
    app.http
        .request(reqwest::Method::OPTIONS, app.url(ORGANIZATIONS))
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "authorization, content-type, if-match, idempotency-key")
}

#[actix_web::test]
async fn cors_preflight_allows_the_listed_origin() {
    let app = TestApp::spawn().await;
    let response = preflight(&app, ALLOWED_ORIGIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(header(headers, "access-control-allow-origin"), ALLOWED_ORIGIN);
    assert!(header(headers, "access-control-allow-methods").contains("PUT"));
    let allowed_headers = header(headers, "access-control-allow-headers").to_ascii_lowercase();
    for name in ["authorization", "content-type", "if-match", "idempotency-key"] {
        assert!(allowed_headers.contains(name), "{name} not in {allowed_headers}");
    }

    // The actual request exposes the headers clients need.
    let token = app.admin_token().await;
    let response =
        app.http.get(app.url(ORGANIZATIONS)).bearer_auth(&token).header("origin", ALLOWED_ORIGIN).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(response.headers(), "access-control-allow-origin"), ALLOWED_ORIGIN);
    let exposed = header(response.headers(), "access-control-expose-headers").to_ascii_lowercase();
    for name in ["etag", "x-request-id", "idempotent-replayed", "location"] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
}

#[actix_web::test]
async fn cors_refuses_an_unlisted_origin() {
    let app = TestApp::spawn().await;
    let response = preflight(&app, "https://evil.example.com").send().await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
    problem(response, 400, "bad_request").await;

    let token = app.admin_token().await;
    let response =
        app.http.get(app.url(ORGANIZATIONS)).bearer_auth(&token).header("origin", "https://evil.example.com");
    let response = response.send().await.unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
    assert!(response.status().as_u16() < 500);
}
