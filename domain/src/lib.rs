//! Gongkai's domain: the rules of 政务公开 as pure functions over values.
//!
//! Nothing here performs I/O or reads the clock; time and calendars are passed in.

pub mod access;
pub mod accountability;
pub mod accounts;
pub mod annual_reports;
pub mod calendar;
pub mod catalogs;
pub mod consultations;
pub mod document_access;
pub mod documents;
pub mod enums;
pub mod evaluation;
pub mod identity;
pub mod interpretations;
pub mod meetings;
pub mod opinions;
pub mod organization_records;
pub mod oversight;
pub mod participation;
pub mod reposts;
pub mod request_access;
pub mod request_outcomes;
pub mod request_workflow;
pub mod requests;
pub mod search;
pub mod self_inspections;
pub mod webhooks;

pub use access::{Action, Principal};
pub use enums::{OrganizationKind, Role, Scope};
