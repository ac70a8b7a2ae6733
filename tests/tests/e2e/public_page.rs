//! The public page of one document, read in one statement (issue 11), and the search vectors kept
//! by a trigger instead of generated columns: what the public sees must not change with either.

use crate::documents::{ok, package, png, County};
use serde_json::{json, Value};

/// The fields of a file on the public page, and nothing else (no storage key, no uploader).
fn public_file(uploaded: &Value) -> Value {
    json!({
        "id": uploaded["id"],
        "filename": uploaded["filename"],
        "media_type": uploaded["media_type"],
        "size_bytes": uploaded["size_bytes"],
        "sha256": uploaded["sha256"],
    })
}

impl County {
    async fn attach(&self, path: &str, filename: &str, extra: usize) -> Value {
        let response = self.upload(&self.drafter, path, filename, png(extra)).await;
        assert_eq!(response.status(), 201, "{path}");
        response.json().await.unwrap()
    }

    async fn publish(&self, id: &str) {
        assert_eq!(ok(self.act(&self.drafter, id, "submit").await).await["outcome"], "submitted");
        ok(self.act(&self.principal, id, "approve").await).await;
        let path = format!("/api/v1/documents/{id}/secrecy-review");
        assert_eq!(self.post(&self.officer, &path, json!({"passed": true})).await.status(), 200);
        ok(self.act(&self.officer, id, "publish").await).await;
    }

    /// Documents whose kept page extras differ from what their files and interpretations give
    /// (a missing row counts as NULL extras).
    async fn stale_page_extras(&self) -> i64 {
        self.app
            .scalar(
                "SELECT count(*) AS n FROM documents d LEFT JOIN document_page_extras x ON x.document_id = d.id \
                 WHERE x.extras IS DISTINCT FROM document_page_extras_of(d.id)",
            )
            .await
    }

    /// Rows whose stored search vectors differ from what their text gives (a missing whole-text
    /// row counts as NULL).
    async fn stale_search_vectors(&self) -> i64 {
        self.app
            .scalar(
                "SELECT (SELECT count(*) FROM documents d LEFT JOIN document_text_vectors v ON v.id = d.id \
                     WHERE d.search_title IS DISTINCT FROM to_tsvector('simple', search_terms(d.title)) \
                     OR v.search_all IS DISTINCT FROM to_tsvector('simple', \
                     search_terms(d.title || ' ' || coalesce(d.doc_number, '') || ' ' || d.body))) \
                 + (SELECT count(*) FROM interpretations i LEFT JOIN interpretation_text_vectors v ON v.id = i.id \
                     WHERE i.search_title IS DISTINCT FROM to_tsvector('simple', search_terms(i.title)) \
                     OR v.search_all IS DISTINCT FROM to_tsvector('simple', search_terms(i.title || ' ' \
                     || coalesce(i.background_basis, '') || ' ' || coalesce(i.objectives, '') || ' ' \
                     || coalesce(i.main_content, '') || ' ' || coalesce(i.scope, '') || ' ' \
                     || coalesce(i.standards, '') || ' ' || coalesce(i.notes, '') || ' ' || coalesce(i.key_terms, '') \
                     || ' ' || coalesce(i.benefits, '') || ' ' || coalesce(i.changes, '')))) AS n",
            )
            .await
    }

    /// The transaction that last wrote the document's whole-text vector row.
    async fn text_vector_writer(&self, id: &str) -> i64 {
        self.app.scalar(&format!("SELECT xmin::text::bigint AS n FROM document_text_vectors WHERE id = '{id}'")).await
    }
}

#[actix_web::test]
async fn the_public_page_lists_the_files_of_the_document_and_of_each_published_interpretation_alone() {
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap();
    let first = c.attach(&format!("/api/v1/documents/{id}/attachments"), "低保政策图解.png", 10).await;
    let second = c.attach(&format!("/api/v1/documents/{id}/attachments"), "申请表.png", 20).await;
    // Uploaded by mistake and deleted before publication: it must not stay on the page.
    let mistake = c.attach(&format!("/api/v1/documents/{id}/attachments"), "错传.png", 40).await;
    let deleted = c
        .app
        .http
        .delete(c.app.url(&format!("/api/v1/attachments/{}", mistake["id"].as_str().unwrap())))
        .bearer_auth(&c.drafter)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let created = c.post(&c.drafter, &format!("/api/v1/documents/{id}/interpretations"), package()).await;
    assert_eq!(created.status(), 201);
    let interpretation: Value = created.json().await.unwrap();
    let iid = interpretation["id"].as_str().unwrap();
    let graphic = c.attach(&format!("/api/v1/interpretations/{iid}/attachments"), "一图读懂.png", 30).await;
    let signed = c.post(&c.principal, &format!("/api/v1/interpretations/{iid}/sign"), json!({})).await;
    assert_eq!(signed.status(), 200);
    let unpublished = c.get(None, &format!("/api/v1/public/documents/{id}")).await;
    assert_eq!(unpublished.status(), 404);
    c.publish(id).await;

    // A follow-up with a file of its own, not yet published: neither it nor its file shows.
    let follow_up = c
        .post(
            &c.drafter,
            &format!("/api/v1/documents/{id}/interpretations"),
            json!({"stage": "follow_up", "title": "低保政策常见问题解答", "forms": ["qa"], "main_content": "认定标准"}),
        )
        .await;
    assert_eq!(follow_up.status(), 201);
    let follow_up: Value = follow_up.json().await.unwrap();
    let hidden = c
        .attach(&format!("/api/v1/interpretations/{}/attachments", follow_up["id"].as_str().unwrap()), "草稿.png", 5)
        .await;

    let page = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    assert_eq!(page["attachments"], json!([public_file(&first), public_file(&second)]), "oldest first, public fields");
    let published = page["interpretations"].as_array().unwrap();
    assert_eq!(published.len(), 1, "the unpublished follow-up stays out: {page}");
    let shown = &published[0];
    let mut keys: Vec<&str> = shown.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attachments",
            "background_basis",
            "benefits",
            "changes",
            "forms",
            "id",
            "key_terms",
            "main_content",
            "notes",
            "objectives",
            "published_at",
            "scope",
            "stage",
            "standards",
            "title"
        ]
    );
    assert_eq!(shown["id"], json!(iid));
    assert_eq!(shown["stage"], "initial");
    assert_eq!(shown["forms"], json!(["article", "graphic"]));
    assert_eq!(shown["background_basis"], "依据《社会救助暂行办法》和省、州有关规定");
    assert_eq!(shown["objectives"], Value::Null);
    assert_eq!(shown["published_at"], page["published_at"], "one instant, written the same way");
    assert_eq!(shown["attachments"], json!([public_file(&graphic)]));
    assert!(!page.to_string().contains(hidden["id"].as_str().unwrap()), "an unpublished interpretation's file");

    // Published on its own later, the follow-up and its file appear, after the initial package.
    let fid = follow_up["id"].as_str().unwrap();
    assert_eq!(c.post(&c.principal, &format!("/api/v1/interpretations/{fid}/sign"), json!({})).await.status(), 200);
    let path = format!("/api/v1/interpretations/{fid}/secrecy-review");
    assert_eq!(c.post(&c.officer, &path, json!({"passed": true})).await.status(), 200);
    ok(c.post(&c.officer, &format!("/api/v1/interpretations/{fid}/publish"), json!({})).await).await;
    let page = ok(c.get(None, &format!("/api/v1/public/documents/{id}")).await).await;
    let published = page["interpretations"].as_array().unwrap();
    assert_eq!(published.len(), 2);
    assert_eq!(published[1]["id"], json!(fid));
    assert_eq!(published[1]["forms"], json!(["qa"]));
    assert_eq!(published[1]["attachments"], json!([public_file(&hidden)]));
    assert_eq!(c.stale_page_extras().await, 0);

    // A document without files or interpretations has empty lists, not missing ones.
    let plain = c.create(c.draft(Some("proactive"), false)).await;
    let plain_id = plain["id"].as_str().unwrap();
    c.publish(plain_id).await;
    let page = ok(c.get(None, &format!("/api/v1/public/documents/{plain_id}")).await).await;
    assert_eq!((page["attachments"].clone(), page["interpretations"].clone()), (json!([]), json!([])));
    assert_eq!(c.stale_page_extras().await, 0);
}

/// Two transactions adding files to one document at once: the extras each writes must include
/// the other's file once both have committed (the second waits for the first, then reads again).
#[actix_web::test]
async fn files_added_at_once_by_two_transactions_are_both_on_the_page() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), false)).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    // An existing file, so the document's extras row exists before the two begin.
    c.attach(&format!("/api/v1/documents/{id}/attachments"), "原件.png", 10).await;
    let insert = |n: u32| {
        format!(
            "INSERT INTO attachments (id, owner_type, owner_id, filename, media_type, size_bytes, sha256, storage_key) \
             VALUES (gen_random_uuid(), 'document', '{id}', '附件{n}.pdf', 'application/pdf', 100, \
                     repeat('{n}', 64), 'test/{id}/{n}')"
        )
    };
    let mut first = AsyncPgConnection::establish(&c.app.db.url).await.unwrap();
    let mut second = AsyncPgConnection::establish(&c.app.db.url).await.unwrap();
    // The refresh runs at commit; SET CONSTRAINTS runs the first's now, so that the second's
    // commit meets its lock.
    first.batch_execute(&format!("BEGIN; {}; SET CONSTRAINTS ALL IMMEDIATE", insert(1))).await.unwrap();
    let later = insert(2);
    let waiting = tokio::spawn(async move {
        second.batch_execute(&format!("BEGIN; {later}; COMMIT")).await.unwrap();
    });
    // The second is blocked on the first's lock of the extras row until the first commits.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the second transaction waits for the first");
    first.batch_execute("COMMIT").await.unwrap();
    waiting.await.unwrap();
    let files = c
        .app
        .scalar(&format!(
            "SELECT json_array_length((extras::json) -> 'attachments')::bigint AS n \
             FROM document_page_extras WHERE document_id = '{id}'"
        ))
        .await;
    assert_eq!(files, 3);
    assert_eq!(c.stale_page_extras().await, 0);
}

#[actix_web::test]
async fn search_vectors_follow_the_text_through_edits_and_steps_and_cannot_be_written_directly() {
    let c = County::new().await;
    let mut body = c.draft(Some("proactive"), false);
    body["title"] = json!("元谋县民政局关于荔枝产业扶持资金申报的通知");
    let draft = c.create(body.clone()).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(c.stale_search_vectors().await, 0);
    let staff_titles = |query: &'static str| {
        let c = &c;
        async move {
            let found = c.app.get_ok(&c.officer, &format!("/api/v1/search?q={query}")).await;
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(staff_titles("荔枝").await.len(), 1);

    body["doc_number"] = draft["doc_number"].clone();
    body["title"] = json!("元谋县民政局关于芒果产业扶持资金申报的通知");
    body["body"] = json!("各乡（镇）：冬早蔬菜种植补贴同步申报。");
    let edited = c.app.http.put(c.app.url(&format!("/api/v1/documents/{id}"))).bearer_auth(&c.drafter).json(&body);
    ok(edited.send().await.unwrap()).await;
    assert_eq!(c.stale_search_vectors().await, 0);
    assert!(staff_titles("荔枝").await.is_empty(), "the old title's words are gone");
    assert_eq!(staff_titles("芒果").await.len(), 1);
    assert_eq!(staff_titles("冬早蔬菜").await.len(), 1, "the new body's words are found");

    // The text alone changes: the whole-text row is written again, and only then.
    let writer = c.text_vector_writer(id).await;
    body["body"] = json!("各乡（镇）：冬早蔬菜种植补贴同步申报，逾期不予受理。");
    let rewritten = c.app.http.put(c.app.url(&format!("/api/v1/documents/{id}"))).bearer_auth(&c.drafter).json(&body);
    ok(rewritten.send().await.unwrap()).await;
    assert_ne!(c.text_vector_writer(id).await, writer, "the body's change rewrote the whole-text vector");
    assert_eq!(c.stale_search_vectors().await, 0, "the body alone changed");
    assert_eq!(staff_titles("逾期不予受理").await.len(), 1, "found by its new body");
    // Once: the side row exists, so it is updated, not upserted (whose INSERT and UPDATE triggers
    // would both compute it).
    let mut conn = persistence::connection(&c.app.pool).await.unwrap();
    let edit =
        format!("SET track_functions = 'all'; BEGIN; UPDATE documents SET body = body || '。' WHERE id = '{id}'");
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, &edit).await.unwrap();
    let computed = "SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_xact_user_functions \
                    WHERE funcname = 'search_terms'";
    let computed = e2e::scalar_on(&mut conn, computed).await;
    diesel_async::SimpleAsyncConnection::batch_execute(&mut conn, "ROLLBACK; RESET track_functions").await.unwrap();
    assert_eq!(computed, 1, "a text edit computes its whole-text terms once");

    body["doc_number"] = json!("元民发〔2026〕荔枝1号");
    let renumbered = c.app.http.put(c.app.url(&format!("/api/v1/documents/{id}"))).bearer_auth(&c.drafter).json(&body);
    ok(renumbered.send().await.unwrap()).await;
    assert_eq!(c.stale_search_vectors().await, 0, "the number alone changed");
    assert_eq!(staff_titles("荔枝").await.len(), 1, "found by its new number");

    // An interpretation's element alone changes: its vectors follow.
    let policy = c.create(c.draft(Some("proactive"), true)).await;
    let policy_id = policy["id"].as_str().unwrap();
    let created = c.post(&c.drafter, &format!("/api/v1/documents/{policy_id}/interpretations"), package()).await;
    assert_eq!(created.status(), 201);
    let interpretation: Value = created.json().await.unwrap();
    let iid = interpretation["id"].as_str().unwrap();
    let mut edited_package = package();
    edited_package["changes"] = json!("新增甘蔗种植户纳入保障范围");
    let edited = c
        .app
        .http
        .put(c.app.url(&format!("/api/v1/interpretations/{iid}")))
        .bearer_auth(&c.drafter)
        .json(&edited_package);
    ok(edited.send().await.unwrap()).await;
    assert_eq!(c.stale_search_vectors().await, 0, "one element changed");
    let found = c.app.get_ok(&c.officer, "/api/v1/search?q=甘蔗种植").await;
    assert_eq!(found["items"][0]["id"], json!(iid), "{found}");

    // The steps of its life leave the whole-text vector's row alone (issue 11: it is not written
    // again, nor its GIN index's entries), yet they are found as before.
    let writer = c.text_vector_writer(id).await;
    c.publish(id).await;
    assert_eq!(c.stale_search_vectors().await, 0, "steps that leave the text alone keep its vectors");
    assert_eq!(c.text_vector_writer(id).await, writer, "no step rewrote the whole-text vector");
    let public = c.app.http.get(c.app.url("/api/v1/public/search?q=冬早蔬菜")).send().await.unwrap();
    let public: Value = public.json().await.unwrap();
    assert_eq!(public["items"][0]["id"], json!(id));

    // Like the generated columns before them, the vectors cannot be set to anything else, in the
    // row or in the whole text's table, nor a whole-text row be added for another text.
    c.app.execute_batch(&format!("UPDATE documents SET search_title = NULL WHERE id = '{id}'")).await;
    c.app.execute_batch(&format!("UPDATE document_text_vectors SET search_all = NULL WHERE id = '{id}'")).await;
    c.app
        .execute_batch(&format!(
            "UPDATE interpretation_text_vectors SET search_all = to_tsvector('simple', '荔枝') WHERE id = '{iid}'"
        ))
        .await;
    c.app
        .execute_batch(&format!(
            "INSERT INTO document_text_vectors (id, search_all) VALUES ('{id}', to_tsvector('simple', '荔枝')) \
             ON CONFLICT (id) DO UPDATE SET search_all = EXCLUDED.search_all"
        ))
        .await;
    assert_eq!(c.stale_search_vectors().await, 0);
    // Nor can a row be deleted or moved while its document exists, nor added for no document.
    let deleted = c.app.refused_batch(&format!("DELETE FROM document_text_vectors WHERE id = '{id}'")).await;
    assert!(deleted.contains("cannot be deleted or moved"), "{deleted}");
    let elsewhere = uuid::Uuid::now_v7();
    let moved = c
        .app
        .refused_batch(&format!("UPDATE interpretation_text_vectors SET id = '{elsewhere}' WHERE id = '{iid}'"))
        .await;
    assert!(moved.contains("cannot be deleted or moved"), "{moved}");
    let orphan = c
        .app
        .refused_batch(&format!("INSERT INTO document_text_vectors (id, search_all) VALUES ('{elsewhere}', '')"))
        .await;
    assert!(orphan.contains("foreign key"), "a row for no document is refused: {orphan}");
    assert_eq!(c.stale_search_vectors().await, 0);
    // Its interpretation deleted, its row goes with it.
    c.app.execute_batch(&format!("DELETE FROM interpretations WHERE id = '{iid}'")).await;
    let left = format!("SELECT count(*) AS n FROM interpretation_text_vectors WHERE id = '{iid}'");
    assert_eq!(c.app.scalar(&left).await, 0);
}

/// The body of `search_terms` before issue 11's rewrite, from its migration: the oracle the new
/// body must equal.
fn original_search_terms() -> String {
    let migration = include_str!("../../../migrations/2026-11-27-000003_search/up.sql");
    let start = migration.find("CREATE FUNCTION search_terms(").unwrap();
    let end = start + migration[start..].find("$$;").unwrap() + 3;
    migration[start..end].replace("search_terms(", "search_terms_before_issue_11(")
}

#[actix_web::test]
async fn search_terms_gives_what_it_gave_before_its_rewrite_for_every_kind_of_text() {
    let app = e2e::TestApp::spawn().await;
    app.execute_batch(&original_search_terms()).await;
    let long_run = "元谋县".repeat(6000);
    let samples = [
        "",
        "县",
        "元谋县",
        "ABC元谋",
        "ＡＢＣ１２３ 元谋县人民政府，你好！x",
        "〇一二三",
        "\u{F900}\u{F901}豈",
        "㍿株式会社",
        "abc DEF 12 中文，x",
        "元政办发〔2026〕12号 关于进一步做好城乡居民最低生活保障工作的通知",
        long_run.as_str(),
    ];
    for sample in samples {
        let quoted = sample.replace('\'', "''");
        let differs = app
            .scalar(&format!(
                "SELECT (search_terms('{quoted}') IS DISTINCT FROM search_terms_before_issue_11('{quoted}'))::int::bigint AS n"
            ))
            .await;
        assert_eq!(differs, 0, "{}", sample.chars().take(40).collect::<String>());
    }
    // PL/pgSQL keeps the body's plan for the session; a LANGUAGE sql body is planned on every call
    // from the search-vector triggers (issue 11, migration 2026-11-28-000090).
    let kept_plan = app
        .scalar(
            "SELECT count(*) AS n FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang \
             WHERE p.proname = 'search_terms' AND l.lanname = 'plpgsql'",
        )
        .await;
    assert_eq!(kept_plan, 1);
    let null_differs = app
        .scalar("SELECT (search_terms(NULL) IS DISTINCT FROM search_terms_before_issue_11(NULL))::int::bigint AS n")
        .await;
    assert_eq!(null_differs, 0);
    // Cut at 16,000 characters: 15,999 bigrams and the last character alone, between spaces.
    let length = app.scalar(&format!("SELECT length(search_terms('{long_run}'))::bigint AS n")).await;
    assert_eq!(length, 15_999 * 2 + 1 + 15_999);
}

/// The first file of a draft package, uploaded while another act holds the document and waits
/// for the package (the order `documents::submit` and others lock them in): the upload commits
/// and the other act goes on; no deadlock (the extras row has no foreign key to the document,
/// and is written at commit).
#[actix_web::test]
async fn the_first_file_of_a_package_does_not_deadlock_with_an_act_holding_its_document() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let c = County::new().await;
    let draft = c.create(c.draft(Some("proactive"), true)).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let created = c.post(&c.drafter, &format!("/api/v1/documents/{id}/interpretations"), package()).await;
    assert_eq!(created.status(), 201);
    let package: Value = created.json().await.unwrap();
    let iid = package["id"].as_str().unwrap().to_owned();
    let rows =
        c.app.scalar(&format!("SELECT count(*) AS n FROM document_page_extras WHERE document_id = '{id}'")).await;
    assert_eq!(rows, 0, "no file yet, no row");

    let mut act = AsyncPgConnection::establish(&c.app.db.url).await.unwrap();
    let mut upload = AsyncPgConnection::establish(&c.app.db.url).await.unwrap();
    act.batch_execute(&format!("BEGIN; SELECT 1 FROM documents WHERE id = '{id}' FOR UPDATE")).await.unwrap();
    upload.batch_execute(&format!("BEGIN; SELECT 1 FROM interpretations WHERE id = '{iid}' FOR SHARE")).await.unwrap();
    let package_lock = format!("SELECT 1 FROM interpretations WHERE id = '{iid}' FOR UPDATE; COMMIT");
    let waiting = tokio::spawn(async move { act.batch_execute(&package_lock).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the act waits for the upload's lock on the package");
    upload
        .batch_execute(&format!(
            "INSERT INTO attachments (id, owner_type, owner_id, filename, media_type, size_bytes, sha256, storage_key) \
             VALUES (gen_random_uuid(), 'interpretation', '{iid}', '图解.png', 'image/png', 100, repeat('a', 64), \
                     'test/{iid}'); COMMIT"
        ))
        .await
        .expect("the upload commits");
    waiting.await.unwrap().expect("the act goes on once the upload has committed");
    let rows =
        c.app.scalar(&format!("SELECT count(*) AS n FROM document_page_extras WHERE document_id = '{id}'")).await;
    assert_eq!(rows, 1);
    assert_eq!(c.stale_page_extras().await, 0);
}

/// Two transactions adding files to the same document at once: the later commit's kept extras
/// are read after the earlier's commit, so neither file is lost (migration -000100: the row is
/// locked first, then read by a later statement). Were the extras written by the statement that
/// waited for the lock, its snapshot, older than the other commit, would drop the other file.
#[actix_web::test]
async fn concurrent_uploads_to_one_document_both_reach_its_kept_extras() {
    use diesel_async::SimpleAsyncConnection;
    let app = e2e::TestApp::spawn().await;
    let admin = app.admin_token().await;
    let org = app.create_organization(&admin, "元谋县民政局", "department", None).await;
    let document = uuid::Uuid::now_v7();
    app.execute_batch(&format!(
        "INSERT INTO documents (id, title, body, issuing_org_id, issuing_authority, lead_drafting_org_id, \
           drafting_org_ids, category, disclosure, status, formed_on, published_at) \
         VALUES ('{document}', '元谋县民政局关于救助资金发放的通知', '现将有关事项通知如下。', '{org}', 'department', \
           '{org}', ARRAY['{org}'::uuid], 'service', 'proactive', 'published', current_date, now())"
    ))
    .await;
    let file = |name: &str| {
        format!(
            "INSERT INTO attachments (id, owner_type, owner_id, filename, media_type, size_bytes, sha256, storage_key) \
             VALUES ('{}', 'document', '{document}', '{name}.pdf', 'application/pdf', 1, repeat('a', 64), '{name}')",
            uuid::Uuid::now_v7()
        )
    };
    // The document's row of extras exists (the first file), so both later writers find it.
    app.execute_batch(&file("first")).await;

    let mut earlier = persistence::connection(&app.pool).await.unwrap();
    let mut later = persistence::connection(&app.pool).await.unwrap();
    // The earlier transaction refreshes the extras now and holds the row until it commits.
    earlier.batch_execute(&format!("BEGIN; {}; SET CONSTRAINTS ALL IMMEDIATE", file("earlier"))).await.unwrap();
    later.batch_execute(&format!("BEGIN; {}", file("later"))).await.unwrap();
    // The later one commits meanwhile: its deferred refresh waits for the row.
    let later_commit = later.batch_execute("COMMIT");
    let earlier_commit = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        earlier.batch_execute("COMMIT").await
    };
    let (later_result, earlier_result) = futures_util::future::join(later_commit, earlier_commit).await;
    later_result.unwrap();
    earlier_result.unwrap();
    drop((earlier, later));

    let names = app
        .scalar(&format!(
            "SELECT count(*) AS n FROM document_page_extras x, \
               json_array_elements(x.extras::json -> 'attachments') f \
             WHERE x.document_id = '{document}' AND f ->> 'filename' IN ('first.pdf', 'earlier.pdf', 'later.pdf')"
        ))
        .await;
    assert_eq!(names, 3, "every file is on the kept page");
    let stale = app
        .scalar(&format!(
            "SELECT count(*) AS n FROM document_page_extras \
             WHERE document_id = '{document}' AND extras IS DISTINCT FROM document_page_extras_of('{document}')"
        ))
        .await;
    assert_eq!(stale, 0);
}
