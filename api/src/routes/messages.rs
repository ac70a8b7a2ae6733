//! Participation channels (seed §5.3): anyone writes to an organization's hotline or leader mailbox
//! (`POST /api/v1/public/messages`), its openness officer answers by the due date
//! (`/api/v1/messages`), and answered messages whose senders agreed are published by the officer's
//! decision, in texts the officer may redact (`GET /api/v1/public/messages`), never with the
//! sender's name or contact.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use domain::Role;
use persistence::messages::{self as store, Message, NewMessage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::request_id;
use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::ValidJson;
use crate::http::pagination::{Page, PageParams};
use crate::http::throttle;
use crate::routes::documents::shanghai_today;
use crate::routes::not_blank;
use crate::routes::staff_scope;
use crate::state::AppState;

#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    pub organization_id: Uuid,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "关于村道路灯维修的建议")]
    pub subject: String,
    #[validate(length(min = 5, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 5, max_length = 10000)]
    pub body: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Phone or e-mail for the answer; sealed, seen only by the organization's openness officers.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub contact: Option<String>,
    /// The sender agrees that the message and its answer may be published (without name or
    /// contact); the openness officer decides and may redact.
    #[serde(default)]
    pub publish_consent: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageReceipt {
    pub id: Uuid,
    pub receipt_code: String,
    pub received_on: NaiveDate,
    /// The answer is due by this day (a county setting of working days).
    pub due_on: NaiveDate,
}

/// Writes to an organization (anonymous; limited per client address).
#[utoipa::path(operation_id = "send_public_message", tag = "public", security(()), request_body = MessageInput, responses((status = 201, description = "Received", body = MessageReceipt), (status = 429, description = "Too many messages from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/messages")]
pub async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<MessageInput>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let mut conn = persistence::connection(&state.pool).await?;
    let limit = store::settings(&mut conn).await?.messages_per_address_per_hour;
    throttle::claim_hourly_for_address(&mut conn, &req, "public-message", limit, now).await?;
    let input = body.0;
    let trim = throttle::trimmed;
    let new = NewMessage {
        organization_id: input.organization_id,
        subject: input.subject.trim().to_owned(),
        body: input.body.trim().to_owned(),
        sender_name: trim(input.name),
        contact: trim(input.contact),
        publish_consent: input.publish_consent,
    };
    let message = store::receive(&mut conn, &state.sealer, &new, shanghai_today(now), request_id(&req)).await?;
    let receipt = MessageReceipt {
        id: message.id,
        receipt_code: message.receipt_code,
        received_on: message.received_on,
        due_on: message.due_on,
    };
    Ok(HttpResponse::Created().json(receipt))
}

/// A published message and its answer, as the officer published them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicMessage {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub subject: String,
    pub body: String,
    pub reply_text: String,
    pub received_on: NaiveDate,
    pub replied_on: Option<NaiveDate>,
    pub published_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicMessageQuery {
    pub org: Option<Uuid>,
}

/// Answered messages an officer published with their senders' consent, newest first.
#[utoipa::path(operation_id = "list_public_messages", tag = "public", security(()), params(PublicMessageQuery, PageParams), responses((status = 200, description = "A page", body = Page<PublicMessage>)))]
#[get("/messages")]
pub async fn published(
    state: web::Data<AppState>,
    query: web::Query<PublicMessageQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = store::published(&mut conn, query.org, page.after_id()?, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |m| m.id,
        |m: Message| PublicMessage {
            id: m.id,
            organization_id: m.organization_id,
            subject: m.published_subject.unwrap_or_default(),
            body: m.published_body.unwrap_or_default(),
            reply_text: m.published_reply.unwrap_or_default(),
            received_on: m.received_on,
            replied_on: m.replied_on,
            published_at: m.published_at.unwrap_or(m.created_at),
        },
    )))
}

/// A message as staff see it; the contact only for the organization's openness officers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StaffMessage {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub receipt_code: String,
    pub subject: String,
    pub body: String,
    pub sender_name: Option<String>,
    pub contact: Option<String>,
    pub publish_consent: bool,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    /// `received` or `replied`.
    pub status: String,
    pub reply_text: Option<String>,
    pub replied_on: Option<NaiveDate>,
    /// Answered after the due date.
    pub late: bool,
    /// What the public sees, once an officer published it.
    pub published_subject: Option<String>,
    pub published_body: Option<String>,
    pub published_reply: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn staff_view(state: &AppState, m: Message, officer: bool) -> ApiResult<StaffMessage> {
    let contact = if officer { m.contact(&state.sealer)? } else { None };
    let today = shanghai_today(Utc::now());
    Ok(StaffMessage {
        late: domain::participation::reply_late(m.due_on, m.replied_on.unwrap_or(today)),
        published_subject: m.published_subject,
        published_body: m.published_body,
        published_reply: m.published_reply,
        published_at: m.published_at,
        id: m.id,
        organization_id: m.organization_id,
        receipt_code: m.receipt_code,
        subject: m.subject,
        body: m.body,
        sender_name: m.sender_name,
        contact,
        publish_consent: m.publish_consent,
        received_on: m.received_on,
        due_on: m.due_on,
        status: m.status,
        reply_text: m.reply_text,
        replied_on: m.replied_on,
        created_at: m.created_at,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StaffMessageQuery {
    /// Only messages still unanswered after their due date.
    pub overdue: Option<bool>,
    /// Only answered messages whose senders agreed and that are not published yet.
    pub awaiting_publication: Option<bool>,
}

/// Messages to the caller's organization (the county's for the government office), newest first.
#[utoipa::path(operation_id = "list_messages", tag = "messages", params(StaffMessageQuery, PageParams), responses((status = 200, description = "A page", body = Page<StaffMessage>)))]
#[get("/messages")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<StaffMessageQuery>,
    page: web::Query<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.pool).await?;
    let orgs = staff_scope::listable(&mut conn, &auth.principal).await?;
    let filter = store::MessageFilter {
        overdue_on: query.overdue.unwrap_or(false).then(|| shanghai_today(Utc::now())),
        awaiting_publication: query.awaiting_publication.unwrap_or(false),
    };
    let rows = store::list(&mut conn, orgs.as_deref(), filter, page.after_id()?, i64::from(limit) + 1).await?;
    let (rows, more) = crate::http::pagination::split(rows, limit);
    let mut items = Vec::new();
    for m in rows {
        let officer = staff_scope::is_openness_officer_of(&auth.principal, m.organization_id);
        items.push(staff_view(&state, m, officer)?);
    }
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(Page::after_split(
        items,
        more,
        |i| i.id,
    )))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub reply_text: String,
}

/// Answers a message once (the organization's openness officer).
#[utoipa::path(operation_id = "reply_message", tag = "messages", params(("id" = Uuid, Path, description = "Message id")), request_body = ReplyInput, responses((status = 200, description = "The message", body = StaffMessage)))]
#[post("/messages/{id}/reply")]
pub async fn reply(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<ReplyInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    officers_message(&mut conn, &auth, *id).await?;
    let today = shanghai_today(Utc::now());
    let replied = store::reply(&mut conn, &auth.actor(), *id, body.0.reply_text.trim(), today).await?;
    let view = staff_view(&state, replied, true)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(view))
}

async fn officers_message(conn: &mut persistence::PooledConnection, auth: &Auth, id: Uuid) -> ApiResult<Message> {
    let message = store::get(conn, id).await?;
    if !staff_scope::sees(conn, &auth.principal, message.organization_id).await? {
        return Err(ApiError::not_found());
    }
    if !staff_scope::is_openness_officer_of(&auth.principal, message.organization_id) {
        return Err(ApiError::forbidden());
    }
    Ok(message)
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicationInput {
    /// The subject as published; defaults to the original.
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub subject: Option<String>,
    /// The message as published, with third parties' data or abuse removed; defaults to the original.
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub body: Option<String>,
    /// The answer as published; defaults to the answer given.
    #[validate(length(min = 1, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub reply_text: Option<String>,
}

/// Publishes an answered message whose sender agreed, in texts the officer may redact, or replaces the published texts; 409 `message_publication_not_consented` or `message_not_replied`.
#[utoipa::path(operation_id = "publish_message", tag = "messages", params(("id" = Uuid, Path, description = "Message id")), request_body = PublicationInput, responses((status = 200, description = "The message", body = StaffMessage)))]
#[post("/messages/{id}/publication")]
pub async fn publish(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<PublicationInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let message = officers_message(&mut conn, &auth, *id).await?;
    let input = body.0;
    let or_original =
        |given: Option<String>, original: &str| given.map_or_else(|| original.to_owned(), |t| t.trim().to_owned());
    let texts = store::Publication {
        subject: or_original(input.subject, &message.subject),
        body: or_original(input.body, &message.body),
        reply: or_original(input.reply_text, message.reply_text.as_deref().unwrap_or_default()),
    };
    let saved = store::publish(&mut conn, &auth.actor(), *id, &texts, Utc::now()).await?;
    let view = staff_view(&state, saved, true)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(view))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    #[validate(length(min = 1, max = 1000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 1000, example = "留言人撤回同意公开")]
    pub reason: String,
}

/// Takes a published message down, with the reason; 409 `message_not_published`.
#[utoipa::path(operation_id = "withdraw_message_publication", tag = "messages", params(("id" = Uuid, Path, description = "Message id")), request_body = WithdrawInput, responses((status = 200, description = "The message", body = StaffMessage)))]
#[post("/messages/{id}/withdraw-publication")]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: ValidJson<WithdrawInput>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    officers_message(&mut conn, &auth, *id).await?;
    let withdrawn = store::withdraw(&mut conn, &auth.actor(), *id, body.0.reason.trim()).await?;
    let view = staff_view(&state, withdrawn, true)?;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "private, no-store")).json(view))
}

/// The county's settings for messages.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipationSettingsDto {
    /// Working days to answer a message (default 10).
    #[validate(range(min = 1, max = 60))]
    #[schema(minimum = 1, maximum = 60)]
    pub message_reply_working_days: i32,
    /// Public messages per client address per hour (default 10).
    #[validate(range(min = 1, max = 10000))]
    #[schema(minimum = 1, maximum = 10000)]
    pub messages_per_address_per_hour: i32,
}

/// Replaces the message settings (system_admin); messages already received keep their due dates.
#[utoipa::path(operation_id = "put_participation_settings", tag = "messages", request_body = ParticipationSettingsDto, responses((status = 200, description = "Settings", body = ParticipationSettingsDto)))]
#[put("/participation-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: ValidJson<ParticipationSettingsDto>,
) -> ApiResult<HttpResponse> {
    if !auth.principal.has_role(Role::SystemAdmin) {
        return Err(ApiError::forbidden());
    }
    let new = store::ParticipationSettings {
        message_reply_working_days: body.0.message_reply_working_days,
        messages_per_address_per_hour: body.0.messages_per_address_per_hour,
    };
    let mut conn = persistence::connection(&state.pool).await?;
    let saved = store::put_settings(&mut conn, &auth.actor(), new).await?;
    Ok(HttpResponse::Ok().json(ParticipationSettingsDto {
        message_reply_working_days: saved.message_reply_working_days,
        messages_per_address_per_hour: saved.messages_per_address_per_hour,
    }))
}
