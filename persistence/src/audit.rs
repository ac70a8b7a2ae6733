//! The append-only audit log. Every state change writes its row through [`record`] inside the
//! same transaction as the change, so a rolled-back change leaves no trace and a committed one
//! always has its row.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::schema::audit_log;

/// Who acts, and under which request, for every change made on their behalf.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    User,
    Client,
    System,
    Anonymous,
}

impl ActorKind {
    fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Client => "client",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

impl Actor {
    pub fn system(request_id: Option<String>) -> Self {
        Actor { kind: ActorKind::System, id: None, request_id }
    }

    /// Someone from the public, unauthenticated, in request `request_id` (which ties the change
    /// to its `Idempotency-Key` claim should the answer be lost in a crash).
    pub fn anonymous(request_id: Option<String>) -> Self {
        Actor { kind: ActorKind::Anonymous, id: None, request_id }
    }
}

/// One recorded change: ids and the names of changed fields, never their values when personal.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub changed_fields: Vec<String>,
    pub details: serde_json::Value,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: Uuid) -> Self {
        Change {
            action,
            entity_type,
            entity_id: Some(entity_id),
            changed_fields: Vec::new(),
            details: serde_json::json!({}),
        }
    }

    pub fn fields(mut self, fields: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.changed_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Takes a shared connection so that a caller may pipeline it with the statement it records
/// (diesel-async sends both before awaiting either answer).
pub async fn record(mut conn: &AsyncPgConnection, actor: &Actor, change: Change<'_>) -> StoreResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_kind.eq(actor.kind.as_str()),
            audit_log::actor_id.eq(actor.id),
            audit_log::action.eq(change.action),
            audit_log::entity_type.eq(change.entity_type),
            audit_log::entity_id.eq(change.entity_id),
            audit_log::request_id.eq(actor.request_id.as_deref()),
            audit_log::changed_fields.eq(&change.changed_fields),
            audit_log::details.eq(&change.details),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub changed_fields: Vec<String>,
    pub details: serde_json::Value,
}

/// The history of one entity, oldest first.
pub async fn for_entity(
    conn: &mut AsyncPgConnection,
    entity_type: &str,
    entity_id: Uuid,
) -> StoreResult<Vec<AuditRow>> {
    Ok(audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::id.asc())
        .select(AuditRow::as_select())
        .load(conn)
        .await?)
}

/// Newest first, keyset-paginated on the id.
pub async fn list(conn: &mut AsyncPgConnection, before_id: Option<i64>, limit: i64) -> StoreResult<Vec<AuditRow>> {
    let mut query =
        audit_log::table.select(AuditRow::as_select()).order(audit_log::id.desc()).limit(limit).into_boxed();
    if let Some(before) = before_id {
        query = query.filter(audit_log::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// Seals the committed unsealed rows into the hash chain, in batches (migration
/// 2026-11-27-000007). Another instance sealing at the same time makes this return 0 at once.
pub async fn seal(conn: &mut AsyncPgConnection, batch: i32) -> StoreResult<i64> {
    let mut total = 0i64;
    loop {
        let sealed: SealCount = diesel::sql_query("SELECT audit_seal($1) AS sealed")
            .bind::<diesel::sql_types::Int4, _>(batch)
            .get_result(conn)
            .await?;
        total += i64::from(sealed.sealed);
        if sealed.sealed < batch {
            return Ok(total);
        }
    }
}

#[derive(QueryableByName)]
struct SealCount {
    #[diesel(sql_type = diesel::sql_types::Int4)]
    sealed: i32,
}

/// The first link of the chain that does not hold.
#[derive(Debug, Clone, QueryableByName, serde::Serialize)]
pub struct BrokenLink {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub chain_seq: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub audit_id: i64,
    /// `content_changed` (the row no longer hashes to its seal), `previous_hash_mismatch` (the
    /// row before it was replaced or re-sealed) or `missing_rows` (rows before it were removed).
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub reason: String,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ChainState {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub sealed: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unsealed: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub head_seq: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub head_hash: Option<String>,
}

/// Recomputes every sealed row's hash and link, and returns the chain's state with its first
/// broken link. Removing the newest rows cannot be seen from inside: compare `head_seq` and
/// `head_hash` with a copy kept elsewhere.
pub async fn verify(conn: &mut AsyncPgConnection) -> StoreResult<(ChainState, Option<BrokenLink>)> {
    // One snapshot for both queries, so the state describes exactly the rows checked.
    conn.build_transaction().repeatable_read().read_only().run(async |conn| verify_in(conn).await).await
}

async fn verify_in(conn: &mut AsyncPgConnection) -> StoreResult<(ChainState, Option<BrokenLink>)> {
    let broken: Option<BrokenLink> = diesel::sql_query(
        "WITH chain AS (
             SELECT a.chain_seq, a.id, a.prev_hash, a.row_hash,
                    sha256(a.prev_hash || audit_canonical(a)) AS recomputed,
                    lag(a.row_hash) OVER w AS before_hash, lag(a.chain_seq) OVER w AS before_seq
             FROM audit_log a WHERE a.chain_seq IS NOT NULL
             WINDOW w AS (ORDER BY a.chain_seq)
         )
         SELECT chain_seq, id AS audit_id,
                CASE WHEN chain_seq <> coalesce(before_seq, 0) + 1 THEN 'missing_rows'
                     WHEN prev_hash <> coalesce(before_hash, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                         THEN 'previous_hash_mismatch'
                     ELSE 'content_changed' END AS reason
         FROM chain
         WHERE chain_seq <> coalesce(before_seq, 0) + 1
            OR prev_hash <> coalesce(before_hash, '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
            OR row_hash <> recomputed
         ORDER BY chain_seq LIMIT 1",
    )
    .get_result(conn)
    .await
    .optional()?;
    let state: ChainState = diesel::sql_query(
        "SELECT count(chain_seq) AS sealed, count(*) - count(chain_seq) AS unsealed,
                max(chain_seq) AS head_seq,
                (SELECT encode(row_hash, 'hex') FROM audit_log WHERE chain_seq IS NOT NULL
                 ORDER BY chain_seq DESC LIMIT 1) AS head_hash
         FROM audit_log",
    )
    .get_result(conn)
    .await?;
    Ok((state, broken))
}
