//! End-to-end tests: one binary, so one PostgreSQL per run, a fresh database per test.

mod accountability;
mod annual_reports;
mod auth;
mod authorization;
mod calendar;
mod catalogs;
mod consultations;
mod documents;
mod evaluation;
mod foundation;
mod http_contract;
mod meetings;
mod messages;
mod open_days;
mod opinions;
mod organization_records;
mod oversight;
mod reposts;
mod request_intake;
mod request_rules;
mod requests;
mod resilience;
mod search;
mod self_inspections;
mod sync;
mod webhooks;
