//! The outermost middleware: assigns the request id, fixes the language, logs the request, and
//! turns any error response that is not yet problem+json (actix's own 404/405/plain-text errors)
//! into one, so that no client ever sees an HTML or empty error body.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};

use crate::error::{ApiError, PROBLEM_JSON};
use crate::http::lang::{Lang, RequestContext, REQUEST_CONTEXT};

/// The longest a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// The same for an upload (multipart), which may take minutes on a slow link as long as it keeps
/// coming (see `UPLOAD_IDLE_TIMEOUT`): 50 MiB at 1 Mbit/s is 7 minutes.
pub const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, as stored in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Who made the request, once a bearer token was accepted: `user:<id>` or `client:<id>`.
#[derive(Debug, Clone)]
pub struct Caller(pub String);

impl std::fmt::Display for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Accepts a caller's id when it is short and plain, so it can be logged safely; otherwise makes one.
fn request_id_from(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = request_id_from(&req);
    let lang = Lang::from_headers(req.headers());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let client = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let context = RequestContext { lang, request_id: request_id.clone() };

    let access = AccessLine { started, request_id: request_id.clone(), client, method, path };
    let is_upload = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    let limit = if is_upload { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    let result = tokio::time::timeout(limit, REQUEST_CONTEXT.scope(context.clone(), next.call(req))).await;
    let mut response = match result {
        Ok(Ok(response)) => response.map_into_boxed_body(),
        // Errors raised by middleware are rendered by actix after this scope ends: they carry the
        // language and request id with them.
        Ok(Err(err)) => {
            access.record(err.as_response_error().status_code().as_u16(), None);
            return match err.as_error::<ApiError>() {
                Some(problem) => Err(problem.clone().in_context(lang, &request_id).into()),
                None => Err(err),
            };
        }
        Err(_) => {
            // Nothing a client sends should take this long; a database that stopped answering does.
            // Dropping the work rolls back its transaction.
            access.record(StatusCode::SERVICE_UNAVAILABLE.as_u16(), None);
            let problem =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "request_timeout").header(header::RETRY_AFTER, "5");
            return Err(problem.in_context(lang, &request_id).into());
        }
    };
    if needs_problem_body(&response) {
        let status = response.status();
        let problem = REQUEST_CONTEXT.sync_scope(context, || generic_problem(status).error_response());
        let (request, original) = response.into_parts();
        let mut replacement = problem;
        // Keep headers the original carried for the client (Allow on 405, WWW-Authenticate …).
        for (name, value) in original.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replacement.headers_mut().insert(name.clone(), value.clone());
            }
        }
        response = ServiceResponse::new(request, replacement);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let caller = response.request().extensions().get::<Caller>().cloned();
    access.record(response.status().as_u16(), caller);
    Ok(response)
}

/// What the access log says of one request, whichever way it ends.
struct AccessLine {
    started: Instant,
    request_id: String,
    client: String,
    method: actix_web::http::Method,
    path: String,
}

impl AccessLine {
    fn record(&self, status: u16, caller: Option<Caller>) {
        let AccessLine { request_id, client, method, path, .. } = self;
        let elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let caller = caller.as_ref().map_or("anonymous", |c| c.0.as_str());
        if status >= 500 {
            tracing::error!(target: crate::access_log::TARGET, request_id, client, caller, %method, path, status, elapsed_ms, "request failed");
        } else {
            tracing::info!(target: crate::access_log::TARGET, request_id, client, caller, %method, path, status, elapsed_ms, "request");
        }
    }
}

fn needs_problem_body(response: &ServiceResponse<BoxBody>) -> bool {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return false;
    }
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // The OAuth token endpoint answers errors as RFC 6749 JSON, on purpose.
    !(content_type.starts_with(PROBLEM_JSON) || content_type.starts_with("application/json"))
}

fn generic_problem(status: StatusCode) -> ApiError {
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::PRECONDITION_FAILED => "precondition_failed",
        StatusCode::SERVICE_UNAVAILABLE => "database_unavailable",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    ApiError::new(status, code)
}
