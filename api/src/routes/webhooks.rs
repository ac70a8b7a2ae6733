//! `/api/v1/webhook-subscriptions` and `/api/v1/webhook-deliveries`: machine clients with
//! `webhooks:manage` subscribe to change-feed events and watch, and replay, their deliveries;
//! the system administrator manages every client's. Delivery itself is `crate::webhooks`.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::webhooks::{subscribed_events, DeliveryStatus, WebhookEvent};
use domain::{Principal, Role, Scope};
use persistence::webhooks::{self, Attempt, Delivery, NewSubscription, Subscription, SubscriptionFields};
use persistence::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::conditional::{created_with_etag, expected_version, ok_with_etag};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::routes::clients::no_store;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionDto {
    pub id: Uuid,
    /// The machine client that receives the events.
    pub client_id: Uuid,
    #[schema(example = "https://zwgk.example.gov.cn/hooks/gongkai")]
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub is_active: bool,
    /// The last change-feed number queued for this subscription.
    pub outbox_cursor: i64,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionDto {
    fn from(s: Subscription) -> Self {
        SubscriptionDto {
            id: s.id,
            client_id: s.client_id,
            url: s.url,
            events: s.events.iter().filter_map(|e| e.parse().ok()).collect(),
            is_active: s.is_active,
            outbox_cursor: s.outbox_cursor,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A subscription with its signing secret: returned once, at creation or rotation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionWithSecret {
    #[serde(flatten)]
    pub subscription: SubscriptionDto,
    /// `whsec_` and the base64 of the HMAC-SHA256 key (Standard Webhooks).
    pub secret: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// Where deliveries are POSTed: `https`, or `http` where private targets are allowed.
    #[validate(length(min = 8, max = 2000))]
    #[schema(min_length = 8, max_length = 2000, example = "https://zwgk.example.gov.cn/hooks/gongkai")]
    pub url: String,
    #[validate(length(min = 1, max = 20))]
    #[schema(min_items = 1, max_items = 20)]
    pub events: Vec<WebhookEvent>,
    /// Defaults to true (on update too: send `false` to keep it inactive). An inactive
    /// subscription queues nothing; reactivated, it catches up on every change it missed.
    pub is_active: Option<bool>,
    /// The receiving client: the caller itself for a machine client; required for the system
    /// administrator. Only at creation.
    pub client_id: Option<Uuid>,
    /// Also deliver the changes after this change-feed number (backfill). Default: only
    /// changes from now on. Only at creation.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub start_after: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryDto {
    /// Also the `webhook-id` header: stable across retries and replays, for de-duplication.
    pub id: Uuid,
    pub subscription_id: Uuid,
    /// The change-feed number of the change delivered.
    pub seq: i64,
    pub event: WebhookEvent,
    pub status: DeliveryStatus,
    /// Attempts since the delivery was created or last replayed.
    pub attempts: i32,
    /// When a pending delivery is next tried.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryDto {
    fn of(d: Delivery) -> ApiResult<Self> {
        let unreadable = |_| ApiError::internal();
        let status: DeliveryStatus = d.status.parse().map_err(unreadable)?;
        Ok(DeliveryDto {
            id: d.id,
            subscription_id: d.subscription_id,
            seq: d.outbox_seq,
            event: d.event.parse().map_err(unreadable)?,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            status,
            attempts: d.attempts,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttemptDto {
    /// Counts every attempt of the delivery, across replays.
    pub number: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    /// The receiver's HTTP status; null when it gave none.
    pub response_status: Option<i32>,
    /// What went wrong, when something did.
    pub error: Option<String>,
}

impl From<Attempt> for AttemptDto {
    fn from(a: Attempt) -> Self {
        AttemptDto {
            number: a.number,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            response_status: a.response_status,
            error: a.error,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryDto,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub attempts_made: Vec<AttemptDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `dead` lists the dead letters.
    pub status: Option<DeliveryStatus>,
    /// Items per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The client whose subscriptions the caller manages: its own for a machine client with
/// `webhooks:manage`, every client's (`None`) for the system administrator.
fn managed_client(auth: &Auth) -> ApiResult<Option<Uuid>> {
    match &auth.principal {
        Principal::Client { client_id, .. } if auth.principal.has_scope(Scope::WebhooksManage) => Ok(Some(*client_id)),
        p if p.has_role(Role::SystemAdmin) => Ok(None),
        _ => Err(ApiError::forbidden()),
    }
}

/// The subscription, if the caller manages it (404 otherwise).
async fn managed_subscription(
    conn: &mut persistence::PooledConnection,
    auth: &Auth,
    id: Uuid,
) -> ApiResult<Subscription> {
    let client = managed_client(auth)?;
    let subscription = webhooks::get(conn, id).await?;
    if client.is_some_and(|c| c != subscription.client_id) {
        return Err(ApiError::not_found());
    }
    Ok(subscription)
}

/// The receiver's URL, checked: absolute, `https` (or `http` where private targets are allowed),
/// no credentials or fragment, and not a literal non-public address unless allowed.
fn checked_url(state: &AppState, raw: &str) -> ApiResult<String> {
    let refuse = |code: &str, zh: &str, en: &str| Err(ApiError::field("url", code, zh, en));
    let Ok(url) = reqwest::Url::parse(raw.trim()) else {
        return refuse("invalid_url", "不是有效的网址", "Not a valid absolute URL");
    };
    let allow_private = state.webhooks.allow_private_targets;
    let scheme_ok = url.scheme() == "https" || (allow_private && url.scheme() == "http");
    if !scheme_ok {
        return refuse("https_required", "接收地址须使用 https", "The receiver must use https");
    }
    if url.host_str().is_none_or(str::is_empty) || !url.username().is_empty() || url.password().is_some() {
        return refuse(
            "invalid_url",
            "网址须有主机名，且不含用户名或密码",
            "The URL needs a host and no user name or password",
        );
    }
    if url.fragment().is_some() {
        return refuse("invalid_url", "网址不能含片段（#）", "The URL cannot have a fragment (#)");
    }
    if crate::webhooks::literal_target_refused(&url, allow_private).is_some() {
        return refuse(
            "private_target",
            "接收地址不能是内网或保留地址",
            "The receiver cannot be a private or reserved address",
        );
    }
    let normalized = url.to_string();
    // The stored form, after punycode and percent-encoding, must fit the column.
    if normalized.len() > 2000 {
        return refuse("too_long", "网址过长（最多 2000 个字符）", "The URL is too long (at most 2,000 characters)");
    }
    Ok(normalized)
}

fn events_of(requested: Vec<WebhookEvent>) -> ApiResult<Vec<String>> {
    let events = subscribed_events(requested)
        .ok_or_else(|| ApiError::field("events", "required", "至少订阅一种事件", "Subscribe to at least one event"))?;
    Ok(events.into_iter().map(|e| e.as_str().to_owned()).collect())
}

/// The client a new subscription is for, checked.
async fn receiving_client(
    conn: &mut persistence::PooledConnection,
    caller: Option<Uuid>,
    requested: Option<Uuid>,
) -> ApiResult<Uuid> {
    let id = match (caller, requested) {
        (Some(own), None) => return Ok(own),
        (Some(own), Some(asked)) if asked == own => return Ok(own),
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                "client_id",
                "other_client",
                "只能为本客户端订阅",
                "A client can subscribe only for itself",
            ))
        }
        (None, None) => {
            return Err(ApiError::field("client_id", "required", "须指定接收的客户端", "Name the receiving client"))
        }
        (None, Some(asked)) => asked,
    };
    let client = match persistence::clients::get(conn, id).await {
        Ok(client) => client,
        Err(StoreError::NotFound) => {
            return Err(ApiError::field("client_id", "not_found", "客户端不存在", "The client does not exist"))
        }
        Err(other) => return Err(other.into()),
    };
    if !client.scopes.contains(&Scope::WebhooksManage) {
        return Err(ApiError::field(
            "client_id",
            "scope_missing",
            "该客户端没有 webhooks:manage 权限",
            "The client does not hold the webhooks:manage scope",
        ));
    }
    Ok(id)
}

/// Subscribe a machine client to change-feed events. The response holds the signing secret, shown
/// only this once.
#[utoipa::path(operation_id = "create_webhook_subscription", tag = "webhooks", request_body = SubscriptionInput,
    responses((status = 201, description = "Subscribed; keep the secret", body = SubscriptionWithSecret)))]
#[post("/webhook-subscriptions")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<SubscriptionInput>,
) -> ApiResult<HttpResponse> {
    let caller = managed_client(&auth)?;
    let input = body.0;
    let url = checked_url(&state, &input.url)?;
    let events = events_of(input.events)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let client_id = receiving_client(&mut conn, caller, input.client_id).await?;
    let (secret, secret_sealed) = crate::webhooks::new_secret(&state.sealer);
    let new = NewSubscription {
        id: Uuid::now_v7(),
        client_id,
        url,
        events,
        secret_sealed,
        start_after: input.start_after,
        is_active: input.is_active.unwrap_or(true),
    };
    let subscription = webhooks::create(&mut conn, &auth.actor(), new).await?;
    let location = format!("/api/v1/webhook-subscriptions/{}", subscription.id);
    let version = subscription.version;
    let body = SubscriptionWithSecret { subscription: subscription.into(), secret };
    Ok(no_store(created_with_etag(&body, version, &location)))
}

/// The caller's subscriptions (every client's for the system administrator).
#[utoipa::path(operation_id = "list_webhook_subscriptions", tag = "webhooks", params(PageParams),
    responses((status = 200, description = "A page of subscriptions", body = Page<SubscriptionDto>)))]
#[get("/webhook-subscriptions")]
pub async fn list(state: web::Data<AppState>, auth: Auth, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let client = managed_client(&auth)?;
    let limit = page.limit()?;
    let after = page.after_id()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let rows = webhooks::list(&mut conn, client, after, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |s| s.id, SubscriptionDto::from)))
}

/// One subscription.
#[utoipa::path(operation_id = "get_webhook_subscription", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = SubscriptionDto)))]
#[get("/webhook-subscriptions/{id}")]
pub async fn get(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let subscription = managed_subscription(&mut conn, &auth, *id).await?;
    let version = subscription.version;
    Ok(ok_with_etag(&SubscriptionDto::from(subscription), version))
}

/// Replace a subscription's URL, events and active flag (`client_id` and `start_after` are
/// creation-only and must be absent or unchanged).
#[utoipa::path(operation_id = "update_webhook_subscription", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id"), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = SubscriptionInput,
    responses((status = 200, description = "Updated", body = SubscriptionDto)))]
#[put("/webhook-subscriptions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ValidJson<SubscriptionInput>,
) -> ApiResult<HttpResponse> {
    let expected = expected_version(&req)?;
    let input = body.0;
    let url = checked_url(&state, &input.url)?;
    let events = events_of(input.events)?;
    let mut conn = persistence::connection(&state.pool).await?;
    let current = managed_subscription(&mut conn, &auth, *id).await?;
    if input.client_id.is_some_and(|c| c != current.client_id) {
        return Err(ApiError::field(
            "client_id",
            "immutable",
            "接收客户端不能更改",
            "The receiving client cannot change",
        ));
    }
    if input.start_after.is_some() {
        return Err(ApiError::field("start_after", "immutable", "只能在创建时指定", "Only given at creation"));
    }
    let fields = SubscriptionFields { url, events, is_active: input.is_active.unwrap_or(true) };
    let subscription = webhooks::update(&mut conn, &auth.actor(), *id, expected, fields).await?;
    let version = subscription.version;
    Ok(ok_with_etag(&SubscriptionDto::from(subscription), version))
}

/// Delete a subscription with its deliveries.
#[utoipa::path(operation_id = "delete_webhook_subscription", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 204, description = "Deleted")))]
#[delete("/webhook-subscriptions/{id}")]
pub async fn remove(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    managed_subscription(&mut conn, &auth, *id).await?;
    webhooks::delete(&mut conn, &auth.actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Issue a new signing secret; the next attempts are signed with it.
#[utoipa::path(operation_id = "rotate_webhook_secret", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription with its new secret", body = SubscriptionWithSecret)))]
#[post("/webhook-subscriptions/{id}/rotate-secret")]
pub async fn rotate_secret(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    managed_subscription(&mut conn, &auth, *id).await?;
    let (secret, sealed) = crate::webhooks::new_secret(&state.sealer);
    let subscription = webhooks::set_secret(&mut conn, &auth.actor(), *id, &sealed).await?;
    let version = subscription.version;
    Ok(no_store(ok_with_etag(&SubscriptionWithSecret { subscription: subscription.into(), secret }, version)))
}

/// A subscription's deliveries, oldest first; `?status=dead` is the dead-letter list.
#[utoipa::path(operation_id = "list_webhook_deliveries", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id"), DeliveriesQuery),
    responses((status = 200, description = "A page of deliveries", body = Page<DeliveryDto>)))]
#[get("/webhook-subscriptions/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    query: web::Query<DeliveriesQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let page = PageParams { limit: query.limit, cursor: query.cursor };
    let limit = page.limit()?;
    let after = page.after_id()?;
    let mut conn = persistence::connection(&state.pool).await?;
    managed_subscription(&mut conn, &auth, *id).await?;
    let status = query.status.map(DeliveryStatus::as_str);
    let rows = webhooks::deliveries(&mut conn, *id, status, after, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let items = rows.into_iter().map(DeliveryDto::of).collect::<ApiResult<Vec<_>>>()?;
    Ok(HttpResponse::Ok().json(Page::after_split(items, more, |d| d.id)))
}

/// The delivery a caller manages, with its subscription.
async fn managed_delivery(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Delivery> {
    let client = managed_client(auth)?;
    let delivery = webhooks::delivery(conn, id).await?;
    if client.is_some() {
        managed_subscription(conn, auth, delivery.subscription_id).await?;
    }
    Ok(delivery)
}

/// One delivery with every attempt made: when, how long, the receiver's status, what failed.
#[utoipa::path(operation_id = "get_webhook_delivery", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses((status = 200, description = "The delivery and its attempts", body = DeliveryDetail)))]
#[get("/webhook-deliveries/{id}")]
pub async fn get_delivery(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let delivery = managed_delivery(&mut conn, &auth, *id).await?;
    let change = webhooks::change_of(&mut conn, &delivery).await?;
    let attempts = webhooks::attempts(&mut conn, delivery.id).await?;
    Ok(HttpResponse::Ok().json(DeliveryDetail {
        delivery: DeliveryDto::of(delivery)?,
        entity_type: change.entity_type,
        entity_id: change.entity_id,
        attempts_made: attempts.into_iter().map(AttemptDto::from).collect(),
    }))
}

/// Send a delivered or dead delivery again, at once, with a fresh round of retries (409
/// `delivery_pending` while it is still being tried).
#[utoipa::path(operation_id = "replay_webhook_delivery", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses((status = 202, description = "Queued again", body = DeliveryDto)))]
#[post("/webhook-deliveries/{id}/replay")]
pub async fn replay(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    managed_delivery(&mut conn, &auth, *id).await?;
    let replayed = webhooks::replay(&mut conn, &auth.actor(), *id).await?;
    Ok(HttpResponse::Accepted().json(DeliveryDto::of(replayed)?))
}
