//! Gongkai's HTTP API: actix-web handlers over the domain and persistence crates.

pub mod access_log;
pub mod allocator;
pub mod app;
pub mod auth;
pub mod backup;
pub mod bootstrap;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod openapi;
pub mod opinion_sweeper;
pub mod problems;
pub mod routes;
pub mod state;
pub mod webhooks;
