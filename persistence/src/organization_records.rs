//! Organization records (seed §6): yearly work priorities, the principal's hearings of the openness
//! work and the yearly check that each organization held one, and the published leadership page.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::organization_records as rules;
use domain::OrganizationKind;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{organizations, work_priorities, work_report_hearings};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = work_priorities)]
pub struct WorkPriority {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub text: String,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn create_priority(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    org: Uuid,
    year: i32,
    text: &str,
    user: Option<Uuid>,
) -> StoreResult<WorkPriority> {
    conn.transaction(async |conn| {
        let saved: WorkPriority = diesel::insert_into(work_priorities::table)
            .values((
                work_priorities::id.eq(Uuid::now_v7()),
                work_priorities::organization_id.eq(org),
                work_priorities::year.eq(year),
                work_priorities::text.eq(text),
                work_priorities::created_by.eq(user),
            ))
            .returning(WorkPriority::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("work_priority.create", "work_priority", saved.id)
            .details(serde_json::json!({"organization_id": org, "year": year}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_priority(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<WorkPriority> {
    work_priorities::table
        .find(id)
        .select(WorkPriority::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Priorities of these organizations (all when `None`), in the order they were written.
pub async fn list_priorities(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    organization_id: Option<Uuid>,
    year: Option<i32>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<WorkPriority>> {
    let mut query = work_priorities::table
        .select(WorkPriority::as_select())
        .order(work_priorities::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(work_priorities::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(org) = organization_id {
        query = query.filter(work_priorities::organization_id.eq(org));
    }
    if let Some(year) = year {
        query = query.filter(work_priorities::year.eq(year));
    }
    if let Some(after) = after {
        query = query.filter(work_priorities::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

async fn lock_priority(conn: &mut AsyncPgConnection, id: Uuid, expected: Option<i32>) -> StoreResult<WorkPriority> {
    let current: WorkPriority = work_priorities::table
        .find(id)
        .select(WorkPriority::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if expected.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

pub async fn update_priority(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected: Option<i32>,
    year: i32,
    text: &str,
) -> StoreResult<WorkPriority> {
    conn.transaction(async |conn| {
        let current = lock_priority(conn, id, expected).await?;
        if current.year == year && current.text == text {
            return Ok(current);
        }
        let saved: WorkPriority = diesel::update(work_priorities::table.find(id))
            .set((
                work_priorities::year.eq(year),
                work_priorities::text.eq(text),
                work_priorities::version.eq(work_priorities::version + 1),
                work_priorities::updated_at.eq(diesel::dsl::now),
            ))
            .returning(WorkPriority::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("work_priority.update", "work_priority", id).fields(["year", "text"]))
            .await?;
        Ok(saved)
    })
    .await
}

pub async fn delete_priority(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected: Option<i32>,
) -> StoreResult<()> {
    conn.transaction(async |conn| {
        let current = lock_priority(conn, id, expected).await?;
        diesel::delete(work_priorities::table.find(id)).execute(conn).await?;
        let change = Change::new("work_priority.delete", "work_priority", id)
            .details(serde_json::json!({"organization_id": current.organization_id, "year": current.year}));
        audit::record(conn, actor, change).await?;
        Ok(())
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = work_report_hearings)]
pub struct Hearing {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub held_on: NaiveDate,
    pub chaired_by: Option<String>,
    pub minutes: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn record_hearing(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    org: Uuid,
    held_on: NaiveDate,
    chaired_by: Option<&str>,
    minutes: &str,
    user: Option<Uuid>,
) -> StoreResult<Hearing> {
    conn.transaction(async |conn| {
        let saved: Hearing = diesel::insert_into(work_report_hearings::table)
            .values((
                work_report_hearings::id.eq(Uuid::now_v7()),
                work_report_hearings::organization_id.eq(org),
                work_report_hearings::held_on.eq(held_on),
                work_report_hearings::chaired_by.eq(chaired_by),
                work_report_hearings::minutes.eq(minutes),
                work_report_hearings::created_by.eq(user),
            ))
            .returning(Hearing::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("work_report_hearing.record", "work_report_hearing", saved.id)
            .details(serde_json::json!({"organization_id": org, "held_on": held_on}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get_hearing(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Hearing> {
    work_report_hearings::table
        .find(id)
        .select(Hearing::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Hearings of these organizations (all when `None`), newest first, optionally of one year.
pub async fn list_hearings(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    organization_id: Option<Uuid>,
    year: Option<i32>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Hearing>> {
    let mut query = work_report_hearings::table
        .select(Hearing::as_select())
        .order(work_report_hearings::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(work_report_hearings::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(org) = organization_id {
        query = query.filter(work_report_hearings::organization_id.eq(org));
    }
    if let Some((from, to)) = year.and_then(domain::calendar::year_bounds) {
        query = query.filter(work_report_hearings::held_on.between(from, to));
    }
    if let Some(before) = before {
        query = query.filter(work_report_hearings::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// One organization in the yearly hearing check.
#[derive(Debug, Clone)]
pub struct HearingCount {
    pub organization_id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub hearings: i64,
    pub last_held_on: Option<NaiveDate>,
}

/// Every organization of `members` that must hear work reports, with its hearings held in `year`,
/// by name.
pub async fn hearing_counts(
    conn: &mut AsyncPgConnection,
    members: &[Uuid],
    year: i32,
) -> StoreResult<Vec<HearingCount>> {
    let (from, to) =
        domain::calendar::year_bounds(year).ok_or(StoreError::InvalidField { field: "year", code: "range" })?;
    let orgs: Vec<(Uuid, String, String)> = organizations::table
        .filter(organizations::id.eq_any(members.to_vec()))
        .select((organizations::id, organizations::name, organizations::kind))
        .order((organizations::name.asc(), organizations::id.asc()))
        .load(conn)
        .await?;
    let held: Vec<(Uuid, NaiveDate)> = work_report_hearings::table
        .filter(work_report_hearings::organization_id.eq_any(members.to_vec()))
        .filter(work_report_hearings::held_on.between(from, to))
        .select((work_report_hearings::organization_id, work_report_hearings::held_on))
        .load(conn)
        .await?;
    let mut out = Vec::new();
    for (id, name, kind) in orgs {
        let kind: OrganizationKind = parse_code(&kind)?;
        if !rules::must_hear_work_reports(kind) {
            continue;
        }
        let days: Vec<NaiveDate> = held.iter().filter(|(o, _)| *o == id).map(|(_, d)| *d).collect();
        out.push(HearingCount {
            organization_id: id,
            name,
            kind,
            hearings: i64::try_from(days.len()).unwrap_or(i64::MAX),
            last_held_on: days.into_iter().max(),
        });
    }
    Ok(out)
}

/// The public leadership page of an organization: the organization, its parent's name and that
/// year's work priorities. Leadership and priorities are published by rule (seed §6.1), so nothing
/// here is internal.
pub async fn public_page(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    year: i32,
) -> StoreResult<(crate::organizations::Organization, Option<String>, Vec<WorkPriority>)> {
    let org = crate::organizations::get(conn, id).await?;
    let parent = match org.parent_id {
        Some(parent) => organizations::table.find(parent).select(organizations::name).first(conn).await.optional()?,
        None => None,
    };
    let priorities = work_priorities::table
        .filter(work_priorities::organization_id.eq(id))
        .filter(work_priorities::year.eq(year))
        .order(work_priorities::id.asc())
        .limit(200)
        .select(WorkPriority::as_select())
        .load(conn)
        .await?;
    Ok((org, parent, priorities))
}
