//! Documents and their lifecycle. Each act runs in one transaction with the document row locked:
//! the facts are read, the domain rules decide, the changes and the audit row are written
//! together — or nothing is.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::documents::{
    self as rules, Disclosure, DocKind, DocumentAct, DocumentCategory, DocumentStatus, Exemption, IssuingAuthority,
    PublicationFacts, SubmissionFacts, Validity,
};
use domain::interpretations::{InterpretationAct, InterpretationStage, InterpretationStatus};
use futures_util::TryFutureExt;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::codes::Code;
use crate::document_transactions::{lock_guarded, locked_transaction};
use crate::error::{parse_code as parse, StoreError, StoreResult};
use crate::interpretations::{self, Interpretation};
use crate::kept::Kept;
use crate::schema::{breaches, document_confirmations, document_returns, document_reviews, documents};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
pub(crate) struct DocumentRow {
    id: Uuid,
    doc_number: Option<String>,
    title: String,
    body: String,
    issuing_org_id: Uuid,
    county_id: Option<Uuid>,
    issuing_authority: Code<IssuingAuthority>,
    lead_drafting_org_id: Uuid,
    drafting_org_ids: Vec<Uuid>,
    involved_org_ids: Vec<Uuid>,
    is_policy: bool,
    category: Code<DocumentCategory>,
    doc_kind: Code<DocKind>,
    disclosure: Option<Code<Disclosure>>,
    disclosure_reason: Option<String>,
    legal_basis: Option<String>,
    exemption: Option<Code<Exemption>>,
    status: Code<DocumentStatus>,
    revision: i32,
    formed_on: Option<NaiveDate>,
    publish_due_on: Option<NaiveDate>,
    published_at: Option<DateTime<Utc>>,
    validity: Code<Validity>,
    validity_changed_on: Option<NaiveDate>,
    validity_reason: Option<String>,
    created_by: Option<Uuid>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    publish_due_provisional: bool,
    publish_clock_from: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub id: Uuid,
    pub doc_number: Option<String>,
    pub title: String,
    pub body: String,
    pub issuing_org_id: Uuid,
    pub county_id: Option<Uuid>,
    pub issuing_authority: IssuingAuthority,
    pub lead_drafting_org_id: Uuid,
    pub drafting_org_ids: Vec<Uuid>,
    pub involved_org_ids: Vec<Uuid>,
    pub is_policy: bool,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub disclosure: Option<Disclosure>,
    pub disclosure_reason: Option<String>,
    pub legal_basis: Option<String>,
    pub exemption: Option<Exemption>,
    pub status: DocumentStatus,
    pub revision: i32,
    pub formed_on: Option<NaiveDate>,
    pub publish_due_on: Option<NaiveDate>,
    /// The due date crosses a year whose national schedule is not published yet: it may move.
    pub publish_due_provisional: bool,
    /// The day the publication clock restarted on a conversion to proactive (self-inspection).
    pub publish_clock_from: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
    pub validity: Validity,
    pub validity_changed_on: Option<NaiveDate>,
    pub validity_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Document {
    /// Published with a public attribute: visible to everyone.
    pub fn is_public(&self) -> bool {
        self.status == DocumentStatus::Published && self.disclosure.is_some_and(Disclosure::is_public)
    }
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        Document {
            id: r.id,
            doc_number: r.doc_number,
            title: r.title,
            body: r.body,
            issuing_org_id: r.issuing_org_id,
            county_id: r.county_id,
            issuing_authority: r.issuing_authority.0,
            lead_drafting_org_id: r.lead_drafting_org_id,
            drafting_org_ids: r.drafting_org_ids,
            involved_org_ids: r.involved_org_ids,
            is_policy: r.is_policy,
            category: r.category.0,
            doc_kind: r.doc_kind.0,
            disclosure: r.disclosure.map(|c| c.0),
            disclosure_reason: r.disclosure_reason,
            legal_basis: r.legal_basis,
            exemption: r.exemption.map(|c| c.0),
            status: r.status.0,
            revision: r.revision,
            formed_on: r.formed_on,
            publish_due_on: r.publish_due_on,
            publish_due_provisional: r.publish_due_provisional,
            publish_clock_from: r.publish_clock_from,
            published_at: r.published_at,
            validity: r.validity.0,
            validity_changed_on: r.validity_changed_on,
            validity_reason: r.validity_reason,
            created_by: r.created_by,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The fields a drafter writes.
#[derive(Debug, Clone)]
pub struct DocumentFields {
    pub doc_number: Option<String>,
    pub title: String,
    pub body: String,
    pub issuing_org_id: Uuid,
    pub issuing_authority: IssuingAuthority,
    pub lead_drafting_org_id: Uuid,
    pub drafting_org_ids: Vec<Uuid>,
    pub involved_org_ids: Vec<Uuid>,
    pub is_policy: bool,
    pub category: DocumentCategory,
    pub doc_kind: DocKind,
    pub disclosure: Option<Disclosure>,
    pub disclosure_reason: Option<String>,
    pub legal_basis: Option<String>,
    pub exemption: Option<Exemption>,
}

/// The drafter's fields as columns, shared by insert and update.
// None is written as NULL on insert too (no column here has another default): a DEFAULT keyword
// would make diesel build and plan the INSERT afresh each time instead of preparing it once.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = documents, treat_none_as_null = true, treat_none_as_default_value = false)]
struct DraftColumns<'a> {
    doc_number: Option<&'a str>,
    title: &'a str,
    body: &'a str,
    issuing_org_id: Uuid,
    county_id: Option<Uuid>,
    issuing_authority: &'static str,
    lead_drafting_org_id: Uuid,
    drafting_org_ids: &'a [Uuid],
    involved_org_ids: &'a [Uuid],
    is_policy: bool,
    category: &'static str,
    doc_kind: &'static str,
    disclosure: Option<&'static str>,
    disclosure_reason: Option<&'a str>,
    legal_basis: Option<&'a str>,
    exemption: Option<&'static str>,
}

impl DocumentFields {
    fn columns(&self, county_id: Option<Uuid>) -> DraftColumns<'_> {
        DraftColumns {
            doc_number: self.doc_number.as_deref(),
            title: &self.title,
            body: &self.body,
            issuing_org_id: self.issuing_org_id,
            county_id,
            issuing_authority: self.issuing_authority.as_str(),
            lead_drafting_org_id: self.lead_drafting_org_id,
            drafting_org_ids: &self.drafting_org_ids,
            involved_org_ids: &self.involved_org_ids,
            is_policy: self.is_policy,
            category: self.category.as_str(),
            doc_kind: self.doc_kind.as_str(),
            disclosure: self.disclosure.map(Disclosure::as_str),
            disclosure_reason: self.disclosure_reason.as_deref(),
            legal_basis: self.legal_basis.as_deref(),
            exemption: self.exemption.map(Exemption::as_str),
        }
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fields: DocumentFields,
    county_id: Option<Uuid>,
) -> StoreResult<Document> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        let mut shared: &AsyncPgConnection = conn;
        let insert = diesel::insert_into(documents::table)
            .values((documents::id.eq(id), fields.columns(county_id), documents::created_by.eq(actor.id)))
            .returning(DocumentRow::as_returning())
            .get_result::<DocumentRow>(&mut shared);
        let (row, ()) = futures_util::try_join!(
            insert.err_into(),
            audit::record(shared, actor, Change::new("document.create", "document", id))
        )?;
        Ok(row.into())
    })
    .await
}

/// The column selection of a document row, for other modules' queries.
pub(crate) fn row_selection() -> diesel::dsl::AsSelect<DocumentRow, diesel::pg::Pg> {
    DocumentRow::as_select()
}

pub(crate) fn from_rows(rows: Vec<DocumentRow>) -> Vec<Document> {
    rows.into_iter().map(Document::from).collect()
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Document> {
    Ok(documents::table.find(id).select(DocumentRow::as_select()).first::<DocumentRow>(conn).await?.into())
}

pub(crate) async fn lock(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
) -> StoreResult<Document> {
    lock_guarded(conn, id, expected_version, &|_| Ok(())).await
}

/// Decides, on the row an act has just locked, whether the caller may perform it: an `Err`
/// (`NotFound` for a caller who may not see the document, `Forbidden` for one who may not act)
/// ends the act before anything is written. Checking the locked row rather than an earlier read
/// saves a statement and judges the document the act changes, not a copy that may since have moved.
pub type Guard<'a> = &'a (dyn Fn(&Document) -> StoreResult<()> + Send + Sync);

fn transition(document: &Document, act: DocumentAct) -> StoreResult<DocumentStatus> {
    rules::next_status(document.status, act, document.disclosure).ok_or(StoreError::Refused("document_state_conflict"))
}

/// What a caller may list.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Everything (system_admin).
    All,
    /// Documents of these organizations (issuing, drafting or involved), of this county (gov_office),
    /// and every public one.
    Parties { organization_id: Option<Uuid>, county_id: Option<Uuid> },
}

#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub status: Option<DocumentStatus>,
    pub disclosure: Option<Disclosure>,
    pub organization_id: Option<Uuid>,
    pub category: Option<DocumentCategory>,
    pub year: Option<i32>,
    pub title_contains: Option<String>,
    pub overdue_on: Option<NaiveDate>,
}

/// `text` as a literal inside an `ILIKE` pattern: its `\`, `%` and `_` escaped.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Newest first, keyset on the id (UUIDv7). `filter.year` is the year of `formed_on` as
/// PostgreSQL counts it (the API takes 2000–2100).
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &DocumentFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Document>> {
    let mut query =
        documents::table.select(DocumentRow::as_select()).order(documents::id.desc()).limit(limit).into_boxed();
    if let Scope::Parties { organization_id, county_id } = scope {
        let public = documents::status
            .eq(DocumentStatus::Published.as_str())
            .and(documents::disclosure.eq_any([Disclosure::PublicRelease.as_str(), Disclosure::Proactive.as_str()]));
        let org = organization_id.unwrap_or(Uuid::nil());
        let parties = documents::issuing_org_id
            .eq(org)
            .or(documents::drafting_org_ids.contains(vec![org]))
            .or(documents::involved_org_ids.contains(vec![org]));
        query = match county_id {
            Some(county) => query.filter(public.or(parties).or(documents::county_id.eq(*county))),
            None => query.filter(public.or(parties)),
        };
    }
    if let Some(status) = filter.status {
        query = query.filter(documents::status.eq(status.as_str()));
    }
    if let Some(disclosure) = filter.disclosure {
        query = query.filter(documents::disclosure.eq(disclosure.as_str()));
    }
    if let Some(org) = filter.organization_id {
        query = query.filter(documents::issuing_org_id.eq(org).or(documents::drafting_org_ids.contains(vec![org])));
    }
    if let Some(category) = filter.category {
        query = query.filter(documents::category.eq(category.as_str()));
    }
    if let Some(year) = filter.year {
        query = query.filter(formed_year(documents::formed_on).eq(year));
    }
    if let Some(text) = filter.title_contains.as_deref().filter(|t| !t.is_empty()) {
        query = query.filter(documents::title.ilike(format!("%{}%", escape_like(text))));
    }
    if let Some(today) = filter.overdue_on {
        // Approved documents, and filed ones converted to proactive: the same clocks record_overdue reads.
        query = query
            .filter(documents::status.eq_any([DocumentStatus::Approved.as_str(), DocumentStatus::Filed.as_str()]))
            .filter(documents::publish_due_on.lt(today));
    }
    if let Some(before) = before {
        query = query.filter(documents::id.lt(before));
    }
    Ok(from_rows(query.load(conn).await?))
}

diesel::define_sql_function! {
    /// The database function `formed_year` (migration 2026-11-28-000120): the year a document was
    /// formed in. A year filter is written with it so that it reads the index on
    /// `(formed_year(formed_on), id)`, the year's documents newest first.
    fn formed_year(formed_on: diesel::sql_types::Nullable<diesel::sql_types::Date>) -> diesel::sql_types::Nullable<diesel::sql_types::Integer>;
}

fn changed_fields(current: &Document, f: &DocumentFields) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            changed.push(name);
        }
    };
    check("doc_number", current.doc_number != f.doc_number);
    check("title", current.title != f.title);
    check("body", current.body != f.body);
    check("issuing_org_id", current.issuing_org_id != f.issuing_org_id);
    check("issuing_authority", current.issuing_authority != f.issuing_authority);
    check("lead_drafting_org_id", current.lead_drafting_org_id != f.lead_drafting_org_id);
    check("drafting_org_ids", current.drafting_org_ids != f.drafting_org_ids);
    check("involved_org_ids", current.involved_org_ids != f.involved_org_ids);
    check("is_policy", current.is_policy != f.is_policy);
    check("category", current.category != f.category);
    check("doc_kind", current.doc_kind != f.doc_kind);
    check("disclosure", current.disclosure != f.disclosure);
    check("disclosure_reason", current.disclosure_reason != f.disclosure_reason);
    check("legal_basis", current.legal_basis != f.legal_basis);
    check("exemption", current.exemption != f.exemption);
    changed
}

/// Edits a draft (or a returned document, which becomes a draft again). A new revision needs a new
/// openness review.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: DocumentFields,
    county_id: Option<Uuid>,
) -> StoreResult<Document> {
    locked_transaction(conn, id, expected_version, &|_| Ok(()), async |conn, current| {
        let status = transition(&current, DocumentAct::Edit)?;
        let changed = changed_fields(&current, &fields);
        if changed.is_empty() && status == current.status {
            return Ok(current);
        }
        let row: DocumentRow = diesel::update(documents::table.find(id))
            .set((
                fields.columns(county_id),
                documents::status.eq(status.as_str()),
                documents::revision.eq(documents::revision + if changed.is_empty() { 0 } else { 1 }),
                documents::version.eq(documents::version + 1),
                documents::updated_at.eq(diesel::dsl::now),
            ))
            .returning(DocumentRow::as_returning())
            .get_result(conn)
            .await?;
        if fields.lead_drafting_org_id != current.lead_drafting_org_id {
            interpretations::follow_lead_drafter(conn, id, fields.lead_drafting_org_id).await?;
        }
        audit::record(conn, actor, Change::new("document.update", "document", id).fields(changed)).await?;
        Ok(row.into())
    })
    .await
}

async fn bump(mut conn: &AsyncPgConnection, id: Uuid) -> StoreResult<Document> {
    Ok(Kept(
        diesel::update(documents::table.find(id))
            .set((documents::version.eq(documents::version + 1), documents::updated_at.eq(diesel::dsl::now)))
            .returning(DocumentRow::as_returning()),
    )
    .get_result::<DocumentRow>(&mut conn)
    .await?
    .into())
}

async fn set_status(mut conn: &AsyncPgConnection, id: Uuid, status: DocumentStatus) -> StoreResult<Document> {
    Ok(Kept(
        diesel::update(documents::table.find(id))
            .set((
                documents::status.eq(status.as_str()),
                documents::version.eq(documents::version + 1),
                documents::updated_at.eq(diesel::dsl::now),
            ))
            .returning(DocumentRow::as_returning()),
    )
    .get_result::<DocumentRow>(&mut conn)
    .await?
    .into())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = document_returns)]
pub struct ReturnRecord {
    pub id: Uuid,
    pub document_id: Uuid,
    pub automatic: bool,
    pub codes: Vec<String>,
    pub reasons: Option<String>,
    pub returned_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

async fn record_return(
    conn: &mut AsyncPgConnection,
    document_id: Uuid,
    automatic: bool,
    codes: &[String],
    reasons: Option<&str>,
    returned_by: Option<Uuid>,
) -> StoreResult<ReturnRecord> {
    Ok(diesel::insert_into(document_returns::table)
        .values((
            document_returns::id.eq(Uuid::now_v7()),
            document_returns::document_id.eq(document_id),
            document_returns::automatic.eq(automatic),
            document_returns::codes.eq(codes),
            document_returns::reasons.eq(reasons),
            document_returns::returned_by.eq(returned_by),
        ))
        .returning(ReturnRecord::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn returns(conn: &mut AsyncPgConnection, document_id: Uuid) -> StoreResult<Vec<ReturnRecord>> {
    Ok(document_returns::table
        .filter(document_returns::document_id.eq(document_id))
        .order(document_returns::created_at.asc())
        .select(ReturnRecord::as_select())
        .load(conn)
        .await?)
}

async fn review_passed(mut conn: &AsyncPgConnection, document: &Document, kind: &str) -> StoreResult<bool> {
    // The latest review of the current revision decides.
    let latest: Option<bool> = document_reviews::table
        .filter(document_reviews::document_id.eq(document.id))
        .filter(document_reviews::kind.eq(kind))
        .filter(document_reviews::revision.eq(document.revision))
        .order(document_reviews::created_at.desc())
        .select(document_reviews::passed)
        .first(&mut conn)
        .await
        .optional()?;
    Ok(latest == Some(true))
}

/// What `submit` did: forwarded, or returned (退文) with every failed rule.
#[derive(Debug, Clone)]
pub struct SubmitOutcome {
    pub document: Document,
    pub returned: Option<(ReturnRecord, Vec<rules::RuleFailure>)>,
}

/// Submits for approval; failed submission rules return the document automatically (退文), which
/// is an outcome, not an error.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
) -> StoreResult<SubmitOutcome> {
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        transition(&current, DocumentAct::Submit)?;
        let (initial, openness_review_passed) =
            futures_util::try_join!(interpretations::initial_of(conn, id), review_passed(conn, &current, "openness"))?;
        let package = initial.map(|initial| initial.package_facts());
        let facts = SubmissionFacts {
            disclosure: current.disclosure,
            disclosure_reason: current.disclosure_reason.clone(),
            legal_basis: current.legal_basis.clone(),
            exemption: current.exemption,
            issuing_authority: Some(current.issuing_authority),
            is_policy: current.is_policy,
            openness_review_passed,
            interpretation: package,
        };
        let failures = rules::submission_failures(&facts);
        if failures.is_empty() {
            let (document, ()) = futures_util::try_join!(
                set_status(conn, id, DocumentStatus::Submitted),
                audit::record(conn, actor, Change::new("document.submit", "document", id).fields(["status"]))
            )?;
            return Ok(SubmitOutcome { document, returned: None });
        }
        let codes: Vec<String> = failures.iter().map(|f| f.code.to_owned()).collect();
        let record = record_return(conn, id, true, &codes, None, None).await?;
        let document = set_status(conn, id, DocumentStatus::Returned).await?;
        let details = serde_json::json!({"codes": codes, "automatic": true});
        audit::record(conn, actor, Change::new("document.return", "document", id).fields(["status"]).details(details))
            .await?;
        Ok(SubmitOutcome { document, returned: Some((record, failures)) })
    })
    .await
}

/// 退文 by the government office, with codes and/or written reasons.
pub async fn return_document(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
    codes: &[String],
    reasons: Option<&str>,
) -> StoreResult<(Document, ReturnRecord)> {
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        transition(&current, DocumentAct::Return)?;
        let record = record_return(conn, id, false, codes, reasons, actor.id).await?;
        let document = set_status(conn, id, DocumentStatus::Returned).await?;
        let details = serde_json::json!({"codes": codes, "automatic": false});
        audit::record(conn, actor, Change::new("document.return", "document", id).fields(["status"]).details(details))
            .await?;
        Ok((document, record))
    })
    .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    Openness,
    Secrecy,
}

impl ReviewKind {
    fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Openness => "openness",
            ReviewKind::Secrecy => "secrecy",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = document_reviews)]
pub struct Review {
    pub id: Uuid,
    pub document_id: Uuid,
    pub kind: String,
    pub passed: bool,
    pub comment: Option<String>,
    pub revision: i32,
    pub reviewer_id: Uuid,
    pub organization_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A review's finding: its kind, whether it passed, and the reviewer's comment.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    pub kind: ReviewKind,
    pub passed: bool,
    pub comment: Option<&'a str>,
}

/// Records an openness review (of a draft, D3) or a secrecy review (of an approved or filed
/// document, P1), for the document's current revision.
pub async fn review(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    verdict: Verdict<'_>,
    organization_id: Option<Uuid>,
    guard: Guard<'_>,
) -> StoreResult<Document> {
    let Verdict { kind, passed, comment } = verdict;
    locked_transaction(conn, id, None, guard, async |conn, current| {
        // The guard already refuses callers without an organization; this only keeps the type honest.
        let organization_id = organization_id.ok_or(StoreError::Forbidden)?;
        let allowed = match kind {
            ReviewKind::Openness => matches!(current.status, DocumentStatus::Draft | DocumentStatus::Returned),
            ReviewKind::Secrecy => matches!(current.status, DocumentStatus::Approved | DocumentStatus::Filed),
        };
        if !allowed {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        let reviewer = actor.id.ok_or(StoreError::Forbidden)?;
        let mut shared: &AsyncPgConnection = conn;
        let insert = diesel::insert_into(document_reviews::table)
            .values((
                document_reviews::id.eq(Uuid::now_v7()),
                document_reviews::document_id.eq(id),
                document_reviews::kind.eq(kind.as_str()),
                document_reviews::passed.eq(passed),
                document_reviews::comment.eq(comment),
                document_reviews::revision.eq(current.revision),
                document_reviews::reviewer_id.eq(reviewer),
                document_reviews::organization_id.eq(organization_id),
            ))
            .execute(&mut shared);
        let action = match kind {
            ReviewKind::Openness => "document.openness_review",
            ReviewKind::Secrecy => "document.secrecy_review",
        };
        let details = serde_json::json!({"passed": passed, "revision": current.revision});
        let (_, (), document) = futures_util::try_join!(
            insert.err_into(),
            audit::record(shared, actor, Change::new(action, "document", id).details(details)),
            bump(shared, id)
        )?;
        Ok(document)
    })
    .await
}

pub async fn reviews(conn: &mut AsyncPgConnection, document_id: Uuid) -> StoreResult<Vec<Review>> {
    Ok(document_reviews::table
        .filter(document_reviews::document_id.eq(document_id))
        .order(document_reviews::created_at.asc())
        .select(Review::as_select())
        .load(conn)
        .await?)
}

/// An involved organization confirms the content (P2). Confirming twice changes nothing.
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    organization_id: Option<Uuid>,
    guard: Guard<'_>,
) -> StoreResult<Document> {
    locked_transaction(conn, id, None, guard, async |conn, current| {
        // The guard already refuses callers without an organization; this only keeps the type honest.
        let organization_id = organization_id.ok_or(StoreError::Forbidden)?;
        if !matches!(current.status, DocumentStatus::Submitted | DocumentStatus::Approved) {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        if !current.involved_org_ids.contains(&organization_id) {
            return Err(StoreError::Refused("not_an_involved_organization"));
        }
        let confirmed_by = actor.id.ok_or(StoreError::Forbidden)?;
        let inserted = diesel::insert_into(document_confirmations::table)
            .values((
                document_confirmations::document_id.eq(id),
                document_confirmations::organization_id.eq(organization_id),
                document_confirmations::confirmed_by.eq(confirmed_by),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if inserted == 0 {
            return Ok(current);
        }
        let details = serde_json::json!({"organization_id": organization_id});
        audit::record(conn, actor, Change::new("document.confirm", "document", id).details(details)).await?;
        bump(conn, id).await
    })
    .await
}

pub async fn confirmations(
    mut conn: &AsyncPgConnection,
    document_id: Uuid,
) -> StoreResult<Vec<(Uuid, Uuid, DateTime<Utc>)>> {
    Ok(document_confirmations::table
        .filter(document_confirmations::document_id.eq(document_id))
        .select((
            document_confirmations::organization_id,
            document_confirmations::confirmed_by,
            document_confirmations::created_at,
        ))
        .order(document_confirmations::created_at.asc())
        .load(&mut conn)
        .await?)
}

/// 审签 (S2): approves the document and its signed initial interpretation in one act; fixes
/// `formed_on` and, for information to publish, `publish_due_on`.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
    today: NaiveDate,
) -> StoreResult<Document> {
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        transition(&current, DocumentAct::Approve)?;
        let (initial, calendar) =
            futures_util::try_join!(interpretations::initial_of(conn, id), crate::calendar::load(conn))?;
        let failures = rules::approval_failures(current.is_policy, initial.as_ref().map(Interpretation::package_facts));
        if !failures.is_empty() {
            return Err(StoreError::RulesFailed(failures));
        }
        if let Some(initial) = initial {
            interpretations::advance(conn, actor, &initial, InterpretationAct::ApproveWithDocument, None).await?;
        }
        let deadline = current.disclosure.and_then(|d| rules::publish_deadline(today, d, &calendar));
        let due = deadline.as_ref().map(|d| d.due_on);
        let provisional = deadline.as_ref().is_some_and(|d| d.provisional);
        let mut shared: &AsyncPgConnection = conn;
        let update = Kept(
            diesel::update(documents::table.find(id))
                .set((
                    documents::status.eq(DocumentStatus::Approved.as_str()),
                    documents::formed_on.eq(today),
                    documents::publish_due_on.eq(due),
                    documents::publish_due_provisional.eq(provisional),
                    documents::version.eq(documents::version + 1),
                    documents::updated_at.eq(diesel::dsl::now),
                ))
                .returning(DocumentRow::as_returning()),
        )
        .get_result::<DocumentRow>(&mut shared);
        let details = serde_json::json!({"formed_on": today, "publish_due_on": due});
        let change = Change::new("document.approve", "document", id).fields(["status", "formed_on", "publish_due_on"]);
        let (row, ()) =
            futures_util::try_join!(update.err_into(), audit::record(shared, actor, change.details(details)))?;
        Ok(row.into())
    })
    .await
}

/// 印发并公开 (P1, P2, S3): publishes the document and its approved initial interpretation in one
/// transaction with one `published_at`; records a breach when the 20 working days have passed.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> StoreResult<Document> {
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        transition(&current, DocumentAct::Publish)?;
        let (confirmations, secrecy_review_passed, initial) = futures_util::try_join!(
            confirmations(conn, id),
            review_passed(conn, &current, "secrecy"),
            interpretations::initial_of(conn, id)
        )?;
        let facts = PublicationFacts {
            secrecy_review_passed,
            involved_org_ids: current.involved_org_ids.clone(),
            confirmed_org_ids: confirmations.into_iter().map(|(org, _, _)| org).collect(),
        };
        let failures = rules::publication_failures(&facts);
        if !failures.is_empty() {
            return Err(StoreError::RulesFailed(failures));
        }
        if let Some(initial) = initial {
            if initial.stage == InterpretationStage::Initial && initial.status == InterpretationStatus::Approved {
                interpretations::advance(conn, actor, &initial, InterpretationAct::PublishWithDocument, Some(now))
                    .await?;
            } else if current.is_policy {
                return Err(StoreError::RulesFailed(vec![rules::INTERPRETATION_NOT_SIGNED]));
            }
        }
        let mut shared: &AsyncPgConnection = conn;
        let update = Kept(
            diesel::update(documents::table.find(id))
                .set((
                    documents::status.eq(DocumentStatus::Published.as_str()),
                    documents::published_at.eq(now),
                    documents::version.eq(documents::version + 1),
                    documents::updated_at.eq(diesel::dsl::now),
                ))
                .returning(DocumentRow::as_returning()),
        )
        .get_result::<DocumentRow>(&mut shared);
        let change = Change::new("document.publish", "document", id).fields(["status", "published_at"]);
        let (row, ()) = futures_util::try_join!(update.err_into(), audit::record(shared, actor, change))?;
        if let Some(due) = current.publish_due_on.filter(|due| *due < today) {
            record_breach(
                conn,
                "document_published_late",
                current.issuing_org_id,
                "document",
                id,
                due,
                serde_json::json!({"published_on": today}),
            )
            .await?;
        }
        Ok(row.into())
    })
    .await
}

/// 印发不公开: an approved on-request or not-public document is issued without publication.
pub async fn file(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
) -> StoreResult<Document> {
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        let status = transition(&current, DocumentAct::File)?;
        let document = set_status(conn, id, status).await?;
        audit::record(conn, actor, Change::new("document.file", "document", id).fields(["status"])).await?;
        Ok(document)
    })
    .await
}

/// 废止 or 失效: the new validity, from which day, and why.
#[derive(Debug, Clone, Copy)]
pub struct Repeal<'a> {
    pub validity: Validity,
    pub on: NaiveDate,
    pub reason: &'a str,
}

/// 废止 / 失效: the document stays readable and shows its validity.
pub async fn repeal(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    guard: Guard<'_>,
    repeal: Repeal<'_>,
) -> StoreResult<Document> {
    let Repeal { validity, on, reason } = repeal;
    locked_transaction(conn, id, expected_version, guard, async |conn, current| {
        let issued = matches!(current.status, DocumentStatus::Published | DocumentStatus::Filed);
        if !issued || current.validity != Validity::Valid || validity == Validity::Valid {
            return Err(StoreError::Refused("document_state_conflict"));
        }
        let row: DocumentRow = diesel::update(documents::table.find(id))
            .set((
                documents::validity.eq(validity.as_str()),
                documents::validity_changed_on.eq(on),
                documents::validity_reason.eq(reason),
                documents::version.eq(documents::version + 1),
                documents::updated_at.eq(diesel::dsl::now),
            ))
            .returning(DocumentRow::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"validity": validity.as_str(), "on": on});
        audit::record(
            conn,
            actor,
            Change::new("document.repeal", "document", id).fields(["validity"]).details(details),
        )
        .await?;
        Ok(row.into())
    })
    .await
}

/// Records a breach once per source record and kind; a repeat detection changes nothing.
pub async fn record_breach(
    conn: &mut AsyncPgConnection,
    kind: &str,
    organization_id: Uuid,
    entity_type: &str,
    entity_id: Uuid,
    due_on: NaiveDate,
    details: serde_json::Value,
) -> StoreResult<bool> {
    let inserted = diesel::insert_into(breaches::table)
        .values((
            breaches::id.eq(Uuid::now_v7()),
            breaches::kind.eq(kind),
            breaches::organization_id.eq(organization_id),
            breaches::entity_type.eq(entity_type),
            breaches::entity_id.eq(entity_id),
            breaches::due_on.eq(due_on),
            breaches::details.eq(details),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Approved documents past their publication date become `document_published_late` breaches as
/// soon as the day passes, not only when someone publishes them. Returns how many were new.
pub async fn record_overdue(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    // Approved documents, and filed ones converted to proactive (their clock then runs too).
    let overdue: Vec<(Uuid, Uuid, Option<NaiveDate>)> = documents::table
        .filter(documents::status.eq_any([DocumentStatus::Approved.as_str(), DocumentStatus::Filed.as_str()]))
        .filter(documents::publish_due_on.lt(today))
        .select((documents::id, documents::issuing_org_id, documents::publish_due_on))
        .load(conn)
        .await?;
    let mut recorded = 0;
    for (id, org, due) in overdue {
        if let Some(due) = due {
            if record_breach(
                conn,
                "document_published_late",
                org,
                "document",
                id,
                due,
                serde_json::json!({"detected_on": today}),
            )
            .await?
            {
                recorded += 1;
            }
        }
    }
    Ok(recorded)
}

/// Recomputes `publish_due_on` of every approved, unpublished document after a calendar change,
/// writing each change to the document's history. Returns how many moved.
pub async fn recompute_due_dates(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    calendar: &domain::calendar::WorkCalendar,
) -> StoreResult<usize> {
    // id, formed_on, disclosure, publish_due_on, publish_clock_from.
    type OpenClock = (Uuid, Option<NaiveDate>, Option<String>, Option<NaiveDate>, Option<NaiveDate>);
    let open: Vec<OpenClock> = documents::table
        .filter(
            documents::status
                .eq(DocumentStatus::Approved.as_str())
                .or(documents::status.eq(DocumentStatus::Filed.as_str()).and(documents::publish_due_on.is_not_null())),
        )
        .select((
            documents::id,
            documents::formed_on,
            documents::disclosure,
            documents::publish_due_on,
            documents::publish_clock_from,
        ))
        .load(conn)
        .await?;
    let mut moved = 0;
    for (id, formed_on, disclosure, due, clock_from) in open {
        // A conversion restarts the clock from the conversion day.
        let (Some(formed_on), Some(disclosure)) =
            (clock_from.or(formed_on), disclosure.as_deref().map(parse::<Disclosure>).transpose()?)
        else {
            continue;
        };
        let deadline = rules::publish_deadline(formed_on, disclosure, calendar);
        let recomputed = deadline.as_ref().map(|d| d.due_on);
        let provisional = deadline.as_ref().is_some_and(|d| d.provisional);
        // The flag follows the calendar even when the date does not move.
        diesel::update(documents::table.find(id).filter(documents::publish_due_provisional.ne(provisional)))
            .set(documents::publish_due_provisional.eq(provisional))
            .execute(conn)
            .await?;
        if recomputed != due {
            diesel::update(documents::table.find(id))
                .set((documents::publish_due_on.eq(recomputed), documents::version.eq(documents::version + 1)))
                .execute(conn)
                .await?;
            let details = serde_json::json!({"from": due, "to": recomputed, "reason": "calendar_changed"});
            audit::record(
                conn,
                actor,
                Change::new("document.due_date_recomputed", "document", id).fields(["publish_due_on"]).details(details),
            )
            .await?;
            moved += 1;
        }
    }
    Ok(moved)
}
