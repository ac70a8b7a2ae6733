//! The document lifecycle over HTTP with real users of each role (DOMAIN.md §2–§3, §10).

use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};
use uuid::Uuid;

static NEXT_NUMBER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A county with a government office, two departments, and staff in each role; plus a stranger
/// from another county.
pub(crate) struct County {
    pub(crate) app: TestApp,
    pub(crate) gov_office_org: Uuid,
    pub(crate) civil_affairs: Uuid,
    pub(crate) finance: Uuid,
    pub(crate) drafter: String,
    pub(crate) officer: String,
    pub(crate) principal: String,
    pub(crate) second_principal: String,
    pub(crate) finance_officer: String,
    pub(crate) gov_office: String,
    pub(crate) stranger: String,
}

async fn token(app: &TestApp, username: &str) -> String {
    app.tokens(username, &TestApp::password_of(username)).await["access_token"].as_str().unwrap().to_owned()
}

impl County {
    pub(crate) async fn new() -> County {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let gov_office_org =
            app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county)).await;
        let civil_affairs = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        let finance = app.create_organization(&admin, "元谋县财政局", "department", Some(county)).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other_department = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
        let users: [(&str, Uuid, &[&str]); 8] = [
            ("mz.drafter", civil_affairs, &["drafter"]),
            ("mz.officer", civil_affairs, &["openness_officer"]),
            ("mz.principal", civil_affairs, &["principal"]),
            ("mz.deputy", civil_affairs, &["principal"]),
            ("cz.officer", finance, &["openness_officer"]),
            ("zfb.office", gov_office_org, &["gov_office"]),
            ("wd.stranger", other_department, &["principal", "openness_officer", "drafter"]),
            ("wd.office", other_department, &["gov_office"]),
        ];
        for (name, org, roles) in users {
            app.create_user(&admin, name, Some(org), roles).await;
        }
        County {
            drafter: token(&app, "mz.drafter").await,
            officer: token(&app, "mz.officer").await,
            principal: token(&app, "mz.principal").await,
            second_principal: token(&app, "mz.deputy").await,
            finance_officer: token(&app, "cz.officer").await,
            gov_office: token(&app, "zfb.office").await,
            stranger: token(&app, "wd.stranger").await,
            gov_office_org,
            civil_affairs,
            finance,
            app,
        }
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    pub(crate) async fn act(&self, token: &str, id: &str, action: &str) -> Response {
        self.app
            .http
            .post(self.app.url(&format!("/api/v1/documents/{id}/{action}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn get(&self, token: Option<&str>, path: &str) -> Response {
        self.app.get_as(token, path).await
    }

    pub(crate) fn draft(&self, disclosure: Option<&str>, is_policy: bool) -> Value {
        json!({
            "doc_number": format!("元民发〔2026〕{}号", NEXT_NUMBER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
            "title": "元谋县民政局关于进一步做好城乡居民最低生活保障工作的通知",
            "body": "各乡（镇）民政办：为进一步规范城乡低保工作，切实保障困难群众基本生活，现就有关事项通知如下……",
            "issuing_org_id": self.civil_affairs,
            "issuing_authority": "department",
            "is_policy": is_policy,
            "category": "service",
            "doc_kind": "normative",
            "disclosure": disclosure,
        })
    }

    pub(crate) async fn create(&self, body: Value) -> Value {
        let response = self.post(&self.drafter, "/api/v1/documents", body).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        response.json().await.unwrap()
    }

    /// Adds a complete initial package and has the lead's principal sign it.
    pub(crate) async fn signed_package(&self, id: &str) -> Value {
        let created = self.post(&self.drafter, &format!("/api/v1/documents/{id}/interpretations"), package()).await;
        assert_eq!(created.status(), 201, "{:?}", created.text().await);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["responsible_org_id"], json!(self.civil_affairs), "谁起草、谁解读");
        assert_eq!(created["completeness"]["complete"], false);
        let interpretation = created["id"].as_str().unwrap();
        let by_drafter =
            self.post(&self.drafter, &format!("/api/v1/interpretations/{interpretation}/sign"), json!({})).await;
        expect_problem(by_drafter, 403, "forbidden").await;
        let signed =
            self.post(&self.principal, &format!("/api/v1/interpretations/{interpretation}/sign"), json!({})).await;
        assert_eq!(signed.status(), 200);
        signed.json().await.unwrap()
    }
}

/// A complete initial interpretation package for a document of [`County::draft`].
pub(crate) fn package() -> Value {
    json!({
        "title": "《关于进一步做好城乡居民最低生活保障工作的通知》政策解读",
        "forms": ["article", "graphic"],
        "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
        "background_basis": "依据《社会救助暂行办法》和省、州有关规定",
        "main_content": "明确低保申请、审核确认、动态管理等要求",
        "changes": "无"
    })
}

pub(crate) async fn ok(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[actix_web::test]
async fn a_withheld_policy_document_is_returned_with_every_failed_rule_then_fixed_and_filed() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("on_request"), true)).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(draft["status"], "draft");

    let submitted = ok(c.act(&c.drafter, id, "submit").await).await;
    assert_eq!(submitted["outcome"], "returned");
    assert_eq!(submitted["document"]["status"], "returned");
    let codes = &submitted["return"]["codes"];
    assert_eq!(codes, &json!(["disclosure_reason_missing", "openness_review_missing", "interpretation_missing"]));
    assert!(submitted["return"]["messages"][0]["message_zh"].as_str().unwrap().contains("理由"));
    assert_eq!(submitted["return"]["automatic"], true);

    // Fix: reason and basis, openness review, a signed interpretation package.
    let mut fixed = c.draft(Some("on_request"), true);
    fixed["doc_number"] = draft["doc_number"].clone();
    fixed["disclosure_reason"] = json!("涉及特定低保对象的个人信息，仅向申请人公开");
    fixed["legal_basis"] = json!("《中华人民共和国政府信息公开条例》第十五条");
    let edited = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/documents/{id}")))
        .bearer_auth(&c.drafter)
        .json(&fixed)
        .send()
        .await
        .unwrap();
    let edited = ok(edited).await;
    assert_eq!(edited["status"], "draft", "editing a returned document makes it a draft again");
    let wrong_reviewer =
        c.post(&c.finance_officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true})).await;
    expect_problem(wrong_reviewer, 404, "not_found").await;
    let reviewed = c
        .post(
            &c.officer,
            &format!("/api/v1/documents/{id}/openness-review"),
            json!({"passed": true, "comment": "属性适当"}),
        )
        .await;
    assert_eq!(reviewed.status(), 200);
    c.signed_package(id).await;

    let submitted = ok(c.act(&c.drafter, id, "submit").await).await;
    assert_eq!(submitted["outcome"], "submitted", "{submitted}");
    assert!(submitted["return"].is_null());

    expect_problem(c.act(&c.drafter, id, "approve").await, 403, "forbidden").await;
    let approved = ok(c.act(&c.principal, id, "approve").await).await;
    assert_eq!(approved["status"], "approved");
    assert!(approved["formed_on"].is_string());
    assert!(approved["publish_due_on"].is_null(), "withheld documents have no publication clock");
    expect_problem(c.act(&c.officer, id, "publish").await, 409, "document_state_conflict").await;
    let filed = ok(c.act(&c.officer, id, "file").await).await;
    assert_eq!(filed["status"], "filed");

    let interpretations = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}/interpretations")).await).await;
    assert_eq!(
        interpretations["items"][0]["status"], "approved",
        "S2: approved with its document, never published alone"
    );
    expect_problem(c.get(None, &format!("/api/v1/public/documents/{id}")).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.stranger), &format!("/api/v1/documents/{id}")).await, 404, "not_found").await;

    let history = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/history")).await).await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    for expected in [
        "document.create",
        "document.return",
        "document.update",
        "document.openness_review",
        "interpretation.sign",
        "document.submit",
        "document.approve",
        "interpretation.approve",
        "document.file",
    ] {
        assert!(actions.contains(&expected), "{expected} missing from {actions:?}");
    }
    assert_eq!(history["returns"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_proactive_policy_document_is_published_with_its_interpretation_at_the_same_instant() {
    let c = County::new().await;
    let mut body = c.draft(Some("proactive"), true);
    body["involved_org_ids"] = json!([c.finance]);
    let draft = c.create(body).await;
    let id = draft["id"].as_str().unwrap();
    c.signed_package(id).await;
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let approved = ok(c.act(&c.principal, id, "approve").await).await;
    assert!(approved["publish_due_on"].is_string(), "20 working days from approval");

    // P1 and P2 both fail, reported together, and nothing is written.
    let refused = expect_problem(c.act(&c.officer, id, "publish").await, 422, "rules_failed").await;
    assert_eq!(refused["rules"], json!(["secrecy_review_missing", "confirmation_missing"]));
    let still = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(still["status"], "approved");

    expect_problem(c.act(&c.officer, id, "confirm").await, 403, "forbidden").await;
    assert_eq!(c.act(&c.finance_officer, id, "confirm").await.status(), 200);
    let secrecy = c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    assert_eq!(secrecy.status(), 200);
    expect_problem(c.get(None, &format!("/api/v1/public/documents/{id}")).await, 404, "not_found").await;
    let published = ok(c.act(&c.officer, id, "publish").await).await;
    assert_eq!(published["status"], "published");

    let public = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    assert_eq!(public["title"], draft["title"]);
    assert!(public.get("disclosure_reason").is_none(), "internal fields stay internal");
    let interpretation = &public["interpretations"][0];
    assert!(
        interpretation.get("signed_by").is_none() && interpretation.get("expert_ids").is_none(),
        "internal fields stay internal"
    );
    assert_eq!(interpretation["published_at"], public["published_at"], "S3: one published_at");
    let staff_view = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/interpretations")).await).await;
    assert_eq!(staff_view["items"][0]["status"], "published");
    let list = ok(c.get(None, "/api/v1/public/documents?category=service").await).await;
    assert_eq!(list["items"][0]["id"], json!(id));
    // A list carries no texts (the document's page has it); every field it does carry is the
    // document's own, as its page shows it.
    let listed = list["items"][0].as_object().unwrap();
    assert!(listed.get("body").is_none() && public["body"].as_str().is_some_and(|b| !b.is_empty()));
    assert_eq!(listed.len(), 13, "{listed:?}");
    for (field, value) in listed {
        assert_eq!(&public[field], value, "{field}");
    }
    let other_category = ok(c.get(None, "/api/v1/public/documents?category=decision").await).await;
    assert!(other_category["items"].as_array().unwrap().is_empty());

    // Once public, everyone sees it — without the internal reasoning and history; a stranger still
    // may not act on it.
    let seen = ok(c.get(Some(&c.stranger), &format!("/api/v1/documents/{id}")).await).await;
    assert!(seen["disclosure_reason"].is_null() && seen["legal_basis"].is_null());
    expect_problem(c.get(Some(&c.stranger), &format!("/api/v1/documents/{id}/history")).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.stranger), &format!("/api/v1/documents/{id}/reviews")).await, 404, "not_found").await;
    let reviews = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/reviews")).await).await;
    assert_eq!(reviews["reviews"][0]["kind"], "secrecy");
    assert_eq!(reviews["confirmations"][0]["organization_id"], json!(c.finance));
    let repeal = json!({"validity": "repealed", "on": "2026-12-31", "reason": "已被新文件替代"});
    let by_stranger = c.post(&c.stranger, &format!("/api/v1/documents/{id}/repeal"), repeal.clone()).await;
    expect_problem(by_stranger, 403, "forbidden").await;
    let repealed = c.post(&c.officer, &format!("/api/v1/documents/{id}/repeal"), repeal).await;
    assert_eq!(ok(repealed).await["validity"], "repealed");
    let still_public = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    assert_eq!(still_public["validity"], "repealed", "a repealed document stays readable");

    // The public answers are JSON that may be kept for a minute, with a validator; their dates are
    // written as the rest of the API writes them (the staff view uses chrono's own serde).
    let list_path = "/api/v1/public/documents?category=service";
    for path in [format!("/api/v1/public/documents/{id}"), list_path.to_owned()] {
        let response = c.get(None, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        assert_eq!(response.headers()["cache-control"], "public, max-age=60", "{path}");
        assert!(response.headers().contains_key("etag"), "{path}");
    }
    let staff = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    let listed_now = ok(c.get(None, list_path).await).await["items"][0].clone();
    assert_eq!(listed_now["id"], id.to_string(), "the newest service document is this one: {listed_now}");
    for field in ["published_at", "formed_on", "validity_changed_on"] {
        assert!(staff[field].is_string(), "{field}: {staff}");
        assert_eq!(still_public[field], staff[field], "{field}");
        assert_eq!(listed_now[field], staff[field], "{field}");
    }
    assert_eq!(staff["formed_on"].as_str().map(str::len), Some(10), "the day of approval");
    assert_eq!(staff["validity_changed_on"], "2026-12-31");
}

#[actix_web::test]
async fn the_government_office_returns_government_level_documents_of_its_county_only() {
    let c = County::new().await;
    let mut body = c.draft(Some("proactive"), false);
    body["issuing_org_id"] = json!(c.gov_office_org);
    body["issuing_authority"] = json!("government_office");
    body["disclosure_reason"] = json!("面向社会公众，应主动公开");
    let draft = c.create(body).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let no_reason =
        c.post(&c.gov_office, &format!("/api/v1/documents/{id}/return"), json!({"codes": ["gov_office_return"]})).await;
    expect_problem(no_reason, 422, "validation_failed").await;
    let returned = c
        .post(
            &c.gov_office,
            &format!("/api/v1/documents/{id}/return"),
            json!({"codes": ["gov_office_return"], "reasons": "请补充政策依据"}),
        )
        .await;
    assert_eq!(ok(returned).await["status"], "returned");
    let history = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}/history")).await).await;
    assert_eq!(history["returns"][0]["reasons"], "请补充政策依据");
    assert_eq!(history["returns"][0]["automatic"], false);

    let wd_office = token(&c.app, "wd.office").await;
    expect_problem(c.get(Some(&wd_office), &format!("/api/v1/documents/{id}")).await, 404, "not_found").await;
    assert_eq!(c.get(Some(&c.gov_office), &format!("/api/v1/documents/{id}")).await.status(), 200);
}

#[actix_web::test]
async fn two_principals_approving_at_once_exactly_one_wins() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), false)).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let (a, b) = tokio::join!(c.act(&c.principal, id, "approve"), c.act(&c.second_principal, id, "approve"));
    let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409], "exactly one approval");
    let approvals = "SELECT count(*) AS n FROM audit_log WHERE action = 'document.approve'";
    assert_eq!(c.app.scalar(approvals).await, 1);
}

#[actix_web::test]
async fn a_failure_between_the_halves_of_approve_writes_nothing() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    c.signed_package(id).await;
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    // Inject a fault after the interpretation is approved, before the document is: the audit row
    // of the document's approval is refused by a trigger.
    c.app
        .execute_batch(
            "CREATE FUNCTION refuse_document_approve() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.action = 'document.approve' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_document_approve BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_document_approve()",
        )
        .await;
    let failed = c.act(&c.principal, id, "approve").await;
    assert_eq!(failed.status(), 500);
    let document = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["status"], "submitted", "nothing half-approved");
    let interpretations = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/interpretations")).await).await;
    assert_eq!(interpretations["items"][0]["status"], "signed", "the package was not approved alone");
}

#[actix_web::test]
async fn drafts_are_validated_and_visible_only_to_their_organizations() {
    let c = County::new().await;
    let mut regulation = c.draft(Some("proactive"), false);
    regulation["doc_kind"] = json!("regulation");
    let refused = c.post(&c.drafter, "/api/v1/documents", regulation).await;
    let body = expect_problem(refused, 422, "validation_failed").await;
    assert_eq!(body["errors"]["doc_kind"][0]["code"], "regulation_not_allowed");

    let mut wrong_authority = c.draft(Some("proactive"), false);
    wrong_authority["issuing_authority"] = json!("county_government");
    expect_problem(c.post(&c.drafter, "/api/v1/documents", wrong_authority).await, 422, "validation_failed").await;

    let stranger_draft = c.post(&c.stranger, "/api/v1/documents", c.draft(Some("proactive"), false)).await;
    expect_problem(stranger_draft, 403, "forbidden").await;

    let draft = c.create(c.draft(None, false)).await;
    let id = draft["id"].as_str().unwrap();
    let mine = ok(c.get(Some(&c.officer), "/api/v1/documents?status=draft").await).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let theirs = ok(c.get(Some(&c.stranger), "/api/v1/documents").await).await;
    assert!(theirs["items"].as_array().unwrap().is_empty(), "drafts are invisible to other organizations");
    let by_title = ok(c.get(Some(&c.drafter), "/api/v1/documents?q=最低生活保障").await).await;
    assert_eq!(by_title["items"].as_array().unwrap().len(), 1);
    let submitted = ok(c.act(&c.drafter, id, "submit").await).await;
    assert_eq!(submitted["return"]["codes"], json!(["disclosure_missing"]));
}

#[actix_web::test]
async fn editing_the_calendar_moves_open_due_dates_and_records_it() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), false)).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let approved = ok(c.act(&c.principal, id, "approve").await).await;
    let formed_on = approved["formed_on"].as_str().unwrap().to_owned();
    let due_before = approved["publish_due_on"].as_str().unwrap().to_owned();
    let year: i32 = due_before[..4].parse().unwrap();

    // Declare the first working day of the period a holiday: the due date must move one working day.
    let first: Value =
        ok(c.get(None, &format!("/api/v1/calendar/deadline?from={formed_on}&working_days=1")).await).await;
    let extra_day = first["due_on"].as_str().unwrap().to_owned();
    let admin = c.app.admin_token().await;
    let existing = c.get(None, &format!("/api/v1/calendar/years/{year}")).await;
    let (source, mut off_days, makeup) = if existing.status() == 200 {
        let y: Value = existing.json().await.unwrap();
        (y["source"].clone(), y["off_days"].as_array().unwrap().clone(), y["makeup_workdays"].clone())
    } else {
        (json!("测试安排"), Vec::new(), json!([]))
    };
    off_days.push(json!({"date": extra_day, "name": "测试假日"}));
    let put = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/calendar/years/{year}")))
        .bearer_auth(&admin)
        .json(&json!({"source": source, "off_days": off_days, "makeup_workdays": makeup}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200, "{:?}", put.text().await);

    let expected: Value =
        ok(c.get(None, &format!("/api/v1/calendar/deadline?from={formed_on}&working_days=20")).await).await;
    let document = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_ne!(document["publish_due_on"], json!(due_before));
    assert_eq!(document["publish_due_on"], expected["due_on"]);
    let history = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/history")).await).await;
    let recomputed = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "document.due_date_recomputed")
        .expect("recorded");
    assert_eq!(recomputed["details"]["from"], json!(due_before));
    assert_eq!(recomputed["details"]["reason"], "calendar_changed");
}

/// Builds documents in every status and attribute, with interpretations in every status, and walks
/// every public operation: only published public documents and published interpretations appear.
#[actix_web::test]
async fn no_public_call_ever_returns_a_non_public_document_or_interpretation() {
    let c = County::new().await;
    let mut expected_public = Vec::new();
    let mut all = Vec::new();
    let attributes = [Some("public_release"), Some("proactive"), Some("on_request"), Some("not_public"), None];
    let targets = ["draft", "returned", "submitted", "approved", "issued"];
    for attribute in attributes {
        for target in targets {
            for is_policy in [false, true] {
                let mut body = c.draft(attribute, is_policy);
                if matches!(attribute, Some("on_request") | Some("not_public")) {
                    body["disclosure_reason"] = json!("涉及特定当事人");
                    body["legal_basis"] = json!("《条例》第十五条");
                    body["exemption"] = json!("third_party");
                }
                let draft = c.create(body).await;
                let id = draft["id"].as_str().unwrap().to_owned();
                all.push(id.clone());
                if matches!(attribute, Some("on_request") | Some("not_public")) {
                    c.post(&c.officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true}))
                        .await;
                }
                if is_policy {
                    c.signed_package(&id).await;
                }
                if target == "draft" {
                    continue;
                }
                let submitted = ok(c.act(&c.drafter, &id, "submit").await).await;
                if target == "returned" || submitted["outcome"] == "returned" {
                    continue;
                }
                if target == "submitted" {
                    continue;
                }
                ok(c.act(&c.principal, &id, "approve").await).await;
                if target == "approved" {
                    continue;
                }
                if matches!(attribute, Some("public_release") | Some("proactive")) {
                    c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true}))
                        .await;
                    ok(c.act(&c.officer, &id, "publish").await).await;
                    // An unpublished follow-up on a public document must stay invisible too.
                    let follow_up =
                        json!({"stage": "follow_up", "title": "执行中的答问（草稿）", "main_content": "草稿内容"});
                    let created =
                        c.post(&c.drafter, &format!("/api/v1/documents/{id}/interpretations"), follow_up).await;
                    assert_eq!(created.status(), 201);
                    expected_public.push(id.clone());
                } else {
                    ok(c.act(&c.officer, &id, "file").await).await;
                }
            }
        }
    }
    assert_eq!(expected_public.len(), 4, "public_release and proactive, each policy or not");

    // Every page of the public list, under every filter, holds only the public ones.
    let queries = [
        "",
        "category=service",
        "category=decision",
        &format!("org={}", c.civil_affairs),
        "q=最低生活保障",
        "year=2026",
    ];
    for query in queries {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/public/documents?limit=3&{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page = ok(c.get(None, &path).await).await;
            for item in page["items"].as_array().unwrap() {
                let id = item["id"].as_str().unwrap().to_owned();
                assert!(expected_public.contains(&id), "{query}: non-public {id} listed");
                assert!(item.get("disclosure_reason").is_none() && item.get("status").is_none());
                seen.push(id);
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{query}: no duplicates across pages");
    }
    for id in &all {
        let response = c.get(None, &format!("/api/v1/public/documents/{id}")).await;
        if expected_public.contains(id) {
            let body = ok(response).await;
            for interpretation in body["interpretations"].as_array().unwrap() {
                assert!(interpretation["published_at"].is_string(), "only published interpretations: {interpretation}");
                assert_ne!(interpretation["stage"], "follow_up", "the draft follow-up is not public");
            }
        } else {
            expect_problem(response, 404, "not_found").await;
        }
    }
    // A stranger's staff token sees exactly the public ones too.
    let listed = ok(c.get(Some(&c.stranger), "/api/v1/documents?limit=200").await).await;
    let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), expected_public.len());
    assert!(ids.iter().all(|id| expected_public.iter().any(|p| p == id)));
}

pub(crate) fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.extend(std::iter::repeat_n(7u8, extra));
    bytes
}

impl County {
    pub(crate) async fn upload(&self, token: &str, path: &str, filename: &str, bytes: Vec<u8>) -> Response {
        self.app.upload(Some(token), path, filename, bytes).await
    }
}

#[actix_web::test]
async fn attachments_are_checked_by_content_and_public_only_once_published() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    let content = png(2000);

    let disguised = c
        .upload(
            &c.drafter,
            &format!("/api/v1/documents/{id}/attachments"),
            "通知.pdf",
            b"MZ\x90\0\x03 not a pdf".to_vec(),
        )
        .await;
    expect_problem(disguised, 415, "attachment_type_not_allowed").await;
    let by_stranger =
        c.upload(&c.stranger, &format!("/api/v1/documents/{id}/attachments"), "a.png", content.clone()).await;
    expect_problem(by_stranger, 404, "not_found").await;
    let uploaded = c
        .upload(&c.drafter, &format!("/api/v1/documents/{id}/attachments"), "../低保政策图解.png", content.clone())
        .await;
    assert_eq!(uploaded.status(), 201);
    let attachment: Value = uploaded.json().await.unwrap();
    assert_eq!(attachment["media_type"], "image/png");
    assert_eq!(attachment["filename"], "低保政策图解.png");
    assert_eq!(attachment["size_bytes"], content.len());
    let attachment_id = attachment["id"].as_str().unwrap();

    let staff_path = format!("/api/v1/attachments/{attachment_id}/content");
    let full = c.get(Some(&c.officer), &staff_path).await;
    assert_eq!(full.status(), 200);
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", attachment["sha256"].as_str().unwrap()));
    assert_eq!(full.bytes().await.unwrap().to_vec(), content);
    let part = c
        .app
        .http
        .get(c.app.url(&staff_path))
        .bearer_auth(&c.officer)
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 0-7/{}", content.len()));
    assert_eq!(part.bytes().await.unwrap().as_ref(), b"\x89PNG\r\n\x1a\n");
    let beyond = c
        .app
        .http
        .get(c.app.url(&staff_path))
        .bearer_auth(&c.officer)
        .header("range", "bytes=999999-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    let unchanged = c
        .app
        .http
        .get(c.app.url(&staff_path))
        .bearer_auth(&c.officer)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    // Not public until the document is.
    let public_path = format!("/api/v1/public/attachments/{attachment_id}/content");
    expect_problem(c.get(None, &public_path).await, 404, "not_found").await;
    expect_problem(c.get(Some(&c.stranger), &staff_path).await, 404, "not_found").await;

    // The interpretation's attachment follows the interpretation.
    let package = c.signed_package(id).await;
    let interpretation = package["id"].as_str().unwrap();
    let signed_upload = c
        .upload(&c.drafter, &format!("/api/v1/interpretations/{interpretation}/attachments"), "图解.png", png(10))
        .await;
    expect_problem(signed_upload, 409, "interpretation_state_conflict").await;

    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    ok(c.act(&c.principal, id, "approve").await).await;
    c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    ok(c.act(&c.officer, id, "publish").await).await;
    let public = c.get(None, &public_path).await;
    assert_eq!(public.status(), 200);
    assert_eq!(public.headers()["content-type"], "image/png");
    assert_eq!(public.bytes().await.unwrap().to_vec(), content);
    let frozen = c.upload(&c.drafter, &format!("/api/v1/documents/{id}/attachments"), "b.png", png(1)).await;
    expect_problem(frozen, 409, "document_state_conflict").await;
}

#[actix_web::test]
async fn an_oversized_attachment_is_refused() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), false)).await;
    let id = draft["id"].as_str().unwrap();
    let huge = png(50 * 1024 * 1024);
    let response = c.upload(&c.drafter, &format!("/api/v1/documents/{id}/attachments"), "huge.png", huge).await;
    expect_problem(response, 413, "payload_too_large").await;
    assert_eq!(c.app.scalar("SELECT count(*) AS n FROM attachments").await, 0);
}

#[actix_web::test]
async fn late_publication_and_late_interpretation_plans_become_breaches_once() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    c.signed_package(id).await;
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let approved = ok(c.act(&c.principal, id, "approve").await).await;

    let explained = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/publish-deadline")).await).await;
    assert_eq!(explained["due_on"], approved["publish_due_on"]);
    assert_eq!(explained["working_days"], 20);
    assert_eq!(explained["start"], approved["formed_on"]);

    // Let the due date pass: the document is listed as overdue and the sweep records one breach.
    c.app.execute_batch(&format!("UPDATE documents SET publish_due_on = DATE '2026-01-05' WHERE id = '{id}'")).await;
    let overdue = ok(c.get(Some(&c.officer), "/api/v1/documents?overdue=true").await).await;
    assert_eq!(overdue["items"][0]["id"], json!(id));
    let today = api::routes::documents::shanghai_today(chrono::Utc::now());
    let mut conn = persistence::connection(&c.app.pool).await.unwrap();
    assert_eq!(persistence::documents::record_overdue(&mut conn, today).await.unwrap(), 1);
    assert_eq!(persistence::documents::record_overdue(&mut conn, today).await.unwrap(), 0, "once");

    // The interpretation plan's date passes too.
    c.app.execute_batch(&format!(
        "UPDATE interpretations SET plan = '[{{\"form\": \"article\", \"channel\": \"县政府网站\", \"planned_on\": \"2026-01-10\"}}]' WHERE document_id = '{id}'"
    ))
    .await;
    assert_eq!(persistence::interpretations::record_late_plans(&mut conn, today).await.unwrap(), 1);
    assert_eq!(persistence::interpretations::record_late_plans(&mut conn, today).await.unwrap(), 0, "once");

    // Publishing late does not add a second breach for the same document.
    c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    ok(c.act(&c.officer, id, "publish").await).await;
    let breaches = "SELECT count(*) AS n FROM breaches WHERE kind = 'document_published_late'";
    assert_eq!(c.app.scalar(breaches).await, 1);
    let plan_breaches = "SELECT count(*) AS n FROM breaches WHERE kind = 'interpretation_plan_late'";
    assert_eq!(c.app.scalar(plan_breaches).await, 1);
}

#[actix_web::test]
async fn a_failure_between_the_halves_of_publish_writes_nothing() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    c.signed_package(id).await;
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    ok(c.act(&c.principal, id, "approve").await).await;
    c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    c.app
        .execute_batch(
            "CREATE FUNCTION refuse_document_publish() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.action = 'document.publish' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_document_publish BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_document_publish()",
        )
        .await;
    assert_eq!(c.act(&c.officer, id, "publish").await.status(), 500);
    let document = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["status"], "approved");
    let interpretations = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}/interpretations")).await).await;
    assert_eq!(interpretations["items"][0]["status"], "approved", "S3: never public without its document");
    assert!(interpretations["items"][0]["published_at"].is_null());
    expect_problem(c.get(None, &format!("/api/v1/public/documents/{id}")).await, 404, "not_found").await;
}

#[actix_web::test]
async fn a_follow_up_interpretation_is_published_later_on_its_own() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    c.signed_package(id).await;
    let early = c
        .post(
            &c.drafter,
            &format!("/api/v1/documents/{id}/interpretations"),
            json!({"stage": "follow_up", "title": "答问"}),
        )
        .await;
    expect_problem(early, 409, "document_state_conflict").await;
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    ok(c.act(&c.principal, id, "approve").await).await;
    c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    ok(c.act(&c.officer, id, "publish").await).await;

    let follow_up = c
        .post(
            &c.drafter,
            &format!("/api/v1/documents/{id}/interpretations"),
            json!({
                "stage": "follow_up",
                "title": "低保政策执行中的常见问题解答",
                "forms": ["qa"],
                "main_content": "针对群众关心的认定标准作出解答"
            }),
        )
        .await;
    assert_eq!(follow_up.status(), 201);
    let follow_up: Value = follow_up.json().await.unwrap();
    let fid = follow_up["id"].as_str().unwrap();
    expect_problem(
        c.post(&c.officer, &format!("/api/v1/interpretations/{fid}/publish"), json!({})).await,
        409,
        "interpretation_state_conflict",
    )
    .await;
    let public = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    assert_eq!(public["interpretations"].as_array().unwrap().len(), 1, "an unsigned follow-up is not public");
    assert_eq!(c.post(&c.principal, &format!("/api/v1/interpretations/{fid}/sign"), json!({})).await.status(), 200);
    // P1 for a follow-up published on its own: its own confidentiality review first.
    let unreviewed = c.post(&c.officer, &format!("/api/v1/interpretations/{fid}/publish"), json!({})).await;
    let refused = expect_problem(unreviewed, 422, "rules_failed").await;
    assert_eq!(refused["rules"], json!(["secrecy_review_missing"]));
    let by_drafter =
        c.post(&c.drafter, &format!("/api/v1/interpretations/{fid}/secrecy-review"), json!({"passed": true})).await;
    expect_problem(by_drafter, 403, "forbidden").await;
    let reviewed =
        c.post(&c.officer, &format!("/api/v1/interpretations/{fid}/secrecy-review"), json!({"passed": true})).await;
    assert_eq!(reviewed.status(), 200);
    let published = ok(c.post(&c.officer, &format!("/api/v1/interpretations/{fid}/publish"), json!({})).await).await;
    assert_eq!(published["status"], "published");
    let public = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    assert_eq!(public["interpretations"].as_array().unwrap().len(), 2);
    assert_ne!(public["interpretations"][1]["published_at"], public["published_at"], "published on its own, later");
}

#[actix_web::test]
async fn review_fixes_hold() {
    let c = County::new().await;
    // A new lead withdraws the old lead principal's signature (S2 stays true).
    let mut body = c.draft(Some("proactive"), true);
    body["drafting_org_ids"] = json!([c.finance]);
    let draft = c.create(body.clone()).await;
    let id = draft["id"].as_str().unwrap();
    let package = c.signed_package(id).await;
    body["doc_number"] = draft["doc_number"].clone();
    body["lead_drafting_org_id"] = json!(c.finance);
    body["drafting_org_ids"] = json!([c.civil_affairs]);
    body["issuing_org_id"] = json!(c.finance);
    let moved = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/documents/{id}")))
        .bearer_auth(&c.drafter)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let package =
        ok(c.get(Some(&c.drafter), &format!("/api/v1/interpretations/{}", package["id"].as_str().unwrap())).await)
            .await;
    assert_eq!(package["status"], "draft");
    assert_eq!(package["responsible_org_id"], json!(c.finance));
    let submitted = ok(c.act(&c.drafter, id, "submit").await).await;
    assert_eq!(submitted["return"]["codes"], json!(["interpretation_missing"]));

    // A returned document is edited before it is submitted again.
    expect_problem(c.act(&c.drafter, id, "submit").await, 409, "document_state_conflict").await;

    // A drafter cannot hand the document over to other organizations.
    body["drafting_org_ids"] = json!([]);
    let handed = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/documents/{id}")))
        .bearer_auth(&c.drafter)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_problem(handed, 403, "forbidden").await;

    // Documented ranges are enforced; uploads must be multipart.
    expect_problem(c.get(Some(&c.drafter), "/api/v1/documents?year=1999").await, 422, "validation_failed").await;
    expect_problem(c.get(None, "/api/v1/public/documents?year=99999").await, 422, "validation_failed").await;
    let not_multipart = c.post(&c.drafter, &format!("/api/v1/documents/{id}/attachments"), json!({"file": "x"})).await;
    expect_problem(not_multipart, 415, "unsupported_media_type").await;
}

#[actix_web::test]
async fn a_due_date_over_an_unpublished_year_is_provisional_until_the_schedule_is_entered() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), false)).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(ok(c.act(&c.drafter, id, "submit").await).await["outcome"], "submitted");
    let approved = ok(c.act(&c.principal, id, "approve").await).await;
    assert!(approved["publish_due_provisional"].is_boolean());
    // Formed near the year's end, its 20 working days reach into 2027, not yet published.
    c.app.execute_batch(&format!("UPDATE documents SET formed_on = DATE '2026-12-20' WHERE id = '{id}'")).await;
    let admin = c.app.admin_token().await;
    let local = json!({"name": "彝族火把节", "source": "楚雄州通知"});
    let put = c
        .app
        .http
        .put(c.app.url("/api/v1/calendar/local-holidays/2027-07-28"))
        .bearer_auth(&admin)
        .json(&local)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let expected: Value = ok(c.get(None, "/api/v1/calendar/deadline?from=2026-12-20&working_days=20").await).await;
    let document = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["publish_due_on"], expected["due_on"]);
    assert_eq!(document["publish_due_provisional"], true);

    let schedule = json!({"source": "国办发明电〔2026〕1号", "off_days": [{"date": "2027-01-01", "name": "元旦"}], "makeup_workdays": []});
    let entered = c
        .app
        .http
        .put(c.app.url("/api/v1/calendar/years/2027"))
        .bearer_auth(&admin)
        .json(&schedule)
        .send()
        .await
        .unwrap();
    assert_eq!(entered.status(), 200);
    let document = ok(c.get(Some(&c.officer), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["publish_due_provisional"], false, "the schedule is known now");
}

#[actix_web::test]
async fn each_county_keeps_its_own_expert_pool() {
    let c = County::new().await;
    let expert = json!({"name": "李明", "field": "社会保障政策", "affiliation": "云南大学公共管理学院"});
    let ours: Value = c.post(&c.officer, "/api/v1/experts", expert.clone()).await.json().await.unwrap();
    let ours_id = ours["id"].as_str().unwrap();
    assert!(ours["county_id"].is_string());
    let admin = c.app.admin_token().await;
    let shared: Value =
        c.post(&admin, "/api/v1/experts", json!({"name": "王芳", "field": "行政法"})).await.json().await.unwrap();
    assert!(shared["county_id"].is_null(), "a system administrator's expert serves every county");

    let theirs = ok(c.get(Some(&c.stranger), "/api/v1/experts").await).await;
    let names: Vec<&str> = theirs["items"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["王芳"], "another county sees only the shared pool");
    expect_problem(c.get(Some(&c.stranger), &format!("/api/v1/experts/{ours_id}")).await, 404, "not_found").await;
    let edit_shared = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/experts/{}", shared["id"].as_str().unwrap())))
        .bearer_auth(&c.stranger)
        .json(&json!({"name": "王芳", "field": "行政法", "is_active": false}))
        .send()
        .await
        .unwrap();
    expect_problem(edit_shared, 403, "forbidden").await;

    // Our drafter may invite our expert and the shared one, not another county's.
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    let theirs_expert: Value = c.post(&c.stranger, "/api/v1/experts", expert).await.json().await.unwrap();
    let foreign = c
        .post(
            &c.drafter,
            &format!("/api/v1/documents/{id}/interpretations"),
            json!({"title": "解读", "expert_ids": [theirs_expert["id"]]}),
        )
        .await;
    let body = expect_problem(foreign, 422, "validation_failed").await;
    assert_eq!(body["errors"]["expert_ids"][0]["code"], "not_found");
    let allowed = c
        .post(
            &c.drafter,
            &format!("/api/v1/documents/{id}/interpretations"),
            json!({"title": "解读", "expert_ids": [ours_id, shared["id"]]}),
        )
        .await;
    assert_eq!(allowed.status(), 201);
}
