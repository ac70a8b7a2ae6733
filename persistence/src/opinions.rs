//! Public-opinion incidents (政务舆情): collected with the responsibility `domain::opinions` decides,
//! then consulted, assessed, responded to and evaluated. Each act is one transaction with the
//! incident locked; the clocks live in `opinion_clocks` and are rebuilt whenever the facts that set
//! them change.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::opinions::{
    self as rules, EventLevel, HandlingClass, IncidentAct, IncidentSource, IncidentStatus, OpinionFocus,
    ResponsibilityFacts, ResponsibilityRule,
};
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::opinion_clocks;
use crate::schema::{opinion_incidents as incidents, organizations};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents)]
struct IncidentRow {
    id: Uuid,
    organization_id: Uuid,
    source: String,
    source_link: Option<String>,
    summary: String,
    detected_at: DateTime<Utc>,
    focus: Option<String>,
    event_level: Option<String>,
    county_policy: bool,
    policy_department_id: Option<Uuid>,
    involved_organization_ids: Vec<Uuid>,
    regions: Vec<String>,
    lead_organization_id: Option<Uuid>,
    higher_authority_id: Option<Uuid>,
    responsibility_rule: String,
    responder_ids: Vec<Uuid>,
    escalated: bool,
    status: String,
    consultation_participants: Option<String>,
    consultation_minutes: Option<String>,
    consulted_at: Option<DateTime<Utc>>,
    handling_class: Option<String>,
    assessment_notes: Option<String>,
    assessed_at: Option<DateTime<Utc>>,
    responded_at: Option<DateTime<Utc>>,
    evaluation_notes: Option<String>,
    evaluated_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// What the collecting officer states about an incident.
#[derive(Debug, Clone)]
pub struct IncidentFacts {
    pub source: IncidentSource,
    pub source_link: Option<String>,
    pub summary: String,
    pub detected_at: DateTime<Utc>,
    pub focus: Option<OpinionFocus>,
    pub event_level: Option<EventLevel>,
    pub county_policy: bool,
    pub policy_department_id: Option<Uuid>,
    pub involved_organization_ids: Vec<Uuid>,
    pub regions: Vec<String>,
    /// For several regions: the higher-level competent department that responds, if in the system.
    pub higher_authority_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Incident {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub facts: IncidentFacts,
    pub lead_organization_id: Option<Uuid>,
    pub rule: ResponsibilityRule,
    pub responder_ids: Vec<Uuid>,
    pub escalated: bool,
    pub status: IncidentStatus,
    pub consultation_participants: Option<String>,
    pub consultation_minutes: Option<String>,
    pub consulted_at: Option<DateTime<Utc>>,
    pub handling_class: Option<HandlingClass>,
    pub assessment_notes: Option<String>,
    pub assessed_at: Option<DateTime<Utc>>,
    pub responded_at: Option<DateTime<Utc>>,
    pub evaluation_notes: Option<String>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    /// Every organization with a hand in it: the collector, those involved, the responders, the
    /// policy department and the lead.
    pub fn organizations(&self) -> Vec<Uuid> {
        let mut all = vec![self.organization_id];
        all.extend(&self.facts.involved_organization_ids);
        all.extend(&self.responder_ids);
        all.extend(self.facts.policy_department_id);
        all.extend(self.lead_organization_id);
        all.sort_unstable();
        all.dedup();
        all
    }
}

fn optional<T: std::str::FromStr<Err = domain::enums::UnknownCode>>(value: Option<String>) -> StoreResult<Option<T>> {
    value.as_deref().map(parse).transpose()
}

impl TryFrom<IncidentRow> for Incident {
    type Error = StoreError;
    fn try_from(r: IncidentRow) -> StoreResult<Self> {
        Ok(Incident {
            id: r.id,
            organization_id: r.organization_id,
            facts: IncidentFacts {
                source: parse(&r.source)?,
                source_link: r.source_link,
                summary: r.summary,
                detected_at: r.detected_at,
                focus: optional(r.focus)?,
                event_level: optional(r.event_level)?,
                county_policy: r.county_policy,
                policy_department_id: r.policy_department_id,
                involved_organization_ids: r.involved_organization_ids,
                regions: r.regions,
                higher_authority_id: r.higher_authority_id,
            },
            lead_organization_id: r.lead_organization_id,
            rule: parse(&r.responsibility_rule)?,
            responder_ids: r.responder_ids,
            escalated: r.escalated,
            status: parse(&r.status)?,
            consultation_participants: r.consultation_participants,
            consultation_minutes: r.consultation_minutes,
            consulted_at: r.consulted_at,
            handling_class: optional(r.handling_class)?,
            assessment_notes: r.assessment_notes,
            assessed_at: r.assessed_at,
            responded_at: r.responded_at,
            evaluation_notes: r.evaluation_notes,
            evaluated_at: r.evaluated_at,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Detection cannot lie in the future (a few minutes of clock skew between systems are tolerated).
const DETECTION_SKEW_MINUTES: i64 = 5;

/// Checks the facts against the organizations they name: each must exist in the collecting
/// organization's county (another county's is as unknown as a missing one), the policy department
/// must be a county department. Returns the townships among the involved, which count as regions.
async fn check_facts(
    conn: &mut AsyncPgConnection,
    organization_id: Uuid,
    facts: &IncidentFacts,
    now: Option<DateTime<Utc>>,
) -> StoreResult<Vec<String>> {
    use domain::OrganizationKind as Kind;
    if now.is_some_and(|now| facts.detected_at > now + chrono::Duration::minutes(DETECTION_SKEW_MINUTES)) {
        return Err(StoreError::InvalidField { field: "detected_at", code: "date_in_future" });
    }
    if facts.detected_at < DateTime::<Utc>::from_timestamp(946_684_800, 0).unwrap_or_default() {
        // Before 2000: a typing error, not an incident this system could have handled.
        return Err(StoreError::InvalidField { field: "detected_at", code: "date_too_early" });
    }
    let county = crate::organizations::county_of(conn, organization_id).await?;
    let mut named: Vec<(&'static str, Uuid)> =
        facts.involved_organization_ids.iter().map(|id| ("involved_organization_ids", *id)).collect();
    named.extend(facts.policy_department_id.map(|id| ("policy_department_id", id)));
    let mut townships = Vec::new();
    for (field, id) in named {
        let found = organizations::table.find(id).select(organizations::kind).first::<String>(conn).await.optional()?;
        let in_county = match &found {
            Some(_) => county.is_some() && crate::organizations::county_of(conn, id).await? == county,
            None => false,
        };
        if !in_county {
            return Err(StoreError::InvalidField { field, code: "not_found" });
        }
        let kind: Kind = parse(found.as_deref().unwrap_or_default())?;
        if field == "policy_department_id" && kind != Kind::Department {
            return Err(StoreError::InvalidField { field, code: "not_a_department" });
        }
        if field == "involved_organization_ids" && kind == Kind::Township {
            townships.push(format!("organization:{id}"));
        }
    }
    // The higher authority sits above the county (or is one of its departments, above townships).
    if let Some(id) = facts.higher_authority_id {
        let kind = organizations::table.find(id).select(organizations::kind).first::<String>(conn).await.optional()?;
        let fits = match kind.as_deref() {
            Some("higher_level") => true,
            Some("department") => county.is_some() && crate::organizations::county_of(conn, id).await? == county,
            _ => false,
        };
        if !fits {
            return Err(StoreError::InvalidField { field: "higher_authority_id", code: "not_found" });
        }
    }
    Ok(townships)
}

fn decide(facts: &IncidentFacts, townships: Vec<String>, lead: Option<Uuid>) -> StoreResult<rules::Responsibility> {
    let mut regions = facts.regions.clone();
    regions.extend(townships);
    let facts = ResponsibilityFacts {
        county_policy: facts.county_policy,
        policy_department: facts.policy_department_id,
        involved_organizations: facts.involved_organization_ids.clone(),
        regions,
        lead,
        higher_authority: facts.higher_authority_id,
    };
    rules::responsibility(&facts).map_err(|failure| StoreError::RulesFailed(vec![failure]))
}

/// The stated facts as columns, written alike on collection and correction.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = incidents, treat_none_as_null = true)]
struct FactColumns<'a> {
    source: &'static str,
    source_link: Option<&'a str>,
    summary: &'a str,
    detected_at: DateTime<Utc>,
    focus: Option<&'static str>,
    event_level: Option<&'static str>,
    county_policy: bool,
    policy_department_id: Option<Uuid>,
    involved_organization_ids: &'a [Uuid],
    regions: &'a [String],
    higher_authority_id: Option<Uuid>,
}

impl<'a> FactColumns<'a> {
    fn of(facts: &'a IncidentFacts) -> Self {
        FactColumns {
            source: facts.source.as_str(),
            source_link: facts.source_link.as_deref(),
            summary: &facts.summary,
            detected_at: facts.detected_at,
            focus: facts.focus.map(|f| f.as_str()),
            event_level: facts.event_level.map(|l| l.as_str()),
            county_policy: facts.county_policy,
            policy_department_id: facts.policy_department_id,
            involved_organization_ids: &facts.involved_organization_ids,
            regions: &facts.regions,
            higher_authority_id: facts.higher_authority_id,
        }
    }
}

/// The ids of incidents any of `orgs` has a hand in: collected, involved, responding or leading.
pub(crate) fn involving(orgs: Vec<Uuid>) -> incidents::BoxedQuery<'static, diesel::pg::Pg, diesel::sql_types::Uuid> {
    incidents::table
        .filter(
            incidents::organization_id
                .eq_any(orgs.clone())
                .or(incidents::responder_ids.overlaps_with(orgs.clone()))
                .or(incidents::involved_organization_ids.overlaps_with(orgs.clone()))
                .or(incidents::lead_organization_id.eq_any(orgs)),
        )
        .select(incidents::id)
        .into_boxed()
}

/// The names of the facts a correction changed, for the audit row.
fn changed_fields(before: &IncidentFacts, after: &IncidentFacts) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut note = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    note("source", before.source != after.source);
    note("source_link", before.source_link != after.source_link);
    note("summary", before.summary != after.summary);
    note("detected_at", before.detected_at != after.detected_at);
    note("focus", before.focus != after.focus);
    note("event_level", before.event_level != after.event_level);
    note("county_policy", before.county_policy != after.county_policy);
    note("policy_department_id", before.policy_department_id != after.policy_department_id);
    note("involved_organization_ids", before.involved_organization_ids != after.involved_organization_ids);
    note("regions", before.regions != after.regions);
    note("higher_authority_id", before.higher_authority_id != after.higher_authority_id);
    changed
}

fn user_of(actor: &Actor) -> Option<Uuid> {
    (actor.kind == ActorKind::User).then_some(actor.id).flatten()
}

/// Records an incident and starts its clocks.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    facts: &IncidentFacts,
    now: DateTime<Utc>,
) -> StoreResult<Incident> {
    conn.transaction(async |conn| {
        let townships = check_facts(conn, organization_id, facts, Some(now)).await?;
        let responsibility = decide(facts, townships, None)?;
        let id = Uuid::now_v7();
        let row: IncidentRow = diesel::insert_into(incidents::table)
            .values((
                incidents::id.eq(id),
                incidents::organization_id.eq(organization_id),
                FactColumns::of(facts),
                incidents::responsibility_rule.eq(responsibility.rule.as_str()),
                incidents::responder_ids.eq(&responsibility.responders),
                incidents::escalated.eq(responsibility.escalation),
                incidents::created_by.eq(user_of(actor)),
            ))
            .returning(IncidentRow::as_returning())
            .get_result(conn)
            .await?;
        opinion_clocks::rebuild(conn, id, facts.event_level, facts.detected_at).await?;
        let change = Change::new("opinion.collect", "opinion_incident", id)
            .details(serde_json::json!({"rule": responsibility.rule.as_str(), "escalated": responsibility.escalation}));
        audit::record(conn, actor, change).await?;
        if responsibility.escalation {
            audit::record(conn, actor, Change::new("opinion.escalate", "opinion_incident", id)).await?;
        }
        row.try_into()
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Incident> {
    incidents::table.find(id).select(IncidentRow::as_select()).first(conn).await?.try_into()
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<Incident> {
    let incident: Incident =
        incidents::table.find(id).select(IncidentRow::as_select()).for_update().first(conn).await?.try_into()?;
    if expected_version.is_some_and(|v| v != incident.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(incident)
}

/// Corrects the facts until the incident is responded to; the responsibility and the clocks
/// follow (a breach already recorded stays).
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    facts: &IncidentFacts,
    now: DateTime<Utc>,
) -> StoreResult<Incident> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if matches!(current.status, IncidentStatus::Responded | IncidentStatus::Evaluated) {
            return Err(StoreError::Refused(rules::INCIDENT_STATE_CONFLICT));
        }
        let townships = check_facts(conn, current.organization_id, facts, Some(now)).await?;
        let lead = current.lead_organization_id.filter(|l| facts.involved_organization_ids.contains(l));
        let responsibility = decide(facts, townships, lead)?;
        let row: IncidentRow = diesel::update(incidents::table.find(id))
            .set((
                FactColumns::of(facts),
                incidents::lead_organization_id.eq(responsibility.lead),
                incidents::responsibility_rule.eq(responsibility.rule.as_str()),
                incidents::responder_ids.eq(&responsibility.responders),
                incidents::escalated.eq(responsibility.escalation),
                incidents::version.eq(incidents::version + 1),
                incidents::updated_at.eq(diesel::dsl::now),
            ))
            .returning(IncidentRow::as_returning())
            .get_result(conn)
            .await?;
        opinion_clocks::rebuild(conn, id, facts.event_level, facts.detected_at).await?;
        let change = Change::new("opinion.update", "opinion_incident", id)
            .fields(changed_fields(&current.facts, facts))
            .details(serde_json::json!({"rule": responsibility.rule.as_str(), "escalated": responsibility.escalation}));
        audit::record(conn, actor, change).await?;
        if responsibility.escalation && !current.escalated {
            audit::record(conn, actor, Change::new("opinion.escalate", "opinion_incident", id)).await?;
        }
        row.try_into()
    })
    .await
}

/// `gov_office` names the lead among several departments (422 `lead_not_involved` otherwise).
pub async fn name_lead(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    lead: Uuid,
) -> StoreResult<Incident> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        let townships = check_facts(conn, current.organization_id, &current.facts, None).await?;
        if decide(&current.facts, townships.clone(), None)?.rule != ResponsibilityRule::SeveralDepartments {
            return Err(StoreError::RulesFailed(vec![rules::LEAD_NOT_APPLICABLE]));
        }
        decide(&current.facts, townships, Some(lead))?;
        let row: IncidentRow = diesel::update(incidents::table.find(id))
            .set((
                incidents::lead_organization_id.eq(lead),
                incidents::version.eq(incidents::version + 1),
                incidents::updated_at.eq(diesel::dsl::now),
            ))
            .returning(IncidentRow::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("opinion.name_lead", "opinion_incident", id).fields(["lead_organization_id"]);
        audit::record(conn, actor, change).await?;
        row.try_into()
    })
    .await
}

/// A workflow act with what it records.
#[derive(Debug, Clone)]
pub enum WorkflowAct {
    /// 会商: who took part, and the minutes.
    Consult { participants: String, minutes: String },
    /// 研判: the handling class and the reasoning.
    Assess { class: HandlingClass, notes: String },
    /// Refused while the class's public output (and for false information the referral) is missing.
    Respond,
    /// The effect of the response.
    Evaluate { notes: String },
}

impl WorkflowAct {
    fn kind(&self) -> IncidentAct {
        match self {
            WorkflowAct::Consult { .. } => IncidentAct::Consult,
            WorkflowAct::Assess { .. } => IncidentAct::Assess,
            WorkflowAct::Respond => IncidentAct::Respond,
            WorkflowAct::Evaluate { .. } => IncidentAct::Evaluate,
        }
    }
}

pub async fn act(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    act: &WorkflowAct,
    now: DateTime<Utc>,
) -> StoreResult<Incident> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        let next = rules::next_status(current.status, act.kind()).map_err(StoreError::Refused)?;
        let target = incidents::table.find(id);
        let bump = (
            incidents::status.eq(next.as_str()),
            incidents::version.eq(incidents::version + 1),
            incidents::updated_at.eq(diesel::dsl::now),
        );
        let query = diesel::update(target);
        let row: IncidentRow = match act {
            WorkflowAct::Consult { participants, minutes } => {
                query
                    .set((
                        bump,
                        incidents::consultation_participants.eq(participants),
                        incidents::consultation_minutes.eq(minutes),
                        incidents::consulted_at.eq(now),
                    ))
                    .returning(IncidentRow::as_returning())
                    .get_result(conn)
                    .await?
            }
            WorkflowAct::Assess { class, notes } => {
                query
                    .set((
                        bump,
                        incidents::handling_class.eq(class.as_str()),
                        incidents::assessment_notes.eq(notes),
                        incidents::assessed_at.eq(now),
                    ))
                    .returning(IncidentRow::as_returning())
                    .get_result(conn)
                    .await?
            }
            WorkflowAct::Respond => {
                let class = current.handling_class.ok_or(StoreError::Refused(rules::INCIDENT_STATE_CONFLICT))?;
                let released = opinion_clocks::release_kinds(conn, id).await?;
                let referrals = opinion_clocks::referral_count(conn, id).await?;
                let failures = rules::response_failures(class, &released, referrals);
                if !failures.is_empty() {
                    return Err(StoreError::RulesFailed(failures));
                }
                query
                    .set((bump, incidents::responded_at.eq(now)))
                    .returning(IncidentRow::as_returning())
                    .get_result(conn)
                    .await?
            }
            WorkflowAct::Evaluate { notes } => {
                query
                    .set((bump, incidents::evaluation_notes.eq(notes), incidents::evaluated_at.eq(now)))
                    .returning(IncidentRow::as_returning())
                    .get_result(conn)
                    .await?
            }
        };
        let action = match act.kind() {
            IncidentAct::Consult => "opinion.consult",
            IncidentAct::Assess => "opinion.assess",
            IncidentAct::Respond => "opinion.respond",
            IncidentAct::Evaluate => "opinion.evaluate",
        };
        audit::record(conn, actor, Change::new(action, "opinion_incident", id).fields(["status"])).await?;
        row.try_into()
    })
    .await
}

/// Incidents any of `organizations` has a hand in (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    status: Option<IncidentStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Incident>> {
    let mut query =
        incidents::table.select(IncidentRow::as_select()).order(incidents::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(incidents::id.eq_any(involving(orgs.to_vec())));
    }
    if let Some(status) = status {
        query = query.filter(incidents::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(incidents::id.lt(before));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}
