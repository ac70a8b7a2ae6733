//! The walk of the public participation, organization and report operations, and of the change
//! feed.

use std::collections::HashSet;

use serde_json::{json, Value};
use uuid::Uuid;

use super::walk::{organizations, refused_write, Walker};

/// A public write refused by design, sent from an address of its own, with the world's probe
/// canaries in it.
async fn write(w: &Walker<'_>, op: &str, path: &str, body: Value, expected: &[u16]) {
    let world = w.world;
    let request = world.client.post(world.app.url(path)).json(&body);
    let answer = w.send_via(&world.client, op, request, &HashSet::new()).await;
    refused_write(w, op, path, &answer, expected);
}

pub async fn consultations(w: &Walker<'_>, op: &str) {
    let world = w.world;
    match op {
        "list_public_consultations" => {
            let listed = w.list(op, "/api/v1/public/consultations").await;
            let public = world.consultations.iter().filter(|c| c.public).count();
            w.expect(listed.len() == public, || format!("{op}: {} listed, {public} public", listed.len()));
        }
        "get_public_consultation" => {
            for c in &world.consultations {
                let path = format!("/api/v1/public/consultations/{}", c.id);
                if c.public {
                    w.present(op, &path, &c.origin).await;
                } else {
                    w.absent(op, &path, &c.origin).await;
                }
            }
            w.absent(op, &format!("/api/v1/public/consultations/{}", Uuid::now_v7()), "an unknown id").await;
        }
        _ => {
            // Comments where none may be made: a draft (404), before the period, after it (409).
            let probe = &world.probe;
            let body = json!({"text": probe.text, "name": probe.name, "contact": probe.phone, "publish_name": true});
            for (c, (target, _)) in world.consultations.iter().zip(&world.spec.consultations) {
                use super::spec::ConsultationTarget::*;
                let expected: &[u16] = match target {
                    Draft => &[404],
                    Upcoming | Closed | ResultsPublished => &[409],
                    Open => continue,
                };
                let path = format!("/api/v1/public/consultations/{}/comments", c.id);
                write(w, op, &path, body.clone(), expected).await;
            }
            let path = format!("/api/v1/public/consultations/{}/comments", Uuid::now_v7());
            write(w, op, &path, body, &[404]).await;
        }
    }
}

pub async fn requests(w: &Walker<'_>, op: &str) {
    let world = w.world;
    let status = |code: &str| format!("/api/v1/public/disclosure-requests/{code}");
    match op {
        "submit_disclosure_request" => {
            let probe = &world.probe;
            let body = json!({"organization_id": Uuid::now_v7(), "applicant_type": "natural_person",
                "name": probe.name, "identity_document_type": "resident_identity_card", "identity_number": probe.identity,
                "phone": probe.phone, "email": probe.email, "address": probe.text, "description": probe.text,
                "information_form": "electronic", "delivery_method": "online"});
            write(w, op, "/api/v1/public/disclosure-requests", body, &[422]).await;
        }
        "get_disclosure_request_status" => {
            for (n, r) in world.requests.iter().enumerate() {
                let other = &world.requests[(n + 1) % world.requests.len()];
                let path = status(&r.code);
                let mine = world.app.http.get(world.app.url(&path)).header("x-query-token", &r.token);
                let answer = w.send(op, mine, &r.own).await;
                w.expect(answer.status == 200, || format!("{op}: {path} with its own token: {}", answer.status));
                for (token, what) in [
                    (Some(other.token.as_str()), "another request's token"),
                    (Some("x"), "a wrong token"),
                    (None, "no token"),
                ] {
                    let mut request = world.app.http.get(world.app.url(&path));
                    if let Some(token) = token {
                        request = request.header("x-query-token", token);
                    }
                    let answer = w.send(op, request, &HashSet::new()).await;
                    w.expect(matches!(answer.status, 400 | 404), || {
                        format!("{op}: {path} ({}) with {what} answered {}", r.origin, answer.status)
                    });
                }
            }
            if let Some(r) = world.requests.first() {
                let request = world.app.http.get(world.app.url(&status("YSQ20260101-ZZZZZZZZ")));
                let answer = w.send(op, request.header("x-query-token", &r.token), &HashSet::new()).await;
                w.expect(answer.status == 404, || format!("{op}: an unknown code answered {}", answer.status));
            }
        }
        _ => {
            let mut targets: Vec<(usize, String, bool, Vec<u8>)> = Vec::new();
            for (n, r) in world.requests.iter().enumerate() {
                for file in &r.files {
                    targets.push((n, file.id.clone(), r.replied, file.bytes.clone()));
                }
                // No file by that id, and a public file through a request: both 404.
                targets.push((n, Uuid::now_v7().to_string(), false, Vec::new()));
                if let Some(public) = world.files.iter().find(|f| f.public) {
                    targets.push((n, public.id.clone(), false, Vec::new()));
                }
            }
            for (n, file, given, bytes) in targets {
                let r = &world.requests[n];
                let other = &world.requests[(n + 1) % world.requests.len()];
                let path = format!("{}/attachments/{file}/content", status(&r.code));
                let mine = world.app.http.get(world.app.url(&path)).header("x-query-token", &r.token);
                let answer = w.send(op, mine, &r.own).await;
                if given {
                    w.expect(answer.status == 200 && answer.body == bytes, || {
                        format!("{op}: {path}: the applicant of {} did not get their file: {}", r.origin, answer.status)
                    });
                    let ranged = world.app.http.get(world.app.url(&path)).header("x-query-token", &r.token);
                    let answer = w.send(op, ranged.header("range", "bytes=0-3"), &r.own).await;
                    w.expect(answer.status == 206, || format!("{op}: {path} with a range answered {}", answer.status));
                } else {
                    w.expect(answer.status == 404, || {
                        format!("{op}: {path} ({}) answered {}", r.origin, answer.status)
                    });
                }
                for (code, token) in [(&r.code, &other.token), (&other.code, &other.token), (&r.code, &"x".to_owned())]
                {
                    let path = format!("{}/attachments/{file}/content", status(code));
                    let request = world.app.http.get(world.app.url(&path)).header("x-query-token", token.as_str());
                    let answer = w.send(op, request, &other.own).await;
                    w.expect(answer.status == 404, || {
                        format!("{op}: {path}: a file of {} reached another applicant: {}", r.origin, answer.status)
                    });
                }
            }
        }
    }
}

pub async fn messages(w: &Walker<'_>, op: &str) {
    let world = w.world;
    if op == "list_public_messages" {
        w.list(op, "/api/v1/public/messages").await;
        for org in organizations(world) {
            w.list(op, &format!("/api/v1/public/messages?org={org}")).await;
        }
    } else {
        let probe = &world.probe;
        let body = json!({"organization_id": Uuid::now_v7(), "subject": probe.text, "body": probe.text,
            "name": probe.name, "contact": probe.phone, "publish_consent": true});
        write(w, op, "/api/v1/public/messages", body, &[422]).await;
    }
}

pub async fn open_days(w: &Walker<'_>, op: &str) {
    let world = w.world;
    if op == "list_public_open_days" {
        let listed = w.list(op, "/api/v1/public/open-days").await;
        w.expect(listed.len() == world.open_days.len(), || format!("{op}: {} of the open days listed", listed.len()));
    } else {
        let probe = &world.probe;
        let body = json!({"name": probe.name, "contact": probe.phone, "party_size": 1});
        for (id, cancelled) in &world.open_days {
            if *cancelled {
                write(w, op, &format!("/api/v1/public/open-days/{id}/registrations"), body.clone(), &[409]).await;
            }
        }
        write(w, op, &format!("/api/v1/public/open-days/{}/registrations", Uuid::now_v7()), body, &[404]).await;
    }
}

pub async fn organization_pages(w: &Walker<'_>) {
    let op = "get_public_organization";
    let year: i32 = super::world::today().format("%Y").to_string().parse().unwrap();
    let orgs = organizations(w.world);
    for org in &orgs[..orgs.len() - 1] {
        for query in
            [String::new(), format!("?year={year}"), format!("?year={}", year + 1), format!("?year={}", year - 1)]
        {
            w.present(op, &format!("/api/v1/public/organizations/{org}{query}"), "an organization").await;
        }
    }
    w.absent(op, &format!("/api/v1/public/organizations/{}", orgs[orgs.len() - 1]), "an unknown id").await;
}

pub async fn venues(w: &Walker<'_>, op: &str) {
    let world = w.world;
    if op == "list_public_reading_venues" {
        w.list(op, "/api/v1/public/reading-venues").await;
    } else {
        for id in &world.venues {
            w.present(op, &format!("/api/v1/public/reading-venues/{id}"), "a reading venue").await;
        }
        w.absent(op, &format!("/api/v1/public/reading-venues/{}", Uuid::now_v7()), "an unknown id").await;
    }
}

pub async fn catalogs(w: &Walker<'_>, op: &str) {
    let world = w.world;
    if op == "list_public_catalogs" {
        w.list(op, "/api/v1/public/catalogs").await;
        for org in organizations(world) {
            w.list(op, &format!("/api/v1/public/catalogs?organization_id={org}")).await;
        }
        return;
    }
    for (catalog, versions) in &world.catalogs {
        for version in [None, Some(1), Some(2)] {
            for format in ["json", "csv", "xlsx"] {
                let mut path = format!("/api/v1/public/catalogs/{}?format={format}", catalog.id);
                if let Some(v) = version {
                    path.push_str(&format!("&version={v}"));
                }
                if catalog.public && version.unwrap_or(1) <= *versions {
                    w.present(op, &path, &catalog.origin).await;
                } else {
                    w.absent(op, &path, &format!("{} (version {version:?})", catalog.origin)).await;
                }
            }
        }
        let path = format!("/api/v1/public/catalogs/{}", catalog.id);
        let request = world.app.http.get(world.app.url(&path)).header("accept", "text/csv");
        let answer = w.send(op, request, &HashSet::new()).await;
        let expected = if catalog.public { 200 } else { 404 };
        w.expect(answer.status == expected, || format!("{op}: {path} as text/csv answered {}", answer.status));
    }
}

pub async fn reports(w: &Walker<'_>, op: &str) {
    let world = w.world;
    if op == "list_public_annual_reports" {
        for org in std::iter::once(None).chain(organizations(world).into_iter().map(Some)) {
            for year in [None, Some(2025), Some(2024)] {
                let mut q = Vec::new();
                if let Some(org) = &org {
                    q.push(format!("org={org}"));
                }
                if let Some(year) = year {
                    q.push(format!("year={year}"));
                }
                let listed = w.list(op, &format!("/api/v1/public/annual-reports?{}", q.join("&"))).await;
                for item in listed {
                    w.expect(item["status"] == "published", || format!("{op}: lists a report {}", item["status"]));
                }
            }
        }
        return;
    }
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for report in &world.reports {
        for format in ["json", "xlsx", "html"] {
            let path = format!("/api/v1/public/annual-reports/{}?format={format}", report.id);
            if report.public {
                w.present(op, &path, &report.origin).await;
            } else {
                w.absent(op, &path, &report.origin).await;
            }
        }
        for accept in ["text/html", xlsx] {
            let path = format!("/api/v1/public/annual-reports/{}", report.id);
            let request = world.app.http.get(world.app.url(&path)).header("accept", accept);
            let answer = w.send(op, request, &HashSet::new()).await;
            let expected = if report.public { 200 } else { 404 };
            w.expect(answer.status == expected, || format!("{op}: {path} as {accept} answered {}", answer.status));
        }
    }
    w.absent(op, &format!("/api/v1/public/annual-reports/{}", Uuid::now_v7()), "an unknown id").await;
}

/// The change feed of public records (`sync:read`): every change to its end, every record it
/// names public, and readable anonymously where it says.
pub async fn sync(w: &Walker<'_>) {
    let op = "sync_changes";
    let world = w.world;
    let mut cursor = "0".to_owned();
    let mut urls = HashSet::new();
    for _ in 0..1000 {
        let path = format!("/api/v1/sync/changes?cursor={cursor}&limit={}", world.spec.page_limit);
        let request = world.app.http.get(world.app.url(&path)).bearer_auth(&world.sync_client);
        let answer = w.send(op, request, &HashSet::new()).await;
        let body = answer.json();
        let items = body["items"].as_array().cloned().unwrap_or_default();
        for change in &items {
            let id = change["entity_id"].as_str().unwrap_or_default();
            w.expect(!world.ledger.is_secret_id(id), || format!("{op}: the feed names {change}, which is not public"));
            if let Some(url) = change["url"].as_str() {
                urls.insert(url.to_owned());
            }
        }
        match body["next_cursor"].as_str() {
            Some(next) if !items.is_empty() && answer.status == 200 => cursor = next.to_owned(),
            _ => break,
        }
    }
    w.expect(!urls.is_empty(), || format!("{op}: the feed names no public record"));
    for url in urls {
        let answer = w.get("sync_changes (its urls)", &url).await;
        w.expect(answer.status == 200, || format!("{op}: the feed points at {url}, which answers {}", answer.status));
    }
}
