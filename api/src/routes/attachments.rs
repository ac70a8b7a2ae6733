//! Attachments: multipart upload (size limit, type allow-list by content sniffing, SHA-256),
//! downloads with `ETag` and `Range`, and public downloads only for attachments of items the public
//! sees. The endpoints of documents and interpretations are here; who may read or change the files
//! of each kind of owner, and the endpoints of the other owners, are in `attachment_owners`.

use std::ops::Range;

use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as BlobPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use persistence::attachments::{self, Attachment, NewAttachment, Owner};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::principal::Auth;
use crate::error::{ApiError, ApiResult};
use crate::routes::attachment_owners::{may_change, may_read};
use crate::state::AppState;

/// Largest attachment accepted (videos included).
pub const MAX_ATTACHMENT_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachmentDto {
    pub id: Uuid,
    /// `document`, `interpretation`, `request_reply` (the id is the request's), `opinion_release` or `consultation`.
    pub owner_type: String,
    pub owner_id: Uuid,
    #[schema(example = "低保政策图解.png")]
    pub filename: String,
    /// As sniffed from the content, never as declared by the client.
    #[schema(example = "image/png")]
    pub media_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content; also the download's ETag.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> Self {
        AttachmentDto {
            id: a.id,
            owner_type: a.owner_type,
            owner_id: a.owner_id,
            filename: a.filename,
            media_type: a.media_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentDto>,
}

/// The multipart form of an upload: one part named `file`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AttachmentUpload {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The allowed types, recognised by their content: PDF, OFD, DOCX, XLSX, PNG, JPEG, MP4.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    // OFD (GB/T 33190) is a ZIP whose root holds OFD.xml; no general sniffer knows it.
    if bytes.starts_with(b"PK\x03\x04") && bytes.windows(7).take(4096).any(|w| w == b"OFD.xml") {
        return Some("application/ofd");
    }
    let kind = infer::get(bytes)?;
    match kind.mime_type() {
        mime @ ("application/pdf"
        | "image/png"
        | "image/jpeg"
        | "video/mp4"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") => Some(mime),
        _ => None,
    }
}

fn clean_filename(raw: Option<&str>) -> String {
    let name = raw.unwrap_or("attachment").rsplit(['/', '\\']).next().unwrap_or("attachment");
    let cleaned: String = name.chars().filter(|c| !c.is_control()).take(255).collect();
    if cleaned.trim().is_empty() {
        "attachment".into()
    } else {
        cleaned.trim().to_owned()
    }
}

/// Reads the single `file` part, bounded, and checks its type by content.
async fn read_upload(mut form: Multipart) -> ApiResult<(String, Vec<u8>, &'static str)> {
    let too_large = || {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            .detail("附件不得超过 50 MiB", "An attachment must not exceed 50 MiB")
    };
    let malformed = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::ContentTypeMissing
        | actix_multipart::MultipartError::ContentTypeParse
        | actix_multipart::MultipartError::ContentTypeIncompatible => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                .detail("上传须为 multipart/form-data", "An upload must be multipart/form-data")
        }
        _ => ApiError::bad_request("invalid_multipart")
            .detail("无法解析 multipart 表单", "The multipart form could not be read"),
    };
    // A large file may take minutes on a slow link, but it must keep coming.
    let stalled = || {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "body_timeout")
            .detail("上传中断超过 30 秒", "The upload stalled for more than 30 seconds")
    };
    let idle = crate::http::extract::UPLOAD_IDLE_TIMEOUT;
    while let Some(mut field) =
        tokio::time::timeout(idle, form.try_next()).await.map_err(|_| stalled())?.map_err(malformed)?
    {
        if field.name() != Some("file") {
            while tokio::time::timeout(idle, field.next()).await.map_err(|_| stalled())?.is_some() {}
            continue;
        }
        let filename = clean_filename(field.content_disposition().and_then(|cd| cd.get_filename()));
        let mut bytes = Vec::new();
        while let Some(chunk) =
            tokio::time::timeout(idle, field.try_next()).await.map_err(|_| stalled())?.map_err(malformed)?
        {
            if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if bytes.is_empty() {
            return Err(ApiError::field("file", "empty", "文件为空", "The file is empty"));
        }
        let media_type = sniff(&bytes).ok_or_else(|| {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "attachment_type_not_allowed").detail(
                "仅接受 PDF、OFD、DOCX、XLSX、PNG、JPEG、MP4 文件（按内容识别）",
                "Only PDF, OFD, DOCX, XLSX, PNG, JPEG and MP4 files are accepted (recognised by content)",
            )
        })?;
        return Ok((filename, bytes, media_type));
    }
    Err(ApiError::field("file", "required", "缺少名为 file 的文件", "A part named `file` is required"))
}

/// Stores the bytes, then the record (which re-checks, under a lock, that the owner may still
/// change); if the record fails the bytes are removed again. No database connection is held
/// while the body arrives or the bytes travel to the store.
async fn store(state: &AppState, auth: &Auth, owner: Owner, form: Multipart) -> ApiResult<HttpResponse> {
    let (filename, bytes, media_type) = read_upload(form).await?;
    let id = Uuid::now_v7();
    let key = format!("{id}");
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size_bytes = bytes.len() as i64;
    state.blobs.put(&BlobPath::from(key.as_str()), PutPayload::from(bytes)).await.map_err(|e| {
        tracing::error!(error = %e, "attachment store unavailable");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
    })?;
    let new = NewAttachment {
        id,
        owner,
        filename,
        media_type: media_type.into(),
        size_bytes,
        sha256,
        storage_key: key.clone(),
    };
    let created = match persistence::connection(&state.pool).await {
        Ok(mut conn) => attachments::create(&mut conn, &auth.actor(), new).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(created) => Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/attachments/{id}/content")))
            .json(AttachmentDto::from(created))),
        Err(err) => {
            if let Err(e) = state.blobs.delete(&BlobPath::from(key.as_str())).await {
                tracing::warn!(error = %e, attachment = %id, "attachment bytes left behind");
            }
            Err(err.into())
        }
    }
}

const UPLOAD_DOC: &str = "multipart/form-data";

/// Checks that the caller may change the files of `owner` before reading the upload, then stores it.
pub(crate) async fn upload(state: &AppState, auth: &Auth, owner: Owner, form: Multipart) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    may_change(&mut conn, auth, owner).await?;
    drop(conn);
    store(state, auth, owner, form).await
}

/// The files of `owner`, for a caller who may read them.
pub(crate) async fn list(state: &AppState, auth: &Auth, owner: Owner) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    may_read(&mut conn, auth, owner).await?;
    let items = attachments::list_for(&mut conn, owner).await?.into_iter().map(AttachmentDto::from).collect();
    Ok(HttpResponse::Ok().json(AttachmentList { items }))
}

/// Attach a file to a draft document (drafter of a drafting organization). Type checked by content.
#[utoipa::path(operation_id = "upload_document_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Document id")), request_body(content = AttachmentUpload, content_type = UPLOAD_DOC), responses((status = 201, description = "Stored", body = AttachmentDto)))]
#[post("/documents/{id}/attachments")]
pub async fn upload_to_document(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    upload(&state, &auth, Owner::Document(*id), form).await
}

/// Attach a file to an interpretation that is not yet published (drafter of a drafting organization).
#[utoipa::path(operation_id = "upload_interpretation_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Interpretation id")), request_body(content = AttachmentUpload, content_type = UPLOAD_DOC), responses((status = 201, description = "Stored", body = AttachmentDto)))]
#[post("/interpretations/{id}/attachments")]
pub async fn upload_to_interpretation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    upload(&state, &auth, Owner::Interpretation(*id), form).await
}

/// The attachments of a document.
#[utoipa::path(operation_id = "list_document_attachments", tag = "attachments", params(("id" = Uuid, Path, description = "Document id")), responses((status = 200, description = "Attachments", body = AttachmentList)))]
#[get("/documents/{id}/attachments")]
pub async fn list_for_document(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    list(&state, &auth, Owner::Document(*id)).await
}

/// The attachments of an interpretation.
#[utoipa::path(operation_id = "list_interpretation_attachments", tag = "attachments", params(("id" = Uuid, Path, description = "Interpretation id")), responses((status = 200, description = "Attachments", body = AttachmentList)))]
#[get("/interpretations/{id}/attachments")]
pub async fn list_for_interpretation(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    list(&state, &auth, Owner::Interpretation(*id)).await
}

/// A `Range` header that cannot be served (416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Parses a single `bytes=` range against `size`: Ok(None) for the whole, Err for unsatisfiable.
pub fn parse_range(value: &str, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let spec = value.trim().strip_prefix("bytes=").ok_or(Unsatisfiable)?;
    if spec.contains(',') || size == 0 {
        return Ok(None); // multiple ranges: answer the whole file, as RFC 9110 allows
    }
    let (start, end) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| Unsatisfiable)?;
            if n == 0 {
                return Err(Unsatisfiable);
            }
            size.saturating_sub(n)..size
        }
        (start, "") => start.parse::<u64>().map_err(|_| Unsatisfiable)?..size,
        (start, end) => {
            let (s, e): (u64, u64) =
                (start.parse().map_err(|_| Unsatisfiable)?, end.parse().map_err(|_| Unsatisfiable)?);
            if e < s {
                return Err(Unsatisfiable);
            }
            s..(e + 1).min(size)
        }
    };
    if range.start >= size {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

/// Streams the bytes with `ETag` (the SHA-256), honouring `If-None-Match` and a single `Range`.
pub(crate) async fn download(state: &AppState, req: &HttpRequest, attachment: Attachment) -> ApiResult<HttpResponse> {
    let etag = format!("\"{}\"", attachment.sha256);
    let size = attachment.size_bytes as u64;
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).finish());
    }
    let requested = match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(value) => match parse_range(value, size) {
            Ok(range) => range,
            Err(Unsatisfiable) => {
                return Ok(HttpResponse::build(StatusCode::RANGE_NOT_SATISFIABLE)
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                    .content_type(crate::error::PROBLEM_JSON)
                    .json(serde_json::json!({"type": "urn:gongkai:problem:range_not_satisfiable", "title": "Range Not Satisfiable", "status": 416, "code": "range_not_satisfiable"})));
            }
        },
    };
    let options = GetOptions { range: requested.clone().map(GetRange::Bounded), ..Default::default() };
    let result =
        state.blobs.get_opts(&BlobPath::from(attachment.storage_key.as_str()), options).await.map_err(|e| {
            tracing::error!(error = %e, attachment = %attachment.id, "attachment bytes unavailable");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
        })?;
    let stream = result.into_stream().map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string()));
    let disposition = format!("attachment; filename*=UTF-8''{}", percent_encode(&attachment.filename));
    let mut response = match &requested {
        Some(range) => {
            let mut r = HttpResponse::build(StatusCode::PARTIAL_CONTENT);
            r.insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", range.start, range.end - 1)));
            r
        }
        None => HttpResponse::Ok(),
    };
    let length = requested.map_or(size, |r| r.end - r.start);
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_str(&attachment.media_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header(("x-content-type-options", "nosniff"))
        .no_chunking(length);
    Ok(response.streaming(stream))
}

fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Download an attachment the caller may read (supports `Range` and `If-None-Match`).
#[utoipa::path(operation_id = "download_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Attachment id"), ("Range" = Option<String>, Header, description = "e.g. bytes=0-1023")), responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 206, description = "Part of the file"), (status = 304, description = "Not modified"), (status = 416, description = "Range not satisfiable", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/attachments/{id}/content")]
pub async fn content(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let attachment = attachments::get(&mut conn, *id).await?;
    let owner = attachment.owner().ok_or_else(ApiError::not_found)?;
    may_read(&mut conn, &auth, owner).await?;
    download(&state, &req, attachment).await
}

/// Remove an attachment while its owner may still change (a draft document, interpretation or consultation; a request not yet replied to; a release of an incident not yet evaluated), by those who may upload to it.
#[utoipa::path(operation_id = "delete_attachment", tag = "attachments", params(("id" = Uuid, Path, description = "Attachment id")), responses((status = 204, description = "Removed")))]
#[delete("/attachments/{id}")]
pub async fn remove(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.pool).await?;
    let attachment = attachments::get(&mut conn, *id).await?;
    let owner = attachment.owner().ok_or_else(ApiError::not_found)?;
    may_read(&mut conn, &auth, owner).await?;
    may_change(&mut conn, &auth, owner).await?;
    attachments::delete(&mut conn, &auth.actor(), &attachment).await?;
    if let Err(e) = state.blobs.delete(&BlobPath::from(attachment.storage_key.as_str())).await {
        tracing::warn!(error = %e, attachment = %attachment.id, "attachment bytes left behind");
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Download, anonymously, an attachment of a published document or interpretation, of an opinion release or of a consultation past its draft.
#[utoipa::path(operation_id = "download_public_attachment", tag = "public", params(("id" = Uuid, Path, description = "Attachment id"), ("Range" = Option<String>, Header, description = "e.g. bytes=0-1023")), responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 206, description = "Part of the file"), (status = 304, description = "Not modified"), (status = 416, description = "Range not satisfiable", body = crate::error::Problem, content_type = "application/problem+json")), security(()))]
#[get("/attachments/{id}/content")]
pub async fn public_content(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let attachment = persistence::public::attachment(&mut conn, *id).await?.ok_or_else(ApiError::not_found)?;
    // The file may come from a remote store: the public reads' few connections are not held meanwhile.
    drop(conn);
    download(&state, &req, attachment).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(parse_range("bytes=50-500", 100), Ok(Some(50..100)));
        assert_eq!(parse_range("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=9-0", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("items=0-9", 100), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ok(None));
    }

    #[test]
    fn sniffing_goes_by_content() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some("image/jpeg"));
        assert_eq!(sniff(b"PK\x03\x04\x14\0\0\0\x08\0OFD.xml...."), Some("application/ofd"));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>not allowed</html>"), None);
    }

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(clean_filename(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_filename(Some("C:\\temp\\图解.png")), "图解.png");
        assert_eq!(clean_filename(Some("a\u{0}b.pdf")), "ab.pdf");
        assert_eq!(clean_filename(None), "attachment");
    }
}
