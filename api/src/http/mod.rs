pub mod conditional;
pub mod context;
pub mod extract;
pub mod idempotency;
pub mod lang;
pub mod pagination;
pub mod spreadsheet;
pub mod throttle;
