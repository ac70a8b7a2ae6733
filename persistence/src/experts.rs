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
}

#[derive(Debug, Clone)]
pub struct ExpertFields {
    pub name: String,
    pub field: String,
    pub affiliation: Option<String>,
    pub is_active: bool,
}

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, fields: ExpertFields) -> StoreResult<Expert> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        let expert = diesel::insert_into(experts::table)
            .values((
                experts::id.eq(id),
                experts::name.eq(&fields.name),
                experts::field.eq(&fields.field),
                experts::affiliation.eq(&fields.affiliation),
                experts::is_active.eq(fields.is_active),
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

pub async fn list(conn: &mut AsyncPgConnection, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<Expert>> {
    let mut query = experts::table.select(Expert::as_select()).order(experts::id.asc()).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(experts::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// Which of `ids` are active experts.
pub async fn active_among(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    Ok(experts::table
        .filter(experts::id.eq_any(ids))
        .filter(experts::is_active.eq(true))
        .select(experts::id)
        .load(conn)
        .await?)
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
