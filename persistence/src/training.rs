//! Training of the openness staff (seed §6 轮训): plans of an organization (the county government's
//! are county-wide), sessions held under a plan, who attended, and the coverage of a period.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::organization_records::OPENNESS_STAFF_ROLES;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::{training_attendance as attendance, training_plans as plans, training_sessions as sessions, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub title: String,
    pub description: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub held_on: NaiveDate,
    pub topic: String,
    pub trainer: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn create_plan(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    org: Uuid,
    year: i32,
    title: &str,
    description: Option<&str>,
    user: Option<Uuid>,
) -> StoreResult<Plan> {
    conn.transaction(async |conn| {
        let saved: Plan = diesel::insert_into(plans::table)
            .values((
                plans::id.eq(Uuid::now_v7()),
                plans::organization_id.eq(org),
                plans::year.eq(year),
                plans::title.eq(title),
                plans::description.eq(description),
                plans::created_by.eq(user),
            ))
            .returning(Plan::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("training_plan.create", "training_plan", saved.id)
            .details(serde_json::json!({"organization_id": org, "year": year}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_plan(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Plan> {
    plans::table.find(id).select(Plan::as_select()).first(conn).await.optional()?.ok_or(StoreError::NotFound)
}

/// Plans of these organizations (all when `None`), newest first.
pub async fn list_plans(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    year: Option<i32>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Plan>> {
    let mut query = plans::table.select(Plan::as_select()).order(plans::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(plans::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(year) = year {
        query = query.filter(plans::year.eq(year));
    }
    if let Some(before) = before {
        query = query.filter(plans::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

pub async fn sessions_of(conn: &mut AsyncPgConnection, plan: Uuid) -> StoreResult<Vec<Session>> {
    Ok(sessions::table
        .filter(sessions::plan_id.eq(plan))
        .order((sessions::held_on.asc(), sessions::id.asc()))
        .select(Session::as_select())
        .load(conn)
        .await?)
}

pub async fn add_session(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    plan: Uuid,
    held_on: NaiveDate,
    topic: &str,
    trainer: Option<&str>,
    user: Option<Uuid>,
) -> StoreResult<Session> {
    conn.transaction(async |conn| {
        let saved: Session = diesel::insert_into(sessions::table)
            .values((
                sessions::id.eq(Uuid::now_v7()),
                sessions::plan_id.eq(plan),
                sessions::held_on.eq(held_on),
                sessions::topic.eq(topic),
                sessions::trainer.eq(trainer),
                sessions::created_by.eq(user),
            ))
            .returning(Session::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("training_session.create", "training_session", saved.id)
            .details(serde_json::json!({"plan_id": plan, "held_on": held_on}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_session(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Session> {
    sessions::table.find(id).select(Session::as_select()).first(conn).await.optional()?.ok_or(StoreError::NotFound)
}

/// One attendee: the user, their organization and name.
#[derive(Debug, Clone, Queryable)]
pub struct Attendee {
    pub user_id: Uuid,
    pub organization_id: Option<Uuid>,
    pub display_name: String,
}

pub async fn attendees(conn: &mut AsyncPgConnection, session: Uuid) -> StoreResult<Vec<Attendee>> {
    Ok(attendance::table
        .inner_join(users::table)
        .filter(attendance::session_id.eq(session))
        .order(users::display_name.asc())
        .select((users::id, users::organization_id, users::display_name))
        .load(conn)
        .await?)
}

/// Replaces who attended a session. Every attendee is a user of an organization in
/// `county_members`: an unknown user is 422 `not_found`, one of another county `other_county`.
pub async fn replace_attendance(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    session: Uuid,
    expected: Option<i32>,
    user_ids: &[Uuid],
    county_members: &[Uuid],
    recorder: Option<Uuid>,
) -> StoreResult<Session> {
    let wanted: Vec<Uuid> = user_ids.iter().copied().collect::<HashSet<_>>().into_iter().collect();
    conn.transaction(async |conn| {
        let current: Session = sessions::table
            .find(session)
            .select(Session::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(StoreError::NotFound)?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let found: Vec<(Uuid, Option<Uuid>)> = users::table
            .filter(users::id.eq_any(&wanted))
            .select((users::id, users::organization_id))
            .load(conn)
            .await?;
        if found.len() != wanted.len() {
            return Err(StoreError::InvalidField { field: "user_ids", code: "not_found" });
        }
        if found.iter().any(|(_, org)| !org.is_some_and(|o| county_members.contains(&o))) {
            return Err(StoreError::InvalidField { field: "user_ids", code: "other_county" });
        }
        diesel::delete(attendance::table.filter(attendance::session_id.eq(session))).execute(conn).await?;
        let rows: Vec<_> = wanted
            .iter()
            .map(|u| {
                (attendance::session_id.eq(session), attendance::user_id.eq(*u), attendance::recorded_by.eq(recorder))
            })
            .collect();
        if !rows.is_empty() {
            diesel::insert_into(attendance::table).values(rows).execute(conn).await?;
        }
        let saved: Session = diesel::update(sessions::table.find(session))
            .set((sessions::version.eq(sessions::version + 1), sessions::updated_at.eq(diesel::dsl::now)))
            .returning(Session::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("training_session.attendance", "training_session", session)
            .fields(["attendance"])
            .details(serde_json::json!({"attendees": wanted.len()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// One member of the openness staff in a coverage report.
#[derive(Debug, Clone)]
pub struct StaffCoverage {
    pub user_id: Uuid,
    pub display_name: String,
    pub organization_id: Uuid,
    /// Sessions attended that were held in the period.
    pub sessions: i64,
}

/// The active openness staff of `orgs` with the sessions each attended in `from..=to`.
pub async fn coverage(
    conn: &mut AsyncPgConnection,
    orgs: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<StaffCoverage>> {
    let roles: Vec<String> = OPENNESS_STAFF_ROLES.iter().map(|r| r.as_str().to_owned()).collect();
    let staff: Vec<(Uuid, String, Option<Uuid>)> = users::table
        .filter(users::organization_id.eq_any(orgs.to_vec()))
        .filter(users::is_active.eq(true))
        .filter(users::roles.overlaps_with(roles))
        .order((users::display_name.asc(), users::id.asc()))
        .select((users::id, users::display_name, users::organization_id))
        .load(conn)
        .await?;
    let ids: Vec<Uuid> = staff.iter().map(|(id, _, _)| *id).collect();
    let attended: Vec<Uuid> = attendance::table
        .inner_join(sessions::table)
        .filter(attendance::user_id.eq_any(&ids))
        .filter(sessions::held_on.between(from, to))
        .select(attendance::user_id)
        .load(conn)
        .await?;
    Ok(staff
        .into_iter()
        .filter_map(|(user_id, display_name, org)| {
            Some(StaffCoverage {
                sessions: i64::try_from(attended.iter().filter(|u| **u == user_id).count()).unwrap_or(i64::MAX),
                user_id,
                display_name,
                organization_id: org?,
            })
        })
        .collect())
}
