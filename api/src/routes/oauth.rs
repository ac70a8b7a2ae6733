//! OAuth 2.0 client credentials (RFC 6749 §4.4) for machine clients, and the JWKS that lets
//! integrating systems verify our tokens. Errors here follow RFC 6749 §5.2, not problem+json.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use domain::{Principal, Scope};
use persistence::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::keys::{Claims, ACCESS_TOKEN_SECONDS};
use crate::auth::secrets::{constant_time_eq, sha256_hex};
use crate::http::throttle::{self, client_address};
use crate::state::AppState;

/// RFC 6749 §5.2 error response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    pub error_description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientTokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// The form fields of a token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ClientTokenRequest {
    /// Must be `client_credentials`.
    pub grant_type: Option<String>,
    /// Alternatively sent with HTTP Basic authentication.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Space-separated subset of the client's scopes; all of them when omitted.
    pub scope: Option<String>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"gongkai\""));
    }
    response.json(OAuthError { error: error.into(), error_description: Some(description.into()) })
}

fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
    let unescape =
        |s: &str| serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}")).ok()?.pop().map(|(_, v)| v);
    Some((unescape(id)?, unescape(secret)?))
}

/// Obtain an access token with client credentials.
///
/// Form-encoded (`grant_type=client_credentials`, credentials in HTTP Basic or the form,
/// optional `scope`). Errors are RFC 6749 §5.2 JSON (`{"error": "invalid_client"}`).
#[utoipa::path(
    tag = "auth",
    request_body(content = ClientTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Token issued", body = ClientTokenResponse),
        (status = 400, description = "invalid_request, unsupported_grant_type or invalid_scope", body = OAuthError),
        (status = 401, description = "invalid_client", body = OAuthError),
        (status = 413, description = "invalid_request: the body is too large", body = OAuthError),
        (status = 429, description = "Too many failed client authentications from this address", body = OAuthError),
        (status = 503, description = "Database unavailable", body = OAuthError),
    ),
    security(("client_credentials" = []))
)]
#[post("/oauth/token")]
pub async fn token(state: web::Data<AppState>, req: HttpRequest, mut payload: web::Payload) -> HttpResponse {
    // Read here rather than by an extractor, so that even an oversized body is answered in the
    // RFC 6749 §5.2 form this endpoint promises.
    let body = match crate::http::extract::read_limited(req.headers(), &mut payload).await {
        Ok(body) => body,
        Err(err) if err.status == StatusCode::PAYLOAD_TOO_LARGE => {
            return oauth_error(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "the body is too large")
        }
        Err(_) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the body could not be read"),
    };
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<ClientTokenRequest>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the form could not be parsed");
    };
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            )
        }
        None => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
    let basic = basic_credentials(&req);
    if basic.is_some() && (form.client_id.is_some() || form.client_secret.is_some()) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "use one authentication method, not both");
    }
    let Some((client_id, secret)) = basic.or_else(|| Some((form.client_id.clone()?, form.client_secret.clone()?)))
    else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication is required");
    };
    match issue(&state, &req, &client_id, &secret, form.scope.as_deref()).await {
        Ok(response) => response,
        Err(response) => response,
    }
}

async fn issue(
    state: &AppState,
    req: &HttpRequest,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> Result<HttpResponse, HttpResponse> {
    let unavailable =
        || oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "the database is unavailable");
    let now = Utc::now();
    let bucket = format!("client-auth-attempts:{}", client_address(req));
    let limits = &state.limits;
    let window = limits.failure_window_secs;
    let mut conn = persistence::connection(&state.pool).await.map_err(|_| unavailable())?;
    // The attempt claims its slot before the secret is checked; a success gives it back.
    match throttle::claim(&mut conn, &bucket, limits.failures_per_address, window, now).await {
        Ok(_) => {}
        Err(limited) if limited.status == StatusCode::TOO_MANY_REQUESTS => {
            let mut response =
                oauth_error(StatusCode::TOO_MANY_REQUESTS, "invalid_client", "too many failed attempts; retry later");
            for (name, value) in limited.headers {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            return Err(response);
        }
        Err(_) => return Err(unavailable()),
    }
    let client = match Uuid::parse_str(client_id) {
        Ok(id) => match persistence::clients::get(&mut conn, id).await {
            Ok(client) => Some(client),
            Err(StoreError::NotFound) => None,
            Err(_) => return Err(unavailable()),
        },
        Err(_) => None,
    };
    let authenticated = client.filter(|c| c.is_active && constant_time_eq(&c.secret_hash, &sha256_hex(secret)));
    let Some(client) = authenticated else {
        return Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"));
    };
    throttle::give_back(&mut conn, &bucket, window, now).await.map_err(|_| unavailable())?;
    let granted: Vec<Scope> = match scope {
        None => client.scopes.clone(),
        Some(requested) => {
            let mut granted = Vec::new();
            for code in requested.split_whitespace() {
                match code.parse::<Scope>() {
                    Ok(scope) if client.scopes.contains(&scope) => granted.push(scope),
                    _ => {
                        return Err(oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_scope",
                            &format!("scope `{code}` is not granted to this client"),
                        ))
                    }
                }
            }
            granted
        }
    };
    let principal = Principal::Client { client_id: client.id, scopes: granted.clone() };
    let claims = Claims::for_principal(&principal, now.timestamp());
    let access_token = state
        .keys
        .sign(&claims)
        .map_err(|_| oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the token could not be signed"))?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(ClientTokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_SECONDS,
        scope: granted.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
    }))
}

/// The public keys that verify Gongkai's tokens (JWKS, RFC 7517), selected by the token's `kid`.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "JSON Web Key Set", body = Object)),
    security(())
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "public, max-age=300")).json(state.keys.jwks())
}
