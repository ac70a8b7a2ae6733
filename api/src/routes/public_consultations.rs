//! `/api/v1/public/consultations`: what anyone sees of a consultation — the draft and its period,
//! every published comment, and once published the adoption results with their reasons and the
//! counts by result — and the anonymous comment intake while the period runs.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use domain::consultations::{AdoptionResult, ConsultationStatus};
use persistence::attachments::Owner;
use persistence::consultations::{self as store, ConsultationScope, NewComment};
use persistence::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::principal::request_id;
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::{Page, PageParams};
use crate::http::throttle;
use crate::routes::consultations::{ClusterDto, ConsultationDto};
use crate::routes::not_blank;
use crate::routes::public::PublicAttachment;
use crate::state::AppState;

/// A published comment; its result and reason once the results are published.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicComment {
    pub id: Uuid,
    pub text: String,
    /// Only when the commenter agreed and moderation did not withhold it.
    pub commenter_name: Option<String>,
    pub clause_ref: Option<String>,
    pub cluster_id: Option<Uuid>,
    pub result: Option<AdoptionResult>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultCount {
    pub result: AdoptionResult,
    pub comments: usize,
}

/// A consultation as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PublicConsultation {
    pub consultation: ConsultationDto,
    /// The files of the consultation (the draft, explanations …), downloadable at
    /// `/api/v1/public/attachments/{id}/content`.
    pub attachments: Vec<PublicAttachment>,
    /// Published comments (hidden ones are not shown; redacted ones show their redacted text).
    pub comments: Vec<PublicComment>,
    /// After publication: the clusters with their results and reasons.
    pub clusters: Vec<ClusterDto>,
    /// After publication: comments by adoption result.
    pub counts: Vec<ResultCount>,
}

/// Consultations open to or past the public (not drafts), newest first.
#[utoipa::path(operation_id = "list_public_consultations", tag = "public", security(()), params(PageParams), responses((status = 200, description = "A page", body = Page<ConsultationDto>)))]
#[get("/consultations")]
pub async fn list(state: web::Data<AppState>, page: web::Query<PageParams>) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let mut conn = persistence::connection(&state.public_reads).await?;
    let rows = store::list(&mut conn, &ConsultationScope::Public, None, page.after_id()?, i64::from(limit) + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |c| c.id, ConsultationDto::from)))
}

/// One consultation with its published comments, and its results once published.
#[utoipa::path(operation_id = "get_public_consultation", tag = "public", security(()), params(("id" = Uuid, Path, description = "Consultation id")), responses((status = 200, description = "The consultation", body = PublicConsultation)))]
#[get("/consultations/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let c = store::get(&mut conn, *id).await?;
    if c.stored_status == ConsultationStatus::Draft {
        return Err(ApiError::not_found());
    }
    let published = c.stored_status == ConsultationStatus::ResultsPublished;
    let comments = store::comments_of(&mut conn, *id, false)
        .await?
        .into_iter()
        .map(|row| PublicComment {
            id: row.id,
            text: row.public_text().to_owned(),
            commenter_name: row.public_name().map(str::to_owned),
            clause_ref: row.public_clause_ref().map(str::to_owned),
            cluster_id: row.cluster_id,
            result: row.result.as_deref().filter(|_| published).and_then(|r| persistence::error::parse_code(r).ok()),
            reason: row.reason.clone().filter(|_| published),
            created_at: row.created_at,
        })
        .collect();
    let (clusters, counts) = if published {
        let clusters = store::clusters_of(&mut conn, *id).await?.into_iter().map(Into::into).collect();
        let counts = store::counts(&mut conn, *id)
            .await?
            .into_iter()
            .map(|(result, comments)| ResultCount { result, comments })
            .collect();
        (clusters, counts)
    } else {
        (Vec::new(), Vec::new())
    };
    let attachments = persistence::public::attachments_of(&mut conn, Owner::Consultation(*id))
        .await?
        .into_iter()
        .map(PublicAttachment::from)
        .collect();
    let body = PublicConsultation { consultation: c.into(), attachments, comments, clusters, counts };
    Ok(HttpResponse::Ok().json(body))
}

/// A comment from anyone, with or without name and contact.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    #[validate(length(min = 2, max = 10000), custom(function = "not_blank"))]
    #[schema(min_length = 2, max_length = 10000, example = "建议将低保标准与物价指数挂钩，每年调整一次。")]
    pub text: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Phone or e-mail; kept sealed, seen only by the organization's openness officers.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub contact: Option<String>,
    /// Publish the name with the comment (by default it stays with the officers).
    #[serde(default)]
    pub publish_name: bool,
    /// The article or clause of the draft the comment is about.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "第十二条")]
    pub clause_ref: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentReceipt {
    pub id: Uuid,
    /// Quote it to find the comment and its result later.
    pub receipt_code: String,
    pub created_at: DateTime<Utc>,
}

/// Comments on an open consultation; after the period → 409 `consultation_closed`. Limited per client address (429).
#[utoipa::path(operation_id = "comment_on_consultation", tag = "public", security(()), params(("id" = Uuid, Path, description = "Consultation id")), request_body = CommentInput, responses((status = 201, description = "Received", body = CommentReceipt), (status = 429, description = "Too many comments from this address", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/comments")]
pub async fn comment(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: crate::http::extract::ValidJson<CommentInput>,
) -> ApiResult<HttpResponse> {
    let now = Utc::now();
    let mut conn = persistence::connection(&state.pool).await?;
    let limit = store::settings(&mut conn).await?.comments_per_address_per_hour;
    throttle::claim_hourly_for_address(&mut conn, &req, "consultation-comment", limit, now).await?;
    let input = body.0;
    let trim = throttle::trimmed;
    let new = NewComment {
        body: input.text.trim().to_owned(),
        commenter_name: trim(input.name),
        contact: trim(input.contact),
        clause_ref: trim(input.clause_ref),
        publish_name: input.publish_name,
    };
    let row =
        store::comment(&mut conn, &state.sealer, *id, &new, now, request_id(&req)).await.map_err(|e| match e {
            StoreError::Refused(
                code @ (domain::consultations::CONSULTATION_CLOSED | domain::consultations::NOT_OPEN_YET),
            ) => ApiError::conflict(code),
            other => other.into(),
        })?;
    let receipt = CommentReceipt { id: row.id, receipt_code: row.receipt_code, created_at: row.created_at };
    Ok(HttpResponse::Created().json(receipt))
}
