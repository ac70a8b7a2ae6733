//! Government meetings: a plan with topics, approval by the principal and holding, each refused
//! with every failed rule of `domain::meetings`. Each act is one transaction with the row locked.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::consultations::AdoptionResult;
use domain::consultations::ConsultationStatus;
use domain::meetings::{self as rules, BroadcastMode, Invitations, MeetingStatus, Openness, TopicPlan};
use domain::OrganizationKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::schema::{meeting_topics as topics, meetings};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRow {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub scheduled_at: DateTime<Utc>,
    pub status: String,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub held_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who a topic invites, as stored.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredInvitations {
    pub stakeholders: bool,
    pub public_representatives: bool,
    pub experts: bool,
    pub media: bool,
}

/// A topic of the plan.
#[derive(Debug, Clone)]
pub struct Topic {
    pub title: String,
    pub major_livelihood: bool,
    pub invitations: Option<StoredInvitations>,
    /// `open` or `confidential`; none until stated.
    pub open: Option<bool>,
    pub broadcast: Vec<BroadcastMode>,
    pub confidential_reason: Option<String>,
    pub important_decision_draft: bool,
    pub consultation_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Meeting {
    pub row: MeetingRow,
    pub status: MeetingStatus,
    pub topics: Vec<Topic>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = topics)]
struct TopicRow {
    title: String,
    major_livelihood: bool,
    invitations: Option<serde_json::Value>,
    openness: Option<String>,
    broadcast: Vec<String>,
    confidential_reason: Option<String>,
    important_decision_draft: bool,
    consultation_id: Option<Uuid>,
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Meeting> {
    let row: MeetingRow = meetings::table.find(id).select(MeetingRow::as_select()).first(conn).await?;
    assemble(conn, row).await
}

async fn assemble(conn: &mut AsyncPgConnection, row: MeetingRow) -> StoreResult<Meeting> {
    let rows: Vec<TopicRow> = topics::table
        .filter(topics::meeting_id.eq(row.id))
        .order(topics::position.asc())
        .select(TopicRow::as_select())
        .load(conn)
        .await?;
    let mut list = Vec::new();
    for t in rows {
        let invitations = t
            .invitations
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| StoreError::Other(format!("meeting topic invitations: {e}")))?;
        let broadcast = t.broadcast.iter().map(|b| parse(b)).collect::<StoreResult<Vec<BroadcastMode>>>()?;
        list.push(Topic {
            title: t.title,
            major_livelihood: t.major_livelihood,
            invitations,
            open: t.openness.as_deref().map(|o| o == "open"),
            broadcast,
            confidential_reason: t.confidential_reason,
            important_decision_draft: t.important_decision_draft,
            consultation_id: t.consultation_id,
        });
    }
    Ok(Meeting { status: parse(&row.status)?, row, topics: list })
}

/// A topic's consultation must be one the meeting's organization answers for: its own, or — for
/// the county government and its office, whose executive meetings decide departments' drafts —
/// one of an organization of the same county.
async fn check_consultations(conn: &mut AsyncPgConnection, organization_id: Uuid, list: &[Topic]) -> StoreResult<()> {
    let not_found = StoreError::InvalidField { field: "topics", code: "consultation_not_found" };
    let mut own: Option<(Option<Uuid>, bool)> = None;
    for consultation_id in list.iter().filter_map(|t| t.consultation_id) {
        let consultation = crate::consultations::get(conn, consultation_id).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::InvalidField { field: "topics", code: "consultation_not_found" },
            other => other,
        })?;
        if consultation.organization_id == organization_id {
            continue;
        }
        // Another organization's consultation still in draft is internal to it.
        if consultation.stored_status == ConsultationStatus::Draft {
            return Err(not_found);
        }
        if own.is_none() {
            let kind = crate::organizations::get(conn, organization_id).await?.kind;
            let county_level = matches!(kind, OrganizationKind::CountyGovernment | OrganizationKind::GovernmentOffice);
            own = Some((crate::organizations::county_of(conn, organization_id).await?, county_level));
        }
        let (county, county_level) = own.unwrap_or_default();
        // Another county's consultation is as unknown as a missing one.
        if county.is_none() || county != crate::organizations::county_of(conn, consultation.organization_id).await? {
            return Err(not_found);
        }
        if !county_level {
            return Err(StoreError::InvalidField { field: "topics", code: "consultation_of_other_organization" });
        }
    }
    Ok(())
}

async fn write_topics(conn: &mut AsyncPgConnection, meeting_id: Uuid, list: &[Topic]) -> StoreResult<()> {
    diesel::delete(topics::table.filter(topics::meeting_id.eq(meeting_id))).execute(conn).await?;
    for (position, t) in list.iter().enumerate() {
        let invitations = t.invitations.map(|i| serde_json::to_value(i).expect("plain struct serializes"));
        let broadcast: Vec<&str> = t.broadcast.iter().map(|b| b.as_str()).collect();
        diesel::insert_into(topics::table)
            .values((
                topics::id.eq(Uuid::now_v7()),
                topics::meeting_id.eq(meeting_id),
                topics::position.eq(position as i32),
                topics::title.eq(&t.title),
                topics::major_livelihood.eq(t.major_livelihood),
                topics::invitations.eq(invitations),
                topics::openness.eq(t.open.map(|o| if o { "open" } else { "confidential" })),
                topics::broadcast.eq(broadcast),
                topics::confidential_reason.eq(&t.confidential_reason),
                topics::important_decision_draft.eq(t.important_decision_draft),
                topics::consultation_id.eq(t.consultation_id),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    title: &str,
    scheduled_at: DateTime<Utc>,
    list: &[Topic],
    created_by: Option<Uuid>,
) -> StoreResult<Meeting> {
    conn.transaction(async |conn| {
        check_consultations(conn, organization_id, list).await?;
        let id = Uuid::now_v7();
        let row: MeetingRow = diesel::insert_into(meetings::table)
            .values((
                meetings::id.eq(id),
                meetings::organization_id.eq(organization_id),
                meetings::title.eq(title),
                meetings::scheduled_at.eq(scheduled_at),
                meetings::created_by.eq(created_by),
            ))
            .returning(MeetingRow::as_returning())
            .get_result(conn)
            .await?;
        write_topics(conn, id, list).await?;
        audit::record(conn, actor, Change::new("meeting.create", "meeting", id)).await?;
        assemble(conn, row).await
    })
    .await
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<Meeting> {
    let row: MeetingRow = meetings::table.find(id).select(MeetingRow::as_select()).for_update().first(conn).await?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(StoreError::StaleVersion);
    }
    assemble(conn, row).await
}

/// Replaces the plan of a meeting not yet approved.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    title: &str,
    scheduled_at: DateTime<Utc>,
    list: &[Topic],
) -> StoreResult<Meeting> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if current.status != MeetingStatus::Planned {
            return Err(StoreError::Refused("meeting_state_conflict"));
        }
        check_consultations(conn, current.row.organization_id, list).await?;
        let row: MeetingRow = diesel::update(meetings::table.find(id))
            .set((
                meetings::title.eq(title),
                meetings::scheduled_at.eq(scheduled_at),
                meetings::version.eq(meetings::version + 1),
                meetings::updated_at.eq(diesel::dsl::now),
            ))
            .returning(MeetingRow::as_returning())
            .get_result(conn)
            .await?;
        write_topics(conn, id, list).await?;
        audit::record(conn, actor, Change::new("meeting.update", "meeting", id).fields(["title", "topics"])).await?;
        assemble(conn, row).await
    })
    .await
}

/// The plan as the rules read it, with each draft's consultation status as it is now.
async fn plans(conn: &mut AsyncPgConnection, meeting: &Meeting, now: DateTime<Utc>) -> StoreResult<Vec<TopicPlan>> {
    let mut out = Vec::new();
    for t in &meeting.topics {
        let consultation = match t.consultation_id {
            Some(id) => Some(crate::consultations::get(conn, id).await?.status_at(now)),
            None => None,
        };
        let openness = t.open.map(|open| {
            if open {
                Openness::Open { broadcast: t.broadcast.clone() }
            } else {
                Openness::Confidential { legal_reason: t.confidential_reason.clone().unwrap_or_default() }
            }
        });
        out.push(TopicPlan {
            major_livelihood: t.major_livelihood,
            invitations: t.invitations.map(|i| Invitations {
                stakeholders: i.stakeholders,
                public_representatives: i.public_representatives,
                experts: i.experts,
                media: i.media,
            }),
            openness,
            important_decision_draft: t.important_decision_draft,
            consultation: consultation.filter(|s| *s != ConsultationStatus::Draft),
        });
    }
    Ok(out)
}

/// Approval (`principal`) or holding of the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingAct {
    Approve,
    Hold,
}

pub async fn act(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    act: MeetingAct,
    now: DateTime<Utc>,
) -> StoreResult<Meeting> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        let plan = plans(conn, &current, now).await?;
        let (from, to, failures, action) = match act {
            MeetingAct::Approve => {
                (MeetingStatus::Planned, MeetingStatus::Approved, rules::approval_failures(&plan), "meeting.approve")
            }
            MeetingAct::Hold => {
                (MeetingStatus::Approved, MeetingStatus::Held, rules::holding_failures(&plan), "meeting.hold")
            }
        };
        if current.status != from {
            return Err(StoreError::Refused("meeting_state_conflict"));
        }
        if !failures.is_empty() {
            return Err(StoreError::RulesFailed(failures));
        }
        let user = (actor.kind == crate::audit::ActorKind::User).then_some(actor.id).flatten();
        let row: MeetingRow = match act {
            MeetingAct::Approve => {
                diesel::update(meetings::table.find(id))
                    .set((
                        meetings::status.eq(to.as_str()),
                        meetings::approved_by.eq(user),
                        meetings::approved_at.eq(now),
                        meetings::version.eq(meetings::version + 1),
                        meetings::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(MeetingRow::as_returning())
                    .get_result(conn)
                    .await?
            }
            MeetingAct::Hold => {
                diesel::update(meetings::table.find(id))
                    .set((
                        meetings::status.eq(to.as_str()),
                        meetings::held_at.eq(now),
                        meetings::version.eq(meetings::version + 1),
                        meetings::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(MeetingRow::as_returning())
                    .get_result(conn)
                    .await?
            }
        };
        audit::record(conn, actor, Change::new(action, "meeting", id).fields(["status"])).await?;
        assemble(conn, row).await
    })
    .await
}

/// Meetings of these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Meeting>> {
    let mut query =
        meetings::table.select(MeetingRow::as_select()).order(meetings::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(meetings::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(before) = before {
        query = query.filter(meetings::id.lt(before));
    }
    let rows: Vec<MeetingRow> = query.load(conn).await?;
    let mut out = Vec::new();
    for row in rows {
        out.push(assemble(conn, row).await?);
    }
    Ok(out)
}

/// The comment summary attached to a topic (DOMAIN.md §5): how its draft was consulted on and what
/// became of the comments.
#[derive(Debug, Clone)]
pub struct CommentSummary {
    /// The topic's position in the plan, from 0.
    pub topic: usize,
    pub consultation_id: Uuid,
    /// The consulting organization (a draft consultation is internal to it).
    pub organization_id: Uuid,
    pub title: String,
    pub status: ConsultationStatus,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// Published (not hidden) comments.
    pub comments: usize,
    /// By adoption result, once the results are published.
    pub counts: Option<[(AdoptionResult, usize); 3]>,
    pub results_summary: Option<String>,
    pub results_published_at: Option<DateTime<Utc>>,
}

/// The comment summaries of the meeting's topics that name a consultation.
pub async fn comment_summaries(
    conn: &mut AsyncPgConnection,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> StoreResult<Vec<CommentSummary>> {
    let mut out = Vec::new();
    for (topic, consultation_id) in meeting.topics.iter().enumerate().filter_map(|(i, t)| Some((i, t.consultation_id?)))
    {
        let c = crate::consultations::get(conn, consultation_id).await?;
        let status = c.status_at(now);
        let published = status == ConsultationStatus::ResultsPublished;
        let comments = crate::consultations::comments_of(conn, consultation_id, false).await?.len();
        let counts = if published { Some(crate::consultations::counts(conn, consultation_id).await?) } else { None };
        out.push(CommentSummary {
            topic,
            consultation_id,
            organization_id: c.organization_id,
            title: c.title,
            status,
            opens_at: c.opens_at,
            closes_at: c.closes_at,
            comments,
            counts,
            results_summary: c.results_summary,
            results_published_at: c.results_published_at,
        });
    }
    Ok(out)
}
