//! Public participation in a world: disclosure requests in every state with their applicants'
//! personal data, consultations in every state with comments in every kind of moderation,
//! public-opinion incidents in every state with their releases, messages, open days with
//! registrations.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use super::spec::{
    CommentBits, ConsultationBits, ConsultationTarget, IncidentBits, IncidentTarget, MessageBits, MessageTarget,
    Moderation, RequestBits, RequestTarget,
};
use super::world::{today, File, Record, Request, World};

const APPLICANT_TYPES: [&str; 6] =
    ["natural_person", "commercial", "research", "public_welfare", "legal_services", "other_legal_person"];
const CLASSES: [(&str, &str); 6] = [
    ("constructive_suggestion", "adoption_published"),
    ("real_difficulty", "solution_published"),
    ("major_problem", "investigation_published"),
    ("public_unaware", "authoritative_information"),
    ("wrong_view", "correction"),
    ("false_information", "response"),
];
const LEVELS: [Option<&str>; 5] = [None, Some("general"), Some("large"), Some("major"), Some("especially_major")];
const SOURCES: [&str; 5] = ["media", "online_platform", "hotline", "petition", "other"];

pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .flat_map(|w| {
            let upper = w.to_ascii_uppercase();
            upper.match_indices("LEAKCANARY").map(|(at, _)| upper[at..at + 16].to_owned()).collect::<Vec<_>>()
        })
        .chain(text.match_indices("泄密").map(|(at, _)| text[at..].chars().take(7).collect()))
        .collect()
}

impl World {
    pub(super) async fn participation(&mut self) {
        let spec = self.spec.clone();
        for (n, (target, bits)) in spec.requests.iter().enumerate() {
            self.request(n, *target, bits).await;
        }
        for (n, (target, bits)) in spec.consultations.iter().enumerate() {
            self.consultation(n, *target, bits).await;
        }
        for (n, (target, bits)) in spec.incidents.iter().enumerate() {
            self.incident(n, *target, bits).await;
        }
        for (n, (target, bits)) in spec.messages.iter().enumerate() {
            self.message(n, *target, bits).await;
        }
        let (staying, cancelled) = spec.registrations;
        self.open_day(false, staying).await;
        self.open_day(true, cancelled).await;
    }

    async fn request(&mut self, n: usize, target: RequestTarget, bits: &RequestBits) {
        let label = format!("request #{n} ({target:?})");
        let dept = bits.org;
        let officer = self.depts[dept].officer.clone();
        let legal = bits.applicant_type > 0;
        let secret = self.ledger.secret(format!("{label}: applicant's name"));
        let name = if legal { format!("{secret}有限公司") } else { format!("张{secret}") };
        let mut own: HashSet<String> = HashSet::from([secret]);
        let (document_type, number) = if legal {
            ("unified_social_credit_code", self.ledger.credit_code(&label))
        } else {
            ("resident_identity_card", self.ledger.resident_id(&label))
        };
        let description = self.ledger.secret_text(&format!("{label}: description of the information asked for"));
        own.extend(words(&description));
        let mut application = json!({
            "organization_id": self.depts[dept].id,
            "applicant_type": APPLICANT_TYPES[bits.applicant_type],
            "name": name,
            "identity_document_type": document_type,
            "identity_number": number,
            "phone": self.ledger.phone(&label),
            "description": description,
            "information_form": "electronic",
            "delivery_method": "online",
        });
        if bits.email {
            let email = format!("{}@example.cn", self.ledger.secret(format!("{label}: e-mail")).to_ascii_lowercase());
            application["email"] = json!(email);
        }
        if bits.address {
            application["address"] = json!(format!("元马镇{}号", self.ledger.secret(format!("{label}: address"))));
        }
        if bits.document_number {
            let asked = self.ledger.secret(format!("{label}: document number asked for"));
            own.insert(asked.clone());
            application["document_number"] = json!(asked);
        }
        let receipt = if target == RequestTarget::ReceivedInPerson {
            let body = json!({"request": application, "arrival": {"channel": "in_person", "arrived_on": today()}});
            self.post(&officer, "/api/v1/disclosure-requests", body).await
        } else {
            let (status, receipt) = self
                .public_post(
                    "submit_disclosure_request",
                    "/api/v1/public/disclosure-requests",
                    application,
                    own.clone(),
                )
                .await;
            assert_eq!(status, 201, "world: {label}: {receipt}");
            receipt
        };
        let id = receipt["id"].as_str().unwrap().to_owned();
        self.ledger.secret_id(&id, label.clone());
        if target != RequestTarget::ReceivedInPerson {
            self.allow_last(&id);
        }
        let path = |action: &str| format!("/api/v1/disclosure-requests/{id}/{action}");
        let mut files = Vec::new();
        let mut replied = false;
        use RequestTarget::*;
        if matches!(target, CorrectionRequested | Closed) {
            let item = self.ledger.secret(format!("{label}: what to correct"));
            own.insert(item.clone());
            let body = json!({"items": [format!("请补充{item}")], "deadline": today() + Duration::days(15)});
            self.post(&officer, &path("request-correction"), body).await;
        }
        if target == Closed {
            let reason = self.ledger.secret(format!("{label}: reason of closing"));
            own.insert(reason.clone());
            self.post(&officer, &path("close"), json!({"outcome": "other", "reason": reason})).await;
        }
        if matches!(target, InProgress | PausedConsultation | PausedFee | Replied | Archived) {
            self.post(&officer, &path("accept"), json!({})).await;
        }
        if target == PausedConsultation {
            let third = format!("第三方{}", self.ledger.secret(format!("{label}: the consulted third party")));
            self.post(&officer, &path("consult"), json!({"party": "third_party", "party_name": third})).await;
        }
        if target == PausedFee {
            self.post(&officer, &path("fee-notice"), json!({"method": "per_page", "pages": 35})).await;
        }
        if bits.reply_file && matches!(target, InProgress | Replied | Archived) {
            let origin = format!("{label}: reply file");
            let file = self.upload(&officer, &path("reply-attachments"), false, &origin, true).await;
            let stored = self.files.pop().unwrap();
            assert_eq!(stored.id, file);
            own.extend(stored.labels.iter().cloned());
            files.push(File { public: false, ..stored });
        }
        if matches!(target, Replied | Archived) {
            let text = self.ledger.secret_text(&format!("{label}: reply text"));
            own.extend(words(&text));
            self.post(&officer, &path("reply"), json!({"outcome": "granted", "reply_text": text})).await;
            replied = true;
        }
        if target == Archived {
            self.post(&officer, &path("archive"), json!({})).await;
        }
        // Reply files' names: the applicant sees them listed once replied.
        for file in &files {
            own.insert(file.id.clone());
        }
        let code = receipt["tracking_code"].as_str().unwrap().to_owned();
        let token = receipt["query_token"].as_str().unwrap().to_owned();
        self.requests.push(Request { code, token, origin: label, replied, own, files });
    }

    async fn consultation(&mut self, n: usize, target: ConsultationTarget, bits: &ConsultationBits) {
        use ConsultationTarget::*;
        let label = format!("consultation #{n} ({target:?})");
        let public = target != Draft;
        let drafter = self.depts[bits.org].drafter.clone();
        let officer = self.depts[bits.org].officer.clone();
        let opens = if target == Upcoming { Utc::now() + Duration::days(2) } else { Utc::now() - Duration::minutes(1) };
        let body = |world: &mut World, public: bool, version: &str| {
            json!({
                "title": format!("关于实施细则公开征求意见的公告（{}）", world.text(public, &format!("{label}{version}: title"))),
                "draft_text": world.text(public, &format!("{label}{version}: draft text")),
                "method": "written_comment",
                "purpose": world.text(public, &format!("{label}{version}: purpose")),
                "opens_at": opens,
                "closes_at": opens + Duration::days(31),
                "channels": ["电子邮件 mzj@yuanmou.gov.cn"],
                "contact": "县民政局社会救助股，0878-8211234",
                "meeting_topic": "县人民政府常务会议审议实施细则",
            })
        };
        // Drafted first with other words, which stay internal; edited before it opens.
        let first = body(self, false, ", its first draft");
        let id = self.post(&drafter, "/api/v1/consultations", first).await["id"].as_str().unwrap().to_owned();
        let edited = body(self, public, "");
        self.put(&drafter, &format!("/api/v1/consultations/{id}"), edited).await;
        if !public {
            self.ledger.secret_id(&id, label.clone());
        }
        self.consultations.push(Record { id: id.clone(), public, origin: label.clone() });
        if bits.attachment {
            let path = format!("/api/v1/consultations/{id}/attachments");
            self.upload(&drafter, &path, public, &format!("{label}: file"), true).await;
        }
        if target == Draft {
            return;
        }
        self.post(&drafter, &format!("/api/v1/consultations/{id}/open"), json!({})).await;
        if target == Upcoming {
            return;
        }
        let results_public = target == ResultsPublished;
        let mut comments = Vec::new();
        for (k, comment) in bits.comments.iter().enumerate() {
            let id = self.comment(&id, &format!("{label}, comment #{k}"), comment, &officer, results_public).await;
            comments.push((id, comment.moderation == Moderation::Hidden));
        }
        // One cluster of the comments (the hidden ones too, where the API takes them), its
        // title and result public only with the results.
        let title = self.text(results_public, &format!("{label}, cluster: title"));
        let path = format!("/api/v1/consultations/{id}/clusters");
        let all: Vec<&String> = comments.iter().map(|(c, _)| c).collect();
        let response = self
            .app
            .http
            .post(self.app.url(&path))
            .bearer_auth(&officer)
            .json(&json!({"title": title, "comment_ids": all}))
            .send()
            .await
            .unwrap();
        let cluster = if response.status().is_success() {
            response.json::<Value>().await.unwrap()
        } else {
            let shown: Vec<&String> = comments.iter().filter(|(_, hidden)| !hidden).map(|(c, _)| c).collect();
            self.post(&officer, &path, json!({"title": title, "comment_ids": shown})).await
        };
        let cluster = cluster["id"].as_str().unwrap().to_owned();
        let reason = self.text(results_public, &format!("{label}, cluster: reason of its result"));
        let result = json!({"result": "not_adopted", "reason": reason});
        self.post(&officer, &format!("/api/v1/consultation-clusters/{cluster}/result"), result).await;
        if matches!(target, Closed | ResultsPublished) {
            let close = json!({"reason": "县人民政府常务会议提前审议，经批准提前结束"});
            self.post(&officer, &format!("/api/v1/consultations/{id}/close"), close).await;
        }
        if results_public {
            let summary = self.text(true, &format!("{label}: results summary"));
            self.post(&officer, &format!("/api/v1/consultations/{id}/publish-results"), json!({"summary": summary}))
                .await;
        }
    }

    async fn comment(
        &mut self,
        consultation: &str,
        label: &str,
        bits: &CommentBits,
        officer: &str,
        results: bool,
    ) -> String {
        let hidden = bits.moderation == Moderation::Hidden;
        let withheld = bits.moderation == Moderation::Withheld;
        let shown_as_written = bits.moderation == Moderation::None || withheld;
        let text = self.text(shown_as_written, &format!("{label}: text"));
        let clause = format!("第{}条", self.text(!withheld && !hidden, &format!("{label}: clause")));
        let mut body = json!({"text": text, "clause_ref": clause, "publish_name": bits.publish_name});
        let mut allowed = HashSet::new();
        if bits.named {
            let public_name = bits.publish_name && !withheld && !hidden;
            let name = if public_name {
                self.ledger.marker(format!("{label}: commenter's name, published with consent"))
            } else {
                self.ledger.secret(format!("{label}: commenter's name"))
            };
            allowed.insert(name.clone());
            body["name"] = json!(format!("市民{name}"));
        }
        if bits.contact {
            body["contact"] = json!(self.ledger.phone(&format!("{label}: commenter's contact")));
        }
        let path = format!("/api/v1/public/consultations/{consultation}/comments");
        let (status, receipt) = self.public_post("comment_on_consultation", &path, body, allowed).await;
        assert_eq!(status, 201, "world: {label}: {receipt}");
        let id = receipt["id"].as_str().unwrap().to_owned();
        if hidden {
            self.ledger.secret_id(&id, label.to_owned());
            self.allow_last(&id);
        }
        let reason = self.ledger.secret_text(&format!("{label}: moderation reason"));
        let moderation = match bits.moderation {
            Moderation::None => None,
            Moderation::Hidden => Some(json!({"hidden": true, "reason": reason})),
            Moderation::Redacted => {
                let shown = self.text(true, &format!("{label}: text as published after redaction"));
                Some(json!({"hidden": false, "published_body": shown, "reason": reason}))
            }
            Moderation::Withheld => {
                Some(json!({"hidden": false, "withhold_name": true, "withhold_clause_ref": true, "reason": reason}))
            }
        };
        if let Some(moderation) = moderation {
            self.post(officer, &format!("/api/v1/consultation-comments/{id}/moderate"), moderation).await;
        }
        // Every published comment has its result before the results are published.
        let result = if results && !hidden { bits.result.max(1) } else { bits.result };
        if result > 0 && !hidden {
            let reason = self.text(results, &format!("{label}: reason of its result"));
            let outcome = ["adopted", "partially_adopted", "not_adopted"][result - 1];
            let body = json!({"result": outcome, "reason": reason});
            self.post(officer, &format!("/api/v1/consultation-comments/{id}/result"), body).await;
        }
        id
    }

    async fn incident(&mut self, n: usize, target: IncidentTarget, bits: &IncidentBits) {
        use IncidentTarget::*;
        let label = format!("incident #{n} ({target:?})");
        let officer = self.depts[bits.org].officer.clone();
        let link = format!("https://bbs.example.cn/t/{}", self.ledger.secret(format!("{label}: source link")));
        let body = json!({
            "source": SOURCES[bits.source],
            "summary": self.ledger.secret_text(&format!("{label}: summary")),
            "detected_at": Utc::now() - Duration::minutes(30),
            "event_level": LEVELS[bits.level],
            "involved_organization_ids": [self.depts[bits.org].id],
            "source_link": link,
        });
        let id = self.post(&officer, "/api/v1/opinion-incidents", body).await["id"].as_str().unwrap().to_owned();
        let path = |action: &str| format!("/api/v1/opinion-incidents/{id}/{action}");
        let (class, needed) = CLASSES[bits.class];
        let responding = matches!(target, Responded | Evaluated);
        let releases = bits.releases + usize::from(responding);
        for k in 0..releases {
            let release_label = format!("{label}, release #{k}");
            let body = json!({
                "kind": if k == 0 { needed } else { "follow_up" },
                "channel": self.text(true, &format!("{release_label}: channel")),
                "title": self.text(true, &format!("{release_label}: title")),
                "content": self.text(true, &format!("{release_label}: content")),
            });
            let release = self.post(&officer, &path("releases"), body).await["id"].as_str().unwrap().to_owned();
            if k == 0 && bits.release_file {
                let file_path = format!("/api/v1/opinion-releases/{release}/attachments");
                self.upload(&officer, &file_path, true, &format!("{release_label}: file"), false).await;
            }
        }
        if target == Collected {
            return;
        }
        let consult = json!({"participants": self.ledger.secret(format!("{label}: participants")),
            "minutes": self.ledger.secret_text(&format!("{label}: minutes of the consultation"))});
        self.post(&officer, &path("consult"), consult).await;
        if target == Consulted {
            return;
        }
        let notes = self.ledger.secret_text(&format!("{label}: assessment notes"));
        self.post(&officer, &path("assess"), json!({"handling_class": class, "notes": notes})).await;
        if class == "false_information" {
            let referral = json!({"authority": "police", "notes": self.ledger.secret_text(&format!("{label}: referral")),
                "reference": self.ledger.secret(format!("{label}: referral reference"))});
            self.post(&officer, &path("referrals"), referral).await;
        }
        if !responding {
            return;
        }
        self.post(&officer, &path("respond"), json!({})).await;
        if target == Evaluated {
            let notes = self.ledger.secret_text(&format!("{label}: evaluation notes"));
            self.post(&officer, &path("evaluate"), json!({"notes": notes})).await;
        }
    }

    async fn message(&mut self, n: usize, target: MessageTarget, bits: &MessageBits) {
        use MessageTarget::*;
        let label = format!("message #{n} ({target:?})");
        let published = matches!(target, Published | PublishedRedacted);
        let consent = matches!(target, RepliedConsenting | Published | PublishedRedacted | Withdrawn);
        let mut body = json!({
            "organization_id": self.depts[bits.org].id,
            "subject": self.text(published, &format!("{label}: subject")),
            "body": self.text(target == Published, &format!("{label}: body")),
            "publish_consent": consent,
        });
        let mut allowed = HashSet::new();
        if bits.named {
            let name = self.ledger.secret(format!("{label}: sender's name"));
            allowed.insert(name.clone());
            body["name"] = json!(format!("李{name}"));
        }
        if bits.contact {
            body["contact"] = json!(self.ledger.phone(&format!("{label}: sender's contact")));
        }
        let (status, receipt) = self.public_post("send_public_message", "/api/v1/public/messages", body, allowed).await;
        assert_eq!(status, 201, "world: {label}: {receipt}");
        let id = receipt["id"].as_str().unwrap().to_owned();
        if !published {
            self.ledger.secret_id(&id, label.clone());
            self.allow_last(&id);
        }
        if target == Received {
            return;
        }
        let officer = self.depts[bits.org].officer.clone();
        let reply = self.text(published, &format!("{label}: reply"));
        self.post(&officer, &format!("/api/v1/messages/{id}/reply"), json!({"reply_text": reply})).await;
        let publication = match target {
            Published | Withdrawn => json!({}),
            PublishedRedacted => json!({"body": self.text(true, &format!("{label}: body as published"))}),
            _ => return,
        };
        self.post(&officer, &format!("/api/v1/messages/{id}/publication"), publication).await;
        if target == Withdrawn {
            let reason = self.ledger.secret(format!("{label}: reason of withdrawal"));
            self.post(&officer, &format!("/api/v1/messages/{id}/withdraw-publication"), json!({"reason": reason}))
                .await;
        }
    }

    async fn open_day(&mut self, cancelled: bool, registrations: usize) {
        let label = format!("open day ({})", if cancelled { "cancelled" } else { "announced" });
        let officer = self.depts[0].officer.clone();
        let starts = World::soon(10);
        let body = json!({"title": format!("政府开放日{}", self.text(true, &format!("{label}: title"))),
            "description": self.text(true, &format!("{label}: description")), "location": "县民政局三楼",
            "starts_at": starts, "ends_at": starts + Duration::hours(3),
            "registration_closes_at": starts - Duration::days(1), "capacity": 20});
        let id = self.post(&officer, "/api/v1/open-days", body).await["id"].as_str().unwrap().to_owned();
        for k in 0..registrations {
            let name = self.ledger.secret(format!("{label}, registration #{k}: name"));
            let contact = self.ledger.phone(&format!("{label}, registration #{k}"));
            let body = json!({"name": format!("王{name}"), "contact": contact, "party_size": 2});
            let path = format!("/api/v1/public/open-days/{id}/registrations");
            let allowed = HashSet::from([name]);
            let (status, receipt) = self.public_post("register_for_open_day", &path, body, allowed).await;
            assert_eq!(status, 201, "world: {label}: {receipt}");
            let registration = receipt["id"].as_str().unwrap().to_owned();
            self.ledger.secret_id(&registration, format!("{label}, registration #{k}"));
            self.allow_last(&registration);
        }
        if cancelled {
            let reason = self.text(true, &format!("{label}: reason of cancellation"));
            self.post(&officer, &format!("/api/v1/open-days/{id}/cancel"), json!({"reason": reason})).await;
        }
        self.open_days.push((id, cancelled));
    }
}
