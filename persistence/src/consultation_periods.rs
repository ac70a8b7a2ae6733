//! The end of consultation periods, stored when it comes: an open consultation is closed by the
//! clock (domain::consultations::effective_status), and storing it lets the change feed and the
//! webhooks say so at that moment.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::consultations::ConsultationStatus;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::StoreResult;
use crate::schema::consultations;

/// Stores the close of every open consultation whose period has ended by `now` (dated at its
/// end, by the system), so that the change feed and webhooks carry it when it happens rather than
/// when someone next acts. Returns how many were closed.
pub async fn close_ended(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> StoreResult<usize> {
    conn.transaction(async |conn| {
        let ended: Vec<Uuid> = consultations::table
            .filter(consultations::status.eq(ConsultationStatus::Open.as_str()))
            .filter(consultations::closes_at.le(now))
            .select(consultations::id)
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        for id in &ended {
            diesel::update(consultations::table.find(id))
                .set((
                    consultations::status.eq(ConsultationStatus::Closed.as_str()),
                    consultations::closed_at.eq(consultations::closes_at.nullable()),
                    consultations::version.eq(consultations::version + 1),
                    consultations::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let change = Change::new("consultation.close", "consultation", *id)
                .fields(["status", "closed_at"])
                .details(serde_json::json!({"at_period_end": true}));
            audit::record(conn, &Actor::system(None), change).await?;
        }
        Ok(ended.len())
    })
    .await
}

/// When the next open consultation's period ends.
pub async fn next_close(conn: &mut AsyncPgConnection) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(consultations::table
        .filter(consultations::status.eq(ConsultationStatus::Open.as_str()))
        .select(diesel::dsl::min(consultations::closes_at))
        .first(conn)
        .await?)
}
