//! Issue 11's cuts to the document acts' round trips, held to the answers the acts gave before:
//! the permission check now runs on the row an act locks, and the act's independent statements
//! are sent together.

use e2e::expect_problem;
use serde_json::json;

use crate::documents::{ok, County};

/// The act `action` with `If-Match: etag`.
async fn act_if_match(c: &County, token: &str, id: &str, action: &str, etag: &str) -> reqwest::Response {
    c.app
        .http
        .post(c.app.url(&format!("/api/v1/documents/{id}/{action}")))
        .bearer_auth(token)
        .header("If-Match", etag)
        .send()
        .await
        .unwrap()
}

async fn etag_of(c: &County, id: &str) -> String {
    let response = c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}")).await;
    assert_eq!(response.status(), 200);
    response.headers()["etag"].to_str().unwrap().to_owned()
}

/// Bumps the document's version without changing its state: a review of the caller's kind.
async fn review(c: &County, token: &str, id: &str, kind: &str) {
    let reviewed = c.post(token, &format!("/api/v1/documents/{id}/{kind}-review"), json!({"passed": true})).await;
    assert_eq!(reviewed.status(), 200, "{:?}", reviewed.text().await);
}

/// With a stale If-Match, a caller who may not see the document still learns nothing (404), one
/// who sees it but may not act is refused (403), and only one who may act hears that it changed
/// (412): the check on the locked row runs before the version comparison, as the read before the
/// transaction did.
#[actix_web::test]
async fn a_stale_if_match_answers_404_then_403_then_412() {
    let c = County::new().await;
    let id = c.create(c.draft(Some("proactive"), false)).await["id"].as_str().unwrap().to_owned();
    let stale = etag_of(&c, &id).await;
    review(&c, &c.officer, &id, "openness").await;
    expect_problem(act_if_match(&c, &c.stranger, &id, "submit", &stale).await, 404, "not_found").await;
    expect_problem(act_if_match(&c, &c.principal, &id, "submit", &stale).await, 403, "forbidden").await;
    expect_problem(act_if_match(&c, &c.drafter, &id, "submit", &stale).await, 412, "stale_version").await;
    assert_eq!(ok(c.act(&c.drafter, &id, "submit").await).await["outcome"], "submitted");

    let stale = etag_of(&c, &id).await;
    let late_review =
        c.post(&c.officer, &format!("/api/v1/documents/{id}/openness-review"), json!({"passed": true})).await;
    assert_eq!(late_review.status(), 409, "no openness review once submitted: {:?}", late_review.text().await);
    let approved = ok(act_if_match(&c, &c.principal, &id, "approve", &stale).await).await;
    let stale = etag_of(&c, &id).await;
    review(&c, &c.officer, &id, "secrecy").await;
    expect_problem(act_if_match(&c, &c.stranger, &id, "publish", &stale).await, 404, "not_found").await;
    expect_problem(act_if_match(&c, &c.drafter, &id, "publish", &stale).await, 403, "forbidden").await;
    expect_problem(act_if_match(&c, &c.officer, &id, "publish", &stale).await, 412, "stale_version").await;
    let document = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["status"], "approved", "nothing was published");
    assert_eq!(document["version"].as_i64(), approved["version"].as_i64().map(|v| v + 1), "only the review's bump");
}

/// A refusal by the schema in the first of the statements sent together keeps its own answer,
/// not the error of a statement after it; a draft naming an unknown issuer is still a field error.
#[actix_web::test]
async fn the_first_statements_refusal_keeps_its_answer() {
    let c = County::new().await;
    let draft = c.draft(Some("proactive"), false);
    c.create(draft.clone()).await;
    let duplicate = c.post(&c.drafter, "/api/v1/documents", draft).await;
    expect_problem(duplicate, 409, "doc_number_taken").await;
    let mut unknown_issuer = c.draft(Some("proactive"), false);
    unknown_issuer["issuing_org_id"] = json!(uuid::Uuid::now_v7());
    let refused =
        expect_problem(c.post(&c.drafter, "/api/v1/documents", unknown_issuer).await, 422, "validation_failed").await;
    assert_eq!(refused["errors"]["organization_ids"][0]["code"], "not_found", "{refused}");
}

/// Issue 11 sends the statements of an act that do not depend on each other together (the
/// document's change, its review row and its audit row): a failure of any of them, first or
/// last, must still leave nothing written.
#[actix_web::test]
async fn a_failure_in_any_statement_sent_together_writes_nothing() {
    let c = County::new().await;
    let app = &c.app;
    let count = |sql: String| async move { app.scalar(&sql).await };
    c.app
        .execute_batch(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.action IN ('document.create', 'document.submit', 'document.secrecy_review') \
             THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        )
        .await;
    let draft = c.draft(Some("proactive"), false);
    let number = draft["doc_number"].as_str().unwrap().to_owned();
    assert_eq!(c.post(&c.drafter, "/api/v1/documents", draft).await.status(), 500);
    assert_eq!(
        count(format!("SELECT count(*) AS n FROM documents WHERE doc_number = '{number}'")).await,
        0,
        "no document"
    );

    c.app.execute_batch("DROP TRIGGER refuse_audit ON audit_log").await;
    let created = c.create(c.draft(Some("proactive"), false)).await;
    let id = created["id"].as_str().unwrap().to_owned();
    c.app
        .execute_batch(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        )
        .await;
    assert_eq!(c.act(&c.drafter, &id, "submit").await.status(), 500);
    let document = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!((&document["status"], &document["version"]), (&json!("draft"), &created["version"]), "not submitted");

    // The document's own change refused, the audit row sent after it must not stay.
    c.app
        .execute_batch(
            "DROP TRIGGER refuse_audit ON audit_log; \
             CREATE FUNCTION refuse_submission() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.status = 'submitted' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER refuse_submission BEFORE UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION refuse_submission()",
        )
        .await;
    assert_eq!(c.act(&c.drafter, &id, "submit").await.status(), 500);
    let submits =
        format!("SELECT count(*) AS n FROM audit_log WHERE action = 'document.submit' AND entity_id = '{id}'");
    assert_eq!(count(submits.clone()).await, 0, "no audit row for a submission that did not happen");

    c.app.execute_batch("DROP TRIGGER refuse_submission ON documents").await;
    assert_eq!(ok(c.act(&c.drafter, &id, "submit").await).await["outcome"], "submitted");
    assert_eq!(count(submits).await, 1);
    let approved = ok(c.act(&c.principal, &id, "approve").await).await;
    c.app
        .execute_batch(
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        )
        .await;
    let review = c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    assert_eq!(review.status(), 500);
    let reviews = format!("SELECT count(*) AS n FROM document_reviews WHERE document_id = '{id}' AND kind = 'secrecy'");
    assert_eq!(count(reviews).await, 0, "no review row");
    let document = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["version"], approved["version"], "the version was not bumped");

    // The first statement refused: the review row. The audit row and the bump sent after it
    // must not stay.
    c.app
        .execute_batch(
            "DROP TRIGGER refuse_audit ON audit_log; \
             CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault'; END $$; \
             CREATE TRIGGER refuse_review BEFORE INSERT ON document_reviews FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
        )
        .await;
    let review = c.post(&c.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
    assert_eq!(review.status(), 500);
    let audited =
        format!("SELECT count(*) AS n FROM audit_log WHERE action = 'document.secrecy_review' AND entity_id = '{id}'");
    assert_eq!(count(audited).await, 0, "no audit row for a review that did not happen");
    let document = ok(c.get(Some(&c.drafter), &format!("/api/v1/documents/{id}")).await).await;
    assert_eq!(document["version"], approved["version"], "the version was not bumped");

    // Likewise the document's INSERT on create, with its audit row after it.
    let creations = "SELECT count(*) AS n FROM audit_log WHERE action = 'document.create'".to_owned();
    let before = count(creations.clone()).await;
    c.app
        .execute_batch(
            "CREATE TRIGGER refuse_document BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
        )
        .await;
    assert_eq!(c.post(&c.drafter, "/api/v1/documents", c.draft(Some("proactive"), false)).await.status(), 500);
    assert_eq!(count(creations).await, before, "no audit row for a document that was not created");
}
