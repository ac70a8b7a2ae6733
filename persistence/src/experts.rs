//! The expert pool (解读专家库) interpretations draw on.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::experts;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = experts)]
pub struct Expert {
    pub id: Uuid,
    pub name: String,
    pub field: String,
    pub affiliation: Option<String>,
    pub is_active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The county whose pool this is; None for a deployment-wide expert.
    pub county_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct ExpertFields {
    pub name: String,
    pub field: String,
    pub affiliation: Option<String>,
    pub is_active: bool,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fields: ExpertFields,
    county_id: Option<Uuid>,
) -> StoreResult<Expert> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        let expert = diesel::insert_into(experts::table)
            .values((
                experts::id.eq(id),
                experts::name.eq(&fields.name),
                experts::field.eq(&fields.field),
                experts::affiliation.eq(&fields.affiliation),
                experts::is_active.eq(fields.is_active),
                experts::county_id.eq(county_id),
            ))
            .returning(Expert::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("expert.create", "expert", id)).await?;
        Ok(expert)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Expert> {
    Ok(experts::table.find(id).select(Expert::as_select()).first(conn).await?)
}

/// Whose pools a caller draws on.
#[derive(Debug, Clone, Copy)]
pub enum Pool {
    /// Every expert (system administrators).
    All,
    /// A county's own experts and the deployment-wide ones.
    County(Option<Uuid>),
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    pool: Pool,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Expert>> {
    let mut query = experts::table.select(Expert::as_select()).order(experts::id.asc()).limit(limit).into_boxed();
    if let Pool::County(county) = pool {
        query = match county {
            Some(county) => query.filter(experts::county_id.eq(county).or(experts::county_id.is_null())),
            None => query.filter(experts::county_id.is_null()),
        };
    }
    if let Some(after) = after {
        query = query.filter(experts::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// Which of `ids` are active experts of `county`'s pool (its own or deployment-wide).
pub async fn active_among(conn: &mut AsyncPgConnection, ids: &[Uuid], county: Option<Uuid>) -> StoreResult<Vec<Uuid>> {
    let mut query = experts::table
        .filter(experts::id.eq_any(ids))
        .filter(experts::is_active.eq(true))
        .select(experts::id)
        .into_boxed();
    query = match county {
        Some(county) => query.filter(experts::county_id.eq(county).or(experts::county_id.is_null())),
        None => query.filter(experts::county_id.is_null()),
    };
    Ok(query.load(conn).await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: ExpertFields,
) -> StoreResult<Expert> {
    conn.transaction(async |conn| {
        let current: Expert = experts::table.find(id).select(Expert::as_select()).for_update().first(conn).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let expert = diesel::update(experts::table.find(id))
            .set((
                experts::name.eq(&fields.name),
                experts::field.eq(&fields.field),
                experts::affiliation.eq(&fields.affiliation),
                experts::is_active.eq(fields.is_active),
                experts::version.eq(experts::version + 1),
                experts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Expert::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("expert.update", "expert", id)).await?;
        Ok(expert)
    })
    .await
}
