//! `/api/v1/users`: staff accounts (system_admin manages them).

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{Action, Role};
use persistence::users::{self, NewUser, User, UserChanges, UserFilter};
use persistence::{organizations, PooledConnection, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::auth::principal::Auth;
use crate::auth::secrets::hash_password;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::{validation_error, ValidJson};
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserDto {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    pub roles: Vec<Role>,
    pub is_active: bool,
    /// Set while the account is locked after failed logins.
    pub locked_until: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            organization_id: u.organization_id,
            roles: u.roles,
            is_active: u.is_active,
            locked_until: u.locked_until,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

pub fn validate_username(username: &str) -> Result<(), ValidationError> {
    if domain::accounts::is_valid_username(username) {
        Ok(())
    } else {
        Err(ValidationError::new("username_format"))
    }
}

/// 422 naming `field` unless `password` satisfies the deployment's policy.
pub fn check_password_field(
    policy: &domain::accounts::PasswordPolicy,
    field: &'static str,
    username: &str,
    password: &str,
) -> ApiResult<()> {
    domain::accounts::check_password(policy, username, password).map_err(|problem| {
        let mut error = ValidationError::new(password_code(problem));
        error.add_param("min".into(), &policy.min_chars.max(domain::accounts::PASSWORD_FLOOR_CHARS));
        error.add_param("classes".into(), &policy.min_classes);
        let mut errors = validator::ValidationErrors::new();
        errors.add(field, error);
        validation_error(errors)
    })
}

fn password_code(problem: domain::accounts::PasswordProblem) -> &'static str {
    use domain::accounts::PasswordProblem::*;
    match problem {
        TooShort => "password_too_short",
        TooLong => "password_too_long",
        EqualsUsername => "password_equals_username",
        TooSimple => "password_too_simple",
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    #[validate(custom(function = "validate_username"))]
    #[schema(min_length = 3, max_length = 64, pattern = "^[a-z0-9][a-z0-9._-]{2,63}$", example = "zhang.san")]
    pub username: String,
    /// Not the username; as long and as mixed as the deployment's policy asks
    /// (`GET /api/v1/auth/policy`; by default 10 characters mixing two of lower-case, upper-case,
    /// digits and other characters).
    #[validate(length(max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, example = "张三")]
    pub display_name: String,
    /// Required unless the user is a deployment-wide `system_admin`.
    pub organization_id: Option<Uuid>,
    #[validate(length(max = 7))]
    #[schema(max_items = 7)]
    pub roles: Vec<Role>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: String,
    pub organization_id: Option<Uuid>,
    #[validate(length(max = 7))]
    #[schema(max_items = 7)]
    pub roles: Vec<Role>,
    pub is_active: bool,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// As the deployment's password policy asks (`GET /api/v1/auth/policy`).
    #[validate(length(max = 128))]
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub organization_id: Option<Uuid>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Everyone but a deployment-wide system_admin works for an existing organization.
async fn check_organization(
    conn: &mut PooledConnection,
    organization_id: Option<Uuid>,
    roles: &[Role],
) -> ApiResult<()> {
    match organization_id {
        None if roles.contains(&Role::SystemAdmin) => Ok(()),
        None => Err(ApiError::field(
            "organization_id",
            "required",
            "除系统管理员外，用户须属于一个机关",
            "Required unless the user is a system_admin",
        )),
        Some(id) => match organizations::get(conn, id).await {
            Ok(_) => Ok(()),
            Err(StoreError::NotFound) => {
                Err(ApiError::field("organization_id", "not_found", "机关不存在", "The organization does not exist"))
            }
            Err(other) => Err(other.into()),
        },
    }
}

/// List staff accounts (system_admin).
#[utoipa::path(operation_id = "list_users", tag = "users", params(UserQuery, PageParams), responses((status = 200, description = "A page of users", body = Page<UserDto>)))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    filter: web::Query<UserQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadUsers)?;
    let limit = page.limit()?;
    let after = page.after_id()?;
    let filter = UserFilter { organization_id: filter.organization_id, role: filter.role, is_active: filter.is_active };
    let mut conn = persistence::connection(&state.pool).await?;
    let rows = users::list(&mut conn, &filter, after, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |u| u.id, UserDto::from)))
}

/// Create a staff account (system_admin).
#[utoipa::path(operation_id = "create_user", tag = "users", request_body = UserCreate, responses((status = 201, description = "Created", body = UserDto)))]
#[post("/users")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<UserCreate>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageUsers)?;
    let input = body.0;
    check_password_field(&state.accounts.password, "password", &input.username, &input.password)?;
    let mut conn = persistence::connection(&state.pool).await?;
    check_organization(&mut conn, input.organization_id, &input.roles).await?;
    let password_hash = hash_password(input.password).await?;
    let new = NewUser {
        username: input.username,
        password_hash,
        display_name: input.display_name.trim().to_owned(),
        organization_id: input.organization_id,
        roles: input.roles,
    };
    let created = users::create(&mut conn, &auth.actor(), new).await?;
    let location = format!("/api/v1/users/{}", created.id);
    let version = created.version;
    Ok(created_with_etag(&UserDto::from(created), version, &location))
}

/// Get one staff account (system_admin).
#[utoipa::path(operation_id = "get_user", tag = "users", params(("id" = Uuid, Path, description = "User id")), responses((status = 200, description = "The user", body = UserDto)))]
#[get("/users/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ReadUsers)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let user = users::get(&mut conn, *id).await?;
    let version = user.version;
    Ok(ok_with_etag(&UserDto::from(user), version))
}

/// Replace a staff account's profile, roles and active flag (system_admin). Deactivating ends its sessions.
#[utoipa::path(operation_id = "update_user", 
    tag = "users",
    params(("id" = Uuid, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UserUpdate,
    responses((status = 200, description = "Updated", body = UserDto))
)]
#[put("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<UserUpdate>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageUsers)?;
    let expected = expected_version(&req)?;
    let input = body.0;
    let mut conn = persistence::connection(&state.pool).await?;
    check_organization(&mut conn, input.organization_id, &input.roles).await?;
    let changes = UserChanges {
        display_name: input.display_name.trim().to_owned(),
        organization_id: input.organization_id,
        roles: input.roles,
        is_active: input.is_active,
    };
    let updated = users::update(&mut conn, &auth.actor(), *id, expected, changes).await?;
    let version = updated.version;
    Ok(ok_with_etag(&UserDto::from(updated), version))
}

/// Deactivate a staff account (system_admin): it can no longer log in, its sessions end, its history stays.
#[utoipa::path(operation_id = "delete_user", 
    tag = "users",
    params(("id" = Uuid, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses((status = 204, description = "Deactivated"))
)]
#[delete("/users/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageUsers)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    users::deactivate(&mut conn, &auth.actor(), *id, expected).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Set a new password for a staff account (system_admin); unlocks it and ends its sessions.
#[utoipa::path(operation_id = "reset_user_password", tag = "users", params(("id" = Uuid, Path, description = "User id")), request_body = PasswordReset, responses((status = 204, description = "Password set")))]
#[post("/users/{id}/reset-password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<PasswordReset>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageUsers)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let user = users::get(&mut conn, *id).await?;
    check_password_field(&state.accounts.password, "password", &user.username, &body.0.password)?;
    let hash = hash_password(body.0.password).await?;
    users::set_password(&mut conn, &auth.actor(), *id, &hash, users::PasswordChange::Reset).await?;
    Ok(HttpResponse::NoContent().finish())
}
