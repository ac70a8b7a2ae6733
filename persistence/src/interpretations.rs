//! Policy interpretations (政策解读): the package that travels with a policy document (S1–S3) and
//! follow-ups published on their own.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::documents::{DocumentStatus, PackageFacts};
use domain::interpretations::{
    self as rules, Elements, InterpretationAct, InterpretationForm, InterpretationStage, InterpretationStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::schema::{documents, interpretations};

/// One planned activity of the 解读方案.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedActivity {
    pub form: InterpretationForm,
    pub channel: String,
    pub planned_on: NaiveDate,
}

/// The nine content elements (DOMAIN.md §3).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct ContentElements {
    pub background_basis: Option<String>,
    pub objectives: Option<String>,
    pub main_content: Option<String>,
    pub scope: Option<String>,
    pub standards: Option<String>,
    pub notes: Option<String>,
    pub key_terms: Option<String>,
    pub benefits: Option<String>,
    pub changes: Option<String>,
}

impl ContentElements {
    pub fn as_array(&self) -> Elements<'_> {
        [
            self.background_basis.as_deref(),
            self.objectives.as_deref(),
            self.main_content.as_deref(),
            self.scope.as_deref(),
            self.standards.as_deref(),
            self.notes.as_deref(),
            self.key_terms.as_deref(),
            self.benefits.as_deref(),
            self.changes.as_deref(),
        ]
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interpretations)]
pub(crate) struct InterpretationRow {
    id: Uuid,
    document_id: Uuid,
    stage: String,
    status: String,
    responsible_org_id: Uuid,
    title: String,
    forms: Vec<String>,
    plan: serde_json::Value,
    background_basis: Option<String>,
    objectives: Option<String>,
    main_content: Option<String>,
    scope: Option<String>,
    standards: Option<String>,
    notes: Option<String>,
    key_terms: Option<String>,
    benefits: Option<String>,
    changes: Option<String>,
    interpreter_user_id: Option<Uuid>,
    expert_ids: Vec<Uuid>,
    effect_evaluation: Option<String>,
    signed_by: Option<Uuid>,
    signed_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    secrecy_reviewed_by: Option<Uuid>,
    secrecy_reviewed_at: Option<DateTime<Utc>>,
    secrecy_review_passed: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Interpretation {
    pub id: Uuid,
    pub document_id: Uuid,
    pub stage: InterpretationStage,
    pub status: InterpretationStatus,
    pub responsible_org_id: Uuid,
    pub title: String,
    pub forms: Vec<InterpretationForm>,
    pub plan: Vec<PlannedActivity>,
    pub elements: ContentElements,
    pub interpreter_user_id: Option<Uuid>,
    pub expert_ids: Vec<Uuid>,
    pub effect_evaluation: Option<String>,
    pub signed_by: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The follow-up's own confidentiality review (P1): who, when, and whether it passed.
    pub secrecy_review: Option<(Uuid, DateTime<Utc>, bool)>,
}

impl Interpretation {
    /// Signed (or approved with its document) means signed by the lead drafting organization's
    /// principal: nobody else can sign.
    pub fn package_facts(&self) -> PackageFacts {
        let signed = matches!(
            self.status,
            InterpretationStatus::Signed | InterpretationStatus::Approved | InterpretationStatus::Published
        );
        rules::package_facts(self.plan.len(), &self.elements.as_array(), signed)
    }

    pub fn empty_elements(&self) -> Vec<&'static str> {
        rules::empty_elements(&self.elements.as_array())
    }
}

impl TryFrom<InterpretationRow> for Interpretation {
    type Error = StoreError;
    fn try_from(r: InterpretationRow) -> StoreResult<Self> {
        Ok(Interpretation {
            id: r.id,
            document_id: r.document_id,
            stage: parse(&r.stage)?,
            status: parse(&r.status)?,
            responsible_org_id: r.responsible_org_id,
            title: r.title,
            forms: r.forms.iter().map(|f| parse(f)).collect::<StoreResult<_>>()?,
            plan: serde_json::from_value(r.plan).map_err(|e| StoreError::Other(e.to_string()))?,
            elements: ContentElements {
                background_basis: r.background_basis,
                objectives: r.objectives,
                main_content: r.main_content,
                scope: r.scope,
                standards: r.standards,
                notes: r.notes,
                key_terms: r.key_terms,
                benefits: r.benefits,
                changes: r.changes,
            },
            interpreter_user_id: r.interpreter_user_id,
            expert_ids: r.expert_ids,
            effect_evaluation: r.effect_evaluation,
            signed_by: r.signed_by,
            signed_at: r.signed_at,
            published_at: r.published_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            secrecy_review: match (r.secrecy_reviewed_by, r.secrecy_reviewed_at, r.secrecy_review_passed) {
                (Some(by), Some(at), Some(passed)) => Some((by, at, passed)),
                _ => None,
            },
        })
    }
}

/// What a drafter writes.
#[derive(Debug, Clone)]
pub struct InterpretationFields {
    pub title: String,
    pub forms: Vec<InterpretationForm>,
    pub plan: Vec<PlannedActivity>,
    pub elements: ContentElements,
    pub interpreter_user_id: Option<Uuid>,
    pub expert_ids: Vec<Uuid>,
    pub effect_evaluation: Option<String>,
}

/// The drafter's fields as columns, shared by insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = interpretations, treat_none_as_null = true)]
struct PackageColumns<'a> {
    title: &'a str,
    forms: Vec<String>,
    plan: serde_json::Value,
    background_basis: Option<&'a str>,
    objectives: Option<&'a str>,
    main_content: Option<&'a str>,
    scope: Option<&'a str>,
    standards: Option<&'a str>,
    notes: Option<&'a str>,
    key_terms: Option<&'a str>,
    benefits: Option<&'a str>,
    changes: Option<&'a str>,
    interpreter_user_id: Option<Uuid>,
    expert_ids: &'a [Uuid],
    effect_evaluation: Option<&'a str>,
}

impl InterpretationFields {
    fn columns(&self) -> PackageColumns<'_> {
        let e = &self.elements;
        PackageColumns {
            title: &self.title,
            forms: form_codes(&self.forms),
            plan: plan_json(&self.plan),
            background_basis: e.background_basis.as_deref(),
            objectives: e.objectives.as_deref(),
            main_content: e.main_content.as_deref(),
            scope: e.scope.as_deref(),
            standards: e.standards.as_deref(),
            notes: e.notes.as_deref(),
            key_terms: e.key_terms.as_deref(),
            benefits: e.benefits.as_deref(),
            changes: e.changes.as_deref(),
            interpreter_user_id: self.interpreter_user_id,
            expert_ids: &self.expert_ids,
            effect_evaluation: self.effect_evaluation.as_deref(),
        }
    }
}

fn form_codes(forms: &[InterpretationForm]) -> Vec<String> {
    forms.iter().map(|f| f.as_str().to_owned()).collect()
}

fn plan_json(plan: &[PlannedActivity]) -> serde_json::Value {
    serde_json::to_value(plan).unwrap_or_else(|_| serde_json::json!([]))
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Interpretation> {
    interpretations::table.find(id).select(InterpretationRow::as_select()).first(conn).await?.try_into()
}

/// The document's initial package, locked for the caller's transaction.
pub async fn initial_of(mut conn: &AsyncPgConnection, document_id: Uuid) -> StoreResult<Option<Interpretation>> {
    interpretations::table
        .filter(interpretations::document_id.eq(document_id))
        .filter(interpretations::stage.eq(InterpretationStage::Initial.as_str()))
        .select(InterpretationRow::as_select())
        .for_update()
        .first(&mut conn)
        .await
        .optional()?
        .map(TryInto::try_into)
        .transpose()
}

pub async fn list_for_document(conn: &mut AsyncPgConnection, document_id: Uuid) -> StoreResult<Vec<Interpretation>> {
    interpretations::table
        .filter(interpretations::document_id.eq(document_id))
        .order(interpretations::id.asc())
        .select(InterpretationRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(TryInto::try_into)
        .collect()
}

async fn document_state(conn: &mut AsyncPgConnection, document_id: Uuid) -> StoreResult<(DocumentStatus, Uuid, bool)> {
    let (status, lead, is_policy): (String, Uuid, bool) = documents::table
        .find(document_id)
        .select((documents::status, documents::lead_drafting_org_id, documents::is_policy))
        .for_update()
        .first(conn)
        .await?;
    Ok((parse(&status)?, lead, is_policy))
}

/// Adds the initial package (while the document is a draft) or a follow-up (once it is published).
/// The responsible organization is always the document's lead drafter, never typed.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    document_id: Uuid,
    stage: InterpretationStage,
    fields: InterpretationFields,
) -> StoreResult<Interpretation> {
    conn.transaction(async |conn| {
        let (status, lead, _) = document_state(conn, document_id).await?;
        let allowed = match stage {
            InterpretationStage::Initial => matches!(status, DocumentStatus::Draft | DocumentStatus::Returned),
            InterpretationStage::FollowUp => status == DocumentStatus::Published,
        };
        if !allowed {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        let id = Uuid::now_v7();
        let row: InterpretationRow = diesel::insert_into(interpretations::table)
            .values((
                interpretations::id.eq(id),
                interpretations::document_id.eq(document_id),
                interpretations::stage.eq(stage.as_str()),
                interpretations::responsible_org_id.eq(lead),
                fields.columns(),
            ))
            .returning(InterpretationRow::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"document_id": document_id, "stage": stage.as_str()});
        audit::record(conn, actor, Change::new("interpretation.create", "interpretation", id).details(details)).await?;
        row.try_into()
    })
    .await
}

/// Edits a package; a signed one goes back to draft (the principal signs what is published). The
/// initial package is frozen once its document has been submitted.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: InterpretationFields,
) -> StoreResult<Interpretation> {
    conn.transaction(async |conn| {
        // Document first, then package: the order every document act takes, so none deadlock.
        let document_id = owner_of(conn, id).await?;
        let (document_status, _, _) = document_state(conn, document_id).await?;
        let current = lock(conn, id, expected_version).await?;
        if current.stage == InterpretationStage::Initial
            && !matches!(document_status, DocumentStatus::Draft | DocumentStatus::Returned)
        {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        let status = rules::next_status(current.status, InterpretationAct::Edit, current.stage)
            .ok_or(StoreError::Refused("interpretation_state_conflict"))?;
        let row: InterpretationRow = diesel::update(interpretations::table.find(id))
            .set((
                fields.columns(),
                interpretations::status.eq(status.as_str()),
                interpretations::signed_by.eq(None::<Uuid>),
                interpretations::signed_at.eq(None::<DateTime<Utc>>),
                interpretations::secrecy_reviewed_by.eq(None::<Uuid>),
                interpretations::secrecy_reviewed_at.eq(None::<DateTime<Utc>>),
                interpretations::secrecy_review_passed.eq(None::<bool>),
                interpretations::version.eq(interpretations::version + 1),
                interpretations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(InterpretationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("interpretation.update", "interpretation", id).fields(["content"]))
            .await?;
        row.try_into()
    })
    .await
}

async fn owner_of(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Uuid> {
    Ok(interpretations::table.find(id).select(interpretations::document_id).first(conn).await?)
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<Interpretation> {
    let current: Interpretation = interpretations::table
        .find(id)
        .select(InterpretationRow::as_select())
        .for_update()
        .first(conn)
        .await?
        .try_into()?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

/// The principal's sign-off (审签). The caller has checked the signer is the lead's principal.
pub async fn sign(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    now: DateTime<Utc>,
) -> StoreResult<Interpretation> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        rules::next_status(current.status, InterpretationAct::Sign, current.stage)
            .ok_or(StoreError::Refused("interpretation_state_conflict"))?;
        let signer = actor.id.ok_or(StoreError::Forbidden)?;
        let row: InterpretationRow = diesel::update(interpretations::table.find(id))
            .set((
                interpretations::status.eq(InterpretationStatus::Signed.as_str()),
                interpretations::signed_by.eq(signer),
                interpretations::signed_at.eq(now),
                interpretations::version.eq(interpretations::version + 1),
                interpretations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(InterpretationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("interpretation.sign", "interpretation", id).fields(["status"])).await?;
        row.try_into()
    })
    .await
}

/// Moves a package along with its document (S2 approve, S3 publish), inside the document's transaction.
pub(crate) async fn advance(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    current: &Interpretation,
    act: InterpretationAct,
    published_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let status = rules::next_status(current.status, act, current.stage)
        .ok_or(StoreError::RulesFailed(vec![domain::documents::INTERPRETATION_NOT_SIGNED]))?;
    diesel::update(interpretations::table.find(current.id))
        .set((
            interpretations::status.eq(status.as_str()),
            interpretations::published_at.eq(published_at.or(current.published_at)),
            interpretations::version.eq(interpretations::version + 1),
            interpretations::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    let action = match status {
        InterpretationStatus::Published => "interpretation.publish",
        _ => "interpretation.approve",
    };
    if let (InterpretationStatus::Published, Some(at)) = (status, published_at) {
        // Published after a planned date: late, even if no sweep ran in between.
        let today = at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).date_naive();
        if let Some(first_late) = current.plan.iter().map(|a| a.planned_on).filter(|d| *d < today).min() {
            let details = serde_json::json!({"document_id": current.document_id, "published_on": today});
            crate::documents::record_breach(
                conn,
                "interpretation_plan_late",
                current.responsible_org_id,
                "interpretation",
                current.id,
                first_late,
                details,
            )
            .await?;
        }
    }
    audit::record(conn, actor, Change::new(action, "interpretation", current.id).fields(["status"])).await?;
    Ok(())
}

/// Publishes a signed follow-up interpretation of a published document on its own.
pub async fn publish_follow_up(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Interpretation> {
    conn.transaction(async |conn| {
        let document_id = owner_of(conn, id).await?;
        let (document_status, _, _) = document_state(conn, document_id).await?;
        let current = lock(conn, id, None).await?;
        if document_status != DocumentStatus::Published {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        if rules::next_status(current.status, InterpretationAct::PublishAlone, current.stage).is_none() {
            return Err(StoreError::Refused("interpretation_state_conflict"));
        }
        let reviewed = current.secrecy_review.is_some_and(|(_, _, passed)| passed);
        let failures = domain::documents::publication_failures(&domain::documents::PublicationFacts {
            secrecy_review_passed: reviewed,
            ..Default::default()
        });
        if !failures.is_empty() {
            return Err(StoreError::RulesFailed(failures));
        }
        advance(conn, actor, &current, InterpretationAct::PublishAlone, Some(now)).await?;
        get(conn, id).await
    })
    .await
}

/// Records the follow-up's confidentiality review (P1); a later edit clears it.
pub async fn secrecy_review(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    passed: bool,
    now: DateTime<Utc>,
) -> StoreResult<Interpretation> {
    conn.transaction(async |conn| {
        let document_id = owner_of(conn, id).await?;
        document_state(conn, document_id).await?;
        let current = lock(conn, id, None).await?;
        if current.stage != InterpretationStage::FollowUp || current.status != InterpretationStatus::Signed {
            return Err(StoreError::Refused("interpretation_state_conflict"));
        }
        let reviewer = actor.id.ok_or(StoreError::Forbidden)?;
        diesel::update(interpretations::table.find(id))
            .set((
                interpretations::secrecy_reviewed_by.eq(reviewer),
                interpretations::secrecy_reviewed_at.eq(now),
                interpretations::secrecy_review_passed.eq(passed),
                interpretations::version.eq(interpretations::version + 1),
            ))
            .execute(conn)
            .await?;
        let details = serde_json::json!({"passed": passed});
        audit::record(conn, actor, Change::new("interpretation.secrecy_review", "interpretation", id).details(details))
            .await?;
        get(conn, id).await
    })
    .await
}

/// Keeps 谁起草、谁解读 true when the document's lead drafter changes. A signature belongs to the
/// old lead's principal: a signed package goes back to draft, to be signed by the new lead's.
pub(crate) async fn follow_lead_drafter(
    conn: &mut AsyncPgConnection,
    document_id: Uuid,
    lead: Uuid,
) -> StoreResult<()> {
    diesel::update(interpretations::table.filter(interpretations::document_id.eq(document_id)))
        .set(interpretations::responsible_org_id.eq(lead))
        .execute(conn)
        .await?;
    diesel::update(
        interpretations::table
            .filter(interpretations::document_id.eq(document_id))
            .filter(interpretations::status.eq(InterpretationStatus::Signed.as_str())),
    )
    .set((
        interpretations::status.eq(InterpretationStatus::Draft.as_str()),
        interpretations::signed_by.eq(None::<Uuid>),
        interpretations::signed_at.eq(None::<DateTime<Utc>>),
        interpretations::version.eq(interpretations::version + 1),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// Planned interpretation activities whose date passed while the interpretation is unpublished
/// become `interpretation_plan_late` breaches, once each. Returns how many were new.
pub async fn record_late_plans(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    // Only interpretations that are to be published: those of withheld documents never will be.
    let to_publish = documents::table
        .filter(documents::disclosure.eq_any(["public_release", "proactive"]))
        .filter(documents::status.ne(DocumentStatus::Filed.as_str()))
        .select(documents::id);
    let open: Vec<InterpretationRow> = interpretations::table
        .filter(interpretations::status.ne(InterpretationStatus::Published.as_str()))
        .filter(interpretations::document_id.eq_any(to_publish))
        .select(InterpretationRow::as_select())
        .load(conn)
        .await?;
    let mut recorded = 0;
    for row in open {
        let interpretation: Interpretation = row.try_into()?;
        let Some(first_late) = interpretation.plan.iter().map(|a| a.planned_on).filter(|d| *d < today).min() else {
            continue;
        };
        let details = serde_json::json!({"document_id": interpretation.document_id, "detected_on": today});
        if crate::documents::record_breach(
            conn,
            "interpretation_plan_late",
            interpretation.responsible_org_id,
            "interpretation",
            interpretation.id,
            first_late,
            details,
        )
        .await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// The documents these interpretations explain.
pub async fn documents_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> StoreResult<std::collections::HashMap<Uuid, Uuid>> {
    let rows: Vec<(Uuid, Uuid)> = crate::schema::interpretations::table
        .filter(crate::schema::interpretations::id.eq_any(ids))
        .select((crate::schema::interpretations::id, crate::schema::interpretations::document_id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
