//! Staff sessions (password login, rotating refresh tokens) and `GET /me`.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use domain::{Principal, Role, Scope};
use persistence::sessions::Rotation;
use persistence::users::AttemptClaim;
use persistence::{sessions, users, Actor, ActorKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::keys::Claims;
use crate::auth::principal::{request_id, Auth};
use crate::auth::secrets::{random_token, sha256_hex, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::ValidJson;
use crate::http::throttle::{self, client_address};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "admin")]
    pub username: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A signed JWT (EdDSA) to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires (at most 900).
    pub expires_in: i64,
    /// Single-use: exchange it at `/api/v1/auth/refresh` for a new pair.
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256))]
    #[schema(min_length = 1, max_length = 256)]
    pub refresh_token: String,
}

/// The caller as the server sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    /// `user` for staff, `client` for machine clients.
    pub kind: String,
    pub id: Uuid,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub organization_id: Option<Uuid>,
    pub roles: Vec<Role>,
    pub scopes: Vec<Scope>,
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static("no-store"));
    response.headers_mut().insert(PRAGMA, actix_web::http::header::HeaderValue::from_static("no-cache"));
    response
}

/// `county_id` is the county of the user's organization, stated in the access token (`cty`).
async fn issue_tokens(
    state: &AppState,
    principal: &Principal,
    county_id: Option<Uuid>,
    refresh_token: String,
) -> ApiResult<HttpResponse> {
    let lifetime = state.accounts.session.access_token_seconds();
    let claims = Claims::for_principal(principal, Utc::now().timestamp()).lasting(lifetime).in_county(county_id);
    let access_token = state.keys.sign(&claims).map_err(|_| ApiError::internal())?;
    Ok(no_store(HttpResponse::Ok().json(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: lifetime,
        refresh_token,
    })))
}

/// Checks a username and password as a login does, with the same per-address budget and
/// per-account back-off (a password change is a login attempt too). Answers the active account,
/// or 401 / 429 without revealing whether the name exists.
pub(crate) async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    conn: &mut persistence::PooledConnection,
    username: &str,
    password: String,
    now: chrono::DateTime<Utc>,
) -> ApiResult<users::User> {
    let limits = &state.limits;
    let address_bucket = format!("login-attempts:{}", client_address(req));
    let window = limits.failure_window_secs;
    // Every attempt claims its slot before the password is checked; a success gives it back.
    throttle::claim(conn, &address_bucket, limits.failures_per_address, window, now).await?;

    let user = users::find_by_username(conn, username).await?.filter(|u| u.is_active);
    let claim = match &user {
        Some(user) => users::claim_login_attempt(conn, user.id, now).await?,
        // Unknown names lock on the very same schedule, so a lock reveals nothing.
        None => users::claim_unknown_login_attempt(conn, username, now).await?,
    };
    if let AttemptClaim::Locked(until) = claim {
        let mut err = throttle::too_many("login_locked", until, now);
        err.headers.extend(throttle::lock_headers(until, now));
        return Err(err);
    }
    let verified = verify_password(user.as_ref().map(|u| u.password_hash.clone()), password).await;
    let user = match (user, verified) {
        (Some(user), true) => user,
        (Some(user), false) => {
            // 等级保护 asks that failed logins be audited; unknown names are in the access log only.
            users::audit_failed_login(conn, user.id, request_id(req)).await?;
            return Err(ApiError::unauthenticated("invalid_credentials"));
        }
        (None, _) => return Err(ApiError::unauthenticated("invalid_credentials")),
    };
    users::record_login_success(conn, user.id).await?;
    throttle::give_back(conn, &address_bucket, window, now).await?;
    Ok(user)
}

/// Log in with username and password.
///
/// Failed attempts back off per account (locked for 1, 2, 4 … minutes after 5 failures in a row)
/// and per client address (429 after 30 failures in 15 minutes), with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong username or password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "`password_expired`: the password is older than `GONGKAI_PASSWORD_MAX_AGE_DAYS`; change it with `POST /api/v1/auth/password`", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures: the account or the address must wait (`Retry-After`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let now = Utc::now();
    let mut conn = persistence::connection(&state.pool).await?;
    let user = authenticate(&state, &req, &mut conn, &body.username, body.password, now).await?;
    if state.accounts.password.is_expired(user.password_changed_at, now) {
        return Err(ApiError::new(actix_web::http::StatusCode::FORBIDDEN, "password_expired").detail(
            "密码已超过规定的使用期限，请通过 POST /api/v1/auth/password 修改后再登录",
            "The password is older than the policy allows: change it with POST /api/v1/auth/password, then log in",
        ));
    }
    let county_id = match user.organization_id {
        Some(org) => persistence::organizations::county_of(&conn, org).await?,
        None => None,
    };
    let refresh_token = random_token(32);
    let actor = Actor { kind: ActorKind::User, id: Some(user.id), request_id: request_id(&req) };
    sessions::start(
        &mut conn,
        &actor,
        user.id,
        &sha256_hex(&refresh_token),
        now + chrono::Duration::days(i64::from(state.accounts.session.refresh_days)),
    )
    .await?;
    let principal = Principal::User { user_id: user.id, organization_id: user.organization_id, roles: user.roles };
    issue_tokens(&state, &principal, county_id, refresh_token).await
}

/// Exchange a refresh token for a new access token and a new refresh token.
///
/// Each refresh token works once. Presenting one that was already used revokes every token of
/// that login session (it signals theft), and the answer is 401 `refresh_token_reused`.
/// A session whose last refresh token was issued longer ago than the idle limit
/// (`GONGKAI_SESSION_IDLE_MINUTES`, default 30) ends: 401 `session_idle`.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token, or `session_idle`: the session went unrefreshed longer than the idle limit", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let successor = random_token(32);
    let mut conn = persistence::connection(&state.pool).await?;
    let rotation = sessions::rotate(
        &mut conn,
        &sha256_hex(&body.0.refresh_token),
        &sha256_hex(&successor),
        now + chrono::Duration::days(i64::from(state.accounts.session.refresh_days)),
        request_id(&req),
        now,
        &state.accounts.session,
    )
    .await?;
    match rotation {
        Rotation::Rotated { user_id, .. } => {
            let (user, county_id) = users::get_with_county(&mut conn, user_id).await?;
            if !user.is_active {
                return Err(ApiError::unauthenticated("invalid_refresh_token"));
            }
            let principal = Principal::User { user_id, organization_id: user.organization_id, roles: user.roles };
            issue_tokens(&state, &principal, county_id, successor).await
        }
        Rotation::Reused { .. } => Err(ApiError::unauthenticated("refresh_token_reused")),
        Rotation::Idle { .. } => Err(ApiError::unauthenticated("session_idle").detail(
            format!("会话闲置超过 {} 分钟，已结束，请重新登录", state.accounts.session.idle_minutes),
            format!(
                "The session was idle for more than {} minutes and has ended: log in again",
                state.accounts.session.idle_minutes
            ),
        )),
        Rotation::Invalid => Err(ApiError::unauthenticated("invalid_refresh_token")),
    }
}

/// End a login session: its refresh token (and every token rotated from it) stops working.
/// Idempotent: an unknown token is also answered 204.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out")),
    security(())
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let actor_request = request_id(&req);
    sessions::end(&mut conn, &sha256_hex(&body.0.refresh_token), actor_request).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who am I: the authenticated user (or machine client) with roles and organization.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The caller", body = MeResponse)),
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let body = match &auth.principal {
        Principal::User { user_id, .. } => {
            let user = users::get(&mut conn, *user_id).await.map_err(|_| ApiError::unauthenticated("invalid_token"))?;
            MeResponse {
                kind: "user".into(),
                id: user.id,
                username: Some(user.username),
                display_name: Some(user.display_name),
                organization_id: user.organization_id,
                roles: user.roles,
                scopes: Vec::new(),
            }
        }
        Principal::Client { client_id, scopes } => {
            let client = persistence::clients::get(&mut conn, *client_id)
                .await
                .map_err(|_| ApiError::unauthenticated("invalid_token"))?;
            MeResponse {
                kind: "client".into(),
                id: client.id,
                username: None,
                display_name: Some(client.name),
                organization_id: client.organization_id,
                roles: Vec::new(),
                scopes: scopes.clone(),
            }
        }
    };
    Ok(HttpResponse::Ok().json(body))
}
