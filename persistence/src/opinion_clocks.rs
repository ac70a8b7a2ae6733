//! The clocks of public-opinion incidents, the releases that stop them, referrals of false
//! information, and the sweep that records a missed clock as a breach. The state is all in the
//! database: a sweep after a restart finds every clock that ran out while the service was down and
//! records the breach at the instant it happened.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::opinions::{self as rules, ClockHours, ClockKind, EventLevel, ReferralAuthority, ReleaseKind};
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::schema::{
    opinion_clocks as clocks, opinion_incidents as incidents, opinion_referrals as referrals,
    opinion_releases as releases, opinion_settings as settings_table,
};

#[derive(Debug, Clone, Copy, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = settings_table)]
pub struct OpinionSettings {
    pub release_hours: i32,
    pub press_conference_hours: i32,
    pub response_hours: i32,
}

impl OpinionSettings {
    pub fn hours(self) -> ClockHours {
        let hours = |h: i32| u32::try_from(h).unwrap_or(1);
        ClockHours {
            release: hours(self.release_hours),
            press_conference: hours(self.press_conference_hours),
            response: hours(self.response_hours),
        }
    }
}

pub async fn settings(conn: &mut AsyncPgConnection) -> StoreResult<OpinionSettings> {
    Ok(settings_table::table.select(OpinionSettings::as_select()).first(conn).await?)
}

/// Replaces the clock hours; clocks already running keep their due instants.
pub async fn put_settings(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: OpinionSettings,
) -> StoreResult<OpinionSettings> {
    conn.transaction(async |conn| {
        let saved = diesel::update(settings_table::table)
            .set((
                settings_table::release_hours.eq(new.release_hours),
                settings_table::press_conference_hours.eq(new.press_conference_hours),
                settings_table::response_hours.eq(new.response_hours),
                settings_table::updated_at.eq(diesel::dsl::now),
            ))
            .returning(OpinionSettings::as_returning())
            .get_result(conn)
            .await?;
        let change = Change {
            action: "opinion_settings.update",
            entity_type: "opinion_settings",
            entity_id: None,
            changed_fields: vec!["opinion_settings".into()],
            details: serde_json::json!({"release_hours": new.release_hours,
                "press_conference_hours": new.press_conference_hours, "response_hours": new.response_hours}),
        };
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// The first release of the incident that stops a clock of `kind`.
async fn first_stop(
    conn: &mut AsyncPgConnection,
    incident_id: Uuid,
    kind: ClockKind,
) -> StoreResult<Option<DateTime<Utc>>> {
    let kinds: Vec<&str> = ReleaseKind::ALL.iter().filter(|r| rules::stops(kind, **r)).map(|r| r.as_str()).collect();
    Ok(releases::table
        .filter(releases::incident_id.eq(incident_id))
        .filter(releases::kind.eq_any(kinds))
        .select(diesel::dsl::min(releases::released_at))
        .first(conn)
        .await?)
}

/// Starts the clocks the incident's event level and detection time call for. A correction can add
/// a clock or bring one forward, never take one away or push it back: a clock once started is the
/// public's, and a downgraded event level or a later detection time must not dodge it.
pub async fn rebuild(
    conn: &mut AsyncPgConnection,
    incident_id: Uuid,
    level: Option<EventLevel>,
    detected_at: DateTime<Utc>,
) -> StoreResult<()> {
    let hours = settings(conn).await?.hours();
    for (kind, due_at) in rules::clocks(level, detected_at, hours) {
        diesel::update(
            clocks::table
                .filter(clocks::incident_id.eq(incident_id))
                .filter(clocks::kind.eq(kind.as_str()))
                .filter(clocks::breach_recorded_at.is_null())
                .filter(clocks::due_at.gt(due_at)),
        )
        .set(clocks::due_at.eq(due_at))
        .execute(conn)
        .await?;
        let stopped_at = first_stop(conn, incident_id, kind).await?;
        diesel::insert_into(clocks::table)
            .values((
                clocks::incident_id.eq(incident_id),
                clocks::kind.eq(kind.as_str()),
                clocks::due_at.eq(due_at),
                clocks::stopped_at.eq(stopped_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = releases)]
pub struct Release {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub kind: String,
    pub channel: String,
    pub title: String,
    pub content: String,
    pub released_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl Release {
    pub fn kind(&self) -> StoreResult<ReleaseKind> {
        parse(&self.kind)
    }
}

/// A release as the officer logs it.
#[derive(Debug, Clone)]
pub struct NewRelease {
    pub kind: ReleaseKind,
    pub channel: String,
    pub title: String,
    pub content: String,
    pub released_at: DateTime<Utc>,
}

/// Logs a release (public at once) and stops the clocks it answers. It cannot be dated before the
/// detection or in the future.
pub async fn release(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    incident_id: Uuid,
    new: &NewRelease,
    now: DateTime<Utc>,
) -> StoreResult<Release> {
    conn.transaction(async |conn| {
        let detected_at: DateTime<Utc> =
            incidents::table.find(incident_id).select(incidents::detected_at).for_share().first(conn).await?;
        if new.released_at > now {
            return Err(StoreError::InvalidField { field: "released_at", code: "date_in_future" });
        }
        if new.released_at < detected_at {
            return Err(StoreError::InvalidField { field: "released_at", code: "date_too_early" });
        }
        let id = Uuid::now_v7();
        let user = (actor.kind == ActorKind::User).then_some(actor.id).flatten();
        let saved: Release = diesel::insert_into(releases::table)
            .values((
                releases::id.eq(id),
                releases::incident_id.eq(incident_id),
                releases::kind.eq(new.kind.as_str()),
                releases::channel.eq(&new.channel),
                releases::title.eq(&new.title),
                releases::content.eq(&new.content),
                releases::released_at.eq(new.released_at),
                releases::created_by.eq(user),
            ))
            .returning(Release::as_returning())
            .get_result(conn)
            .await?;
        let stopped: Vec<&str> =
            ClockKind::ALL.iter().filter(|k| rules::stops(**k, new.kind)).map(|k| k.as_str()).collect();
        diesel::update(
            clocks::table
                .filter(clocks::incident_id.eq(incident_id))
                .filter(clocks::kind.eq_any(stopped))
                // A recorded breach still stands (see `breach_recorded_at`); this only notes the answer.
                .filter(clocks::stopped_at.is_null().or(clocks::stopped_at.gt(new.released_at))),
        )
        .set(clocks::stopped_at.eq(new.released_at))
        .execute(conn)
        .await?;
        let change = Change::new("opinion.release", "opinion_release", id)
            .details(serde_json::json!({"incident_id": incident_id, "kind": new.kind.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn releases_of(conn: &mut AsyncPgConnection, incident_id: Uuid) -> StoreResult<Vec<Release>> {
    Ok(releases::table
        .filter(releases::incident_id.eq(incident_id))
        .order((releases::released_at.asc(), releases::id.asc()))
        .select(Release::as_select())
        .load(conn)
        .await?)
}

pub async fn release_kinds(conn: &mut AsyncPgConnection, incident_id: Uuid) -> StoreResult<Vec<ReleaseKind>> {
    releases_of(conn, incident_id).await?.iter().map(Release::kind).collect()
}

/// One release.
pub async fn get_release(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Release> {
    Ok(releases::table.find(id).select(Release::as_select()).first(conn).await?)
}

/// Every release, newest first: the public record.
pub async fn public_releases(
    conn: &mut AsyncPgConnection,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Release>> {
    let mut query = releases::table.select(Release::as_select()).order(releases::id.desc()).limit(limit).into_boxed();
    if let Some(before) = before {
        query = query.filter(releases::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = referrals)]
pub struct Referral {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub authority: String,
    pub referred_at: DateTime<Utc>,
    pub reference: Option<String>,
    pub notes: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A referral as the officer records it.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub authority: ReferralAuthority,
    pub referred_at: DateTime<Utc>,
    /// The receiving authority's case or letter number.
    pub reference: Option<String>,
    pub notes: String,
}

/// Records that false information was referred to the police or the cyberspace authority.
pub async fn refer(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    incident_id: Uuid,
    new: &NewReferral,
    now: DateTime<Utc>,
) -> StoreResult<Referral> {
    if new.referred_at > now {
        return Err(StoreError::InvalidField { field: "referred_at", code: "date_in_future" });
    }
    conn.transaction(async |conn| {
        incidents::table.find(incident_id).select(incidents::id).for_share().first::<Uuid>(conn).await?;
        let id = Uuid::now_v7();
        let user = (actor.kind == ActorKind::User).then_some(actor.id).flatten();
        let saved: Referral = diesel::insert_into(referrals::table)
            .values((
                referrals::id.eq(id),
                referrals::incident_id.eq(incident_id),
                referrals::authority.eq(new.authority.as_str()),
                referrals::referred_at.eq(new.referred_at),
                referrals::reference.eq(&new.reference),
                referrals::notes.eq(&new.notes),
                referrals::created_by.eq(user),
            ))
            .returning(Referral::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("opinion.refer", "opinion_referral", id)
            .details(serde_json::json!({"incident_id": incident_id, "authority": new.authority.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn referrals_of(conn: &mut AsyncPgConnection, incident_id: Uuid) -> StoreResult<Vec<Referral>> {
    Ok(referrals::table
        .filter(referrals::incident_id.eq(incident_id))
        .order(referrals::id.asc())
        .select(Referral::as_select())
        .load(conn)
        .await?)
}

pub async fn referral_count(conn: &mut AsyncPgConnection, incident_id: Uuid) -> StoreResult<usize> {
    let n: i64 = referrals::table.filter(referrals::incident_id.eq(incident_id)).count().get_result(conn).await?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// A clock of an incident.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clocks)]
pub struct Clock {
    pub incident_id: Uuid,
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub breach_recorded_at: Option<DateTime<Utc>>,
}

pub async fn clocks_of(conn: &mut AsyncPgConnection, incident_id: Uuid) -> StoreResult<Vec<Clock>> {
    Ok(clocks::table
        .filter(clocks::incident_id.eq(incident_id))
        .order(clocks::due_at.asc())
        .select(Clock::as_select())
        .load(conn)
        .await?)
}

/// Clocks no release has stopped yet, soonest due first, of incidents any of `organizations`
/// has a hand in (all when `None`).
pub async fn running(conn: &mut AsyncPgConnection, organizations: Option<&[Uuid]>) -> StoreResult<Vec<Clock>> {
    let mut query = clocks::table
        .filter(clocks::stopped_at.is_null())
        .order((clocks::due_at.asc(), clocks::incident_id.asc()))
        .select(Clock::as_select())
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(clocks::incident_id.eq_any(crate::opinions::involving(orgs.to_vec())));
    }
    Ok(query.load(conn).await?)
}

/// The soonest instant a clock can run out, for the sweeper to wake at.
pub async fn next_due(conn: &mut AsyncPgConnection) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(clocks::table
        .filter(clocks::stopped_at.is_null())
        .filter(clocks::breach_recorded_at.is_null())
        .select(diesel::dsl::min(clocks::due_at))
        .first(conn)
        .await?)
}

/// Records every clock that ran out by `now` unstopped (or stopped only after its due instant) as
/// a breach of its kind, once, dated at the due instant and charged to the lead, else the one
/// responder, else (several departments without a lead, or an escalation outside the system) the
/// collecting organization, which coordinates. Returns how many were recorded.
pub async fn record_missed(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> StoreResult<usize> {
    let recorded = diesel::sql_query(
        "WITH missed AS ( \
             UPDATE opinion_clocks SET breach_recorded_at = $1 \
             WHERE breach_recorded_at IS NULL AND due_at < $1 AND (stopped_at IS NULL OR stopped_at > due_at) \
             RETURNING incident_id, kind, due_at, stopped_at) \
         INSERT INTO breaches (id, kind, organization_id, entity_type, entity_id, due_on, occurred_at, details) \
         SELECT gen_random_uuid(), m.kind, coalesce( \
                    (SELECT o.id FROM organizations o WHERE o.id = i.lead_organization_id), \
                    (SELECT o.id FROM organizations o WHERE o.id = i.responder_ids[1] \
                        AND cardinality(i.responder_ids) = 1), \
                    i.organization_id), \
                'opinion_incident', i.id, (m.due_at AT TIME ZONE 'Asia/Shanghai')::date, m.due_at, \
                jsonb_build_object('due_at', m.due_at, 'released_at', m.stopped_at, 'escalated', i.escalated) \
         FROM missed m JOIN opinion_incidents i ON i.id = m.incident_id \
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .execute(conn)
    .await?;
    Ok(recorded)
}
