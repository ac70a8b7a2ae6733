//! Conditional GET on the public read path: every `GET /api/v1/public/…` answer that carries no
//! validator of its own gets a strong `ETag` (a 128-bit hash of its body) and a `Cache-Control`, and a
//! request whose `If-None-Match` names it is answered 304 without the body. Integrating systems
//! that poll then pay for a hash of the body, not for the transfer.

use actix_web::body::{to_bytes, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

/// Without a policy of its handler, a public answer may be kept but must be revalidated: caching
/// longer is each handler's explicit choice (and answers about one person say `no-store`).
const DEFAULT_CACHE_CONTROL: &str = "no-cache";
/// Public answers are negotiated on these (JSON, CSV, XLSX or HTML; Chinese or English).
const VARY: &str = "Accept, Accept-Language";
/// Bodies up to this size are hashed; larger ones pass through as they are.
const MAX_DIGESTED: u64 = 16 * 1024 * 1024;

/// Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 §13.1.2 asks for GET).
pub fn none_match_hits(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    if_none_match.trim() == "*" || if_none_match.split(',').any(|candidate| bare(candidate) == bare(etag))
}

fn not_modified(etag: HeaderValue, cache_control: HeaderValue) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, VARY))
        .finish()
}

pub async fn public_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let applies = req.method() == Method::GET && req.path().starts_with("/api/v1/public/");
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut response = next.call(req).await?;
    // Errors are never cached; answers about one person say no-store or private and stay as they are.
    let personal = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store") || v.contains("private"));
    if !applies || personal || response.status() != StatusCode::OK {
        return Ok(response.map_into_boxed_body());
    }
    let cache_control = response
        .headers()
        .get(header::CACHE_CONTROL)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(DEFAULT_CACHE_CONTROL));
    response.headers_mut().insert(header::CACHE_CONTROL, cache_control.clone());
    response.headers_mut().insert(header::VARY, HeaderValue::from_static(VARY));
    // A handler's own validator (a version, a file's SHA-256) is honoured as it is.
    if let Some(etag) = response.headers().get(header::ETAG).cloned() {
        let hit = if_none_match.as_deref().zip(etag.to_str().ok()).is_some_and(|(inm, tag)| none_match_hits(inm, tag));
        if hit {
            let (request, _) = response.into_parts();
            return Ok(ServiceResponse::new(request, not_modified(etag, cache_control)));
        }
        return Ok(response.map_into_boxed_body());
    }
    let sized = matches!(response.response().body().size(), BodySize::Sized(n) if n <= MAX_DIGESTED);
    if !sized {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    // A body already in memory (every JSON answer) is taken as it is; `to_bytes` would copy it.
    let collected = match body.try_into_bytes() {
        Ok(bytes) => Ok(bytes),
        Err(body) => to_bytes(body).await,
    };
    let bytes = match collected {
        Ok(bytes) => bytes,
        Err(_) => return Ok(ServiceResponse::new(request, crate::error::ApiError::internal().error_response())),
    };
    // A validator, not a signature: a 128-bit XXH3 of the body. SHA-256 was a tenth of the
    // server's CPU on the 100 KB list pages (perf, issue 11). XXH3 resists chance collisions, not
    // crafted ones, which is enough: only staff publishing can change a public body.
    let etag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&bytes));
    let etag_value = HeaderValue::from_str(&etag).map_err(actix_web::error::ErrorInternalServerError)?;
    if if_none_match.is_some_and(|v| none_match_hits(&v, &etag)) {
        return Ok(ServiceResponse::new(request, not_modified(etag_value, cache_control)));
    }
    head.headers_mut().insert(header::ETAG, etag_value);
    Ok(ServiceResponse::new(request, head.set_body(BoxBody::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_is_compared_weakly_and_accepts_lists_and_star() {
        assert!(none_match_hits("\"abc\"", "\"abc\""));
        assert!(none_match_hits("W/\"abc\"", "\"abc\""));
        assert!(none_match_hits("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match_hits("*", "\"abc\""));
        assert!(!none_match_hits("\"abd\"", "\"abc\""));
    }
}
