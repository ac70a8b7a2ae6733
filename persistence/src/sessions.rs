//! Refresh tokens: stored as hashes, rotated on every use, revoked as a family when a used one
//! comes back (the sign of a stolen token).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::audit::{self, Actor, ActorKind, Change};
use crate::error::StoreResult;
use crate::schema::refresh_tokens;

pub async fn issue(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    family_id: Option<Uuid>,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let family = family_id.unwrap_or_else(Uuid::now_v7);
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(family)
}

/// user, family, expiry, used, revoked.
type TokenState = (Uuid, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used and a successor was stored in its family.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// The token had been used or revoked before: its whole family is now revoked.
    Reused { user_id: Uuid, family_id: Uuid },
    /// The session went unused longer than the idle limit: it is now ended.
    Idle { user_id: Uuid },
    /// Unknown or expired.
    Invalid,
}

/// Consumes `presented_hash` and, if it was current, stores `successor_hash` in its family, all in
/// one transaction with the row locked, so two concurrent uses cannot both succeed.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    presented_hash: &str,
    successor_hash: &str,
    successor_expires_at: DateTime<Utc>,
    request_id: Option<String>,
    now: DateTime<Utc>,
    policy: &domain::accounts::SessionPolicy,
) -> StoreResult<Rotation> {
    conn.transaction(async |conn| {
        let found: Option<TokenState> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(presented_hash))
            .select((
                refresh_tokens::user_id,
                refresh_tokens::family_id,
                refresh_tokens::expires_at,
                refresh_tokens::used_at,
                refresh_tokens::revoked_at,
                refresh_tokens::created_at,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((user_id, family_id, expires_at, used_at, revoked_at, issued_at)) = found else {
            return Ok(Rotation::Invalid);
        };
        let actor = Actor { kind: ActorKind::User, id: Some(user_id), request_id };
        // A token revoked without being used (logout, deactivation, password reset) is simply
        // invalid; only a token presented after it was already exchanged signals theft.
        if used_at.is_none() && revoked_at.is_some() {
            return Ok(Rotation::Invalid);
        }
        if used_at.is_some() {
            revoke_family(conn, family_id).await?;
            audit::record(
                conn,
                &actor,
                Change::new("session.reuse_detected", "user", user_id)
                    .details(serde_json::json!({"family_id": family_id})),
            )
            .await?;
            return Ok(Rotation::Reused { user_id, family_id });
        }
        if expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        if policy.is_idle(issued_at, now) {
            revoke_family(conn, family_id).await?;
            audit::record(
                conn,
                &actor,
                Change::new("session.idle_ended", "user", user_id)
                    .details(serde_json::json!({"family_id": family_id, "last_refreshed_at": issued_at})),
            )
            .await?;
            return Ok(Rotation::Idle { user_id });
        }
        diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(presented_hash)))
            .set(refresh_tokens::used_at.eq(now))
            .execute(conn)
            .await?;
        // A session lasts at most as long as its login granted, however often it is refreshed.
        issue(conn, user_id, Some(family_id), successor_hash, successor_expires_at.min(expires_at)).await?;
        Ok(Rotation::Rotated { user_id, family_id })
    })
    .await
}

async fn revoke_family(conn: &mut AsyncPgConnection, family_id: Uuid) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Login: the first refresh token of a new family, recorded in the audit log.
pub async fn start(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    user_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<Uuid> {
    conn.transaction(async |conn| {
        let family = issue(conn, user_id, None, token_hash, expires_at).await?;
        audit::record(
            conn,
            actor,
            Change::new("session.login", "user", user_id).details(serde_json::json!({"family_id": family})),
        )
        .await?;
        Ok(family)
    })
    .await
}

/// Logout: revokes the family of the presented token. Unknown tokens are ignored (logout is idempotent).
pub async fn end(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
    request_id: Option<String>,
) -> StoreResult<Option<Uuid>> {
    conn.transaction(async |conn| {
        let family: Option<(Uuid, Uuid)> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select((refresh_tokens::family_id, refresh_tokens::user_id))
            .first(conn)
            .await
            .optional()?;
        let Some((family_id, user_id)) = family else {
            return Ok(None);
        };
        revoke_family(conn, family_id).await?;
        let actor = Actor { kind: ActorKind::User, id: Some(user_id), request_id };
        audit::record(
            conn,
            &actor,
            Change::new("session.logout", "user", user_id).details(serde_json::json!({"family_id": family_id})),
        )
        .await?;
        Ok(Some(user_id))
    })
    .await
}
