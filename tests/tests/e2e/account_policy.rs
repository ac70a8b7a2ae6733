//! Password and session rules configured to 等级保护 level 3: complexity, periodic change, no
//! reuse, and sessions that end when idle.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::accounts::{PasswordPolicy, SessionPolicy};
use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};

fn level_three() -> api::state::AccountRules {
    api::state::AccountRules {
        password: PasswordPolicy::LEVEL_THREE,
        session: SessionPolicy { idle_minutes: 10, refresh_days: 1 },
    }
}

async fn change_password(app: &TestApp, username: &str, current: &str, new: &str) -> Response {
    app.http
        .post(app.url("/api/v1/auth/password"))
        .json(&json!({"username": username, "current_password": current, "new_password": new}))
        .send()
        .await
        .unwrap()
}

async fn field_code(response: Response, field: &str) -> (String, String) {
    let body = expect_problem(response, 422, "validation_failed").await;
    let problem = &body["errors"][field][0];
    (
        problem["code"].as_str().unwrap_or_default().to_owned(),
        problem["message"].as_str().unwrap_or_default().to_owned(),
    )
}

fn token_lifetime(access_token: &str) -> i64 {
    let payload = access_token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

#[actix_web::test]
async fn level_three_passwords_mix_three_classes_expire_and_are_not_reused() {
    let app = TestApp::spawn_with_accounts(level_three()).await;
    let admin = app.admin_token().await;

    let policy: Value = app.http.get(app.url("/api/v1/auth/policy")).send().await.unwrap().json().await.unwrap();
    assert_eq!(policy["password"]["min_length"], 8, "{policy}");
    assert_eq!(policy["password"]["min_classes"], 3);
    assert_eq!(policy["password"]["max_age_days"], 90);
    assert_eq!(policy["password"]["history"], 5);
    assert_eq!(policy["session"]["idle_minutes"], 10);
    assert_eq!(policy["session"]["access_token_seconds"], 300, "tokens live half the idle limit");

    // Creation by the administrator follows the same policy, with the policy's numbers in the message.
    let org = app.create_organization(&admin, "县档案馆", "department", None).await;
    let two_classes = app
        .http
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .json(&json!({"username": "qin.yi", "password": "lowercase-only", "display_name": "秦一",
                      "organization_id": org, "roles": ["drafter"]}))
        .send()
        .await
        .unwrap();
    let (code, message) = field_code(two_classes, "password").await;
    assert_eq!(code, "password_too_simple");
    assert!(message.contains("at least 3"), "{message}");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM users WHERE username = 'qin.yi'").await, 0);

    let id = app.create_user(&admin, "qin.yi", Some(org), &["drafter"]).await;
    let first = TestApp::password_of("qin.yi");
    let session = app.tokens("qin.yi", &first).await;
    assert_eq!(session["expires_in"], 300);
    assert_eq!(token_lifetime(session["access_token"].as_str().unwrap()), 300);

    // The owner's own change: the current password proves who asks.
    expect_problem(
        change_password(&app, "qin.yi", "not-the-password-1A", "Second-pass-2").await,
        401,
        "invalid_credentials",
    )
    .await;
    let (code, _) = field_code(change_password(&app, "qin.yi", &first, &first).await, "new_password").await;
    assert_eq!(code, "password_reused", "the current password is never a new one");
    let (code, _) = field_code(change_password(&app, "qin.yi", &first, "alllowercase1").await, "new_password").await;
    assert_eq!(code, "password_too_simple");

    // Five changes; each of the last five passwords is refused, the sixth-oldest is accepted again.
    let passwords: Vec<String> = (1..=5).map(|n| format!("Qin-yi-pass-{n}")).collect();
    let mut current = first.clone();
    for next in &passwords {
        assert_eq!(change_password(&app, "qin.yi", &current, next).await.status(), 204, "change to {next}");
        current = next.clone();
    }
    for recent in &passwords[..4] {
        let (code, _) = field_code(change_password(&app, "qin.yi", &current, recent).await, "new_password").await;
        assert_eq!(code, "password_reused", "{recent} is one of the last five");
    }
    assert_eq!(change_password(&app, "qin.yi", &current, &first).await.status(), 204, "six changes ago is allowed");
    current = first.clone();
    let changes = format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'user.password_changed' AND entity_id = '{id}' \
         AND actor_id = '{id}'"
    );
    assert_eq!(app.scalar(&changes).await, 6, "each change is audited as the owner's");
    expect_problem(app.login("qin.yi", &passwords[4]).await, 401, "invalid_credentials").await;
    let refresh = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": session["refresh_token"]}))
        .send()
        .await
        .unwrap();
    // A password change ends the sessions begun before it.
    expect_problem(refresh, 401, "invalid_refresh_token").await;

    // A password older than 90 days opens no session until it is changed.
    app.execute_batch(&format!("UPDATE users SET password_changed_at = now() - interval '91 days' WHERE id = '{id}'"))
        .await;
    let sessions_before = app.scalar(&format!("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = '{id}'")).await;
    let expired = expect_problem(app.login("qin.yi", &current).await, 403, "password_expired").await;
    assert!(expired["detail"].as_str().unwrap_or_default().contains("/api/v1/auth/password"), "{expired}");
    expect_problem(app.login("qin.yi", "Wrong-password-9").await, 401, "invalid_credentials").await;
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = '{id}'")).await,
        sessions_before,
        "no session for an expired password"
    );
    assert_eq!(change_password(&app, "qin.yi", &current, "Renewed-pass-7").await.status(), 204);
    app.tokens("qin.yi", "Renewed-pass-7").await;

    // An administrator's reset follows the policy too.
    let reset = app
        .http
        .post(app.url(&format!("/api/v1/users/{id}/reset-password")))
        .bearer_auth(&admin)
        .json(&json!({"password": "abcdefgh12"}))
        .send()
        .await
        .unwrap();
    let (code, _) = field_code(reset, "password").await;
    assert_eq!(code, "password_too_simple", "two classes where the policy asks for three");
}

#[actix_web::test]
async fn a_session_unrefreshed_beyond_the_idle_limit_ends() {
    let app = TestApp::spawn_with_accounts(level_three()).await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县气象局", "department", None).await;
    let id = app.create_user(&admin, "lu.er", Some(org), &["drafter"]).await;
    let refresh =
        |token: Value| app.http.post(app.url("/api/v1/auth/refresh")).json(&json!({"refresh_token": token})).send();

    // Active within the limit: the session goes on.
    let session = app.tokens("lu.er", &TestApp::password_of("lu.er")).await;
    app.execute_batch(&format!(
        "UPDATE refresh_tokens SET created_at = now() - interval '9 minutes' WHERE user_id = '{id}'"
    ))
    .await;
    let rotated: Value = refresh(session["refresh_token"].clone()).await.unwrap().json().await.unwrap();
    assert!(rotated["refresh_token"].is_string(), "{rotated}");

    // Unrefreshed for longer than 10 minutes: ended, with every token of the session.
    app.execute_batch(&format!(
        "UPDATE refresh_tokens SET created_at = now() - interval '11 minutes' WHERE user_id = '{id}'"
    ))
    .await;
    let idle = expect_problem(refresh(rotated["refresh_token"].clone()).await.unwrap(), 401, "session_idle").await;
    assert!(idle["detail"].as_str().unwrap_or_default().contains("10"), "{idle}");
    expect_problem(refresh(rotated["refresh_token"].clone()).await.unwrap(), 401, "invalid_refresh_token").await;
    let live = format!("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = '{id}' AND revoked_at IS NULL");
    assert_eq!(app.scalar(&live).await, 0);
    let audited =
        format!("SELECT count(*) AS n FROM audit_log WHERE action = 'session.idle_ended' AND entity_id = '{id}'");
    assert_eq!(app.scalar(&audited).await, 1);
    // Logging in again starts a new session; refreshing never extends it past its login's days.
    let session = app.tokens("lu.er", &TestApp::password_of("lu.er")).await;
    let expiry = |hash_of: &str| {
        format!(
            "SELECT extract(epoch FROM expires_at)::bigint AS n FROM refresh_tokens WHERE token_hash = '{}'",
            api::auth::secrets::sha256_hex(hash_of)
        )
    };
    let first_expiry = app.scalar(&expiry(session["refresh_token"].as_str().unwrap())).await;
    let mut token = session["refresh_token"].clone();
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let rotated: Value = refresh(token).await.unwrap().json().await.unwrap();
        token = rotated["refresh_token"].clone();
        assert_eq!(app.scalar(&expiry(token.as_str().unwrap())).await, first_expiry, "the login's expiry is kept");
    }
}

#[actix_web::test]
async fn a_password_change_is_a_login_attempt_locked_and_audited_like_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "县统计局", "department", None).await;
    let id = app.create_user(&admin, "hua.jiu", Some(org), &["drafter"]).await;
    let password = TestApp::password_of("hua.jiu");

    // An unknown name and a wrong current password get the same answer.
    let unknown = expect_problem(
        change_password(&app, "nobody.here", &password, "Another-pass-3").await,
        401,
        "invalid_credentials",
    )
    .await;
    for attempt in 1..=5 {
        let wrong = change_password(&app, "hua.jiu", &format!("Not-it-{attempt}-x"), "Another-pass-3").await;
        let body = expect_problem(wrong, 401, "invalid_credentials").await;
        assert_eq!(body["title"], unknown["title"]);
    }
    // Five failures lock the account for both ways in, even with the right password.
    let locked = change_password(&app, "hua.jiu", &password, "Another-pass-3").await;
    assert!(locked.headers().contains_key("retry-after"));
    expect_problem(locked, 429, "login_locked").await;
    expect_problem(app.login("hua.jiu", &password).await, 429, "login_locked").await;
    let failures = format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'session.login_failed' AND entity_id = '{id}' \
         AND (details->>'failures_in_a_row')::int BETWEEN 1 AND 5"
    );
    assert_eq!(app.scalar(&failures).await, 5, "each failure is audited with its count");
    let fifth = format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'session.login_failed' AND entity_id = '{id}' \
         AND details->>'failures_in_a_row' = '5' AND details->>'locked_until' IS NOT NULL"
    );
    assert_eq!(app.scalar(&fifth).await, 1, "the failure that locks says until when");
    assert_eq!(
        app.scalar(&format!("SELECT count(*) AS n FROM password_history WHERE user_id = '{id}'")).await,
        0,
        "nothing changed"
    );
}

#[actix_web::test]
async fn the_default_rules_are_published_and_a_generated_password_meets_any_policy() {
    let app = TestApp::spawn().await;
    let policy: Value = app.http.get(app.url("/api/v1/auth/policy")).send().await.unwrap().json().await.unwrap();
    assert_eq!(policy["password"]["min_length"], 10, "{policy}");
    assert_eq!(policy["password"]["min_classes"], 2);
    assert_eq!(policy["password"]["max_age_days"], 0);
    assert_eq!(policy["session"]["idle_minutes"], 30);
    assert_eq!(policy["session"]["access_token_seconds"], 900);
    assert_eq!(policy["session"]["max_days"], 7);
    for min_chars in [10, 24, 25, 64] {
        let strict = PasswordPolicy { min_chars, min_classes: 4, max_age_days: 0, history: 0 };
        for _ in 0..20 {
            let generated = api::auth::secrets::generate_password(&strict);
            assert_eq!(domain::accounts::check_password(&strict, "admin", &generated), Ok(()), "{generated}");
        }
    }
}
