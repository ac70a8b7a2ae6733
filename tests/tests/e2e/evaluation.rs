//! Evaluation over HTTP (seed §6; DOMAIN.md §8): indicator trees refused unless each level's weights
//! sum to 100, scores by the government office and by a third-party client with their source,
//! rankings whose totals the test computes on its own, and the openness share (4% by default).

use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

struct County {
    app: TestApp,
    admin: String,
    county: Uuid,
    departments: [Uuid; 3],
    office: String,
    officer: String,
    other_office: String,
}

impl County {
    async fn new() -> County {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office_org =
            app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let mut departments = [Uuid::nil(); 3];
        for (slot, name) in departments.iter_mut().zip(["元谋县财政局", "元谋县民政局", "元谋县教育体育局"])
        {
            *slot = app.create_organization(&admin, name, "department", Some(county)).await;
        }
        let other = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_office_org =
            app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other)).await;
        app.create_user(&admin, "zfb.office", Some(office_org), &["gov_office"]).await;
        app.create_user(&admin, "mz.officer", Some(departments[1]), &["openness_officer"]).await;
        app.create_user(&admin, "wd.office", Some(other_office_org), &["gov_office"]).await;
        County {
            office: app.token_of("zfb.office").await,
            officer: app.token_of("mz.officer").await,
            other_office: app.token_of("wd.office").await,
            admin,
            county,
            departments,
            app,
        }
    }

    async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> Response {
        self.app.http.request(method, self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    async fn system(&self) -> String {
        let response = self
            .send(
                reqwest::Method::POST,
                &self.office,
                "/api/v1/evaluation-systems",
                json!({"name": "2025年度政务公开考核指标"}),
            )
            .await;
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    async fn put_tree(&self, system: &str, indicators: Value) -> Response {
        let path = format!("/api/v1/evaluation-systems/{system}/indicators");
        self.send(reqwest::Method::PUT, &self.office, &path, json!({"indicators": indicators})).await
    }

    /// A third-party evaluator's client of the county, and its access token.
    async fn third_party(&self, organization: Uuid) -> String {
        let body =
            json!({"name": "云南大学第三方评估中心", "scopes": ["evaluation:write"], "organization_id": organization});
        let response = self.send(reqwest::Method::POST, &self.admin, "/api/v1/oauth-clients", body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let client: Value = response.json().await.unwrap();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client["id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ];
        let token = self.app.http.post(self.app.url("/api/v1/oauth/token")).form(&form).send().await.unwrap();
        assert_eq!(token.status(), 200);
        token.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
    }
}

fn indicator(code: &str, name: &str, parent: Option<&str>, weight: f64) -> Value {
    json!({"code": code, "name": name, "parent_code": parent, "weight": weight})
}

/// 主动公开 60 (信息发布 37.5, 政策解读 62.5), 依申请公开 40.
fn good_tree() -> Value {
    json!([
        indicator("A", "主动公开", None, 60.0),
        indicator("A1", "信息发布", Some("A"), 37.5),
        indicator("A2", "政策解读", Some("A"), 62.5),
        indicator("B", "依申请公开", None, 40.0),
    ])
}

#[actix_web::test]
async fn weights_not_summing_to_100_are_refused_with_the_indicator_named() {
    let c = County::new().await;
    let system = c.system().await;
    let bad = json!([
        indicator("A", "主动公开", None, 60.0),
        indicator("A1", "信息发布", Some("A"), 37.5),
        indicator("A2", "政策解读", Some("A"), 61.5),
        indicator("A21", "解读材料", Some("A2"), 100.0),
        indicator("B", "依申请公开", None, 40.0),
    ]);
    let problem = expect_problem(c.put_tree(&system, bad.clone()).await, 422, "indicator_tree_invalid").await;
    assert_eq!(problem["errors"].as_object().unwrap().len(), 1, "{problem}");
    let entry = &problem["errors"]["indicators[0]"][0];
    assert_eq!(entry["code"], "weights_not_100");
    let message = entry["message"].as_str().unwrap();
    assert!(message.contains("主动公开") && message.contains("99"), "{message}");
    let english = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/evaluation-systems/{system}/indicators")))
        .bearer_auth(&c.office)
        .header("Accept-Language", "en")
        .json(&json!({"indicators": bad}))
        .send()
        .await
        .unwrap();
    let problem = expect_problem(english, 422, "indicator_tree_invalid").await;
    let message = problem["errors"]["indicators[0]"][0]["message"].as_str().unwrap();
    assert!(message.contains("“主动公开” (A) sum to 99, not 100"), "{message}");

    // The first level is checked too, and a nested level on its own.
    let roots = json!([indicator("A", "主动公开", None, 60.0), indicator("B", "依申请公开", None, 39.5)]);
    let problem = expect_problem(c.put_tree(&system, roots).await, 422, "indicator_tree_invalid").await;
    assert_eq!(problem["errors"]["indicators"][0]["code"], "weights_not_100");
    assert!(problem["errors"]["indicators"][0]["message"].as_str().unwrap().contains("99.5"));
    let nested = json!([
        indicator("A", "主动公开", None, 100.0),
        indicator("A1", "信息发布", Some("A"), 100.0),
        indicator("A11", "机构职能", Some("A1"), 50.0),
        indicator("A12", "政策文件", Some("A1"), 40.0),
    ]);
    let problem = expect_problem(c.put_tree(&system, nested).await, 422, "indicator_tree_invalid").await;
    assert!(problem["errors"]["indicators[1]"][0]["message"].as_str().unwrap().contains("信息发布"));
    let unknown = json!([indicator("A", "主动公开", None, 100.0), indicator("A1", "信息发布", Some("Z"), 100.0)]);
    let problem = expect_problem(c.put_tree(&system, unknown).await, 422, "indicator_tree_invalid").await;
    assert_eq!(problem["errors"]["indicators[1].parent_code"][0]["code"], "unknown_parent");
    let stored = c.app.get_ok(&c.office, &format!("/api/v1/evaluation-systems/{system}")).await;
    assert_eq!(stored["indicators"], json!([]), "nothing of a refused tree is kept");
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'evaluation_system.replace_indicators'";
    assert_eq!(c.app.scalar(audited).await, 0);

    let accepted = c.put_tree(&system, good_tree()).await;
    assert_eq!(accepted.status(), 200);
    let saved: Value = accepted.json().await.unwrap();
    let leaves: Vec<(&str, bool, f64)> = saved["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["code"].as_str().unwrap(), i["is_leaf"].as_bool().unwrap(), i["weight"].as_f64().unwrap()))
        .collect();
    assert_eq!(leaves, [("A", false, 60.0), ("A1", true, 37.5), ("A2", true, 62.5), ("B", true, 40.0)]);
    // Only the county's government office keeps it.
    let path = format!("/api/v1/evaluation-systems/{system}/indicators");
    let body = json!({"indicators": good_tree()});
    expect_problem(c.send(reqwest::Method::PUT, &c.other_office, &path, body.clone()).await, 404, "not_found").await;
    expect_problem(c.send(reqwest::Method::PUT, &c.officer, &path, body).await, 403, "forbidden").await;
}

/// Σ score × weights on the path, computed here without the server's help.
fn expected_total(a1: f64, a2: f64, b: f64) -> f64 {
    a1 * 0.60 * 0.375 + a2 * 0.60 * 0.625 + b * 0.40
}

fn close(actual: &Value, expected: f64) -> bool {
    (actual.as_f64().unwrap() - expected).abs() < 1e-9
}

#[actix_web::test]
async fn staff_and_third_party_scores_rank_with_exact_totals_and_the_openness_share() {
    let c = County::new().await;
    let system = c.system().await;
    let tree: Value = c.put_tree(&system, good_tree()).await.json().await.unwrap();
    let code =
        |code: &str| tree["indicators"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap()["id"].clone();
    let (a, a1, a2, b) = (code("A"), code("A1"), code("A2"), code("B"));
    let body = json!({"system_id": system, "name": "2025年度考核", "starts_on": "2025-01-01", "ends_on": "2025-12-31"});
    let response = c.send(reqwest::Method::POST, &c.office, "/api/v1/evaluation-periods", body).await;
    assert_eq!(response.status(), 201);
    let period = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let scores_path = format!("/api/v1/evaluation-periods/{period}/scores");

    // 财政局 80/90/70, 民政局 90/84/70 (a tie at 79.75), 教育体育局 100/100/50 (80).
    let [finance, civil, education] = c.departments;
    let plan = [(finance, 80.0, 90.0, 70.0), (civil, 90.0, 84.0, 70.0), (education, 100.0, 100.0, 50.0)];
    let staff: Vec<Value> = plan
        .iter()
        .flat_map(|(org, s1, s2, _)| {
            [
                json!({"organization_id": org, "indicator_id": a1, "score": s1}),
                json!({"organization_id": org, "indicator_id": a2, "score": s2}),
            ]
        })
        .collect();
    let recorded = c.send(reqwest::Method::POST, &c.office, &scores_path, json!({"scores": staff})).await;
    assert_eq!(recorded.status(), 200);
    let recorded: Value = recorded.json().await.unwrap();
    assert!(recorded.as_array().unwrap().iter().all(|s| s["source"] == "staff" && s["evaluator"].is_null()));

    let client = c.third_party(c.county).await;
    let third: Vec<Value> =
        plan.iter().map(|(org, _, _, s)| json!({"organization_id": org, "indicator_id": b, "score": s})).collect();
    let as_staff =
        c.send(reqwest::Method::POST, &client, &scores_path, json!({"source": "staff", "scores": third})).await;
    let problem = expect_problem(as_staff, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["source"][0]["code"], "client_source");
    let recorded = c.send(reqwest::Method::POST, &client, &scores_path, json!({"scores": third})).await;
    assert_eq!(recorded.status(), 200, "{}", recorded.text().await.unwrap());
    let recorded: Value = recorded.json().await.unwrap();
    assert!(recorded.as_array().unwrap().iter().all(|s| s["source"] == "third_party"));
    assert_eq!(recorded[0]["evaluator"], "云南大学第三方评估中心");

    let listed = c.app.get_ok(&c.office, &format!("{scores_path}?organization_id={civil}")).await;
    let sources: Vec<(&str, f64)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["source"].as_str().unwrap(), s["score"].as_f64().unwrap()))
        .collect();
    assert_eq!(sources, [("staff", 90.0), ("staff", 84.0), ("third_party", 70.0)]);

    let settings = c.app.get_ok(&c.office, "/api/v1/evaluation-settings").await;
    assert_eq!(settings["openness_share_percent"], 4.0);
    let ranking = c.app.get_ok(&c.office, &format!("/api/v1/evaluation-periods/{period}/ranking")).await;
    assert_eq!(ranking["openness_share_percent"], 4.0);
    assert_eq!(ranking["leaf_indicators"], 3);
    let items = ranking["items"].as_array().unwrap();
    // The government office was not scored: listed apart, not ranked, not missing.
    assert_eq!(
        ranking["unscored"].as_array().unwrap().iter().map(|o| o["name"].clone()).collect::<Vec<_>>(),
        [json!("元谋县人民政府办公室")]
    );
    let order: Vec<(Uuid, u64)> = items
        .iter()
        .map(|i| (i["organization_id"].as_str().unwrap().parse().unwrap(), i["rank"].as_u64().unwrap()))
        .collect();
    // Equal totals share rank 2, ordered by name among themselves (民政局 before 财政局 in code-point order).
    assert_eq!(order, [(education, 1), (civil, 2), (finance, 2)]);
    for item in items {
        let org: Uuid = item["organization_id"].as_str().unwrap().parse().unwrap();
        let (_, s1, s2, s3) = plan.iter().find(|p| p.0 == org).unwrap();
        let total = expected_total(*s1, *s2, *s3);
        assert!(close(&item["total"], total), "{item} expected {total}");
        assert!(close(&item["contribution"], total * 0.04), "{item}");
        assert_eq!(item["complete"], true);
        assert_eq!(item["third_party_scores"], 1);
    }
    assert!(close(&items[0]["total"], 80.0) && close(&items[1]["total"], 79.75));

    // The system administrator changes the share; the ranking follows.
    let put = c
        .send(reqwest::Method::PUT, &c.office, "/api/v1/evaluation-settings", json!({"openness_share_percent": 5}))
        .await;
    expect_problem(put, 403, "forbidden").await;
    let bad = c
        .send(reqwest::Method::PUT, &c.admin, "/api/v1/evaluation-settings", json!({"openness_share_percent": 0}))
        .await;
    assert_eq!(
        expect_problem(bad, 422, "validation_failed").await["errors"]["openness_share_percent"][0]["code"],
        "share_range"
    );
    let put = c
        .send(reqwest::Method::PUT, &c.admin, "/api/v1/evaluation-settings", json!({"openness_share_percent": 5}))
        .await;
    assert_eq!(put.status(), 200);
    let ranking = c.app.get_ok(&c.office, &format!("/api/v1/evaluation-periods/{period}/ranking")).await;
    assert_eq!(ranking["openness_share_percent"], 5.0);
    assert!(close(&ranking["items"][0]["contribution"], 4.0));
    assert!(close(&ranking["items"][1]["contribution"], 79.75 * 0.05));

    // Bad scores are refused by entry; the scored tree is frozen.
    let parent = json!({"scores": [{"organization_id": finance, "indicator_id": a, "score": 50}]});
    let problem =
        expect_problem(c.send(reqwest::Method::POST, &c.office, &scores_path, parent).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["scores[0].indicator_id"][0]["code"], "not_leaf");
    let over = json!({"scores": [{"organization_id": finance, "indicator_id": a1, "score": 100.5}]});
    let problem =
        expect_problem(c.send(reqwest::Method::POST, &c.office, &scores_path, over).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"]["scores[0].score"][0]["code"], "score_range");
    let anonymous_third =
        json!({"source": "third_party", "scores": [{"organization_id": finance, "indicator_id": a1, "score": 60}]});
    let problem = expect_problem(
        c.send(reqwest::Method::POST, &c.office, &scores_path, anonymous_third).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"]["evaluator"][0]["code"], "required");
    // A third party's finding does not silently replace the office's own score (nor the reverse),
    // and the batch it came in writes nothing.
    let over_staff = json!({"source": "third_party", "evaluator": "云南某评估中心", "scores": [
        {"organization_id": civil, "indicator_id": b, "score": 71},
        {"organization_id": finance, "indicator_id": a1, "score": 60},
    ]});
    expect_problem(
        c.send(reqwest::Method::POST, &c.office, &scores_path, over_staff).await,
        409,
        "score_source_conflict",
    )
    .await;
    let kept = "SELECT count(*) AS n FROM evaluation_scores WHERE score IN (6000, 7100)";
    assert_eq!(c.app.scalar(kept).await, 0, "nothing of the refused batch is kept");
    expect_problem(c.put_tree(&system, good_tree()).await, 409, "evaluation_system_frozen").await;
    let audited = "SELECT count(*) AS n FROM audit_log WHERE action = 'evaluation_period.record_scores' \
                   AND actor_kind IN ('user', 'client')";
    assert_eq!(c.app.scalar(audited).await, 2, "one audit row per accepted recording, none for refused ones");
    let stored =
        "SELECT count(*) AS n FROM evaluation_scores WHERE recorded_by_kind = 'client' AND source = 'third_party'";
    assert_eq!(c.app.scalar(stored).await, 3);

    // Another county sees none of it; an officer may not rank; a client of another county neither.
    for path in [format!("/api/v1/evaluation-periods/{period}"), format!("/api/v1/evaluation-periods/{period}/ranking")]
    {
        let response = c.app.http.get(c.app.url(&path)).bearer_auth(&c.other_office).send().await.unwrap();
        expect_problem(response, 404, "not_found").await;
    }
    let response =
        c.app.http.get(c.app.url(&format!("/api/v1/evaluation-periods/{period}/ranking"))).bearer_auth(&c.officer);
    expect_problem(response.send().await.unwrap(), 403, "forbidden").await;
    let other_county: Uuid = c.app.get_ok(&c.admin, "/api/v1/organizations?kind=county_government").await["items"][1]
        ["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let foreign_client = c.third_party(other_county).await;
    let body = json!({"scores": [{"organization_id": finance, "indicator_id": b, "score": 10}]});
    let response = c.send(reqwest::Method::POST, &foreign_client, &scores_path, body).await;
    expect_problem(response, 404, "not_found").await;
    let listed = c.app.get_ok(&c.other_office, "/api/v1/evaluation-periods").await;
    assert_eq!(listed["items"], json!([]));
}
