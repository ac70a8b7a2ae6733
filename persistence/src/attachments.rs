//! Attachment records. The bytes are in the object store; a row exists only for bytes that were
//! stored and checked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::attachments;

/// What an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Document(Uuid),
    Interpretation(Uuid),
    /// The reply of a disclosure request: the id is the request's (its reply row shares it).
    RequestReply(Uuid),
    OpinionRelease(Uuid),
    Consultation(Uuid),
}

impl Owner {
    /// The stored `owner_type` and `owner_id`.
    pub fn parts(self) -> (&'static str, Uuid) {
        match self {
            Owner::Document(id) => ("document", id),
            Owner::Interpretation(id) => ("interpretation", id),
            Owner::RequestReply(id) => ("request_reply", id),
            Owner::OpinionRelease(id) => ("opinion_release", id),
            Owner::Consultation(id) => ("consultation", id),
        }
    }

    fn from_parts(owner_type: &str, id: Uuid) -> Option<Owner> {
        Some(match owner_type {
            "document" => Owner::Document(id),
            "interpretation" => Owner::Interpretation(id),
            "request_reply" => Owner::RequestReply(id),
            "opinion_release" => Owner::OpinionRelease(id),
            "consultation" => Owner::Consultation(id),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: Uuid,
    pub owner_type: String,
    pub owner_id: Uuid,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl Attachment {
    pub fn owner(&self) -> Option<Owner> {
        Owner::from_parts(&self.owner_type, self.owner_id)
    }
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: Uuid,
    pub owner: Owner,
    pub filename: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_key: String,
}

/// Locks the owner's row (against its own transitions, which lock it for update) and refuses,
/// with the owner's state-conflict code, once its files may no longer change: the caller checked
/// this before reading the upload, and the owner may have moved on since.
async fn lock_changeable_owner(conn: &mut AsyncPgConnection, owner: Owner) -> StoreResult<()> {
    let (sql, refused) = match owner {
        Owner::Document(_) => (
            "SELECT 1 AS n FROM documents WHERE id = $1 AND status IN ('draft', 'returned') FOR SHARE",
            "document_state_conflict",
        ),
        Owner::Interpretation(_) => (
            "SELECT 1 AS n FROM interpretations WHERE id = $1 AND status = 'draft' FOR SHARE",
            "interpretation_state_conflict",
        ),
        Owner::RequestReply(_) => (
            "SELECT 1 AS n FROM disclosure_requests WHERE id = $1
             AND state IN ('received', 'correction_requested', 'in_progress', 'paused') FOR SHARE",
            "request_state_conflict",
        ),
        Owner::OpinionRelease(_) => (
            "SELECT 1 AS n FROM opinion_incidents i JOIN opinion_releases r ON r.incident_id = i.id
             WHERE r.id = $1 AND i.status <> 'evaluated' FOR SHARE OF i",
            "incident_state_conflict",
        ),
        Owner::Consultation(_) => (
            "SELECT 1 AS n FROM consultations WHERE id = $1 AND status = 'draft' FOR SHARE",
            "consultation_state_conflict",
        ),
    };
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        n: i32,
    }
    let found: Option<Found> =
        diesel::sql_query(sql).bind::<diesel::sql_types::Uuid, _>(owner.parts().1).get_result(conn).await.optional()?;
    found.map(|_| ()).ok_or(StoreError::Refused(refused))
}

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, new: NewAttachment) -> StoreResult<Attachment> {
    let (owner_type, owner_id) = new.owner.parts();
    conn.transaction(async |conn| {
        lock_changeable_owner(conn, new.owner).await?;
        let attachment = diesel::insert_into(attachments::table)
            .values((
                attachments::id.eq(new.id),
                attachments::owner_type.eq(owner_type),
                attachments::owner_id.eq(owner_id),
                attachments::filename.eq(&new.filename),
                attachments::media_type.eq(&new.media_type),
                attachments::size_bytes.eq(new.size_bytes),
                attachments::sha256.eq(&new.sha256),
                attachments::storage_key.eq(&new.storage_key),
                attachments::uploaded_by.eq(actor.id),
            ))
            .returning(Attachment::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"attachment_id": new.id, "sha256": new.sha256, "size_bytes": new.size_bytes});
        audit::record(conn, actor, Change::new("attachment.add", owner_type, owner_id).details(details)).await?;
        Ok(attachment)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Attachment> {
    Ok(attachments::table.find(id).select(Attachment::as_select()).first(conn).await?)
}

pub async fn list_for(conn: &mut AsyncPgConnection, owner: Owner) -> StoreResult<Vec<Attachment>> {
    Ok(list_for_many(conn, &[owner]).await?.remove(&owner).unwrap_or_default())
}

/// A condition on attachment rows, such as the public read path's.
pub(crate) type Only = fn() -> Box<dyn BoxableExpression<attachments::table, Pg, SqlType = Bool>>;

/// The attachments of each of `owners` (one query per kind of owner), oldest first.
pub async fn list_for_many(
    conn: &mut AsyncPgConnection,
    owners: &[Owner],
) -> StoreResult<HashMap<Owner, Vec<Attachment>>> {
    grouped(conn, owners, None).await
}

/// [`list_for_many`], keeping only the rows `only` accepts.
pub(crate) async fn grouped(
    conn: &mut AsyncPgConnection,
    owners: &[Owner],
    only: Option<Only>,
) -> StoreResult<HashMap<Owner, Vec<Attachment>>> {
    let mut by_type: HashMap<&'static str, Vec<Uuid>> = HashMap::new();
    for owner in owners {
        let (owner_type, id) = owner.parts();
        by_type.entry(owner_type).or_default().push(id);
    }
    let mut found: HashMap<Owner, Vec<Attachment>> = HashMap::new();
    for (owner_type, ids) in by_type {
        let mut query = attachments::table
            .filter(attachments::owner_type.eq(owner_type))
            .filter(attachments::owner_id.eq_any(ids))
            .order(attachments::id.asc())
            .select(Attachment::as_select())
            .into_boxed();
        if let Some(only) = only {
            query = query.filter(only());
        }
        for row in query.load(conn).await? {
            if let Some(owner) = row.owner() {
                found.entry(owner).or_default().push(row);
            }
        }
    }
    Ok(found)
}

/// Removes the record (the caller deletes the bytes after the commit).
pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor, attachment: &Attachment) -> StoreResult<()> {
    conn.transaction(async |conn| {
        if let Some(owner) = attachment.owner() {
            lock_changeable_owner(conn, owner).await?;
        }
        diesel::delete(attachments::table.find(attachment.id)).execute(conn).await?;
        let details = serde_json::json!({"attachment_id": attachment.id});
        audit::record(
            conn,
            actor,
            Change::new("attachment.remove", &attachment.owner_type, attachment.owner_id).details(details),
        )
        .await?;
        Ok(())
    })
    .await
}
