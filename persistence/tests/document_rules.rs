//! The rules of a document row that migration -000160 moved from 16 CHECK constraints into the
//! `documents_rules` trigger (issue 11), and the public list's trigger that now decides inside its
//! function whether an update changes the kept row. Checked with SQL as anyone writing to the
//! database would send it.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use persistence::test_databases::TestDatabase;
use persistence::StoreError;
use uuid::Uuid;

mod common;
use common::{organization, text};

async fn draft(conn: &mut AsyncPgConnection) -> (Uuid, Uuid) {
    let id = common::draft(conn, "NULL").await;
    let org = text(conn, &format!("SELECT issuing_org_id::text AS value FROM documents WHERE id = '{id}'")).await;
    (org.parse().unwrap(), id)
}

/// Asserts that `result` is PostgreSQL's check violation of the rule `constraint` of `documents`,
/// as the CHECK constraint reported it.
fn assert_refused_by(result: &Result<usize, DieselError>, constraint: &str, what: &str) {
    match result {
        Err(DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info)) => {
            assert_eq!(info.constraint_name(), Some(constraint), "{what}");
            assert_eq!(info.table_name(), Some("documents"), "{what}");
        }
        other => panic!("{what}: expected the check violation {constraint}, got {other:?}"),
    }
}

/// Each rule, broken alone by an UPDATE of a valid draft, with the name of the CHECK it was.
const BROKEN: &[(&str, &str)] = &[
    ("body = repeat('字', 200001)", "documents_body_check"),
    ("category = 'notice'", "documents_category_check"),
    ("drafting_org_ids = '{}'", "documents_check"),
    ("status = 'published', formed_on = current_date, published_at = NULL", "documents_check1"),
    ("status = 'approved', formed_on = NULL", "documents_check2"),
    ("validity = 'repealed', validity_changed_on = current_date", "documents_check3"),
    ("disclosure = 'secret'", "documents_disclosure_check"),
    ("disclosure_reason = repeat('字', 2001)", "documents_disclosure_reason_check"),
    ("doc_kind = 'memo'", "documents_doc_kind_check"),
    ("doc_number = '   '", "documents_doc_number_check"),
    ("exemption = 'commercial'", "documents_exemption_check"),
    ("issuing_authority = 'village'", "documents_issuing_authority_check"),
    ("legal_basis = repeat('字', 2001)", "documents_legal_basis_check"),
    ("status = 'archived'", "documents_status_check"),
    ("title = '  '", "documents_title_check"),
    ("validity = 'lost', validity_changed_on = current_date, validity_reason = '废止'", "documents_validity_check"),
];

#[tokio::test]
async fn every_rule_refuses_its_row_as_the_check_constraint_did() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let (_, id) = draft(&mut conn).await;
    for (set, constraint) in BROKEN {
        let refused =
            diesel::sql_query(format!("UPDATE documents SET {set} WHERE id = '{id}'")).execute(&mut conn).await;
        assert_refused_by(&refused, constraint, set);
        // The service's own mapping of it: a conflict naming the rule.
        let mapped = StoreError::from(refused.unwrap_err());
        assert!(matches!(&mapped, StoreError::Conflict { constraint: c } if c == constraint), "{mapped:?}");
    }
    // Nothing was written, and rows at each rule's limits are accepted, as is a NULL (it passes a
    // CHECK too).
    assert_eq!(text(&mut conn, &format!("SELECT version::text AS value FROM documents WHERE id = '{id}'")).await, "1");
    let at_the_limits = [
        "body = repeat('字', 200000), title = repeat('题', 500), doc_number = repeat('号', 100)",
        "disclosure_reason = repeat('字', 2000), legal_basis = repeat('字', 2000), exemption = 'third_party'",
        "exemption = NULL, disclosure = 'not_public', status = 'approved', formed_on = current_date",
        "validity = 'repealed', validity_changed_on = current_date, validity_reason = '已废止'",
    ];
    for set in at_the_limits {
        let accepted = format!("UPDATE documents SET {set}, version = version + 1 WHERE id = '{id}'");
        assert_eq!(diesel::sql_query(accepted).execute(&mut conn).await.unwrap(), 1, "{set}");
    }
    assert_eq!(text(&mut conn, &format!("SELECT version::text AS value FROM documents WHERE id = '{id}'")).await, "5");
    let refused_insert = diesel::sql_query(
        "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
         drafting_org_ids, category, status) SELECT gen_random_uuid(), title, body, issuing_org_id, \
         issuing_authority, lead_drafting_org_id, drafting_org_ids, category, 'archived' FROM documents",
    )
    .execute(&mut conn)
    .await;
    assert_refused_by(&refused_insert, "documents_status_check", "the INSERT");
    assert_eq!(text(&mut conn, "SELECT count(*)::text AS value FROM documents").await, "1");
    // Also where triggers of replication are off, as bulk loads turn them off (the rules are
    // enabled ALWAYS).
    diesel::sql_query("SET session_replication_role = replica").execute(&mut conn).await.unwrap();
    let replica = diesel::sql_query(format!("UPDATE documents SET category = 'notice' WHERE id = '{id}'"))
        .execute(&mut conn)
        .await;
    assert_refused_by(&replica, "documents_category_check", "under replica role");
    diesel::sql_query("RESET session_replication_role").execute(&mut conn).await.unwrap();
    // The rules live in the trigger alone: a CHECK put back would be read again by every write.
    let checks =
        "SELECT count(*)::text AS value FROM pg_constraint WHERE conrelid = 'documents'::regclass AND contype = 'c'";
    assert_eq!(text(&mut conn, checks).await, "0");
}

#[tokio::test]
async fn the_public_list_row_is_rewritten_only_when_what_it_shows_changes() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let (_, id) = draft(&mut conn).await;
    let other_org = organization(&mut conn, "元谋县财政局").await;
    let update = |set: &str| format!("UPDATE documents SET {set} WHERE id = '{id}'");
    let kept = format!("SELECT xmin::text AS value FROM public_document_list WHERE id = '{id}'");
    // The kept row is what `public_document_list_write` makes of the document now.
    let current = format!(
        "SELECT ((l.issuing_org_id, l.category, l.formed_year, l.title, l.summary) IS NOT DISTINCT FROM \
         (d.issuing_org_id, d.category, formed_year(d.formed_on), d.title, public_document_summary(d)))::text AS value \
         FROM public_document_list l JOIN documents d USING (id) WHERE id = '{id}'"
    );
    diesel::sql_query(update(
        "status = 'published', disclosure = 'proactive', formed_on = current_date, published_at = now()",
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(text(&mut conn, &current).await, "true");

    // A new version, a due date or the body: not in the list's row, which stays as it was.
    let listed = text(&mut conn, &kept).await;
    for set in ["version = version + 1", "publish_due_on = current_date + 20", "body = '新的正文'"] {
        diesel::sql_query(update(set)).execute(&mut conn).await.unwrap();
        assert_eq!(text(&mut conn, &kept).await, listed, "{set}");
    }
    // Each column the list shows or filters on (the id cannot change under its references): the
    // row is written again, as the document now is.
    let shown = [
        "disclosure = 'public_release'".to_owned(),
        "doc_number = '元农发〔2026〕7号'".to_owned(),
        "title = '关于调整管护资金的通知'".to_owned(),
        format!("issuing_org_id = '{other_org}'"),
        "issuing_authority = 'county_government'".to_owned(),
        "category = 'service'".to_owned(),
        "doc_kind = 'normative'".to_owned(),
        "is_policy = true".to_owned(),
        "formed_on = current_date - 400".to_owned(),
        "published_at = now() - interval '1 day'".to_owned(),
        "validity = 'expired', validity_changed_on = current_date, validity_reason = '到期'".to_owned(),
        "validity_changed_on = current_date - 1".to_owned(),
        "validity_reason = '有效期届满'".to_owned(),
    ];
    let mut before = listed;
    for set in &shown {
        diesel::sql_query(update(set)).execute(&mut conn).await.unwrap();
        let after = text(&mut conn, &kept).await;
        assert_ne!(after, before, "{set}");
        assert_eq!(text(&mut conn, &current).await, "true", "{set}");
        before = after;
    }
    // No longer public: the row goes.
    diesel::sql_query(update("disclosure = 'on_request'")).execute(&mut conn).await.unwrap();
    let gone = format!("SELECT count(*)::text AS value FROM public_document_list WHERE id = '{id}'");
    assert_eq!(text(&mut conn, &gone).await, "0");
}
