//! Public consultations over HTTP (DOMAIN.md §5; seed §5.2): a draft opened for comment, comments
//! from the public, moderation, clusters, adoption results refused while a clustered opinion not
//! adopted lacks its reason, publication, and the public view.

use chrono::{Duration, Utc};
use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

struct Office {
    app: TestApp,
    admin: String,
    drafter: String,
    officer: String,
    stranger: String,
}

async fn token(app: &TestApp, username: &str) -> String {
    app.tokens(username, &TestApp::password_of(username)).await["access_token"].as_str().unwrap().to_owned()
}

impl Office {
    async fn new() -> Office {
        Office::on(TestApp::spawn().await).await
    }

    async fn on(app: TestApp) -> Office {
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let civil = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let other = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        app.create_user(&admin, "mz.drafter", Some(civil), &["drafter"]).await;
        app.create_user(&admin, "mz.officer", Some(civil), &["openness_officer"]).await;
        app.create_user(&admin, "wd.officer", Some(other), &["openness_officer"]).await;
        Office {
            drafter: token(&app, "mz.drafter").await,
            officer: token(&app, "mz.officer").await,
            stranger: token(&app, "wd.officer").await,
            admin,
            app,
        }
    }

    fn draft(&self, opens_in_days: i64, lasts_days: i64, reason: Option<&str>) -> Value {
        let opens = Utc::now() + Duration::days(opens_in_days) - Duration::minutes(1);
        json!({
            "title": "关于《元谋县城乡居民最低生活保障实施细则（征求意见稿）》公开征求意见的公告",
            "draft_text": "第一条 为规范城乡居民最低生活保障工作……第十二条 低保标准每年调整一次。",
            "method": "written_comment",
            "purpose": "听取社会公众对低保实施细则的意见建议",
            "opens_at": opens,
            "closes_at": opens + Duration::days(lasts_days),
            "shorter_period_reason": reason,
            "channels": ["电子邮件 mzj@yuanmou.gov.cn", "信函 元谋县民政局"],
            "contact": "县民政局社会救助股，0878-8211234",
            "meeting_topic": "县人民政府常务会议审议低保实施细则",
        })
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.post(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    async fn open_consultation(&self) -> String {
        let created = self.ok(&self.drafter, "/api/v1/consultations", self.draft(0, 31, None)).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let opened = self.ok(&self.drafter, &format!("/api/v1/consultations/{id}/open"), json!({})).await;
        assert_eq!(opened["status"], "open");
        id
    }

    async fn get_json(&self, token: Option<&str>, path: &str) -> Value {
        let mut request = self.app.http.get(self.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    async fn public_comment(&self, id: &str, body: Value) -> Response {
        let path = format!("/api/v1/public/consultations/{id}/comments");
        self.app.http.post(self.app.url(&path)).json(&body).send().await.unwrap()
    }

    /// A comment from its own client: a distinct loopback address, as distinct people would have.
    async fn comment_from(&self, client: u8, id: &str, body: Value) -> Response {
        let address = std::net::IpAddr::from([127, 0, 1, client]);
        let http = e2e::client_builder().local_address(address).build().unwrap();
        let path = format!("/api/v1/public/consultations/{id}/comments");
        http.post(self.app.url(&path)).json(&body).send().await.unwrap()
    }

    async fn set_limits(&self, results_working_days: i32, comments_per_hour: i32) {
        let body =
            json!({"results_working_days": results_working_days, "comments_per_address_per_hour": comments_per_hour});
        let response = self
            .app
            .http
            .put(self.app.url("/api/v1/consultation-settings"))
            .bearer_auth(&self.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

#[actix_web::test]
async fn fifty_comments_are_moderated_clustered_answered_and_published_with_every_reason() {
    let office = Office::new().await;
    // Two comments an hour per address: fifty people, one comment each, are not held back.
    office.set_limits(15, 2).await;
    let id = office.open_consultation().await;
    let mut receipts = Vec::new();
    for n in 0..50 {
        let text = match n {
            0..=19 => format!("建议提高低保标准（意见{n}）"),
            20..=29 => format!("建议简化低保申请材料（意见{n}）"),
            _ => format!("其他意见第{n}条"),
        };
        let mut body = json!({"text": text, "clause_ref": "第十二条"});
        if n % 2 == 0 {
            body["name"] = json!(format!("市民{n}"));
            body["contact"] = json!(format!("1390878{n:04}"));
            // Every fourth commenter agrees that the name is published.
            body["publish_name"] = json!(n % 4 == 0);
        }
        let response = office.comment_from(n as u8 + 10, &id, body).await;
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.unwrap();
        assert!(receipt["receipt_code"].as_str().unwrap().starts_with("YJ"));
        receipts.push(receipt["id"].as_str().unwrap().to_owned());
    }

    // Moderation: one comment hidden, one redacted; the originals stay for staff.
    let hide = json!({"hidden": true, "reason": "含有辱骂内容"});
    office.ok(&office.officer, &format!("/api/v1/consultation-comments/{}/moderate", receipts[49]), hide).await;
    let redact =
        json!({"hidden": false, "published_body": "其他意见（已删除个人信息）", "reason": "含有他人身份证号码"});
    office.ok(&office.officer, &format!("/api/v1/consultation-comments/{}/moderate", receipts[48]), redact).await;
    let withhold = json!({"hidden": false, "withhold_name": true, "withhold_clause_ref": true,
        "reason": "署名疑为冒用他人姓名"});
    office.ok(&office.officer, &format!("/api/v1/consultation-comments/{}/moderate", receipts[4]), withhold).await;
    let outsider = office
        .post(
            &office.stranger,
            &format!("/api/v1/consultation-comments/{}/moderate", receipts[47]),
            json!({"hidden": true, "reason": "x"}),
        )
        .await;
    expect_problem(outsider, 404, "not_found").await;
    let outsider = office
        .post(
            &office.stranger,
            &format!("/api/v1/consultations/{id}/clusters"),
            json!({"title": "x", "comment_ids": [receipts[0]]}),
        )
        .await;
    expect_problem(outsider, 404, "not_found").await;
    let by_drafter = office
        .post(
            &office.drafter,
            &format!("/api/v1/consultation-comments/{}/moderate", receipts[47]),
            json!({"hidden": true, "reason": "x"}),
        )
        .await;
    expect_problem(by_drafter, 403, "forbidden").await;

    let clusters = format!("/api/v1/consultations/{id}/clusters");
    let mut cluster_ids = Vec::new();
    for (title, members) in [("提高低保标准", &receipts[0..20]), ("简化申请材料", &receipts[20..30])] {
        let cluster = office.ok(&office.officer, &clusters, json!({"title": title, "comment_ids": members})).await;
        cluster_ids.push(cluster["id"].as_str().unwrap().to_owned());
    }
    let (raise, simplify) = (cluster_ids[0].clone(), cluster_ids[1].clone());
    office
        .ok(&office.officer, &format!("/api/v1/consultation-clusters/{raise}/result"), json!({"result": "not_adopted"}))
        .await;
    office
        .ok(&office.officer, &format!("/api/v1/consultation-clusters/{simplify}/result"), json!({"result": "adopted"}))
        .await;
    // Every published comment gets a result; the hidden 50th is not published.
    for comment in &receipts[30..49] {
        office
            .ok(
                &office.officer,
                &format!("/api/v1/consultation-comments/{comment}/result"),
                json!({"result": "partially_adopted", "reason": "部分内容已吸收"}),
            )
            .await;
    }

    let early = office.post(&office.officer, &format!("/api/v1/consultations/{id}/publish-results"), json!({})).await;
    expect_problem(early, 409, "consultation_state_conflict").await;
    let close = format!("/api/v1/consultations/{id}/close");
    let unreasoned = office.post(&office.officer, &close, json!({})).await;
    assert_eq!(expect_problem(unreasoned, 422, "rules_failed").await["rules"], json!(["early_close_without_reason"]));
    expect_problem(office.post(&office.stranger, &close, json!({"reason": "x"})).await, 404, "not_found").await;
    let still = office.get_json(Some(&office.officer), &format!("/api/v1/consultations/{id}")).await;
    assert_eq!(
        (still["status"].as_str(), still["version"].as_i64()),
        (Some("open"), Some(2)),
        "refusals change nothing"
    );
    assert_eq!(office.public_comment(&id, json!({"text": "仍在期限内的意见"})).await.status(), 201);
    let closed = office.ok(&office.officer, &close, json!({"reason": "县政府常务会议提前审议，经批准提前结束"})).await;
    assert_eq!(closed["early_close_reason"], "县政府常务会议提前审议，经批准提前结束");
    let latest = office.get_json(Some(&office.officer), &format!("/api/v1/consultations/{id}/comments")).await;
    let last = latest.as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned();
    office
        .ok(&office.officer, &format!("/api/v1/consultation-comments/{last}/result"), json!({"result": "adopted"}))
        .await;
    let late = office.public_comment(&id, json!({"text": "截止后的意见"})).await;
    let problem = expect_problem(late, 409, "consultation_closed").await;
    assert!(problem["title"].as_str().unwrap().contains("截止"));

    let refused = office.post(&office.officer, &format!("/api/v1/consultations/{id}/publish-results"), json!({})).await;
    let problem = expect_problem(refused, 422, "rules_failed").await;
    assert_eq!(problem["rules"], json!(["cluster_not_adopted_without_reason"]));
    let unpublished = office.get_json(None, &format!("/api/v1/public/consultations/{id}")).await;
    assert_eq!((unpublished["clusters"].clone(), unpublished["counts"].clone()), (json!([]), json!([])));
    assert!(
        unpublished["comments"].as_array().unwrap().iter().all(|c| c["result"].is_null() && c["reason"].is_null()),
        "no result is public before the results are published"
    );
    let reason = json!({"result": "not_adopted", "reason": "低保标准由州人民政府统一制定，本细则无权调整"});
    office.ok(&office.officer, &format!("/api/v1/consultation-clusters/{raise}/result"), reason).await;
    let published = office
        .ok(
            &office.officer,
            &format!("/api/v1/consultations/{id}/publish-results"),
            json!({"summary": "共收到意见50条"}),
        )
        .await;
    assert_eq!(published["status"], "results_published");
    let after = office
        .post(
            &office.officer,
            &format!("/api/v1/consultation-clusters/{simplify}/result"),
            json!({"result": "not_adopted", "reason": "改"}),
        )
        .await;
    expect_problem(after, 409, "consultation_state_conflict").await;
    let hide_late = office
        .post(
            &office.officer,
            &format!("/api/v1/consultation-comments/{}/moderate", receipts[40]),
            json!({"hidden": true, "reason": "事后隐藏"}),
        )
        .await;
    expect_problem(hide_late, 409, "consultation_state_conflict").await;
    // Personal data found after publication still comes down: redaction changes no count.
    let late_redaction =
        json!({"hidden": false, "published_body": "其他意见（已删除电话号码）", "reason": "含有手机号码"});
    office
        .ok(&office.officer, &format!("/api/v1/consultation-comments/{}/moderate", receipts[40]), late_redaction)
        .await;

    let public = office.get_json(None, &format!("/api/v1/public/consultations/{id}")).await;
    let comments = public["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 50, "the hidden comment is not shown");
    assert!(comments.iter().any(|c| c["text"] == "其他意见（已删除个人信息）"));
    assert!(comments.iter().any(|c| c["text"] == "其他意见（已删除电话号码）"));
    for comment in comments {
        let mut keys: Vec<&str> = comment.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["clause_ref", "cluster_id", "commenter_name", "created_at", "id", "reason", "result", "text"],
            "no staff field reaches the public"
        );
    }
    let partial = comments.iter().find(|c| c["id"] == receipts[30].as_str()).unwrap();
    assert_eq!(
        (partial["result"].as_str(), partial["reason"].as_str()),
        (Some("partially_adopted"), Some("部分内容已吸收"))
    );
    let withheld = comments.iter().find(|c| c["id"] == receipts[4].as_str()).unwrap();
    assert_eq!((withheld["clause_ref"].clone(), withheld["commenter_name"].clone()), (Value::Null, Value::Null));
    assert_eq!(comments[0]["clause_ref"], "第十二条");
    let names: Vec<&str> = comments.iter().filter_map(|c| c["commenter_name"].as_str()).collect();
    let consented: Vec<String> = (0..50).filter(|n| n % 4 == 0 && *n != 4).map(|n| format!("市民{n}")).collect();
    assert_eq!(names, consented, "names only with consent, and 市民4's withheld by moderation");
    assert!(
        !comments.iter().any(|c| c["text"] == "其他意见第48条"),
        "the original of a redacted comment stays internal"
    );
    let text = serde_json::to_string(&public).unwrap();
    for secret in
        ["13908780000", "其他意见第48条", "其他意见第49条", "其他意见第40条", "含有辱骂内容", "市民2\"", "市民4\""]
    {
        assert!(!text.contains(secret), "{secret} is public");
    }
    let counts: Vec<(String, u64)> = public["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["result"].as_str().unwrap().to_owned(), c["comments"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        counts,
        [("adopted".into(), 11), ("partially_adopted".into(), 19), ("not_adopted".into(), 20)],
        "50 published comments, each counted once; the hidden one is not counted"
    );
    let reasons: Vec<&str> =
        public["clusters"].as_array().unwrap().iter().filter_map(|k| k["reason"].as_str()).collect();
    assert!(reasons.contains(&"低保标准由州人民政府统一制定，本细则无权调整"));

    let staff = office.get_json(Some(&office.officer), &format!("/api/v1/consultations/{id}/comments")).await;
    let hidden = staff.as_array().unwrap().iter().find(|c| c["id"] == receipts[49].as_str()).unwrap();
    assert_eq!((hidden["hidden"].as_bool(), hidden["body"].as_str()), (Some(true), Some("其他意见第49条")));
    assert_eq!(staff.as_array().unwrap()[0]["contact"], "13908780000", "the officer reaches the commenter");
    let drafters = office.get_json(Some(&office.drafter), &format!("/api/v1/consultations/{id}/comments")).await;
    assert_eq!(drafters.as_array().unwrap().len(), 51, "the drafter reads every comment");
    assert!(drafters.as_array().unwrap().iter().all(|c| c["contact"].is_null()), "only officers see contacts");
    // The change feed followed it from opening to the results; moderation is no change of the record.
    let feed = office.app.changes_about(&office.admin, &id).await;
    let events: Vec<(&str, &str)> = feed.iter().map(|(t, e, _)| (t.as_str(), e.as_str())).collect();
    assert_eq!(
        events,
        [("consultation", "published"), ("consultation", "closed"), ("consultation", "results_published")]
    );
    assert_eq!(feed[0].2, format!("/api/v1/public/consultations/{id}"));
    let moderated = "SELECT count(*) AS n FROM audit_log WHERE action = 'consultation.moderate'";
    assert_eq!(office.app.scalar(moderated).await, 4);
    let stranger = office
        .app
        .http
        .get(office.app.url(&format!("/api/v1/consultations/{id}")))
        .bearer_auth(&office.stranger)
        .send()
        .await
        .unwrap();
    expect_problem(stranger, 404, "not_found").await;
}

#[actix_web::test]
async fn the_period_is_thirty_days_unless_reasoned_and_comments_wait_for_it() {
    let office = Office::new().await;
    let short = office.post(&office.drafter, "/api/v1/consultations", office.draft(0, 10, None)).await;
    let problem = expect_problem(short, 422, "rules_failed").await;
    assert_eq!(problem["rules"], json!(["short_period_without_reason"]));
    let mut unlinked = office.draft(0, 31, None);
    unlinked.as_object_mut().unwrap().remove("meeting_topic");
    let refused = office.post(&office.drafter, "/api/v1/consultations", unlinked.clone()).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["document_id"][0]["code"], "draft_link_required");
    unlinked["document_id"] = json!(Uuid::now_v7());
    let refused = office.post(&office.drafter, "/api/v1/consultations", unlinked).await;
    let problem = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["document_id"][0]["code"], "not_found", "only the organization's own documents");
    assert_eq!(office.app.scalar("SELECT count(*) AS n FROM consultations").await, 0);
    let reasoned = office
        .ok(&office.drafter, "/api/v1/consultations", office.draft(2, 10, Some("汛期临时救助措施，时间紧迫")))
        .await;
    let id = reasoned["id"].as_str().unwrap().to_owned();

    let unseen =
        office.app.http.get(office.app.url(&format!("/api/v1/public/consultations/{id}"))).send().await.unwrap();
    expect_problem(unseen, 404, "not_found").await;
    expect_problem(office.public_comment(&id, json!({"text": "草稿阶段的意见"})).await, 404, "not_found").await;
    office.ok(&office.drafter, &format!("/api/v1/consultations/{id}/open"), json!({})).await;
    let early = office.public_comment(&id, json!({"text": "开始前的意见"})).await;
    expect_problem(early, 409, "consultation_not_open_yet").await;
    let edit = office
        .app
        .http
        .put(office.app.url(&format!("/api/v1/consultations/{id}")))
        .bearer_auth(&office.drafter)
        .json(&office.draft(0, 31, None))
        .send()
        .await
        .unwrap();
    expect_problem(edit, 409, "consultation_state_conflict").await;
    let unknown = office.public_comment(&Uuid::now_v7().to_string(), json!({"text": "不存在的征求意见"})).await;
    expect_problem(unknown, 404, "not_found").await;
    let blank = office.public_comment(&id, json!({"text": "   "})).await;
    expect_problem(blank, 422, "validation_failed").await;
}

#[actix_web::test]
async fn results_not_published_in_time_are_listed_and_recorded_as_a_breach_once() {
    let office = Office::new().await;
    let past = office.draft(-45, 31, None);
    let created = office.ok(&office.drafter, "/api/v1/consultations", past).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let refused = office.post(&office.drafter, &format!("/api/v1/consultations/{id}/open"), json!({})).await;
    assert_eq!(expect_problem(refused, 422, "rules_failed").await["rules"], json!(["period_already_over"]));
    let late = office.ok(&office.drafter, "/api/v1/consultations", office.draft(-5, 31, None)).await;
    let refused = office
        .post(&office.drafter, &format!("/api/v1/consultations/{}/open", late["id"].as_str().unwrap()), json!({}))
        .await;
    assert_eq!(
        expect_problem(refused, 422, "rules_failed").await["rules"],
        json!(["short_period_without_reason"]),
        "opened five days late the public would get 26 days"
    );
    // It was opened on time, 45 days ago: the act runs at that moment.
    let mut conn = persistence::connection(&office.app.pool).await.unwrap();
    let opened_at = Utc::now() - Duration::days(45);
    let opened = persistence::consultations::act(
        &mut conn,
        &persistence::audit::Actor::system(None),
        id.parse().unwrap(),
        None,
        persistence::consultations::ConsultationAct::Open,
        opened_at,
    )
    .await
    .unwrap();
    assert_eq!(opened.status_at(Utc::now()), domain::consultations::ConsultationStatus::Closed, "its period is over");
    let awaiting = office.get_json(Some(&office.officer), "/api/v1/consultations?awaiting_results=true").await;
    assert_eq!(awaiting["items"][0]["id"], id.as_str());
    let today = (Utc::now() + Duration::hours(8)).date_naive();
    assert_eq!(persistence::consultations::record_late_results(&mut conn, Utc::now(), today, 1).await.unwrap(), 1);
    assert_eq!(persistence::consultations::record_late_results(&mut conn, Utc::now(), today, 1).await.unwrap(), 0);
    let breaches =
        format!("SELECT count(*) AS n FROM breaches WHERE kind = 'consultation_results_late' AND entity_id = '{id}'");
    assert_eq!(office.app.scalar(&breaches).await, 1);
}

#[actix_web::test]
async fn comments_from_one_address_are_limited() {
    let office = Office::new().await;
    office.set_limits(15, 2).await;
    let id = office.open_consultation().await;
    for n in 0..2 {
        assert_eq!(office.public_comment(&id, json!({"text": format!("意见{n}")})).await.status(), 201);
    }
    let flood = office.public_comment(&id, json!({"text": "第三条意见"})).await;
    assert!(flood.headers().contains_key("retry-after"));
    expect_problem(flood, 429, "rate_limited").await;
    assert_eq!(office.app.scalar("SELECT count(*) AS n FROM consultation_comments").await, 2);
}

#[actix_web::test]
async fn a_period_that_ends_is_stored_as_closed_then_and_reaches_the_change_feed() {
    let clock = api::clock::Clock::manual(Utc::now());
    let office = Office::on(TestApp::spawn_with_clock(clock.clone()).await).await;
    let id = office.open_consultation().await;
    let staff = office.get_json(Some(&office.officer), &format!("/api/v1/consultations/{id}")).await;
    let closes_at = chrono::DateTime::parse_from_rfc3339(staff["closes_at"].as_str().unwrap()).unwrap().to_utc();
    let events = |feed: Vec<(String, String, String)>| feed.into_iter().map(|(_, e, _)| e).collect::<Vec<_>>();
    assert_eq!(events(office.app.changes_about(&office.admin, &id).await), ["published"]);

    clock.set(closes_at - Duration::seconds(1));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(events(office.app.changes_about(&office.admin, &id).await), ["published"], "not before its end");
    clock.set(closes_at + Duration::seconds(1));
    let mut feed = Vec::new();
    for _ in 0..100 {
        feed = events(office.app.changes_about(&office.admin, &id).await);
        if feed.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(feed, ["published", "closed"], "closed by the sweeper, nobody acting");
    let stored = format!(
        "SELECT count(*) AS n FROM consultations WHERE id = '{id}' AND status = 'closed' AND closed_at = closes_at"
    );
    assert_eq!(office.app.scalar(&stored).await, 1, "dated at the period's end");
    let by_system = format!("SELECT count(*) AS n FROM audit_log WHERE action = 'consultation.close' AND entity_id = '{id}' AND actor_kind = 'system'");
    assert_eq!(office.app.scalar(&by_system).await, 1);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(events(office.app.changes_about(&office.admin, &id).await).len(), 2, "closed once");
}
