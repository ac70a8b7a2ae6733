//! Faults of the API process itself (issue 10, item 6): `kill -9` in the middle of a write load,
//! and SIGTERM while requests are in flight. The server is `gongkai serve` as a separate process
//! (`e2e::child_server`), configured by environment, on a database of its own.
//!
//! The write load drives documents through the whole lifecycle (create → interpretation package
//! → sign → submit → approve → confirm → secrecy review → publish, or → file), uploads
//! attachments and files disclosure requests from the public endpoint. Every write answered 2xx is
//! recorded with the state it acknowledged; after each kill and restart, the checks below look at
//! them through the API and at every row through SQL.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use e2e::child_server::ChildServer;
use e2e::{resident_id, TestApp, ADMIN_PASSWORD, ADMIN_USERNAME};
use persistence::test_databases::TestDatabase;
use persistence::Pool;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

const GONGKAI: &str = env!("CARGO_BIN_EXE_gongkai-under-test");

/// The server as its clients see it.
struct Api {
    base: String,
    http: reqwest::Client,
}

/// What became of one request.
enum Sent {
    /// The whole answer arrived.
    Answered(StatusCode, Value),
    /// No (whole) answer: the connection was refused (`in_flight` false: the request never
    /// reached a server), or reset or closed while the server had it.
    Cut { error: String, in_flight: bool },
}

impl Api {
    fn new(base: &str) -> Api {
        // A request the server never answers fails the test instead of hanging it.
        let http = e2e::client_builder().timeout(Duration::from_secs(20)).build().unwrap();
        Api { base: base.to_owned(), http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn post(&self, token: Option<&str>, path: &str, body: &Value) -> RequestBuilder {
        let request = self.http.post(self.url(path)).json(body);
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    fn get(&self, token: &str, path: &str) -> RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(token)
    }

    /// Sends, then reads the whole body.
    async fn send(request: RequestBuilder) -> Sent {
        match request.send().await {
            Err(err) => Sent::Cut { error: describe(&err), in_flight: !err.is_connect() },
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(bytes) => Sent::Answered(status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
                    Err(err) => Sent::Cut { error: format!("{status}, then {}", describe(&err)), in_flight: true },
                }
            }
        }
    }

    /// Sends and expects `status`; returns the JSON body.
    async fn expect(request: RequestBuilder, status: u16, what: &str) -> Value {
        match Api::send(request).await {
            Sent::Answered(actual, body) if actual.as_u16() == status => body,
            Sent::Answered(actual, body) => panic!("{what}: {actual} {body}"),
            Sent::Cut { error, .. } => panic!("{what}: {error}"),
        }
    }

    async fn login(&self, username: &str, password: &str) -> String {
        let body = json!({"username": username, "password": password});
        let tokens = Api::expect(self.post(None, "/api/v1/auth/login", &body), 200, "login").await;
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    async fn create_organization(&self, admin: &str, name: &str, kind: &str, parent: Option<Uuid>) -> Uuid {
        let body = json!({"name": name, "kind": kind, "parent_id": parent});
        let org = Api::expect(self.post(Some(admin), "/api/v1/organizations", &body), 201, name).await;
        org["id"].as_str().unwrap().parse().unwrap()
    }

    /// A user with one role, logged in; the password is [`TestApp::password_of`].
    async fn user(&self, admin: &str, username: &str, org: Uuid, role: &str) -> String {
        let body = json!({
            "username": username,
            "password": TestApp::password_of(username),
            "display_name": format!("用户 {username}"),
            "organization_id": org,
            "roles": [role],
        });
        Api::expect(self.post(Some(admin), "/api/v1/users", &body), 201, username).await;
        self.login(username, &TestApp::password_of(username)).await
    }
}

/// An error with its causes, e.g. `error sending request: connection closed before message completed`.
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The steps of a document's life as the load drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Create,
    Attach,
    Package,
    Sign,
    OpennessReview,
    Submit,
    Approve,
    Confirm,
    SecrecyReview,
    Publish,
    File,
}

/// Three kinds of document, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Proactive, not a policy: an attachment, then straight through to publication.
    Plain,
    /// A proactive policy document with its interpretation package (三同步), concerning a
    /// neighbouring department, which confirms it before publication.
    Policy,
    /// On request only (依申请公开): reason, basis and openness review, then filed.
    Withheld,
}

impl Kind {
    fn steps(self) -> &'static [Step] {
        use Step::*;
        match self {
            Kind::Plain => &[Create, Attach, Submit, Approve, SecrecyReview, Publish],
            Kind::Policy => &[Create, Package, Sign, Submit, Approve, Confirm, SecrecyReview, Publish],
            Kind::Withheld => &[Create, OpennessReview, Submit, Approve, File],
        }
    }
}

/// A document the load created, with every step the server acknowledged.
#[derive(Debug)]
struct DocumentRecord {
    writer: usize,
    kind: Kind,
    doc_number: String,
    title: String,
    acknowledged: BTreeSet<Step>,
    interpretation: Option<String>,
}

#[derive(Debug)]
struct AttachmentRecord {
    id: String,
    sha256: String,
    writer: usize,
}

#[derive(Debug)]
struct RequestRecord {
    id: String,
    tracking_code: String,
    query_token: String,
    marker: String,
}

/// Everything acknowledged, and what was cut.
#[derive(Debug, Default)]
struct Ledger {
    documents: BTreeMap<String, DocumentRecord>,
    attachments: Vec<AttachmentRecord>,
    requests: Vec<RequestRecord>,
    /// Writes answered 2xx.
    acknowledged: usize,
    /// Writes without an answer, cut by a kill.
    cut: Vec<String>,
    /// Of those, the ones the server had received when it was killed (not refused afterwards).
    in_flight_at_kill: usize,
    /// Answers that should never happen (a 4xx or 5xx to a valid step).
    unexpected: Vec<String>,
    /// Retries of a cut request with its `Idempotency-Key`, after the restart: (status, replayed).
    retries: Vec<(u16, bool)>,
    /// Cut steps of documents that the server turned out to have done (found on resuming).
    cut_steps_done: usize,
}

enum Outcome {
    Acknowledged,
    Cut,
    Unexpected,
}

/// An organization's drafter, openness officer and principal.
struct Staff {
    org: Uuid,
    drafter: String,
    officer: String,
    principal: String,
}

/// The document a writer is working on.
struct Current {
    kind: Kind,
    doc_number: String,
    id: Option<String>,
    interpretation: Option<String>,
    step: usize,
}

/// One client task: documents of one department, one after the other.
struct Writer {
    index: usize,
    staff: Staff,
    neighbour: Uuid,
    neighbour_officer: String,
    documents: u32,
    current: Option<Current>,
}

fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.extend((0..extra).map(|i| (i % 251) as u8));
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex_string(&Sha256::digest(bytes))
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Writer {
    fn title(&self, number: u32) -> String {
        format!("元谋县第{}局关于做好第{number}批城乡居民医保参保工作的通知", self.index)
    }

    fn start_document(&mut self) -> Current {
        self.documents += 1;
        let kind = [Kind::Plain, Kind::Policy, Kind::Withheld][(self.documents as usize + self.index) % 3];
        Current {
            kind,
            doc_number: format!("元{}发〔2026〕{}号", self.index, self.documents),
            id: None,
            interpretation: None,
            step: 0,
        }
    }

    fn draft(&self, current: &Current) -> Value {
        let mut draft = json!({
            "doc_number": current.doc_number,
            "title": self.title(self.documents),
            "body": "各乡（镇）：现将有关事项通知如下。",
            "issuing_org_id": self.staff.org,
            "issuing_authority": "department",
            "is_policy": current.kind == Kind::Policy,
            "category": "service",
            "doc_kind": "other",
            "disclosure": "proactive",
        });
        match current.kind {
            Kind::Plain => {}
            Kind::Policy => draft["involved_org_ids"] = json!([self.neighbour]),
            Kind::Withheld => {
                draft["disclosure"] = json!("on_request");
                draft["disclosure_reason"] = json!("涉及特定参保对象，仅向申请人公开");
                draft["legal_basis"] = json!("《中华人民共和国政府信息公开条例》第十五条");
            }
        }
        draft
    }

    /// Drives documents until a request is cut (the server was killed), or, with `finish`, until
    /// the current document is through.
    async fn run(&mut self, api: &Api, ledger: &Mutex<Ledger>, finish: bool) {
        loop {
            if self.current.is_none() {
                if finish {
                    return;
                }
                self.current = Some(self.start_document());
            }
            match self.step(api, ledger).await {
                Outcome::Acknowledged => {}
                Outcome::Cut | Outcome::Unexpected => return,
            }
        }
    }

    async fn step(&mut self, api: &Api, ledger: &Mutex<Ledger>) -> Outcome {
        let current = self.current.as_ref().unwrap();
        let step = current.kind.steps()[current.step];
        let id = current.id.clone().unwrap_or_default();
        let document = |action: &str| format!("/api/v1/documents/{id}/{action}");
        let attachment = if step == Step::Attach { png(20_000 + self.documents as usize) } else { Vec::new() };
        let staff = &self.staff;
        let request = match step {
            Step::Create => api.post(Some(&staff.drafter), "/api/v1/documents", &self.draft(current)),
            Step::Attach => {
                let part = reqwest::multipart::Part::bytes(attachment.clone()).file_name("参保流程图.png");
                let form = reqwest::multipart::Form::new().part("file", part);
                api.http.post(api.url(&document("attachments"))).bearer_auth(&staff.drafter).multipart(form)
            }
            Step::Package => {
                let package = json!({
                    "title": format!("《{}》政策解读", self.title(self.documents)),
                    "forms": ["article"],
                    "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
                    "background_basis": "依据《社会保险法》和省、州有关规定",
                    "main_content": "明确参保范围、缴费标准和办理流程",
                    "changes": "无"
                });
                api.post(Some(&staff.drafter), &document("interpretations"), &package)
            }
            Step::Sign => {
                let interpretation = current.interpretation.as_deref().unwrap();
                api.post(Some(&staff.principal), &format!("/api/v1/interpretations/{interpretation}/sign"), &json!({}))
            }
            Step::OpennessReview => api.post(
                Some(&staff.officer),
                &document("openness-review"),
                &json!({"passed": true, "comment": "属性适当"}),
            ),
            Step::Submit => api.post(Some(&staff.drafter), &document("submit"), &json!({})),
            Step::Approve => api.post(Some(&staff.principal), &document("approve"), &json!({})),
            Step::Confirm => api.post(Some(&self.neighbour_officer), &document("confirm"), &json!({})),
            Step::SecrecyReview => {
                api.post(Some(&staff.officer), &document("secrecy-review"), &json!({"passed": true}))
            }
            Step::Publish => api.post(Some(&staff.officer), &document("publish"), &json!({})),
            Step::File => api.post(Some(&staff.officer), &document("file"), &json!({})),
        };
        let what = format!("writer {} {step:?} of {} ({id})", self.index, current.doc_number);
        let body = match Api::send(request).await {
            Sent::Cut { error, in_flight } => {
                let mut ledger = ledger.lock().unwrap();
                ledger.cut.push(format!("{what}: {error}"));
                ledger.in_flight_at_kill += usize::from(in_flight);
                return Outcome::Cut;
            }
            Sent::Answered(status, body) if !status.is_success() => {
                ledger.lock().unwrap().unexpected.push(format!("{what}: {status} {body}"));
                return Outcome::Unexpected;
            }
            Sent::Answered(_, body) => body,
        };
        let expected_status = match step {
            Step::Approve => Some("approved"),
            Step::Publish => Some("published"),
            Step::File => Some("filed"),
            _ => None,
        };
        let answered_status = match step {
            Step::Submit => body["outcome"].as_str(),
            _ => body["status"].as_str(),
        };
        if let Some(expected) = expected_status.or((step == Step::Submit).then_some("submitted")) {
            if answered_status != Some(expected) {
                ledger.lock().unwrap().unexpected.push(format!("{what}: answered {body}"));
                return Outcome::Unexpected;
            }
        }
        let mut ledger = ledger.lock().unwrap();
        ledger.acknowledged += 1;
        let current = self.current.as_mut().unwrap();
        match step {
            Step::Create => {
                let id = body["id"].as_str().unwrap().to_owned();
                current.id = Some(id.clone());
                let record = DocumentRecord {
                    writer: self.index,
                    kind: current.kind,
                    doc_number: current.doc_number.clone(),
                    title: body["title"].as_str().unwrap().to_owned(),
                    acknowledged: BTreeSet::new(),
                    interpretation: None,
                };
                ledger.documents.insert(id, record);
            }
            Step::Attach => ledger.attachments.push(AttachmentRecord {
                id: body["id"].as_str().unwrap().to_owned(),
                sha256: sha256_hex(&attachment),
                writer: self.index,
            }),
            Step::Package => current.interpretation = Some(body["id"].as_str().unwrap().to_owned()),
            _ => {}
        }
        let record = ledger.documents.get_mut(current.id.as_deref().unwrap()).unwrap();
        record.acknowledged.insert(step);
        record.interpretation.clone_from(&current.interpretation);
        current.step += 1;
        if current.step == current.kind.steps().len() {
            self.current = None;
        }
        Outcome::Acknowledged
    }

    /// After a restart: carries on with the current document from the state the server has (the
    /// cut step may or may not have been done), or starts afresh if even its creation was cut.
    async fn resume(&mut self, api: &Api, ledger: &Mutex<Ledger>) {
        let Some(current) = self.current.as_mut() else { return };
        let Some(id) = current.id.clone() else {
            self.current = None;
            return;
        };
        let officer = &self.staff.officer;
        let document = Api::expect(api.get(officer, &format!("/api/v1/documents/{id}")), 200, "resume").await;
        let status = document["status"].as_str().unwrap();
        let next = match (status, current.kind) {
            ("published" | "filed", _) => {
                ledger.lock().unwrap().cut_steps_done += 1;
                self.current = None;
                return;
            }
            ("submitted", _) => Step::Approve,
            ("approved", Kind::Plain) => Step::SecrecyReview,
            ("approved", Kind::Policy) => Step::Confirm,
            ("approved", Kind::Withheld) => Step::File,
            ("draft", Kind::Plain) => Step::Attach,
            ("draft", Kind::Withheld) => Step::OpennessReview,
            ("draft", Kind::Policy) => {
                let path = format!("/api/v1/documents/{id}/interpretations");
                let list = Api::expect(api.get(officer, &path), 200, "interpretations").await;
                match list["items"].as_array().unwrap().first() {
                    None => Step::Package,
                    Some(package) => {
                        let package_id = package["id"].as_str().unwrap().to_owned();
                        ledger.lock().unwrap().documents.get_mut(&id).unwrap().interpretation =
                            Some(package_id.clone());
                        current.interpretation = Some(package_id);
                        if package["status"] == "draft" {
                            Step::Sign
                        } else {
                            Step::Submit
                        }
                    }
                }
            }
            (other, kind) => panic!("{kind:?} document {id} is {other} after the restart"),
        };
        let next = current.kind.steps().iter().position(|s| *s == next).unwrap();
        if next > current.step {
            ledger.lock().unwrap().cut_steps_done += 1;
        }
        current.step = next;
    }
}

/// One client task filing disclosure requests from the public endpoint, each with an
/// `Idempotency-Key`, as a careful client would.
struct Filer {
    index: usize,
    org: Uuid,
    filed: u32,
    /// The submission cut by a kill: (key, body), retried once after the restart.
    pending: Option<(Uuid, Value)>,
}

impl Filer {
    fn application(&mut self) -> Value {
        self.filed += 1;
        json!({
            "organization_id": self.org,
            "applicant_type": "natural_person",
            "name": "张三",
            "identity_document_type": "resident_identity_card",
            "identity_number": resident_id(self.index as u32 * 10_000 + self.filed),
            "phone": "13812345678",
            "description": format!("crash-test filer {} request {}: 2026年城乡居民医保参保人数", self.index, self.filed),
            "information_form": "electronic",
            "delivery_method": "online",
        })
    }

    fn submission(api: &Api, key: Uuid, body: &Value) -> RequestBuilder {
        api.post(None, "/api/v1/public/disclosure-requests", body).header("Idempotency-Key", key.to_string())
    }

    fn record(ledger: &mut Ledger, receipt: &Value, body: &Value) {
        ledger.requests.push(RequestRecord {
            id: receipt["id"].as_str().unwrap().to_owned(),
            tracking_code: receipt["tracking_code"].as_str().unwrap().to_owned(),
            query_token: receipt["query_token"].as_str().unwrap().to_owned(),
            marker: body["description"].as_str().unwrap().to_owned(),
        });
    }

    async fn run(&mut self, api: &Api, ledger: &Mutex<Ledger>) {
        loop {
            let (key, body) = (Uuid::new_v4(), self.application());
            match Api::send(Filer::submission(api, key, &body)).await {
                Sent::Answered(status, receipt) if status == 201 => {
                    let mut ledger = ledger.lock().unwrap();
                    ledger.acknowledged += 1;
                    Filer::record(&mut ledger, &receipt, &body);
                }
                Sent::Answered(status, answer) => {
                    ledger.lock().unwrap().unexpected.push(format!("filer {}: {status} {answer}", self.index));
                    return;
                }
                Sent::Cut { error, in_flight } => {
                    let mut ledger = ledger.lock().unwrap();
                    ledger.cut.push(format!("filer {} request {}: {error}", self.index, self.filed));
                    ledger.in_flight_at_kill += usize::from(in_flight);
                    self.pending = Some((key, body));
                    return;
                }
            }
        }
    }

    /// After the restart, the cut submission once more with the same key and body: a replay of the
    /// receipt, a fresh filing (the first attempt never got through), or 409 while the first
    /// attempt's claim is still within its lease — never a second request.
    async fn retry(&mut self, api: &Api, ledger: &Mutex<Ledger>) {
        let Some((key, body)) = self.pending.take() else { return };
        let response = Filer::submission(api, key, &body).send().await.expect("retry after the restart");
        let status = response.status().as_u16();
        let replayed = response.headers().get("idempotent-replayed").is_some();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let mut ledger = ledger.lock().unwrap();
        ledger.retries.push((status, replayed));
        match status {
            201 => {
                ledger.acknowledged += 1;
                Filer::record(&mut ledger, &answer, &body);
            }
            409 if answer["code"] == "idempotency_key_in_progress" => {}
            _ => ledger.unexpected.push(format!("filer {} retry: {status} {answer}", self.index)),
        }
    }
}

/// Rows as JSON objects, from any SELECT.
async fn rows(pool: &Pool, sql: &str) -> Vec<Value> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Json {
        #[diesel(sql_type = diesel::sql_types::Text)]
        j: String,
    }
    let wrapped = format!("SELECT coalesce(json_agg(t), '[]'::json)::text AS j FROM ({sql}) t");
    let mut conn = persistence::connection(pool).await.expect("db");
    let row: Json = diesel::sql_query(&wrapped).get_result(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    serde_json::from_str::<Vec<Value>>(&row.j).unwrap()
}

async fn count(pool: &Pool, sql: &str) -> i64 {
    rows(pool, sql).await[0]["n"].as_i64().unwrap()
}

/// Invariants over every row, acknowledged or not: each query lists the rows that break one.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "S2/S3: a document and its initial interpretation move together (no half-approved package, no \
         publication of one without the other, one published_at)",
        "SELECT d.id, d.status, i.status AS interpretation_status, d.published_at,
                i.published_at AS interpretation_published_at
         FROM documents d JOIN interpretations i ON i.document_id = d.id AND i.stage = 'initial'
         WHERE NOT ((d.status IN ('draft', 'returned', 'submitted') AND i.status IN ('draft', 'signed'))
                 OR (d.status IN ('approved', 'filed') AND i.status = 'approved')
                 OR (d.status = 'published' AND i.status = 'published' AND i.published_at = d.published_at))",
    ),
    (
        "S1/S2: a policy document past its draft has its signed package",
        "SELECT d.id, d.status FROM documents d
         WHERE d.is_policy AND d.status IN ('submitted', 'approved', 'published', 'filed')
           AND NOT EXISTS (SELECT 1 FROM interpretations i
                           WHERE i.document_id = d.id AND i.stage = 'initial' AND i.status <> 'draft')",
    ),
    (
        "P1: a published document had a passed secrecy review",
        "SELECT d.id FROM documents d WHERE d.status = 'published'
           AND NOT EXISTS (SELECT 1 FROM document_reviews r
                           WHERE r.document_id = d.id AND r.kind = 'secrecy' AND r.passed)",
    ),
    (
        "P2: a published document was confirmed by every involved organization",
        "SELECT d.id FROM documents d WHERE d.status = 'published'
           AND EXISTS (SELECT 1 FROM unnest(d.involved_org_ids) o(id)
                       WHERE NOT EXISTS (SELECT 1 FROM document_confirmations c
                                         WHERE c.document_id = d.id AND c.organization_id = o.id))",
    ),
    (
        "audit = changes: a document's version counts its audit rows (each committed change of the row \
         bumps the version and writes exactly one audit row in the same transaction)",
        "SELECT d.id, d.version, count(a.id) AS audit_rows
         FROM documents d LEFT JOIN audit_log a
              ON a.entity_type = 'document' AND a.entity_id = d.id AND a.action NOT LIKE 'attachment.%'
         GROUP BY d.id HAVING d.version <> count(a.id)",
    ),
    (
        "audit = changes: an interpretation's version counts its audit rows",
        "SELECT i.id, i.version, count(a.id) AS audit_rows
         FROM interpretations i LEFT JOIN audit_log a
              ON a.entity_type = 'interpretation' AND a.entity_id = i.id AND a.action NOT LIKE 'attachment.%'
         GROUP BY i.id HAVING i.version <> count(a.id)",
    ),
    (
        "audit = changes: replaying a document's audited transitions gives its status; created once, \
         approved, published and filed exactly once when it got there",
        "SELECT d.id, d.status, last.action AS last_transition, n.created, n.approved, n.published, n.filed
         FROM documents d
         LEFT JOIN LATERAL (
             SELECT a.action FROM audit_log a
             WHERE a.entity_type = 'document' AND a.entity_id = d.id
               AND a.action IN ('document.create', 'document.update', 'document.submit', 'document.return',
                                'document.approve', 'document.publish', 'document.file')
             ORDER BY a.id DESC LIMIT 1) last ON true
         CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE a.action = 'document.create') AS created,
                    count(*) FILTER (WHERE a.action = 'document.approve') AS approved,
                    count(*) FILTER (WHERE a.action = 'document.publish') AS published,
                    count(*) FILTER (WHERE a.action = 'document.file') AS filed
             FROM audit_log a WHERE a.entity_type = 'document' AND a.entity_id = d.id) n
         WHERE CASE last.action WHEN 'document.create' THEN 'draft' WHEN 'document.update' THEN 'draft'
                   WHEN 'document.submit' THEN 'submitted' WHEN 'document.return' THEN 'returned'
                   WHEN 'document.approve' THEN 'approved' WHEN 'document.publish' THEN 'published'
                   WHEN 'document.file' THEN 'filed' END IS DISTINCT FROM d.status
            OR n.created <> 1
            OR n.approved <> (CASE WHEN d.status IN ('approved', 'published', 'filed') THEN 1 ELSE 0 END)
            OR n.published <> (CASE WHEN d.status = 'published' THEN 1 ELSE 0 END)
            OR n.filed <> (CASE WHEN d.status = 'filed' THEN 1 ELSE 0 END)",
    ),
    (
        "audit = changes: replaying an interpretation's audited transitions gives its status",
        "SELECT i.id, i.status, last.action AS last_transition
         FROM interpretations i
         LEFT JOIN LATERAL (
             SELECT a.action FROM audit_log a
             WHERE a.entity_type = 'interpretation' AND a.entity_id = i.id
               AND a.action IN ('interpretation.create', 'interpretation.sign', 'interpretation.approve',
                                'interpretation.publish')
             ORDER BY a.id DESC LIMIT 1) last ON true
         WHERE CASE last.action WHEN 'interpretation.create' THEN 'draft' WHEN 'interpretation.sign' THEN 'signed'
                   WHEN 'interpretation.approve' THEN 'approved' WHEN 'interpretation.publish' THEN 'published'
               END IS DISTINCT FROM i.status",
    ),
    (
        "audit = changes: one audit row per review and per confirmation",
        "SELECT d.id, x.kind, x.rows, x.audited FROM documents d CROSS JOIN LATERAL (
             SELECT 'openness' AS kind,
                    (SELECT count(*) FROM document_reviews r WHERE r.document_id = d.id AND r.kind = 'openness') AS rows,
                    (SELECT count(*) FROM audit_log a WHERE a.entity_type = 'document' AND a.entity_id = d.id
                       AND a.action = 'document.openness_review') AS audited
             UNION ALL
             SELECT 'secrecy',
                    (SELECT count(*) FROM document_reviews r WHERE r.document_id = d.id AND r.kind = 'secrecy'),
                    (SELECT count(*) FROM audit_log a WHERE a.entity_type = 'document' AND a.entity_id = d.id
                       AND a.action = 'document.secrecy_review')
             UNION ALL
             SELECT 'confirmation',
                    (SELECT count(*) FROM document_confirmations c WHERE c.document_id = d.id),
                    (SELECT count(*) FROM audit_log a WHERE a.entity_type = 'document' AND a.entity_id = d.id
                       AND a.action = 'document.confirm')) x
         WHERE x.rows <> x.audited",
    ),
    (
        "audit = changes: one `attachment.add` row per attachment, naming it, and none for an attachment \
         that does not exist",
        "SELECT t.id::text AS attachment, 'rows' AS problem FROM attachments t
         WHERE (SELECT count(*) FROM audit_log a WHERE a.action = 'attachment.add' AND a.entity_id = t.owner_id
                  AND a.entity_type = t.owner_type AND a.details->>'attachment_id' = t.id::text) <> 1
         UNION ALL
         SELECT a.details->>'attachment_id', 'no attachment' FROM audit_log a
         WHERE a.action = 'attachment.add'
           AND NOT EXISTS (SELECT 1 FROM attachments t WHERE t.id::text = a.details->>'attachment_id')",
    ),
    (
        "audit = changes: one `disclosure_request.file` row and one `file` event per request, none without one",
        "SELECT r.id FROM disclosure_requests r
         WHERE (SELECT count(*) FROM audit_log a WHERE a.entity_type = 'disclosure_request' AND a.entity_id = r.id
                  AND a.action = 'disclosure_request.file') <> 1
            OR (SELECT count(*) FROM request_events e WHERE e.request_id = r.id AND e.action = 'file') <> 1
         UNION ALL
         SELECT a.entity_id FROM audit_log a WHERE a.action = 'disclosure_request.file'
           AND NOT EXISTS (SELECT 1 FROM disclosure_requests r WHERE r.id = a.entity_id)",
    ),
    (
        "audit = changes: no audit row about a document or interpretation that does not exist",
        "SELECT a.id, a.action, a.entity_id FROM audit_log a
         WHERE (a.entity_type = 'document' AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = a.entity_id))
            OR (a.entity_type = 'interpretation'
                AND NOT EXISTS (SELECT 1 FROM interpretations i WHERE i.id = a.entity_id))",
    ),
    (
        "change feed: every public document and published interpretation appears exactly once as \
         `published`, and nothing else does",
        "SELECT 'document' AS kind, d.id, count(o.seq) AS events FROM documents d
              LEFT JOIN outbox o ON o.entity_type = 'document' AND o.entity_id = d.id AND o.event = 'published'
         WHERE d.status = 'published' AND d.disclosure IN ('public_release', 'proactive')
         GROUP BY d.id HAVING count(o.seq) <> 1
         UNION ALL
         SELECT 'interpretation', i.id, count(o.seq) FROM interpretations i
              LEFT JOIN outbox o ON o.entity_type = 'interpretation' AND o.entity_id = i.id AND o.event = 'published'
         WHERE i.status = 'published' GROUP BY i.id HAVING count(o.seq) <> 1
         UNION ALL
         SELECT o.entity_type, o.entity_id, 1 FROM outbox o
         WHERE (o.entity_type = 'document' AND NOT EXISTS (
                    SELECT 1 FROM documents d WHERE d.id = o.entity_id AND d.status = 'published'
                      AND d.disclosure IN ('public_release', 'proactive')))
            OR (o.entity_type = 'interpretation' AND NOT EXISTS (
                    SELECT 1 FROM interpretations i WHERE i.id = o.entity_id AND i.status = 'published'))",
    ),
];

/// What the checks looked at.
#[derive(Debug, Default)]
struct Checked {
    documents: usize,
    steps: usize,
    attachments: usize,
    requests: usize,
    feed_entries: usize,
    audit_rows: i64,
}

const STATUS_RANK: &[(&str, u8)] =
    &[("draft", 0), ("returned", 0), ("submitted", 1), ("approved", 2), ("published", 3), ("filed", 3)];

fn rank(status: &str) -> u8 {
    STATUS_RANK.iter().find(|(s, _)| *s == status).map(|(_, r)| *r).unwrap_or_else(|| panic!("status {status}"))
}

struct World {
    api: Api,
    pool: Pool,
    data_dir: PathBuf,
    admin: String,
    writers: Vec<Writer>,
}

impl World {
    /// Every acknowledged write is there, in its state or a later one, through the API; every
    /// invariant holds over every row; the change feed and the sealed audit chain agree.
    async fn check(&self, ledger: &Ledger, server: &ChildServer) -> Checked {
        let api = &self.api;
        let mut checked = Checked::default();
        assert!(ledger.unexpected.is_empty(), "unexpected answers: {:#?}\n{}", ledger.unexpected, tail(server));
        for (id, record) in &ledger.documents {
            let staff = &self.writers[record.writer].staff;
            let what = format!("acknowledged {:?} document {id} ({:?})", record.kind, record.acknowledged);
            let document = Api::expect(api.get(&staff.officer, &format!("/api/v1/documents/{id}")), 200, &what).await;
            assert_eq!(
                (&document["doc_number"], &document["title"]),
                (&json!(record.doc_number), &json!(record.title))
            );
            let status = document["status"].as_str().unwrap();
            let reviews =
                Api::expect(api.get(&staff.officer, &format!("/api/v1/documents/{id}/reviews")), 200, &what).await;
            let has_review = |kind: &str| reviews["reviews"].as_array().unwrap().iter().any(|r| r["kind"] == kind);
            let package = match &record.interpretation {
                Some(package) => {
                    let path = format!("/api/v1/documents/{id}/interpretations");
                    let list = Api::expect(api.get(&staff.officer, &path), 200, &what).await;
                    let found = list["items"].as_array().unwrap().iter().find(|i| i["id"] == json!(package)).cloned();
                    found.unwrap_or_else(|| panic!("{what}: its interpretation {package} is gone"))
                }
                None => Value::Null,
            };
            for step in &record.acknowledged {
                let holds = match step {
                    Step::Create | Step::Attach => true,
                    Step::Package => !package.is_null(),
                    Step::Sign => package["status"] != "draft",
                    Step::OpennessReview => has_review("openness"),
                    Step::Submit => rank(status) >= 1,
                    Step::Approve => {
                        rank(status) >= 2 && (record.kind != Kind::Policy || package["status"] != "signed")
                    }
                    Step::Confirm => !reviews["confirmations"].as_array().unwrap().is_empty(),
                    Step::SecrecyReview => has_review("secrecy"),
                    Step::Publish => {
                        let public = format!("/api/v1/public/documents/{id}");
                        let public = Api::expect(api.http.get(api.url(&public)), 200, &what).await;
                        let together = record.kind != Kind::Policy
                            || public["interpretations"][0]["published_at"] == public["published_at"];
                        status == "published" && together
                    }
                    Step::File => status == "filed",
                };
                assert!(holds, "{what}: {step:?} was acknowledged but the document is now {document}\n{package}");
                checked.steps += 1;
            }
            checked.documents += 1;
        }
        for attachment in &ledger.attachments {
            let staff = &self.writers[attachment.writer].staff;
            let path = format!("/api/v1/attachments/{}/content", attachment.id);
            let response = api.get(&staff.officer, &path).send().await.unwrap();
            assert_eq!(response.status(), 200, "acknowledged attachment {}", attachment.id);
            assert_eq!(sha256_hex(&response.bytes().await.unwrap()), attachment.sha256, "attachment {}", attachment.id);
            checked.attachments += 1;
        }
        let stored: BTreeMap<String, Value> = rows(&self.pool, "SELECT id, tracking_code FROM disclosure_requests")
            .await
            .into_iter()
            .map(|r| (r["id"].as_str().unwrap().to_owned(), r["tracking_code"].clone()))
            .collect();
        for request in &ledger.requests {
            assert_eq!(stored.get(&request.id), Some(&json!(request.tracking_code)), "request {}", request.marker);
            let path = format!("/api/v1/public/disclosure-requests/{}", request.tracking_code);
            let status = api.http.get(api.url(&path)).header("X-Query-Token", &request.query_token);
            let status = Api::expect(status, 200, &format!("acknowledged request {}", request.marker)).await;
            assert_eq!(
                (&status["tracking_code"], &status["state"]),
                (&json!(request.tracking_code), &json!("received"))
            );
            checked.requests += 1;
        }
        // Each submission, acknowledged or cut, was filed at most once (its key made retries safe).
        let duplicates = rows(
            &self.pool,
            "SELECT description, count(*) AS n FROM disclosure_requests GROUP BY description HAVING count(*) > 1",
        )
        .await;
        assert!(duplicates.is_empty(), "requests filed twice: {duplicates:#?}");

        for (invariant, sql) in INVARIANTS {
            let broken = rows(&self.pool, sql).await;
            assert!(broken.is_empty(), "{invariant}: broken by {broken:#?}");
        }
        // Attachment bytes are stored before their record: every record has its whole bytes.
        for attachment in rows(&self.pool, "SELECT id, storage_key, sha256, size_bytes FROM attachments").await {
            let path = self.data_dir.join("attachments").join(attachment["storage_key"].as_str().unwrap());
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("attachment {attachment}: {e}"));
            assert_eq!(json!(sha256_hex(&bytes)), attachment["sha256"], "attachment {attachment}");
            assert_eq!(json!(bytes.len()), attachment["size_bytes"]);
        }

        // The change feed served over HTTP is the outbox, whole and in order.
        let mut served = Vec::new();
        let mut cursor = "0".to_owned();
        loop {
            let page = format!("/api/v1/sync/changes?cursor={cursor}&limit=200");
            let page = Api::expect(api.get(&self.admin, &page), 200, "change feed").await;
            let items = page["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            served.extend(items.iter().map(|c| (c["entity_type"].clone(), c["entity_id"].clone(), c["event"].clone())));
            cursor = page["next_cursor"].as_str().unwrap().to_owned();
        }
        let outbox: Vec<(Value, Value, Value)> =
            rows(&self.pool, "SELECT entity_type, entity_id, event FROM outbox ORDER BY seq")
                .await
                .into_iter()
                .map(|r| (r["entity_type"].clone(), r["entity_id"].clone(), r["event"].clone()))
                .collect();
        assert_eq!(served, outbox, "the change feed and the outbox disagree");
        checked.feed_entries = served.len();

        // The restarted server's sealer seals what the killed one left unsealed; then the chain
        // holds over every row.
        let started = Instant::now();
        while count(&self.pool, "SELECT count(*) AS n FROM audit_log WHERE chain_seq IS NULL").await > 0 {
            assert!(started.elapsed() < Duration::from_secs(30), "the sealer did not run after the restart");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let verified = Api::expect(api.get(&self.admin, "/api/v1/audit/verify"), 200, "audit verify").await;
        let total = count(&self.pool, "SELECT count(*) AS n FROM audit_log").await;
        assert_eq!(verified["intact"], true, "{verified}");
        assert_eq!((verified["verified_rows"].as_i64(), verified["unsealed_rows"].as_i64()), (Some(total), Some(0)));
        assert_eq!(verified["head_seq"].as_i64(), Some(total), "a gapless chain over every row");
        checked.audit_rows = total;
        checked
    }
}

/// The end of the server's log, for failure messages.
fn tail(server: &ChildServer) -> String {
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    format!("server log, last lines:\n{}", lines[lines.len().saturating_sub(40)..].join("\n"))
}

/// How long each round of load runs before the kill: different moments of the lifecycle.
const KILL_AFTER_MS: [u64; 3] = [1500, 700, 1100];
/// A child server on a fresh database with its county government, as each test here begins.
struct Started {
    db: TestDatabase,
    /// The server's data directory (keys, attachments), kept across restarts.
    data: tempfile::TempDir,
    _logs: tempfile::TempDir,
    server: ChildServer,
    api: Api,
    admin: String,
    county: Uuid,
}

impl Started {
    async fn county() -> Started {
        let db = TestDatabase::create().await;
        let data = tempfile::tempdir().unwrap();
        let logs = tempfile::tempdir().unwrap();
        let server =
            ChildServer::start(Path::new(GONGKAI), &db.url, data.path(), &logs.path().join("server.log")).await;
        let api = Api::new(&server.base);
        let admin = api.login(ADMIN_USERNAME, ADMIN_PASSWORD).await;
        let county = api.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        Started { db, data, _logs: logs, server, api, admin, county }
    }
}

/// Acknowledged writes a round needs before its kill.
const MIN_WRITES_BEFORE_KILL: usize = 40;
const WRITERS: usize = 4;
const FILERS: usize = 2;

#[actix_web::test]
async fn kill_9_during_a_write_load_loses_no_acknowledged_write_and_breaks_no_invariant() {
    let test_started = Instant::now();
    let Started { db, data, _logs, mut server, api, admin, county } = Started::county().await;
    let mut staff = Vec::new();
    for n in 0..WRITERS {
        let org = api.create_organization(&admin, &format!("元谋县第{n}局"), "department", Some(county)).await;
        staff.push(Staff {
            org,
            drafter: api.user(&admin, &format!("w{n}.drafter"), org, "drafter").await,
            officer: api.user(&admin, &format!("w{n}.officer"), org, "openness_officer").await,
            principal: api.user(&admin, &format!("w{n}.principal"), org, "principal").await,
        });
    }
    let orgs: Vec<Uuid> = staff.iter().map(|s| s.org).collect();
    let officers: Vec<String> = staff.iter().map(|s| s.officer.clone()).collect();
    let writers: Vec<Writer> = staff
        .into_iter()
        .enumerate()
        .map(|(index, staff)| Writer {
            index,
            staff,
            neighbour: orgs[(index + 1) % WRITERS],
            neighbour_officer: officers[(index + 1) % WRITERS].clone(),
            documents: 0,
            current: None,
        })
        .collect();
    let limits = json!({
        "fee_payment_working_days": 20,
        "pause_while_fee_unpaid": true,
        "submissions_per_address_per_hour": 10000,
        "submissions_per_applicant_per_day": 1000,
    });
    let settings = api.http.put(api.url("/api/v1/disclosure-request-settings")).bearer_auth(&admin).json(&limits);
    Api::expect(settings, 200, "request settings").await;
    let mut filers: Vec<Filer> =
        (0..FILERS).map(|index| Filer { index, org: orgs[index], filed: 0, pending: None }).collect();
    let pool = persistence::build_pool(&db.url, 2).expect("pool");
    let mut world = World { api, pool, data_dir: data.path().to_owned(), admin, writers };
    let ledger = Mutex::new(Ledger::default());
    let setup = test_started.elapsed();

    let mut rounds = Vec::new();
    for kill_after in KILL_AFTER_MS {
        let before = ledger.lock().map(|l| (l.acknowledged, l.in_flight_at_kill)).unwrap();
        for writer in &mut world.writers {
            writer.resume(&world.api, &ledger).await;
        }
        for filer in &mut filers {
            filer.retry(&world.api, &ledger).await;
        }
        let api = &world.api;
        let load = async {
            let writing = world.writers.iter_mut().map(|w| w.run(api, &ledger, false));
            let filing = filers.iter_mut().map(|f| f.run(api, &ledger));
            futures_util::join!(futures_util::future::join_all(writing), futures_util::future::join_all(filing));
        };
        // Killed after `kill_after`, and not before the load is well under way (a loaded machine
        // may need longer for it).
        let kill = async {
            let started = Instant::now();
            tokio::time::sleep(Duration::from_millis(kill_after)).await;
            while ledger.lock().unwrap().acknowledged - before.0 < MIN_WRITES_BEFORE_KILL {
                assert!(started.elapsed() < Duration::from_secs(30), "the load does not get going");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (server.kill_9(), started.elapsed())
        };
        let ((), (status, killed_after)) = futures_util::join!(load, kill);
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
        let after = ledger.lock().map(|l| (l.acknowledged, l.in_flight_at_kill)).unwrap();
        let (acknowledged, in_flight) = (after.0 - before.0, after.1 - before.1);

        let restart = Instant::now();
        server.restart().await;
        world.api = Api::new(&server.base);
        let restarted_in = restart.elapsed();
        // Nothing else runs during the checks: the ledger is lent to them and put back.
        let snapshot = std::mem::take(&mut *ledger.lock().unwrap());
        let checked = world.check(&snapshot, &server).await;
        *ledger.lock().unwrap() = snapshot;
        rounds.push((killed_after, acknowledged, in_flight, restarted_in, checked));
    }

    // After the last restart every interrupted document can still be carried through.
    for writer in &mut world.writers {
        writer.resume(&world.api, &ledger).await;
    }
    for filer in &mut filers {
        filer.retry(&world.api, &ledger).await;
    }
    let api = &world.api;
    futures_util::future::join_all(world.writers.iter_mut().map(|w| w.run(api, &ledger, true))).await;
    let ledger = ledger.into_inner().unwrap();
    let checked = world.check(&ledger, &server).await;
    assert!(ledger.in_flight_at_kill >= 1, "no kill caught a request in flight: {:#?}", ledger.cut);
    // No acknowledged document was left stuck half-way: each could be carried through. (One whose
    // creation was cut is abandoned by its writer, so it may stay a draft; the invariants cover it.)
    let unfinished =
        rows(&world.pool, "SELECT id, status FROM documents WHERE status NOT IN ('published', 'filed')").await;
    let stuck: Vec<&Value> =
        unfinished.iter().filter(|d| ledger.documents.contains_key(d["id"].as_str().unwrap())).collect();
    assert!(stuck.is_empty(), "documents left half-way: {stuck:#?}");
    let complete = ledger.documents.len();
    assert!(world.writers.iter().all(|w| w.current.is_none()));
    let unacknowledged_documents = rows(&world.pool, "SELECT id FROM documents")
        .await
        .into_iter()
        .filter(|d| !ledger.documents.contains_key(d["id"].as_str().unwrap()))
        .count();
    let unacknowledged_requests =
        count(&world.pool, "SELECT count(*) AS n FROM disclosure_requests").await - ledger.requests.len() as i64;

    println!("kill -9 under load: setup {setup:?}, {} rounds", rounds.len());
    for (n, (killed_after, acknowledged, in_flight, restarted_in, checked)) in rounds.iter().enumerate() {
        println!(
            "  round {}: killed after {killed_after:?}, {acknowledged} writes acknowledged, {in_flight} in \
             flight at the kill; restarted in {restarted_in:?}; checked {checked:?}",
            n + 1
        );
    }
    println!(
        "  at the end: {} acknowledged writes ({} documents, all {complete} then carried through their \
         whole lifecycle, {} attachments, {} requests), {} cut ({} in flight at a kill; {} cut steps of \
         documents found done after the restart, {} documents and {} requests present though their \
         creation was cut), retries after restarts (status, replayed) {:?}; checked {checked:?}; total {:?}",
        ledger.acknowledged,
        ledger.documents.len(),
        ledger.attachments.len(),
        ledger.requests.len(),
        ledger.cut.len(),
        ledger.in_flight_at_kill,
        ledger.cut_steps_done,
        unacknowledged_documents,
        unacknowledged_requests,
        ledger.retries,
        test_started.elapsed()
    );
    println!("  cut writes: {:#?}", ledger.cut);
}

/// A request sent over a connection of its own, slowly: the head at once, then the body in
/// `pieces` pieces `pause` apart, as a client on a poor link would. `started` counts requests whose
/// head and first piece are out. Answers the status and the JSON body.
async fn slow_request(
    port: u16,
    head: String,
    body: Vec<u8>,
    pieces: usize,
    pause: Duration,
    started: &std::sync::atomic::AtomicUsize,
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    stream.write_all(head.as_bytes()).await.unwrap();
    let piece = body.len().div_ceil(pieces);
    for (n, chunk) in body.chunks(piece).enumerate() {
        stream.write_all(chunk).await.expect("the server stopped reading an in-flight request");
        if n == 0 {
            started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        tokio::time::sleep(pause).await;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read the answer");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no answer: {text}"));
    // The JSON object of the body, whether or not it came chunked.
    let json = match (text.find("\r\n\r\n").and_then(|h| text[h..].find('{').map(|b| h + b)), text.rfind('}')) {
        (Some(start), Some(end)) if start < end => serde_json::from_str(&text[start..=end]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, json)
}

fn request_head(method_path: &str, port: u16, token: &str, content_type: &str, length: usize) -> String {
    format!(
        "{method_path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

const UPLOADS: usize = 3;
const SLOW_CREATES: usize = 2;
/// The server's graceful-shutdown timeout (`api::app::serve`).
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

#[actix_web::test]
async fn sigterm_lets_in_flight_requests_finish_refuses_new_connections_and_exits_0() {
    let test_started = Instant::now();
    let Started { db, data, _logs, mut server, api, admin, county } = Started::county().await;
    let org = api.create_organization(&admin, "元谋县医疗保障局", "department", Some(county)).await;
    let drafter = api.user(&admin, "yb.drafter", org, "drafter").await;
    let draft = |n: usize| {
        json!({
            "doc_number": format!("元医保发〔2026〕{n}号"),
            "title": format!("关于第{n}批医保定点机构名单的通知"),
            "body": "各定点医药机构：现将有关事项通知如下。",
            "issuing_org_id": org,
            "issuing_authority": "department",
            "is_policy": false,
            "category": "service",
            "doc_kind": "other",
            "disclosure": "proactive",
        })
    };
    let mut documents = Vec::new();
    for n in 0..UPLOADS {
        let created = Api::expect(api.post(Some(&drafter), "/api/v1/documents", &draft(n)), 201, "draft").await;
        documents.push(created["id"].as_str().unwrap().to_owned());
    }

    // In flight: large attachments and document drafts, each body trickling in over about 2 s.
    let port = server.port;
    let started = std::sync::atomic::AtomicUsize::new(0);
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let contents: Vec<Vec<u8>> = (0..UPLOADS).map(|n| png(1_500_000 + n)).collect();
    let boundary = "gongkai-slow-upload";
    let uploads = documents.iter().zip(&contents).map(|(id, content)| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"定点机构分布图.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let head = request_head(
            &format!("POST /api/v1/documents/{id}/attachments"),
            port,
            &drafter,
            &content_type,
            body.len(),
        );
        let (started, finished) = (&started, &finished);
        async move {
            let answer = slow_request(port, head, body, 20, Duration::from_millis(100), started).await;
            finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answer
        }
    });
    let creates = (0..SLOW_CREATES).map(|n| {
        let body = serde_json::to_vec(&draft(100 + n)).unwrap();
        let head = request_head("POST /api/v1/documents", port, &drafter, "application/json", body.len());
        let (started, finished) = (&started, &finished);
        async move {
            let answer = slow_request(port, head, body, 20, Duration::from_millis(100), started).await;
            finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answer
        }
    });
    let in_flight =
        async { futures_util::join!(futures_util::future::join_all(uploads), futures_util::future::join_all(creates)) };

    let signal = async {
        let in_flight_count = UPLOADS + SLOW_CREATES;
        while started.load(std::sync::atomic::Ordering::SeqCst) < in_flight_count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.terminate();
        let signalled = Instant::now();
        // New connections are refused soon after the signal, while the others are still in flight.
        let refused = loop {
            match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                // A connection caught in the closing listener's backlog is reset: refused as well.
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                    ) =>
                {
                    break signalled.elapsed()
                }
                Err(err) => panic!("connecting after SIGTERM: {err}"),
                Ok(_) => {
                    assert!(signalled.elapsed() < Duration::from_secs(1), "still accepting 1 s after SIGTERM");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        let still_in_flight = in_flight_count - finished.load(std::sync::atomic::Ordering::SeqCst);
        (signalled, refused, still_in_flight)
    };
    let ((uploaded, created), (signalled, refused_after, still_in_flight)) = futures_util::join!(in_flight, signal);
    let drained_after = signalled.elapsed();
    assert_eq!(still_in_flight, UPLOADS + SLOW_CREATES, "new connections were refused only after requests had ended");

    // Every in-flight request got its normal answer.
    for ((status, attachment), content) in uploaded.iter().zip(&contents) {
        assert_eq!(*status, 201, "in-flight upload: {attachment}\n{}", tail(&server));
        assert_eq!(attachment["sha256"], json!(sha256_hex(content)));
        assert_eq!(attachment["size_bytes"], json!(content.len()));
    }
    for (status, document) in &created {
        assert_eq!(*status, 201, "in-flight create: {document}\n{}", tail(&server));
        assert_eq!(document["status"], "draft");
    }

    // Then the process ends by itself, successfully, within the shutdown timeout.
    let status = server.wait_exit(SHUTDOWN_TIMEOUT + Duration::from_secs(5)).await;
    let exited_after = signalled.elapsed();
    let status = status.unwrap_or_else(|| panic!("still running {exited_after:?} after SIGTERM\n{}", tail(&server)));
    assert_eq!(status.code(), Some(0), "{status:?}\n{}", tail(&server));
    assert!(exited_after < SHUTDOWN_TIMEOUT, "exit took {exited_after:?}");
    assert!(server.log().contains("stopped accepting requests; in-flight requests finished"), "{}", tail(&server));

    // What they wrote is there, whole; and the configured database was used, not an embedded one.
    let pool = persistence::build_pool(&db.url, 1).expect("pool");
    let stored = rows(&pool, "SELECT storage_key, sha256 FROM attachments ORDER BY sha256").await;
    assert_eq!(stored.len(), UPLOADS);
    for attachment in &stored {
        let bytes =
            std::fs::read(data.path().join("attachments").join(attachment["storage_key"].as_str().unwrap())).unwrap();
        assert_eq!(json!(sha256_hex(&bytes)), attachment["sha256"]);
    }
    assert_eq!(count(&pool, "SELECT count(*) AS n FROM documents").await, (UPLOADS + SLOW_CREATES) as i64);
    assert!(!data.path().join("postgres").exists(), "an embedded PostgreSQL was started");
    println!(
        "SIGTERM with {} requests in flight: new connections refused after {refused_after:?}; in-flight requests \
         answered {drained_after:?} after the signal; exit status 0 after {exited_after:?}; test {:?}",
        UPLOADS + SLOW_CREATES,
        test_started.elapsed()
    );
}

async fn execute(pool: &Pool, sql: &str) {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = persistence::connection(pool).await.expect("db");
    conn.batch_execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The window a crash can hit between a request's commit and the storing of its answer for
/// `Idempotency-Key` replays: the filing is committed, the server dies before the answer is kept
/// (held there by a trigger that sleeps, then fails, as a dead server's statement would), the
/// client gets no answer. Once the claim's lease has passed, its retry must not file the request a
/// second time, since the first attempt was carried out.
#[actix_web::test]
async fn a_retry_after_a_crash_never_repeats_a_write_whose_answer_was_lost() {
    let Started { db, data: _data, _logs, mut server, api, admin, county } = Started::county().await;
    let org = api.create_organization(&admin, "元谋县医疗保障局", "department", Some(county)).await;
    let pool = persistence::build_pool(&db.url, 2).expect("pool");
    execute(
        &pool,
        "CREATE FUNCTION hold_idempotent_answer() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN PERFORM pg_sleep(30); RAISE EXCEPTION 'the server is gone'; END $$;
         CREATE TRIGGER hold_idempotent_answer BEFORE UPDATE ON idempotency_keys
             FOR EACH ROW WHEN (NEW.response_status IS NOT NULL) EXECUTE FUNCTION hold_idempotent_answer()",
    )
    .await;
    let mut filer = Filer { index: 0, org, filed: 0, pending: None };
    let (key, body) = (Uuid::new_v4(), filer.application());
    let first = async { Api::send(Filer::submission(&api, key, &body)).await };
    let crash = async {
        while count(&pool, "SELECT count(*) AS n FROM disclosure_requests").await == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Committed; its answer is being stored: now the server dies.
        server.kill_9()
    };
    let (first, _) = futures_util::join!(first, crash);
    assert!(matches!(first, Sent::Cut { in_flight: true, .. }), "the first attempt got an answer");
    // The held transaction of the dead server: end it rather than wait for its sleep.
    let held = "SELECT count(*) AS n FROM pg_stat_activity \
                WHERE datname = current_database() AND wait_event = 'PgSleep'";
    let waiting = Instant::now();
    while count(&pool, held).await > 0 {
        execute(
            &pool,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event = 'PgSleep'",
        )
        .await;
        assert!(waiting.elapsed() < Duration::from_secs(30), "the held transaction did not end");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    execute(&pool, "DROP TRIGGER hold_idempotent_answer ON idempotency_keys").await;
    let claim = rows(&pool, "SELECT response_status FROM idempotency_keys").await;
    assert_eq!(claim, vec![json!({"response_status": null})], "the claim is left without its answer");
    // The lease of an unanswered claim (60 s) passes.
    execute(&pool, "UPDATE idempotency_keys SET created_at = created_at - interval '2 minutes'").await;

    server.restart().await;
    let api = Api::new(&server.base);
    let retry = Api::send(Filer::submission(&api, key, &body)).await;
    let filed = count(&pool, "SELECT count(*) AS n FROM disclosure_requests").await;
    assert_eq!(filed, 1, "the retry filed the request a second time");
    let Sent::Answered(status, problem) = retry else { panic!("no answer to the retry") };
    assert_eq!((status.as_u16(), problem["code"].as_str()), (409, Some("idempotency_key_answer_lost")), "{problem}");
    // Still, and for a retry within the lease alike.
    let again = Api::send(Filer::submission(&api, key, &body)).await;
    assert!(matches!(again, Sent::Answered(s, ref p) if s == 409 && p["code"] == "idempotency_key_answer_lost"));
    assert_eq!(count(&pool, "SELECT count(*) AS n FROM disclosure_requests").await, 1);
}
