//! `gongkai admin backup` and `restore` (the library functions the commands call): a world built
//! over HTTP is backed up, restored into a fresh empty database and a fresh store, and every table
//! and every attachment's bytes are compared (with the attachments on the local disk, and in an S3
//! bucket restored into another bucket); restoring over data and a damaged object are refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::requests::{id_of, County};
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use e2e::publishing::{post_ok, Publisher};
use e2e::{resident_id, TestApp};
use object_store::path::Path as BlobPath;
use object_store::{ObjectStore, ObjectStoreExt};
use persistence::test_databases::TestDatabase;
use serde_json::json;

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n%%EOF\n").into_bytes()
}

/// Per table of the `public` schema: its row count and an MD5 of all its rows as text, in order.
async fn fingerprint(url: &str) -> BTreeMap<String, (i64, String)> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Content {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        md5: String,
    }
    let mut conn = AsyncPgConnection::establish(url).await.expect("connect");
    let names: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut tables = BTreeMap::new();
    for Name { name } in names {
        let sql = format!(
            "SELECT count(*) AS n, coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS md5 FROM public.\"{name}\" t"
        );
        let content: Content = diesel::sql_query(sql).get_result(&mut conn).await.unwrap();
        tables.insert(name, (content.n, content.md5));
    }
    tables
}

async fn object(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    store.get(&BlobPath::from(key)).await.expect("object").bytes().await.unwrap().to_vec()
}

fn fresh_store() -> (tempfile::TempDir, Arc<dyn ObjectStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    (dir, Arc::new(store))
}

/// Organizations, staff, a published document with two attachments, a disclosure request filed
/// online, and the audit rows of all of it.
async fn world() -> County {
    world_on(TestApp::spawn().await).await
}

async fn world_on(app: TestApp) -> County {
    let county = County::on(app).await;
    let (app, civil) = (&county.app, county.civil_affairs);
    let publisher = Publisher::create(app, &county.admin, civil, "bk").await;
    let draft = json!({
        "doc_number": "元民发〔2026〕31号", "title": "元谋县民政局关于城乡低保资金发放情况的公告",
        "body": "现将2026年城乡低保资金发放情况公告如下。", "issuing_org_id": civil,
        "issuing_authority": "department", "is_policy": false, "category": "service",
        "doc_kind": "other", "disclosure": "proactive",
    });
    let document = id_of(&post_ok(app, &publisher.drafter, "/api/v1/documents", draft).await);
    let path = format!("/api/v1/documents/{document}/attachments");
    for (name, text) in [("发放明细.pdf", "明细"), ("说明.pdf", "说明")] {
        assert_eq!(app.upload(Some(&publisher.drafter), &path, name, pdf(text)).await.status(), 201);
    }
    for (token, step, body) in [
        (&publisher.drafter, "submit", json!({})),
        (&publisher.principal, "approve", json!({})),
        (&publisher.officer, "secrecy-review", json!({"passed": true})),
        (&publisher.officer, "publish", json!({})),
    ] {
        post_ok(app, token, &format!("/api/v1/documents/{document}/{step}"), body).await;
    }
    county.file_online(county.application(&resident_id(4242))).await;
    // A password changed once, so that its history has a row to carry over.
    let change = json!({"username": "bk.d", "current_password": TestApp::password_of("bk.d"),
                        "new_password": "Changed-for-backup-1"});
    let response = app.http.post(app.url("/api/v1/auth/password")).json(&change).send().await.unwrap();
    assert_eq!(response.status(), 204);
    county
}

#[actix_web::test]
async fn a_backup_restores_into_an_empty_database_with_every_table_and_attachment_equal() {
    let county = world().await;
    let app = &county.app;
    let source_store = app.blob_store();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backup");

    let manifest = api::backup::backup(&app.db.url, source_store.as_ref(), &dir).await.expect("backup");
    let source = fingerprint(&app.db.url).await;
    assert_eq!(manifest.objects.len(), 2);
    assert_eq!(manifest.database.tables.len(), source.len(), "every table is counted");
    for (name, (rows, _)) in &source {
        assert_eq!(manifest.database.tables.get(name), Some(rows), "rows of {name} in the manifest");
    }
    assert!(source["audit_log"].0 > 0 && source["disclosure_requests"].0 == 1 && source["documents"].0 == 1);
    assert_eq!(source["password_history"].0, 1);
    assert_eq!(manifest.database.migrations.len(), persistence::pool::known_migrations().len());
    assert!(manifest.not_included[0].starts_with("keys are not included"));
    let err = api::backup::backup(&app.db.url, source_store.as_ref(), &dir).await.unwrap_err();
    assert!(err.contains("is not empty"), "{err}");

    // Over a database that holds data: refused, and nothing changes.
    let (_other_dir, other_store) = fresh_store();
    let err = api::backup::restore(&app.db.url, other_store.as_ref(), &dir, false).await.unwrap_err();
    assert!(err.starts_with("the target database is not empty ("), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(fingerprint(&app.db.url).await, source);

    // Into a fresh empty database and a fresh store: every table and every object equal.
    let target = TestDatabase::create_empty().await;
    let (_store_dir, target_store) = fresh_store();
    api::backup::restore(&target.url, target_store.as_ref(), &dir, false).await.expect("restore");
    let restored = fingerprint(&target.url).await;
    assert_eq!(restored.keys().collect::<Vec<_>>(), source.keys().collect::<Vec<_>>(), "the same tables");
    for (name, content) in &source {
        assert_eq!(&restored[name], content, "table {name}");
    }
    for entry in &manifest.objects {
        let bytes = object(target_store.as_ref(), &entry.storage_key).await;
        assert_eq!(bytes, object(source_store.as_ref(), &entry.storage_key).await, "{}", entry.storage_key);
    }

    // Restoring again over the restored copy needs --force, which replaces it.
    let err = api::backup::restore(&target.url, target_store.as_ref(), &dir, false).await.unwrap_err();
    assert!(err.starts_with("the target database is not empty"), "{err}");
    api::backup::restore(&target.url, target_store.as_ref(), &dir, true).await.expect("forced restore");
    assert_eq!(fingerprint(&target.url).await, source);
}

#[actix_web::test]
async fn a_damaged_backup_is_refused_before_anything_is_restored() {
    let county = world().await;
    let app = &county.app;
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backup");
    let manifest = api::backup::backup(&app.db.url, app.blob_store().as_ref(), &dir).await.expect("backup");
    let target = TestDatabase::create_empty().await;
    let (store_dir, store) = fresh_store();

    // One flipped byte in an object.
    let damaged = dir.join("objects").join(&manifest.objects[0].sha256);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[3] ^= 0x20;
    std::fs::write(&damaged, &bytes).unwrap();
    let err = api::backup::restore(&target.url, store.as_ref(), &dir, false).await.unwrap_err();
    assert!(err.contains(&format!("(attachment object {}) is damaged", manifest.objects[0].storage_key)), "{err}");
    assert!(err.ends_with("nothing was restored"), "{err}");
    assert!(persistence::backup::occupants(&target.url).await.unwrap().is_empty(), "the database is untouched");
    assert_eq!(std::fs::read_dir(store_dir.path()).unwrap().count(), 0, "the store is untouched");

    // A damaged dump, and a directory that is not a backup.
    bytes[3] ^= 0x20;
    std::fs::write(&damaged, &bytes).unwrap();
    let dump = dir.join("database.dump");
    let mut dumped = std::fs::read(&dump).unwrap();
    let last = dumped.len() - 1;
    dumped[last] ^= 1;
    std::fs::write(&dump, &dumped).unwrap();
    let err = api::backup::restore(&target.url, store.as_ref(), &dir, false).await.unwrap_err();
    assert!(err.contains("database.dump is damaged"), "{err}");
    let err = api::backup::restore(&target.url, store.as_ref(), work.path(), false).await.unwrap_err();
    assert!(err.contains("is not a Gongkai backup, or an incomplete one"), "{err}");
    assert!(persistence::backup::occupants(&target.url).await.unwrap().is_empty());
}

#[actix_web::test]
async fn a_backup_of_an_s3_bucket_restores_into_another_bucket_with_every_table_and_object_equal() {
    let moto = e2e::moto::Moto::start();
    moto.create_bucket("gongkai-live").await;
    moto.create_bucket("gongkai-restored").await;
    let county = world_on(TestApp::spawn_with_s3(moto.settings("gongkai-live")).await).await;
    let app = &county.app;
    let live_keys = moto.keys("gongkai-live").await;
    assert_eq!(live_keys.len(), 2, "the attachments are in the bucket: {live_keys:?}");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("backup");

    let manifest = api::backup::backup(&app.db.url, app.blob_store().as_ref(), &dir).await.expect("backup");
    assert_eq!(manifest.objects.len(), 2);
    let source = fingerprint(&app.db.url).await;

    let target = TestDatabase::create_empty().await;
    let store_dir = tempfile::tempdir().unwrap();
    let target_store = api::bootstrap::blob_store(&moto.settings("gongkai-restored"), store_dir.path()).expect("store");
    api::backup::restore(&target.url, target_store.as_ref(), &dir, false).await.expect("restore");
    let restored = fingerprint(&target.url).await;
    assert_eq!(restored, source, "every table equal");
    let mut restored_keys = moto.keys("gongkai-restored").await;
    restored_keys.sort();
    let mut expected: Vec<String> = manifest.objects.iter().map(|o| o.storage_key.clone()).collect();
    expected.sort();
    assert_eq!(restored_keys, expected, "every object, in the other bucket");
    for key in &expected {
        assert_eq!(moto.object("gongkai-restored", key).await, moto.object("gongkai-live", key).await, "{key}");
    }
    assert_eq!(std::fs::read_dir(store_dir.path()).unwrap().count(), 0, "nothing went to the local disk");
}
