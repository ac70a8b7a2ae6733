//! Atom feeds (RFC 4287) of published documents, overall and per organization, for readers and
//! portals that follow the county's releases.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};
use persistence::public;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const ENTRIES: i64 = 50;
const SUMMARY_CHARS: usize = 200;

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only this organization's documents.
    pub org: Option<Uuid>,
}

/// An Atom feed of the 50 most recently published documents (`?org=` for one organization's); 404 for an unknown organization.
#[utoipa::path(operation_id = "public_document_feed", tag = "public", security(()), params(FeedQuery), responses((status = 200, description = "The feed", content_type = "application/atom+xml", body = String), (status = 404, description = "No such organization", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/document-feed")]
pub async fn document_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let mut conn = persistence::connection(&state.public_reads).await?;
    let title = match query.org {
        Some(org) => match persistence::organizations::get(&conn, org).await {
            Ok(o) => format!("{}：政府信息公开", o.name),
            Err(persistence::StoreError::NotFound) => return Err(ApiError::not_found()),
            Err(e) => return Err(e.into()),
        },
        None => "政府信息公开：最新发布".to_owned(),
    };
    let documents = public::recently_published(&mut conn, query.org, ENTRIES).await?;
    let org_ids: Vec<Uuid> = documents.iter().map(|d| d.issuing_org_id).collect();
    let names = persistence::organizations::names(&mut conn, &org_ids).await?;
    // Links are relative (readers resolve them against the feed's own address): the Host header
    // is the client's to choose, and a cached feed must not carry an address someone else picked.
    let self_link = match query.org {
        Some(org) => format!("{}?org={org}", req.path()),
        None => req.path().to_owned(),
    };
    let feed_id = match query.org {
        Some(org) => format!("urn:gongkai:document-feed:{org}"),
        None => "urn:gongkai:document-feed".to_owned(),
    };
    // An entry changes when the document does (a repeal, a correction), not only when published.
    let changed = |d: &persistence::documents::Document| d.published_at.map_or(d.updated_at, |p| p.max(d.updated_at));
    let updated = documents.iter().map(changed).max().unwrap_or_else(Utc::now);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n\
         <id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n<author><name>{}</name></author>\n",
        domain::search::escaped(&feed_id),
        domain::search::escaped(&title),
        stamp(updated),
        domain::search::escaped(&self_link),
        domain::search::escaped(title.split('：').next().unwrap_or("政府信息公开"))
    );
    for d in &documents {
        let published = d.published_at.unwrap_or(updated);
        let entry_updated = changed(d);
        let summary: String = d.body.chars().take(SUMMARY_CHARS).collect();
        let author = names.get(&d.issuing_org_id).cloned().unwrap_or_default();
        let title = match &d.doc_number {
            Some(number) => format!("{}（{}）", d.title, number),
            None => d.title.clone(),
        };
        xml.push_str(&format!(
            "<entry>\n<id>urn:uuid:{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<published>{}</published>\n\
             <author><name>{}</name></author>\n<link rel=\"alternate\" type=\"application/json\" href=\"/api/v1/public/documents/{}\"/>\n\
             <category term=\"{}\"/>\n<summary>{}</summary>\n</entry>\n",
            d.id,
            domain::search::escaped(&title),
            stamp(entry_updated),
            stamp(published),
            domain::search::escaped(&author),
            d.id,
            domain::search::escaped(d.category.as_str()),
            domain::search::escaped(&summary),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml))
}
