//! Optimistic concurrency: responses carry `ETag: "<version>"`, updates may send `If-Match`.

use actix_web::http::header::{HeaderValue, ETAG, IF_MATCH};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version the caller expects, from `If-Match` (`"3"`, `W/"3"`); `*` or no header means any.
pub fn expected_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| invalid())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let unquoted = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    unquoted.parse::<i32>().map(Some).map_err(|_| {
        // A tag we never issued cannot match the current version.
        ApiError::new(actix_web::http::StatusCode::PRECONDITION_FAILED, "stale_version")
    })
}

fn invalid() -> ApiError {
    ApiError::bad_request("invalid_header").detail("If-Match 请求头无效", "The If-Match header is invalid")
}

/// 200 with the body and its ETag.
pub fn ok_with_etag<T: Serialize>(body: &T, version: i32) -> HttpResponse {
    let mut response = HttpResponse::Ok().json(body);
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// 201 with the body, its ETag and Location.
pub fn created_with_etag<T: Serialize>(body: &T, version: i32, location: &str) -> HttpResponse {
    let mut response = HttpResponse::Created().insert_header((actix_web::http::header::LOCATION, location)).json(body);
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}
