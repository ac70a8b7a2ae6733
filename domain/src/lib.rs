//! Gongkai's domain: the rules of 政务公开 as pure functions over values.
//!
//! Nothing here performs I/O or reads the clock; time and calendars are passed in.

pub mod access;
pub mod accounts;
pub mod calendar;
pub mod enums;

pub use access::{Action, Principal};
pub use enums::{OrganizationKind, Role, Scope};
