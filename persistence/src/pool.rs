use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use deadpool::managed::{Hook, HookError};
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod};
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{StoreError, StoreResult};

pub type Pool = diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>;
pub type PooledConnection = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// Versions of the migrations this build carries, as `__diesel_schema_migrations` records them.
pub fn known_migrations() -> Vec<String> {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default()
}

/// Changes whenever a migration file changes; names test templates.
pub const MIGRATIONS_FINGERPRINT: &str = env!("GONGKAI_MIGRATIONS_FINGERPRINT");

/// The longest any one statement may run.
pub const STATEMENT_TIMEOUT_MS: u32 = 20_000;

/// Serialises migration runs of several instances starting together.
const MIGRATION_LOCK_KEY: i64 = 0x676f_6e67_6b61_6901;

/// How long a pooled connection is used: the statements a connection keeps prepared (diesel
/// never evicts one; the kept searches of `search_plans` above all) last about this long (a tenth more at most).
pub const CONNECTION_MAX_AGE: Duration = crate::search_plans::PERIOD;

/// What a pool is opened with, kept so that more pools like it can be opened: each server
/// worker opens its own (see `api::app::serve`).
#[derive(Debug, Clone)]
pub struct PoolSpec {
    pub database_url: String,
    pub max_size: usize,
    pub max_age: Duration,
}

impl PoolSpec {
    pub fn new(database_url: &str, max_size: usize) -> PoolSpec {
        PoolSpec { database_url: database_url.to_owned(), max_size, max_age: CONNECTION_MAX_AGE }
    }

    pub fn build(&self) -> StoreResult<Pool> {
        build_pool_with_max_age(&self.database_url, self.max_size, self.max_age)
    }
}

/// A pool whose every wait is bounded, so that an unreachable database turns into a prompt 503
/// instead of a hung request; broken connections are dropped when returned, so the pool heals
/// by itself once the server is back. Connections are replaced after [`CONNECTION_MAX_AGE`].
pub fn build_pool(database_url: &str, max_size: usize) -> StoreResult<Pool> {
    build_pool_with_max_age(database_url, max_size, CONNECTION_MAX_AGE)
}

/// [`build_pool`] whose connections are replaced once older than `max_age` (each up to a tenth later).
pub fn build_pool_with_max_age(database_url: &str, max_size: usize, max_age: Duration) -> StoreResult<Pool> {
    let mut config = ManagerConfig::default();
    // A test query on every checkout would cost a round trip per request; a closed socket is
    // detected without it and the connection discarded.
    config.recycling_method = RecyclingMethod::Fast;
    // A statement that runs away (or a server that stops answering mid-query) must not hold a
    // request forever: the server cancels it after this long.
    config.custom_setup = Box::new(|url| {
        Box::pin(async move {
            use diesel_async::{AsyncConnection, RunQueryDsl};
            let mut conn = AsyncPgConnection::establish(url).await?;
            diesel::sql_query(format!("SET statement_timeout = {STATEMENT_TIMEOUT_MS}"))
                .execute(&mut conn)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(3)))
        .recycle_timeout(Some(Duration::from_secs(3)))
        // Refused at checkout, an old connection is closed and another taken or opened. Each
        // connection's limit is up to a tenth longer, by a hash of its birth, so that the
        // connections opened together at start are not all replaced (and their prepared
        // statements lost) in the same moment.
        .pre_recycle(Hook::sync_fn(move |_, metrics| {
            let mut hasher = DefaultHasher::new();
            metrics.created.hash(&mut hasher);
            let jitter = max_age.mul_f64((hasher.finish() % 1000) as f64 / 10_000.0);
            if metrics.age() < max_age + jitter {
                Ok(())
            } else {
                Err(HookError::message("connection past its maximum age"))
            }
        }))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}

pub async fn connection(pool: &Pool) -> StoreResult<PooledConnection> {
    Ok(pool.get().await?)
}

/// Runs pending migrations under an advisory lock. Diesel's harness is synchronous, so it runs on
/// a blocking thread through the async connection wrapper.
pub async fn run_migrations(database_url: &str) -> StoreResult<Vec<String>> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> StoreResult<Vec<String>> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).map_err(|e| match e {
            // A malformed URL will not heal by waiting.
            diesel::ConnectionError::InvalidConnectionUrl(message) => {
                StoreError::Other(format!("invalid connection string: {message}"))
            }
            other => StoreError::Unavailable(other.to_string()),
        })?;
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")),
            &mut conn,
        )?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| StoreError::Other(format!("migration failed: {e}")));
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")),
            &mut conn,
        )?;
        applied
    })
    .await
    .map_err(|e| StoreError::Other(e.to_string()))?
}

/// Is the database answering right now? Backs `/readyz`.
pub async fn ping(pool: &Pool) -> StoreResult<()> {
    use diesel_async::RunQueryDsl;
    let mut conn = connection(pool).await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}

/// Creates database `name` on the server of `maintenance_url` unless it exists.
pub async fn ensure_database(maintenance_url: &str, name: &str) -> StoreResult<()> {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut conn =
        AsyncPgConnection::establish(maintenance_url).await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let found: crate::CountRow = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut conn)
        .await?;
    if found.n == 0 {
        let quoted = name.replace('"', "\"\"");
        diesel::sql_query(format!("CREATE DATABASE \"{quoted}\"")).execute(&mut conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serve()` keeps a fallback for a worker whose pool fails to build. Building never reaches
    /// the database, and deadpool refuses a build only when timeouts lack a runtime, which is
    /// always set here; so even a URL no server answers builds, and fails at first checkout.
    #[tokio::test]
    async fn a_pool_builds_without_reaching_its_database_and_fails_at_checkout() {
        let unreachable = PoolSpec::new("postgres://nobody@127.0.0.1:1/none", 2);
        let pool = unreachable.build().expect("a pool is built without a connection");
        assert_eq!(pool.status().size, 0, "building opened no connection");
        let checkout = connection(&pool).await;
        assert!(matches!(checkout, Err(StoreError::Unavailable(_))), "{:?}", checkout.err());
    }
}
