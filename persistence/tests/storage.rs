//! Storage guarantees that the API relies on, checked against a real PostgreSQL.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use domain::OrganizationKind;
use persistence::organizations::{self, OrganizationFields};
use persistence::test_databases::TestDatabase;
use persistence::{audit, Actor, ActorKind, Change, StoreError};
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).await.unwrap().n
}

fn actor() -> Actor {
    Actor { kind: ActorKind::User, id: Some(Uuid::now_v7()), request_id: Some("req-1".into()) }
}

fn fields(name: &str) -> OrganizationFields {
    OrganizationFields {
        name: name.into(),
        kind: OrganizationKind::Township,
        parent_id: None,
        principal_name: None,
        openness_deputy_name: None,
        principal_duties: None,
        openness_deputy_duties: None,
    }
}

#[tokio::test]
async fn a_change_and_its_audit_row_commit_together() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let created = organizations::create(&mut conn, &actor(), fields("元谋县教育体育局")).await.unwrap();
    let history = audit::for_entity(&mut conn, "organization", created.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "organization.create");
    assert_eq!(history[0].request_id.as_deref(), Some("req-1"));
}

#[tokio::test]
async fn a_failed_audit_write_undoes_the_change() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = Uuid::now_v7();
    let result: Result<(), StoreError> = conn
        .transaction(async |conn| {
            diesel::sql_query("INSERT INTO organizations (id, name, kind) VALUES ($1, '测试机关', 'department')")
                .bind::<diesel::sql_types::Uuid, _>(id)
                .execute(conn)
                .await?;
            // An action the audit table's CHECK refuses: the whole transaction must roll back.
            audit::record(conn, &actor(), Change::new("NOT A VALID ACTION", "organization", id)).await?;
            Ok(())
        })
        .await;
    assert!(result.is_err());
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM organizations").await, 0);
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM audit_log").await, 0);
}

#[tokio::test]
async fn the_audit_log_refuses_update_and_delete() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    audit::record(&conn, &Actor::system(None), Change::new("test.event", "organization", Uuid::now_v7()))
        .await
        .unwrap();
    assert!(diesel::sql_query("UPDATE audit_log SET action = 'x.y'").execute(&mut conn).await.is_err());
    assert!(diesel::sql_query("DELETE FROM audit_log").execute(&mut conn).await.is_err());
    assert!(diesel::sql_query("TRUNCATE audit_log").execute(&mut conn).await.is_err());
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM audit_log").await, 1);
}

#[tokio::test]
async fn every_migration_reverts_and_reapplies() {
    let db = TestDatabase::create().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url).unwrap();
        let reverted = conn.revert_all_migrations(persistence::pool::MIGRATIONS).unwrap().len();
        assert!(reverted > 0);
        let applied = conn.run_pending_migrations(persistence::pool::MIGRATIONS).unwrap().len();
        assert_eq!(applied, reverted);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_stale_version_is_refused_without_writing() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let created = organizations::create(&mut conn, &actor(), fields("元马镇")).await.unwrap();
    let updated =
        organizations::update(&mut conn, &actor(), created.id, Some(1), fields("元马镇人民政府")).await.unwrap();
    assert_eq!(updated.version, 2);
    let stale = organizations::update(&mut conn, &actor(), created.id, Some(1), fields("别的名字")).await;
    assert!(matches!(stale, Err(StoreError::StaleVersion)));
    assert_eq!(organizations::get(&conn, created.id).await.unwrap().name, "元马镇人民政府");
}

#[tokio::test]
async fn sealing_in_small_batches_continues_one_chain_across_them() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    for _ in 0..7 {
        audit::record(&conn, &actor(), Change::new("test.event", "organization", Uuid::now_v7())).await.unwrap();
    }
    // Batches of 2, 2, 2 and 1 (migration -000150 writes each batch with one UPDATE): each
    // continues the chain from the last row sealed before it.
    assert_eq!(audit::seal(&mut conn, 2).await.unwrap(), 7);
    assert_eq!(audit::seal(&mut conn, 2).await.unwrap(), 0, "nothing left to seal");
    let (state, broken) = audit::verify(&mut conn).await.unwrap();
    assert!(broken.is_none(), "{broken:?}");
    assert_eq!((state.sealed, state.unsealed, state.head_seq), (7, 0, Some(7)));
    let out_of_order = "SELECT count(*) AS n FROM (SELECT id, lag(id) OVER (ORDER BY chain_seq) AS before \
                        FROM audit_log) chain WHERE before > id";
    assert_eq!(count(&mut conn, out_of_order).await, 0);
}
