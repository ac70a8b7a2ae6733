//! The authorization matrix (issue 10, item 1): every operation of the live OpenAPI document,
//! called as anonymous, as the system administrator, as each role of the owning organization
//! and of an organization of another county, and as a machine client with every scope; each
//! answer is classified and compared with the committed entry of its `operationId` in
//! [`entries`]. An operation without an entry, an entry without an operation, any 5xx and any
//! difference fail the test, listed all at once.
//!
//! Set `MATRIX_PRINT=1` to print the observed matrix in the form of [`entries::ENTRIES`].

mod entries;
mod schema;
mod world;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use serde_json::Value;
use uuid::Uuid;
use world::World;

/// One answer, as the matrix records it.
fn classify(status: u16) -> char {
    match status {
        401 => '1',
        403 => '3',
        404 => '4',
        400 | 413 | 415 | 422 => 'V',
        429 => 'R',
        _ => 'A',
    }
}

struct Operation {
    id: String,
    method: String,
    /// The template, e.g. `/api/v1/documents/{id}/submit`.
    template: String,
    spec: Value,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, spec) in item.as_object().unwrap() {
            if let Some(id) = spec["operationId"].as_str() {
                out.push(Operation {
                    id: id.to_owned(),
                    method: method.to_uppercase(),
                    template: template.clone(),
                    spec: spec.clone(),
                });
            }
        }
    }
    // Reads first, then writes, then deletions; the owning organization is deleted last of all,
    // and logging out comes after everything else.
    let phase = |o: &Operation| match (o.method.as_str(), o.template.as_str()) {
        ("GET", _) => 0,
        (_, "/api/v1/auth/logout") => 4,
        ("DELETE", "/api/v1/organizations/{id}") => 3,
        ("DELETE", _) => 2,
        _ => 1,
    };
    out.sort_by(|a, b| (phase(a), &a.id).cmp(&(phase(b), &b.id)));
    out
}

/// The concrete path of `op` in `world`: each `{id}` becomes the owner's record of that
/// collection, or a random id when the world has none (so everyone past the role check gets 404).
fn concrete(world: &World, op: &Operation) -> String {
    let rest = op.template.trim_start_matches("/api/v1/").trim_start_matches("public/");
    let collection = rest.split('/').next().unwrap();
    let id = world.ids.get(collection).cloned().unwrap_or_else(|| Uuid::now_v7().to_string());
    op.template
        .replace("{id}", &id)
        .replace("{year}", "2026")
        .replace("{date}", "2026-10-01")
        .replace("{tracking_code}", "GK2026MATRIX00")
}

async fn call(world: &World, doc: &Value, op: &Operation, token: Option<&str>) -> u16 {
    let fill = schema::Fill { uuid: world.owner };
    let url = world.app.url(&format!("{}{}", concrete(world, op), schema::query(doc, &op.spec, &fill)));
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
    let mut request = world.app.http.request(method, url.replace('+', "%2B"));
    let content = &op.spec["requestBody"]["content"];
    if content.get("multipart/form-data").is_some() {
        let part = reqwest::multipart::Part::bytes(b"%PDF-1.4\n%matrix\n".to_vec()).file_name("matrix.pdf");
        request = request.multipart(reqwest::multipart::Form::new().part("file", part));
    } else if content.get("application/x-www-form-urlencoded").is_some() {
        request = request.form(&[("grant_type", "client_credentials")]);
    } else if let Some(body) = schema::body(doc, &op.spec, &fill) {
        request = request.json(&body);
    } else if !content.is_null() {
        request = request.header("content-type", "text/csv").body("a,b\n");
    }
    if op.spec["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "X-Query-Token") {
        request = request.header("x-query-token", "matrix");
    }
    let response = e2e::send_as(request, token).await;
    let status = response.status().as_u16();
    if std::env::var("MATRIX_DEBUG").is_ok_and(|d| d.split(',').any(|d| d == op.id)) {
        let body = schema::body(doc, &op.spec, &fill);
        eprintln!("{} {status} {:?} <- {:?}", op.id, response.text().await, body);
    }
    status
}

/// The column order of a row, which is also the order the callers are called in: outsiders
/// first, then the owner's staff, the administrator last (so that a deletion it may make does
/// not hide the record from the others).
fn call_order(world: &World) -> Vec<usize> {
    let n = world.callers.len();
    let mut order = vec![0];
    order.extend(8..n);
    order.extend(2..8);
    order.push(1);
    order
}

/// A row as written in [`entries::ENTRIES`]: `anonymous admin | owner's roles | stranger's | client`.
fn row(cells: &[char]) -> String {
    let s: String = cells.iter().collect();
    format!("{} {} {} {}", &s[..2], &s[2..8], &s[8..14], &s[14..])
}

/// Calls `op` as every caller in `order`; answers its id, its row and any 5xx met.
async fn run(world: &World, doc: &Value, order: &[usize], op: &Operation) -> (String, String, Vec<String>) {
    let mut cells = vec!['?'; world.callers.len()];
    let mut server_errors = Vec::new();
    for &caller in order {
        let status = call(world, doc, op, world.callers[caller].token.as_deref()).await;
        if status >= 500 {
            server_errors.push(format!("{} {} as {}: {status}", op.method, op.template, world.callers[caller].name));
        }
        cells[caller] = classify(status);
    }
    (op.id.clone(), row(&cells), server_errors)
}

/// Whether an observed row agrees with an entry: cell by cell, where a rate-limited answer (`R`,
/// on either side) says nothing about authorization and agrees with anything. The anonymous
/// endpoints' limits count per address and window, so which call meets them may vary.
fn same(want: &str, got: &str) -> bool {
    want.len() == got.len() && want.chars().zip(got.chars()).all(|(w, g)| w == g || w == 'R' || g == 'R')
}

#[actix_web::test]
async fn every_operation_answers_each_caller_as_documented() {
    let started = std::time::Instant::now();
    let world = World::build().await;
    let doc: Value =
        world.app.http.get(world.app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let ops = operations(&doc);
    let expected: BTreeMap<&str, &str> = entries::ENTRIES.iter().copied().collect();
    assert_eq!(expected.len(), entries::ENTRIES.len(), "an operation has two entries");
    let order = call_order(&world);

    let reads: Vec<&Operation> = ops.iter().filter(|o| o.method == "GET").collect();
    let mut observed: Vec<(String, String, Vec<String>)> =
        futures_util::stream::iter(reads).map(|op| run(&world, &doc, &order, op)).buffer_unordered(4).collect().await;
    for op in ops.iter().filter(|o| o.method != "GET") {
        observed.push(run(&world, &doc, &order, op).await);
    }
    observed.sort();

    if std::env::var_os("MATRIX_PRINT").is_some() {
        for (id, cells, _) in &observed {
            eprintln!("    (\"{id}\", \"{cells}\"),");
        }
    }
    let mut failures: Vec<String> = observed.iter().flat_map(|(_, _, errors)| errors.clone()).collect();
    let present: BTreeSet<&str> = observed.iter().map(|(id, _, _)| id.as_str()).collect();
    for (id, cells, _) in &observed {
        match expected.get(id.as_str()) {
            None => failures.push(format!("{id}: no matrix entry (observed \"{cells}\")")),
            Some(want) if !same(want, cells) => {
                failures.push(format!("{id}: expected \"{want}\", observed \"{cells}\""))
            }
            Some(_) => {}
        }
    }
    for id in expected.keys().filter(|id| !present.contains(*id)) {
        failures.push(format!("{id}: matrix entry for an operation the contract no longer has"));
    }
    eprintln!(
        "authorization matrix: {} operations × {} callers = {} calls in {:.1?}",
        ops.len(),
        world.callers.len(),
        ops.len() * world.callers.len(),
        started.elapsed()
    );
    assert!(failures.is_empty(), "{} authorization-matrix failures:\n{}", failures.len(), failures.join("\n"));
}
