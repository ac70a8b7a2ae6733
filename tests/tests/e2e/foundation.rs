use e2e::{expect_problem, TestApp, ADMIN_PASSWORD, ADMIN_USERNAME};
use serde_json::{json, Value};

#[actix_web::test]
async fn admin_logs_in_and_sees_itself() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let me: Value = app.http.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], ADMIN_USERNAME);
    assert_eq!(me["roles"], json!(["system_admin"]));
    assert_eq!(me["kind"], "user");
}

#[actix_web::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[actix_web::test]
async fn wrong_password_is_401_problem() {
    let app = TestApp::spawn().await;
    let response = app.login(ADMIN_USERNAME, "not-the-password-1").await;
    expect_problem(response, 401, "invalid_credentials").await;
    let _ = ADMIN_PASSWORD;
}

#[actix_web::test]
async fn unknown_paths_are_404_and_wrong_methods_405_problems() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let wrong_method = app.http.patch(app.url("/api/v1/organizations")).bearer_auth(&token).send().await.unwrap();
    expect_problem(wrong_method, 405, "method_not_allowed").await;
    let unknown = app.http.get(app.url("/api/v1/no-such-thing")).bearer_auth(&token).send().await.unwrap();
    expect_problem(unknown, 404, "not_found").await;
}

#[actix_web::test]
async fn secrets_are_never_kept_for_idempotent_replay() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let key = uuid::Uuid::new_v4().to_string();
    let create = || {
        app.http
            .post(app.url("/api/v1/oauth-clients"))
            .bearer_auth(&token)
            .header("idempotency-key", &key)
            .json(&json!({"name": "州级平台", "scopes": ["sync:read"]}))
            .send()
    };
    let first = create().await.unwrap();
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["cache-control"], "no-store");
    expect_problem(create().await.unwrap(), 409, "idempotency_key_used").await;
    assert_eq!(app.scalar("SELECT count(*) AS n FROM oauth_clients").await, 1, "the repeat created nothing");
    let stored = "SELECT count(*) AS n FROM idempotency_keys WHERE response_body IS NOT NULL";
    assert_eq!(app.scalar(stored).await, 0, "the secret is not stored");

    // Logins are never replayed either: each gives a fresh single-use refresh token.
    let login = || {
        app.http
            .post(app.url("/api/v1/auth/login"))
            .header("idempotency-key", &key)
            .json(&json!({"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}))
            .send()
    };
    let a: Value = login().await.unwrap().json().await.unwrap();
    let b: Value = login().await.unwrap().json().await.unwrap();
    assert_ne!(a["refresh_token"], b["refresh_token"]);
}

#[actix_web::test]
async fn a_change_whose_audit_row_fails_is_not_written() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    // Fault injection: the audit log refuses this one action.
    app.execute_batch(
        "CREATE FUNCTION refuse_org_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.action = 'organization.create' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER refuse_org_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_org_audit()",
    )
    .await;
    let response = app
        .http
        .post(app.url("/api/v1/organizations"))
        .bearer_auth(&token)
        .json(&json!({"name": "元谋县统计局", "kind": "department"}))
        .send()
        .await
        .unwrap();
    expect_problem(response, 500, "internal_error").await;
    assert_eq!(
        app.scalar("SELECT count(*) AS n FROM organizations").await,
        0,
        "the change rolled back with its audit row"
    );
}

#[actix_web::test]
async fn a_public_read_client_sees_nothing_staff_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let created: Value = app
        .http
        .post(app.url("/api/v1/oauth-clients"))
        .bearer_auth(&admin)
        .json(&json!({"name": "微信小程序后端", "scopes": ["public:read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let issued: Value = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap();
    let orgs = app.http.get(app.url("/api/v1/organizations")).bearer_auth(token).send().await.unwrap();
    expect_problem(orgs, 403, "forbidden").await;
    let documents = app.http.get(app.url("/api/v1/documents")).bearer_auth(token).send().await.unwrap();
    expect_problem(documents, 403, "forbidden").await;
    let public = app.http.get(app.url("/api/v1/public/documents")).bearer_auth(token).send().await.unwrap();
    assert_eq!(public.status(), 200);
}

#[actix_web::test]
async fn an_abandoned_idempotency_claim_expires_and_a_live_one_answers_409() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let me: Value = app.http.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let subject = me["id"].as_str().unwrap();
    let (live, abandoned) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let body = r#"{"name": "元谋县审计局", "kind": "department"}"#;
    // The same request hash the server computes: SHA-256 of "POST <path>\n<body>".
    let hash =
        format!("encode(sha256(convert_to('POST /api/v1/organizations' || chr(10) || '{body}', 'UTF8')), 'hex')");
    app.execute_batch(&format!(
        "INSERT INTO idempotency_keys (scope, key, method, path, request_hash, created_at) VALUES \
         ('sub:{subject}', '{live}', 'POST', '/api/v1/organizations', {hash}, now()), \
         ('sub:{subject}', '{abandoned}', 'POST', '/api/v1/organizations', {hash}, now() - interval '2 minutes')"
    ))
    .await;
    let post = |key: uuid::Uuid| {
        app.http
            .post(app.url("/api/v1/organizations"))
            .bearer_auth(&token)
            .header("idempotency-key", key.to_string())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    expect_problem(post(live).await.unwrap(), 409, "idempotency_key_in_progress").await;
    assert_eq!(post(abandoned).await.unwrap().status(), 201, "a claim whose request never finished expires");
}

#[actix_web::test]
async fn an_oversized_token_request_is_refused_in_oauth_form() {
    let app = TestApp::spawn().await;
    let huge = format!("grant_type=client_credentials&scope={}", "a".repeat(300 * 1024));
    let response = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
