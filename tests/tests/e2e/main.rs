//! End-to-end tests: one binary, so one PostgreSQL per run, a fresh database per test.

mod foundation;
mod resilience;
