//! Administrative reconsiderations and lawsuits about disclosure (table 四 of the annual report):
//! entered as records by the organization, concluded with their result.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::annual_reports::{ChallengeKind, ChallengeResult, ChallengeRole};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::legal_challenges;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = legal_challenges)]
pub struct LegalChallenge {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub role: String,
    pub case_number: String,
    pub filed_on: NaiveDate,
    pub summary: String,
    pub result: Option<String>,
    pub concluded_on: Option<NaiveDate>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewChallenge<'a> {
    pub organization_id: Uuid,
    pub kind: ChallengeKind,
    pub role: ChallengeRole,
    pub case_number: &'a str,
    pub filed_on: NaiveDate,
    pub summary: &'a str,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: &NewChallenge<'_>,
) -> StoreResult<LegalChallenge> {
    if new.role == ChallengeRole::ReconsiderationBody && new.kind != ChallengeKind::LitigationAfterReconsideration {
        return Err(StoreError::InvalidField { field: "role", code: "role_needs_litigation_after_reconsideration" });
    }
    conn.transaction(async |conn| {
        let saved: LegalChallenge = diesel::insert_into(legal_challenges::table)
            .values((
                legal_challenges::id.eq(Uuid::now_v7()),
                legal_challenges::organization_id.eq(new.organization_id),
                legal_challenges::kind.eq(new.kind.as_str()),
                legal_challenges::role.eq(new.role.as_str()),
                legal_challenges::case_number.eq(new.case_number.trim()),
                legal_challenges::filed_on.eq(new.filed_on),
                legal_challenges::summary.eq(new.summary),
                legal_challenges::created_by.eq(actor.id),
            ))
            .returning(LegalChallenge::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("legal_challenge.create", "legal_challenge", saved.id)
            .details(serde_json::json!({"kind": new.kind.as_str(), "filed_on": new.filed_on}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<LegalChallenge> {
    Ok(legal_challenges::table.find(id).select(LegalChallenge::as_select()).first(conn).await?)
}

/// Challenges of these organizations (all when `None`), optionally of one year, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    organization_id: Option<Uuid>,
    year: Option<(NaiveDate, NaiveDate)>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<LegalChallenge>> {
    let mut query = legal_challenges::table
        .select(LegalChallenge::as_select())
        .order(legal_challenges::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(legal_challenges::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(org) = organization_id {
        query = query.filter(legal_challenges::organization_id.eq(org));
    }
    if let Some((first, last)) = year {
        query = query.filter(legal_challenges::filed_on.between(first, last));
    }
    if let Some(before) = before {
        query = query.filter(legal_challenges::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// Records how the case ended; a concluded case is not concluded again.
pub async fn conclude(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    result: ChallengeResult,
    concluded_on: NaiveDate,
    today: NaiveDate,
) -> StoreResult<LegalChallenge> {
    if concluded_on > today {
        return Err(StoreError::InvalidField { field: "concluded_on", code: "in_future" });
    }
    conn.transaction(async |conn| {
        let current: LegalChallenge =
            legal_challenges::table.find(id).select(LegalChallenge::as_select()).for_update().first(conn).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        if current.result.is_some() {
            return Err(StoreError::Refused("challenge_already_concluded"));
        }
        if concluded_on < current.filed_on {
            return Err(StoreError::InvalidField { field: "concluded_on", code: "before_filed" });
        }
        let saved: LegalChallenge = diesel::update(legal_challenges::table.find(id))
            .set((
                legal_challenges::result.eq(result.as_str()),
                legal_challenges::concluded_on.eq(concluded_on),
                legal_challenges::version.eq(legal_challenges::version + 1),
                legal_challenges::updated_at.eq(diesel::dsl::now),
            ))
            .returning(LegalChallenge::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("legal_challenge.conclude", "legal_challenge", id)
            .fields(["result", "concluded_on"])
            .details(serde_json::json!({"result": result.as_str()}));
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
