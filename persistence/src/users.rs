use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::Role;
use uuid::Uuid;

use crate::audit::{self, Actor, Change};
use crate::error::{StoreError, StoreResult};
use crate::schema::{password_history, refresh_tokens, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: Uuid,
    username: String,
    password_hash: String,
    display_name: String,
    organization_id: Option<Uuid>,
    roles: Vec<String>,
    is_active: bool,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    password_changed_at: DateTime<Utc>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    pub roles: Vec<Role>,
    pub is_active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub password_changed_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> StoreResult<Self> {
        let roles = row
            .roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(User {
            id: row.id,
            username: row.username,
            password_hash: row.password_hash,
            display_name: row.display_name,
            organization_id: row.organization_id,
            roles,
            is_active: row.is_active,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until,
            password_changed_at: row.password_changed_at,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn role_codes(roles: &[Role]) -> Vec<String> {
    let mut codes: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    pub roles: Vec<Role>,
}

pub async fn create(conn: &mut AsyncPgConnection, actor: &Actor, new: NewUser) -> StoreResult<User> {
    let id = Uuid::now_v7();
    conn.transaction(async |conn| {
        let row: UserRow = diesel::insert_into(users::table)
            .values((
                users::id.eq(id),
                users::username.eq(&new.username),
                users::password_hash.eq(&new.password_hash),
                users::display_name.eq(&new.display_name),
                users::organization_id.eq(new.organization_id),
                users::roles.eq(role_codes(&new.roles)),
            ))
            .returning(UserRow::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            actor,
            Change::new("user.create", "user", id).details(serde_json::json!({"roles": role_codes(&new.roles)})),
        )
        .await?;
        row.try_into()
    })
    .await
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<User> {
    users::table.find(id).select(UserRow::as_select()).first(conn).await?.try_into()
}

diesel::define_sql_function! {
    /// `organization_county` (migration 2026-11-28-000080) of a user's organization, which may be
    /// NULL: the function then finds no organization and answers NULL.
    #[sql_name = "organization_county"]
    fn county_of_organization(org_id: diesel::sql_types::Nullable<diesel::sql_types::Uuid>) -> diesel::sql_types::Nullable<diesel::sql_types::Uuid>;
}

/// The user and the county of their organization, in one statement. A token refresh reads them
/// after its rotation has committed: every further statement there is one more chance to fail
/// after the new refresh token exists and before the client has it.
pub async fn get_with_county(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<(User, Option<Uuid>)> {
    let (row, county): (UserRow, Option<Uuid>) = users::table
        .find(id)
        .select((UserRow::as_select(), county_of_organization(users::organization_id)))
        .first(conn)
        .await?;
    Ok((row.try_into()?, county))
}

pub async fn find_by_username(conn: &mut AsyncPgConnection, username: &str) -> StoreResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?
        .map(TryInto::try_into)
        .transpose()
}

pub async fn any_system_admin(conn: &mut AsyncPgConnection) -> StoreResult<bool> {
    let count: i64 =
        users::table.filter(users::roles.contains(vec![Role::SystemAdmin.as_str()])).count().get_result(conn).await?;
    Ok(count > 0)
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub organization_id: Option<Uuid>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &UserFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<User>> {
    let mut query = users::table.select(UserRow::as_select()).order(users::id.asc()).limit(limit).into_boxed();
    if let Some(org) = filter.organization_id {
        query = query.filter(users::organization_id.eq(org));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::roles.contains(vec![role.as_str()]));
    }
    if let Some(active) = filter.is_active {
        query = query.filter(users::is_active.eq(active));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn).await?.into_iter().map(TryInto::try_into).collect()
}

#[derive(Debug, Clone)]
pub struct UserChanges {
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    pub roles: Vec<Role>,
    pub is_active: bool,
}

async fn lock_current(conn: &mut AsyncPgConnection, id: Uuid, expected_version: Option<i32>) -> StoreResult<User> {
    let current: User =
        users::table.find(id).select(UserRow::as_select()).for_update().first(conn).await?.try_into()?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(StoreError::StaleVersion);
    }
    Ok(current)
}

/// Refuses a change that would leave no active system administrator.
async fn ensure_another_admin_remains(conn: &mut AsyncPgConnection, leaving: Uuid) -> StoreResult<()> {
    let others: i64 = users::table
        .filter(users::roles.contains(vec![Role::SystemAdmin.as_str()]))
        .filter(users::is_active.eq(true))
        .filter(users::id.ne(leaving))
        .count()
        .get_result(conn)
        .await?;
    if others == 0 {
        return Err(StoreError::Refused("last_system_admin"));
    }
    Ok(())
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
    changes: UserChanges,
) -> StoreResult<User> {
    conn.transaction(async |conn| {
        let current = lock_current(conn, id, expected_version).await?;
        let was_admin = current.is_active && current.roles.contains(&Role::SystemAdmin);
        let stays_admin = changes.is_active && changes.roles.contains(&Role::SystemAdmin);
        if was_admin && !stays_admin {
            ensure_another_admin_remains(conn, id).await?;
        }
        let mut changed = Vec::new();
        if current.display_name != changes.display_name {
            changed.push("display_name");
        }
        if current.organization_id != changes.organization_id {
            changed.push("organization_id");
        }
        if role_codes(&current.roles) != role_codes(&changes.roles) {
            changed.push("roles");
        }
        if current.is_active != changes.is_active {
            changed.push("is_active");
        }
        if changed.is_empty() {
            return Ok(current);
        }
        let row: UserRow = diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(&changes.display_name),
                users::organization_id.eq(changes.organization_id),
                users::roles.eq(role_codes(&changes.roles)),
                users::is_active.eq(changes.is_active),
                users::version.eq(users::version + 1),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .returning(UserRow::as_returning())
            .get_result(conn)
            .await?;
        if !changes.is_active {
            revoke_all_refresh_tokens(conn, id).await?;
        }
        audit::record(conn, actor, Change::new("user.update", "user", id).fields(changed)).await?;
        row.try_into()
    })
    .await
}

/// Deactivates rather than erases: the account's past acts stay attributable.
pub async fn deactivate(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    expected_version: Option<i32>,
) -> StoreResult<()> {
    conn.transaction(async |conn| {
        let current = lock_current(conn, id, expected_version).await?;
        if current.roles.contains(&Role::SystemAdmin) && current.is_active {
            ensure_another_admin_remains(conn, id).await?;
        }
        diesel::update(users::table.find(id))
            .set((
                users::is_active.eq(false),
                users::version.eq(users::version + 1),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        revoke_all_refresh_tokens(conn, id).await?;
        audit::record(conn, actor, Change::new("user.deactivate", "user", id).fields(["is_active"])).await?;
        Ok(())
    })
    .await
}

/// Why a password is set: an administrator's reset, or the owner's own change, which replaces the
/// hash the owner's current password was checked against (audited apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange<'a> {
    Reset,
    OwnChange { replacing: &'a str },
}

/// The account's current password hash followed by up to `count - 1` earlier ones, newest first.
pub async fn recent_password_hashes(conn: &mut AsyncPgConnection, id: Uuid, count: u8) -> StoreResult<Vec<String>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let current: String = users::table.find(id).select(users::password_hash).first(conn).await?;
    let earlier: Vec<String> = password_history::table
        .filter(password_history::user_id.eq(id))
        .order(password_history::id.desc())
        .limit(i64::from(count) - 1)
        .select(password_history::password_hash)
        .load(conn)
        .await?;
    Ok(std::iter::once(current).chain(earlier).collect())
}

/// Sets a new password hash (keeping the old one in the history), clears any lock and ends
/// every session of the account.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    id: Uuid,
    password_hash: &str,
    why: PasswordChange<'_>,
) -> StoreResult<()> {
    conn.transaction(async |conn| {
        let previous: Option<(String, bool)> = users::table
            .find(id)
            .select((users::password_hash, users::is_active))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((previous, is_active)) = previous else {
            return Err(StoreError::NotFound);
        };
        // The owner proved the password that was current when checked; if it has been reset or
        // the account deactivated since, that proof is void.
        if let PasswordChange::OwnChange { replacing } = why {
            if previous != replacing || !is_active {
                return Err(StoreError::Refused("password_changed_meanwhile"));
            }
        }
        diesel::insert_into(password_history::table)
            .values((password_history::user_id.eq(id), password_history::password_hash.eq(previous)))
            .execute(conn)
            .await?;
        // Only as many as the strictest policy can ask about are kept.
        diesel::sql_query(
            "DELETE FROM password_history WHERE user_id = $1 AND id NOT IN \
             (SELECT id FROM password_history WHERE user_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::BigInt, _>(i64::from(domain::accounts::MAX_PASSWORD_HISTORY))
        .execute(conn)
        .await?;
        let updated = diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::password_changed_at.eq(diesel::dsl::now),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<DateTime<Utc>>),
                users::version.eq(users::version + 1),
                users::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        revoke_all_refresh_tokens(conn, id).await?;
        let action = match why {
            PasswordChange::Reset => "user.password_reset",
            PasswordChange::OwnChange { .. } => "user.password_changed",
        };
        audit::record(conn, actor, Change::new(action, "user", id).fields(["password"])).await?;
        Ok(())
    })
    .await
}

async fn revoke_all_refresh_tokens(conn: &mut AsyncPgConnection, user_id: Uuid) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The outcome of claiming a login attempt for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptClaim {
    /// The attempt may verify the password; it already counts as a failure until it succeeds.
    Granted,
    /// The account is locked until then; the password must not be checked.
    Locked(DateTime<Utc>),
}

/// Claims one login attempt before the password is checked, with the row locked, so that
/// concurrent guesses cannot all slip in before the first failure is counted: the attempt counts
/// as a failure (and sets the lock the domain decides for that count) until
/// [`record_login_success`] clears it.
pub async fn claim_login_attempt(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<AttemptClaim> {
    conn.transaction(async |conn| {
        let (failures, locked_until): (i32, Option<DateTime<Utc>>) =
            users::table.find(id).select((users::failed_logins, users::locked_until)).for_update().first(conn).await?;
        if let Some(until) = locked_until.filter(|until| *until > now) {
            return Ok(AttemptClaim::Locked(until));
        }
        let failures = failures + 1;
        let lock = domain::accounts::locked_until_after(failures, now);
        diesel::update(users::table.find(id))
            .set((users::failed_logins.eq(failures), users::locked_until.eq(lock)))
            .execute(conn)
            .await?;
        Ok(AttemptClaim::Granted)
    })
    .await
}

/// Records a failed login of an existing account in the audit log, with the failures in a row
/// and the lock they caused (bounded: the lock slows further failures to a few an hour).
pub async fn audit_failed_login(conn: &mut AsyncPgConnection, id: Uuid, request_id: Option<String>) -> StoreResult<()> {
    let (failures, locked_until): (i32, Option<DateTime<Utc>>) =
        users::table.find(id).select((users::failed_logins, users::locked_until)).first(conn).await?;
    let actor = Actor { kind: crate::audit::ActorKind::User, id: Some(id), request_id };
    let details = serde_json::json!({"failures_in_a_row": failures, "locked_until": locked_until});
    audit::record(conn, &actor, Change::new("session.login_failed", "user", id).details(details)).await
}

/// The same claim for a username that has no account, so that the lock schedule (and
/// `Retry-After`) is identical whether or not the account exists.
pub async fn claim_unknown_login_attempt(
    conn: &mut AsyncPgConnection,
    username: &str,
    now: DateTime<Utc>,
) -> StoreResult<AttemptClaim> {
    use crate::schema::unknown_login_attempts as u;
    conn.transaction(async |conn| {
        diesel::insert_into(u::table).values(u::username.eq(username)).on_conflict_do_nothing().execute(conn).await?;
        let (failures, locked_until): (i32, Option<DateTime<Utc>>) =
            u::table.find(username).select((u::failed_logins, u::locked_until)).for_update().first(conn).await?;
        if let Some(until) = locked_until.filter(|until| *until > now) {
            return Ok(AttemptClaim::Locked(until));
        }
        let failures = failures + 1;
        let lock = domain::accounts::locked_until_after(failures, now);
        diesel::update(u::table.find(username))
            .set((u::failed_logins.eq(failures), u::locked_until.eq(lock), u::updated_at.eq(now)))
            .execute(conn)
            .await?;
        Ok(AttemptClaim::Granted)
    })
    .await
}

/// Forgets unknown-username counters untouched for a day.
pub async fn purge_unknown_login_attempts(conn: &mut AsyncPgConnection, before: DateTime<Utc>) -> StoreResult<usize> {
    use crate::schema::unknown_login_attempts as u;
    Ok(diesel::delete(u::table.filter(u::updated_at.lt(before))).execute(conn).await?)
}

pub async fn record_login_success(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<()> {
    diesel::update(users::table.find(id).filter(users::failed_logins.gt(0).or(users::locked_until.is_not_null())))
        .set((users::failed_logins.eq(0), users::locked_until.eq(None::<DateTime<Utc>>)))
        .execute(conn)
        .await?;
    Ok(())
}
