//! Fixed-window counters in PostgreSQL, so that every API instance sees the same counts.

use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::error::StoreResult;
use crate::schema::rate_limit_counters;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hits: i32,
    pub resets_at: DateTime<Utc>,
}

fn window_start(now: DateTime<Utc>, window_secs: i64) -> DateTime<Utc> {
    let start = now.timestamp().div_euclid(window_secs) * window_secs;
    Utc.timestamp_opt(start, 0).single().unwrap_or(now)
}

/// Counts one hit in `bucket`'s current window and returns the window's count.
pub async fn hit(
    conn: &mut AsyncPgConnection,
    bucket: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> StoreResult<Window> {
    let start = window_start(now, window_secs);
    let hits: i32 = diesel::insert_into(rate_limit_counters::table)
        .values((
            rate_limit_counters::bucket.eq(bucket),
            rate_limit_counters::window_start.eq(start),
            rate_limit_counters::hits.eq(1),
        ))
        .on_conflict((rate_limit_counters::bucket, rate_limit_counters::window_start))
        .do_update()
        .set(rate_limit_counters::hits.eq(rate_limit_counters::hits + 1))
        .returning(rate_limit_counters::hits)
        .get_result(conn)
        .await?;
    Ok(Window { hits, resets_at: start + chrono::Duration::seconds(window_secs) })
}

/// Takes back one hit of the current window (an attempt that turned out to be legitimate).
pub async fn take_back(
    conn: &mut AsyncPgConnection,
    bucket: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let start = window_start(now, window_secs);
    diesel::update(rate_limit_counters::table.find((bucket, start)).filter(rate_limit_counters::hits.gt(0)))
        .set(rate_limit_counters::hits.eq(rate_limit_counters::hits - 1))
        .execute(conn)
        .await?;
    Ok(())
}

/// The current window's count without counting.
pub async fn peek(
    conn: &mut AsyncPgConnection,
    bucket: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> StoreResult<Window> {
    let start = window_start(now, window_secs);
    let hits: Option<i32> = rate_limit_counters::table
        .find((bucket, start))
        .select(rate_limit_counters::hits)
        .first(conn)
        .await
        .optional()?;
    Ok(Window { hits: hits.unwrap_or(0), resets_at: start + chrono::Duration::seconds(window_secs) })
}

/// Drops windows that ended long ago; run periodically.
pub async fn purge_before(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::delete(rate_limit_counters::table.filter(rate_limit_counters::window_start.lt(before)))
        .execute(conn)
        .await?)
}
