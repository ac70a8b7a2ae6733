//! Idempotency keys for POST: a key is claimed before the request runs and answered from the
//! stored response afterwards, for 24 hours, per caller.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::idempotency_keys;

pub const RETENTION_HOURS: i64 = 24;
/// A claim without a stored response is abandoned after this long (requests time out sooner).
pub const CLAIM_LEASE_SECONDS: i64 = 60;

#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// None when the first response held a secret and was deliberately not kept.
    pub body: Option<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub enum Claim {
    /// The key is new: the caller runs the request and then calls [`complete`] or [`release`].
    Claimed,
    /// The key was used before with this request hash and method/path.
    Existing { request_hash: String, method: String, path: String, response: Option<StoredResponse> },
}

pub async fn claim(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: Uuid,
    method: &str,
    path: &str,
    request_hash: &str,
) -> StoreResult<Claim> {
    // An expired key is forgotten, and so is a claim whose request never finished (a crash, a
    // lost connection): both may be claimed afresh.
    let now = chrono::Utc::now();
    diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::scope.eq(scope)).filter(idempotency_keys::key.eq(key)).filter(
            idempotency_keys::created_at.lt(now - chrono::Duration::hours(RETENTION_HOURS)).or(
                idempotency_keys::response_status
                    .is_null()
                    .and(idempotency_keys::created_at.lt(now - chrono::Duration::seconds(CLAIM_LEASE_SECONDS))),
            ),
        ),
    )
    .execute(conn)
    .await?;
    let inserted = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::method.eq(method),
            idempotency_keys::path.eq(path),
            idempotency_keys::request_hash.eq(request_hash),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    #[allow(clippy::type_complexity)]
    let (request_hash, method, path, status, headers, body): (
        String,
        String,
        String,
        Option<i16>,
        Option<serde_json::Value>,
        Option<Vec<u8>>,
    ) = idempotency_keys::table
        .find((scope, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::method,
            idempotency_keys::path,
            idempotency_keys::response_status,
            idempotency_keys::response_headers,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .await?;
    let response = status.map(|status| StoredResponse {
        status: status as u16,
        headers: headers.and_then(|h| serde_json::from_value(h).ok()).unwrap_or_default(),
        body,
    });
    Ok(Claim::Existing { request_hash, method, path, response })
}

pub async fn complete(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: Uuid,
    response: &StoredResponse,
) -> StoreResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::response_status.eq(response.status as i16),
            idempotency_keys::response_headers.eq(serde_json::to_value(&response.headers).unwrap_or_default()),
            idempotency_keys::response_body.eq(response.body.as_deref()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Frees a claim whose request failed on the server's side, so that a retry may run it.
pub async fn release(conn: &mut AsyncPgConnection, scope: &str, key: Uuid) -> StoreResult<()> {
    diesel::delete(idempotency_keys::table.find((scope, key))).execute(conn).await?;
    Ok(())
}

/// Removes keys past their retention; run periodically.
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> StoreResult<usize> {
    Ok(diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(chrono::Utc::now() - chrono::Duration::hours(RETENTION_HOURS))),
    )
    .execute(conn)
    .await?)
}
