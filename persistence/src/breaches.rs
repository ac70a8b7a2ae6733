//! The accountability ledger over the `breaches` table: what the clocks recorded, the government
//! office's manual entries, and the decisions taken on each (seed §6.3).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::accountability::{BreachDecisionKind, BreachKind, ManualBreachCategory};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::{breach_decisions, breaches};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = breaches)]
pub struct Breach {
    pub id: Uuid,
    pub kind: String,
    pub organization_id: Option<Uuid>,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub occurred_at: DateTime<Utc>,
    pub details: serde_json::Value,
    pub recorded_by: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = breach_decisions)]
pub struct BreachDecision {
    pub id: Uuid,
    pub breach_id: Uuid,
    pub kind: String,
    pub decided_on: NaiveDate,
    pub reason: String,
    pub referred_to: Option<String>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct BreachFilter {
    pub kind: Option<BreachKind>,
    pub organization_id: Option<Uuid>,
    /// Found on or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Found before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only those with (`true`) or without (`false`) a decision.
    pub decided: Option<bool>,
}

/// Breaches of these organizations (all when `None`), newest found first; the page continues after
/// the breach `before` by (found at, id), since some sweeps insert random (not time-ordered) ids.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    filter: &BreachFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Breach>> {
    let mut query = breaches::table
        .select(Breach::as_select())
        .order((breaches::occurred_at.desc(), breaches::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(breaches::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(breaches::kind.eq(kind.as_str()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(breaches::organization_id.eq(org));
    }
    if let Some(from) = filter.from {
        query = query.filter(breaches::occurred_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(breaches::occurred_at.lt(until));
    }
    let decided = breach_decisions::table.filter(breach_decisions::breach_id.eq(breaches::id));
    match filter.decided {
        Some(true) => query = query.filter(diesel::dsl::exists(decided)),
        Some(false) => query = query.filter(diesel::dsl::not(diesel::dsl::exists(decided))),
        None => {}
    }
    if let Some(before) = before {
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(
                "(breaches.occurred_at, breaches.id) < (SELECT b.occurred_at, b.id FROM breaches b WHERE b.id = ",
            )
            .bind::<diesel::sql_types::Uuid, _>(before)
            .sql(")"),
        );
    }
    Ok(query.load(conn).await?)
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Breach> {
    Ok(breaches::table.find(id).select(Breach::as_select()).first(conn).await?)
}

/// The decisions on these breaches, oldest first (one query for a whole page).
pub async fn decisions_of(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<BreachDecision>> {
    Ok(breach_decisions::table
        .filter(breach_decisions::breach_id.eq_any(ids.to_vec()))
        .order(breach_decisions::id.asc())
        .select(BreachDecision::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Clone)]
pub struct ManualBreach<'a> {
    pub organization_id: Uuid,
    pub category: ManualBreachCategory,
    pub description: &'a str,
    /// The day it happened, if known.
    pub happened_on: Option<NaiveDate>,
    /// The document it concerns, if any (an inaccurate release is usually one).
    pub document_id: Option<Uuid>,
}

/// The government office records a breach the clocks cannot see.
pub async fn record_manual(conn: &mut AsyncPgConnection, actor: &Actor, new: &ManualBreach<'_>) -> StoreResult<Breach> {
    conn.transaction(async |conn| {
        let (entity_type, entity_id) = match new.document_id {
            Some(id) => ("document", Some(id)),
            None => ("manual", None),
        };
        let saved: Breach = diesel::insert_into(breaches::table)
            .values((
                breaches::id.eq(Uuid::now_v7()),
                breaches::kind.eq(BreachKind::Manual.as_str()),
                breaches::organization_id.eq(new.organization_id),
                breaches::entity_type.eq(entity_type),
                breaches::entity_id.eq(entity_id),
                breaches::due_on.eq(new.happened_on),
                breaches::details.eq(serde_json::json!({
                    "category": new.category.as_str(),
                    "description": new.description,
                })),
                breaches::recorded_by.eq(actor.id),
            ))
            .returning(Breach::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("breach.record", "breach", saved.id)
            .details(serde_json::json!({"category": new.category.as_str(), "organization_id": new.organization_id}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub kind: BreachDecisionKind,
    pub decided_on: NaiveDate,
    pub reason: &'a str,
    pub referred_to: Option<&'a str>,
}

/// The government office decides what follows a breach; a referral names where it went.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    breach_id: Uuid,
    decision: &NewDecision<'_>,
) -> StoreResult<BreachDecision> {
    if decision.kind == BreachDecisionKind::Referral && decision.referred_to.is_none_or(|r| r.trim().is_empty()) {
        return Err(StoreError::InvalidField { field: "referred_to", code: "required" });
    }
    conn.transaction(async |conn| {
        // Locks the breach so that its decisions are numbered in the order they were taken.
        let _: Uuid = breaches::table.find(breach_id).select(breaches::id).for_update().first(conn).await?;
        let saved: BreachDecision = diesel::insert_into(breach_decisions::table)
            .values((
                breach_decisions::id.eq(Uuid::now_v7()),
                breach_decisions::breach_id.eq(breach_id),
                breach_decisions::kind.eq(decision.kind.as_str()),
                breach_decisions::decided_on.eq(decision.decided_on),
                breach_decisions::reason.eq(decision.reason),
                breach_decisions::referred_to.eq(decision.referred_to),
                breach_decisions::decided_by.eq(actor.id),
            ))
            .returning(BreachDecision::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("breach.decide", "breach", breach_id)
            .details(serde_json::json!({"decision_id": saved.id, "kind": decision.kind.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
