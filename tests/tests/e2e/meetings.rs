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
        "contact": "县民政局 0878-8211234", "meeting_topic": "审议低保实施细则"}),
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
    let reason = json!({"reason": "会议提前，经县政府同意缩短征求意见期"});
    ok(&app, &officer, &format!("/api/v1/consultations/{consultation_id}/close"), reason).await;
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
    let summary = &held["comment_summaries"][0];
    assert_eq!(
        (summary["topic"].as_u64(), summary["consultation_id"].as_str()),
        (Some(0), Some(consultation_id.as_str()))
    );
    assert_eq!(
        (summary["status"].as_str(), summary["results_summary"].as_str(), summary["comments"].as_u64()),
        (Some("results_published"), Some("未收到意见"), Some(0)),
        "the comment summary is attached to the meeting: {summary}"
    );
    assert_eq!(
        summary["counts"],
        json!([{"result": "adopted", "comments": 0}, {"result": "partially_adopted", "comments": 0},
            {"result": "not_adopted", "comments": 0}])
    );
    let again = post(&app, &principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    expect_problem(again, 409, "meeting_state_conflict").await;
}

struct Planning {
    app: TestApp,
    drafter: String,
    principal: String,
    dept_drafter: String,
}

impl Planning {
    async fn new() -> Planning {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let civil = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let other = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        app.create_user(&admin, "xf.drafter", Some(county), &["drafter"]).await;
        app.create_user(&admin, "xf.principal", Some(county), &["principal"]).await;
        app.create_user(&admin, "mz.drafter", Some(civil), &["drafter"]).await;
        app.create_user(&admin, "wd.drafter", Some(other), &["drafter"]).await;
        Planning {
            drafter: token(&app, "xf.drafter").await,
            principal: token(&app, "xf.principal").await,
            dept_drafter: token(&app, "mz.drafter").await,
            app,
        }
    }

    async fn consultation(&self, token: &str) -> String {
        let opens = Utc::now() + Duration::days(1);
        let draft = json!({"title": "征求意见稿", "draft_text": "第一条……", "method": "written_comment",
            "purpose": "听取意见", "opens_at": opens, "closes_at": opens + Duration::days(31), "contact": "0878-8211234",
            "meeting_topic": "常务会议审议事项"});
        ok(&self.app, token, "/api/v1/consultations", draft).await["id"].as_str().unwrap().to_owned()
    }

    /// A consultation announced to the public (open, its period starting tomorrow).
    async fn announced(&self, token: &str) -> String {
        let id = self.consultation(token).await;
        ok(&self.app, token, &format!("/api/v1/consultations/{id}/open"), json!({})).await;
        id
    }

    fn plan(topic: Value) -> Value {
        json!({"title": "常务会议", "scheduled_at": Utc::now() + Duration::days(40), "topics": [topic]})
    }
}

#[actix_web::test]
async fn a_topic_cites_only_a_consultation_its_organization_answers_for() {
    let p = Planning::new().await;
    let foreign = {
        let wd = token(&p.app, "wd.drafter").await;
        p.announced(&wd).await
    };
    let departments = p.announced(&p.dept_drafter).await;
    let cite = |consultation: &str| {
        Planning::plan(json!({"title": "审议草案", "important_decision_draft": true, "consultation_id": consultation}))
    };

    let refused = post(&p.app, &p.drafter, "/api/v1/meetings", cite(&foreign)).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"]["topics"][0]["code"], "consultation_not_found",
        "another county's consultation is as unknown as a missing one: {problem}"
    );
    let unknown = post(&p.app, &p.drafter, "/api/v1/meetings", cite(&uuid::Uuid::now_v7().to_string())).await;
    let problem = expect_problem(unknown, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["topics"][0]["code"], "consultation_not_found", "{problem}");
    assert_eq!(p.app.scalar("SELECT count(*) AS n FROM meetings").await, 0, "nothing half-written");

    // The county government's executive meeting decides its department's draft.
    let meeting = ok(&p.app, &p.drafter, "/api/v1/meetings", cite(&departments)).await;
    assert_eq!(meeting["comment_summaries"][0]["status"], "open");
    let internal = p.consultation(&p.dept_drafter).await;
    let refused = post(&p.app, &p.drafter, "/api/v1/meetings", cite(&internal)).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(
        problem["errors"]["topics"][0]["code"], "consultation_not_found",
        "another organization's draft is internal to it"
    );
    // A department cannot cite another county's consultation either, nor one of the county government.
    let county_consultation = p.announced(&p.drafter).await;
    let by_department = post(&p.app, &p.dept_drafter, "/api/v1/meetings", cite(&county_consultation)).await;
    let problem = expect_problem(by_department, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["topics"][0]["code"], "consultation_of_other_organization");

    // Replanning is held to the same rule, and a refused replan changes nothing.
    let id = meeting["id"].as_str().unwrap();
    let replan = p
        .app
        .http
        .put(p.app.url(&format!("/api/v1/meetings/{id}")))
        .bearer_auth(&p.drafter)
        .json(&cite(&foreign))
        .send()
        .await
        .unwrap();
    expect_problem(replan, 422, "validation_failed").await;
    let current = p.app.get_ok(&p.drafter, &format!("/api/v1/meetings/{id}")).await;
    assert_eq!(
        (current["version"].as_i64(), current["topics"][0]["consultation_id"].as_str()),
        (Some(1), Some(departments.as_str()))
    );
}

#[actix_web::test]
async fn an_important_draft_without_a_consultation_and_a_confidential_topic_without_its_reason_are_refused() {
    let p = Planning::new().await;
    let topics = json!([
        {"title": "审议县城规划修编（草案）", "important_decision_draft": true},
        {"title": "研究涉密事项", "major_livelihood": true, "open": false,
         "invitations": {"stakeholders": false, "public_representatives": false, "experts": true, "media": false}}
    ]);
    let plan = json!({"title": "常务会议", "scheduled_at": Utc::now() + Duration::days(40), "topics": topics});
    let meeting = ok(&p.app, &p.drafter, "/api/v1/meetings", plan.clone()).await;
    let id = meeting["id"].as_str().unwrap().to_owned();
    let refused = post(&p.app, &p.principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    assert_eq!(expect_problem(refused, 422, "rules_failed").await["rules"], json!(["confidential_reason_missing"]));
    let current = p.app.get_ok(&p.drafter, &format!("/api/v1/meetings/{id}")).await;
    assert_eq!(
        (current["status"].as_str(), current["version"].as_i64()),
        (Some("planned"), Some(1)),
        "refused: unchanged"
    );

    let mut reasoned = plan;
    reasoned["topics"][1]["confidential_reason"] = json!("涉及国家秘密（《中华人民共和国保守国家秘密法》）");
    let response = p
        .app
        .http
        .put(p.app.url(&format!("/api/v1/meetings/{id}")))
        .bearer_auth(&p.drafter)
        .json(&reasoned)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    ok(&p.app, &p.principal, &format!("/api/v1/meetings/{id}/approve"), json!({})).await;
    let hold = post(&p.app, &p.principal, &format!("/api/v1/meetings/{id}/hold"), json!({})).await;
    assert_eq!(
        expect_problem(hold, 422, "rules_failed").await["rules"],
        json!(["consultation_results_missing"]),
        "an important draft with no consultation at all"
    );
    let current = p.app.get_ok(&p.drafter, &format!("/api/v1/meetings/{id}")).await;
    assert_eq!(current["status"], "approved");
    assert_eq!(p.app.scalar("SELECT count(*) AS n FROM audit_log WHERE action = 'meeting.hold'").await, 0);
}
