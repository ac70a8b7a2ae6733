//! Participation channels over HTTP (seed §5.3): a message to the leader mailbox gets a receipt and
//! a reply due date, the openness officer answers it, and only answers the sender agreed to
//! publish appear publicly — without the sender's name or contact.

use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

#[actix_web::test]
async fn messages_are_answered_by_their_due_date_and_published_only_with_consent() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let other = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
    app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
    app.create_user(&admin, "wd.officer", Some(other), &["openness_officer"]).await;
    let officer = app.token_of("xf.officer").await;
    let stranger = app.token_of("wd.officer").await;

    let five_days = json!({"message_reply_working_days": 5, "messages_per_address_per_hour": 10});
    let put = |token: &str| {
        app.http.put(app.url("/api/v1/participation-settings")).bearer_auth(token).json(&five_days).send()
    };
    expect_problem(put(&officer).await.unwrap(), 403, "forbidden").await;
    assert_eq!(put(&admin).await.unwrap().status(), 200);
    let send = |body: Value| app.http.post(app.url("/api/v1/public/messages")).json(&body).send();
    let consenting = json!({"organization_id": county, "subject": "关于村道路灯维修的建议",
        "body": "元马镇某村村道路灯损坏已一月，建议尽快维修。", "name": "李四", "contact": "13987650000",
        "publish_consent": true});
    let response = app
        .http
        .post(app.url("/api/v1/public/messages"))
        .header("x-request-id", "public-message-1")
        .json(&consenting)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    // The anonymous change carries its request id, which ties it to an Idempotency-Key claim.
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'message.receive' \
                   AND actor_kind = 'anonymous' AND request_id = 'public-message-1'";
    assert_eq!(app.scalar(audited).await, 1);
    assert!(receipt["receipt_code"].as_str().unwrap().starts_with("LY"));
    let explained: Value = app
        .http
        .get(app.url(&format!(
            "/api/v1/calendar/deadline?from={}&working_days=5",
            receipt["received_on"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["due_on"], explained["due_on"], "the 5 working days the administrator set");
    let private = json!({"organization_id": county, "subject": "个人事项咨询", "body": "咨询个人低保待遇问题，请电话回复。",
        "contact": "13987651111"});
    let private_id = send(private).await.unwrap().json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let unknown =
        send(json!({"organization_id": Uuid::now_v7(), "subject": "测试", "body": "不存在的机关"})).await.unwrap();
    let problem = expect_problem(unknown, 422, "validation_failed").await;
    assert!(problem["errors"]["organization_id"].is_array());
    let empty = send(json!({"organization_id": county, "subject": " ", "body": "正文足够长的留言"})).await.unwrap();
    expect_problem(empty, 422, "validation_failed").await;

    let inbox: Value =
        app.http.get(app.url("/api/v1/messages")).bearer_auth(&officer).send().await.unwrap().json().await.unwrap();
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2);
    assert_eq!(inbox["items"][1]["contact"], "13987650000", "the officer reaches the sender");
    let outsider: Value =
        app.http.get(app.url("/api/v1/messages")).bearer_auth(&stranger).send().await.unwrap().json().await.unwrap();
    assert_eq!(outsider["items"].as_array().unwrap().len(), 0, "another county's officer sees none");
    let id = receipt["id"].as_str().unwrap();
    let foreign = app
        .http
        .post(app.url(&format!("/api/v1/messages/{id}/reply")))
        .bearer_auth(&stranger)
        .json(&json!({"reply_text": "x"}))
        .send()
        .await
        .unwrap();
    expect_problem(foreign, 404, "not_found").await;

    let unanswered = app
        .http
        .post(app.url(&format!("/api/v1/messages/{id}/publication")))
        .bearer_auth(&officer)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    expect_problem(unanswered, 409, "message_not_replied").await;
    app.create_user(&admin, "xf.drafter", Some(county), &["drafter"]).await;
    let colleague = app.get_ok(&app.token_of("xf.drafter").await, "/api/v1/messages").await;
    assert_eq!(colleague["items"].as_array().unwrap().len(), 2, "the colleague reads the messages");
    assert!(
        colleague["items"].as_array().unwrap().iter().all(|m| m["contact"].is_null()),
        "only the openness officers see contacts"
    );

    for (message, text) in [(id, "已安排镇村两级于本周内维修。"), (private_id.as_str(), "已电话回复。")]
    {
        let reply = json!({"reply_text": text});
        let response = app
            .http
            .post(app.url(&format!("/api/v1/messages/{message}/reply")))
            .bearer_auth(&officer)
            .json(&reply)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let twice = app
        .http
        .post(app.url(&format!("/api/v1/messages/{id}/reply")))
        .bearer_auth(&officer)
        .json(&json!({"reply_text": "再次"}))
        .send()
        .await
        .unwrap();
    expect_problem(twice, 409, "message_already_replied").await;

    let public_list = || async {
        let text = app.http.get(app.url("/api/v1/public/messages")).send().await.unwrap().text().await.unwrap();
        (serde_json::from_str::<Value>(&text).unwrap(), text)
    };
    let (listed, _) = public_list().await;
    assert_eq!(listed["items"], json!([]), "nothing is public before the officer decides");
    let awaiting = app.get_ok(&officer, "/api/v1/messages?awaiting_publication=true").await;
    let waiting: Vec<&str> = awaiting["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(waiting, [id], "only the answered message whose sender agreed waits for a decision");

    let publish = |message: String, token: String, body: Value| {
        app.http.post(app.url(&format!("/api/v1/messages/{message}/publication"))).bearer_auth(token).json(&body).send()
    };
    let refused = publish(private_id.clone(), officer.clone(), json!({})).await.unwrap();
    expect_problem(refused, 409, "message_publication_not_consented").await;
    let foreign = publish(id.to_owned(), stranger.clone(), json!({})).await.unwrap();
    expect_problem(foreign, 404, "not_found").await;
    let redacted = json!({"body": "元马镇某村村道路灯损坏已一月，建议尽快维修。（已隐去村名）"});
    let response = publish(id.to_owned(), officer.clone(), redacted).await.unwrap();
    assert_eq!(response.status(), 200);
    let staff: Value = response.json().await.unwrap();
    assert_eq!(staff["body"], "元马镇某村村道路灯损坏已一月，建议尽快维修。", "the original stays for staff");
    assert!(staff["published_at"].is_string());

    let (listed, public) = public_list().await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "only the message the officer published");
    assert_eq!(listed["items"][0]["reply_text"], "已安排镇村两级于本周内维修。");
    assert_eq!(listed["items"][0]["body"], "元马镇某村村道路灯损坏已一月，建议尽快维修。（已隐去村名）");
    for secret in ["李四", "13987650000", "个人低保待遇", "已电话回复"] {
        assert!(!public.contains(secret), "{secret} is public: {public}");
    }
    let withdraw = |token: &str| {
        app.http
            .post(app.url(&format!("/api/v1/messages/{id}/withdraw-publication")))
            .bearer_auth(token)
            .json(&json!({"reason": "留言人撤回同意"}))
            .send()
    };
    assert_eq!(withdraw(&officer).await.unwrap().status(), 200);
    assert_eq!(public_list().await.0["items"], json!([]), "withdrawn");
    expect_problem(withdraw(&officer).await.unwrap(), 409, "message_not_published").await;
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action IN ('message.publish', 'message.withdraw')";
    assert_eq!(app.scalar(audited).await, 2);
}

#[actix_web::test]
async fn unanswered_messages_past_their_due_date_are_listed_as_overdue() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
    let officer = app.token_of("xf.officer").await;
    let mut conn = persistence::connection(&app.pool).await.unwrap();
    let sealer = app.sealer();
    let new = |subject: &str| persistence::messages::NewMessage {
        organization_id: county,
        subject: subject.to_owned(),
        body: "请尽快处理村里的排水沟问题。".to_owned(),
        sender_name: None,
        contact: None,
        publish_consent: false,
    };
    // Received on Monday 2 Nov 2026: ten working days end on Monday 16 Nov, long before today.
    let old_day = "2026-11-02".parse().unwrap();
    let old = persistence::messages::receive(&mut conn, &sealer, &new("三周前的留言"), old_day, None).await.unwrap();
    assert_eq!(old.due_on, "2026-11-16".parse::<chrono::NaiveDate>().unwrap());
    let answered_late =
        persistence::messages::receive(&mut conn, &sealer, &new("迟复的留言"), old_day, None).await.unwrap();
    let today = crate::requests::today();
    persistence::messages::reply(
        &mut conn,
        &persistence::audit::Actor::system(None),
        answered_late.id,
        "已处理",
        today,
    )
    .await
    .unwrap();
    let fresh = app
        .http
        .post(app.url("/api/v1/public/messages"))
        .json(&json!({"organization_id": county, "subject": "今天的留言", "body": "今天提交的留言正文。"}))
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 201);

    let list = |query: &'static str| {
        let (app, officer) = (&app, officer.clone());
        async move {
            let page = app.get_ok(&officer, &format!("/api/v1/messages{query}")).await;
            page["items"].as_array().unwrap().clone()
        }
    };
    let overdue = list("?overdue=true").await;
    let ids: Vec<&str> = overdue.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [old.id.to_string()], "only the unanswered one past its due date");
    assert_eq!(overdue[0]["late"], true);
    let all = list("").await;
    assert_eq!(all.len(), 3);
    let late_reply = all.iter().find(|m| m["id"] == answered_late.id.to_string()).unwrap();
    assert_eq!((late_reply["status"].as_str(), late_reply["late"].as_bool()), (Some("replied"), Some(true)));
    let on_time = all.iter().find(|m| m["subject"] == "今天的留言").unwrap();
    assert_eq!(on_time["late"], false);
}

#[actix_web::test]
async fn a_new_local_holiday_moves_the_due_date_of_unanswered_messages() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    app.create_user(&admin, "xf.officer", Some(county), &["openness_officer"]).await;
    let officer = app.token_of("xf.officer").await;
    let mut conn = persistence::connection(&app.pool).await.unwrap();
    let new = persistence::messages::NewMessage {
        organization_id: county,
        subject: "路灯维修".to_owned(),
        body: "村道路灯损坏，请维修。".to_owned(),
        sender_name: None,
        contact: None,
        publish_consent: false,
    };
    // Received on Monday 1 February 2027: ten working days end on Monday 15 February (the Spring
    // Festival of 2027 is not in the seeded schedules, so only weekends are skipped).
    let received = "2027-02-01".parse().unwrap();
    let message = persistence::messages::receive(&mut conn, &app.sealer(), &new, received, None).await.unwrap();
    assert_eq!(message.due_on.to_string(), "2027-02-15");
    let holiday = json!({"name": "彝族年（测试）", "source": "楚雄州人民政府通知（测试）"});
    let response = app
        .http
        .put(app.url("/api/v1/calendar/local-holidays/2027-02-03"))
        .bearer_auth(&admin)
        .json(&holiday)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let listed = app.get_ok(&officer, "/api/v1/messages").await;
    assert_eq!(listed["items"][0]["due_on"], "2027-02-16", "one working day fewer in the window");
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'message.due_date_recomputed'";
    assert_eq!(app.scalar(audited).await, 1);
}
