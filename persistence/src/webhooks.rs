//! Webhook subscriptions and their deliveries (migration 2026-11-27-000005).
//!
//! Work is claimed with `FOR UPDATE SKIP LOCKED`, so several instances share it without doing
//! the same thing twice, and a crashed one loses nothing: a claimed delivery carries a lease
//! (`next_attempt_at` in the future) and is due again when the lease runs out.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::{outbox, webhook_attempts, webhook_deliveries, webhook_subscriptions};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Subscription {
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub secret_sealed: Vec<u8>,
    pub is_active: bool,
    pub outbox_cursor: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub id: Uuid,
    pub client_id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub secret_sealed: Vec<u8>,
    /// Deliver the changes after this number; `None`: only changes from now on.
    pub start_after: Option<i64>,
    pub is_active: bool,
}

/// What an update may change.
#[derive(Debug, Clone)]
pub struct SubscriptionFields {
    pub url: String,
    pub events: Vec<String>,
    pub is_active: bool,
}

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, new: NewSubscription) -> StoreResult<Subscription> {
    conn.transaction(async |conn| {
        let head = crate::outbox::head(conn).await?;
        let cursor = new.start_after.map_or(head, |after| after.clamp(0, head));
        let subscription = diesel::insert_into(webhook_subscriptions::table)
            .values((
                webhook_subscriptions::id.eq(new.id),
                webhook_subscriptions::client_id.eq(new.client_id),
                webhook_subscriptions::url.eq(&new.url),
                webhook_subscriptions::events.eq(&new.events),
                webhook_subscriptions::secret_sealed.eq(&new.secret_sealed),
                webhook_subscriptions::outbox_cursor.eq(cursor),
                webhook_subscriptions::is_active.eq(new.is_active),
            ))
            .returning(Subscription::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({
            "client_id": new.client_id, "events": new.events, "start_after": cursor, "is_active": new.is_active,
        });
        audit::record(
            conn,
            actor,
            Change::new("webhook_subscription.create", "webhook_subscription", new.id).details(details),
        )
        .await?;
        Ok(subscription)
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Subscription> {
    Ok(webhook_subscriptions::table.find(id).select(Subscription::as_select()).first(conn).await?)
}

/// Subscriptions by id, of one client or of all.
pub async fn list(
    conn: &mut AsyncPgConnection,
    client_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Subscription>> {
    let mut query = webhook_subscriptions::table
        .select(Subscription::as_select())
        .order(webhook_subscriptions::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(client_id) = client_id {
        query = query.filter(webhook_subscriptions::client_id.eq(client_id));
    }
    if let Some(after) = after {
        query = query.filter(webhook_subscriptions::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    fields: SubscriptionFields,
) -> StoreResult<Subscription> {
    conn.transaction(async |conn| {
        let current =
            webhook_subscriptions::table.find(id).select(Subscription::as_select()).for_update().first(conn).await?;
        if expected_version.is_some_and(|v| v != current.version) {
            return Err(StoreError::StaleVersion);
        }
        let mut changed = Vec::new();
        if current.url != fields.url {
            changed.push("url");
        }
        if current.events != fields.events {
            changed.push("events");
        }
        if current.is_active != fields.is_active {
            changed.push("is_active");
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let updated = diesel::update(webhook_subscriptions::table.find(id))
            .set((
                webhook_subscriptions::url.eq(&fields.url),
                webhook_subscriptions::events.eq(&fields.events),
                webhook_subscriptions::is_active.eq(fields.is_active),
                webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
                webhook_subscriptions::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Subscription::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            actor,
            Change::new("webhook_subscription.update", "webhook_subscription", id).fields(changed),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Replaces the signing secret; deliveries from the next attempt on are signed with the new one.
pub async fn set_secret(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    secret_sealed: &[u8],
) -> StoreResult<Subscription> {
    conn.transaction(async |conn| {
        let updated = diesel::update(webhook_subscriptions::table.find(id))
            .set((
                webhook_subscriptions::secret_sealed.eq(secret_sealed),
                webhook_subscriptions::version.eq(webhook_subscriptions::version + 1),
                webhook_subscriptions::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Subscription::as_returning())
            .get_result(conn)
            .await?;
        let change = Change::new("webhook_subscription.rotate_secret", "webhook_subscription", id).fields(["secret"]);
        audit::record(conn, actor, change).await?;
        Ok(updated)
    })
    .await
}

/// Removes the subscription with its deliveries and their attempts.
pub async fn delete(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid) -> StoreResult<()> {
    conn.transaction(async |conn| {
        let deleted = diesel::delete(webhook_subscriptions::table.find(id)).execute(conn).await?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        audit::record(conn, actor, Change::new("webhook_subscription.delete", "webhook_subscription", id)).await?;
        Ok(())
    })
    .await
}

/// Turns the change feed's new rows into deliveries, for every active subscription (of an active
/// client that still holds `webhooks:manage`) not being queued by another instance, at most `batch` changes per subscription. Returns the number of
/// deliveries created.
pub async fn queue_changes(conn: &mut AsyncPgConnection, batch: i64) -> StoreResult<usize> {
    conn.transaction(async |conn| {
        let created: Vec<QueuedCount> = diesel::sql_query(
            "WITH subscriptions AS (
                 SELECT id, events, outbox_cursor FROM webhook_subscriptions w
                 WHERE is_active AND outbox_cursor < (SELECT coalesce(max(seq), 0) FROM outbox)
                   AND EXISTS (SELECT 1 FROM oauth_clients c WHERE c.id = w.client_id AND c.is_active
                               AND 'webhooks:manage' = ANY (c.scopes))
                 FOR UPDATE SKIP LOCKED
             ), scanned AS (
                 SELECT s.id AS subscription_id, s.events, o.seq, o.entity_type || '.' || o.event AS event
                 FROM subscriptions s
                 CROSS JOIN LATERAL (
                     SELECT seq, entity_type, event FROM outbox
                     WHERE seq > s.outbox_cursor ORDER BY seq LIMIT $1
                 ) o
             ), queued AS (
                 INSERT INTO webhook_deliveries (id, subscription_id, outbox_seq, event)
                 SELECT gen_random_uuid(), subscription_id, seq, event FROM scanned WHERE event = ANY (events)
                 ON CONFLICT (subscription_id, outbox_seq) DO NOTHING
                 RETURNING 1
             ), advanced AS (
                 UPDATE webhook_subscriptions w SET outbox_cursor = m.last
                 FROM (SELECT subscription_id, max(seq) AS last FROM scanned GROUP BY subscription_id) m
                 WHERE w.id = m.subscription_id
             )
             -- PostgreSQL runs every data-modifying CTE to completion, read or not.
             SELECT (SELECT count(*) FROM queued) AS created",
        )
        .bind::<BigInt, _>(batch)
        .load(conn)
        .await?;
        Ok(created.iter().map(|c| c.created as usize).sum())
    })
    .await
}

#[derive(QueryableByName)]
struct QueuedCount {
    #[diesel(sql_type = BigInt)]
    created: i64,
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedDelivery {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub subscription_id: Uuid,
    /// This attempt's number since the delivery was created or replayed.
    #[diesel(sql_type = Int4)]
    pub attempt: i32,
    /// This attempt's number among all the delivery's attempts, replays included.
    #[diesel(sql_type = Int4)]
    pub number: i32,
    /// Identifies this claim: only it may record the attempt's outcome.
    #[diesel(sql_type = SqlUuid)]
    pub claim_id: Uuid,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    pub secret_sealed: Vec<u8>,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = BigInt)]
    pub outbox_seq: i64,
    #[diesel(sql_type = Text)]
    pub entity_type: String,
    #[diesel(sql_type = SqlUuid)]
    pub entity_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
}

/// Claims up to `limit` due deliveries of active subscriptions (of active clients that still hold
/// `webhooks:manage`), oldest due first, at most one per subscription and none of a subscription
/// with an attempt running, so one slow receiver holds at most one slot. Each claim is leased for
/// `lease_ms` by the database's clock; a claim whose lease ran out (its instance died) is due again.
pub async fn claim_due(conn: &mut AsyncPgConnection, lease_ms: i64, limit: i64) -> StoreResult<Vec<ClaimedDelivery>> {
    Ok(diesel::sql_query(
        "WITH busy AS (
             SELECT DISTINCT subscription_id FROM webhook_deliveries
             WHERE claim_id IS NOT NULL AND status = 'pending' AND next_attempt_at > now()
         ), candidates AS (
             SELECT DISTINCT ON (d.subscription_id) d.id, d.next_attempt_at
             FROM webhook_deliveries d
             JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.is_active
             JOIN oauth_clients c ON c.id = s.client_id AND c.is_active AND 'webhooks:manage' = ANY (c.scopes)
             WHERE d.status = 'pending' AND d.next_attempt_at <= now()
               AND d.subscription_id NOT IN (SELECT subscription_id FROM busy)
             ORDER BY d.subscription_id, d.outbox_seq
         ), due AS (
             -- Re-tested on the row as locked: a claim committed by another dispatcher while this
             -- statement ran moved next_attempt_at past now(), and READ COMMITTED re-checks these
             -- conditions on the newest version, so the delivery is not claimed a second time.
             SELECT d.id FROM webhook_deliveries d JOIN candidates k ON k.id = d.id
             WHERE d.status = 'pending' AND d.next_attempt_at <= now()
             ORDER BY k.next_attempt_at
             LIMIT $2
             FOR UPDATE OF d SKIP LOCKED
         ), claimed AS (
             UPDATE webhook_deliveries d
             SET attempts = d.attempts + 1, attempts_total = d.attempts_total + 1, claim_id = gen_random_uuid(),
                 next_attempt_at = now() + make_interval(secs => $1 / 1000.0), updated_at = now()
             FROM due WHERE d.id = due.id AND d.status = 'pending'
             RETURNING d.id, d.subscription_id, d.attempts, d.attempts_total, d.claim_id, d.event, d.outbox_seq
         )
         SELECT c.id, c.subscription_id, c.attempts AS attempt, c.attempts_total AS number, c.claim_id, s.url,
                s.secret_sealed, c.event, c.outbox_seq, o.entity_type, o.entity_id, o.occurred_at
         FROM claimed c
         JOIN webhook_subscriptions s ON s.id = c.subscription_id
         JOIN outbox o ON o.seq = c.outbox_seq",
    )
    .bind::<BigInt, _>(lease_ms)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// How an attempt went, as recorded.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
}

/// What the delivery becomes after the attempt.
#[derive(Debug, Clone, Copy)]
pub enum Fate {
    Delivered,
    /// Due again after this many milliseconds (by the database's clock).
    RetryAfterMs(i64),
    Dead,
}

/// Records the attempt, and the delivery's fate if this claim is still the delivery's (not when
/// its lease ran out and another attempt was claimed, nor after a replay or a deletion).
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    claimed: &ClaimedDelivery,
    attempt: AttemptRecord,
    fate: Fate,
) -> StoreResult<()> {
    conn.transaction(async |conn| {
        // The attempt happened whatever became of the delivery since; a deleted delivery keeps nothing.
        diesel::sql_query(
            "INSERT INTO webhook_attempts (delivery_id, number, started_at, duration_ms, response_status, error)
             SELECT id, $2, $3, $4, $5, $6 FROM webhook_deliveries WHERE id = $1
             ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(claimed.id)
        .bind::<Int4, _>(claimed.number)
        .bind::<Timestamptz, _>(attempt.started_at)
        .bind::<Int4, _>(attempt.duration_ms.max(0))
        .bind::<diesel::sql_types::Nullable<Int4>, _>(attempt.response_status)
        .bind::<diesel::sql_types::Nullable<Text>, _>(attempt.error.as_deref())
        .execute(conn)
        .await?;
        let (status, retry_ms) = match fate {
            Fate::Delivered => ("delivered", 0),
            Fate::RetryAfterMs(ms) => ("pending", ms),
            Fate::Dead => ("dead", 0),
        };
        diesel::sql_query(
            "UPDATE webhook_deliveries
             SET status = $3, claim_id = NULL, updated_at = now(),
                 delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
                 next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
             WHERE id = $1 AND claim_id = $2 AND status = 'pending'",
        )
        .bind::<SqlUuid, _>(claimed.id)
        .bind::<SqlUuid, _>(claimed.claim_id)
        .bind::<Text, _>(status)
        .bind::<BigInt, _>(retry_ms)
        .execute(conn)
        .await?;
        Ok(())
    })
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub outbox_seq: i64,
    pub event: String,
    pub status: String,
    pub attempts: i32,
    pub attempts_total: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claim_id: Option<Uuid>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct Attempt {
    pub number: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
}

/// A subscription's deliveries by id, optionally of one status (`dead`: the dead-letter list).
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    subscription_id: Uuid,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Delivery>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select(Delivery::as_select())
        .order(webhook_deliveries::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(webhook_deliveries::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

pub async fn delivery(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Delivery> {
    Ok(webhook_deliveries::table.find(id).select(Delivery::as_select()).first(conn).await?)
}

/// Every attempt of a delivery, the first first.
pub async fn attempts(conn: &mut AsyncPgConnection, delivery_id: Uuid) -> StoreResult<Vec<Attempt>> {
    Ok(webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .order(webhook_attempts::number.asc())
        .select(Attempt::as_select())
        .load(conn)
        .await?)
}

/// The change-feed row of a delivery.
pub async fn change_of(conn: &mut AsyncPgConnection, delivery: &Delivery) -> StoreResult<crate::outbox::Change> {
    Ok(outbox::table.find(delivery.outbox_seq).select(crate::outbox::Change::as_select()).first(conn).await?)
}

/// Queues a delivered or dead delivery again, due at once, with a fresh set of attempts; its
/// earlier attempts stay on record. A pending delivery is refused (`delivery_pending`).
pub async fn replay(conn: &mut AsyncPgConnection, actor: &Actor, id: Uuid) -> StoreResult<Delivery> {
    conn.transaction(async |conn| {
        let current = webhook_deliveries::table.find(id).select(Delivery::as_select()).for_update().first(conn).await?;
        if current.status == "pending" {
            return Err(StoreError::Refused("delivery_pending"));
        }
        let replayed = diesel::update(webhook_deliveries::table.find(id))
            .set((
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::claim_id.eq(None::<Uuid>),
                webhook_deliveries::delivered_at.eq(None::<DateTime<Utc>>),
                webhook_deliveries::next_attempt_at.eq(diesel::dsl::now),
                webhook_deliveries::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Delivery::as_returning())
            .get_result(conn)
            .await?;
        let details = serde_json::json!({"subscription_id": current.subscription_id, "was": current.status});
        audit::record(conn, actor, Change::new("webhook_delivery.replay", "webhook_delivery", id).details(details))
            .await?;
        Ok(replayed)
    })
    .await
}
