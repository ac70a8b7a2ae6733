//! Gongkai's storage: PostgreSQL through diesel-async. Owns transactions, row locks and the audit
//! log; never business rules.

pub mod annual_report_deadlines;
pub mod annual_reports;
pub mod attachments;
pub mod audit;
pub mod backup;
pub mod breaches;
pub mod calendar;
pub mod catalogs;
pub mod clients;
mod codes;
pub mod consultation_periods;
pub mod consultations;
mod document_transactions;
pub mod documents;
pub mod embedded;
pub mod error;
pub mod evaluation;
pub mod experts;
pub mod idempotency;
pub mod interpretations;
pub mod kept;
pub mod legal_challenges;
pub mod meetings;
mod memory_limit;
pub mod messages;
pub mod open_days;
pub mod opinion_clocks;
pub mod opinions;
pub mod organization_records;
pub mod organizations;
pub mod outbox;
pub mod personal_data;
pub mod pool;
pub mod public;
pub mod rate_limit;
pub mod reading_venues;
pub mod receipts;
pub mod rectifications;
pub mod reposts;
pub mod request_acts;
pub mod requests;
mod schema;
pub mod search;
pub mod search_plans;
pub mod search_walk;
pub mod self_inspections;
pub mod sessions;
pub mod spot_checks;
pub mod test_databases;
pub mod training;
pub mod users;
pub mod webhooks;
pub mod websites;

pub use audit::{Actor, ActorKind, Change};
pub use error::{StoreError, StoreResult};
pub use pool::{
    build_pool, build_pool_with_max_age, connection, ping, run_migrations, Pool, PoolSpec, PooledConnection,
};

/// The row of a statement that reads one count, as `… AS n`.
#[derive(diesel::QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) n: i64,
}
