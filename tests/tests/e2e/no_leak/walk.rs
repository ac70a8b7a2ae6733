//! The walk: every `/api/v1/public/…` operation of the live contract, called anonymously with
//! every filter the world gives values for, every id of the world (public or not), every cursor
//! followed to its end; every answer's headers and body scanned for canaries. An operation of the
//! contract without a walker here, or not called, fails the test; so does any 5xx.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use reqwest::header::HeaderMap;
use serde_json::Value;
use uuid::Uuid;

use super::world::{World, CATEGORIES};

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub struct Walker<'w> {
    pub world: &'w World,
    limit: u32,
    failures: Mutex<Vec<String>>,
    calls: AtomicUsize,
    /// Operation id → calls made.
    walked: Mutex<BTreeMap<String, usize>>,
    /// Operation id → the query parameters and headers it was called with.
    sent: Mutex<BTreeMap<String, BTreeSet<String>>>,
    nobody: HashSet<String>,
}

/// What the walk found.
pub struct Report {
    pub failures: Vec<String>,
    pub calls: usize,
    pub operations: BTreeMap<String, usize>,
}

fn encoded(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl<'w> Walker<'w> {
    pub fn new(world: &'w World) -> Walker<'w> {
        Walker {
            world,
            limit: world.spec.page_limit,
            failures: Mutex::new(Vec::new()),
            calls: AtomicUsize::new(0),
            walked: Mutex::new(BTreeMap::new()),
            sent: Mutex::new(BTreeMap::new()),
            nobody: HashSet::new(),
        }
    }

    pub fn fail(&self, message: String) {
        self.failures.lock().unwrap().push(message);
    }

    pub fn expect(&self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.fail(message());
        }
    }

    /// Scans an answer of `op` to `method url`; `allowed`: the caller's own data.
    pub fn check(&self, op: &str, method: &str, url: &str, answer: &Answer, allowed: &HashSet<String>) {
        *self.walked.lock().unwrap().entry(op.to_owned()).or_default() += 1;
        self.calls.fetch_add(1, Ordering::Relaxed);
        if answer.status >= 500 {
            let body = String::from_utf8_lossy(&answer.body);
            self.fail(format!("{op}: {method} {url} answered {} {body}", answer.status));
        }
        // An answer that shows the caller's own personal data must not be kept by shared caches.
        if method == "GET" && !allowed.is_empty() {
            let own = self.world.ledger.scan(&answer.headers, &answer.body, &self.nobody);
            let cache = answer.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("");
            if own.iter().any(|l| allowed.contains(&l.canary))
                && !cache.contains("no-store")
                && !cache.contains("private")
            {
                self.fail(format!("{op}: {method} {url} shows the caller's own data with Cache-Control {cache:?}"));
            }
        }
        let mut leaks: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
        for leak in self.world.ledger.scan(&answer.headers, &answer.body, allowed) {
            leaks.entry((leak.canary, leak.origin)).or_default().push(leak.form);
        }
        for ((canary, origin), forms) in leaks {
            self.fail(format!(
                "{op}: {method} {url} ({}) shows {canary} — {origin} (found in: {})",
                answer.status,
                forms.join(", ")
            ));
        }
    }

    pub async fn send(&self, op: &str, request: reqwest::RequestBuilder, allowed: &HashSet<String>) -> Answer {
        self.send_via(&self.world.app.http, op, request, allowed).await
    }

    /// Sends `request` with `client` (whose local address the server sees).
    pub async fn send_via(
        &self,
        client: &reqwest::Client,
        op: &str,
        request: reqwest::RequestBuilder,
        allowed: &HashSet<String>,
    ) -> Answer {
        let request = request.build().unwrap();
        let (method, url) = (request.method().to_string(), request.url().clone());
        {
            let mut sent = self.sent.lock().unwrap();
            let names = sent.entry(op.to_owned()).or_default();
            names.extend(url.query_pairs().map(|(k, _)| k.to_ascii_lowercase()));
            names.extend(request.headers().keys().map(|k| k.as_str().to_ascii_lowercase()));
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let response = client.execute(request).await.unwrap();
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        };
        self.check(op, &method, &path, &answer, allowed);
        answer
    }

    /// An anonymous GET of `path`.
    pub async fn get(&self, op: &str, path: &str) -> Answer {
        self.send(op, self.world.app.http.get(self.world.app.url(path)), &self.nobody).await
    }

    /// An anonymous GET that must be 404 (a record the public may not see, or none at all).
    pub async fn absent(&self, op: &str, path: &str, what: &str) {
        let answer = self.get(op, path).await;
        self.expect(answer.status == 404, || format!("{op}: GET {path} answered {} for {what}", answer.status));
    }

    /// An anonymous GET that must be 200; answers its JSON (or null).
    pub async fn present(&self, op: &str, path: &str, what: &str) -> Answer {
        let answer = self.get(op, path).await;
        self.expect(answer.status == 200, || {
            format!("{op}: GET {path} answered {} for {what}: {}", answer.status, String::from_utf8_lossy(&answer.body))
        });
        answer
    }

    /// Every page of the list at `path` (which may carry a query), following `next_cursor` to
    /// the end; answers every item.
    pub async fn list(&self, op: &str, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let sep = if path.contains('?') { '&' } else { '?' };
            let mut page = format!("{path}{sep}limit={}", self.limit);
            if let Some(cursor) = &cursor {
                page.push_str(&format!("&cursor={}", encoded(cursor)));
            }
            let answer = self.present(op, &page, "a page of a public list").await;
            let body = answer.json();
            for item in body["items"].as_array().into_iter().flatten() {
                let key = item.get("id").or_else(|| item.get("seq")).map(Value::to_string).unwrap_or_default();
                if !key.is_empty() && !seen.insert(key.clone()) {
                    self.fail(format!("{op}: GET {page}: {key} listed twice across pages"));
                }
                items.push(item.clone());
            }
            match body["next_cursor"].as_str() {
                Some(next) if answer.status == 200 => cursor = Some(next.to_owned()),
                _ => return items,
            }
        }
        self.fail(format!("{op}: GET {path}: the cursor never ends"));
        items
    }

    /// The list at `path` from cursors made of the ids of records that are not public (and of
    /// an unknown id): only public items, or a refusal of the cursor.
    pub async fn forged_cursors(&self, op: &str, path: &str) {
        use base64::Engine;
        let world = self.world;
        let secret = world.documents.iter().chain(&world.consultations).chain(&world.reports).filter(|r| !r.public);
        let mut ids: Vec<String> = secret.map(|r| r.id.clone()).take(6).collect();
        ids.push(Uuid::now_v7().to_string());
        let sep = if path.contains('?') { '&' } else { '?' };
        for id in ids {
            let uuid: Uuid = id.parse().unwrap();
            let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(uuid.as_bytes());
            let page = format!("{path}{sep}cursor={cursor}&limit={}", self.limit);
            let answer = self.get(op, &page).await;
            self.expect(matches!(answer.status, 200 | 400), || format!("{op}: GET {page} answered {}", answer.status));
        }
    }

    pub fn walked(&self, op: &str) -> bool {
        self.walked.lock().unwrap().contains_key(op)
    }

    pub fn report(self) -> Report {
        Report {
            failures: self.failures.into_inner().unwrap(),
            calls: self.calls.into_inner(),
            operations: self.walked.into_inner().unwrap(),
        }
    }
}

/// `(operationId, method, path, documented query parameters and headers)` of every public
/// operation in the live contract.
pub async fn public_operations(world: &World) -> Vec<(String, String, String, Vec<String>)> {
    let doc: Value =
        world.app.http.get(world.app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/public/") {
            continue;
        }
        for (method, spec) in item.as_object().unwrap() {
            if let Some(id) = spec["operationId"].as_str() {
                let params = spec["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query" || p["in"] == "header")
                    .filter_map(|p| p["name"].as_str().map(str::to_ascii_lowercase))
                    .collect();
                out.push((id.to_owned(), method.to_uppercase(), path.clone(), params));
            }
        }
    }
    out.sort();
    out
}

pub async fn walk(world: &World) -> Report {
    let walker = Walker::new(world);
    let operations = public_operations(world).await;
    // The answers of the public writes the world was built with.
    for answer in &world.recorded {
        let scanned = Answer { status: answer.status, headers: answer.headers.clone(), body: answer.body.clone() };
        walker.check(answer.op, "POST", &answer.url, &scanned, &answer.allowed);
    }
    for (op, method, path, _) in &operations {
        match op.as_str() {
            "list_public_documents" => documents(&walker).await,
            "get_public_document" => each_document(&walker).await,
            "public_search" => search(&walker).await,
            "public_document_feed" => feed(&walker).await,
            "download_public_attachment" => files(&walker).await,
            "list_public_consultations" | "get_public_consultation" | "comment_on_consultation" => {
                super::walk_more::consultations(&walker, op).await
            }
            "submit_disclosure_request"
            | "get_disclosure_request_status"
            | "download_disclosure_request_reply_attachment" => super::walk_more::requests(&walker, op).await,
            "list_public_messages" | "send_public_message" => super::walk_more::messages(&walker, op).await,
            "list_public_open_days" | "register_for_open_day" => super::walk_more::open_days(&walker, op).await,
            "list_public_opinion_releases" => {
                walker.list(op, "/api/v1/public/opinion-releases").await;
            }
            "get_public_organization" => super::walk_more::organization_pages(&walker).await,
            "list_public_reading_venues" | "get_public_reading_venue" => super::walk_more::venues(&walker, op).await,
            "list_public_catalogs" | "get_public_catalog" => super::walk_more::catalogs(&walker, op).await,
            "list_public_annual_reports" | "get_public_annual_report" => super::walk_more::reports(&walker, op).await,
            _ => walker.fail(format!(
                "{op} ({method} {path}): a public operation the no-leak walk does not know; teach it to walk it"
            )),
        }
    }
    for (op, _, path, params) in &operations {
        if params.iter().any(|p| p == "cursor") {
            let path = if op == "public_search" { format!("{path}?q={}", encoded("医保")) } else { path.clone() };
            walker.forged_cursors(op, &path).await;
        }
    }
    super::walk_more::sync(&walker).await;
    for (op, method, path, params) in &operations {
        walker.expect(walker.walked(op), || format!("{op} ({method} {path}): never called by the walk"));
        let sent = walker.sent.lock().unwrap().get(op).cloned().unwrap_or_default();
        for param in params.iter().filter(|p| !sent.contains(*p)) {
            walker.fail(format!("{op} ({method} {path}): its documented parameter {param} is never sent by the walk"));
        }
    }
    let unseen = world.ledger.unseen_markers();
    walker.expect(unseen.is_empty(), || {
        format!("{} public texts never seen by the walk: {}", unseen.len(), unseen.join(", "))
    });
    walker.report()
}

/// The organization filter values: every organization of the world, and one that does not exist.
pub fn organizations(world: &World) -> Vec<String> {
    let mut out: Vec<String> = world.orgs.iter().map(Uuid::to_string).collect();
    out.push(Uuid::now_v7().to_string());
    out
}

fn this_year() -> i32 {
    super::world::today().format("%Y").to_string().parse().unwrap()
}

/// The filter combinations proptest chose, as query strings.
fn combinations(world: &World) -> Vec<String> {
    let orgs = organizations(world);
    world
        .spec
        .filter_combinations
        .iter()
        .map(|f| {
            let mut q = Vec::new();
            if let Some(o) = f.org {
                q.push(format!("org={}", orgs[o]));
            }
            if let Some(c) = f.category {
                q.push(format!("category={}", CATEGORIES[c]));
            }
            if f.this_year {
                q.push(format!("year={}", this_year()));
            }
            q.join("&")
        })
        .collect()
}

async fn documents(w: &Walker<'_>) {
    let op = "list_public_documents";
    let world = w.world;
    let mut queries = vec![String::new(), format!("year={}", this_year()), format!("year={}", this_year() - 1)];
    queries.extend(["医保", "通知"].iter().map(|q| format!("q={}", encoded(q))));
    queries.extend(world.public_words.iter().take(6).map(|q| format!("q={}", encoded(q))));
    // Every category with every organization (and each alone), every year filter on top of those
    // proptest chose.
    let orgs = organizations(world);
    for category in std::iter::once(None).chain(CATEGORIES.iter().map(Some)) {
        for org in std::iter::once(None).chain(orgs.iter().map(Some)) {
            let mut q = Vec::new();
            if let Some(c) = category {
                q.push(format!("category={c}"));
            }
            if let Some(o) = org {
                q.push(format!("org={o}"));
            }
            if !q.is_empty() {
                queries.push(q.join("&"));
            }
        }
    }
    for combination in combinations(world) {
        let with = |extra: String| if combination.is_empty() { extra } else { format!("{combination}&{extra}") };
        if !combination.contains("year=") {
            queries.push(with(format!("year={}", this_year() - 1)));
        }
        queries.push(with(format!("q={}", encoded("通知"))));
    }
    let public: HashSet<&str> = world.documents.iter().filter(|d| d.public).map(|d| d.id.as_str()).collect();
    let mut listed = HashSet::new();
    for query in queries {
        for item in w.list(op, &format!("/api/v1/public/documents?{query}")).await {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            w.expect(public.contains(id.as_str()), || format!("{op}: ?{query} lists {id}, not a public document"));
            listed.insert(id);
        }
    }
    for query in &world.secret_words {
        let items = w.list(op, &format!("/api/v1/public/documents?q={}", encoded(query))).await;
        w.expect(items.is_empty(), || format!("{op}: ?q={query} (a canary) lists {} documents", items.len()));
    }
    w.expect(listed.len() == public.len(), || {
        format!("{op}: the walk listed {} of the {} public documents", listed.len(), public.len())
    });
}

async fn each_document(w: &Walker<'_>) {
    let op = "get_public_document";
    for document in &w.world.documents {
        let path = format!("/api/v1/public/documents/{}", document.id);
        if document.public {
            w.present(op, &path, &document.origin).await;
        } else {
            w.absent(op, &path, &document.origin).await;
        }
    }
    w.absent(op, &format!("/api/v1/public/documents/{}", Uuid::now_v7()), "an unknown id").await;
}

async fn search(w: &Walker<'_>) {
    let op = "public_search";
    let world = w.world;
    let mut queries: Vec<String> = ["医保", "通知", "政策解读", "医保 通知"].iter().map(|q| q.to_string()).collect();
    queries.extend(world.public_words.iter().take(12).cloned());
    let mut found = 0;
    for q in &queries {
        found += w.list(op, &format!("/api/v1/public/search?q={}", encoded(q))).await.len();
        for filters in combinations(world) {
            if !filters.is_empty() {
                w.list(op, &format!("/api/v1/public/search?q={}&{filters}", encoded(q))).await;
            }
        }
    }
    // A search that never finds anything would also never leak: the public words must be found.
    w.expect(found > 0, || format!("{op}: searching {} public words found nothing", queries.len()));
    // Each filter alone, whatever proptest combined.
    let mut filters: Vec<String> = CATEGORIES.iter().map(|c| format!("category={c}")).collect();
    filters.extend(organizations(world).iter().map(|o| format!("org={o}")));
    filters.extend([this_year(), this_year() - 1].iter().map(|y| format!("year={y}")));
    for filter in filters {
        w.list(op, &format!("/api/v1/public/search?q={}&{filter}", encoded("医保"))).await;
    }
    for secret in &world.secret_words {
        let path = format!("/api/v1/public/search?q={}", encoded(secret));
        let answer = w.present(op, &path, "a search for a canary").await;
        let hits = answer.json()["items"].as_array().map_or(0, Vec::len);
        w.expect(hits == 0, || format!("{op}: GET {path} (a canary) found {hits} hits"));
    }
}

async fn feed(w: &Walker<'_>) {
    let op = "public_document_feed";
    w.present(op, "/api/v1/public/document-feed", "the feed").await;
    let orgs = organizations(w.world);
    for org in &orgs[..orgs.len() - 1] {
        w.present(op, &format!("/api/v1/public/document-feed?org={org}"), "an organization's feed").await;
    }
    w.absent(op, &format!("/api/v1/public/document-feed?org={}", orgs[orgs.len() - 1]), "an unknown organization")
        .await;
}

async fn files(w: &Walker<'_>) {
    let op = "download_public_attachment";
    let world = w.world;
    let reply_files = world.requests.iter().flat_map(|r| r.files.iter());
    for file in world.files.iter().chain(reply_files) {
        let path = format!("/api/v1/public/attachments/{}/content", file.id);
        if file.public {
            let answer = w.present(op, &path, &file.origin).await;
            w.expect(answer.status != 200 || answer.body == file.bytes, || format!("{op}: {path}: other bytes"));
        } else {
            w.absent(op, &path, &file.origin).await;
            // Neither a conditional request with its hash nor a range may confirm it exists.
            use sha2::Digest;
            let sha: String = sha2::Sha256::digest(&file.bytes).iter().map(|b| format!("{b:02x}")).collect();
            for (header, value) in [("if-none-match", format!("\"{sha}\"")), ("range", "bytes=0-3".to_owned())] {
                let request = world.app.http.get(world.app.url(&path)).header(header, value);
                let answer = w.send(op, request, &HashSet::new()).await;
                w.expect(answer.status == 404, || {
                    format!("{op}: GET {path} with {header} answered {} for {}", answer.status, file.origin)
                });
            }
        }
    }
    if let Some(file) = world.files.iter().find(|f| f.public) {
        let path = format!("/api/v1/public/attachments/{}/content", file.id);
        let request = world.app.http.get(world.app.url(&path)).header("range", "bytes=0-3");
        let answer = w.send(op, request, &HashSet::new()).await;
        w.expect(answer.status == 206, || format!("{op}: {path} with a range answered {}", answer.status));
    }
    w.absent(op, &format!("/api/v1/public/attachments/{}/content", Uuid::now_v7()), "an unknown id").await;
}

/// A public write the walk makes must be refused as `expected` (its answer is scanned like any).
pub fn refused_write(w: &Walker<'_>, op: &str, path: &str, answer: &Answer, expected: &[u16]) {
    w.expect(expected.contains(&answer.status), || {
        let body = String::from_utf8_lossy(&answer.body);
        format!("{op}: POST {path} answered {}, expected one of {expected:?}: {body}", answer.status)
    });
}
