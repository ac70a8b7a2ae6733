//! The world the matrix runs in: the owning department of 元谋县 with a member of staff in each
//! role, its county's government office, the same again in 武定县 (the stranger), the system
//! administrator, a machine client with every scope, and a record of the owning department behind
//! each path parameter the world can build.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use e2e::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

/// The staff roles each organization has one user for, in the matrix's column order.
pub const ROLES: [&str; 5] = ["drafter", "openness_officer", "openness_head", "principal", "opinion_officer"];

/// One column of the matrix.
pub struct Caller {
    pub name: String,
    pub token: Option<String>,
}

pub struct World {
    pub app: TestApp,
    /// Columns: anonymous, system_admin, the owner's five roles and its county's gov_office, the
    /// stranger's five roles and its county's gov_office, the machine client.
    pub callers: Vec<Caller>,
    pub owner: Uuid,
    /// Path prefix after `/api/v1/` (e.g. `documents`) → the id of the owner's record.
    pub ids: HashMap<&'static str, String>,
}

impl World {
    pub async fn build() -> World {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let owner = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_office =
            app.create_organization(&admin, "武定县人民政府办公室", "government_office", Some(other_county)).await;
        let stranger = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
        let mut callers = vec![
            Caller { name: "anonymous".into(), token: None },
            Caller { name: "system_admin".into(), token: Some(admin.clone()) },
        ];
        for (prefix, org, gov_office_org) in [("own", owner, office), ("stranger", stranger, other_office)] {
            for role in ROLES.iter().chain(["gov_office"].iter()) {
                let name = format!("{prefix}.{role}");
                let org = if *role == "gov_office" { gov_office_org } else { org };
                app.create_user(&admin, &name, Some(org), &[role]).await;
                callers.push(Caller { token: Some(app.token_of(&name).await), name });
            }
        }
        let scopes = [
            "public:read",
            "documents:read",
            "documents:write",
            "requests:read",
            "requests:write",
            "sync:read",
            "webhooks:manage",
            "reports:read",
            "evaluation:write",
        ];
        let client = client_of(&app, &admin, owner, &scopes).await;
        callers.push(Caller { name: "client".into(), token: Some(client) });
        let mut world = World { app, callers, owner, ids: HashMap::new() };
        world.records(&admin, county).await;
        world
    }

    fn token(&self, name: &str) -> String {
        self.callers.iter().find(|c| c.name == name).and_then(|c| c.token.clone()).unwrap()
    }

    /// POSTs `body` to `path` as `caller`; answers the new record's id (panics unless 2xx).
    async fn make(&self, caller: &str, path: &str, body: Value) -> String {
        let token = self.token(caller);
        let response = self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "world: {caller} POST {path}: {status} {text}");
        let created: Value = serde_json::from_str(&text).unwrap();
        let id = created.get("document").unwrap_or(&created)["id"].as_str().unwrap().to_owned();
        id
    }

    async fn records(&mut self, admin: &str, county: Uuid) {
        let owner = self.owner;
        let soon = Utc::now() + Duration::days(10);
        let document = self
            .make(
                "own.drafter",
                "/api/v1/documents",
                json!({"doc_number": "元民发〔2026〕9号", "title": "关于做好城乡居民医保参保工作的通知",
                "body": "各乡（镇）：现将有关事项通知如下。", "issuing_org_id": owner,
                "issuing_authority": "department", "is_policy": true, "category": "service",
                "doc_kind": "other", "disclosure": "proactive"}),
            )
            .await;
        let request = json!({"organization_id": owner, "applicant_type": "natural_person",
            "description": "元谋县城乡居民最低生活保障资金发放情况", "information_form": "electronic",
            "delivery_method": "online", "phone": "13812345678", "name": "申请人",
            "identity_document_type": "resident_identity_card", "identity_number": e2e::resident_id(7)});
        let today = Utc::now().with_timezone(&chrono_tz_shanghai()).date_naive();
        let request = self
            .make(
                "own.openness_officer",
                "/api/v1/disclosure-requests",
                json!({"request": request, "arrival": {"channel": "in_person", "arrived_on": today}}),
            )
            .await;
        let consultation = self
            .make(
                "own.drafter",
                "/api/v1/consultations",
                json!({"title": "关于《元谋县城乡居民最低生活保障实施细则（征求意见稿）》公开征求意见的公告",
                "draft_text": "第一条 为规范城乡居民最低生活保障工作……", "method": "written_comment",
                "purpose": "听取社会公众对低保实施细则的意见建议", "opens_at": soon,
                "closes_at": soon + Duration::days(31), "contact": "县民政局社会救助股，0878-8211234",
                "meeting_topic": "县人民政府常务会议审议低保实施细则"}),
            )
            .await;
        let incident = self
            .make(
                "own.opinion_officer",
                "/api/v1/opinion-incidents",
                json!({"source": "online_platform", "summary": "网传低保资金被挪用", "detected_at": Utc::now(),
                "involved_organization_ids": [owner]}),
            )
            .await;
        let release = self
            .make(
                "own.opinion_officer",
                &format!("/api/v1/opinion-incidents/{incident}/releases"),
                json!({"kind": "authoritative_information", "channel": "元谋县人民政府门户网站",
                "title": "关于网传低保资金被挪用的情况通报", "content": "经核查，低保资金均按时足额发放……"}),
            )
            .await;
        let catalog = self
            .make("own.openness_officer", "/api/v1/catalogs", json!({"title": "元谋县民政局主动公开基本目录"}))
            .await;
        let meeting = self
            .make(
                "own.drafter",
                "/api/v1/meetings",
                json!({"title": "局务会议", "scheduled_at": Utc::now() + Duration::days(40),
                "topics": [{"title": "审议低保实施细则", "major_livelihood": false, "important_decision_draft": false}]}),
            )
            .await;
        let open_day = self
            .make(
                "own.openness_officer",
                "/api/v1/open-days",
                json!({"title": "元谋县民政局“政府开放日”活动", "description": "走进县民政局",
                "location": "县民政局三楼", "starts_at": soon, "ends_at": soon + Duration::hours(3),
                "registration_closes_at": soon - Duration::days(1), "capacity": 6}),
            )
            .await;
        let website = self
            .make(
                "own.gov_office",
                "/api/v1/websites",
                json!({"organization_id": owner, "name": "元谋县民政局网站", "url": "https://mz.ynym.gov.cn"}),
            )
            .await;
        let venue = self
            .make(
                "own.gov_office",
                "/api/v1/reading-venues",
                json!({"name": "元谋县图书馆政府信息公开查阅点", "kind": "library", "address": "元马镇龙川街",
                "opening_hours": "周二至周日 9:00—17:30"}),
            )
            .await;
        let priority = self
            .make(
                "own.openness_officer",
                "/api/v1/work-priorities",
                json!({"year": 2026, "text": "推进基层政务公开标准化"}),
            )
            .await;
        let hearing = self
            .make(
                "own.openness_officer",
                "/api/v1/work-report-hearings",
                json!({"held_on": today, "chaired_by": "李明", "minutes": "听取政务公开工作汇报"}),
            )
            .await;
        let challenge = self
            .make(
                "own.openness_officer",
                "/api/v1/legal-challenges",
                json!({"organization_id": owner, "kind": "reconsideration", "case_number": "元复决字〔2026〕3号",
                "filed_on": today}),
            )
            .await;
        let report = self
            .make("own.openness_officer", "/api/v1/annual-reports", json!({"organization_id": owner, "year": 2025}))
            .await;
        let expert =
            self.make("own.openness_officer", "/api/v1/experts", json!({"name": "王芳", "field": "行政法"})).await;
        let system = self
            .make("own.gov_office", "/api/v1/evaluation-systems", json!({"name": "2026年度政务公开考核指标"}))
            .await;
        let tree = json!({"indicators": [{"code": "A", "name": "主动公开", "parent_code": null, "weight": 100.0}]});
        let path = format!("/api/v1/evaluation-systems/{system}/indicators");
        let response =
            self.app.http.put(self.app.url(&path)).bearer_auth(self.token("own.gov_office")).json(&tree).send().await;
        assert_eq!(response.unwrap().status(), 200, "world: the indicator tree");
        let period = self
            .make(
                "own.gov_office",
                "/api/v1/evaluation-periods",
                json!({"system_id": system, "name": "2026年度考核", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
            )
            .await;
        let interpretation = self
            .make(
                "own.drafter",
                &format!("/api/v1/documents/{document}/interpretations"),
                json!({"title": "《关于做好城乡居民医保参保工作的通知》政策解读", "forms": ["article"],
                "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
                "background_basis": "依据有关规定", "main_content": "明确参保要求", "changes": "无"}),
            )
            .await;
        let plan = self
            .make(
                "own.gov_office",
                "/api/v1/training-plans",
                json!({"year": 2026, "title": "2026年度政务公开轮训计划"}),
            )
            .await;
        let session = self
            .make(
                "own.gov_office",
                &format!("/api/v1/training-plans/{plan}/sessions"),
                json!({"held_on": today, "topic": "依申请公开办理实务"}),
            )
            .await;
        // Throwaway records for the operations that delete or disable what they name.
        let user = self.app.create_user(admin, "own.throwaway", Some(owner), &["drafter"]).await;
        let (client, _) = self.app.machine_client(admin, "矩阵弃用客户端", &["public:read"]).await;
        let _ = county;
        for (prefix, id) in [
            ("documents", document),
            ("disclosure-requests", request),
            ("consultations", consultation),
            ("opinion-incidents", incident),
            ("opinion-releases", release),
            ("catalogs", catalog),
            ("meetings", meeting),
            ("open-days", open_day),
            ("websites", website),
            ("reading-venues", venue),
            ("work-priorities", priority),
            ("work-report-hearings", hearing),
            ("legal-challenges", challenge),
            ("annual-reports", report),
            ("experts", expert),
            ("evaluation-systems", system),
            ("evaluation-periods", period),
            ("interpretations", interpretation),
            ("training-plans", plan),
            ("training-sessions", session),
            ("users", user.to_string()),
            ("oauth-clients", client.to_string()),
            ("organizations", owner.to_string()),
        ] {
            self.ids.insert(prefix, id);
        }
    }
}

/// A machine client of `organization` with `scopes`, and its client-credentials token.
async fn client_of(app: &TestApp, admin: &str, organization: Uuid, scopes: &[&str]) -> String {
    let body = json!({"name": "矩阵客户端", "scopes": scopes, "organization_id": organization});
    let response = app.http.post(app.url("/api/v1/oauth-clients")).bearer_auth(admin).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201, "world: the machine client");
    let client: Value = response.json().await.unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client["id"].as_str().unwrap()),
        ("client_secret", client["client_secret"].as_str().unwrap()),
    ];
    let response = app.http.post(app.url("/api/v1/oauth/token")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200, "world: the client's token");
    response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// Asia/Shanghai as a fixed offset (no daylight saving there).
fn chrono_tz_shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}
