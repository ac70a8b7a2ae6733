//! Government open days (政府开放日): announcements, edits and cancellation until the day starts,
//! and registrations up to the capacity. A registration locks its open day, so simultaneous
//! registrations cannot overbook it, nor slip in beside an edit that cuts the capacity.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use domain::participation::{self as rules, Seats};

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::personal_data::Sealer;
use crate::schema::{open_day_registrations as registrations, open_days};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = open_days)]
pub struct OpenDay {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub description: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    pub capacity: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<String>,
}

impl OpenDay {
    pub fn seats(&self, taken: i64) -> Seats {
        Seats { capacity: i64::from(self.capacity), taken }
    }
}

/// What the officer writes when announcing or editing.
#[derive(Debug, Clone)]
pub struct OpenDayFields {
    pub title: String,
    pub description: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub registration_closes_at: DateTime<Utc>,
    pub capacity: i32,
}

fn check_schedule(fields: &OpenDayFields) -> StoreResult<()> {
    match rules::schedule_error(fields.starts_at, fields.ends_at, fields.registration_closes_at) {
        Some(e) => Err(StoreError::InvalidField { field: e.field, code: e.code }),
        None => Ok(()),
    }
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<OpenDay> {
    Ok(open_days::table.find(id).select(OpenDay::as_select()).for_update().first(conn).await?)
}

/// Replaces the announcement until the day starts; the capacity keeps room for everyone
/// already registered.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: &OpenDayFields,
    now: DateTime<Utc>,
) -> StoreResult<OpenDay> {
    check_schedule(fields)?;
    conn.transaction(async |conn| {
        let current = lock(conn, id).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        if let Some(code) = rules::change_refusal(current.cancelled_at.is_some(), current.starts_at, now) {
            return Err(StoreError::Refused(code));
        }
        if let Some(e) = rules::capacity_error(i64::from(fields.capacity), seats_taken(conn, id).await?) {
            return Err(StoreError::InvalidField { field: e.field, code: e.code });
        }
        let saved: OpenDay = diesel::update(open_days::table.find(id))
            .set((
                open_days::title.eq(&fields.title),
                open_days::description.eq(&fields.description),
                open_days::location.eq(&fields.location),
                open_days::starts_at.eq(fields.starts_at),
                open_days::ends_at.eq(fields.ends_at),
                open_days::registration_closes_at.eq(fields.registration_closes_at),
                open_days::capacity.eq(fields.capacity),
                open_days::version.eq(open_days::version + 1),
                open_days::updated_at.eq(diesel::dsl::now),
            ))
            .returning(OpenDay::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("open_day.update", "open_day", id)).await?;
        Ok(saved)
    })
    .await
}

/// Cancels the open day before it starts, with the reason the public sees.
pub async fn cancel(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<OpenDay> {
    conn.transaction(async |conn| {
        let current = lock(conn, id).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        if let Some(code) = rules::change_refusal(current.cancelled_at.is_some(), current.starts_at, now) {
            return Err(StoreError::Refused(code));
        }
        let saved: OpenDay = diesel::update(open_days::table.find(id))
            .set((
                open_days::cancelled_at.eq(now),
                open_days::cancellation_reason.eq(reason),
                open_days::version.eq(open_days::version + 1),
                open_days::updated_at.eq(diesel::dsl::now),
            ))
            .returning(OpenDay::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("open_day.cancel", "open_day", id)
            .fields(["cancelled_at"])
            .details(serde_json::json!({"reason": reason}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// Announces an open day.
pub async fn announce(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    fields: &OpenDayFields,
    created_by: Option<Uuid>,
) -> StoreResult<OpenDay> {
    check_schedule(fields)?;
    conn.transaction(async |conn| {
        let saved: OpenDay = diesel::insert_into(open_days::table)
            .values((
                open_days::id.eq(Uuid::now_v7()),
                open_days::organization_id.eq(organization_id),
                open_days::title.eq(&fields.title),
                open_days::description.eq(&fields.description),
                open_days::location.eq(&fields.location),
                open_days::starts_at.eq(fields.starts_at),
                open_days::ends_at.eq(fields.ends_at),
                open_days::registration_closes_at.eq(fields.registration_closes_at),
                open_days::capacity.eq(fields.capacity),
                open_days::created_by.eq(created_by),
            ))
            .returning(OpenDay::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("open_day.announce", "open_day", saved.id)).await?;
        Ok(saved)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<OpenDay> {
    Ok(open_days::table.find(id).select(OpenDay::as_select()).first(conn).await?)
}

/// People registered so far (party sizes summed).
pub async fn seats_taken(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<i64> {
    let taken: Option<i64> = registrations::table
        .filter(registrations::open_day_id.eq(id))
        .select(diesel::dsl::sum(registrations::party_size))
        .first(conn)
        .await?;
    Ok(taken.unwrap_or(0))
}

/// Open days of these organizations (all when `None`), or those not yet over when `upcoming_at`
/// is given; soonest first for the public, newest first otherwise.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    upcoming_at: Option<DateTime<Utc>>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<OpenDay>> {
    let mut query = open_days::table.select(OpenDay::as_select()).order(open_days::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(open_days::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(now) = upcoming_at {
        query = query.filter(open_days::ends_at.gt(now));
    }
    if let Some(before) = before {
        query = query.filter(open_days::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub struct Registration {
    pub id: Uuid,
    pub open_day_id: Uuid,
    pub receipt_code: String,
    pub name: String,
    pub contact_sealed: Vec<u8>,
    pub party_size: i32,
    pub created_at: DateTime<Utc>,
}

impl Registration {
    pub fn contact(&self, sealer: &Sealer) -> StoreResult<String> {
        sealer.open(&format!("open_day_registrations.contact:{}", self.id), &self.contact_sealed)
    }
}

/// Who registers for an open day, and for how many people.
#[derive(Debug, Clone)]
pub struct NewRegistration<'a> {
    pub name: &'a str,
    pub contact: &'a str,
    pub party_size: i32,
}

/// Registers `party_size` people while registration is open and seats remain.
pub async fn register(
    conn: &mut AsyncPgConnection,
    sealer: &Sealer,
    open_day_id: Uuid,
    new: &NewRegistration<'_>,
    now: DateTime<Utc>,
    request_id: Option<String>,
) -> StoreResult<Registration> {
    let NewRegistration { name, contact, party_size } = *new;
    conn.transaction(async |conn| {
        let day: OpenDay =
            open_days::table.find(open_day_id).select(OpenDay::as_select()).for_update().first(conn).await?;
        let seats = day.seats(seats_taken(conn, open_day_id).await?);
        let refusal = rules::registration_refusal(
            day.cancelled_at.is_some(),
            day.registration_closes_at,
            seats,
            i64::from(party_size),
            now,
        );
        if let Some(code) = refusal {
            return Err(StoreError::Refused(code));
        }
        let id = Uuid::now_v7();
        let code = crate::receipts::receipt_code("KF", day.starts_at.date_naive());
        let sealed = sealer.seal(&format!("open_day_registrations.contact:{id}"), contact);
        let registration: Registration = diesel::insert_into(registrations::table)
            .values((
                registrations::id.eq(id),
                registrations::open_day_id.eq(open_day_id),
                registrations::receipt_code.eq(&code),
                registrations::name.eq(name),
                registrations::contact_sealed.eq(sealed),
                registrations::party_size.eq(party_size),
            ))
            .returning(Registration::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            &Actor::anonymous(request_id),
            Change::new("open_day.register", "open_day_registration", id),
        )
        .await?;
        Ok(registration)
    })
    .await
}

pub async fn registrations_of(conn: &mut AsyncPgConnection, open_day_id: Uuid) -> StoreResult<Vec<Registration>> {
    Ok(registrations::table
        .filter(registrations::open_day_id.eq(open_day_id))
        .order(registrations::id.asc())
        .select(Registration::as_select())
        .load(conn)
        .await?)
}
