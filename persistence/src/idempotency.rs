//! Idempotency keys for POST: a key is claimed before the request runs and answered from the
//! stored response afterwards, for 24 hours, per caller.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::idempotency_keys;

pub const RETENTION_HOURS: i64 = 24;
/// A claim without a stored response is no longer running after this long (requests time out
/// sooner); then it is forgotten, unless its request was carried out.
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
    /// The key was used before with this request hash and method/path. `answer_lost`: its request
    /// was carried out, but the server stopped before storing the answer (the claim is past its
    /// lease and audit rows carry its request id) — it must not run again, and cannot be replayed.
    Existing { request_hash: String, method: String, path: String, response: Option<StoredResponse>, answer_lost: bool },
}

/// Claims `key` for the request `request_id` (the id its audit rows carry).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: Uuid,
    method: &str,
    path: &str,
    request_hash: &str,
    request_id: Option<&str>,
) -> StoreResult<Claim> {
    use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
    // An expired key is forgotten, and so is a claim left unanswered past its lease whose request
    // left no trace (a crash or a lost connection before it committed): both may be claimed afresh.
    // A claim whose request committed stays: every change writes its audit row, with the request
    // id, in the change's own transaction, after the claim (hence above its audit watermark).
    let now = chrono::Utc::now();
    diesel::sql_query(
        "DELETE FROM idempotency_keys k WHERE k.scope = $1 AND k.key = $2
           AND (k.created_at < $3
                OR (k.response_status IS NULL AND k.created_at < $4
                    AND NOT EXISTS (SELECT 1 FROM audit_log a
                                    WHERE a.id > k.audit_watermark AND a.request_id = k.request_id)))",
    )
    .bind::<Text, _>(scope)
    .bind::<SqlUuid, _>(key)
    .bind::<Timestamptz, _>(now - chrono::Duration::hours(RETENTION_HOURS))
    .bind::<Timestamptz, _>(lease_cutoff(now))
    .execute(conn)
    .await?;
    let inserted = diesel::sql_query(
        "INSERT INTO idempotency_keys (scope, key, method, path, request_hash, request_id, audit_watermark)
         SELECT $1, $2, $3, $4, $5, $6, coalesce(max(id), 0) FROM audit_log
         ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(scope)
    .bind::<SqlUuid, _>(key)
    .bind::<Text, _>(method)
    .bind::<Text, _>(path)
    .bind::<Text, _>(request_hash)
    .bind::<Nullable<Text>, _>(request_id)
    .execute(conn)
    .await?;
    if inserted == 1 {
        return Ok(Claim::Claimed);
    }
    #[allow(clippy::type_complexity)]
    let (request_hash, method, path, status, headers, body, created_at): (
        String,
        String,
        String,
        Option<i16>,
        Option<serde_json::Value>,
        Option<Vec<u8>>,
        chrono::DateTime<chrono::Utc>,
    ) = idempotency_keys::table
        .find((scope, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::method,
            idempotency_keys::path,
            idempotency_keys::response_status,
            idempotency_keys::response_headers,
            idempotency_keys::response_body,
            idempotency_keys::created_at,
        ))
        .first(conn)
        .await?;
    let response = status.map(|status| StoredResponse {
        status: status as u16,
        headers: headers.and_then(|h| serde_json::from_value(h).ok()).unwrap_or_default(),
        body,
    });
    // Unanswered past its lease, yet not forgotten above: its request was carried out.
    let answer_lost = response.is_none() && created_at < lease_cutoff(now);
    Ok(Claim::Existing { request_hash, method, path, response, answer_lost })
}

/// Claims made before this instant and still unanswered are no longer running.
fn lease_cutoff(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::seconds(CLAIM_LEASE_SECONDS)
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
