//! Who may read and who may change the files of each kind of owner, and the endpoints of the owners
//! beyond documents: the reply of a disclosure request, an opinion release, a consultation.
//!
//! - Document, interpretation: their parties read them; the drafters change them while a draft.
//! - Request reply: the officers who handle the request (and the head of the openness office) read
//!   them, and they alone; the officers attach them while the request is open, before the reply,
//!   which gives them to the applicant (`/api/v1/public/disclosure-requests/{code}`, with the query
//!   token). Never public.
//! - Opinion release: whoever sees the incident reads them; the opinion officers who handle it
//!   attach them until the incident is evaluated. Public like the release itself.
//! - Consultation: the staff who see the consultation read them; its drafters and openness officers
//!   attach them while it is a draft. Public once it is opened.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpResponse};
use domain::consultations::ConsultationStatus;
use domain::document_access::DocumentAction;
use domain::documents::DocumentStatus;
use domain::interpretations::InterpretationStatus;
use domain::opinions::IncidentStatus;
use domain::request_access::{self, RequestView};
use domain::request_workflow::RequestAct;
use persistence::attachments::Owner;
use persistence::PooledConnection;
use uuid::Uuid;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::routes::attachments::{list, upload, AttachmentDto, AttachmentList, AttachmentUpload};
use crate::routes::documents::{is_party, require, visible, CallerContext};
use crate::routes::{consultations, opinions, requests};
use crate::state::AppState;

/// Whether the caller may read the files of `owner`; 404 (as for an unknown id) otherwise.
pub async fn may_read(conn: &mut PooledConnection, auth: &Auth, owner: Owner) -> ApiResult<()> {
    match owner {
        Owner::Document(id) => {
            let ctx = CallerContext::of(conn, auth).await?;
            visible(conn, &ctx, id).await?;
        }
        Owner::Interpretation(id) => {
            let ctx = CallerContext::of(conn, auth).await?;
            let interpretation = persistence::interpretations::get(conn, id).await?;
            let document = visible(conn, &ctx, interpretation.document_id).await?;
            if interpretation.status != InterpretationStatus::Published && !is_party(&ctx, &document) {
                return Err(ApiError::not_found());
            }
        }
        Owner::RequestReply(id) => {
            let (_, view) = requests::visible(conn, &auth.principal, id).await?;
            // The reply's files carry the applicant's data: only those who handle the request.
            if view != RequestView::Full {
                return Err(ApiError::not_found());
            }
        }
        Owner::OpinionRelease(id) => {
            let release = persistence::opinion_clocks::get_release(conn, id).await?;
            opinions::visible(conn, &auth.principal, release.incident_id).await?;
        }
        Owner::Consultation(id) => {
            consultations::visible(conn, &auth.principal, id).await?;
        }
    }
    Ok(())
}

/// Whether the caller may add files to `owner` (or remove them): 404 when they do not see it, 403
/// when they see it but may not change it, 409 when it no longer changes.
pub async fn may_change(conn: &mut PooledConnection, auth: &Auth, owner: Owner) -> ApiResult<()> {
    let principal = &auth.principal;
    match owner {
        Owner::Document(id) => {
            let ctx = CallerContext::of(conn, auth).await?;
            let document = visible(conn, &ctx, id).await?;
            require(&ctx, &document, DocumentAction::Edit)?;
            if !matches!(document.status, DocumentStatus::Draft | DocumentStatus::Returned) {
                return Err(ApiError::conflict("document_state_conflict"));
            }
        }
        Owner::Interpretation(id) => {
            let ctx = CallerContext::of(conn, auth).await?;
            let interpretation = persistence::interpretations::get(conn, id).await?;
            let document = visible(conn, &ctx, interpretation.document_id).await?;
            require(&ctx, &document, DocumentAction::EditInterpretation)?;
            if interpretation.status != InterpretationStatus::Draft {
                return Err(ApiError::conflict("interpretation_state_conflict"));
            }
        }
        Owner::RequestReply(id) => {
            let (request, _) = requests::visible(conn, principal, id).await?;
            if !request_access::may_act(principal, request.organization_id, Some(RequestAct::Reply)) {
                return Err(ApiError::forbidden());
            }
            if !request.state.is_open() {
                return Err(ApiError::conflict("request_state_conflict").detail(
                    "答复的附件须在答复之前添加；已答复、已归档或已终止的申请不能再更改",
                    "A reply's files are attached before the reply; a replied, archived or closed request no longer changes",
                ));
            }
        }
        Owner::OpinionRelease(id) => {
            let release = persistence::opinion_clocks::get_release(conn, id).await?;
            let incident = opinions::visible(conn, principal, release.incident_id).await?;
            if !opinions::may_handle(principal, &incident) {
                return Err(ApiError::forbidden());
            }
            if incident.status == IncidentStatus::Evaluated {
                return Err(ApiError::conflict("incident_state_conflict"));
            }
        }
        Owner::Consultation(id) => {
            let consultation = consultations::visible(conn, principal, id).await?;
            if !consultations::may_write(principal, consultation.organization_id) {
                return Err(ApiError::forbidden());
            }
            if consultation.stored_status != ConsultationStatus::Draft {
                return Err(ApiError::conflict("consultation_state_conflict"));
            }
        }
    }
    Ok(())
}

const UPLOAD: &str = "multipart/form-data";

/// Attach a file to the reply of a disclosure request (the handling openness officer), before replying: the reply gives the files to the applicant, who downloads them with the query token. 409 `request_state_conflict` once the request is replied, archived or closed.
#[utoipa::path(operation_id = "upload_request_reply_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Request id")), request_body(content = AttachmentUpload, content_type = UPLOAD), responses((status = 201, description = "Stored", body = AttachmentDto)))]
#[post("/disclosure-requests/{id}/reply-attachments")]
pub async fn upload_to_request_reply(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    upload(&state, &auth, Owner::RequestReply(*id), form).await
}

/// The files of a request's reply (the organization's openness officers and head of the openness office only).
#[utoipa::path(operation_id = "list_request_reply_attachments", tag = "attachments", params(("id" = Uuid, Path, description = "Request id")), responses((status = 200, description = "Attachments", body = AttachmentList)))]
#[get("/disclosure-requests/{id}/reply-attachments")]
pub async fn list_for_request_reply(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    list(&state, &auth, Owner::RequestReply(*id)).await
}

/// Attach a file to an opinion release (an opinion officer handling the incident, until it is evaluated); public at once, like the release.
#[utoipa::path(operation_id = "upload_opinion_release_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Release id")), request_body(content = AttachmentUpload, content_type = UPLOAD), responses((status = 201, description = "Stored", body = AttachmentDto)))]
#[post("/opinion-releases/{id}/attachments")]
pub async fn upload_to_opinion_release(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    upload(&state, &auth, Owner::OpinionRelease(*id), form).await
}

/// The files of an opinion release.
#[utoipa::path(operation_id = "list_opinion_release_attachments", tag = "attachments", params(("id" = Uuid, Path, description = "Release id")), responses((status = 200, description = "Attachments", body = AttachmentList)))]
#[get("/opinion-releases/{id}/attachments")]
pub async fn list_for_opinion_release(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    list(&state, &auth, Owner::OpinionRelease(*id)).await
}

/// Attach a file to a draft consultation (a drafter or openness officer of its organization); public once it opens.
#[utoipa::path(operation_id = "upload_consultation_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Consultation id")), request_body(content = AttachmentUpload, content_type = UPLOAD), responses((status = 201, description = "Stored", body = AttachmentDto)))]
#[post("/consultations/{id}/attachments")]
pub async fn upload_to_consultation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    upload(&state, &auth, Owner::Consultation(*id), form).await
}

/// The files of a consultation.
#[utoipa::path(operation_id = "list_consultation_attachments", tag = "attachments", params(("id" = Uuid, Path, description = "Consultation id")), responses((status = 200, description = "Attachments", body = AttachmentList)))]
#[get("/consultations/{id}/attachments")]
pub async fn list_for_consultation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    list(&state, &auth, Owner::Consultation(*id)).await
}
