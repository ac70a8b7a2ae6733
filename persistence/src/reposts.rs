//! Reposting higher-level documents: registration fans out one obligation per department and
//! township of the county (one transaction, under the shared calendar lock so the deadlines follow
//! any calendar change); officers record their repost; missed deadlines become `repost_missing`
//! breaches; the special check reads every obligation's standing.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::reposts::{self as rules, IssuerLevel, RepostStanding, RepostStatus};
use domain::OrganizationKind;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::{higher_documents, organizations, repost_obligations};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = higher_documents)]
pub struct HigherDocumentRow {
    pub id: Uuid,
    pub county_id: Uuid,
    pub issuer_level: String,
    pub issuer: String,
    pub title: String,
    pub doc_number: Option<String>,
    pub url: String,
    pub published_on: NaiveDate,
    pub registered_on: NaiveDate,
    pub repost_working_days: i32,
    pub due_on: NaiveDate,
    pub registered_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl HigherDocumentRow {
    pub fn issuer_level(&self) -> StoreResult<IssuerLevel> {
        parse_code(&self.issuer_level)
    }
}

/// What the government office registers.
#[derive(Debug, Clone)]
pub struct HigherDocumentFields {
    pub issuer_level: IssuerLevel,
    pub issuer: String,
    pub title: String,
    pub doc_number: Option<String>,
    pub url: String,
    pub published_on: NaiveDate,
    pub repost_working_days: u32,
}

/// Registers the document for the county and creates every department's and township's
/// obligation with the deadline counted from `today`. Returns the document and how many owe it.
pub async fn register(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    county: Uuid,
    fields: &HigherDocumentFields,
    today: NaiveDate,
    user: Option<Uuid>,
) -> StoreResult<(HigherDocumentRow, usize)> {
    if let Some(code) = rules::registration_problem(fields.published_on, today) {
        return Err(StoreError::InvalidField { field: "published_on", code });
    }
    conn.transaction(async |conn| {
        crate::calendar::hold_shared(conn).await?;
        let calendar = crate::calendar::load(conn).await?;
        let due_on = rules::repost_deadline(today, fields.repost_working_days, &calendar).due_on;
        let members = crate::organizations::in_county(conn, county).await?;
        let kinds: Vec<(Uuid, String)> = organizations::table
            .filter(organizations::id.eq_any(&members))
            .select((organizations::id, organizations::kind))
            .order(organizations::id)
            .load(conn)
            .await?;
        let mut owing = Vec::new();
        for (id, kind) in kinds {
            if rules::owes_repost(parse_code::<OrganizationKind>(&kind)?) {
                owing.push(id);
            }
        }
        if owing.is_empty() {
            return Err(StoreError::Refused("no_reposting_organizations"));
        }
        let id = Uuid::now_v7();
        let document: HigherDocumentRow = diesel::insert_into(higher_documents::table)
            .values((
                higher_documents::id.eq(id),
                higher_documents::county_id.eq(county),
                higher_documents::issuer_level.eq(fields.issuer_level.as_str()),
                higher_documents::issuer.eq(&fields.issuer),
                higher_documents::title.eq(&fields.title),
                higher_documents::doc_number.eq(&fields.doc_number),
                higher_documents::url.eq(&fields.url),
                higher_documents::published_on.eq(fields.published_on),
                higher_documents::registered_on.eq(today),
                higher_documents::repost_working_days.eq(i32::try_from(fields.repost_working_days).unwrap_or(60)),
                higher_documents::due_on.eq(due_on),
                higher_documents::registered_by.eq(user),
            ))
            .returning(HigherDocumentRow::as_returning())
            .get_result(conn)
            .await?;
        let rows: Vec<_> = owing
            .iter()
            .map(|org| {
                (
                    repost_obligations::id.eq(Uuid::now_v7()),
                    repost_obligations::higher_document_id.eq(id),
                    repost_obligations::organization_id.eq(*org),
                    repost_obligations::due_on.eq(due_on),
                )
            })
            .collect();
        diesel::insert_into(repost_obligations::table).values(&rows).execute(conn).await?;
        let change = Change::new("higher_document.register", "higher_document", id)
            .details(serde_json::json!({"obligations": owing.len(), "due_on": due_on}));
        audit::record(conn, actor, change).await?;
        Ok((document, owing.len()))
    })
    .await
}

pub async fn get_document(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<HigherDocumentRow> {
    higher_documents::table
        .find(id)
        .select(HigherDocumentRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// The county's registered documents (None: every county), newest first.
pub async fn list_documents(
    conn: &mut AsyncPgConnection,
    county: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<HigherDocumentRow>> {
    let mut query = higher_documents::table
        .select(HigherDocumentRow::as_select())
        .order(higher_documents::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(county) = county {
        query = query.filter(higher_documents::county_id.eq(county));
    }
    if let Some(before) = before {
        query = query.filter(higher_documents::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = repost_obligations)]
pub struct ObligationRow {
    pub id: Uuid,
    pub higher_document_id: Uuid,
    pub organization_id: Uuid,
    pub due_on: NaiveDate,
    pub status: String,
    pub repost_url: Option<String>,
    pub reposted_on: Option<NaiveDate>,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl ObligationRow {
    pub fn status(&self) -> StoreResult<RepostStatus> {
        parse_code(&self.status)
    }

    pub fn standing(&self, today: NaiveDate) -> RepostStanding {
        rules::standing(self.due_on, self.reposted_on, today)
    }
}

/// An obligation with its organization's name and its document's title, for lists and reports.
#[derive(Debug, Clone)]
pub struct Obligation {
    pub row: ObligationRow,
    pub organization_name: String,
    pub document_title: String,
}

/// Filters of the obligation list; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct ObligationFilter {
    pub id: Option<Uuid>,
    pub orgs: Option<Vec<Uuid>>,
    pub higher_document_id: Option<Uuid>,
    pub status: Option<RepostStatus>,
    /// Pending obligations whose deadline has passed on this day.
    pub missing_on: Option<NaiveDate>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
}

/// Obligations by id after the cursor (`limit` None: all of them, for reports).
pub async fn obligations(
    conn: &mut AsyncPgConnection,
    filter: &ObligationFilter,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> StoreResult<Vec<Obligation>> {
    let mut query = repost_obligations::table
        .inner_join(organizations::table)
        .inner_join(higher_documents::table)
        .select((ObligationRow::as_select(), organizations::name, higher_documents::title))
        .order(repost_obligations::id.asc())
        .into_boxed();
    if let Some(id) = filter.id {
        query = query.filter(repost_obligations::id.eq(id));
    }
    if let Some(orgs) = &filter.orgs {
        query = query.filter(repost_obligations::organization_id.eq_any(orgs.clone()));
    }
    if let Some(document) = filter.higher_document_id {
        query = query.filter(repost_obligations::higher_document_id.eq(document));
    }
    if let Some(status) = filter.status {
        query = query.filter(repost_obligations::status.eq(status.as_str()));
    }
    if let Some(day) = filter.missing_on {
        query = query
            .filter(repost_obligations::status.eq(RepostStatus::Pending.as_str()))
            .filter(repost_obligations::due_on.lt(day));
    }
    if let Some(from) = filter.registered_from {
        query = query.filter(higher_documents::registered_on.ge(from));
    }
    if let Some(to) = filter.registered_to {
        query = query.filter(higher_documents::registered_on.le(to));
    }
    if let Some(after) = after {
        query = query.filter(repost_obligations::id.gt(after));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let rows: Vec<(ObligationRow, String, String)> = query.load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(row, organization_name, document_title)| Obligation { row, organization_name, document_title })
        .collect())
}

pub async fn get_obligation(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<ObligationRow> {
    repost_obligations::table
        .find(id)
        .select(ObligationRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Records the repost: the address on the organization's site and the day it went online.
#[allow(clippy::too_many_arguments)]
pub async fn record_repost(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    url: &str,
    reposted_on: NaiveDate,
    today: NaiveDate,
    user: Option<Uuid>,
) -> StoreResult<ObligationRow> {
    conn.transaction(async |conn| {
        let current: ObligationRow = repost_obligations::table
            .find(id)
            .select(ObligationRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or(StoreError::NotFound)?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        if current.status()? != RepostStatus::Pending {
            return Err(StoreError::Refused("already_reposted"));
        }
        let document = get_document(conn, current.higher_document_id).await?;
        if let Some(code) = rules::repost_date_problem(reposted_on, document.published_on, today) {
            return Err(StoreError::InvalidField { field: "reposted_on", code });
        }
        let saved: ObligationRow = diesel::update(repost_obligations::table.find(id))
            .set((
                repost_obligations::status.eq(RepostStatus::Reposted.as_str()),
                repost_obligations::repost_url.eq(url),
                repost_obligations::reposted_on.eq(reposted_on),
                repost_obligations::recorded_by.eq(user),
                repost_obligations::recorded_at.eq(diesel::dsl::now),
                repost_obligations::version.eq(repost_obligations::version + 1),
            ))
            .returning(ObligationRow::as_returning())
            .get_result(conn)
            .await?;
        let standing = saved.standing(today);
        let change = Change::new("repost_obligation.repost", "repost_obligation", id)
            .fields(["status", "repost_url", "reposted_on"])
            .details(serde_json::json!({"reposted_on": reposted_on, "standing": standing.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

/// Pending obligations past their deadline become `repost_missing` breaches (each once); returns how
/// many were new.
pub async fn record_missing(conn: &mut AsyncPgConnection, today: NaiveDate) -> StoreResult<usize> {
    let missing: Vec<(Uuid, Uuid, NaiveDate, Uuid)> = repost_obligations::table
        .filter(repost_obligations::status.eq(RepostStatus::Pending.as_str()))
        .filter(repost_obligations::due_on.lt(today))
        .select((
            repost_obligations::id,
            repost_obligations::organization_id,
            repost_obligations::due_on,
            repost_obligations::higher_document_id,
        ))
        .load(conn)
        .await?;
    let mut recorded = 0;
    for (id, org, due_on, document) in missing {
        let details = serde_json::json!({"higher_document_id": document, "detected_on": today});
        if crate::documents::record_breach(conn, "repost_missing", org, "repost_obligation", id, due_on, details)
            .await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// After a calendar change: every document with a pending obligation gets its deadline counted
/// again from its registration, and its pending obligations follow. Returns how many moved.
pub async fn recompute_due_dates(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    calendar: &domain::calendar::WorkCalendar,
) -> StoreResult<usize> {
    let open: Vec<(Uuid, NaiveDate, i32, NaiveDate)> = higher_documents::table
        .filter(diesel::dsl::exists(
            repost_obligations::table
                .filter(repost_obligations::higher_document_id.eq(higher_documents::id))
                .filter(repost_obligations::status.eq(RepostStatus::Pending.as_str())),
        ))
        .select((
            higher_documents::id,
            higher_documents::registered_on,
            higher_documents::repost_working_days,
            higher_documents::due_on,
        ))
        .load(conn)
        .await?;
    let mut moved = 0;
    for (id, registered_on, days, due_on) in open {
        let recomputed = rules::repost_deadline(registered_on, u32::try_from(days).unwrap_or(1), calendar).due_on;
        if recomputed == due_on {
            continue;
        }
        diesel::update(higher_documents::table.find(id))
            .set(higher_documents::due_on.eq(recomputed))
            .execute(conn)
            .await?;
        let pending = diesel::update(
            repost_obligations::table
                .filter(repost_obligations::higher_document_id.eq(id))
                .filter(repost_obligations::status.eq(RepostStatus::Pending.as_str())),
        )
        .set((
            repost_obligations::due_on.eq(recomputed),
            repost_obligations::version.eq(repost_obligations::version + 1),
        ))
        .execute(conn)
        .await?;
        let details =
            serde_json::json!({"from": due_on, "to": recomputed, "reason": "calendar_changed", "obligations": pending});
        let change = Change::new("higher_document.due_date_recomputed", "higher_document", id)
            .fields(["due_on"])
            .details(details);
        audit::record(conn, actor, change).await?;
        moved += pending;
    }
    Ok(moved)
}
