//! The change feed's store: rows the database's deferred triggers append, at commit and in commit
//! order, whenever a public record is published or changes (see migration 2026-11-27-000004).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::outbox;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Change {
    pub seq: i64,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub event: String,
    pub occurred_at: DateTime<Utc>,
}

/// The changes after `after`, oldest first.
pub async fn after(conn: &mut AsyncPgConnection, after: i64, limit: i64) -> StoreResult<Vec<Change>> {
    Ok(outbox::table
        .filter(outbox::seq.gt(after))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(Change::as_select())
        .load(conn)
        .await?)
}

/// The number of the latest change (0 before any).
pub async fn head(conn: &mut AsyncPgConnection) -> StoreResult<i64> {
    let max: Option<i64> = outbox::table.select(diesel::dsl::max(outbox::seq)).first(conn).await?;
    Ok(max.unwrap_or(0))
}
