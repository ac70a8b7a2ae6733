//! Gongkai's HTTP API: actix-web handlers over the domain and persistence crates.

pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod error;
pub mod http;
pub mod openapi;
pub mod problems;
pub mod routes;
pub mod state;
