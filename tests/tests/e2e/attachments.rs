//! Attachments beyond documents, over HTTP: the files of a request's reply (the handling officers
//! and, once replied, the applicant with the query token — nobody else), of opinion releases
//! (public with the release) and of consultations (public once opened); and every kind of owner
//! kept in a real S3-compatible bucket (moto's server).

use crate::requests::{id_of, County};
use e2e::moto::Moto;
use e2e::{expect_problem, TestApp};
use reqwest::Response;
use serde_json::{json, Value};

/// 09:00 in Yuanmou (UTC+8) on Friday 20 November 2026.
const NINE: &str = "2026-11-20T01:00:00Z";

fn png(extra: usize, fill: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.extend(std::iter::repeat_n(fill, extra));
    bytes
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

/// The county of the request tests (drafter, openness officer and head of the civil-affairs
/// bureau, the government office, an officer of another county), with the bureau's principal and
/// opinion officer.
struct Desk {
    county: County,
    principal: String,
    opinion: String,
}

impl std::ops::Deref for Desk {
    type Target = County;

    fn deref(&self) -> &County {
        &self.county
    }
}

impl Desk {
    async fn on(app: TestApp) -> Desk {
        let county = County::on(app).await;
        let (app, admin, civil) = (&county.app, &county.admin, Some(county.civil_affairs));
        app.create_user(admin, "mz.principal", civil, &["principal"]).await;
        app.create_user(admin, "mz.opinion", civil, &["opinion_officer"]).await;
        let (principal, opinion) = (app.token_of("mz.principal").await, app.token_of("mz.opinion").await);
        Desk { county, principal, opinion }
    }

    async fn upload(&self, token: Option<&str>, path: &str, filename: &str, bytes: Vec<u8>) -> Response {
        self.app.upload(token, path, filename, bytes).await
    }

    /// Uploads as `token`; answers the stored attachment.
    async fn attach(&self, token: &str, path: &str, filename: &str, bytes: Vec<u8>) -> Value {
        let response = self.upload(Some(token), path, filename, bytes).await;
        assert_eq!(response.status(), 201, "{path}: {}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    async fn get(&self, token: Option<&str>, path: &str) -> Response {
        self.app.get_as(token, path).await
    }

    async fn bytes(&self, token: Option<&str>, path: &str) -> Vec<u8> {
        let response = self.get(token, path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap().to_vec()
    }

    async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let response = self.post(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn delete(&self, token: &str, attachment: &Value) -> Response {
        let path = format!("/api/v1/attachments/{}", id_of(attachment));
        self.app.http.delete(self.app.url(&path)).bearer_auth(token).send().await.unwrap()
    }

    async fn draft_document(&self) -> String {
        let body = json!({
            "doc_number": "元民发〔2026〕21号",
            "title": "元谋县民政局关于进一步做好城乡居民最低生活保障工作的通知",
            "body": "各乡（镇）民政办：为进一步规范城乡低保工作，切实保障困难群众基本生活，现就有关事项通知如下……",
            "issuing_org_id": self.civil_affairs,
            "issuing_authority": "department",
            "is_policy": false,
            "category": "service",
            "doc_kind": "normative",
            "disclosure": "proactive",
        });
        id_of(&self.ok(&self.drafter, "/api/v1/documents", body).await)
    }

    /// Files a request online, as a citizen; answers the receipt (id, tracking code, query token).
    async fn file_request(&self, identity_number: &str) -> Value {
        self.file_online(self.application(identity_number)).await
    }

    /// What the applicant of `receipt` reads at `path` (relative to their request) with `token`.
    async fn as_applicant(&self, receipt: &Value, token: &str, path: &str) -> Response {
        let code = receipt["tracking_code"].as_str().unwrap();
        let url = self.app.url(&format!("/api/v1/public/disclosure-requests/{code}{path}"));
        self.app.http.get(url).header("x-query-token", token).send().await.unwrap()
    }

    /// An incident of the civil-affairs bureau and a release of it; answers (incident id, release id).
    async fn release(&self) -> (String, String) {
        let incident = json!({"source": "online_platform", "summary": "网传低保资金被挪用", "detected_at": NINE,
            "involved_organization_ids": [self.civil_affairs]});
        let incident = id_of(&self.ok(&self.opinion, "/api/v1/opinion-incidents", incident).await);
        let release = json!({"kind": "authoritative_information", "channel": "元谋县人民政府门户网站",
            "title": "关于网传低保资金被挪用的情况通报", "content": "经核查，低保资金均按时足额发放……"});
        let release = self.ok(&self.opinion, &format!("/api/v1/opinion-incidents/{incident}/releases"), release).await;
        (incident, id_of(&release))
    }

    /// A draft consultation of the civil-affairs bureau, its period of 31 days starting in a minute.
    async fn draft_consultation(&self) -> String {
        let opens = chrono::Utc::now() + chrono::Duration::minutes(1);
        let body = json!({
            "title": "关于《元谋县城乡居民最低生活保障实施细则（征求意见稿）》公开征求意见的公告",
            "draft_text": "第一条 为规范城乡居民最低生活保障工作……",
            "method": "written_comment",
            "purpose": "听取社会公众对低保实施细则的意见建议",
            "opens_at": opens,
            "closes_at": opens + chrono::Duration::days(31),
            "contact": "县民政局社会救助股，0878-8211234",
            "meeting_topic": "县人民政府常务会议审议低保实施细则",
        });
        id_of(&self.ok(&self.drafter, "/api/v1/consultations", body).await)
    }

    async fn audit_of(&self, entity_type: &str, entity_id: &str) -> i64 {
        let sql = format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'attachment.add' AND entity_type = '{entity_type}' AND entity_id = '{entity_id}'"
        );
        self.app.scalar(&sql).await
    }
}

fn content(attachment: &Value) -> String {
    format!("/api/v1/attachments/{}/content", id_of(attachment))
}

fn public_content(attachment: &Value) -> String {
    format!("/api/v1/public/attachments/{}/content", id_of(attachment))
}

#[actix_web::test]
async fn the_files_of_a_reply_reach_its_handling_officers_and_then_its_applicant_alone() {
    let d = Desk::on(TestApp::spawn().await).await;
    let receipt = d.file_request("11010519491231002X").await;
    let other = d.file_request("110101199003070134").await;
    let request = id_of(&receipt);
    let path = format!("/api/v1/disclosure-requests/{request}/reply-attachments");
    let letter = pdf("政府信息公开申请答复书");

    expect_problem(d.upload(None, &path, "答复书.pdf", letter.clone()).await, 401, "unauthenticated").await;
    for outsider in [&d.stranger, &d.drafter] {
        expect_problem(d.upload(Some(outsider), &path, "答复书.pdf", letter.clone()).await, 404, "not_found").await;
    }
    for onlooker in [&d.principal, &d.gov_office, &d.head] {
        expect_problem(d.upload(Some(onlooker), &path, "答复书.pdf", letter.clone()).await, 403, "forbidden").await;
    }
    let file = d.attach(&d.officer, &path, "答复书.pdf", letter.clone()).await;
    assert_eq!((file["owner_type"].as_str(), file["owner_id"].as_str()), (Some("request_reply"), Some(&*request)));
    assert_eq!(d.audit_of("request_reply", &request).await, 1);

    for reader in [&d.officer, &d.head] {
        let listed: Value = d.get(Some(reader), &path).await.json().await.unwrap();
        assert_eq!(listed["items"][0]["id"], file["id"]);
        assert_eq!(d.bytes(Some(reader), &content(&file)).await, letter);
    }
    // Those who see the request masked (its principal, the county office) see nothing of its files.
    for hidden in [&d.principal, &d.gov_office, &d.stranger] {
        expect_problem(d.get(Some(hidden), &path).await, 404, "not_found").await;
        expect_problem(d.get(Some(hidden), &content(&file)).await, 404, "not_found").await;
    }
    expect_problem(d.get(None, &public_content(&file)).await, 404, "not_found").await;

    // Before the reply the applicant sees no file; the reply gives it.
    let token = receipt["query_token"].as_str().unwrap();
    let applicant_path = format!("/attachments/{}/content", id_of(&file));
    let status: Value = d.as_applicant(&receipt, token, "").await.json().await.unwrap();
    assert_eq!(status["reply_attachments"], json!([]));
    expect_problem(d.as_applicant(&receipt, token, &applicant_path).await, 404, "not_found").await;
    d.ok(&d.officer, &format!("/api/v1/disclosure-requests/{request}/reply"), json!({"outcome": "granted"})).await;
    let status: Value = d.as_applicant(&receipt, token, "").await.json().await.unwrap();
    assert_eq!(status["reply_attachments"][0]["id"], file["id"]);
    assert_eq!(status["reply_attachments"][0]["filename"], "答复书.pdf");
    let download = d.as_applicant(&receipt, token, &applicant_path).await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["cache-control"], "no-store");
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.bytes().await.unwrap().to_vec(), letter);

    // A wrong token, another applicant's token and code, and the public path: all 404.
    expect_problem(d.as_applicant(&receipt, "wrong-token", &applicant_path).await, 404, "not_found").await;
    let other_token = other["query_token"].as_str().unwrap();
    expect_problem(d.as_applicant(&other, other_token, &applicant_path).await, 404, "not_found").await;
    expect_problem(d.get(None, &public_content(&file)).await, 404, "not_found").await;

    // The reply is given: its files no longer change.
    let late = d.upload(Some(&d.officer), &path, "补充.pdf", pdf("补充")).await;
    expect_problem(late, 409, "request_state_conflict").await;
    expect_problem(d.delete(&d.officer, &file).await, 409, "request_state_conflict").await;
}

#[actix_web::test]
async fn the_files_of_an_opinion_release_are_public_with_it() {
    let d = Desk::on(TestApp::spawn().await).await;
    let (incident, release) = d.release().await;
    let path = format!("/api/v1/opinion-releases/{release}/attachments");
    let picture = png(500, 3);

    expect_problem(d.upload(None, &path, "通报.png", picture.clone()).await, 401, "unauthenticated").await;
    expect_problem(d.upload(Some(&d.stranger), &path, "通报.png", picture.clone()).await, 404, "not_found").await;
    expect_problem(d.upload(Some(&d.officer), &path, "通报.png", picture.clone()).await, 403, "forbidden").await;
    let file = d.attach(&d.opinion, &path, "通报.png", picture.clone()).await;
    assert_eq!(d.audit_of("opinion_release", &release).await, 1);

    let listed: Value = d.get(Some(&d.officer), &path).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], file["id"]);
    expect_problem(d.get(Some(&d.stranger), &path).await, 404, "not_found").await;
    expect_problem(d.get(Some(&d.stranger), &content(&file)).await, 404, "not_found").await;
    let staff_view: Value =
        d.get(Some(&d.opinion), &format!("/api/v1/opinion-incidents/{incident}/releases")).await.json().await.unwrap();
    assert_eq!(staff_view[0]["attachments"][0]["id"], file["id"]);

    let public: Value = d.get(None, "/api/v1/public/opinion-releases").await.json().await.unwrap();
    assert_eq!(public["items"][0]["attachments"][0]["sha256"], file["sha256"]);
    assert_eq!(d.bytes(None, &public_content(&file)).await, picture);

    // Once the incident is evaluated its releases' files are final.
    let act = |a: &str| format!("/api/v1/opinion-incidents/{incident}/{a}");
    d.ok(&d.opinion, &act("consult"), json!({"participants": "县委宣传部、县民政局", "minutes": "会商"})).await;
    d.ok(&d.opinion, &act("assess"), json!({"handling_class": "public_unaware", "notes": "公众不了解"})).await;
    d.ok(&d.opinion, &act("respond"), json!({})).await;
    d.ok(&d.opinion, &act("evaluate"), json!({"notes": "舆情平息"})).await;
    let late = d.upload(Some(&d.opinion), &path, "补充.png", png(10, 4)).await;
    expect_problem(late, 409, "incident_state_conflict").await;
    expect_problem(d.delete(&d.opinion, &file).await, 409, "incident_state_conflict").await;
}

#[actix_web::test]
async fn the_files_of_a_consultation_are_public_once_it_opens() {
    let d = Desk::on(TestApp::spawn().await).await;
    let consultation = d.draft_consultation().await;
    let path = format!("/api/v1/consultations/{consultation}/attachments");
    let draft = pdf("实施细则（征求意见稿）");

    expect_problem(d.upload(None, &path, "征求意见稿.pdf", draft.clone()).await, 401, "unauthenticated").await;
    expect_problem(d.upload(Some(&d.stranger), &path, "征求意见稿.pdf", draft.clone()).await, 404, "not_found").await;
    let by_office = d.upload(Some(&d.gov_office), &path, "征求意见稿.pdf", draft.clone()).await;
    expect_problem(by_office, 403, "forbidden").await;
    let file = d.attach(&d.drafter, &path, "征求意见稿.pdf", draft.clone()).await;
    let mistake = d.attach(&d.officer, &path, "错传.png", png(20, 5)).await;
    assert_eq!(d.audit_of("consultation", &consultation).await, 2);
    assert_eq!(d.delete(&d.stranger, &mistake).await.status(), 404);
    assert_eq!(d.delete(&d.drafter, &mistake).await.status(), 204);

    for reader in [&d.officer, &d.gov_office] {
        let listed: Value = d.get(Some(reader), &path).await.json().await.unwrap();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "the removed file is gone");
    }
    expect_problem(d.get(Some(&d.stranger), &path).await, 404, "not_found").await;
    expect_problem(d.get(None, &public_content(&file)).await, 404, "not_found").await;
    let public = format!("/api/v1/public/consultations/{consultation}");
    expect_problem(d.get(None, &public).await, 404, "not_found").await;

    d.ok(&d.drafter, &format!("/api/v1/consultations/{consultation}/open"), json!({})).await;
    let shown: Value = d.get(None, &public).await.json().await.unwrap();
    assert_eq!(shown["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(shown["attachments"][0]["filename"], "征求意见稿.pdf");
    assert_eq!(d.bytes(None, &public_content(&file)).await, draft);
    let late = d.upload(Some(&d.drafter), &path, "补充.pdf", pdf("补充")).await;
    expect_problem(late, 409, "consultation_state_conflict").await;
    expect_problem(d.delete(&d.drafter, &file).await, 409, "consultation_state_conflict").await;
}

#[actix_web::test]
async fn every_owners_files_are_kept_in_an_s3_bucket() {
    let moto = Moto::start();
    let bucket = "gongkai-attachments";
    moto.create_bucket(bucket).await;
    let d = Desk::on(TestApp::spawn_with_s3(moto.settings(bucket)).await).await;

    let document = d.draft_document().await;
    let receipt = d.file_request("11010519491231002X").await;
    let request = id_of(&receipt);
    let (_, release) = d.release().await;
    let consultation = d.draft_consultation().await;
    let uploads = [
        (&d.drafter, format!("/api/v1/documents/{document}/attachments"), "低保政策图解.png", png(70_000, 1)),
        (&d.officer, format!("/api/v1/disclosure-requests/{request}/reply-attachments"), "答复书.pdf", pdf("答复")),
        (&d.opinion, format!("/api/v1/opinion-releases/{release}/attachments"), "通报.png", png(3000, 2)),
        (&d.drafter, format!("/api/v1/consultations/{consultation}/attachments"), "征求意见稿.pdf", pdf("细则")),
    ];
    let mut files = Vec::new();
    for (token, path, name, bytes) in uploads {
        files.push((d.attach(token, &path, name, bytes.clone()).await, bytes));
    }

    // The bytes are in the bucket, as the S3 API itself lists and serves them.
    let mut keys = moto.keys(bucket).await;
    keys.sort();
    let mut expected: Vec<String> = files.iter().map(|(f, _)| id_of(f)).collect();
    expected.sort();
    assert_eq!(keys, expected);
    for (file, bytes) in &files {
        assert_eq!(&moto.object(bucket, &id_of(file)).await, bytes);
    }

    // Staff downloads from the bucket: whole, a range, and not modified.
    let (image, image_bytes) = &files[0];
    assert_eq!(&d.bytes(Some(&d.drafter), &content(image)).await, image_bytes);
    let url = d.app.url(&content(image));
    let part = d.app.http.get(&url).bearer_auth(&d.drafter).header("range", "bytes=65536-65599").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 65536-65599/{}", image_bytes.len()));
    assert_eq!(part.bytes().await.unwrap().as_ref(), &image_bytes[65536..65600]);
    let etag = format!("\"{}\"", image["sha256"].as_str().unwrap());
    let unchanged = d.app.http.get(&url).bearer_auth(&d.drafter).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(unchanged.status(), 304);
    let tail = d.app.http.get(d.app.url(&public_content(&files[2].0))).header("range", "bytes=-16").send().await;
    let tail = tail.unwrap();
    assert_eq!(tail.status(), 206, "the release's file is public");
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &files[2].1[files[2].1.len() - 16..]);

    // Public only once public: the draft document never, the consultation once opened.
    expect_problem(d.get(None, &public_content(image)).await, 404, "not_found").await;
    let (draft, draft_bytes) = &files[3];
    expect_problem(d.get(None, &public_content(draft)).await, 404, "not_found").await;
    d.ok(&d.drafter, &format!("/api/v1/consultations/{consultation}/open"), json!({})).await;
    assert_eq!(&d.bytes(None, &public_content(draft)).await, draft_bytes);

    // The reply's file: its applicant once replied; anyone else 404.
    let (letter, letter_bytes) = &files[1];
    d.ok(&d.officer, &format!("/api/v1/disclosure-requests/{request}/reply"), json!({"outcome": "granted"})).await;
    let token = receipt["query_token"].as_str().unwrap();
    let mine = d.as_applicant(&receipt, token, &format!("/attachments/{}/content", id_of(letter))).await;
    assert_eq!(mine.status(), 200);
    assert_eq!(&mine.bytes().await.unwrap().to_vec(), letter_bytes);
    expect_problem(d.get(None, &public_content(letter)).await, 404, "not_found").await;
    expect_problem(d.get(Some(&d.stranger), &content(letter)).await, 404, "not_found").await;

    // Removing a draft's file removes its bytes from the bucket.
    assert_eq!(d.delete(&d.drafter, image).await.status(), 204);
    assert!(!moto.keys(bucket).await.contains(&id_of(image)));
}

/// The upload route checks the owner before reading the body; the owner may move on meanwhile
/// (published, replied, opened). The store checks again under a lock: a file for an owner that
/// may no longer change is refused, and nothing is written.
#[actix_web::test]
async fn the_record_is_refused_once_the_owner_has_moved_on_since_the_check() {
    use persistence::attachments::{create, NewAttachment, Owner};
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let county = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
    let org = app.create_organization(&admin, "元谋县医疗保障局", "department", Some(county)).await;
    let publisher = e2e::publishing::Publisher::create(&app, &admin, org, "yb").await;
    let published: uuid::Uuid = publisher.publish(&app, 1).await.parse().unwrap();
    let before = app.audit_rows().await;
    let mut conn = persistence::connection(&app.pool).await.unwrap();
    let late = NewAttachment {
        id: uuid::Uuid::now_v7(),
        owner: Owner::Document(published),
        filename: "迟到的附件.pdf".into(),
        media_type: "application/pdf".into(),
        size_bytes: 4,
        sha256: "0".repeat(64),
        storage_key: "late".into(),
    };
    let refused = create(&mut conn, &persistence::Actor::system(None), late).await;
    assert!(matches!(refused, Err(persistence::StoreError::Refused("document_state_conflict"))), "{refused:?}");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM attachments").await, 0);
    assert_eq!(app.audit_rows().await, before, "no audit row either");
}
