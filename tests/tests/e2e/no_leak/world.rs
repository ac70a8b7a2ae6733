//! A world: two counties with their staff, and documents with their interpretations and files in
//! every state and attribute, built through the real API. Every text is a canary (never public)
//! or a marker (public); the world remembers which record is public and which is not.

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use e2e::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

use super::canary::Ledger;
use super::spec::{Disclosure, DocBits, DocTarget, FollowUp, Spec};

pub const CATEGORIES: [&str; 5] = ["decision", "execution", "management", "service", "result"];

pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).date_naive()
}

pub fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

pub fn png(text: &str) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// A department and its staff (tokens).
pub struct Dept {
    pub id: Uuid,
    pub county: usize,
    pub drafter: String,
    pub officer: String,
    pub principal: String,
    pub head: String,
}

/// A record the walk reads by id: public or not, and where it came from.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub public: bool,
    pub origin: String,
}

/// A stored file: its bytes and whether the public may download it.
#[derive(Debug, Clone)]
pub struct File {
    pub id: String,
    pub public: bool,
    pub bytes: Vec<u8>,
    pub origin: String,
    /// The canaries or markers of its content and its name.
    pub labels: [String; 2],
}

/// A disclosure request as its applicant holds it.
#[derive(Debug, Clone)]
pub struct Request {
    pub code: String,
    pub token: String,
    pub origin: String,
    pub replied: bool,
    /// The applicant's own canaries that their status may show (name, description, the
    /// officer's notices and reply) — never their identity number or contacts.
    pub own: HashSet<String>,
    /// Files of the reply (uploaded; given to the applicant once replied).
    pub files: Vec<File>,
}

/// Canaries the walk's own refused public writes carry.
pub struct Probe {
    pub name: String,
    pub phone: String,
    pub identity: String,
    pub email: String,
    pub text: String,
}

/// An answer to a public operation made while building the world (the public writes).
pub struct Recorded {
    pub op: &'static str,
    pub url: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub allowed: HashSet<String>,
}

pub struct World {
    pub app: TestApp,
    pub ledger: Ledger,
    pub spec: Spec,
    pub admin: String,
    /// Every organization, for the filters: the two counties, the first county's government
    /// office, the three departments.
    pub orgs: Vec<Uuid>,
    pub depts: Vec<Dept>,
    pub gov_office_org: Uuid,
    pub gov_office: String,
    pub documents: Vec<Record>,
    pub files: Vec<File>,
    pub requests: Vec<Request>,
    pub consultations: Vec<Record>,
    pub catalogs: Vec<(Record, i64)>,
    pub reports: Vec<Record>,
    pub venues: Vec<String>,
    pub open_days: Vec<(String, bool)>,
    /// Words to search for: markers of public texts and canaries of the others.
    pub public_words: Vec<String>,
    pub secret_words: Vec<String>,
    pub recorded: Vec<Recorded>,
    pub probe: Probe,
    /// A member of the public of their own, for the walk's writes.
    pub client: reqwest::Client,
    /// The token of a machine client with `sync:read`.
    pub sync_client: String,
    /// Experts of the first county, named in its interpretations.
    experts: Vec<String>,
    /// Documents to convert by a self-inspection, per department.
    conversions: BTreeMap<usize, Vec<String>>,
    next_number: u32,
    next_address: u32,
}

impl World {
    pub async fn build(index: u32, spec: Spec) -> World {
        let app = TestApp::spawn().await;
        let admin = app.admin_token().await;
        let mut world = World {
            app,
            ledger: Ledger::new(index),
            spec,
            admin,
            orgs: Vec::new(),
            depts: Vec::new(),
            gov_office_org: Uuid::nil(),
            gov_office: String::new(),
            documents: Vec::new(),
            files: Vec::new(),
            requests: Vec::new(),
            consultations: Vec::new(),
            catalogs: Vec::new(),
            reports: Vec::new(),
            venues: Vec::new(),
            open_days: Vec::new(),
            public_words: Vec::new(),
            secret_words: Vec::new(),
            recorded: Vec::new(),
            probe: Probe {
                name: String::new(),
                phone: String::new(),
                identity: String::new(),
                email: String::new(),
                text: String::new(),
            },
            client: e2e::client_builder().build().unwrap(),
            sync_client: String::new(),
            experts: Vec::new(),
            conversions: BTreeMap::new(),
            next_number: 0,
            next_address: 0,
        };
        world.organizations().await;
        world.settings().await;
        let documents = world.spec.documents.clone();
        for (n, (disclosure, target, bits)) in documents.iter().enumerate() {
            world.document(n, *disclosure, *target, bits).await;
        }
        world.convert().await;
        world.participation().await;
        world.organization_records().await;
        world.probe = Probe {
            name: world.ledger.secret("the walk's refused write: a name"),
            phone: world.ledger.phone("the walk's refused write"),
            identity: world.ledger.resident_id("the walk's refused write"),
            email: format!("{}@example.cn", world.ledger.secret("the walk's refused write: e-mail").to_lowercase()),
            text: world.ledger.secret_text("the walk's refused write: a text"),
        };
        world.client = world.citizen();
        let admin = world.admin.clone();
        world.sync_client = world.app.machine_client(&admin, "同步客户端", &["sync:read"]).await.1;
        world
    }

    async fn organizations(&mut self) {
        let admin = self.admin.clone();
        let app = &self.app;
        let county_a = app.create_organization(&admin, "元谋县人民政府", "county_government", None).await;
        let office = app.create_organization(&admin, "元谋县人民政府办公室", "government_office", Some(county_a)).await;
        let civil = app.create_organization(&admin, "元谋县民政局", "department", Some(county_a)).await;
        let health = app.create_organization(&admin, "元谋县医疗保障局", "department", Some(county_a)).await;
        let county_b = app.create_organization(&admin, "武定县人民政府", "county_government", None).await;
        let other = app.create_organization(&admin, "武定县民政局", "department", Some(county_b)).await;
        self.orgs = vec![county_a, office, civil, health, county_b, other];
        self.gov_office_org = office;
        self.gov_office = self.user(office, "zfb", &["gov_office"]).await;
        for (n, (org, county)) in [(civil, 0), (health, 0), (other, 1)].into_iter().enumerate() {
            let prefix = format!("d{n}");
            let drafter = self.user(org, &format!("{prefix}d"), &["drafter"]).await;
            let officer = self.user(org, &format!("{prefix}o"), &["openness_officer", "opinion_officer"]).await;
            let principal = self.user(org, &format!("{prefix}p"), &["principal"]).await;
            let head = self.user(org, &format!("{prefix}h"), &["openness_head"]).await;
            self.depts.push(Dept { id: org, county, drafter, officer, principal, head });
        }
        // The first county's expert pool: experts are named in its interpretation packages.
        for _ in 0..2 {
            let name = self.ledger.secret("an expert's name");
            let affiliation = self.ledger.secret("an expert's affiliation");
            let officer = self.depts[0].officer.clone();
            let expert = self.post(
                &officer,
                "/api/v1/experts",
                json!({"name": name, "field": "社会保障", "affiliation": affiliation}),
            );
            let id = expert.await["id"].as_str().unwrap().to_owned();
            self.ledger.secret_id(&id, "an expert");
            self.experts.push(id);
        }
    }

    /// A member of staff whose username and display name are canaries; answers their token.
    async fn user(&mut self, org: Uuid, role_tag: &str, roles: &[&str]) -> String {
        let username = format!("{}.{role_tag}", self.ledger.secret(format!("the username of staff {role_tag}")))
            .to_ascii_lowercase();
        let display_name = format!("职员{}", self.ledger.secret(format!("the display name of staff {role_tag}")));
        let body = json!({"username": username, "password": TestApp::password_of(&username),
            "display_name": display_name, "organization_id": org, "roles": roles});
        let created = self.post(&self.admin.clone(), "/api/v1/users", body).await;
        self.ledger.secret_id(created["id"].as_str().unwrap(), format!("the user id of staff {role_tag}"));
        self.app.token_of(&username).await
    }

    /// No public write is held back by the per-address limits while the world is built.
    async fn settings(&mut self) {
        let admin = self.admin.clone();
        let settings = [
            (
                "/api/v1/disclosure-request-settings",
                json!({"fee_payment_working_days": 20, "pause_while_fee_unpaid": true,
                "submissions_per_address_per_hour": 10000, "submissions_per_applicant_per_day": 1000}),
            ),
            (
                "/api/v1/consultation-settings",
                json!({"results_working_days": 15, "comments_per_address_per_hour": 10000}),
            ),
            (
                "/api/v1/participation-settings",
                json!({"message_reply_working_days": 5, "messages_per_address_per_hour": 10000}),
            ),
        ];
        for (path, body) in settings {
            self.put(&admin, path, body).await;
        }
    }

    pub async fn send(&self, method: reqwest::Method, token: &str, path: &str, body: Value) -> Value {
        let response =
            self.app.http.request(method.clone(), self.app.url(path)).bearer_auth(token).json(&body).send().await;
        let response = response.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "world: {method} {path}: {status} {text}\nbody: {body}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::PUT, token, path, body).await
    }

    /// Uploads a file as `token`; records it, public or not.
    pub async fn upload(&mut self, token: &str, path: &str, public: bool, origin: &str, pdf_file: bool) -> String {
        let (label, filename) = if public {
            (self.ledger.marker(format!("{origin}: its content")), self.ledger.marker(format!("{origin}: its name")))
        } else {
            (self.ledger.secret(format!("{origin}: its content")), self.ledger.secret(format!("{origin}: its name")))
        };
        let (bytes, name) = if pdf_file {
            (pdf(&label), format!("附件{filename}.pdf"))
        } else {
            (png(&label), format!("图解{filename}.png"))
        };
        let response = self.app.upload(Some(token), path, &name, bytes.clone()).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 201, "world: upload to {path}: {text}");
        let id = serde_json::from_str::<Value>(&text).unwrap()["id"].as_str().unwrap().to_owned();
        if !public {
            self.ledger.secret_id(&id, origin);
        }
        let labels = [label, filename];
        self.files.push(File { id: id.clone(), public, bytes, origin: origin.to_owned(), labels });
        id
    }

    /// A client on a loopback address of its own, as a distinct member of the public would be.
    pub fn citizen(&mut self) -> reqwest::Client {
        self.next_address += 1;
        let n = self.next_address;
        let address = std::net::IpAddr::from([127, 0, 2 + (n / 250) as u8, 1 + (n % 250) as u8]);
        e2e::client_builder().local_address(address).build().unwrap()
    }

    /// An anonymous public write; its answer is kept for the walk to scan (with `allowed`: the
    /// writer's own data, which the answer may echo).
    pub async fn public_post(
        &mut self,
        op: &'static str,
        path: &str,
        body: Value,
        allowed: HashSet<String>,
    ) -> (u16, Value) {
        let client = self.citizen();
        let url = self.app.url(path);
        let response = client.post(&url).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap().to_vec();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        self.recorded.push(Recorded { op, url, status, headers, body: bytes, allowed });
        (status, value)
    }

    /// The answer just recorded may show `id` (its writer's own record).
    pub fn allow_last(&mut self, id: &str) {
        self.recorded.last_mut().unwrap().allowed.insert(id.to_ascii_lowercase());
    }

    /// A text of a record: a marker when `public`, a canary otherwise (also a search word).
    pub fn text(&mut self, public: bool, origin: &str) -> String {
        if public {
            let text = self.ledger.marker_text(origin);
            let word = text.split('，').next().unwrap().trim_start_matches("公开内容").to_owned();
            self.public_words.push(word);
            text
        } else {
            let text = self.ledger.secret_text(origin);
            // The Chinese canary and the ASCII one.
            let zh = text.trim_start_matches("内部事项").split('，').next().unwrap().to_owned();
            let ascii = text.split("编号").nth(1).unwrap().split('，').next().unwrap().to_owned();
            self.secret_words.push(zh);
            self.secret_words.push(ascii);
            text
        }
    }

    fn number(&mut self, org: usize) -> String {
        self.next_number += 1;
        format!("元{}发〔2026〕{}号", ["民", "医保", "武民", "政办"][org], self.next_number)
    }

    async fn document(&mut self, n: usize, disclosure: Disclosure, target: DocTarget, bits: &DocBits) {
        use DocTarget::*;
        let label = format!("document #{n} ({disclosure:?}, {target:?})");
        let public = target.published();
        // A government-level document is returned by the government office with its reasons.
        let government_level = target == Returned && !disclosure.withheld() && disclosure != Disclosure::Missing;
        let is_policy = bits.is_policy && !government_level && target != Converted;
        let dept = if government_level { 0 } else { bits.org };
        let (issuing_org, authority) = if government_level {
            (self.gov_office_org, "government_office")
        } else {
            (self.depts[dept].id, "department")
        };
        let drafter = self.depts[dept].drafter.clone();
        let officer = self.depts[dept].officer.clone();
        let principal = self.depts[dept].principal.clone();
        let title = format!("关于医保参保工作的通知（{}）", self.text(public, &format!("{label}: title")));
        let body_text = format!("各乡（镇）：{}现将有关事项通知如下。", self.text(public, &format!("{label}: body")));
        let mut body = json!({
            "doc_number": self.number(if government_level { 3 } else { dept }),
            "title": title,
            "body": body_text,
            "issuing_org_id": issuing_org,
            "issuing_authority": authority,
            "is_policy": is_policy,
            "category": CATEGORIES[bits.category],
            "doc_kind": "other",
            "disclosure": disclosure.code(),
        });
        // The reasoning behind the attribute is internal for every document; a withheld one
        // sent back for a missing reason has none.
        if !(disclosure.withheld() && target == Returned) && disclosure != Disclosure::Missing {
            body["disclosure_reason"] = json!(self.ledger.secret_text(&format!("{label}: disclosure reason")));
            body["legal_basis"] = json!(self.ledger.secret(format!("{label}: legal basis")));
        }
        if disclosure == Disclosure::NotPublic {
            body["exemption"] = json!("third_party");
        }
        // A document that ends public was first drafted with other words: those stay internal.
        let created = if public {
            let mut earlier = body.clone();
            earlier["title"] =
                json!(format!("关于医保参保工作的通知（{}）", self.text(false, &format!("{label}: earlier title"))));
            earlier["body"] = json!(self.text(false, &format!("{label}: earlier body")));
            let created = self.post(&drafter, "/api/v1/documents", earlier).await;
            let id = created["id"].as_str().unwrap();
            self.put(&drafter, &format!("/api/v1/documents/{id}"), body).await
        } else {
            self.post(&drafter, "/api/v1/documents", body).await
        };
        let id = created["id"].as_str().unwrap().to_owned();
        if !public {
            self.ledger.secret_id(&id, label.clone());
        }
        self.documents.push(Record { id: id.clone(), public, origin: label.clone() });
        if bits.attachment {
            self.upload(
                &drafter,
                &format!("/api/v1/documents/{id}/attachments"),
                public,
                &format!("{label}: file"),
                true,
            )
            .await;
        }
        if disclosure.withheld() && target != Returned {
            let comment = self.ledger.secret_text(&format!("{label}: openness review comment"));
            self.post(
                &officer,
                &format!("/api/v1/documents/{id}/openness-review"),
                json!({"passed": true, "comment": comment}),
            )
            .await;
        }
        if is_policy {
            let signed = target != Draft || bits.package_signed;
            self.package(&id, &label, dept, public, signed, bits.package_attachment).await;
        }
        if target == Draft {
            return;
        }
        let submitted = self.post(&drafter, &format!("/api/v1/documents/{id}/submit"), json!({})).await;
        if target == Returned {
            if government_level {
                assert_eq!(submitted["outcome"], "submitted", "world: {label}: {submitted}");
                let reasons = self.ledger.secret_text(&format!("{label}: the government office's return reasons"));
                let returned = json!({"codes": ["gov_office_return"], "reasons": reasons});
                let gov_office = self.gov_office.clone();
                self.post(&gov_office, &format!("/api/v1/documents/{id}/return"), returned).await;
            } else {
                assert_eq!(submitted["outcome"], "returned", "world: {label}: {submitted}");
            }
            return;
        }
        assert_eq!(submitted["outcome"], "submitted", "world: {label}: {submitted}");
        if target == Submitted {
            return;
        }
        self.post(&principal, &format!("/api/v1/documents/{id}/approve"), json!({})).await;
        match target {
            Approved => {}
            Filed | Converted => {
                self.post(&officer, &format!("/api/v1/documents/{id}/file"), json!({})).await;
                if target == Converted {
                    self.conversions.entry(dept).or_default().push(id);
                }
            }
            SecrecyRefused | SecrecyPassed | Published(_) => {
                let comment = self.ledger.secret_text(&format!("{label}: secrecy review comment"));
                let passed = target != SecrecyRefused;
                let review = json!({"passed": passed, "comment": comment});
                self.post(&officer, &format!("/api/v1/documents/{id}/secrecy-review"), review).await;
                if let Published(validity) = target {
                    self.post(&officer, &format!("/api/v1/documents/{id}/publish"), json!({})).await;
                    if validity != "valid" {
                        let reason = self.text(true, &format!("{label}: reason of its validity"));
                        let repeal = json!({"validity": validity, "on": today(), "reason": reason});
                        self.post(&officer, &format!("/api/v1/documents/{id}/repeal"), repeal).await;
                    }
                    if is_policy {
                        for (k, state) in bits.follow_ups.iter().enumerate() {
                            self.follow_up(&id, &format!("{label}, follow-up #{k} ({state:?})"), dept, *state).await;
                        }
                    }
                }
            }
            _ => unreachable!(),
        }
    }

    fn package_body(&mut self, label: &str, public: bool, dept: usize, stage: Option<&str>) -> Value {
        let mut body = json!({
            "title": format!("政策解读：{}", self.text(public, &format!("{label}: title"))),
            "forms": ["article", "graphic"],
            "plan": [{"form": "article", "channel": "县政府门户网站政策解读专栏", "planned_on": "2099-12-31"}],
            "background_basis": self.text(public, &format!("{label}: background")),
            "main_content": self.text(public, &format!("{label}: main content")),
            "key_terms": self.text(public, &format!("{label}: key terms")),
            "changes": "无",
            "effect_evaluation": self.ledger.secret_text(&format!("{label}: effect evaluation")),
            "stage": stage,
        });
        if self.depts[dept].county == 0 {
            body["expert_ids"] = json!(self.experts);
        }
        body
    }

    /// The initial interpretation package of a policy document, public exactly when the document
    /// ends published.
    async fn package(&mut self, document: &str, doc_label: &str, dept: usize, public: bool, signed: bool, file: bool) {
        let label = format!("the package of {doc_label}");
        let drafter = self.depts[dept].drafter.clone();
        // A package that ends public was first written otherwise: that version stays internal.
        let first = self.package_body(&format!("{label}, its first version"), false, dept, None);
        let created = self.post(&drafter, &format!("/api/v1/documents/{document}/interpretations"), first).await;
        let id = created["id"].as_str().unwrap().to_owned();
        if public {
            let body = self.package_body(&label, public, dept, None);
            self.put(&drafter, &format!("/api/v1/interpretations/{id}"), body).await;
        }
        if !public {
            self.ledger.secret_id(&id, label.clone());
        }
        if file {
            let path = format!("/api/v1/interpretations/{id}/attachments");
            self.upload(&drafter, &path, public, &format!("{label}: file"), false).await;
        }
        if signed {
            let principal = self.depts[dept].principal.clone();
            self.post(&principal, &format!("/api/v1/interpretations/{id}/sign"), json!({})).await;
        }
    }

    async fn follow_up(&mut self, document: &str, label: &str, dept: usize, state: FollowUp) {
        let public = state == FollowUp::Published;
        let body = self.package_body(label, public, dept, Some("follow_up"));
        let drafter = self.depts[dept].drafter.clone();
        let created = self.post(&drafter, &format!("/api/v1/documents/{document}/interpretations"), body).await;
        let id = created["id"].as_str().unwrap().to_owned();
        if !public {
            self.ledger.secret_id(&id, label.to_owned());
        }
        let path = format!("/api/v1/interpretations/{id}/attachments");
        self.upload(&drafter, &path, public, &format!("{label}: file"), false).await;
        if state == FollowUp::Draft {
            return;
        }
        let principal = self.depts[dept].principal.clone();
        self.post(&principal, &format!("/api/v1/interpretations/{id}/sign"), json!({})).await;
        if state == FollowUp::Signed {
            return;
        }
        let officer = self.depts[dept].officer.clone();
        let comment = self.ledger.secret_text(&format!("{label}: secrecy review comment"));
        let review = json!({"passed": true, "comment": comment});
        self.post(&officer, &format!("/api/v1/interpretations/{id}/secrecy-review"), review).await;
        if state == FollowUp::Published {
            self.post(&officer, &format!("/api/v1/interpretations/{id}/publish"), json!({})).await;
        }
    }

    /// Each department's yearly self-inspection converts its documents to proactive; each is
    /// then reviewed and published.
    async fn convert(&mut self) {
        let year = today().format("%Y").to_string().parse::<i32>().unwrap();
        for (dept, documents) in std::mem::take(&mut self.conversions) {
            let officer = self.depts[dept].officer.clone();
            let opened = self.post(&officer, "/api/v1/self-inspections", json!({"year": year})).await;
            let inspection = opened["id"].as_str().unwrap().to_owned();
            for document in documents {
                let item = opened["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["document_id"] == json!(document))
                    .unwrap_or_else(|| panic!("world: {document} not in the self-inspection {opened}"));
                let reason = self.ledger.secret_text("a self-inspection's conversion reason");
                let decision = json!({"item_id": item["id"], "decision": "convert", "reason": reason});
                self.post(&officer, &format!("/api/v1/self-inspections/{inspection}/decide"), decision).await;
                let comment = self.ledger.secret_text("a converted document's secrecy review comment");
                let review = json!({"passed": true, "comment": comment});
                self.post(&officer, &format!("/api/v1/documents/{document}/secrecy-review"), review).await;
                self.post(&officer, &format!("/api/v1/documents/{document}/publish"), json!({})).await;
            }
        }
    }

    pub fn soon(days: i64) -> chrono::DateTime<Utc> {
        Utc::now() + Duration::days(days)
    }
}
