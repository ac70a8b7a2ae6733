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
    let response = send(consenting).await.unwrap();
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
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

    let public = app.http.get(app.url("/api/v1/public/messages")).send().await.unwrap().text().await.unwrap();
    let listed: Value = serde_json::from_str(&public).unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "only the message whose sender agreed");
    assert_eq!(listed["items"][0]["reply_text"], "已安排镇村两级于本周内维修。");
    for secret in ["李四", "13987650000", "个人低保待遇"] {
        assert!(!public.contains(secret), "{secret} is public: {public}");
    }
}
