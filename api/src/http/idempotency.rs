//! `Idempotency-Key` on POST: a repeat within 24 hours with the same body returns the first
//! response and changes nothing; the same key with a different body is 422. Keys are scoped to
//! the caller (token subject, or the client address when anonymous) so nobody can replay another's.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use persistence::idempotency::{self, Claim, StoredResponse};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;
use crate::http::context::RequestId;
use crate::http::extract::read_limited;
use crate::state::AppState;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Headers worth replaying; others (dates, request ids) belong to the new exchange.
/// Set by a handler whose response holds a secret the client may need again (a query token): the
/// response is kept for replay sealed under the personal-data key, never in clear. Not sent out.
pub const SEAL_FOR_REPLAY: HeaderName = HeaderName::from_static("x-gongkai-seal-for-replay");
/// Marks a stored response whose body is sealed.
const SEALED_MARKER: &str = "x-gongkai-sealed-body";
const KEPT_HEADERS: &[&str] = &["content-type", "content-language", "etag", "location", "cache-control"];

/// Answers without idempotency handling; the internal replay marker never leaves the server.
async fn pass_through(
    next: Next<impl MessageBody + 'static>,
    req: ServiceRequest,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut response = next.call(req).await?.map_into_boxed_body();
    response.headers_mut().remove(&SEAL_FOR_REPLAY);
    Ok(response)
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(raw_key) = req.headers().get(&IDEMPOTENCY_KEY).cloned() else {
        return pass_through(next, req).await;
    };
    // Sessions and tokens are never replayed: a refresh token is single-use, and a stored
    // response would keep credentials in the database.
    if req.method() != Method::POST || req.path().starts_with("/api/v1/auth/") || req.path() == "/api/v1/oauth/token" {
        return pass_through(next, req).await;
    }
    let Some(key) = raw_key.to_str().ok().and_then(|k| Uuid::parse_str(k.trim()).ok()) else {
        return Ok(req.error_response(ApiError::bad_request("invalid_idempotency_key")));
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return pass_through(next, req).await;
    };
    let scope = caller_scope(&req, &state);
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(err) => return Ok(req.error_response(err)),
    };
    let method = req.method().to_string();
    let path = req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let request_hash = hex::encode(
        Sha256::new()
            .chain_update(method.as_bytes())
            .chain_update(b" ")
            .chain_update(path.as_bytes())
            .chain_update(b"\n")
            .chain_update(&body)
            .finalize(),
    );

    let claim = match persistence::connection(&state.pool).await {
        Ok(mut conn) => {
            let request_id = req.extensions().get::<RequestId>().map(|id| id.0.clone());
            idempotency::claim(&mut conn, &scope, key, &method, &path, &request_hash, request_id.as_deref()).await
        }
        Err(err) => Err(err),
    };
    match claim {
        Err(err) => Ok(req.error_response(ApiError::from(err))),
        Ok(Claim::Existing { request_hash: first_hash, response, answer_lost, .. }) => {
            if first_hash != request_hash {
                return Ok(req.error_response(
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused").detail(
                        "该 Idempotency-Key 已用于另一个请求",
                        "This Idempotency-Key was used for a different request",
                    ),
                ));
            }
            match response {
                Some(StoredResponse { body: None, .. }) => {
                    Ok(req.error_response(ApiError::conflict("idempotency_key_used").detail(
                        "首次响应含有密钥，不予重放；请直接查询该资源",
                        "The first response held a secret and is not replayed; read the resource instead",
                    )))
                }
                Some(stored) => match replay(stored, &state, &scope, key) {
                    Ok(response) => Ok(req.into_response(response)),
                    Err(err) => Ok(req.error_response(err)),
                },
                // The first request was carried out by a server that stopped before keeping its
                // answer: running it again would do it twice.
                None if answer_lost => Ok(req
                    .error_response(ApiError::conflict("idempotency_key_answer_lost").detail(
                    "首次请求已办理，但服务中断，其响应未能保存，不予重复办理；请查询该资源或联系办理机关",
                    "The first request was carried out, but the server stopped before keeping its answer; it is not \
                     run again: read the resource, or ask the office that received it",
                ))),
                None => Ok(req.error_response(
                    ApiError::conflict("idempotency_key_in_progress").header(actix_web::http::header::RETRY_AFTER, "1"),
                )),
            }
        }
        Ok(Claim::Claimed) => {
            req.set_payload(bytes_payload(body));
            match next.call(req).await {
                Ok(response) => finish(&state, &scope, key, response).await,
                Err(err) => {
                    // The request failed before answering: free the key so that a retry may run.
                    if let Ok(mut conn) = persistence::connection(&state.pool).await {
                        let _ = idempotency::release(&mut conn, &scope, key).await;
                    }
                    Err(err)
                }
            }
        }
    }
}

/// Stores a completed response (or frees the key after a server-side failure, so a retry can run).
async fn finish(
    state: &AppState,
    scope: &str,
    key: Uuid,
    response: ServiceResponse<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (request, response) = response.into_parts();
    let status = response.status();
    let mut headers = Vec::new();
    for name in KEPT_HEADERS {
        if let Some(value) = response.headers().get(*name).and_then(|v| v.to_str().ok()) {
            headers.push(((*name).to_owned(), value.to_owned()));
        }
    }
    // Responses that must not be stored (they carry a secret) are remembered without their body,
    // unless the handler asked for a sealed copy.
    let seal = response.headers().contains_key(&SEAL_FOR_REPLAY);
    let keep_body = seal
        || !response
            .headers()
            .get(actix_web::http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store"));
    let (mut head, body) = response.into_parts();
    head.headers_mut().remove(&SEAL_FOR_REPLAY);
    let bytes = to_bytes(body).await.map_err(|_| ApiError::internal())?;
    if seal {
        headers.push((SEALED_MARKER.to_owned(), "1".to_owned()));
    }
    if let Ok(mut conn) = persistence::connection(&state.pool).await {
        // A refusal for being too fast processed nothing: the key stays free for the retry the
        // client was told to make, exactly like after a server-side failure.
        let outcome = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            idempotency::release(&mut conn, scope, key).await
        } else {
            let body = match (keep_body, seal) {
                (false, _) => None,
                (true, false) => Some(bytes.to_vec()),
                (true, true) => Some(state.sealer.seal_bytes(&sealed_context(scope, key), &bytes)),
            };
            idempotency::complete(&mut conn, scope, key, &StoredResponse { status: status.as_u16(), headers, body })
                .await
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "could not record the idempotent response");
        }
    }
    let response = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(request, response))
}

fn sealed_context(scope: &str, key: Uuid) -> String {
    format!("idempotency:{scope}:{key}")
}

fn replay(stored: StoredResponse, state: &AppState, scope: &str, key: Uuid) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    let sealed = stored.headers.iter().any(|(name, _)| name == SEALED_MARKER);
    for (name, value) in stored.headers.iter().filter(|(name, _)| name != SEALED_MARKER) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            response.insert_header((name, value));
        }
    }
    response.insert_header((REPLAYED, "true"));
    let body = stored.body.unwrap_or_default();
    if !sealed {
        return Ok(response.body(body));
    }
    let opened = state.sealer.open_bytes(&sealed_context(scope, key), &body)?;
    response.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"));
    Ok(response.body(opened))
}

fn caller_scope(req: &ServiceRequest, state: &AppState) -> String {
    let subject = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .and_then(|(_, token)| state.keys.verify(token.trim()));
    match subject {
        Some(claims) => format!("sub:{}", claims.sub),
        None => format!("addr:{}", req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()),
    }
}

/// Reads the body once (bounded), so that it can be hashed and then handed on unchanged.
async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, ApiError> {
    let mut payload = req.take_payload();
    read_limited(req.headers(), &mut payload).await
}

fn bytes_payload(bytes: web::Bytes) -> Payload {
    let stream = futures_util::stream::once(async move { Ok::<_, PayloadError>(bytes) });
    Payload::Stream { payload: Box::pin(stream) }
}
