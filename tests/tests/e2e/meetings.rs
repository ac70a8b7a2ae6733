//! Meetings over HTTP (DOMAIN.md §5; seed §1.2): a plan with a major livelihood topic is approved
//! only with its invitations, openness and broadcast; an important decision draft is discussed only
//! after its consultation results are published.

use chrono::{Duration, Utc};
use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};

async fn token(app: &TestApp, username: &str) -> String {
    app.tokens(username, &TestApp::password_of(username)).await["access_token"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.http.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

async fn ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = post(app, token, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

#[actix_web::test]
async fn a_major_livelihood_meeting_needs_its_plan_and_its_published_consultation() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    app.create_user(&admin, "xf.drafter", Some(county), &["drafter"]).await;
    app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
    app.create_user(&admin, "xf.principal", Some(county), &["principal"]).await;
    let (drafter, officer, principal) =
        (token(&app, "xf.drafter").await, token(&app, "xf.officer").await, token(&app, "xf.principal").await);

    // The consultation on the draft, open now.
    let opens = Utc::now() - Duration::minutes(1);
    let consultation = ok(
        &app,
        &drafter,
        "/api/v1/consultations",
        json!({
        "title": "《元谋县城乡居民最低生活保障实施细则（征求意见稿）》", "draft_text": "第一条……",
        "method": "written_comment", "purpose": "听取意见", "opens_at": opens, "closes_at": opens + Duration::days(31),
        "contact": "县民政局 0878-8211234"}),
    )
    .await;
    let consultation_id = consultation["id"].as_str().unwrap().to_owned();
    ok(&app, &drafter, &format!("/api/v1/consultations/{consultation_id}/open"), json!({})).await;

    let bare_topic = json!({"title": "审议低保实施细则", "major_livelihood": true, "important_decision_draft": true,
        "consultation_id": consultation_id});
    let plan = json!({"title": "县人民政府第12次常务会议", "scheduled_at": Utc::now() + Duration::days(40), "topics": [bare_topic]});
    let meeting = ok(&app, &drafter, "/api/v1/meetings", plan).await;
    let id = meeting["id"].as_str().unwrap().to_owned();
    let by_drafter = post(&app, &drafter, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    expect_problem(by_drafter, 403, "forbidden").await;
    let refused = post(&app, &principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    let problem = expect_problem(refused, 422, "rules_failed").await;
    assert_eq!(problem["rules"], json!(["invitation_plan_missing", "openness_missing"]));

    let replan = |topic: Value| {
        let update = json!({"title": "县人民政府第12次常务会议", "scheduled_at": Utc::now() + Duration::days(40), "topics": [topic]});
        app.http.put(app.url(&format!("/api/v1/meetings/{id}"))).bearer_auth(&drafter).json(&update).send()
    };
    let mut topic = json!({"title": "审议低保实施细则", "major_livelihood": true, "important_decision_draft": true,
        "consultation_id": consultation_id, "open": true,
        "invitations": {"stakeholders": true, "public_representatives": true, "experts": true, "media": true}});
    assert_eq!(replan(topic.clone()).await.unwrap().status(), 200);
    let refused = post(&app, &principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    assert_eq!(expect_problem(refused, 422, "rules_failed").await["rules"], json!(["broadcast_missing"]));

    topic["broadcast"] = json!(["online_live", "teleconference_stream"]);
    assert_eq!(replan(topic).await.unwrap().status(), 200);
    let approved = ok(&app, &principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["topics"][0]["broadcast"], json!(["online_live", "teleconference_stream"]));

    let early = post(&app, &principal, &format!("/api/v1/meetings/{id}/hold"), json!({})).await;
    assert_eq!(expect_problem(early, 422, "rules_failed").await["rules"], json!(["consultation_results_missing"]));
    ok(&app, &officer, &format!("/api/v1/consultations/{consultation_id}/close"), json!({})).await;
    let still = post(&app, &principal, &format!("/api/v1/meetings/{id}/hold"), json!({})).await;
    expect_problem(still, 422, "rules_failed").await;
    ok(
        &app,
        &officer,
        &format!("/api/v1/consultations/{consultation_id}/publish-results"),
        json!({"summary": "未收到意见"}),
    )
    .await;
    let held = ok(&app, &principal, &format!("/api/v1/meetings/{id}/hold"), json!({})).await;
    assert_eq!(held["status"], "held");
    let again = post(&app, &principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    expect_problem(again, 409, "meeting_state_conflict").await;
}
