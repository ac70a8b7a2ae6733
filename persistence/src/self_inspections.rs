//! The yearly self-inspection: opened with the organization's documents not disclosed proactively
//! and the information most requested that year, decided item by item (a conversion changes the
//! document's attribute in the same transaction, through its own audited act, and starts its
//! publication clock), and submitted to the government office once every item is decided.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::documents::{self as document_rules, Disclosure, DocumentStatus};
use domain::self_inspections::{self as rules, SelfInspectionDecision, SelfInspectionItemKind, SelfInspectionStatus};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::documents::{Document, DocumentRow};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{documents, self_inspection_items as items, self_inspections};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = self_inspections)]
pub struct SelfInspection {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    pub status: String,
    pub summary: Option<String>,
    pub created_by: Option<Uuid>,
    pub submitted_by: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SelfInspection {
    pub fn status(&self) -> StoreResult<SelfInspectionStatus> {
        parse_code(&self.status)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = items)]
pub struct SelfInspectionItem {
    pub id: Uuid,
    pub self_inspection_id: Uuid,
    pub kind: String,
    pub document_id: Option<Uuid>,
    pub disclosure_before: Option<String>,
    pub subject: String,
    pub request_count: i32,
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub position: i32,
}

impl SelfInspectionItem {
    pub fn kind(&self) -> StoreResult<SelfInspectionItemKind> {
        parse_code(&self.kind)
    }
}

#[derive(QueryableByName)]
struct Requested {
    #[diesel(sql_type = diesel::sql_types::Text)]
    subject: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    requests: i64,
}

/// The subjects asked for at least twice that year, most asked first (requests for the same
/// information share a subject key, the same grouping as art. 44's).
async fn most_requested(conn: &mut AsyncPgConnection, org: Uuid, year: i32) -> StoreResult<Vec<Requested>> {
    Ok(diesel::sql_query(
        "SELECT left(min(description), 500) AS subject, count(*) AS requests FROM disclosure_requests \
         WHERE organization_id = $1 AND received_on >= make_date($2, 1, 1) AND received_on < make_date($2 + 1, 1, 1) \
         GROUP BY subject_key HAVING count(*) >= $3 ORDER BY count(*) DESC, min(received_on) LIMIT $4",
    )
    .bind::<diesel::sql_types::Uuid, _>(org)
    .bind::<diesel::sql_types::Integer, _>(year)
    .bind::<diesel::sql_types::BigInt, _>(rules::MOST_REQUESTED_MIN_COUNT)
    .bind::<diesel::sql_types::BigInt, _>(rules::MOST_REQUESTED_LIMIT)
    .load(conn)
    .await?)
}

/// Opens the organization's self-inspection of `year` with the items to decide.
pub async fn open(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    org: Uuid,
    year: i32,
    user: Option<Uuid>,
) -> StoreResult<SelfInspection> {
    conn.transaction(async |conn| {
        let exists: i64 = self_inspections::table
            .filter(self_inspections::organization_id.eq(org))
            .filter(self_inspections::year.eq(year))
            .count()
            .get_result(conn)
            .await?;
        if exists > 0 {
            return Err(StoreError::Refused("self_inspection_exists"));
        }
        let id = Uuid::now_v7();
        let inspection: SelfInspection = diesel::insert_into(self_inspections::table)
            .values((
                self_inspections::id.eq(id),
                self_inspections::organization_id.eq(org),
                self_inspections::year.eq(year),
                self_inspections::created_by.eq(user),
            ))
            .returning(SelfInspection::as_returning())
            .get_result(conn)
            .await?;
        let listed: Vec<(Uuid, Option<String>, String, Option<String>)> = documents::table
            .filter(documents::issuing_org_id.eq(org))
            .filter(documents::status.eq_any([DocumentStatus::Approved.as_str(), DocumentStatus::Filed.as_str()]))
            .filter(documents::disclosure.eq_any([Disclosure::OnRequest.as_str(), Disclosure::NotPublic.as_str()]))
            .filter(documents::validity.eq("valid"))
            .order(documents::id)
            .select((documents::id, documents::doc_number, documents::title, documents::disclosure))
            .load(conn)
            .await?;
        let requested = most_requested(conn, org, year).await?;
        let document_rows = listed.iter().map(|(document, number, title, disclosure)| {
            let subject = match number {
                Some(number) => format!("{title}（{number}）"),
                None => title.clone(),
            };
            (SelfInspectionItemKind::Document, Some(*document), disclosure.clone(), subject, 0)
        });
        let requested_rows = requested.iter().map(|r| {
            let count = i32::try_from(r.requests).unwrap_or(i32::MAX);
            (SelfInspectionItemKind::RequestedInformation, None, None, r.subject.clone(), count)
        });
        let rows: Vec<_> = document_rows
            .chain(requested_rows)
            .enumerate()
            .map(|(index, (kind, document, disclosure, subject, count))| {
                (
                    items::id.eq(Uuid::now_v7()),
                    items::self_inspection_id.eq(id),
                    items::kind.eq(kind.as_str()),
                    items::document_id.eq(document),
                    items::disclosure_before.eq(disclosure),
                    items::subject.eq(subject),
                    items::request_count.eq(count),
                    items::position.eq(i32::try_from(index + 1).unwrap_or(i32::MAX)),
                )
            })
            .collect();
        for chunk in rows.chunks(1000) {
            diesel::insert_into(items::table).values(chunk).execute(conn).await?;
        }
        let change = Change::new("self_inspection.open", "self_inspection", id)
            .details(serde_json::json!({"year": year, "documents": listed.len(), "requested": requested.len()}));
        audit::record(conn, actor, change).await?;
        Ok(inspection)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<SelfInspection> {
    self_inspections::table
        .find(id)
        .select(SelfInspection::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)
}

pub async fn items_of(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Vec<SelfInspectionItem>> {
    Ok(items::table
        .filter(items::self_inspection_id.eq(id))
        .order(items::position.asc())
        .select(SelfInspectionItem::as_select())
        .load(conn)
        .await?)
}

/// Self-inspections of the given organizations (None: all), newest first, optionally of one
/// year or state.
pub async fn list(
    conn: &mut AsyncPgConnection,
    orgs: Option<&[Uuid]>,
    year: Option<i32>,
    status: Option<SelfInspectionStatus>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<SelfInspection>> {
    let mut query = self_inspections::table
        .select(SelfInspection::as_select())
        .order(self_inspections::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = orgs {
        query = query.filter(self_inspections::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(year) = year {
        query = query.filter(self_inspections::year.eq(year));
    }
    if let Some(status) = status {
        query = query.filter(self_inspections::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(self_inspections::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

async fn lock(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<SelfInspection> {
    let current: SelfInspection = self_inspections::table
        .find(id)
        .select(SelfInspection::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

async fn bump(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<SelfInspection> {
    Ok(diesel::update(self_inspections::table.find(id))
        .set((
            self_inspections::version.eq(self_inspections::version + 1),
            self_inspections::updated_at.eq(diesel::dsl::now),
        ))
        .returning(SelfInspection::as_returning())
        .get_result(conn)
        .await?)
}

/// Converts a document to proactive: its attribute changes (the reason replaces the exemption's),
/// a new revision asks for a new secrecy review before publication, and its 20 working days run
/// from `today` (DOMAIN.md §2). Written to the document's own history with the reason.
async fn convert_document(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    document_id: Uuid,
    reason: &str,
    inspection_id: Uuid,
    today: NaiveDate,
) -> StoreResult<Document> {
    let current = crate::documents::lock(conn, document_id, None).await?;
    if !rules::lists_document(current.status, current.disclosure, current.validity) {
        return Err(StoreError::Refused("document_not_convertible"));
    }
    let calendar = crate::calendar::load(conn).await?;
    let deadline = document_rules::publish_deadline(today, Disclosure::Proactive, &calendar);
    let due = deadline.as_ref().map(|d| d.due_on);
    let provisional = deadline.as_ref().is_some_and(|d| d.provisional);
    let row: DocumentRow = diesel::update(documents::table.find(document_id))
        .set((
            documents::disclosure.eq(Disclosure::Proactive.as_str()),
            documents::disclosure_reason.eq(reason),
            documents::legal_basis.eq(None::<String>),
            documents::exemption.eq(None::<String>),
            documents::revision.eq(documents::revision + 1),
            documents::publish_clock_from.eq(today),
            documents::publish_due_on.eq(due),
            documents::publish_due_provisional.eq(provisional),
            documents::version.eq(documents::version + 1),
            documents::updated_at.eq(diesel::dsl::now),
        ))
        .returning(DocumentRow::as_returning())
        .get_result(conn)
        .await?;
    let details = serde_json::json!({
        "from": current.disclosure.map(Disclosure::as_str),
        "to": Disclosure::Proactive.as_str(),
        "reason": reason,
        "previous_exemption": current.exemption.map(|e| e.as_str()),
        "self_inspection_id": inspection_id,
        "publish_due_on": due,
    });
    let change = Change::new("document.convert_to_proactive", "document", document_id)
        .fields(["disclosure", "disclosure_reason", "legal_basis", "exemption", "publish_due_on"])
        .details(details);
    audit::record(conn, actor, change).await?;
    Ok(row.into())
}

/// Records the decision on one item; a conversion converts the document in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    item_id: Uuid,
    decision: SelfInspectionDecision,
    reason: &str,
    today: NaiveDate,
    user: Option<Uuid>,
) -> StoreResult<SelfInspection> {
    conn.transaction(async |conn| {
        // A conversion computes a due date from the calendar: the calendar lock comes first.
        crate::calendar::hold_shared(conn).await?;
        let current = lock(conn, id, expected_version).await?;
        let item: SelfInspectionItem = items::table
            .find(item_id)
            .filter(items::self_inspection_id.eq(id))
            .select(SelfInspectionItem::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(StoreError::InvalidField { field: "item_id", code: "not_found" })?;
        let kind = item.kind()?;
        let still_listed = match item.document_id {
            Some(document) => {
                let d = crate::documents::get(conn, document).await?;
                rules::lists_document(d.status, d.disclosure, d.validity)
            }
            None => false,
        };
        if let Some(code) =
            rules::decision_refusal(current.status()?, item.decision.is_some(), kind, decision, still_listed)
        {
            return Err(StoreError::Refused(code));
        }
        if let (SelfInspectionDecision::Convert, Some(document)) = (decision, item.document_id) {
            convert_document(conn, actor, document, reason, id, today).await?;
        }
        diesel::update(items::table.find(item_id))
            .set((
                items::decision.eq(decision.as_str()),
                items::reason.eq(reason),
                items::decided_by.eq(user),
                items::decided_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let saved = bump(conn, id).await?;
        let change = Change::new("self_inspection.decide", "self_inspection", id).fields(["items"]).details(
            serde_json::json!({"item_id": item_id, "decision": decision.as_str(), "document_id": item.document_id}),
        );
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// Submits the report to the government office, once every item is decided.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    summary: &str,
    user: Option<Uuid>,
) -> StoreResult<SelfInspection> {
    conn.transaction(async |conn| {
        let current = lock(conn, id, expected_version).await?;
        if current.status()? == SelfInspectionStatus::Submitted {
            return Err(StoreError::Refused("self_inspection_submitted"));
        }
        let undecided: i64 = items::table
            .filter(items::self_inspection_id.eq(id))
            .filter(items::decision.is_null())
            .count()
            .get_result(conn)
            .await?;
        let failures = rules::submission_failures(usize::try_from(undecided).unwrap_or(usize::MAX));
        if !failures.is_empty() {
            return Err(StoreError::RulesFailed(failures));
        }
        let saved: SelfInspection = diesel::update(self_inspections::table.find(id))
            .set((
                self_inspections::status.eq(SelfInspectionStatus::Submitted.as_str()),
                self_inspections::summary.eq(summary),
                self_inspections::submitted_by.eq(user),
                self_inspections::submitted_at.eq(diesel::dsl::now),
                self_inspections::version.eq(self_inspections::version + 1),
                self_inspections::updated_at.eq(diesel::dsl::now),
            ))
            .returning(SelfInspection::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("self_inspection.submit", "self_inspection", id).fields(["status"]))
            .await?;
        Ok(saved)
    })
    .await
}
