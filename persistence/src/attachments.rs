//! Attachment records. The bytes are in the object store; a row exists only for bytes that were
//! stored and checked.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::StoreResult;
use crate::schema::attachments;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Document(Uuid),
    Interpretation(Uuid),
}

impl Owner {
    fn parts(self) -> (&'static str, Uuid) {
        match self {
            Owner::Document(id) => ("document", id),
            Owner::Interpretation(id) => ("interpretation", id),
        }
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
        match self.owner_type.as_str() {
            "document" => Some(Owner::Document(self.owner_id)),
            "interpretation" => Some(Owner::Interpretation(self.owner_id)),
            _ => None,
        }
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

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, new: NewAttachment) -> StoreResult<Attachment> {
    let (owner_type, owner_id) = new.owner.parts();
    conn.transaction(async |conn| {
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
    let (owner_type, owner_id) = owner.parts();
    Ok(attachments::table
        .filter(attachments::owner_type.eq(owner_type))
        .filter(attachments::owner_id.eq(owner_id))
        .order(attachments::id.asc())
        .select(Attachment::as_select())
        .load(conn)
        .await?)
}

/// Removes the record (the caller deletes the bytes after the commit).
pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor, attachment: &Attachment) -> StoreResult<()> {
    conn.transaction(async |conn| {
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
