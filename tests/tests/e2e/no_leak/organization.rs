//! The organizations' records in a world: catalogs (published and then changed, never
//! published, published), annual reports (published, reviewed, draft) with what last year's
//! report counts, a reading venue, the leadership, work priorities and a hearing's minutes.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::records::words;
use super::world::{today, Record, Request, World};

impl World {
    /// What last year's reports count: a request registered in December and replied, and a
    /// case for reconsideration, both of the first department.
    async fn last_year(&mut self) {
        let label = "request of last year (Replied)".to_owned();
        let officer = self.depts[0].officer.clone();
        let secret = self.ledger.secret(format!("{label}: applicant's name"));
        let description = self.ledger.secret_text(&format!("{label}: description of the information asked for"));
        let mut own: HashSet<String> = HashSet::from([secret.clone()]);
        own.extend(words(&description));
        let application = json!({
            "organization_id": self.depts[0].id,
            "applicant_type": "natural_person",
            "name": format!("赵{secret}"),
            "identity_document_type": "resident_identity_card",
            "identity_number": self.ledger.resident_id(&label),
            "phone": self.ledger.phone(&label),
            "description": description,
            "information_form": "paper",
            "delivery_method": "post",
            "address": format!("元马镇{}号", self.ledger.secret(format!("{label}: address"))),
        });
        let body = json!({"request": application, "arrival": {"channel": "in_person", "arrived_on": "2025-12-15"}});
        let receipt = self.post(&officer, "/api/v1/disclosure-requests", body).await;
        let id = receipt["id"].as_str().unwrap().to_owned();
        self.ledger.secret_id(&id, label.clone());
        self.post(&officer, &format!("/api/v1/disclosure-requests/{id}/accept"), json!({})).await;
        let text = self.ledger.secret_text(&format!("{label}: reply text"));
        own.extend(words(&text));
        let reply = json!({"outcome": "partial", "reply_text": text, "legal_basis": "《中华人民共和国政府信息公开条例》第三十七条"});
        self.post(&officer, &format!("/api/v1/disclosure-requests/{id}/reply"), reply).await;
        let code = receipt["tracking_code"].as_str().unwrap().to_owned();
        let token = receipt["query_token"].as_str().unwrap().to_owned();
        self.requests.push(Request { code, token, origin: label, replied: true, own, files: Vec::new() });
        let challenge = json!({"organization_id": self.depts[0].id, "kind": "reconsideration",
            "case_number": self.ledger.secret("a reconsideration's case number"),
            "summary": self.ledger.secret_text("a reconsideration's summary"), "filed_on": "2025-11-03"});
        self.post(&officer, "/api/v1/legal-challenges", challenge).await;
    }

    fn catalog_items(&mut self, public: bool, label: &str) -> Value {
        json!({"items": [{
            "area": "社会救助",
            "item_level1": self.text(public, &format!("{label}: item")),
            "item_level2": "最低生活保障",
            "content_elements": self.text(public, &format!("{label}: content elements")),
            "basis": "《社会救助暂行办法》",
            "time_limit": "信息形成或变更之日起20个工作日内",
            "owner": "县民政局",
            "channels": ["government_website", "reading_venue"],
            "audience": "whole_society",
            "mode": "proactive",
            "openness_category": "service",
            "level": "county",
        }]})
    }

    /// Catalogs (published with later unpublished changes; never published; published once),
    /// annual reports (published, reviewed, draft), a reading venue, the leadership, work
    /// priorities and a hearing's minutes.
    pub(super) async fn organization_records(&mut self) {
        for (dept, state) in [(0, "published, then changed"), (1, "never published"), (2, "published")] {
            let label = format!("catalog of department {dept} ({state})");
            let officer = self.depts[dept].officer.clone();
            let title = format!("主动公开基本目录{}", self.text(dept != 1, &format!("{label}: title")));
            let id = self.post(&officer, "/api/v1/catalogs", json!({"title": title})).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let items = self.catalog_items(dept != 1, &format!("{label}, version 1"));
            self.put(&officer, &format!("/api/v1/catalogs/{id}/items"), items).await;
            if dept == 1 {
                self.ledger.secret_id(&id, label.clone());
                self.catalogs.push((Record { id, public: false, origin: label }, 0));
                continue;
            }
            self.post(&officer, &format!("/api/v1/catalogs/{id}/publish"), json!({})).await;
            if dept == 0 {
                let items = self.catalog_items(false, &format!("{label}, unpublished changes"));
                self.put(&officer, &format!("/api/v1/catalogs/{id}/items"), items).await;
            }
            self.catalogs.push((Record { id, public: true, origin: label }, 1));
        }
        self.last_year().await;
        for (dept, state) in [(0, "published"), (1, "reviewed"), (2, "draft")] {
            let label = format!("annual report 2025 of department {dept} ({state})");
            let public = dept == 0;
            let officer = self.depts[dept].officer.clone();
            let created = self.post(
                &officer,
                "/api/v1/annual-reports",
                json!({"organization_id": self.depts[dept].id, "year": 2025}),
            );
            let id = created.await["id"].as_str().unwrap().to_owned();
            let edits = json!({"overview": self.text(public, &format!("{label}: overview")),
                "problems_and_improvements": self.text(public, &format!("{label}: problems")),
                "other_matters": self.text(public, &format!("{label}: other matters")),
                "licensing_decisions": 1, "penalty_decisions": 0, "enforcement_decisions": 0, "administrative_fees_fen": 0});
            self.put(&officer, &format!("/api/v1/annual-reports/{id}"), edits).await;
            if dept != 2 {
                let head = self.depts[dept].head.clone();
                self.post(&head, &format!("/api/v1/annual-reports/{id}/review"), json!({})).await;
            }
            if public {
                let principal = self.depts[dept].principal.clone();
                self.post(&principal, &format!("/api/v1/annual-reports/{id}/publish"), json!({})).await;
            } else {
                self.ledger.secret_id(&id, label.clone());
            }
            self.reports.push(Record { id, public, origin: label });
        }
        let venue = json!({"name": format!("县图书馆查阅点{}", self.text(true, "reading venue: name")),
            "kind": "library", "address": self.text(true, "reading venue: address"), "opening_hours": "周二至周日 9:00—17:30"});
        let gov_office = self.gov_office.clone();
        let id = self.post(&gov_office, "/api/v1/reading-venues", venue).await["id"].as_str().unwrap().to_owned();
        let first_county: Vec<String> =
            self.documents.iter().filter(|d| d.public).map(|d| d.id.clone()).collect::<Vec<_>>();
        for document in first_county.iter().take(3) {
            let placement = json!({"document_id": document, "placed_on": today()});
            let response = self
                .app
                .http
                .post(self.app.url(&format!("/api/v1/reading-venues/{id}/placements")))
                .bearer_auth(&gov_office)
                .json(&placement)
                .send()
                .await
                .unwrap();
            // Another county's document cannot be placed here; that is no matter.
            assert!(response.status().is_success() || response.status() == 422 || response.status() == 404);
        }
        self.venues.push(id);
        let officer = self.depts[0].officer.clone();
        let org = self.depts[0].id;
        let leadership = json!({"principal_name": self.ledger.marker("the leadership: principal's name"),
            "principal_duties": self.text(true, "the leadership: principal's duties"),
            "openness_deputy_name": self.ledger.marker("the leadership: deputy's name"),
            "openness_deputy_duties": self.text(true, "the leadership: deputy's duties")});
        self.put(&officer, &format!("/api/v1/organizations/{org}/leadership"), leadership).await;
        let year = today().format("%Y").to_string().parse::<i32>().unwrap();
        let priority = json!({"year": year, "text": self.text(true, "a work priority of this year")});
        self.post(&officer, "/api/v1/work-priorities", priority).await;
        let next =
            json!({"year": year + 1, "organization_id": org, "text": self.text(true, "a work priority of next year")});
        self.post(&gov_office, "/api/v1/work-priorities", next).await;
        let hearing = json!({"held_on": today(), "chaired_by": self.ledger.secret("a hearing's chair"),
            "minutes": self.ledger.secret_text("a hearing's minutes")});
        self.post(&officer, "/api/v1/work-report-hearings", hearing).await;
    }
}
