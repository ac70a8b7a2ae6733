//! Spot checks (抽查, seed §1.4): the government office draws n of an organization's issued
//! documents at random when it creates the check (the sample is stored, so it never changes),
//! records findings on sampled documents — each opening a rectification in the same transaction —
//! and completes the check, which freezes it.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::documents::DocumentStatus;
use domain::oversight::{RectificationSource, SpotCheckStatus};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::rectifications::{self, NewRectification};
use crate::schema::{documents, spot_check_findings as findings, spot_check_samples as samples, spot_checks};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = spot_checks)]
pub struct SpotCheck {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub sample_size: i32,
    pub status: String,
    pub notes: Option<String>,
    pub completed_on: Option<NaiveDate>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SpotCheck {
    pub fn status(&self) -> StoreResult<SpotCheckStatus> {
        parse_code(&self.status)
    }
}

const ISSUED: [&str; 2] = ["published", "filed"];

/// Creates the check and draws its sample: `sample_size` distinct issued (published or filed)
/// documents of the organization, at random.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    organization_id: Uuid,
    sample_size: i32,
    notes: Option<&str>,
) -> StoreResult<SpotCheck> {
    debug_assert_eq!(ISSUED, [DocumentStatus::Published.as_str(), DocumentStatus::Filed.as_str()]);
    conn.transaction(async |conn| {
        let issued: i64 = documents::table
            .filter(documents::issuing_org_id.eq(organization_id))
            .filter(documents::status.eq_any(ISSUED))
            .count()
            .get_result(conn)
            .await?;
        if issued == 0 {
            return Err(StoreError::Refused("no_issued_documents"));
        }
        if issued < i64::from(sample_size) {
            return Err(StoreError::InvalidField { field: "sample_size", code: "more_than_issued" });
        }
        let saved: SpotCheck = diesel::insert_into(spot_checks::table)
            .values((
                spot_checks::id.eq(Uuid::now_v7()),
                spot_checks::organization_id.eq(organization_id),
                spot_checks::sample_size.eq(sample_size),
                spot_checks::notes.eq(notes),
                spot_checks::created_by.eq(actor.id),
            ))
            .returning(SpotCheck::as_returning())
            .get_result(conn)
            .await?;
        let drawn = diesel::sql_query(
            "INSERT INTO spot_check_samples (spot_check_id, document_id, position) \
             SELECT $1, picked.id, row_number() OVER () FROM ( \
                 SELECT id FROM documents WHERE issuing_org_id = $2 AND status IN ('published', 'filed') \
                 ORDER BY random() LIMIT $3) AS picked",
        )
        .bind::<diesel::sql_types::Uuid, _>(saved.id)
        .bind::<diesel::sql_types::Uuid, _>(organization_id)
        .bind::<diesel::sql_types::BigInt, _>(i64::from(sample_size))
        .execute(conn)
        .await?;
        let change = Change::new("spot_check.create", "spot_check", saved.id).details(
            serde_json::json!({"organization_id": organization_id, "sample_size": sample_size, "drawn": drawn}),
        );
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<SpotCheck> {
    Ok(spot_checks::table.find(id).select(SpotCheck::as_select()).first(conn).await?)
}

/// Spot checks of these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<SpotCheck>> {
    let mut query =
        spot_checks::table.select(SpotCheck::as_select()).order(spot_checks::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(spot_checks::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(before) = before {
        query = query.filter(spot_checks::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// A sampled document as the check shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Sampled {
    pub document_id: Uuid,
    pub doc_number: Option<String>,
    pub title: String,
    pub status: String,
}

/// The sample, in the order it was drawn.
pub async fn sample_of(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Vec<Sampled>> {
    Ok(samples::table
        .inner_join(documents::table)
        .filter(samples::spot_check_id.eq(id))
        .order(samples::position)
        .select((documents::id, documents::doc_number, documents::title, documents::status))
        .load(conn)
        .await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = findings)]
pub struct Finding {
    pub id: Uuid,
    pub spot_check_id: Uuid,
    pub document_id: Uuid,
    pub problem: String,
    pub deadline: NaiveDate,
    pub rectification_id: Uuid,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub async fn findings_of(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Vec<Finding>> {
    Ok(findings::table
        .filter(findings::spot_check_id.eq(id))
        .order(findings::id.asc())
        .select(Finding::as_select())
        .load(conn)
        .await?)
}

async fn lock_open(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<SpotCheck> {
    let current: SpotCheck =
        spot_checks::table.find(id).select(SpotCheck::as_select()).for_update().first(conn).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    if current.status()? == SpotCheckStatus::Completed {
        return Err(StoreError::Refused("spot_check_completed"));
    }
    Ok(current)
}

/// Records a problem with a sampled document and opens its rectification for the organization.
pub async fn record_finding(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    document_id: Uuid,
    problem: &str,
    deadline: NaiveDate,
    today: NaiveDate,
) -> StoreResult<(SpotCheck, Finding)> {
    conn.transaction(async |conn| {
        let check = lock_open(conn, id, None).await?;
        let sampled: i64 = samples::table
            .filter(samples::spot_check_id.eq(id))
            .filter(samples::document_id.eq(document_id))
            .count()
            .get_result(conn)
            .await?;
        if sampled == 0 {
            return Err(StoreError::InvalidField { field: "document_id", code: "not_in_sample" });
        }
        let finding_id = Uuid::now_v7();
        let new = NewRectification {
            organization_id: check.organization_id,
            source: RectificationSource::SpotCheck,
            source_id: id,
            finding_id,
            problem,
            opened_on: today,
            deadline,
            created_by: actor.id,
        };
        let rectification = rectifications::open_in(conn, actor, &new).await?;
        let finding: Finding = diesel::insert_into(findings::table)
            .values((
                findings::id.eq(finding_id),
                findings::spot_check_id.eq(id),
                findings::document_id.eq(document_id),
                findings::problem.eq(problem),
                findings::deadline.eq(deadline),
                findings::rectification_id.eq(rectification.id),
                findings::created_by.eq(actor.id),
            ))
            .returning(Finding::as_returning())
            .get_result(conn)
            .await?;
        let saved: SpotCheck = diesel::update(spot_checks::table.find(id))
            .set((spot_checks::version.eq(spot_checks::version + 1), spot_checks::updated_at.eq(diesel::dsl::now)))
            .returning(SpotCheck::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("spot_check.finding", "spot_check", id).details(serde_json::json!({
            "finding_id": finding_id,
            "document_id": document_id,
            "rectification_id": rectification.id,
        }));
        audit::record(conn, actor, change).await?;
        Ok((saved, finding))
    })
    .await
}

/// Completes the check; nothing can be added afterwards.
pub async fn complete(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    today: NaiveDate,
) -> StoreResult<SpotCheck> {
    conn.transaction(async |conn| {
        lock_open(conn, id, expected_version).await?;
        let saved: SpotCheck = diesel::update(spot_checks::table.find(id))
            .set((
                spot_checks::status.eq(SpotCheckStatus::Completed.as_str()),
                spot_checks::completed_on.eq(today),
                spot_checks::version.eq(spot_checks::version + 1),
                spot_checks::updated_at.eq(diesel::dsl::now),
            ))
            .returning(SpotCheck::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("spot_check.complete", "spot_check", id).fields(["status", "completed_on"]);
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
