//! Public Chinese full-text search over HTTP (issue 9): realistic policy text published through
//! the real lifecycle; two- and four-character queries, mixed Chinese and ASCII, title hits first,
//! highlighted snippets, filters, and nothing from a document that is not public.

use e2e::{expect_problem, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

pub(crate) struct Bureau {
    pub(crate) app: TestApp,
    pub(crate) org: Uuid,
    pub(crate) drafter: String,
    officer: String,
    principal: String,
    stranger: String,
}

impl Bureau {
    pub(crate) async fn new() -> Bureau {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let org = app.create_organization(&admin, "元谋县民政局", "department", Some(county)).await;
        app.create_user(&admin, "mz.drafter", Some(org), &["drafter"]).await;
        app.create_user(&admin, "mz.officer", Some(org), &["openness_officer"]).await;
        app.create_user(&admin, "mz.principal", Some(org), &["principal"]).await;
        let other_county = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other = app.create_organization(&admin, "武定县民政局", "department", Some(other_county)).await;
        app.create_user(&admin, "wd.officer", Some(other), &["openness_officer"]).await;
        Bureau {
            drafter: app.token_of("mz.drafter").await,
            officer: app.token_of("mz.officer").await,
            principal: app.token_of("mz.principal").await,
            stranger: app.token_of("wd.officer").await,
            app,
            org,
        }
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.app.http.post(self.app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Drafts a document and takes it through review and approval; `publish` decides its end.
    pub(crate) async fn issue(
        &self,
        number: u32,
        title: &str,
        body: &str,
        disclosure: &str,
        package: Option<Value>,
    ) -> String {
        let mut draft = json!({
            "doc_number": format!("元民发〔2026〕{number}号"),
            "title": title,
            "body": body,
            "issuing_org_id": self.org,
            "issuing_authority": "department",
            "is_policy": package.is_some(),
            "category": "service",
            "doc_kind": "normative",
            "disclosure": disclosure,
        });
        if disclosure == "not_public" {
            draft["disclosure_reason"] = json!("涉及内部审计整改，不对外公开");
            draft["legal_basis"] = json!("《中华人民共和国政府信息公开条例》第十六条");
            draft["exemption"] = json!("internal_affairs");
            draft["doc_kind"] = json!("other");
        }
        let id = self.post(&self.drafter, "/api/v1/documents", draft).await["id"].as_str().unwrap().to_owned();
        if let Some(package) = package {
            let created = self.post(&self.drafter, &format!("/api/v1/documents/{id}/interpretations"), package).await;
            let interpretation = created["id"].as_str().unwrap();
            self.post(&self.principal, &format!("/api/v1/interpretations/{interpretation}/sign"), json!({})).await;
        }
        if disclosure == "not_public" {
            self.post(&self.officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true})).await;
        }
        let submitted = self.post(&self.drafter, &format!("/api/v1/documents/{id}/submit"), json!({})).await;
        assert_eq!(submitted["outcome"], "submitted", "{submitted}");
        self.post(&self.principal, &format!("/api/v1/documents/{id}/approve"), json!({})).await;
        if disclosure == "not_public" {
            self.post(&self.officer, &format!("/api/v1/documents/{id}/file"), json!({})).await;
        } else {
            self.post(&self.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
            let published = self.post(&self.officer, &format!("/api/v1/documents/{id}/publish"), json!({})).await;
            assert_eq!(published["status"], "published");
        }
        id
    }

    pub(crate) async fn search(&self, query: &str) -> Value {
        let url = self.app.url(&format!("/api/v1/public/search?{query}"));
        let response = self.app.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
        response.json().await.unwrap()
    }

    async fn titles(&self, query: &str) -> Vec<String> {
        let found = self.search(query).await;
        found["items"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_owned()).collect()
    }
}

const INSURANCE: &str = "元谋县民政局关于做好2026年城乡居民医保参保缴费工作的通知";
const SUBSISTENCE: &str = "元谋县民政局关于进一步规范城乡低保审核确认工作的通知";
const POVERTY: &str = "元谋县民政局关于印发《巩固拓展扶贫成果同乡村振兴有效衔接社会救助兜底保障实施方案》的通知";
const AUDIT: &str = "元谋县民政局关于低保资金专项审计问题整改情况的内部通报";

#[actix_web::test]
async fn chinese_queries_find_published_text_with_title_hits_first_and_never_non_public_text() {
    let b = Bureau::new().await;
    b.issue(
        1,
        INSURANCE,
        "各乡（镇）人民政府：为做好2026年度城乡居民基本医疗保险参保缴费工作，确保应保尽保，现将有关事项通知如下。\
         一、参保范围：辖区内除职工基本医疗保险应参保人员以外的全体城乡居民。二、缴费标准：2026年个人缴费标准为每人每年400元。\
         三、缴费方式：可通过云南医保APP、微信小程序或到乡（镇）便民服务中心办理。",
        "proactive",
        None,
    )
    .await;
    b.issue(
        2,
        SUBSISTENCE,
        "为进一步规范最低生活保障审核确认工作，切实保障困难群众基本生活，现就有关事项通知如下。对低保对象参加城乡居民医保的\
         个人缴费部分给予全额资助；对低保边缘家庭中的重病患者，可按规定单人户纳入低保范围。",
        "proactive",
        None,
    )
    .await;
    let package = json!({
        "title": "《巩固拓展扶贫成果同乡村振兴有效衔接社会救助兜底保障实施方案》政策解读",
        "forms": ["article"],
        "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
        "background_basis": "依据《社会救助暂行办法》和省、州关于巩固拓展脱贫攻坚成果的部署",
        "main_content": "明确防止返贫动态监测帮扶机制，困难群众医疗费用实行一站式结算，确保不发生规模性返贫。",
        "changes": "无"
    });
    let poverty_id = b
        .issue(
            3,
            POVERTY,
            "为巩固拓展扶贫成果，健全分层分类的社会救助体系，现将实施方案印发给你们，请认真贯彻执行。",
            "proactive",
            Some(package),
        )
        .await;
    b.issue(
        4,
        AUDIT,
        "经县审计局专项审计，发现部分乡镇低保资金发放存在台账不规范问题，现将整改台账和问责意见通报如下，低保医保数据须每月核对。",
        "not_public",
        None,
    )
    .await;

    // Two-character words.
    let poverty = b.search("q=扶贫").await;
    let mut kinds: Vec<&str> =
        poverty["items"].as_array().unwrap().iter().map(|h| h["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["document", "interpretation"], "the document and its interpretation");
    assert_eq!(poverty["items"][0]["document_id"], poverty["items"][1]["document_id"]);
    let insurance = b.search("q=医保").await;
    let hits = insurance["items"].as_array().unwrap();
    let titles: Vec<&str> = hits.iter().map(|h| h["title"].as_str().unwrap()).collect();
    assert_eq!(titles, [INSURANCE, SUBSISTENCE], "the title hit ranks first");
    assert_eq!((hits[0]["title_hit"].as_bool(), hits[1]["title_hit"].as_bool()), (Some(true), Some(false)));
    assert!(hits[0]["title_highlighted"].as_str().unwrap().contains("<em>医保</em>参保"));
    let snippet = hits[1]["snippet"].as_str().unwrap();
    assert!(snippet.contains("城乡居民<em>医保</em>的"), "{snippet}");
    assert!(snippet.chars().count() < 200, "a snippet, not the whole text");
    assert_eq!(hits[0]["url"], format!("/api/v1/public/documents/{}", hits[0]["document_id"].as_str().unwrap()));
    assert_eq!(b.titles("q=低保").await, [SUBSISTENCE], "text of the internal circular is never found");

    // Four characters: a phrase, not four scattered characters.
    assert_eq!(b.titles("q=参保缴费").await, [INSURANCE]);
    assert_eq!(b.titles("q=缴费审核").await, Vec::<String>::new(), "缴费 and 审核 occur in one text, but not together");
    let interpretation = b.search("q=一站式结算").await;
    assert_eq!(interpretation["items"][0]["kind"], "interpretation");
    assert!(interpretation["items"][0]["snippet"].as_str().unwrap().contains("<em>一站式结算</em>"));

    // Mixed Chinese and ASCII.
    assert_eq!(b.titles("q=2026年%20医保").await, [INSURANCE]);
    assert_eq!(b.titles("q=APP%20医保").await, [INSURANCE], "ASCII words are case-insensitive");
    assert_eq!(b.titles("q=400元").await, [INSURANCE]);

    assert_eq!(b.titles("q=２０２６年%20医保").await, [INSURANCE], "full-width digits fold as the index does");

    // A very long draft is stored and indexed (its first 16,000 characters), never a 500.
    let long_body = format!("临时救助备用金管理{}", "，对象".repeat(26_000));
    let long = json!({"title": "元谋县民政局关于临时救助备用金管理的通知（草稿）", "body": long_body, "issuing_org_id": b.org,
        "issuing_authority": "department", "is_policy": false, "category": "service", "doc_kind": "other", "disclosure": "proactive"});
    b.post(&b.drafter, "/api/v1/documents", long).await;
    let drafts = b.app.http.get(b.app.url("/api/v1/search?q=备用金管理")).bearer_auth(&b.officer).send().await.unwrap();
    assert_eq!(drafts.json::<Value>().await.unwrap()["items"].as_array().unwrap().len(), 1);
    assert_eq!(b.titles("q=备用金管理").await.len(), 0, "a draft is not public");

    // An unsigned follow-up interpretation of a public document is not public, though staff find it.
    let follow_up = json!({"stage": "follow_up", "title": "兜底保障政策执行常见问题解答", "forms": ["qa"],
        "main_content": "对动态清零机制的适用情形作出解答"});
    b.post(&b.drafter, &format!("/api/v1/documents/{poverty_id}/interpretations"), follow_up).await;
    assert_eq!(b.search("q=动态清零机制").await["items"], json!([]));
    let staff_found =
        b.app.http.get(b.app.url("/api/v1/search?q=动态清零机制")).bearer_auth(&b.officer).send().await.unwrap();
    let staff_found: Value = staff_found.json().await.unwrap();
    assert_eq!(
        (staff_found["items"][0]["kind"].as_str(), staff_found["items"][0]["status"].as_str()),
        (Some("interpretation"), Some("draft"))
    );

    // Nothing that exists only in the non-public document.
    for only_there in ["整改台账", "问责意见", "专项审计", "元民发〔2026〕4号"] {
        let found = b.search(&format!("q={only_there}")).await;
        assert_eq!(found["items"], json!([]), "{only_there}");
    }

    // Staff search what they may see: the bureau finds its filed circular, another county does not.
    let staff = |token: String, q: &'static str| {
        let request = b.app.http.get(b.app.url(&format!("/api/v1/search?q={q}"))).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    let own: Value = staff(b.officer.clone(), "整改台账").await.json().await.unwrap();
    assert_eq!(own["items"][0]["title"], AUDIT);
    assert_eq!(own["items"][0]["status"], "filed");
    assert!(own["items"][0]["url"].as_str().unwrap().starts_with("/api/v1/documents/"));
    let foreign: Value = staff(b.stranger.clone(), "整改台账").await.json().await.unwrap();
    assert_eq!(foreign["items"], json!([]));
    let foreign_public: Value = staff(b.stranger.clone(), "医保").await.json().await.unwrap();
    assert_eq!(foreign_public["items"].as_array().unwrap().len(), 2, "staff see at least what the public sees");
    let anonymous = b.app.http.get(b.app.url("/api/v1/search?q=医保")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);

    // Filters.
    assert_eq!(b.titles(&format!("q=医保&org={}", b.org)).await.len(), 2);
    assert_eq!(b.titles(&format!("q=医保&org={}", Uuid::now_v7())).await.len(), 0);
    assert_eq!(b.titles("q=医保&category=service").await.len(), 2);
    assert_eq!(b.titles("q=医保&category=management").await.len(), 0);
    assert_eq!(b.titles("q=医保&year=2020").await.len(), 0);
    // Formed on approval, today in Asia/Shanghai.
    let this_year = chrono::Datelike::year(&(chrono::Utc::now() + chrono::Duration::hours(8)).date_naive());
    assert_eq!(b.titles(&format!("q=医保&year={this_year}")).await.len(), 2);

    // Paging.
    let first = b.search("q=扶贫&limit=1").await;
    let next = first["next_cursor"].as_str().expect("a second page");
    let second = b.search(&format!("q=扶贫&limit=1&cursor={next}")).await;
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    assert!(second["next_cursor"].is_null());

    // The Atom feed: the three public documents, newest first, never the circular.
    let feed = b.app.http.get(b.app.url("/api/v1/public/document-feed")).send().await.unwrap();
    assert!(feed.headers()["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    let xml = feed.text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert_eq!(xml.matches("<entry>").count(), 3);
    for title in [INSURANCE, SUBSISTENCE, POVERTY] {
        assert!(xml.contains(title), "{title}");
    }
    assert!(!xml.contains(AUDIT) && !xml.contains("整改台账"));
    assert!(xml.find(POVERTY).unwrap() < xml.find(INSURANCE).unwrap(), "newest first");
    let own = b.app.http.get(b.app.url(&format!("/api/v1/public/document-feed?org={}", b.org))).send().await.unwrap();
    assert_eq!(own.text().await.unwrap().matches("<entry>").count(), 3);
    let unknown = b
        .app
        .http
        .get(b.app.url(&format!("/api/v1/public/document-feed?org={}", Uuid::now_v7())))
        .send()
        .await
        .unwrap();
    expect_problem(unknown, 404, "not_found").await;

    // Conditional GET on public reads: the validator, then 304 without a body while unchanged.
    let document_url = b.app.url(hits[0]["url"].as_str().unwrap());
    let first = b.app.http.get(&document_url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(first.headers()["cache-control"].to_str().unwrap().contains("public"));
    let again = b.app.http.get(&document_url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = b.app.http.get(&document_url).header("If-None-Match", "\"0000\"").send().await.unwrap();
    assert_eq!(other.status(), 200);
    let feed_etag =
        b.app.http.get(b.app.url("/api/v1/public/document-feed")).send().await.unwrap().headers()["etag"].clone();
    let unchanged = b
        .app
        .http
        .get(b.app.url("/api/v1/public/document-feed"))
        .header("If-None-Match", feed_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    // Bad queries.
    let empty = b.app.http.get(b.app.url("/api/v1/public/search?q=%EF%BC%8C%E3%80%82")).send().await.unwrap();
    let problem = expect_problem(empty, 422, "validation_failed").await;
    assert_eq!(problem["errors"]["q"][0]["code"], "no_terms");
    let long =
        b.app.http.get(b.app.url(&format!("/api/v1/public/search?q={}", "医".repeat(101)))).send().await.unwrap();
    expect_problem(long, 422, "validation_failed").await;
    let cursor = b.app.http.get(b.app.url("/api/v1/public/search?q=医保&cursor=o99999")).send().await.unwrap();
    expect_problem(cursor, 400, "invalid_cursor").await;
    let missing = b.app.http.get(b.app.url("/api/v1/public/search")).send().await.unwrap();
    assert_eq!(missing.status(), 400);
}

/// Title hits first, newest first; then the hits in the text alone, newest first; paging by the
/// cursor crosses from one group to the other without repeating or losing a hit (issue 11: the
/// order that lets PostgreSQL stop early instead of ranking every match).
#[actix_web::test]
async fn title_hits_come_first_each_group_newest_first_and_pages_cross_between_them_whole() {
    let b = Bureau::new().await;
    let text = "现将有关事项通知如下，请认真贯彻落实。";
    let mut titles = Vec::new();
    // Each text opens with its own mark, so that a snippet cut from another hit's text shows.
    let mut marks = std::collections::HashMap::new();
    for n in 1..=3 {
        // Published in this order: a later one is newer.
        let title = format!("元谋县民政局关于防汛工作的第{n}号通知");
        b.issue(10 + n, &title, &format!("编号T{n}。{text}"), "proactive", None).await;
        marks.insert(title.clone(), format!("编号T{n}"));
        titles.push(title);
        let title = format!("元谋县民政局关于第{n}批救助资金发放的通知");
        b.issue(20 + n, &title, &format!("编号B{n}。为做好今年防汛期间的困难群众救助，{text}"), "proactive", None)
            .await;
        marks.insert(title.clone(), format!("编号B{n}"));
        titles.push(title);
    }
    let title_hits: Vec<&String> = titles.iter().step_by(2).rev().collect();
    let text_hits: Vec<&String> = titles.iter().skip(1).step_by(2).rev().collect();
    let expected: Vec<&String> = title_hits.iter().chain(text_hits.iter()).copied().collect();

    let whole = b.search("q=防汛&limit=50").await;
    let found: Vec<&str> = whole["items"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap()).collect();
    assert_eq!(found, expected, "title hits newest first, then text hits newest first");
    let flags: Vec<bool> =
        whole["items"].as_array().unwrap().iter().map(|h| h["title_hit"].as_bool().unwrap()).collect();
    assert_eq!(flags, [true, true, true, false, false, false]);
    assert!(whole["next_cursor"].is_null());

    // Pages of two: the second holds the last title hit and the first text hit.
    let mut paged = Vec::new();
    let mut query = "q=防汛&limit=2".to_owned();
    loop {
        let page = b.search(&query).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().map(|h| (h["title"].as_str().unwrap().to_owned(), h["snippet"].clone())));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("q=防汛&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged.iter().map(|(title, _)| title).collect::<Vec<_>>(), expected, "pages cross the groups whole");
    // The first page reads its texts with its hits, deeper pages afterwards: the snippets agree.
    let whole_snippets: Vec<&Value> = whole["items"].as_array().unwrap().iter().map(|h| &h["snippet"]).collect();
    assert_eq!(paged.iter().map(|(_, snippet)| snippet).collect::<Vec<_>>(), whole_snippets);
    for hit in whole["items"].as_array().unwrap() {
        let mark = &marks[hit["title"].as_str().unwrap()];
        assert!(hit["snippet"].as_str().unwrap().contains(mark.as_str()), "each hit's own text: {hit}");
    }
    // Each hit's snippet is cut from its own text.
    for hit in whole["items"].as_array().unwrap().iter().filter(|h| h["title_hit"] == false) {
        assert!(hit["snippet"].as_str().unwrap().contains("<em>防汛</em>期间"), "{hit}");
    }

    // Staff also find a draft, which has no publication time: last among the title hits.
    let draft_title = "元谋县民政局关于防汛物资储备的通知（征求意见稿）";
    b.post(
        &b.drafter,
        "/api/v1/documents",
        json!({"title": draft_title, "body": text, "issuing_org_id": b.org, "issuing_authority": "department",
               "is_policy": false, "category": "service", "doc_kind": "normative", "disclosure": "proactive"}),
    )
    .await;
    let staff = b.app.get_ok(&b.officer, "/api/v1/search?q=防汛&limit=50").await;
    let found: Vec<&str> = staff["items"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap()).collect();
    let mut expected_staff: Vec<&str> = title_hits.iter().map(|t| t.as_str()).collect();
    expected_staff.push(draft_title);
    expected_staff.extend(text_hits.iter().map(|t| t.as_str()));
    assert_eq!(found, expected_staff, "the draft closes the title hits");
    for hit in staff["items"].as_array().unwrap() {
        let snippet = hit["snippet"].as_str().unwrap();
        match marks.get(hit["title"].as_str().unwrap()) {
            Some(mark) => assert!(snippet.contains(mark.as_str()), "each hit's own text: {hit}"),
            None => assert!(snippet.starts_with("现将有关事项"), "the draft's text: {hit}"),
        }
    }
    assert_eq!(b.titles("q=防汛&limit=50").await.len(), 6, "the public never finds the draft");
}
