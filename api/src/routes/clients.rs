//! `/api/v1/oauth-clients`: machine clients (system_admin). The secret is shown once, at creation
//! or rotation, and stored only as a hash.

use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::{Action, Scope};
use persistence::clients::{self, Client, ClientFields};
use persistence::{organizations, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::auth::secrets::{random_token, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::not_blank;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientDto {
    /// The `client_id` for `/api/v1/oauth/token`.
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub organization_id: Option<Uuid>,
    pub is_active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Client> for ClientDto {
    fn from(c: Client) -> Self {
        ClientDto {
            id: c.id,
            name: c.name,
            scopes: c.scopes,
            organization_id: c.organization_id,
            is_active: c.is_active,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A client with its secret: returned once, never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClientWithSecret {
    #[serde(flatten)]
    pub client: ClientDto,
    pub client_secret: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "楚雄州政务公开平台")]
    pub name: String,
    #[validate(length(min = 1, max = 9))]
    #[schema(min_items = 1, max_items = 9)]
    pub scopes: Vec<Scope>,
    /// The organization the client acts for, if any.
    pub organization_id: Option<Uuid>,
    /// Defaults to true.
    pub is_active: Option<bool>,
}

impl ClientInput {
    fn into_fields(self) -> ClientFields {
        ClientFields {
            name: self.name.trim().to_owned(),
            scopes: self.scopes,
            organization_id: self.organization_id,
            is_active: self.is_active.unwrap_or(true),
        }
    }
}

async fn check_organization(conn: &mut persistence::PooledConnection, organization_id: Option<Uuid>) -> ApiResult<()> {
    let Some(id) = organization_id else { return Ok(()) };
    match organizations::get(conn, id).await {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound) => {
            Err(ApiError::field("organization_id", "not_found", "机关不存在", "The organization does not exist"))
        }
        Err(other) => Err(other.into()),
    }
}

/// A response with a secret must not be cached, nor kept for idempotent replay.
pub(crate) fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn new_secret() -> String {
    format!("gks_{}", random_token(32))
}

/// List machine clients (system_admin).
#[utoipa::path(operation_id = "list_oauth_clients", tag = "oauth-clients", params(PageParams), responses((status = 200, description = "A page of clients", body = Page<ClientDto>)))]
#[get("/oauth-clients")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let limit = page.limit()?;
    let after = page.after_id()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let rows = clients::list(&mut conn, after, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |c| c.id, ClientDto::from)))
}

/// Register a machine client (system_admin). The response holds the secret, shown only this once.
#[utoipa::path(operation_id = "create_oauth_client", tag = "oauth-clients", request_body = ClientInput, responses((status = 201, description = "Created; keep the secret", body = ClientWithSecret)))]
#[post("/oauth-clients")]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: ValidJson<ClientInput>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let mut conn = persistence::connection(&state.pool).await?;
    check_organization(&mut conn, body.0.organization_id).await?;
    let secret = new_secret();
    let client = clients::create(&mut conn, &auth.actor(), body.0.into_fields(), &sha256_hex(&secret)).await?;
    let location = format!("/api/v1/oauth-clients/{}", client.id);
    let version = client.version;
    Ok(no_store(created_with_etag(
        &ClientWithSecret { client: client.into(), client_secret: secret },
        version,
        &location,
    )))
}

/// Get one machine client (system_admin).
#[utoipa::path(operation_id = "get_oauth_client", tag = "oauth-clients", params(("id" = Uuid, Path, description = "Client id")), responses((status = 200, description = "The client", body = ClientDto)))]
#[get("/oauth-clients/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let client = clients::get(&mut conn, *id).await?;
    let version = client.version;
    Ok(ok_with_etag(&ClientDto::from(client), version))
}

/// Replace a client's name, scopes, organization and active flag (system_admin).
#[utoipa::path(operation_id = "update_oauth_client", 
    tag = "oauth-clients",
    params(("id" = Uuid, Path, description = "Client id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = ClientInput,
    responses((status = 200, description = "Updated", body = ClientDto))
)]
#[put("/oauth-clients/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<ClientInput>,
) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let expected = expected_version(&req)?;
    let mut conn = persistence::connection(&state.pool).await?;
    check_organization(&mut conn, body.0.organization_id).await?;
    let client = clients::update(&mut conn, &auth.actor(), *id, expected, body.0.into_fields()).await?;
    let version = client.version;
    Ok(ok_with_etag(&ClientDto::from(client), version))
}

/// Revoke a machine client (system_admin): it can no longer obtain tokens.
#[utoipa::path(operation_id = "delete_oauth_client", tag = "oauth-clients", params(("id" = Uuid, Path, description = "Client id")), responses((status = 204, description = "Revoked")))]
#[delete("/oauth-clients/{id}")]
pub async fn remove(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let mut conn = persistence::connection(&state.pool).await?;
    clients::deactivate(&mut conn, &auth.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new secret for a client (system_admin); the old one stops working at once.
#[utoipa::path(operation_id = "rotate_oauth_client_secret", tag = "oauth-clients", params(("id" = Uuid, Path, description = "Client id")), responses((status = 200, description = "The client with its new secret", body = ClientWithSecret)))]
#[post("/oauth-clients/{id}/rotate-secret")]
pub async fn rotate_secret(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.authorize(Action::ManageClients)?;
    let secret = new_secret();
    let mut conn = persistence::connection(&state.pool).await?;
    let client = clients::set_secret(&mut conn, &auth.actor(), *id, &sha256_hex(&secret)).await?;
    let version = client.version;
    Ok(no_store(ok_with_etag(&ClientWithSecret { client: client.into(), client_secret: secret }, version)))
}
