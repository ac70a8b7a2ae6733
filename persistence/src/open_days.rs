//! Government open days (政府开放日): announcements and registrations up to the capacity. A
//! registration locks its open day, so simultaneous registrations cannot overbook it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::{StoreError, StoreResult};
use crate::personal_data::Sealer;
use crate::schema::{open_day_registrations as registrations, open_days};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
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
}

/// Announces an open day; the caller has checked the dates.
pub async fn announce(conn: &mut AsyncPgConnection, actor: &Actor, day: OpenDay) -> StoreResult<OpenDay> {
    conn.transaction(async |conn| {
        let saved: OpenDay = diesel::insert_into(open_days::table)
            .values(&day)
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

/// Registers `party_size` people while registration is open and seats remain.
pub async fn register(
    conn: &mut AsyncPgConnection,
    sealer: &Sealer,
    open_day_id: Uuid,
    name: &str,
    contact: &str,
    party_size: i32,
    now: DateTime<Utc>,
) -> StoreResult<Registration> {
    conn.transaction(async |conn| {
        let day: OpenDay =
            open_days::table.find(open_day_id).select(OpenDay::as_select()).for_update().first(conn).await?;
        if now >= day.registration_closes_at {
            return Err(StoreError::Refused("registration_closed"));
        }
        if seats_taken(conn, open_day_id).await? + i64::from(party_size) > i64::from(day.capacity) {
            return Err(StoreError::Refused("open_day_full"));
        }
        let id = Uuid::now_v7();
        let mut random = [0u8; 5];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let code = format!("KF{}-{}", day.starts_at.format("%Y%m%d"), hex::encode_upper(random));
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
        let anonymous = Actor { kind: ActorKind::Anonymous, id: None, request_id: None };
        audit::record(conn, &anonymous, Change::new("open_day.register", "open_day_registration", id)).await?;
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
