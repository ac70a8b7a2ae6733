//! The account rules a front end shows (`GET /auth/policy`) and a user's own password change
//! (`POST /auth/password`), which is also the way out of an expired password.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use persistence::users::{self, PasswordChange};
use persistence::{Actor, ActorKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::{Validate, ValidationError, ValidationErrors};

use crate::auth::principal::request_id;
use crate::auth::secrets::hash_password;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{validation_error, ValidJson};
use crate::routes::auth::authenticate;
use crate::routes::users::check_password_field;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasswordPolicyDto {
    /// The shortest password accepted.
    pub min_length: usize,
    pub max_length: usize,
    /// How many of the four classes (lower-case, upper-case, digits, other characters) it mixes.
    pub min_classes: u8,
    /// Days a password may be used before it must be changed; 0: no limit.
    pub max_age_days: u32,
    /// A new password may not repeat any of this many recent ones (the current included).
    pub history: u8,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionPolicyDto {
    /// Minutes without a refresh after which a session ends; 0: no idle limit.
    pub idle_minutes: u32,
    /// Seconds an access token lives; also the longest a deactivated account's token still works.
    pub access_token_seconds: i64,
    /// Days a session lasts at most.
    pub max_days: u32,
    /// Failed logins in a row before the account is locked (1, 2, 4 … up to 60 minutes).
    pub failures_before_lock: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountPolicyDto {
    pub password: PasswordPolicyDto,
    pub session: SessionPolicyDto,
}

/// The deployment's password and session rules, for a login or password form to show.
#[utoipa::path(
    operation_id = "get_account_policy",
    tag = "auth",
    responses((status = 200, description = "The rules", body = AccountPolicyDto)),
    security(())
)]
#[get("/auth/policy")]
pub async fn account_policy(state: web::Data<AppState>) -> HttpResponse {
    let rules = &state.accounts;
    HttpResponse::Ok().json(AccountPolicyDto {
        password: PasswordPolicyDto {
            min_length: rules.password.min_chars.max(domain::accounts::PASSWORD_FLOOR_CHARS),
            max_length: domain::accounts::PASSWORD_MAX_CHARS,
            min_classes: rules.password.min_classes,
            max_age_days: rules.password.max_age_days,
            history: rules.password.history,
        },
        session: SessionPolicyDto {
            idle_minutes: rules.session.idle_minutes,
            access_token_seconds: rules.session.access_token_seconds(),
            max_days: rules.session.refresh_days,
            failures_before_lock: domain::accounts::FAILURES_BEFORE_LOCK,
        },
    })
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "zhang.san")]
    pub username: String,
    #[validate(length(min = 1, max = 1024))]
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    /// As the policy asks (`GET /api/v1/auth/policy`), and none of the recent passwords.
    #[validate(length(max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Change one's own password with the current one. Works when the password has expired
/// (login answers 403 `password_expired`); counts as a login attempt for the back-off and the
/// address budget. Every session of the account ends: log in again with the new password.
#[utoipa::path(
    operation_id = "change_own_password",
    tag = "auth",
    request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Changed; every session of the account has ended"),
        (status = 401, description = "Wrong username or current password", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password breaks the policy (`password_too_short`, `password_too_simple`, `password_equals_username`, `password_reused`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures (`Retry-After`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[post("/auth/password")]
pub async fn change_own(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<PasswordChangeRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let now = Utc::now();
    let policy = state.accounts.password;
    // The rule needs no secret, so it is checked before the attempt is counted.
    check_password_field(&policy, "new_password", &body.username, &body.new_password)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let user = authenticate(&state, &req, &mut conn, &body.username, body.current_password, now).await?;
    // The current password is always among those refused; the history adds the ones before it.
    let recent = users::recent_password_hashes(&mut conn, user.id, policy.history.max(1)).await?;
    // No connection is held through the (up to 24) hash checks.
    drop(conn);
    if reuses_any(recent, body.new_password.clone()).await? {
        let mut errors = ValidationErrors::new();
        errors.add("new_password", ValidationError::new("password_reused"));
        return Err(validation_error(errors));
    }
    let hash = hash_password(body.new_password).await?;
    let actor = Actor { kind: ActorKind::User, id: Some(user.id), request_id: request_id(&req) };
    let mut conn = persistence::connection(&state.pool).await?;
    let change = PasswordChange::OwnChange { replacing: &user.password_hash };
    match users::set_password(&mut conn, &actor, user.id, &hash, change).await {
        Err(persistence::StoreError::Refused("password_changed_meanwhile")) => {
            Err(ApiError::unauthenticated("invalid_credentials"))
        }
        other => other.map(|()| HttpResponse::NoContent().finish()).map_err(Into::into),
    }
}

/// Whether `password` matches any of `hashes`, checked in one blocking task off the async threads.
async fn reuses_any(hashes: Vec<String>, password: String) -> ApiResult<bool> {
    actix_web::web::block(move || {
        hashes.iter().any(|hash| crate::auth::secrets::verify_password_blocking(hash, &password))
    })
    .await
    .map_err(|_| ApiError::internal())
}
