//! Rectifications (整改): opened by website checks and spot checks in their own transaction,
//! reported by the owner organization, verified or reopened by the government office. Each act
//! locks the row, checks the version and writes its audit row in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::oversight::{self as rules, RectificationAct, RectificationSource, RectificationStatus};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::rectifications;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rectifications)]
pub struct Rectification {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub source: String,
    pub source_id: Uuid,
    pub finding_id: Uuid,
    pub problem: String,
    pub owner_user_id: Option<Uuid>,
    pub opened_on: NaiveDate,
    pub deadline: NaiveDate,
    pub evidence: Option<String>,
    pub submitted_on: Option<NaiveDate>,
    pub reopen_reason: Option<String>,
    pub verified_on: Option<NaiveDate>,
    pub status: String,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Rectification {
    pub fn status(&self) -> StoreResult<RectificationStatus> {
        parse_code(&self.status)
    }

    pub fn source(&self) -> StoreResult<RectificationSource> {
        parse_code(&self.source)
    }
}

/// What a check's finding asks the organization to put right.
#[derive(Debug, Clone)]
pub struct NewRectification<'a> {
    pub organization_id: Uuid,
    pub source: RectificationSource,
    pub source_id: Uuid,
    pub finding_id: Uuid,
    pub problem: &'a str,
    pub opened_on: NaiveDate,
    pub deadline: NaiveDate,
    pub created_by: Option<Uuid>,
}

/// Opens a rectification inside the caller's transaction (the check that found the problem).
pub async fn open_in(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: &NewRectification<'_>,
) -> StoreResult<Rectification> {
    if let Some(code) = rules::deadline_error(new.deadline, new.opened_on) {
        return Err(StoreError::InvalidField { field: "deadline", code });
    }
    let saved: Rectification = diesel::insert_into(rectifications::table)
        .values((
            rectifications::id.eq(Uuid::now_v7()),
            rectifications::organization_id.eq(new.organization_id),
            rectifications::source.eq(new.source.as_str()),
            rectifications::source_id.eq(new.source_id),
            rectifications::finding_id.eq(new.finding_id),
            rectifications::problem.eq(new.problem),
            rectifications::opened_on.eq(new.opened_on),
            rectifications::deadline.eq(new.deadline),
            rectifications::created_by.eq(new.created_by),
        ))
        .returning(Rectification::as_returning())
        .get_result(conn)
        .await?;
    let change = Change::new("rectification.open", "rectification", saved.id).details(serde_json::json!({
        "source": new.source.as_str(),
        "source_id": new.source_id,
        "finding_id": new.finding_id,
        "deadline": new.deadline,
    }));
    audit::record(conn, actor, change).await?;
    Ok(saved)
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Rectification> {
    Ok(rectifications::table.find(id).select(Rectification::as_select()).first(conn).await?)
}

/// The rectifications opened by these findings, in the findings' order.
pub async fn for_findings(conn: &mut AsyncPgConnection, finding_ids: &[Uuid]) -> StoreResult<Vec<Rectification>> {
    Ok(rectifications::table
        .filter(rectifications::finding_id.eq_any(finding_ids.to_vec()))
        .select(Rectification::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct RectificationFilter {
    /// Only those overdue on this day.
    pub overdue_on: Option<NaiveDate>,
    pub status: Option<RectificationStatus>,
    pub organization_id: Option<Uuid>,
}

/// Rectifications of these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    filter: &RectificationFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Rectification>> {
    let mut query = rectifications::table
        .select(Rectification::as_select())
        .order(rectifications::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(rectifications::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(rectifications::organization_id.eq(org));
    }
    if let Some(status) = filter.status {
        query = query.filter(rectifications::status.eq(status.as_str()));
    }
    if let Some(today) = filter.overdue_on {
        query = query.filter(waiting()).filter(rectifications::deadline.lt(today));
    }
    if let Some(before) = before {
        query = query.filter(rectifications::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

type Waiting = diesel::dsl::EqAny<rectifications::status, [&'static str; 2]>;

/// Waiting for the owner's report: `open` or `reopened`.
fn waiting() -> Waiting {
    rectifications::status.eq_any([RectificationStatus::Open.as_str(), RectificationStatus::Reopened.as_str()])
}

async fn lock_for(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
    act: RectificationAct,
) -> StoreResult<(Rectification, RectificationStatus)> {
    let current: Rectification =
        rectifications::table.find(id).select(Rectification::as_select()).for_update().first(conn).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    let next = rules::next_status(current.status()?, act).ok_or(StoreError::Refused("rectification_state_conflict"))?;
    Ok((current, next))
}

/// The owner organization reports what was done, with its evidence; a report after the deadline
/// is accepted and marked late.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    evidence: &str,
    today: NaiveDate,
) -> StoreResult<Rectification> {
    conn.transaction(async |conn| {
        let (current, next) = lock_for(conn, id, expected_version, RectificationAct::Submit).await?;
        let saved: Rectification = diesel::update(rectifications::table.find(id))
            .set((
                rectifications::status.eq(next.as_str()),
                rectifications::evidence.eq(evidence),
                rectifications::submitted_on.eq(today),
                rectifications::owner_user_id.eq(current.owner_user_id.or(actor.id)),
                rectifications::version.eq(rectifications::version + 1),
                rectifications::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Rectification::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("rectification.submit", "rectification", id)
            .fields(["status", "evidence", "submitted_on"])
            .details(serde_json::json!({
                "from": current.status,
                "to": next.as_str(),
                "late": rules::is_late(Some(today), current.deadline),
            }));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// The government office accepts the report.
pub async fn verify(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    today: NaiveDate,
) -> StoreResult<Rectification> {
    conn.transaction(async |conn| {
        let (current, next) = lock_for(conn, id, expected_version, RectificationAct::Verify).await?;
        let saved: Rectification = diesel::update(rectifications::table.find(id))
            .set((
                rectifications::status.eq(next.as_str()),
                rectifications::verified_on.eq(today),
                rectifications::version.eq(rectifications::version + 1),
                rectifications::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Rectification::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("rectification.verify", "rectification", id)
            .fields(["status", "verified_on"])
            .details(serde_json::json!({"from": current.status, "to": next.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// The government office sends the report back with a reason and a new deadline after today.
pub async fn reopen(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    reason: &str,
    deadline: NaiveDate,
    today: NaiveDate,
) -> StoreResult<Rectification> {
    if let Some(code) = rules::deadline_error(deadline, today) {
        return Err(StoreError::InvalidField { field: "deadline", code });
    }
    conn.transaction(async |conn| {
        let (current, next) = lock_for(conn, id, expected_version, RectificationAct::Reopen).await?;
        let saved: Rectification = diesel::update(rectifications::table.find(id))
            .set((
                rectifications::status.eq(next.as_str()),
                rectifications::reopen_reason.eq(reason),
                rectifications::deadline.eq(deadline),
                rectifications::version.eq(rectifications::version + 1),
                rectifications::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Rectification::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("rectification.reopen", "rectification", id)
            .fields(["status", "reopen_reason", "deadline"])
            .details(serde_json::json!({
                "from": current.status,
                "to": next.as_str(),
                "reason": reason,
                "deadline_from": current.deadline,
                "deadline_to": deadline,
            }));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// Rectifications still waiting for their report after the deadline become
/// `rectification_overdue` breaches of their organization, once each. Returns how many were new.
pub async fn record_overdue(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    let overdue: Vec<(Uuid, Uuid, NaiveDate)> = rectifications::table
        .filter(waiting())
        .filter(rectifications::deadline.lt(today))
        .select((rectifications::id, rectifications::organization_id, rectifications::deadline))
        .load(conn)
        .await?;
    let mut recorded = 0;
    for (id, org, deadline) in overdue {
        let details = serde_json::json!({"detected_on": today});
        if crate::documents::record_breach(conn, "rectification_overdue", org, "rectification", id, deadline, details)
            .await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}
