use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What can go wrong in storage, in terms the API can map to a status without guessing.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now; the caller may retry later (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("not found")]
    NotFound,
    /// The caller may see the record but not perform the act (403).
    #[error("forbidden")]
    Forbidden,
    /// The row changed since the caller read it (If-Match).
    #[error("stale version")]
    StaleVersion,
    /// A uniqueness or reference rule of the schema refused the change; `constraint` names it.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// Text PostgreSQL cannot store (a NUL character, invalid encoding).
    #[error("unstorable text: {0}")]
    UnstorableText(String),
    /// Domain rules refused the act; nothing was written. Every failed rule is listed.
    #[error("rules failed")]
    RulesFailed(Vec<domain::documents::RuleFailure>),
    /// A rule the store checks itself (e.g. a cycle in the organization tree).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// A field's value is refused for a reason only the stored data shows (422).
    #[error("invalid {field}: {code}")]
    InvalidField { field: &'static str, code: &'static str },
    #[error("database error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Messages PostgreSQL and the driver use when the server went away; diesel does not expose
/// SQLSTATE for these, so they are recognised by text.
const GONE_MARKERS: &[&str] = &[
    "connection closed",
    "terminating connection",
    "database system is shutting down",
    "database system is starting up",
    "database system is in recovery mode",
    "the database system is not yet accepting connections",
    "broken pipe",
    "connection reset",
    "error communicating with database",
    "timed out",
];

fn looks_like_outage(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    GONE_MARKERS.iter().any(|m| lower.contains(m))
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let constraint = info.constraint_name().unwrap_or("unknown").to_owned();
                match kind {
                    DatabaseErrorKind::UniqueViolation
                    | DatabaseErrorKind::ForeignKeyViolation
                    | DatabaseErrorKind::CheckViolation
                    | DatabaseErrorKind::NotNullViolation => StoreError::Conflict { constraint },
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                        StoreError::Unavailable(info.message().to_owned())
                    }
                    _ if looks_like_outage(info.message()) => StoreError::Unavailable(info.message().to_owned()),
                    _ if info.message().contains("invalid byte sequence") => {
                        StoreError::UnstorableText(info.message().to_owned())
                    }
                    _ => StoreError::Other(info.message().to_owned()),
                }
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable("broken transaction".into()),
            other => {
                let message = other.to_string();
                if looks_like_outage(&message) {
                    StoreError::Unavailable(message)
                } else {
                    StoreError::Other(message)
                }
            }
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Unavailable(err.to_string())
    }
}

/// Parses an enumeration code read from the database; an unknown one means the schema and the
/// code disagree, which no caller can fix.
pub fn parse_code<T: std::str::FromStr<Err = domain::enums::UnknownCode>>(value: &str) -> StoreResult<T> {
    value.parse().map_err(|e: domain::enums::UnknownCode| StoreError::Other(e.to_string()))
}
