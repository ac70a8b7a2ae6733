//! JSON answers whose size is known roughly in advance. `HttpResponse::json` starts from a small
//! buffer and doubles it: a 24 KB list page was copied through seven growing buffers, each large
//! reallocation also making glibc consolidate its free lists (callgrind, issue 11).

use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// A 200 with `value` as JSON and the given `Cache-Control`, serialized into a buffer of
/// `expected_bytes` to begin with (it still grows if the guess is short).
pub fn json_ok<T: Serialize>(cache_control: &'static str, value: &T, expected_bytes: usize) -> ApiResult<HttpResponse> {
    let mut body = Vec::with_capacity(expected_bytes);
    serde_json::to_writer(&mut body, value).map_err(|e| {
        tracing::error!(error = %e, "an answer could not be serialized");
        ApiError::internal()
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache_control))
        .content_type("application/json")
        .body(body))
}
