//! Public consultations: drafts and their periods, anonymous comments, moderation, clusters and
//! adoption results. Every act is one transaction with the consultation row locked; comments take
//! a shared lock so that closing and commenting cannot interleave.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::consultations::{self as rules, AdoptionResult, ConsultationMethod, ConsultationStatus};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::personal_data::Sealer;
use crate::schema::{consultation_clusters as clusters, consultation_comments as comments, consultations};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultations)]
struct ConsultationRow {
    id: Uuid,
    organization_id: Uuid,
    title: String,
    draft_text: String,
    document_id: Option<Uuid>,
    meeting_topic: Option<String>,
    method: String,
    purpose: String,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    shorter_period_reason: Option<String>,
    channels: Vec<String>,
    contact: String,
    status: String,
    closed_at: Option<DateTime<Utc>>,
    results_summary: Option<String>,
    results_published_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    early_close_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Consultation {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub draft_text: String,
    pub document_id: Option<Uuid>,
    pub meeting_topic: Option<String>,
    pub method: ConsultationMethod,
    pub purpose: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub shorter_period_reason: Option<String>,
    pub channels: Vec<String>,
    pub contact: String,
    /// As stored; see [`Consultation::status_at`] for the status time has moved it to.
    pub stored_status: ConsultationStatus,
    pub closed_at: Option<DateTime<Utc>>,
    pub results_summary: Option<String>,
    pub results_published_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why staff closed it before its period ended.
    pub early_close_reason: Option<String>,
}

impl Consultation {
    pub fn status_at(&self, now: DateTime<Utc>) -> ConsultationStatus {
        rules::effective_status(self.stored_status, self.closes_at, now)
    }

    /// When the period ended: closed early by staff, or at its end.
    pub fn ended_at(&self) -> DateTime<Utc> {
        self.closed_at.unwrap_or(self.closes_at)
    }
}

impl TryFrom<ConsultationRow> for Consultation {
    type Error = StoreError;
    fn try_from(r: ConsultationRow) -> StoreResult<Self> {
        Ok(Consultation {
            id: r.id,
            organization_id: r.organization_id,
            title: r.title,
            draft_text: r.draft_text,
            document_id: r.document_id,
            meeting_topic: r.meeting_topic,
            method: parse(&r.method)?,
            purpose: r.purpose,
            opens_at: r.opens_at,
            closes_at: r.closes_at,
            shorter_period_reason: r.shorter_period_reason,
            channels: r.channels,
            contact: r.contact,
            stored_status: parse(&r.status)?,
            closed_at: r.closed_at,
            results_summary: r.results_summary,
            results_published_at: r.results_published_at,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            early_close_reason: r.early_close_reason,
        })
    }
}

/// What a drafter writes.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = consultations, treat_none_as_null = true)]
pub struct ConsultationFields {
    pub organization_id: Uuid,
    pub title: String,
    pub draft_text: String,
    pub document_id: Option<Uuid>,
    pub meeting_topic: Option<String>,
    #[diesel(serialize_as = String)]
    pub method: MethodCode,
    pub purpose: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub shorter_period_reason: Option<String>,
    pub channels: Vec<String>,
    pub contact: String,
}

/// The method as stored.
#[derive(Debug, Clone, Copy)]
pub struct MethodCode(pub ConsultationMethod);

impl From<MethodCode> for String {
    fn from(m: MethodCode) -> String {
        m.0.as_str().to_owned()
    }
}

/// A draft linked to a document is one of its organization's own: issued or drafted by it.
async fn check_document(conn: &mut AsyncPgConnection, fields: &ConsultationFields) -> StoreResult<()> {
    use crate::schema::documents;
    let Some(document_id) = fields.document_id else {
        return Ok(());
    };
    let own = documents::table
        .find(document_id)
        .filter(
            documents::issuing_org_id
                .eq(fields.organization_id)
                .or(documents::drafting_org_ids.contains(vec![fields.organization_id])),
        )
        .select(documents::id)
        .first::<Uuid>(conn)
        .await
        .optional()?;
    // Another organization's document is as unknown as a missing one.
    own.map(|_| ()).ok_or(StoreError::InvalidField { field: "document_id", code: "not_found" })
}

fn check_period(fields: &ConsultationFields) -> StoreResult<()> {
    let failures = rules::period_failures(fields.opens_at, fields.closes_at, fields.shorter_period_reason.as_deref());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(StoreError::RulesFailed(failures))
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fields: ConsultationFields,
    created_by: Option<Uuid>,
) -> StoreResult<Consultation> {
    check_period(&fields)?;
    conn.transaction(async |conn| {
        check_document(conn, &fields).await?;
        let id = Uuid::now_v7();
        let row: ConsultationRow = diesel::insert_into(consultations::table)
            .values((consultations::id.eq(id), fields, consultations::created_by.eq(created_by)))
            .returning(ConsultationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("consultation.create", "consultation", id)).await?;
        row.try_into()
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Consultation> {
    consultations::table.find(id).select(ConsultationRow::as_select()).first(conn).await?.try_into()
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<Consultation> {
    let c: Consultation = consultations::table
        .find(id)
        .select(ConsultationRow::as_select())
        .for_update()
        .first(conn)
        .await?
        .try_into()?;
    if expected_version.is_some_and(|v| v != c.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(c)
}

/// Replaces a draft's fields; only drafts change.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: ConsultationFields,
) -> StoreResult<Consultation> {
    check_period(&fields)?;
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if current.stored_status != ConsultationStatus::Draft {
            return Err(StoreError::Refused("consultation_state_conflict"));
        }
        check_document(conn, &fields).await?;
        let row: ConsultationRow = diesel::update(consultations::table.find(id))
            .set((
                fields,
                consultations::version.eq(consultations::version + 1),
                consultations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ConsultationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("consultation.update", "consultation", id)).await?;
        row.try_into()
    })
    .await
}

/// A state change of the consultation.
#[derive(Debug, Clone)]
pub enum ConsultationAct {
    Open,
    /// Before the end of the period only with the reason.
    Close {
        reason: Option<String>,
    },
    PublishResults {
        summary: Option<String>,
    },
}

pub async fn act(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    act: ConsultationAct,
    now: DateTime<Utc>,
) -> StoreResult<Consultation> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        let status = current.status_at(now);
        let conflict = StoreError::Refused("consultation_state_conflict");
        let (next, action) = match &act {
            ConsultationAct::Open if status == ConsultationStatus::Draft => {
                let failures = rules::opening_failures(
                    current.opens_at,
                    current.closes_at,
                    current.shorter_period_reason.as_deref(),
                    now,
                );
                if !failures.is_empty() {
                    return Err(StoreError::RulesFailed(failures));
                }
                (ConsultationStatus::Open, "consultation.open")
            }
            ConsultationAct::Close { reason } if status == ConsultationStatus::Open => {
                let failures = rules::closing_failures(current.closes_at, reason.as_deref(), now);
                if !failures.is_empty() {
                    return Err(StoreError::RulesFailed(failures));
                }
                (ConsultationStatus::Closed, "consultation.close")
            }
            ConsultationAct::PublishResults { .. } if status == ConsultationStatus::Closed => {
                let (comments, clusters) = comment_results(conn, id).await?;
                let failures = rules::results_failures(&comments, &clusters);
                if !failures.is_empty() {
                    return Err(StoreError::RulesFailed(failures));
                }
                (ConsultationStatus::ResultsPublished, "consultation.publish_results")
            }
            _ => return Err(conflict),
        };
        let closed_at = match next {
            ConsultationStatus::Closed => Some(now.min(current.closes_at)),
            _ => current.closed_at.or((status == ConsultationStatus::Closed).then_some(current.closes_at)),
        };
        let early_close_reason = match &act {
            ConsultationAct::Close { reason } if now < current.closes_at => reason.clone(),
            _ => current.early_close_reason.clone(),
        };
        let (summary, published_at) = match &act {
            ConsultationAct::PublishResults { summary } => (summary.clone(), Some(now)),
            _ => (current.results_summary.clone(), current.results_published_at),
        };
        let row: ConsultationRow = diesel::update(consultations::table.find(id))
            .set((
                consultations::status.eq(next.as_str()),
                consultations::closed_at.eq(closed_at),
                consultations::results_summary.eq(summary),
                consultations::results_published_at.eq(published_at),
                consultations::early_close_reason.eq(&early_close_reason),
                consultations::version.eq(consultations::version + 1),
                consultations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ConsultationRow::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new(action, "consultation", id)
            .fields(["status"])
            .details(serde_json::json!({"early_close_reason": early_close_reason.filter(|_| next == ConsultationStatus::Closed)}));
        audit::record(conn, actor, change).await?;
        row.try_into()
    })
    .await
}

/// Which consultations a list shows.
#[derive(Debug, Clone)]
pub enum ConsultationScope {
    All,
    Organizations(Vec<Uuid>),
    /// Everything but drafts: the public view.
    Public,
}

/// Newest first, keyset on the id. `awaiting_results_at`: only those whose period has ended by
/// then and whose results are not published.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &ConsultationScope,
    awaiting_results_at: Option<DateTime<Utc>>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Consultation>> {
    let mut query = consultations::table
        .select(ConsultationRow::as_select())
        .order(consultations::id.desc())
        .limit(limit)
        .into_boxed();
    match scope {
        ConsultationScope::All => {}
        ConsultationScope::Organizations(orgs) => {
            query = query.filter(consultations::organization_id.eq_any(orgs.clone()))
        }
        ConsultationScope::Public => query = query.filter(consultations::status.ne("draft")),
    }
    if let Some(now) = awaiting_results_at {
        query = query.filter(
            consultations::status
                .eq("closed")
                .or(consultations::status.eq("open").and(consultations::closes_at.le(now))),
        );
    }
    if let Some(before) = before {
        query = query.filter(consultations::id.lt(before));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub receipt_code: String,
    pub body: String,
    pub published_body: Option<String>,
    pub commenter_name: Option<String>,
    pub contact_sealed: Option<Vec<u8>>,
    pub clause_ref: Option<String>,
    pub hidden: bool,
    pub moderation_reason: Option<String>,
    pub cluster_id: Option<Uuid>,
    pub result: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The commenter agreed that the name is published.
    pub publish_name: bool,
    /// Moderation withheld the name from the public even so.
    pub name_withheld: bool,
    /// Moderation withheld the clause reference (free text that may carry personal data).
    pub clause_ref_withheld: bool,
}

impl CommentRow {
    /// The text the public sees.
    pub fn public_text(&self) -> &str {
        self.published_body.as_deref().unwrap_or(&self.body)
    }

    /// The clause reference the public sees.
    pub fn public_clause_ref(&self) -> Option<&str> {
        self.clause_ref.as_deref().filter(|_| !self.clause_ref_withheld)
    }

    /// The name the public sees: only with the commenter's consent, and not when withheld.
    pub fn public_name(&self) -> Option<&str> {
        self.commenter_name.as_deref().filter(|_| self.publish_name && !self.name_withheld)
    }

    pub fn contact(&self, sealer: &Sealer) -> StoreResult<Option<String>> {
        self.contact_sealed
            .as_deref()
            .map(|s| sealer.open(&format!("consultation_comments.contact:{}", self.id), s))
            .transpose()
    }
}

/// A new comment as the public writes it.
#[derive(Clone)]
pub struct NewComment {
    pub body: String,
    pub commenter_name: Option<String>,
    pub contact: Option<String>,
    pub clause_ref: Option<String>,
    /// Whether the name may be published with the comment.
    pub publish_name: bool,
}

/// Files a comment while the period runs; answers it with its receipt code.
pub async fn comment(
    conn: &mut AsyncPgConnection,
    sealer: &Sealer,
    consultation_id: Uuid,
    new: &NewComment,
    now: DateTime<Utc>,
    request_id: Option<String>,
) -> StoreResult<CommentRow> {
    conn.transaction(async |conn| {
        let c: Consultation = consultations::table
            .find(consultation_id)
            .select(ConsultationRow::as_select())
            .for_share()
            .first(conn)
            .await?
            .try_into()?;
        if c.stored_status == ConsultationStatus::Draft {
            return Err(StoreError::NotFound);
        }
        rules::comment_window(c.stored_status, c.opens_at, c.closes_at, now).map_err(StoreError::Refused)?;
        let id = Uuid::now_v7();
        let receipt = crate::receipts::receipt_code("YJ", now.date_naive());
        let sealed = new.contact.as_deref().map(|v| sealer.seal(&format!("consultation_comments.contact:{id}"), v));
        let row: CommentRow = diesel::insert_into(comments::table)
            .values((
                comments::id.eq(id),
                comments::consultation_id.eq(consultation_id),
                comments::receipt_code.eq(&receipt),
                comments::body.eq(&new.body),
                comments::commenter_name.eq(&new.commenter_name),
                comments::contact_sealed.eq(sealed),
                comments::clause_ref.eq(&new.clause_ref),
                comments::publish_name.eq(new.publish_name && new.commenter_name.is_some()),
            ))
            .returning(CommentRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            &Actor::anonymous(request_id),
            Change::new("consultation.comment", "consultation_comment", id),
        )
        .await?;
        Ok(row)
    })
    .await
}

/// The comments of a consultation, oldest first; hidden ones only when asked.
pub async fn comments_of(
    conn: &mut AsyncPgConnection,
    consultation_id: Uuid,
    include_hidden: bool,
) -> StoreResult<Vec<CommentRow>> {
    let mut query = comments::table
        .filter(comments::consultation_id.eq(consultation_id))
        .order(comments::id.asc())
        .select(CommentRow::as_select())
        .into_boxed();
    if !include_hidden {
        query = query.filter(comments::hidden.eq(false));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clusters)]
pub struct ClusterRow {
    pub id: Uuid,
    pub consultation_id: Uuid,
    pub title: String,
    pub result: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn clusters_of(conn: &mut AsyncPgConnection, consultation_id: Uuid) -> StoreResult<Vec<ClusterRow>> {
    Ok(clusters::table
        .filter(clusters::consultation_id.eq(consultation_id))
        .order(clusters::id.asc())
        .select(ClusterRow::as_select())
        .load(conn)
        .await?)
}

/// The published comments and the clusters, as the results rule sees them.
async fn comment_results(
    conn: &mut AsyncPgConnection,
    consultation_id: Uuid,
) -> StoreResult<(Vec<rules::CommentResult>, Vec<rules::ClusterResult>)> {
    let cluster_rows = clusters_of(conn, consultation_id).await?;
    let index: std::collections::HashMap<Uuid, usize> =
        cluster_rows.iter().enumerate().map(|(i, k)| (k.id, i)).collect();
    let adoption = |r: &Option<String>| r.as_deref().map(parse::<AdoptionResult>).transpose();
    let mut cluster_results = Vec::new();
    for k in &cluster_rows {
        cluster_results.push(rules::ClusterResult { result: adoption(&k.result)?, reason: k.reason.clone() });
    }
    let mut comment_results = Vec::new();
    for c in comments_of(conn, consultation_id, false).await? {
        comment_results.push(rules::CommentResult {
            cluster: c.cluster_id.and_then(|k| index.get(&k).copied()),
            result: adoption(&c.result)?,
            reason: c.reason.clone(),
        });
    }
    Ok((comment_results, cluster_results))
}

/// Counts by adoption result (comments under their own result, or their cluster's).
pub async fn counts(conn: &mut AsyncPgConnection, consultation_id: Uuid) -> StoreResult<[(AdoptionResult, usize); 3]> {
    let (comments, clusters) = comment_results(conn, consultation_id).await?;
    Ok(rules::counts_by_result(&comments, &clusters))
}

/// Locks the consultation of a comment or cluster for staff work, which ends with publication.
async fn lock_for_work(conn: &mut AsyncPgConnection, consultation_id: Uuid) -> StoreResult<Consultation> {
    let c = lock(conn, consultation_id, None).await?;
    if matches!(c.stored_status, ConsultationStatus::Draft | ConsultationStatus::ResultsPublished) {
        return Err(StoreError::Refused("consultation_state_conflict"));
    }
    Ok(c)
}

pub async fn comment_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<CommentRow> {
    Ok(comments::table.find(id).select(CommentRow::as_select()).first(conn).await?)
}

pub async fn cluster_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<ClusterRow> {
    Ok(clusters::table.find(id).select(ClusterRow::as_select()).first(conn).await?)
}

/// A moderation decision on one comment.
#[derive(Debug, Clone)]
pub struct Moderation {
    pub hidden: bool,
    /// The public text with abuse or personal data removed; `None` shows the original.
    pub published_body: Option<String>,
    /// Withhold the commenter's name from the public even though it was consented to.
    pub withhold_name: bool,
    /// Withhold the clause reference.
    pub withhold_clause_ref: bool,
    pub reason: String,
}

/// Hides a comment, or shows it with a redacted text or without the name; the original stays
/// stored and the audit row records what was done (never the text itself, which may hold personal
/// data). Once the results are published a comment can still be redacted — personal data found
/// late must come down — but no longer hidden or shown, which would change the published counts.
pub async fn moderate(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    comment_id: Uuid,
    decision: &Moderation,
) -> StoreResult<CommentRow> {
    conn.transaction(async |conn| {
        let consultation_id = comment_by_id(conn, comment_id).await?.consultation_id;
        let consultation = lock(conn, consultation_id, None).await?;
        // Read again under the consultation's lock: another officer may have moderated it meanwhile.
        let current: CommentRow =
            comments::table.find(comment_id).select(CommentRow::as_select()).for_update().first(conn).await?;
        let published = consultation.stored_status == ConsultationStatus::ResultsPublished;
        if published && decision.hidden != current.hidden {
            return Err(StoreError::Refused("consultation_state_conflict"));
        }
        let row: CommentRow = diesel::update(comments::table.find(comment_id))
            .set((
                comments::hidden.eq(decision.hidden),
                comments::published_body.eq(&decision.published_body),
                comments::name_withheld.eq(decision.withhold_name),
                comments::clause_ref_withheld.eq(decision.withhold_clause_ref),
                comments::moderation_reason.eq(&decision.reason),
            ))
            .returning(CommentRow::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"hidden": decision.hidden, "redacted": decision.published_body.is_some(),
            "name_withheld": decision.withhold_name, "clause_ref_withheld": decision.withhold_clause_ref,
            "reason": decision.reason});
        let change = Change::new("consultation.moderate", "consultation_comment", comment_id)
            .fields(["hidden", "published_body", "name_withheld", "clause_ref_withheld"])
            .details(details);
        audit::record(conn, actor, change).await?;
        Ok(row)
    })
    .await
}

/// Groups comments of one consultation into a new cluster.
pub async fn create_cluster(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    consultation_id: Uuid,
    title: &str,
    comment_ids: &[Uuid],
) -> StoreResult<ClusterRow> {
    conn.transaction(async |conn| {
        lock_for_work(conn, consultation_id).await?;
        let id = Uuid::now_v7();
        let row: ClusterRow = diesel::insert_into(clusters::table)
            .values((clusters::id.eq(id), clusters::consultation_id.eq(consultation_id), clusters::title.eq(title)))
            .returning(ClusterRow::as_returning())
            .get_result(conn)
            .await?;
        let moved = diesel::update(
            comments::table
                .filter(comments::id.eq_any(comment_ids))
                .filter(comments::consultation_id.eq(consultation_id)),
        )
        .set(comments::cluster_id.eq(id))
        .execute(conn)
        .await?;
        let distinct: std::collections::HashSet<&Uuid> = comment_ids.iter().collect();
        if moved != distinct.len() {
            return Err(StoreError::InvalidField { field: "comment_ids", code: "not_found" });
        }
        let change = Change::new("consultation.cluster", "consultation_cluster", id)
            .details(serde_json::json!({"comments": moved}));
        audit::record(conn, actor, change).await?;
        Ok(row)
    })
    .await
}

/// Sets the adoption result of a comment (`cluster` false) or a cluster, before publication.
pub async fn set_result(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    cluster: bool,
    result: AdoptionResult,
    reason: Option<&str>,
) -> StoreResult<Uuid> {
    conn.transaction(async |conn| {
        let consultation_id = if cluster {
            cluster_by_id(conn, id).await?.consultation_id
        } else {
            comment_by_id(conn, id).await?.consultation_id
        };
        lock_for_work(conn, consultation_id).await?;
        if cluster {
            diesel::update(clusters::table.find(id))
                .set((clusters::result.eq(result.as_str()), clusters::reason.eq(reason)))
                .execute(conn)
                .await?;
        } else {
            diesel::update(comments::table.find(id))
                .set((comments::result.eq(result.as_str()), comments::reason.eq(reason)))
                .execute(conn)
                .await?;
        }
        let entity = if cluster { "consultation_cluster" } else { "consultation_comment" };
        let change = Change::new("consultation.result", entity, id).fields(["result", "reason"]);
        audit::record(conn, actor, change).await?;
        Ok(consultation_id)
    })
    .await
}

/// Consultations whose results are still unpublished `working_days` after their period ended
/// become `consultation_results_late` breaches (each once). Returns how many were new.
pub async fn record_late_results(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    today: NaiveDate,
    working_days: u32,
) -> StoreResult<usize> {
    let awaiting = list(conn, &ConsultationScope::All, Some(now), None, i64::MAX).await?;
    let calendar = crate::calendar::load(conn).await?;
    let mut recorded = 0;
    for c in awaiting {
        let ended = (c.ended_at() + chrono::Duration::hours(8)).date_naive();
        let due = rules::results_due(ended, working_days, &calendar);
        if today > due
            && crate::documents::record_breach(
                conn,
                "consultation_results_late",
                c.organization_id,
                "consultation",
                c.id,
                due,
                serde_json::json!({"ended_on": ended}),
            )
            .await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = crate::schema::consultation_settings)]
pub struct ConsultationSettings {
    pub results_working_days: i32,
    pub comments_per_address_per_hour: i32,
}

pub async fn settings(conn: &mut AsyncPgConnection) -> StoreResult<ConsultationSettings> {
    use crate::schema::consultation_settings as s;
    Ok(s::table.select(ConsultationSettings::as_select()).first(conn).await?)
}

pub async fn put_settings(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: ConsultationSettings,
) -> StoreResult<ConsultationSettings> {
    use crate::schema::consultation_settings as s;
    conn.transaction(async |conn| {
        let saved = diesel::update(s::table)
            .set((
                s::results_working_days.eq(new.results_working_days),
                s::comments_per_address_per_hour.eq(new.comments_per_address_per_hour),
                s::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ConsultationSettings::as_returning())
            .get_result(conn)
            .await?;
        let change = Change {
            action: "consultation_settings.update",
            entity_type: "consultation_settings",
            entity_id: None,
            changed_fields: vec!["consultation_settings".into()],
            details: serde_json::json!({"results_working_days": new.results_working_days,
                "comments_per_address_per_hour": new.comments_per_address_per_hour}),
        };
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
