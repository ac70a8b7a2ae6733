//! The transaction an act on a document runs in: the document's row locked first, the caller's
//! right to act and the If-Match version checked on it, then the act (issue 11: with the `BEGIN`
//! in the same round trip as the lock).

use diesel::connection::{TransactionDepthChange, TransactionManagerStatus};
use diesel::prelude::*;
use diesel_async::{AnsiTransactionManager, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection, TransactionManager};
use uuid::Uuid;

use crate::documents::{Document, DocumentRow, Guard};
use crate::error::{StoreError, StoreResult};
use crate::schema::documents;

/// Locks the row, asks the guard, then compares versions: a caller who may not see the document
/// learns nothing from a stale If-Match.
pub(crate) async fn lock_guarded(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
) -> StoreResult<Document> {
    admitted(locked_row(conn, id).await?, expected_version, guard)
}

async fn locked_row(mut conn: &AsyncPgConnection, id: Uuid) -> StoreResult<Document> {
    let row = documents::table.find(id).select(DocumentRow::as_select()).for_update().first::<DocumentRow>(&mut conn);
    Ok(row.await?.into())
}

fn admitted(document: Document, expected_version: Option<i32>, guard: Guard<'_>) -> StoreResult<Document> {
    guard(&document)?;
    if expected_version.is_some_and(|v| v != document.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(document)
}

/// Runs `act` on the document locked for it (as [`lock_guarded`] locks it), in one transaction
/// whose `BEGIN` goes out with the locking read: one round trip instead of two for every act on a
/// document (a round trip costs both processes a send, a receive and a wake-up, and a document's
/// lifecycle made about thirty). The read is only a read, so when `BEGIN` fails nothing was written
/// outside a transaction (a `ROLLBACK` then follows, which PostgreSQL answers with a warning).
///
/// Inside a caller's transaction the act is a savepoint, as with diesel's `transaction`, and saves
/// nothing. diesel-async keeps its transaction state in fields of its own, so the depth is changed
/// through `transaction_manager_status_mut`, the one public (if hidden) way to it; the test
/// `document_acts::an_act_dropped_while_it_waits_for_its_lock_closes_its_connection` fails if
/// diesel-async stops honouring it. No `begin_transaction` instrumentation event is emitted (none
/// is installed).
pub(crate) async fn locked_transaction<R>(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
    act: impl AsyncFnOnce(&mut AsyncPgConnection, Document) -> StoreResult<R>,
) -> StoreResult<R> {
    let locked = match AnsiTransactionManager::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::InError => return Err(diesel::result::Error::BrokenTransactionManager.into()),
        TransactionManagerStatus::Valid(state) if state.transaction_depth().is_some() => {
            AnsiTransactionManager::begin_transaction(conn).await?;
            locked_row(conn, id).await
        }
        TransactionManagerStatus::Valid(state) => {
            // Marked open before BEGIN is sent: a future dropped from here on leaves diesel's state
            // in a transaction, which the pool takes for a broken connection and closes, as it does
            // when a plain transaction is dropped midway; never a pooled connection with
            // PostgreSQL's transaction open.
            state.change_transaction_depth(TransactionDepthChange::IncreaseDepth)?;
            let shared: &AsyncPgConnection = conn;
            let mut beginning = shared;
            // BEGIN must go out first: tokio-postgres sends requests in the order they are first
            // polled, and `join!` polls in the order of its arguments (the test
            // `document_acts::the_lock_is_held_by_the_acts_transaction` fails when the read is
            // sent before it).
            let (begun, locked) = futures_util::join!(beginning.batch_execute("BEGIN"), locked_row(shared, id));
            begun.map_err(StoreError::from).and(locked)
        }
    };
    let outcome = match locked.and_then(|current| admitted(current, expected_version, guard)) {
        Ok(current) => act(conn, current).await,
        Err(refused) => Err(refused),
    };
    // As diesel's own `transaction` ends one.
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(failed) => match AnsiTransactionManager::rollback_transaction(conn).await {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(failed),
            Err(rollback) => Err(rollback.into()),
        },
    }
}
