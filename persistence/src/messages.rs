//! Messages to an organization's hotline or leader mailbox (seed §5.3): received with a reply due
//! date on the working-day calendar, answered by the openness officer, and published — without the
//! sender's name or contact, in texts the officer may redact — only when the sender agreed and the
//! officer decided to.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::{StoreError, StoreResult};
use crate::personal_data::Sealer;
use crate::schema::{participation_settings as settings_table, public_messages as messages};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub receipt_code: String,
    pub subject: String,
    pub body: String,
    pub sender_name: Option<String>,
    pub contact_sealed: Option<Vec<u8>>,
    pub publish_consent: bool,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub status: String,
    pub reply_text: Option<String>,
    pub replied_on: Option<NaiveDate>,
    pub replied_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub published_subject: Option<String>,
    pub published_body: Option<String>,
    pub published_reply: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
    /// The working days it was given to be answered in (the setting when it arrived).
    pub reply_working_days: i32,
}

impl Message {
    pub fn contact(&self, sealer: &Sealer) -> StoreResult<Option<String>> {
        self.contact_sealed
            .as_deref()
            .map(|s| sealer.open(&format!("public_messages.contact:{}", self.id), s))
            .transpose()
    }
}

#[derive(Debug, Clone, Copy, Queryable, Selectable, PartialEq, Eq)]
#[diesel(table_name = settings_table)]
pub struct ParticipationSettings {
    pub message_reply_working_days: i32,
    pub messages_per_address_per_hour: i32,
}

pub async fn settings(conn: &mut AsyncPgConnection) -> StoreResult<ParticipationSettings> {
    Ok(settings_table::table.select(ParticipationSettings::as_select()).first(conn).await?)
}

/// A message as the public writes it.
#[derive(Clone)]
pub struct NewMessage {
    pub organization_id: Uuid,
    pub subject: String,
    pub body: String,
    pub sender_name: Option<String>,
    pub contact: Option<String>,
    pub publish_consent: bool,
}

/// Receives a message on `today` (Asia/Shanghai) with its reply due date.
pub async fn receive(
    conn: &mut AsyncPgConnection,
    sealer: &Sealer,
    new: &NewMessage,
    today: NaiveDate,
    request_id: Option<String>,
) -> StoreResult<Message> {
    conn.transaction(async |conn| {
        crate::calendar::hold_shared(conn).await?;
        let organization = crate::organizations::get(conn, new.organization_id).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::InvalidField { field: "organization_id", code: "not_found" },
            other => other,
        })?;
        let days = settings(conn).await?.message_reply_working_days.max(1) as u32;
        let calendar = crate::calendar::load(conn).await?;
        let due = domain::participation::reply_due(today, days, &calendar);
        let id = Uuid::now_v7();
        let code = crate::receipts::receipt_code("LY", today);
        let sealed = new.contact.as_deref().map(|c| sealer.seal(&format!("public_messages.contact:{id}"), c));
        let message: Message = diesel::insert_into(messages::table)
            .values((
                messages::id.eq(id),
                messages::organization_id.eq(organization.id),
                messages::receipt_code.eq(&code),
                messages::subject.eq(&new.subject),
                messages::body.eq(&new.body),
                messages::sender_name.eq(&new.sender_name),
                messages::contact_sealed.eq(sealed),
                messages::publish_consent.eq(new.publish_consent),
                messages::received_on.eq(today),
                messages::due_on.eq(due),
                messages::reply_working_days.eq(days as i32),
            ))
            .returning(Message::as_returning())
            .get_result(conn)
            .await?;
        audit::record(conn, &Actor::anonymous(request_id), Change::new("message.receive", "public_message", id))
            .await?;
        Ok(message)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Message> {
    Ok(messages::table.find(id).select(Message::as_select()).first(conn).await?)
}

/// After a calendar change (inside its transaction, which holds the calendar lock): every
/// unanswered message's due date follows the new calendar, with its own number of working days.
/// Returns how many moved.
pub async fn recompute_due_dates(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    calendar: &domain::calendar::WorkCalendar,
) -> StoreResult<usize> {
    let open: Vec<Message> = messages::table
        .filter(messages::status.eq("received"))
        .order(messages::id.asc())
        .select(Message::as_select())
        .for_update()
        .load(conn)
        .await?;
    let mut moved = 0;
    for m in open {
        let days = u32::try_from(m.reply_working_days).unwrap_or(1);
        let due = domain::participation::reply_due(m.received_on, days, calendar);
        if due != m.due_on {
            diesel::update(messages::table.find(m.id)).set(messages::due_on.eq(due)).execute(conn).await?;
            let change = Change::new("message.due_date_recomputed", "public_message", m.id)
                .fields(["due_on"])
                .details(serde_json::json!({"from": m.due_on, "to": due, "reason": "calendar_changed"}));
            audit::record(conn, actor, change).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Answers a message once.
pub async fn reply(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    text: &str,
    today: NaiveDate,
) -> StoreResult<Message> {
    conn.transaction(async |conn| {
        let current: Message = messages::table.find(id).select(Message::as_select()).for_update().first(conn).await?;
        if current.status != "received" {
            return Err(StoreError::Refused("message_already_replied"));
        }
        let user = (actor.kind == ActorKind::User).then_some(actor.id).flatten();
        let message: Message = diesel::update(messages::table.find(id))
            .set((
                messages::status.eq("replied"),
                messages::reply_text.eq(text),
                messages::replied_on.eq(today),
                messages::replied_by.eq(user),
                messages::version.eq(messages::version + 1),
            ))
            .returning(Message::as_returning())
            .get_result(conn)
            .await?;
        let late = domain::participation::reply_late(current.due_on, today);
        let change = Change::new("message.reply", "public_message", id)
            .fields(["status", "reply_text"])
            .details(serde_json::json!({"late": late}));
        audit::record(conn, actor, change).await?;
        Ok(message)
    })
    .await
}

/// Which messages a staff list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageFilter {
    /// Only those still unanswered after their due date, as of this day.
    pub overdue_on: Option<NaiveDate>,
    /// Only answered ones whose senders agreed and that nobody has published yet.
    pub awaiting_publication: bool,
}

/// Messages to these organizations (all when `None`), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    organizations: Option<&[Uuid]>,
    filter: MessageFilter,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let mut query = messages::table.select(Message::as_select()).order(messages::id.desc()).limit(limit).into_boxed();
    if let Some(orgs) = organizations {
        query = query.filter(messages::organization_id.eq_any(orgs.to_vec()));
    }
    if let Some(today) = filter.overdue_on {
        query = query.filter(messages::status.eq("received")).filter(messages::due_on.lt(today));
    }
    if filter.awaiting_publication {
        query = query
            .filter(messages::status.eq("replied"))
            .filter(messages::publish_consent.eq(true))
            .filter(messages::published_at.is_null());
    }
    if let Some(before) = before {
        query = query.filter(messages::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// The texts the public sees; each defaults to the original, and the officer removes what must
/// not go public (third parties' data, abuse).
#[derive(Debug, Clone)]
pub struct Publication {
    pub subject: String,
    pub body: String,
    pub reply: String,
}

/// Publishes an answered message whose sender agreed, or replaces its published texts.
pub async fn publish(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    texts: &Publication,
    now: DateTime<Utc>,
) -> StoreResult<Message> {
    conn.transaction(async |conn| {
        let current: Message = messages::table.find(id).select(Message::as_select()).for_update().first(conn).await?;
        if let Some(code) =
            domain::participation::publication_refusal(current.publish_consent, current.status == "replied")
        {
            return Err(StoreError::Refused(code));
        }
        let user = (actor.kind == ActorKind::User).then_some(actor.id).flatten();
        let message: Message = diesel::update(messages::table.find(id))
            .set((
                messages::published_subject.eq(&texts.subject),
                messages::published_body.eq(&texts.body),
                messages::published_reply.eq(&texts.reply),
                messages::published_at.eq(now),
                messages::published_by.eq(user),
                messages::version.eq(messages::version + 1),
            ))
            .returning(Message::as_returning())
            .get_result(conn)
            .await?;
        let redacted = texts.subject != current.subject
            || texts.body != current.body
            || Some(&texts.reply) != current.reply_text.as_ref();
        let change = Change::new("message.publish", "public_message", id)
            .fields(["published_subject", "published_body", "published_reply", "published_at"])
            .details(serde_json::json!({"redacted": redacted, "republished": current.published_at.is_some()}));
        audit::record(conn, actor, change).await?;
        Ok(message)
    })
    .await
}

/// Takes a published message down again, with the reason.
pub async fn withdraw(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid, reason: &str) -> StoreResult<Message> {
    conn.transaction(async |conn| {
        let current: Message = messages::table.find(id).select(Message::as_select()).for_update().first(conn).await?;
        if current.published_at.is_none() {
            return Err(StoreError::Refused("message_not_published"));
        }
        let message: Message = diesel::update(messages::table.find(id))
            .set((
                messages::published_subject.eq(None::<String>),
                messages::published_body.eq(None::<String>),
                messages::published_reply.eq(None::<String>),
                messages::published_at.eq(None::<DateTime<Utc>>),
                messages::published_by.eq(None::<Uuid>),
                messages::version.eq(messages::version + 1),
            ))
            .returning(Message::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("message.withdraw", "public_message", id)
            .fields(["published_at"])
            .details(serde_json::json!({"reason": reason}));
        audit::record(conn, actor, change).await?;
        Ok(message)
    })
    .await
}

/// Messages an officer published, newest first.
pub async fn published(
    conn: &mut AsyncPgConnection,
    organization: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let mut query = messages::table
        .filter(messages::published_at.is_not_null())
        .select(Message::as_select())
        .order(messages::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(org) = organization {
        query = query.filter(messages::organization_id.eq(org));
    }
    if let Some(before) = before {
        query = query.filter(messages::id.lt(before));
    }
    Ok(query.load(conn).await?)
}

/// Replaces the participation settings; messages already received keep their due dates.
pub async fn put_settings(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    new: ParticipationSettings,
) -> StoreResult<ParticipationSettings> {
    conn.transaction(async |conn| {
        let saved = diesel::update(settings_table::table)
            .set((
                settings_table::message_reply_working_days.eq(new.message_reply_working_days),
                settings_table::messages_per_address_per_hour.eq(new.messages_per_address_per_hour),
                settings_table::updated_at.eq(diesel::dsl::now),
            ))
            .returning(ParticipationSettings::as_returning())
            .get_result(conn)
            .await?;
        let change = Change {
            action: "participation_settings.update",
            entity_type: "participation_settings",
            entity_id: None,
            changed_fields: vec!["participation_settings".into()],
            details: serde_json::json!({"message_reply_working_days": new.message_reply_working_days,
                "messages_per_address_per_hour": new.messages_per_address_per_hour}),
        };
        audit::record(conn, actor, change).await?;
        Ok(saved)
    })
    .await
}
