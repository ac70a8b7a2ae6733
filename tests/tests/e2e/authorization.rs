//! Generated from the live contract: every operation that is not public answers 401 without a
//! token and with a forged one, and 403 or 404 for a caller with no role at all — so a new route
//! cannot forget its check.

use e2e::TestApp;
use serde_json::{json, Value};

fn operations(doc: &Value) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if !["get", "post", "put", "delete"].contains(&method.as_str()) {
                continue;
            }
            let public = operation["security"].as_array().is_some_and(|s| {
                s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty()) || r.get("client_credentials").is_some())
            });
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string()).replace("{year}", "2026");
            out.push((method.to_uppercase(), concrete, public));
        }
    }
    out
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let url = app.url(path);
    let request = match method {
        "GET" => app.http.get(url),
        "POST" => app.http.post(url).json(&json!({})),
        "PUT" => app.http.put(url).json(&json!({})),
        _ => app.http.delete(url),
    };
    e2e::send_as(request, token).await
}

#[actix_web::test]
async fn every_protected_operation_refuses_anonymous_and_forged_callers() {
    let app = TestApp::spawn().await;
    let doc: Value = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let ops = operations(&doc);
    assert!(ops.iter().filter(|(_, _, public)| !public).count() >= 40, "the contract lists the protected operations");
    for (method, path, public) in &ops {
        if *public {
            continue;
        }
        let anonymous = call(&app, method, path, None).await;
        assert_eq!(anonymous.status(), 401, "{method} {path} without a token");
        let forged = call(&app, method, path, Some("eyJhbGciOiJub25lIn0.e30.")).await;
        assert_eq!(forged.status(), 401, "{method} {path} with a forged token");
    }
}

#[actix_web::test]
async fn a_caller_without_roles_reaches_no_protected_data() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "元谋县档案馆", "public_institution", None).await;
    app.create_user(&admin, "no.roles", Some(org), &[]).await;
    let token =
        app.tokens("no.roles", &TestApp::password_of("no.roles")).await["access_token"].as_str().unwrap().to_owned();
    let doc: Value = app.http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    // What any member of staff may read, by design.
    let readable = ["/api/v1/me", "/api/v1/organizations", "/api/v1/experts", "/api/v1/documents"];
    for (method, path, public) in operations(&doc) {
        if public || (method == "GET" && readable.contains(&path.as_str())) {
            continue;
        }
        let status = call(&app, &method, &path, Some(&token)).await.status().as_u16();
        assert!(matches!(status, 400 | 403 | 404 | 422), "{method} {path} answered {status} to a caller without roles");
    }
}
