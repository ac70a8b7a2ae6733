//! Authentication and authorization end to end: password login and its back-off, rotating refresh
//! tokens, OAuth 2.0 client credentials, access-token verification against forgeries, and roles.

use std::net::TcpListener;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use api::auth::keys::{Claims, TokenKeys, AUDIENCE, ISSUER};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::{Principal, Role};
use e2e::{expect_problem, TestApp, ADMIN_PASSWORD, ADMIN_USERNAME};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use persistence::test_databases::TestDatabase;
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

/// Failed logins (or client authentications) tolerated per address per window (`Limits::default`).
const ADDRESS_LIMIT: usize = 30;
const WINDOW_SECS: u64 = 15 * 60;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().expect("ASCII header").to_owned())
}

/// A header holding whole seconds, which must be present and positive.
fn seconds_header(response: &Response, name: &str) -> i64 {
    let value = header(response, name).unwrap_or_else(|| panic!("{name} missing; headers: {:?}", response.headers()));
    let seconds: i64 = value.parse().unwrap_or_else(|_| panic!("{name} is not whole seconds: {value:?}"));
    assert!(seconds > 0, "{name} must be positive, got {seconds}");
    seconds
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_segment(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url segment")).expect("JSON segment")
}

/// The (header, claims) of a compact JWS, without checking anything.
fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three parts: {token}");
    (decode_segment(parts[0]), decode_segment(parts[1]))
}

/// A token with the given header and claims and a literal signature part.
fn hand_built_token(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()))
}

/// Signs any claims with an Ed25519 PKCS#8 PEM, announcing `kid`.
fn sign_ed25519(pem: &str, kid: &str, claims: &impl serde::Serialize) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem.as_bytes()).expect("Ed25519 PEM")).unwrap()
}

/// A key set of our own, unknown to the server, with its PEM.
struct ForeignKey {
    keys: TokenKeys,
    pem: String,
    _dir: tempfile::TempDir,
}

fn foreign_key() -> ForeignKey {
    let dir = tempfile::tempdir().unwrap();
    let keys = TokenKeys::load_or_generate(None, dir.path()).expect("second key set");
    let pem = std::fs::read_to_string(dir.path().join("keys").join("jwt-ed25519.pem")).expect("second key PEM");
    ForeignKey { keys, pem, _dir: dir }
}

fn admin_principal(admin_id: Uuid) -> Principal {
    Principal::User { user_id: admin_id, organization_id: None, roles: vec![Role::SystemAdmin] }
}

async fn me(app: &TestApp, token: &str) -> Response {
    app.http.get(app.url("/api/v1/me")).bearer_auth(token).send().await.unwrap()
}

async fn me_body(app: &TestApp, token: &str) -> Value {
    let response = me(app, token).await;
    assert_eq!(response.status(), 200, "GET /me");
    response.json().await.unwrap()
}

async fn admin_id(app: &TestApp, admin: &str) -> Uuid {
    me_body(app, admin).await["id"].as_str().unwrap().parse().unwrap()
}

async fn jwks(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The `kid` the server signs with, read from a token it issued.
fn kid_of(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().expect("kid in the token header").to_owned()
}

/// 401 `invalid_token` with an RFC 6750 challenge, on GET `url` with `token`.
async fn expect_token_refused_at(http: &reqwest::Client, url: String, token: &str, what: &str) {
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    let challenge = header(&response, "www-authenticate");
    assert_eq!(response.status(), 401, "{what}: must be refused");
    let body = expect_problem(response, 401, "invalid_token").await;
    assert_eq!(challenge.as_deref(), Some("Bearer error=\"invalid_token\""), "{what}: challenge; body {body}");
}

async fn expect_token_refused(app: &TestApp, token: &str, what: &str) {
    expect_token_refused_at(&app.http, app.url("/api/v1/me"), token, what).await;
}

async fn post_json(app: &TestApp, path: &str, body: Value) -> Response {
    app.http.post(app.url(path)).json(&body).send().await.unwrap()
}

async fn refresh(app: &TestApp, refresh_token: &str) -> Response {
    post_json(app, "/api/v1/auth/refresh", json!({"refresh_token": refresh_token})).await
}

async fn logout(app: &TestApp, refresh_token: &str) -> Response {
    post_json(app, "/api/v1/auth/logout", json!({"refresh_token": refresh_token})).await
}

fn str_field(body: &Value, field: &str) -> String {
    body[field].as_str().unwrap_or_else(|| panic!("{field} missing in {body}")).to_owned()
}

/// Asserts the full shape of a password-login or refresh answer and returns its body.
async fn expect_token_pair(response: Response) -> Value {
    assert_eq!(response.status(), 200, "token pair expected");
    assert_eq!(header(&response, "cache-control").as_deref(), Some("no-store"));
    assert_eq!(header(&response, "pragma").as_deref(), Some("no-cache"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!(expires_in > 0 && expires_in <= 900, "expires_in {expires_in}");
    assert!(str_field(&body, "refresh_token").len() >= 32, "a high-entropy refresh token: {body}");
    jwt_parts(&str_field(&body, "access_token"));
    body
}

async fn deactivate_user(app: &TestApp, admin: &str, id: Uuid) {
    let response = app.http.delete(app.url(&format!("/api/v1/users/{id}"))).bearer_auth(admin).send().await.unwrap();
    assert_eq!(response.status(), 204, "deactivate user {id}");
}

/// Runs one UPDATE straight on the database and returns how many rows it changed.
async fn update_rows(app: &TestApp, update: &str) -> i64 {
    app.scalar(&format!("WITH changed AS ({update} RETURNING 1) SELECT count(*) AS n FROM changed")).await
}

/// A fixed-window limiter counts from a multiple of the window: start a burst well inside one.
async fn stay_clear_of_window_edge() {
    let secs = now() as u64 % WINDOW_SECS;
    let left = WINDOW_SECS - secs;
    if left < 60 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
}

/// Sends all `attempts` (username, password) at once and returns the statuses in order.
async fn concurrent_logins(app: &TestApp, attempts: Vec<(String, String)>) -> Vec<u16> {
    let handles: Vec<_> = attempts
        .into_iter()
        .map(|(username, password)| {
            let request =
                app.http.post(app.url("/api/v1/auth/login")).json(&json!({"username": username, "password": password}));
            actix_web::rt::spawn(async move { request.send().await.expect("login request").status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses
}

/// A user in a fresh organization, with its access and refresh tokens.
async fn staff(app: &TestApp, admin: &str, username: &str, roles: &[&str]) -> (Uuid, Value) {
    let org = app.create_organization(admin, &format!("{username} 所在机关"), "department", None).await;
    let id = app.create_user(admin, username, Some(org), roles).await;
    let tokens = app.tokens(username, &TestApp::password_of(username)).await;
    (id, tokens)
}

// --- OAuth clients ---------------------------------------------------------------------------

struct OAuthClient {
    id: String,
    secret: String,
}

async fn create_client(app: &TestApp, admin: &str, scopes: &[&str]) -> OAuthClient {
    let response = app
        .http
        .post(app.url("/api/v1/oauth-clients"))
        .bearer_auth(admin)
        .json(&json!({"name": "楚雄州政务公开平台", "scopes": scopes}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = header(&response, "location").expect("Location");
    let body: Value = response.json().await.unwrap();
    let id = str_field(&body, "id");
    assert_eq!(location, format!("/api/v1/oauth-clients/{id}"));
    assert_eq!(body["scopes"], json!(scopes));
    assert_eq!(body["is_active"], true);
    let secret = str_field(&body, "client_secret");
    assert!(secret.starts_with("gks_") && secret.len() > 40, "secret {secret}");
    OAuthClient { id, secret }
}

async fn token_form(app: &TestApp, form: &[(&str, &str)]) -> Response {
    app.http.post(app.url("/api/v1/oauth/token")).form(form).send().await.unwrap()
}

async fn client_token(app: &TestApp, client: &OAuthClient, scope: Option<&str>) -> Response {
    let mut form =
        vec![("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &client.secret)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token_form(app, &form).await
}

/// Asserts a successful client-credentials answer and returns its body.
async fn expect_client_token(response: Response, scope: &str) -> Value {
    assert_eq!(response.status(), 200, "client token expected");
    assert_eq!(header(&response, "cache-control").as_deref(), Some("no-store"));
    assert!(header(&response, "content-type").is_some_and(|t| t.starts_with("application/json")));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer", "{body}");
    let expires_in = body["expires_in"].as_i64().expect("expires_in");
    assert!(expires_in > 0 && expires_in <= 900, "expires_in {expires_in}");
    assert_eq!(body["scope"], scope, "{body}");
    assert!(body.get("refresh_token").is_none(), "no refresh token for client credentials (RFC 6749 §4.4.3)");
    let (jwt_header, claims) = jwt_parts(&str_field(&body, "access_token"));
    assert_eq!(jwt_header["alg"], "EdDSA");
    assert_eq!(claims["kind"], "client");
    body
}

/// An RFC 6749 §5.2 error: plain JSON (not problem+json), `error` code, never cached.
async fn expect_oauth_error(response: Response, status: u16, error: &str) -> Value {
    let actual = response.status().as_u16();
    let content_type = header(&response, "content-type").unwrap_or_default();
    let cache = header(&response, "cache-control");
    let challenge = header(&response, "www-authenticate");
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "status; body {body}");
    assert!(content_type.starts_with("application/json"), "RFC 6749 errors are application/json, got {content_type}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    assert!(body.get("code").is_none() && body.get("type").is_none(), "not a problem document: {body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    if status == 401 {
        assert!(challenge.is_some_and(|c| c.starts_with("Basic")), "401 from the token endpoint challenges Basic");
    }
    body
}

// --- A server whose signing key the test knows ------------------------------------------------

/// The real application over a fresh database, signing with a key file the test can read, so
/// that tokens with a valid signature but bad claims can be presented.
struct KeyedServer {
    base: String,
    http: reqwest::Client,
    pem: String,
    kid: String,
    handle: ServerHandle,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

impl KeyedServer {
    async fn spawn() -> KeyedServer {
        let db = TestDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let keys = TokenKeys::load_or_generate(None, dir.path()).expect("keys");
        let kid = keys.kid().to_owned();
        let pem = std::fs::read_to_string(dir.path().join("keys").join("jwt-ed25519.pem")).unwrap();
        let pool = persistence::build_pool(&db.url, 4).expect("pool");
        let blobs = api::bootstrap::blob_store(&api::config::S3Settings::local(), dir.path()).expect("blob store");
        let sealer = api::bootstrap::personal_data_sealer(None, dir.path()).expect("personal-data key");
        let state = api::bootstrap::app_state(pool, keys, blobs, sealer);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let server = api::app::serve(listener, state, Vec::new(), 1, None).expect("serve");
        let handle = server.handle();
        actix_web::rt::spawn(server);
        KeyedServer {
            base: format!("http://127.0.0.1:{port}"),
            http: e2e::client_builder().build().unwrap(),
            pem,
            kid,
            handle,
            _db: db,
            _dir: dir,
        }
    }

    fn organizations_url(&self) -> String {
        format!("{}/api/v1/organizations", self.base)
    }

    fn sign(&self, claims: &Value) -> String {
        sign_ed25519(&self.pem, &self.kid, claims)
    }
}

impl Drop for KeyedServer {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

fn valid_claims_json(now: i64) -> Value {
    serde_json::to_value(Claims::for_principal(&admin_principal(Uuid::now_v7()), now)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Login success
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn login_returns_a_bearer_pair_signed_with_a_published_ed25519_key() {
    let app = TestApp::spawn().await;
    let audit_before = app.audit_rows().await;
    let body = expect_token_pair(app.login(ADMIN_USERNAME, ADMIN_PASSWORD).await).await;
    let access = str_field(&body, "access_token");

    let (jwt_header, claims) = jwt_parts(&access);
    assert_eq!(jwt_header["alg"], "EdDSA", "{jwt_header}");
    let kid = kid_of(&access);
    let me = me_body(&app, &access).await;
    assert_eq!(claims["sub"], me["id"]);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["kind"], "user");
    assert_eq!(claims["roles"], json!(["system_admin"]));
    let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, body["expires_in"].as_i64().unwrap(), "expires_in matches the token");
    assert!((iat - now()).abs() < 60, "issued now");

    let response = app.http.get(app.url("/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, "cache-control").is_some_and(|c| c.contains("max-age")));
    let set: Value = response.json().await.unwrap();
    let keys = set["keys"].as_array().expect("keys array");
    let key = keys.iter().find(|k| k["kid"] == kid.as_str()).unwrap_or_else(|| panic!("kid {kid} not in {set}"));
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
    assert_eq!(key["use"], "sig");
    let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).expect("x is base64url");
    assert_eq!(x.len(), 32, "an Ed25519 public key is 32 bytes");
    assert!(key.get("d").is_none(), "the JWKS must never publish the private key");

    assert_eq!(app.audit_rows().await, audit_before + 1, "the login is audited");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'session.login'").await, 1);
}

// ---------------------------------------------------------------------------------------------
// 2. Login failure
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    let app = TestApp::spawn().await;
    let wrong = app.login(ADMIN_USERNAME, "not-the-password-1").await;
    assert_eq!(header(&wrong, "www-authenticate").as_deref(), Some("Bearer"));
    let wrong = expect_problem(wrong, 401, "invalid_credentials").await;
    let unknown = expect_problem(app.login("nobody.here", ADMIN_PASSWORD).await, 401, "invalid_credentials").await;
    assert_eq!(wrong["title"], unknown["title"], "nothing tells the two apart");
    assert_eq!(wrong.get("detail"), unknown.get("detail"));
    assert!(wrong.get("refresh_token").is_none() && wrong.get("access_token").is_none());
    // Only the wrong password of a real account counts against that account.
    let failures = app.scalar("SELECT failed_logins::bigint AS n FROM users WHERE username = 'admin'").await;
    assert_eq!(failures, 1);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM refresh_tokens").await, 0, "no session was started");
}

#[actix_web::test]
async fn a_deactivated_user_cannot_log_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, _) = staff(&app, &admin, "li.si", &["drafter"]).await;
    deactivate_user(&app, &admin, id).await;
    let response = app.login("li.si", &TestApp::password_of("li.si")).await;
    expect_problem(response, 401, "invalid_credentials").await;
}

// ---------------------------------------------------------------------------------------------
// 3. Account lockout
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn five_failures_lock_the_account_but_not_others() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县财政局", "department", None).await;
    app.create_user(&admin, "wang.wu", Some(org), &["drafter"]).await;
    app.create_user(&admin, "zhao.liu", Some(org), &["drafter"]).await;

    for attempt in 1..=5 {
        let response = app.login("wang.wu", &format!("wrong-password-{attempt}")).await;
        expect_problem(response, 401, "invalid_credentials").await;
    }
    let locked = app.login("wang.wu", &TestApp::password_of("wang.wu")).await;
    let wait = seconds_header(&locked, "retry-after");
    assert!(wait <= 60, "the first lock lasts one minute, Retry-After {wait}");
    let body = expect_problem(locked, 429, "login_locked").await;
    assert!(body["detail"].as_str().is_some_and(|d| d.contains(&wait.to_string())), "{body}");
    let still_locked = app.login("wang.wu", "wrong-password-6").await;
    seconds_header(&still_locked, "retry-after");
    expect_problem(still_locked, 429, "login_locked").await;

    // Neither another account nor the admin is touched.
    app.tokens("zhao.liu", &TestApp::password_of("zhao.liu")).await;
    app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let users = app.http.get(app.url("/api/v1/users")).bearer_auth(&admin).send().await.unwrap();
    let users: Value = users.json().await.unwrap();
    let locked_until = |name: &str| {
        users["items"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["locked_until"].clone()
    };
    assert!(locked_until("wang.wu").is_string(), "the lock is visible to admins");
    assert!(locked_until("zhao.liu").is_null());
}

#[actix_web::test]
async fn the_lock_doubles_after_it_expires_and_success_clears_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, _) = staff(&app, &admin, "sun.qi", &["drafter"]).await;
    let expire_lock = "UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'sun.qi'";
    for attempt in 1..=5 {
        expect_problem(app.login("sun.qi", &format!("wrong-password-{attempt}")).await, 401, "invalid_credentials")
            .await;
    }
    let first = app.login("sun.qi", "wrong-password-x").await;
    assert!(seconds_header(&first, "retry-after") <= 60);
    expect_problem(first, 429, "login_locked").await;

    // The minute passes; one more failure locks for two minutes.
    assert_eq!(update_rows(&app, expire_lock).await, 1);
    expect_problem(app.login("sun.qi", "wrong-password-6").await, 401, "invalid_credentials").await;
    let second = app.login("sun.qi", &TestApp::password_of("sun.qi")).await;
    let wait = seconds_header(&second, "retry-after");
    assert!(wait > 60 && wait <= 120, "the second lock lasts two minutes, Retry-After {wait}");
    expect_problem(second, 429, "login_locked").await;

    // Once it expires, the right password works and the count starts over.
    assert_eq!(update_rows(&app, expire_lock).await, 1);
    app.tokens("sun.qi", &TestApp::password_of("sun.qi")).await;
    let state = "SELECT (failed_logins + CASE WHEN locked_until IS NULL THEN 0 ELSE 100 END)::bigint AS n \
                 FROM users WHERE username = 'sun.qi'";
    assert_eq!(app.scalar(state).await, 0, "success clears the failures and the lock");
    for attempt in 1..=4 {
        expect_problem(app.login("sun.qi", &format!("again-wrong-{attempt}")).await, 401, "invalid_credentials").await;
    }
    app.tokens("sun.qi", &TestApp::password_of("sun.qi")).await;
}

#[actix_web::test]
async fn only_failures_in_a_row_count_towards_the_lock() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    staff(&app, &admin, "zhou.ba", &["drafter"]).await;
    for round in 0..2 {
        for attempt in 1..=4 {
            let response = app.login("zhou.ba", &format!("wrong-{round}-{attempt}-pw")).await;
            expect_problem(response, 401, "invalid_credentials").await;
        }
        app.tokens("zhou.ba", &TestApp::password_of("zhou.ba")).await;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Per-address limiter
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn thirty_failed_logins_from_one_address_are_rate_limited() {
    let app = TestApp::spawn().await;
    stay_clear_of_window_edge().await;
    for attempt in 0..ADDRESS_LIMIT {
        let response = app.login(&format!("ghost-{attempt}"), "Some-password-1").await;
        expect_problem(response, 401, "invalid_credentials").await;
    }
    let limited = app.login("ghost-last", "Some-password-1").await;
    let retry = seconds_header(&limited, "retry-after");
    assert!(retry <= WINDOW_SECS as i64, "Retry-After {retry} within the window");
    assert_eq!(header(&limited, "ratelimit-limit").as_deref(), Some("30"));
    assert_eq!(header(&limited, "ratelimit-remaining").as_deref(), Some("0"));
    let reset = seconds_header(&limited, "ratelimit-reset");
    assert!(reset <= WINDOW_SECS as i64 && (reset - retry).abs() <= 1, "reset {reset}, retry {retry}");
    expect_problem(limited, 429, "rate_limited").await;

    // The address waits, whoever it claims to be; no account was locked on the way.
    expect_problem(app.login(ADMIN_USERNAME, ADMIN_PASSWORD).await, 429, "rate_limited").await;
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users WHERE locked_until IS NOT NULL").await, 0);
}

// ---------------------------------------------------------------------------------------------
// 5. Refresh rotation and logout
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn refresh_rotates_the_pair_and_the_new_access_token_works() {
    let app = TestApp::spawn().await;
    let first = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let second = expect_token_pair(refresh(&app, &str_field(&first, "refresh_token")).await).await;
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    let (_, old_claims) = jwt_parts(&str_field(&first, "access_token"));
    let (_, new_claims) = jwt_parts(&str_field(&second, "access_token"));
    assert_eq!(new_claims["sub"], old_claims["sub"]);
    assert_ne!(new_claims["jti"], old_claims["jti"]);
    let me = me_body(&app, &str_field(&second, "access_token")).await;
    assert_eq!(me["username"], ADMIN_USERNAME);
    assert_eq!(me["kind"], "user");
    // The new refresh token rotates in turn.
    expect_token_pair(refresh(&app, &str_field(&second, "refresh_token")).await).await;
}

#[actix_web::test]
async fn reusing_a_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let first = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let other_session = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let old = str_field(&first, "refresh_token");
    let second = expect_token_pair(refresh(&app, &old).await).await;

    expect_problem(refresh(&app, &old).await, 401, "refresh_token_reused").await;
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'session.reuse_detected'").await, 1);
    let response = refresh(&app, &str_field(&second, "refresh_token")).await;
    assert_eq!(header(&response, "www-authenticate").as_deref(), Some("Bearer"));
    assert_eq!(response.status(), 401, "the successor of a reused token is revoked too");
    let body: Value = response.json().await.unwrap();
    assert!(body["code"] == "refresh_token_reused" || body["code"] == "invalid_refresh_token", "{body}");

    // Another login of the same user is a different family and keeps working.
    expect_token_pair(refresh(&app, &str_field(&other_session, "refresh_token")).await).await;
}

#[actix_web::test]
async fn unknown_and_expired_refresh_tokens_are_invalid() {
    let app = TestApp::spawn().await;
    expect_problem(refresh(&app, "not-a-refresh-token").await, 401, "invalid_refresh_token").await;
    // Same shape as a real one (32 random bytes, base64url), never issued.
    let lookalike = b64(Uuid::new_v4().as_bytes()).repeat(2)[..43].to_owned();
    expect_problem(refresh(&app, &lookalike).await, 401, "invalid_refresh_token").await;
    // An access token is no refresh token (and too long to be one).
    let access = app.admin_token().await;
    expect_problem(refresh(&app, &access).await, 422, "validation_failed").await;
    let validation = post_json(&app, "/api/v1/auth/refresh", json!({"refresh_token": ""})).await;
    expect_problem(validation, 422, "validation_failed").await;

    let tokens = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let expire = "UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'";
    assert_eq!(update_rows(&app, expire).await, 2, "one token per login");
    expect_problem(refresh(&app, &str_field(&tokens, "refresh_token")).await, 401, "invalid_refresh_token").await;
}

#[actix_web::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let tokens = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let kept = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let refresh_token = str_field(&tokens, "refresh_token");
    let response = logout(&app, &refresh_token).await;
    assert_eq!(response.status(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let after = refresh(&app, &refresh_token).await;
    // Logged out is not stolen: the token is invalid, and no theft is recorded.
    expect_problem(after, 401, "invalid_refresh_token").await;
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'session.logout'").await, 1);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'session.reuse_detected'").await, 0);

    // Idempotent for unknown tokens; other sessions live on.
    assert_eq!(logout(&app, "never-issued").await.status(), 204);
    assert_eq!(logout(&app, &refresh_token).await.status(), 204);
    expect_token_pair(refresh(&app, &str_field(&kept, "refresh_token")).await).await;
}

#[actix_web::test]
async fn logout_after_rotation_ends_every_token_of_the_session() {
    let app = TestApp::spawn().await;
    let first = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let second = expect_token_pair(refresh(&app, &str_field(&first, "refresh_token")).await).await;
    // Logging out with the already-used first token still ends the family.
    assert_eq!(logout(&app, &str_field(&first, "refresh_token")).await.status(), 204);
    assert_eq!(refresh(&app, &str_field(&second, "refresh_token")).await.status(), 401);
}

// ---------------------------------------------------------------------------------------------
// 6. Client credentials (RFC 6749 §4.4)
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn client_credentials_in_the_form_or_basic_auth_get_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;

    let body = expect_client_token(client_token(&app, &client, None).await, "documents:read sync:read").await;
    let (_, claims) = jwt_parts(&str_field(&body, "access_token"));
    assert_eq!(claims["sub"], client.id.as_str());
    assert_eq!(claims["scope"], "documents:read sync:read");
    assert!(claims.get("roles").is_none(), "clients hold no roles: {claims}");

    let basic = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    expect_client_token(basic, "documents:read sync:read").await;

    // Both methods at once is ambiguous (RFC 6749 §2.3).
    let both = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &client.secret)])
        .send()
        .await
        .unwrap();
    expect_oauth_error(both, 400, "invalid_request").await;
}

#[actix_web::test]
async fn a_client_gets_only_the_scopes_it_asks_for_and_holds() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;

    let body = expect_client_token(client_token(&app, &client, Some("sync:read")).await, "sync:read").await;
    let token = str_field(&body, "access_token");
    let me = me_body(&app, &token).await;
    assert_eq!(me["kind"], "client");
    assert_eq!(me["id"], client.id.as_str());
    assert_eq!(me["scopes"], json!(["sync:read"]));
    assert_eq!(me["roles"], json!([]));
    assert!(me["username"].is_null());

    let held = client_token(&app, &client, Some("documents:read sync:read")).await;
    expect_client_token(held, "documents:read sync:read").await;
    let not_held = client_token(&app, &client, Some("webhooks:manage")).await;
    let body = expect_oauth_error(not_held, 400, "invalid_scope").await;
    assert!(body["error_description"].as_str().unwrap().contains("webhooks:manage"), "{body}");
    expect_oauth_error(client_token(&app, &client, Some("sync:read webhooks:manage")).await, 400, "invalid_scope")
        .await;
    expect_oauth_error(client_token(&app, &client, Some("no:such:scope")).await, 400, "invalid_scope").await;
}

#[actix_web::test]
async fn token_endpoint_errors_follow_rfc_6749() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;
    let grant = ("grant_type", "client_credentials");

    let wrong = token_form(&app, &[grant, ("client_id", &client.id), ("client_secret", "gks_wrong")]).await;
    expect_oauth_error(wrong, 401, "invalid_client").await;
    let unknown_id = Uuid::now_v7().to_string();
    let unknown = token_form(&app, &[grant, ("client_id", &unknown_id), ("client_secret", &client.secret)]).await;
    expect_oauth_error(unknown, 401, "invalid_client").await;
    let not_a_uuid = token_form(&app, &[grant, ("client_id", "portal"), ("client_secret", &client.secret)]).await;
    expect_oauth_error(not_a_uuid, 401, "invalid_client").await;
    expect_oauth_error(token_form(&app, &[grant]).await, 401, "invalid_client").await;
    let wrong_basic = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&client.id, Some("gks_wrong"))
        .form(&[grant])
        .send()
        .await
        .unwrap();
    expect_oauth_error(wrong_basic, 401, "invalid_client").await;

    let password_grant = [
        ("grant_type", "password"),
        ("username", ADMIN_USERNAME),
        ("password", ADMIN_PASSWORD),
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
    ];
    expect_oauth_error(token_form(&app, &password_grant).await, 400, "unsupported_grant_type").await;
    let no_grant = token_form(&app, &[("client_id", &client.id), ("client_secret", &client.secret)]).await;
    expect_oauth_error(no_grant, 400, "invalid_request").await;

    let as_json = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .json(&json!({"grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret}))
        .send()
        .await
        .unwrap();
    expect_oauth_error(as_json, 400, "invalid_request").await;
}

#[actix_web::test]
async fn a_client_token_cannot_manage_anything() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县政务服务中心", "department", None).await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;
    let body = expect_client_token(client_token(&app, &client, None).await, "documents:read sync:read").await;
    let token = str_field(&body, "access_token");

    let new_user = json!({
        "username": "from.a.client",
        "password": "Client-made-password-1",
        "display_name": "客户端建的用户",
        "organization_id": org,
        "roles": ["system_admin"],
    });
    let response = app.http.post(app.url("/api/v1/users")).bearer_auth(&token).json(&new_user).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    let response = app.http.get(app.url("/api/v1/users")).bearer_auth(&token).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    let new_client = json!({"name": "再造一个", "scopes": ["webhooks:manage"]});
    let response =
        app.http.post(app.url("/api/v1/oauth-clients")).bearer_auth(&token).json(&new_client).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    let response = app
        .http
        .post(app.url(&format!("/api/v1/oauth-clients/{}/rotate-secret", client.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(response, 403, "forbidden").await;
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users WHERE username = 'from.a.client'").await, 0);
    // Reading organizations is open to every authenticated caller.
    let response = app.http.get(app.url("/api/v1/organizations")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[actix_web::test]
async fn a_revoked_client_gets_no_more_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;
    expect_client_token(client_token(&app, &client, None).await, "documents:read sync:read").await;

    let url = app.url(&format!("/api/v1/oauth-clients/{}", client.id));
    let response = app.http.delete(&url).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let shown: Value = app.http.get(&url).bearer_auth(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown["is_active"], false, "{shown}");
    expect_oauth_error(client_token(&app, &client, None).await, 401, "invalid_client").await;
    let basic = app
        .http
        .post(app.url("/api/v1/oauth/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    expect_oauth_error(basic, 401, "invalid_client").await;
}

#[actix_web::test]
async fn rotating_the_secret_retires_the_old_one_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["documents:read", "sync:read"]).await;
    let response = app
        .http
        .post(app.url(&format!("/api/v1/oauth-clients/{}/rotate-secret", client.id)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], client.id.as_str());
    let rotated = OAuthClient { id: client.id.clone(), secret: str_field(&body, "client_secret") };
    assert_ne!(rotated.secret, client.secret);
    assert!(rotated.secret.starts_with("gks_"));

    expect_oauth_error(client_token(&app, &client, None).await, 401, "invalid_client").await;
    expect_client_token(client_token(&app, &rotated, Some("documents:read")).await, "documents:read").await;
    // The secret is shown only at creation and rotation.
    let shown: Value = app
        .http
        .get(app.url(&format!("/api/v1/oauth-clients/{}", client.id)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(shown.get("client_secret").is_none() && shown.get("secret_hash").is_none(), "{shown}");
}

#[actix_web::test]
async fn failed_client_authentications_are_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["sync:read"]).await;
    stay_clear_of_window_edge().await;
    let grant = ("grant_type", "client_credentials");
    for attempt in 0..ADDRESS_LIMIT {
        let secret = format!("gks_guess_{attempt}");
        let response = token_form(&app, &[grant, ("client_id", &client.id), ("client_secret", &secret)]).await;
        expect_oauth_error(response, 401, "invalid_client").await;
    }
    let limited = client_token(&app, &client, None).await;
    assert_eq!(limited.status(), 429, "even the right secret waits once the address is exhausted");
    seconds_header(&limited, "retry-after");
    assert_eq!(header(&limited, "ratelimit-limit").as_deref(), Some("30"));
    assert_eq!(header(&limited, "ratelimit-remaining").as_deref(), Some("0"));
    seconds_header(&limited, "ratelimit-reset");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    // Password logins keep their own budget.
    app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
}

// ---------------------------------------------------------------------------------------------
// 7. Token attacks
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_token_signed_by_another_key_is_refused_even_with_the_servers_kid() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let admin_id = admin_id(&app, &admin).await;
    let server_kid = kid_of(&admin);
    let foreign = foreign_key();
    assert_ne!(foreign.keys.kid(), server_kid, "kid is derived from the public key");

    let claims = Claims::for_principal(&admin_principal(admin_id), now());
    // Same claims a real admin token carries, wrong key, right kid.
    expect_token_refused(&app, &sign_ed25519(&foreign.pem, &server_kid, &claims), "wrong key, server kid").await;
    // The foreign key set's own kid is unknown to the server.
    expect_token_refused(&app, &foreign.keys.sign(&claims).unwrap(), "unknown kid").await;
    let unknown_kid = sign_ed25519(&foreign.pem, "0123456789abcdef", &claims);
    expect_token_refused(&app, &unknown_kid, "made-up kid").await;
    let no_kid = Header::new(Algorithm::EdDSA);
    assert!(no_kid.kid.is_none());
    let pem_key = EncodingKey::from_ed_pem(foreign.pem.as_bytes()).unwrap();
    expect_token_refused(&app, &jsonwebtoken::encode(&no_kid, &claims, &pem_key).unwrap(), "no kid").await;

    // Bad claims under a foreign key are refused as well (the signature alone already fails).
    let now = now();
    let mut expired = Claims::for_principal(&admin_principal(admin_id), now - 3600);
    expired.exp = now - 1800;
    let mut early = Claims::for_principal(&admin_principal(admin_id), now);
    early.nbf = now + 3600;
    let mut issuer = Claims::for_principal(&admin_principal(admin_id), now);
    issuer.iss = "someone-else".into();
    let mut audience = Claims::for_principal(&admin_principal(admin_id), now);
    audience.aud = "another-api".into();
    for (what, claims) in [("expired", expired), ("not yet valid", early), ("issuer", issuer), ("audience", audience)] {
        expect_token_refused(&app, &sign_ed25519(&foreign.pem, &server_kid, &claims), what).await;
    }
    // The real token still works: the refusals above were about the forgeries.
    assert_eq!(me(&app, &admin).await.status(), 200);
}

#[actix_web::test]
async fn alg_none_and_hs256_with_the_public_key_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let admin_id = admin_id(&app, &admin).await;
    let server_kid = kid_of(&admin);
    let claims = serde_json::to_value(Claims::for_principal(&admin_principal(admin_id), now())).unwrap();

    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "typ": "JWT", "kid": server_kid});
        expect_token_refused(&app, &hand_built_token(&header, &claims, ""), &format!("alg {alg}")).await;
    }
    // alg none carrying the real token's signature.
    let real_signature = admin.rsplit('.').next().unwrap();
    let header = json!({"alg": "none", "typ": "JWT", "kid": server_kid});
    expect_token_refused(&app, &hand_built_token(&header, &claims, real_signature), "alg none, real signature").await;

    // Algorithm confusion: HMAC keyed with the published public key.
    let set = jwks(&app).await;
    let x = set["keys"][0]["x"].as_str().unwrap().to_owned();
    let public = URL_SAFE_NO_PAD.decode(&x).unwrap();
    for alg in [Algorithm::HS256, Algorithm::HS512] {
        let mut header = Header::new(alg);
        header.kid = Some(server_kid.clone());
        for secret in [public.as_slice(), x.as_bytes()] {
            let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
            expect_token_refused(&app, &token, &format!("{alg:?} with the public key")).await;
        }
    }
}

#[actix_web::test]
async fn a_tampered_payload_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, tokens) = staff(&app, &admin, "qian.jiu", &["drafter"]).await;
    let access = str_field(&tokens, "access_token");
    let users = app.http.get(app.url("/api/v1/users")).bearer_auth(&access).send().await.unwrap();
    expect_problem(users, 403, "forbidden").await;

    let parts: Vec<&str> = access.split('.').collect();
    let (header, mut claims) = jwt_parts(&access);
    assert_eq!(claims["roles"], json!(["drafter"]));
    claims["roles"] = json!(["system_admin"]);
    let escalated = hand_built_token(&header, &claims, parts[2]);
    let response = app.http.get(app.url("/api/v1/users")).bearer_auth(&escalated).send().await.unwrap();
    expect_problem(response, 401, "invalid_token").await;
    let (_, mut longer) = jwt_parts(&access);
    longer["exp"] = json!(now() + 365 * 24 * 3600);
    expect_token_refused(&app, &hand_built_token(&header, &longer, parts[2]), "extended exp").await;
    // Truncated or stripped signatures.
    expect_token_refused(&app, &format!("{}.{}.", parts[0], parts[1]), "empty signature").await;
    expect_token_refused(&app, &format!("{}.{}", parts[0], parts[1]), "two parts").await;
    expect_token_refused(&app, &access[..access.len() - 4], "truncated signature").await;
}

#[actix_web::test]
async fn garbage_missing_and_foreign_schemes_are_401() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.AAAA", "...."] {
        expect_token_refused(&app, garbage, garbage).await;
    }

    let missing = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(header(&missing, "www-authenticate").as_deref(), Some("Bearer"));
    expect_problem(missing, 401, "unauthenticated").await;
    let basic = app.http.get(app.url("/api/v1/me")).basic_auth(ADMIN_USERNAME, Some(ADMIN_PASSWORD)).send().await;
    expect_problem(basic.unwrap(), 401, "unauthenticated").await;
    let raw = app.http.get(app.url("/api/v1/me")).header("authorization", &admin).send().await.unwrap();
    expect_problem(raw, 401, "unauthenticated").await;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let lower = app.http.get(app.url("/api/v1/me")).header("authorization", format!("bearer {admin}")).send().await;
    assert_eq!(lower.unwrap().status(), 200);
}

#[actix_web::test]
async fn tokens_with_the_servers_own_signature_but_bad_claims_are_refused() {
    let server = KeyedServer::spawn().await;
    let url = server.organizations_url();
    let now = now();
    let valid = valid_claims_json(now);
    // The control: these claims, signed with the server's key, are accepted.
    let accepted = server.http.get(&url).bearer_auth(server.sign(&valid)).send().await.unwrap();
    assert_eq!(accepted.status(), 200, "a correctly signed token with valid claims is accepted");

    let with = |field: &str, value: Value| {
        let mut claims = valid.clone();
        claims[field] = value;
        claims
    };
    let without = |field: &str| {
        let mut claims = valid.clone();
        claims.as_object_mut().unwrap().remove(field);
        claims
    };
    let cases = [
        ("expired two minutes ago", with("exp", json!(now - 120))),
        ("not valid for two minutes", with("nbf", json!(now + 120))),
        ("other issuer", with("iss", json!("someone-else"))),
        ("other audience", with("aud", json!("another-api"))),
        ("audience list without ours", with("aud", json!(["another-api"]))),
        ("no exp", without("exp")),
        ("no nbf", without("nbf")),
        ("no iss", without("iss")),
        ("no aud", without("aud")),
        ("no sub", without("sub")),
        ("no kind", without("kind")),
        ("unknown kind", with("kind", json!("superuser"))),
    ];
    for (what, claims) in cases {
        expect_token_refused_at(&server.http, url.clone(), &server.sign(&claims), what).await;
    }
    // alg none with these very claims.
    let header = json!({"alg": "none", "typ": "JWT", "kid": server.kid});
    expect_token_refused_at(&server.http, url, &hand_built_token(&header, &valid, ""), "alg none").await;
}

// ---------------------------------------------------------------------------------------------
// 8. Roles without permission
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_drafter_may_read_organizations_but_not_manage_users_or_organizations() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县教育体育局", "department", None).await;
    let drafter_id = app.create_user(&admin, "zheng.shi", Some(org), &["drafter"]).await;
    let tokens = app.tokens("zheng.shi", &TestApp::password_of("zheng.shi")).await;
    let token = str_field(&tokens, "access_token");
    let audit_before = app.audit_rows().await;

    let new_user = json!({
        "username": "made.by.drafter",
        "password": "Drafter-made-password-1",
        "display_name": "越权用户",
        "organization_id": org,
        "roles": ["system_admin"],
    });
    let response = app.http.post(app.url("/api/v1/users")).bearer_auth(&token).json(&new_user).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    let new_org = json!({"name": "越权机关", "kind": "township", "parent_id": null});
    let response =
        app.http.post(app.url("/api/v1/organizations")).bearer_auth(&token).json(&new_org).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;
    for path in ["/api/v1/users", "/api/v1/oauth-clients", "/api/v1/audit-log"] {
        let response = app.http.get(app.url(path)).bearer_auth(&token).send().await.unwrap();
        expect_problem(response, 403, "forbidden").await;
    }
    let own = app.url(&format!("/api/v1/users/{drafter_id}"));
    let response = app.http.delete(&own).bearer_auth(&token).send().await.unwrap();
    expect_problem(response, 403, "forbidden").await;

    let response = app.http.get(app.url("/api/v1/organizations")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().iter().any(|o| o["id"] == org.to_string()), "{page}");

    assert_eq!(app.audit_rows().await, audit_before, "refused requests change nothing");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users WHERE username = 'made.by.drafter'").await, 0);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM organizations WHERE name = '越权机关'").await, 0);
}

// ---------------------------------------------------------------------------------------------
// 9. Deactivation ends sessions
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn a_deactivated_users_refresh_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, tokens) = staff(&app, &admin, "wu.shiyi", &["drafter"]).await;
    let rotated = expect_token_pair(refresh(&app, &str_field(&tokens, "refresh_token")).await).await;
    deactivate_user(&app, &admin, id).await;

    let response = refresh(&app, &str_field(&rotated, "refresh_token")).await;
    assert_eq!(response.status(), 401, "deactivation ends every session");
    assert_eq!(header(&response, "www-authenticate").as_deref(), Some("Bearer"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_refresh_token", "{body}");
    let live = "SELECT count(*) AS n FROM refresh_tokens t JOIN users u ON u.id = t.user_id \
                WHERE u.username = 'wu.shiyi' AND t.revoked_at IS NULL";
    assert_eq!(app.scalar(live).await, 0);
}

// ---------------------------------------------------------------------------------------------
// Account changes by an administrator
// ---------------------------------------------------------------------------------------------

async fn put_user(app: &TestApp, admin: &str, id: Uuid, org: Option<Uuid>, roles: &[&str], is_active: bool) {
    let response = app
        .http
        .put(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(admin)
        .json(&json!({"display_name": "改过的名字", "organization_id": org, "roles": roles, "is_active": is_active}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "PUT user {id}: {:?}", response.text().await);
}

#[actix_web::test]
async fn deactivation_by_update_ends_sessions_and_reactivation_does_not_revive_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县民政局", "department", None).await;
    let id = app.create_user(&admin, "feng.shisan", Some(org), &["drafter"]).await;
    let tokens = app.tokens("feng.shisan", &TestApp::password_of("feng.shisan")).await;

    put_user(&app, &admin, id, Some(org), &["drafter"], false).await;
    let response = refresh(&app, &str_field(&tokens, "refresh_token")).await;
    assert_eq!(response.status(), 401, "deactivated");
    expect_problem(app.login("feng.shisan", &TestApp::password_of("feng.shisan")).await, 401, "invalid_credentials")
        .await;

    put_user(&app, &admin, id, Some(org), &["drafter"], true).await;
    let response = refresh(&app, &str_field(&tokens, "refresh_token")).await;
    assert_eq!(response.status(), 401, "a session ended by deactivation stays ended");
    app.tokens("feng.shisan", &TestApp::password_of("feng.shisan")).await;
}

#[actix_web::test]
async fn a_refreshed_token_carries_the_current_roles() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县审计局", "department", None).await;
    let id = app.create_user(&admin, "chu.shisi", Some(org), &["drafter"]).await;
    let tokens = app.tokens("chu.shisi", &TestApp::password_of("chu.shisi")).await;
    put_user(&app, &admin, id, Some(org), &["system_admin"], true).await;

    let fresh = expect_token_pair(refresh(&app, &str_field(&tokens, "refresh_token")).await).await;
    let (_, claims) = jwt_parts(&str_field(&fresh, "access_token"));
    assert_eq!(claims["roles"], json!(["system_admin"]));
    let response = app.http.get(app.url("/api/v1/users")).bearer_auth(str_field(&fresh, "access_token")).send().await;
    assert_eq!(response.unwrap().status(), 200, "the new role applies");
}

#[actix_web::test]
async fn a_password_reset_unlocks_the_account_and_ends_its_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, tokens) = staff(&app, &admin, "wei.shiwu", &["drafter"]).await;
    for attempt in 1..=5 {
        expect_problem(app.login("wei.shiwu", &format!("wrong-password-{attempt}")).await, 401, "invalid_credentials")
            .await;
    }
    expect_problem(app.login("wei.shiwu", &TestApp::password_of("wei.shiwu")).await, 429, "login_locked").await;

    let response = app
        .http
        .post(app.url(&format!("/api/v1/users/{id}/reset-password")))
        .bearer_auth(&admin)
        .json(&json!({"password": "Brand-new-password-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(refresh(&app, &str_field(&tokens, "refresh_token")).await.status(), 401, "old sessions end");
    let old = app.login("wei.shiwu", &TestApp::password_of("wei.shiwu")).await;
    expect_problem(old, 401, "invalid_credentials").await;
    app.tokens("wei.shiwu", "Brand-new-password-2").await;
}

// ---------------------------------------------------------------------------------------------
// Limits under concurrent attempts
// ---------------------------------------------------------------------------------------------

#[actix_web::test]
async fn parallel_guesses_do_not_get_past_the_account_lock() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    staff(&app, &admin, "jiang.shiliu", &["drafter"]).await;
    let attempts = (0..16).map(|i| ("jiang.shiliu".to_owned(), format!("parallel-guess-{i}"))).collect();
    let statuses = concurrent_logins(&app, attempts).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(verified <= 5, "only 5 failures in a row may be tried before the lock; {verified} were: {statuses:?}");
}

#[actix_web::test]
async fn parallel_attempts_do_not_get_past_the_address_budget() {
    let app = TestApp::spawn().await;
    stay_clear_of_window_edge().await;
    let attempts = (0..40).map(|i| (format!("ghost-{i}"), format!("parallel-guess-{i}"))).collect();
    let statuses = concurrent_logins(&app, attempts).await;
    let verified = statuses.iter().filter(|s| **s == 401).count();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    assert!(verified <= ADDRESS_LIMIT, "at most 30 failures per address; {verified} were tried: {statuses:?}");
}

// ---------------------------------------------------------------------------------------------
// Credentials and Idempotency-Key: a credential is never replayed nor stored in plain text
// ---------------------------------------------------------------------------------------------

/// Rows of `idempotency_keys` whose stored response contains `needle`.
async fn stored_responses_containing(app: &TestApp, needle: &str) -> i64 {
    assert!(needle.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "plain token expected");
    app.scalar(&format!(
        "SELECT count(*) AS n FROM idempotency_keys \
         WHERE position(convert_to('{needle}', 'UTF8') IN coalesce(response_body, ''::bytea)) > 0"
    ))
    .await
}

#[actix_web::test]
async fn an_idempotency_key_does_not_make_a_used_refresh_token_work_again() {
    let app = TestApp::spawn().await;
    let tokens = app.tokens(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    let old = str_field(&tokens, "refresh_token");
    let key = Uuid::new_v4().to_string();
    let send = || {
        app.http
            .post(app.url("/api/v1/auth/refresh"))
            .header("idempotency-key", &key)
            .json(&json!({"refresh_token": old}))
            .send()
    };
    let first = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let rotated = expect_token_pair(first).await;
    let successor = str_field(&rotated, "refresh_token");
    assert_eq!(stored_responses_containing(&app, &successor).await, 0, "refresh tokens are stored only as hashes");

    // The same request again is a reuse of a spent token, whatever the header says.
    let again = send().await.unwrap();
    assert!(again.headers().get("idempotent-replayed").is_none(), "never replayed: {:?}", again.headers());
    expect_problem(again, 401, "refresh_token_reused").await;
    assert_eq!(refresh(&app, &successor).await.status(), 401, "reuse revokes the family");
}

#[actix_web::test]
async fn a_rotated_secret_is_not_kept_for_replay_and_the_repeat_rotates_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["sync:read"]).await;
    let key = Uuid::new_v4().to_string();
    let rotate = || {
        app.http
            .post(app.url(&format!("/api/v1/oauth-clients/{}/rotate-secret", client.id)))
            .bearer_auth(&admin)
            .header("idempotency-key", &key)
            .send()
    };
    let first = rotate().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "cache-control").as_deref(), Some("no-store"), "a secret is never cached");
    let body: Value = first.json().await.unwrap();
    let rotated = OAuthClient { id: client.id.clone(), secret: str_field(&body, "client_secret") };
    assert_eq!(stored_responses_containing(&app, &rotated.secret).await, 0, "the secret is stored only as a hash");

    let again = rotate().await.unwrap();
    let text = again.text().await.unwrap();
    assert!(!text.contains(&rotated.secret), "the secret is shown once: {text}");
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["code"], "idempotency_key_used", "{problem}");
    assert_eq!(problem["status"], 409);
    // The repeat did not rotate again: the first new secret is the one that works.
    expect_client_token(client_token(&app, &rotated, None).await, "sync:read").await;
    expect_oauth_error(client_token(&app, &client, None).await, 401, "invalid_client").await;
}

#[actix_web::test]
async fn the_token_endpoint_never_replays_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let client = create_client(&app, &admin, &["sync:read"]).await;
    let key = Uuid::new_v4().to_string();
    let form = [("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &client.secret)];
    let mut issued = Vec::new();
    for _ in 0..2 {
        let response =
            app.http.post(app.url("/api/v1/oauth/token")).header("idempotency-key", &key).form(&form).send().await;
        let response = response.unwrap();
        assert!(response.headers().get("idempotent-replayed").is_none());
        issued.push(str_field(&expect_client_token(response, "sync:read").await, "access_token"));
    }
    assert_ne!(issued[0], issued[1], "each request gets its own token");
    assert_eq!(stored_responses_containing(&app, issued[0].split('.').nth(2).unwrap()).await, 0);
}

#[actix_web::test]
async fn unknown_usernames_lock_like_real_accounts() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县档案馆", "public_institution", None).await;
    app.create_user(&admin, "real.person", Some(org), &["drafter"]).await;
    let mut locks = Vec::new();
    for username in ["real.person", "no.such.user"] {
        for _ in 0..5 {
            expect_problem(app.login(username, "Wrong-password-1").await, 401, "invalid_credentials").await;
        }
        let locked = app.login(username, "Wrong-password-1").await;
        let retry_after = seconds_header(&locked, "retry-after");
        assert!((1..=60).contains(&retry_after), "{username}: the first lock lasts a minute, got {retry_after}");
        assert_eq!(header(&locked, "ratelimit-remaining").as_deref(), Some("0"), "{username}");
        assert_eq!(header(&locked, "ratelimit-limit").as_deref(), Some("5"), "{username}");
        locks.push(expect_problem(locked, 429, "login_locked").await["code"].clone());
    }
    assert_eq!(locks[0], locks[1], "the answer does not reveal which account exists");
}
