//! The transaction every act on a document runs in, whose `BEGIN` goes out with the act's locking
//! read (issue 11): it commits, it rolls back, it nests as a savepoint, and an act dropped midway
//! never hands its connection back to the pool with a transaction still open.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::documents::Validity;
use persistence::documents::{self, Repeal};
use persistence::pool::build_pool;
use persistence::test_databases::TestDatabase;
use persistence::{Actor, ActorKind, StoreError};
use uuid::Uuid;

mod common;
use common::text;

fn actor() -> Actor {
    Actor { kind: ActorKind::User, id: Some(Uuid::now_v7()), request_id: None }
}

/// A draft with everything submission asks for, so that `submit` forwards it.
async fn draft(conn: &mut AsyncPgConnection) -> Uuid {
    common::draft(conn, "'proactive'").await
}

fn status_of(id: Uuid) -> String {
    format!("SELECT status AS value FROM documents WHERE id = '{id}'")
}

const BACKEND: &str = "SELECT pg_backend_pid()::text AS value";
/// Whether PostgreSQL has a transaction block open on the connection: a savepoint can only be
/// set inside one.
async fn in_transaction(conn: &mut AsyncPgConnection) -> bool {
    // Not an aborted one either: that refuses this.
    conn.batch_execute("SELECT 1").await.unwrap();
    let inside = conn.batch_execute("SAVEPOINT probe").await.is_ok();
    if inside {
        conn.batch_execute("RELEASE SAVEPOINT probe").await.unwrap();
    }
    inside
}

#[tokio::test]
async fn an_act_dropped_while_it_waits_for_its_lock_closes_its_connection() {
    let db = TestDatabase::create().await;
    let pool = build_pool(&db.url, 1).unwrap();
    let mut setup = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = draft(&mut setup).await;
    // Another session holds the row, so the act waits in its locking read, BEGIN already done.
    setup.batch_execute(&format!("BEGIN; SELECT 1 FROM documents WHERE id = '{id}' FOR UPDATE")).await.unwrap();

    let mut conn = pool.get().await.unwrap();
    let backend = text(&mut conn, BACKEND).await;
    let waited =
        tokio::time::timeout(Duration::from_millis(300), documents::submit(&mut conn, &actor(), id, None, &|_| Ok(())))
            .await;
    assert!(waited.is_err(), "the act should still be waiting for the lock");
    drop(conn);
    setup.batch_execute("ROLLBACK").await.unwrap();

    // The pool closed that connection rather than lend it again inside the act's transaction, and
    // its backend ends, the transaction with it.
    let mut conn = pool.get().await.unwrap();
    assert_ne!(text(&mut conn, BACKEND).await, backend);
    let alive = format!("SELECT count(*)::text AS value FROM pg_stat_activity WHERE pid = {backend}");
    for _ in 0..100 {
        if text(&mut setup, &alive).await == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(text(&mut setup, &alive).await, "0", "the dropped act's backend is still there");
    assert_eq!(text(&mut setup, &status_of(id)).await, "draft");

    // The same act, left to finish, commits.
    let outcome = documents::submit(&mut conn, &actor(), id, None, &|_| Ok(())).await.unwrap();
    assert!(outcome.returned.is_none(), "{:?}", outcome.returned);
    assert_eq!(text(&mut setup, &status_of(id)).await, "submitted");
    assert!(!in_transaction(&mut conn).await);
}

#[tokio::test]
async fn a_refused_act_rolls_back_and_leaves_no_transaction_open() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = draft(&mut conn).await;
    let today = chrono::Utc::now().date_naive();

    // Refused by the guard, by a stale version, by the state machine, and for a missing document.
    let forbidden = documents::approve(&mut conn, &actor(), id, None, &|_| Err(StoreError::Forbidden), today).await;
    assert!(matches!(forbidden, Err(StoreError::Forbidden)), "{forbidden:?}");
    let stale = documents::approve(&mut conn, &actor(), id, Some(7), &|_| Ok(()), today).await;
    assert!(matches!(stale, Err(StoreError::StaleVersion)), "{stale:?}");
    let conflict = documents::approve(&mut conn, &actor(), id, None, &|_| Ok(()), today).await;
    assert!(matches!(conflict, Err(StoreError::Refused("document_state_conflict"))), "{conflict:?}");
    let missing = documents::approve(&mut conn, &actor(), Uuid::now_v7(), None, &|_| Ok(()), today).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert!(!in_transaction(&mut conn).await);

    // A failure after the act wrote (the audit row refused by its table) undoes the write.
    diesel::sql_query("ALTER TABLE audit_log ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        .execute(&mut conn)
        .await
        .unwrap();
    let refused = documents::submit(&mut conn, &actor(), id, None, &|_| Ok(())).await;
    assert!(matches!(&refused, Err(StoreError::Conflict { constraint }) if constraint == "refuse_all"), "{refused:?}");
    assert_eq!(text(&mut conn, &status_of(id)).await, "draft");
    assert!(!in_transaction(&mut conn).await);
    diesel::sql_query("ALTER TABLE audit_log DROP CONSTRAINT refuse_all").execute(&mut conn).await.unwrap();
    documents::submit(&mut conn, &actor(), id, None, &|_| Ok(())).await.unwrap();
    assert_eq!(text(&mut conn, &status_of(id)).await, "submitted");
}

#[tokio::test]
async fn inside_a_callers_transaction_an_act_is_a_savepoint() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = draft(&mut conn).await;
    let today = chrono::Utc::now().date_naive();
    let outer: Result<(), StoreError> = conn
        .transaction(async |conn| {
            // The refused act rolls back to its savepoint; the caller's transaction goes on.
            let refused = documents::approve(conn, &actor(), id, None, &|_| Ok(()), today).await;
            assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
            documents::submit(conn, &actor(), id, None, &|_| Ok(())).await?;
            assert_eq!(text(conn, &status_of(id)).await, "submitted");
            Err(StoreError::Conflict { constraint: "the caller's own".into() })
        })
        .await;
    assert!(
        matches!(&outer, Err(StoreError::Conflict { constraint }) if constraint == "the caller's own"),
        "{outer:?}"
    );
    // The caller's rollback took the act with it.
    assert_eq!(text(&mut conn, &status_of(id)).await, "draft");
    assert!(!in_transaction(&mut conn).await);
}

#[tokio::test]
async fn the_lock_is_held_by_the_acts_transaction() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let mut holder = AsyncPgConnection::establish(&db.url).await.unwrap();
    let mut prober = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = draft(&mut conn).await;
    // The act stops after its locking read, at its first read of interpretations.
    holder.batch_execute("BEGIN; LOCK TABLE interpretations IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let acting = actor();
    let act = documents::submit(&mut conn, &acting, id, None, &|_| Ok(()));
    let probe = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Were BEGIN sent after the read, the row would have been locked and let go at once.
        let nowait = format!("SELECT 1 FROM documents WHERE id = '{id}' FOR UPDATE NOWAIT");
        let taken = prober.batch_execute(&nowait).await;
        holder.batch_execute("ROLLBACK").await.unwrap();
        taken
    };
    let (submitted, taken) = tokio::join!(act, probe);
    let refused = taken.expect_err("the row should be locked by the waiting act");
    assert!(refused.to_string().contains("could not obtain lock"), "{refused}");
    assert!(submitted.unwrap().returned.is_none());
    assert_eq!(text(&mut conn, &status_of(id)).await, "submitted");
}

#[tokio::test]
async fn a_commit_refused_by_a_deferred_trigger_undoes_the_act() {
    let db = TestDatabase::create().await;
    let mut conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let id = draft(&mut conn).await;
    let publish = format!(
        "UPDATE documents SET status = 'published', formed_on = current_date, published_at = now() WHERE id = '{id}'"
    );
    diesel::sql_query(publish).execute(&mut conn).await.unwrap();
    // Repealing a public document writes its outbox event when the transaction commits.
    diesel::sql_query("ALTER TABLE outbox ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        .execute(&mut conn)
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let repeal = || Repeal { validity: Validity::Repealed, on: today, reason: "已被新文件替代" };
    let refused = documents::repeal(&mut conn, &actor(), id, None, &|_| Ok(()), repeal()).await;
    assert!(matches!(&refused, Err(StoreError::Conflict { constraint }) if constraint == "refuse_all"), "{refused:?}");
    let validity = format!("SELECT validity AS value FROM documents WHERE id = '{id}'");
    assert_eq!(text(&mut conn, &validity).await, "valid");
    assert!(!in_transaction(&mut conn).await);
    diesel::sql_query("ALTER TABLE outbox DROP CONSTRAINT refuse_all").execute(&mut conn).await.unwrap();
    documents::repeal(&mut conn, &actor(), id, None, &|_| Ok(()), repeal()).await.unwrap();
    assert_eq!(text(&mut conn, &validity).await, "repealed");
}
