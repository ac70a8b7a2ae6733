use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::OrganizationKind;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{parse_code, StoreError, StoreResult};
use crate::schema::organizations;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
struct OrganizationRow {
    id: Uuid,
    name: String,
    kind: String,
    parent_id: Option<Uuid>,
    principal_name: Option<String>,
    openness_deputy_name: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    principal_duties: Option<String>,
    openness_deputy_duties: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    pub principal_name: Option<String>,
    pub openness_deputy_name: Option<String>,
    /// 分工 of the principal and of the deputy in charge of openness (published, seed §6.1).
    pub principal_duties: Option<String>,
    pub openness_deputy_duties: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;
    fn try_from(row: OrganizationRow) -> StoreResult<Self> {
        Ok(Organization {
            id: row.id,
            kind: parse_code(&row.kind)?,
            name: row.name,
            parent_id: row.parent_id,
            principal_name: row.principal_name,
            openness_deputy_name: row.openness_deputy_name,
            principal_duties: row.principal_duties,
            openness_deputy_duties: row.openness_deputy_duties,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The writable fields, for create and full replacement (PUT).
#[derive(Debug, Clone)]
pub struct OrganizationFields {
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<Uuid>,
    pub principal_name: Option<String>,
    pub openness_deputy_name: Option<String>,
    pub principal_duties: Option<String>,
    pub openness_deputy_duties: Option<String>,
}

/// The published leadership of an organization: who heads it and who is in charge of openness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leadership {
    pub principal_name: Option<String>,
    pub principal_duties: Option<String>,
    pub openness_deputy_name: Option<String>,
    pub openness_deputy_duties: Option<String>,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fields: OrganizationFields,
) -> StoreResult<Organization> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        if let Some(parent) = fields.parent_id {
            ensure_exists(conn, parent).await?;
        }
        let row: OrganizationRow = diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(id),
                organizations::name.eq(&fields.name),
                organizations::kind.eq(fields.kind.as_str()),
                organizations::parent_id.eq(fields.parent_id),
                organizations::principal_name.eq(&fields.principal_name),
                organizations::openness_deputy_name.eq(&fields.openness_deputy_name),
                organizations::principal_duties.eq(&fields.principal_duties),
                organizations::openness_deputy_duties.eq(&fields.openness_deputy_duties),
            ))
            .returning(OrganizationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("organization.create", "organization", id)).await?;
        row.try_into()
    })
    .await
}

async fn ensure_exists(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<()> {
    let found: i64 = organizations::table.filter(organizations::id.eq(id)).count().get_result(conn).await?;
    if found == 0 {
        return Err(StoreError::Refused("parent_not_found"));
    }
    Ok(())
}

pub async fn get(mut conn: &AsyncPgConnection, id: Uuid) -> StoreResult<Organization> {
    organizations::table.find(id).select(OrganizationRow::as_select()).first(&mut conn).await?.try_into()
}

#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    pub kind: Option<OrganizationKind>,
    pub parent_id: Option<Uuid>,
}

/// Ordered by id (UUIDv7, so by creation); `after` is the last id of the previous page.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &OrganizationFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Organization>> {
    let mut query = organizations::table
        .select(OrganizationRow::as_select())
        .order(organizations::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(organizations::kind.eq(kind.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(organizations::parent_id.eq(parent));
    }
    if let Some(after) = after {
        query = query.filter(organizations::id.gt(after));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}

/// Locks the row and checks the caller's version (If-Match), inside the caller's transaction.
async fn lock_current(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    expected_version: Option<i32>,
) -> StoreResult<Organization> {
    let current: Organization = organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .for_update()
        .first(conn)
        .await?
        .try_into()?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: OrganizationFields,
) -> StoreResult<Organization> {
    conn.transaction(async |conn| {
        let current = lock_current(conn, id, expected_version).await?;
        if let Some(parent) = fields.parent_id {
            if parent != current.parent_id.unwrap_or(Uuid::nil()) {
                ensure_exists(conn, parent).await?;
                if is_descendant_or_self(conn, parent, id).await? {
                    return Err(StoreError::Refused("organization_cycle"));
                }
            }
        }
        let mut changed = Vec::new();
        if current.name != fields.name {
            changed.push("name");
        }
        if current.kind != fields.kind {
            changed.push("kind");
        }
        if current.parent_id != fields.parent_id {
            changed.push("parent_id");
        }
        if current.principal_name != fields.principal_name {
            changed.push("principal_name");
        }
        if current.openness_deputy_name != fields.openness_deputy_name {
            changed.push("openness_deputy_name");
        }
        if current.principal_duties != fields.principal_duties {
            changed.push("principal_duties");
        }
        if current.openness_deputy_duties != fields.openness_deputy_duties {
            changed.push("openness_deputy_duties");
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let row: OrganizationRow = diesel::update(organizations::table.find(id))
            .set((
                organizations::name.eq(&fields.name),
                organizations::kind.eq(fields.kind.as_str()),
                organizations::parent_id.eq(fields.parent_id),
                organizations::principal_name.eq(&fields.principal_name),
                organizations::openness_deputy_name.eq(&fields.openness_deputy_name),
                organizations::principal_duties.eq(&fields.principal_duties),
                organizations::openness_deputy_duties.eq(&fields.openness_deputy_duties),
                organizations::version.eq(organizations::version + 1),
                organizations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(OrganizationRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("organization.update", "organization", id).fields(changed)).await?;
        row.try_into()
    })
    .await
}

/// Replaces the leadership only (the organization's openness officer keeps it current; name, kind
/// and place in the tree stay the system administrator's).
pub async fn update_leadership(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    leadership: Leadership,
) -> StoreResult<Organization> {
    conn.transaction(async |conn| {
        let current = lock_current(conn, id, expected_version).await?;
        let mut changed = Vec::new();
        if current.principal_name != leadership.principal_name {
            changed.push("principal_name");
        }
        if current.principal_duties != leadership.principal_duties {
            changed.push("principal_duties");
        }
        if current.openness_deputy_name != leadership.openness_deputy_name {
            changed.push("openness_deputy_name");
        }
        if current.openness_deputy_duties != leadership.openness_deputy_duties {
            changed.push("openness_deputy_duties");
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let row: OrganizationRow = diesel::update(organizations::table.find(id))
            .set((
                organizations::principal_name.eq(&leadership.principal_name),
                organizations::principal_duties.eq(&leadership.principal_duties),
                organizations::openness_deputy_name.eq(&leadership.openness_deputy_name),
                organizations::openness_deputy_duties.eq(&leadership.openness_deputy_duties),
                organizations::version.eq(organizations::version + 1),
                organizations::updated_at.eq(diesel::dsl::now),
            ))
            .returning(OrganizationRow::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("organization.update_leadership", "organization", id).fields(changed);
        audit::record(conn, actor, change).await?;
        row.try_into()
    })
    .await
}

/// Whether `candidate` is `root` or lies below it in the tree.
async fn is_descendant_or_self(conn: &mut AsyncPgConnection, candidate: Uuid, root: Uuid) -> StoreResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        found: bool,
    }
    let result: Found = diesel::sql_query(
        "WITH RECURSIVE up(id, parent_id) AS ( \
             SELECT id, parent_id FROM organizations WHERE id = $1 \
             UNION SELECT o.id, o.parent_id FROM organizations o JOIN up ON o.id = up.parent_id) \
         SELECT EXISTS (SELECT 1 FROM up WHERE id = $2) AS found",
    )
    .bind::<diesel::sql_types::Uuid, _>(candidate)
    .bind::<diesel::sql_types::Uuid, _>(root)
    .get_result(conn)
    .await?;
    Ok(result.found)
}

/// Refused while staff or child organizations still refer to it (the schema's RESTRICT).
pub async fn delete(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> StoreResult<()> {
    conn.transaction(async |conn| {
        lock_current(conn, id, expected_version).await?;
        diesel::delete(organizations::table.find(id)).execute(conn).await?;
        audit::record(conn, actor, Change::new("organization.delete", "organization", id)).await?;
        Ok(())
    })
    .await
}

diesel::define_sql_function! {
    /// The database function `organization_county` (migration 2026-11-28-000080).
    fn organization_county(org_id: diesel::sql_types::Uuid) -> diesel::sql_types::Nullable<diesel::sql_types::Uuid>;
}

/// The county an organization belongs to: the nearest `county_government` at or above it.
/// A database function, so that the statement is prepared once per connection (see its migration).
pub async fn county_of(mut conn: &AsyncPgConnection, id: Uuid) -> StoreResult<Option<Uuid>> {
    Ok(diesel::select(organization_county(id)).get_result(&mut conn).await?)
}

/// Which of `ids` exist.
pub async fn existing(mut conn: &AsyncPgConnection, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    Ok(organizations::table.filter(organizations::id.eq_any(ids)).select(organizations::id).load(&mut conn).await?)
}

/// The county government `county` and every organization below it.
pub async fn in_county(conn: &mut AsyncPgConnection, county: Uuid) -> StoreResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Member {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let members: Vec<Member> = diesel::sql_query(
        "WITH RECURSIVE down(id, depth) AS ( \
             SELECT id, 0 FROM organizations WHERE id = $1 \
             UNION ALL SELECT o.id, down.depth + 1 FROM organizations o \
             JOIN down ON o.parent_id = down.id WHERE down.depth < 32) \
         SELECT id FROM down",
    )
    .bind::<diesel::sql_types::Uuid, _>(county)
    .load(conn)
    .await?;
    Ok(members.into_iter().map(|m| m.id).collect())
}

/// The names of these organizations, for lists that show them beside their ids.
pub async fn names(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> StoreResult<std::collections::HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::name))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The kinds of these organizations, for lists that pick some kinds out of a county.
pub async fn kinds(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> StoreResult<std::collections::HashMap<Uuid, OrganizationKind>> {
    let rows: Vec<(Uuid, String)> = organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::kind))
        .load(conn)
        .await?;
    rows.into_iter().map(|(id, kind)| Ok((id, crate::error::parse_code(&kind)?))).collect()
}
