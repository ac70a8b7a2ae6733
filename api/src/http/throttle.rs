//! Counting failures per client address (shared by all instances through PostgreSQL) and the
//! `RateLimit-*` / `Retry-After` headers that tell a client when to come back.

use actix_web::http::header::{HeaderName, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use chrono::{DateTime, Utc};
use persistence::rate_limit::{self, Window};
use persistence::PooledConnection;

use crate::error::ApiError;

pub const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
pub const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
pub const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

fn seconds_until(when: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (when - now).num_seconds().max(1)
}

/// The standard headers for a window of `limit` requests.
pub fn headers(window: &Window, limit: i32, now: DateTime<Utc>) -> Vec<(HeaderName, String)> {
    vec![
        (RATELIMIT_LIMIT, limit.to_string()),
        (RATELIMIT_REMAINING, (limit - window.hits).max(0).to_string()),
        (RATELIMIT_RESET, seconds_until(window.resets_at, now).to_string()),
    ]
}

/// `RateLimit-*` for a locked account: its allowance of failures is spent until the lock ends.
pub fn lock_headers(until: DateTime<Utc>, now: DateTime<Utc>) -> Vec<(HeaderName, String)> {
    vec![
        (RATELIMIT_LIMIT, domain::accounts::FAILURES_BEFORE_LOCK.to_string()),
        (RATELIMIT_REMAINING, "0".into()),
        (RATELIMIT_RESET, seconds_until(until, now).to_string()),
    ]
}

pub fn too_many(code: &'static str, retry_at: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let wait = seconds_until(retry_at, now);
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, code)
        .detail(format!("请在 {wait} 秒后重试"), format!("Retry in {wait} seconds"))
        .header(RETRY_AFTER, wait.to_string())
}

/// Claims one attempt in `bucket` before the work it guards, so that concurrent attempts cannot
/// all pass a check made before any of them is counted: 429 once the window holds `limit`.
/// A legitimate attempt gives its slot back with [`give_back`].
pub async fn claim(
    conn: &mut PooledConnection,
    bucket: &str,
    limit: i32,
    window_secs: i64,
    now: DateTime<Utc>,
) -> Result<Window, ApiError> {
    let window = rate_limit::hit(conn, bucket, window_secs, now).await?;
    if window.hits > limit {
        let mut err = too_many("rate_limited", window.resets_at, now);
        err.headers.extend(headers(&window, limit, now));
        return Err(err);
    }
    Ok(window)
}

/// Claims one of `per_hour` anonymous submissions of kind `purpose` from the caller's address.
pub async fn claim_hourly_for_address(
    conn: &mut PooledConnection,
    req: &HttpRequest,
    purpose: &str,
    per_hour: i32,
    now: DateTime<Utc>,
) -> Result<Window, ApiError> {
    let bucket = format!("{purpose}:address:{}", client_address(req));
    claim(conn, &bucket, per_hour, 3600, now).await
}

/// Optional text as stored: trimmed, and absent when blank.
pub fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub async fn give_back(
    conn: &mut PooledConnection,
    bucket: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    Ok(rate_limit::take_back(conn, bucket, window_secs, now).await?)
}
