//! OAuth2 machine clients (client credentials). Secrets are stored as hashes only.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::Scope;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::oauth_clients;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_clients)]
struct ClientRow {
    id: Uuid,
    name: String,
    secret_hash: String,
    scopes: Vec<String>,
    organization_id: Option<Uuid>,
    is_active: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Client {
    pub id: Uuid,
    pub name: String,
    pub secret_hash: String,
    pub scopes: Vec<Scope>,
    pub organization_id: Option<Uuid>,
    pub is_active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(row: ClientRow) -> StoreResult<Self> {
        let scopes = row
            .scopes
            .iter()
            .map(|s| s.parse::<Scope>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Client {
            id: row.id,
            name: row.name,
            secret_hash: row.secret_hash,
            scopes,
            organization_id: row.organization_id,
            is_active: row.is_active,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn scope_codes(scopes: &[Scope]) -> Vec<String> {
    let mut codes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[derive(Debug, Clone)]
pub struct ClientFields {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub organization_id: Option<Uuid>,
    pub is_active: bool,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    fields: ClientFields,
    secret_hash: &str,
) -> StoreResult<Client> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        let row: ClientRow = diesel::insert_into(oauth_clients::table)
            .values((
                oauth_clients::id.eq(id),
                oauth_clients::name.eq(&fields.name),
                oauth_clients::secret_hash.eq(secret_hash),
                oauth_clients::scopes.eq(scope_codes(&fields.scopes)),
                oauth_clients::organization_id.eq(fields.organization_id),
                oauth_clients::is_active.eq(fields.is_active),
            ))
            .returning(ClientRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            actor,
            Change::new("client.create", "oauth_client", id)
                .details(serde_json::json!({"scopes": scope_codes(&fields.scopes)})),
        )
        .await?;
        row.try_into()
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Client> {
    oauth_clients::table.find(id).select(ClientRow::as_select()).first(conn).await?.try_into()
}

pub async fn list(conn: &mut AsyncPgConnection, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<Client>> {
    let mut query =
        oauth_clients::table.select(ClientRow::as_select()).order(oauth_clients::id.asc()).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(oauth_clients::id.gt(after));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: ClientFields,
) -> StoreResult<Client> {
    conn.transaction(async |conn| {
        let current: Client =
            oauth_clients::table.find(id).select(ClientRow::as_select()).for_update().first(conn).await?.try_into()?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let mut changed = Vec::new();
        if current.name != fields.name {
            changed.push("name");
        }
        if scope_codes(&current.scopes) != scope_codes(&fields.scopes) {
            changed.push("scopes");
        }
        if current.organization_id != fields.organization_id {
            changed.push("organization_id");
        }
        if current.is_active != fields.is_active {
            changed.push("is_active");
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let row: ClientRow = diesel::update(oauth_clients::table.find(id))
            .set((
                oauth_clients::name.eq(&fields.name),
                oauth_clients::scopes.eq(scope_codes(&fields.scopes)),
                oauth_clients::organization_id.eq(fields.organization_id),
                oauth_clients::is_active.eq(fields.is_active),
                oauth_clients::version.eq(oauth_clients::version + 1),
                oauth_clients::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ClientRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("client.update", "oauth_client", id).fields(changed)).await?;
        row.try_into()
    })
    .await
}

/// Revokes the client for good: it can no longer obtain tokens.
pub async fn deactivate(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid) -> StoreResult<()> {
    conn.transaction(async |conn| {
        let updated = diesel::update(oauth_clients::table.find(id))
            .set((
                oauth_clients::is_active.eq(false),
                oauth_clients::version.eq(oauth_clients::version + 1),
                oauth_clients::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(conn, actor, Change::new("client.deactivate", "oauth_client", id).fields(["is_active"])).await?;
        Ok(())
    })
    .await
}

/// Replaces the secret hash; the old secret stops working in the same commit.
pub async fn set_secret(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    secret_hash: &str,
) -> StoreResult<Client> {
    conn.transaction(async |conn| {
        let row: ClientRow = diesel::update(oauth_clients::table.find(id))
            .set((
                oauth_clients::secret_hash.eq(secret_hash),
                oauth_clients::version.eq(oauth_clients::version + 1),
                oauth_clients::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ClientRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, actor, Change::new("client.rotate_secret", "oauth_client", id).fields(["secret"])).await?;
        row.try_into()
    })
    .await
}
