//! The OpenAPI 3.1 contract: derived from the registered routes, then completed with the
//! problem+json responses every operation can give, so that clients see every status code.

use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::error::{Problem, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongkai 公开 API",
        description = "政务公开 (government-affairs openness) for a county government: documents and their disclosure \
attributes, interpretations, catalogs, consultations, disclosure requests with statutory clocks, public-opinion \
response and the annual report.\n\nErrors are RFC 9457 `application/problem+json` with a stable `code`; titles are \
Simplified Chinese by default and English with `Accept-Language: en`. Lists use keyset pagination \
(`limit` ≤ 200, `cursor`) and answer `{items, next_cursor}`. Mutable resources carry `version`/`ETag`; send \
`If-Match` to update. POSTs accept `Idempotency-Key` (a UUID) for safe retries within 24 hours.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        version = env!("CARGO_PKG_VERSION")
    ),
    components(schemas(
        Problem,
        crate::error::FieldError,
        crate::http::spreadsheet::TableFormat,
        crate::routes::annual_reports::ReportFormat
    )),
    modifiers(&SecuritySchemes),
    security(("bearer" = [])),
    tags(
        (name = "auth", description = "Staff login, sessions and machine-client tokens"),
        (name = "organizations", description = "机关 and their tree"),
        (name = "users", description = "Staff accounts"),
        (name = "oauth-clients", description = "Machine clients (OAuth2 client credentials)"),
        (name = "documents", description = "公文 and their disclosure attribute: drafting, 退文, review, approval, publication"),
        (name = "interpretations", description = "政策解读 (三同步) and the expert pool"),
        (name = "attachments", description = "Files of documents and interpretations"),
        (name = "public", description = "Anonymous reads of published information"),
        (name = "calendar", description = "Working-day calendar (工作日) and due dates"),
        (name = "consultations", description = "公开征求意见: drafts, comments, moderation, clusters and adoption results"),
        (name = "meetings", description = "Government meetings and the openness of their topics"),
        (name = "messages", description = "Hotline and leader-mailbox messages (participation channels)"),
        (name = "open-days", description = "政府开放日 announcements and registrations"),
        (name = "catalogs", description = "主动公开基本目录: areas, draft items (JSON, CSV, XLSX), published versions"),
        (name = "reposts", description = "转载上级文件: higher-level documents, repost obligations and the special check"),
        (name = "self-inspections", description = "年度自查: undisclosed documents and frequently requested information, decisions, report"),
        (name = "rectifications", description = "整改: problems found by website checks and spot checks, reported, verified or reopened"),
        (name = "websites", description = "政府网站 registry and monitoring checks"),
        (name = "spot-checks", description = "抽查 of issued documents by the government office"),
        (name = "reading-venues", description = "公共查阅点 and the documents placed there"),
        (name = "organization-records", description = "年度工作重点 and the principal's hearings of the openness work (听取工作汇报) with the yearly check"),
        (name = "training", description = "Training plans, sessions and attendance of the openness staff, and coverage"),
        (name = "evaluation", description = "考核评议: indicator systems with weights, periods, scores (staff and third-party), rankings and the openness share"),
        (name = "opinions", description = "政务舆情: incidents, responsibility, clocks, releases and referrals"),
        (name = "accountability", description = "问责台账: detected and manual breaches, and the government office's decisions"),
        (name = "annual-reports", description = "政府信息公开工作年度报告: computed drafts, review, publication, deadlines, reconsideration and litigation records"),
        (name = "sync", description = "The change feed of public records for integrating systems"),
        (name = "webhooks", description = "Change-feed events pushed to machine clients, signed (Standard Webhooks), with retries, dead letters and replay"),
        (name = "meta", description = "Health, enumerations, audit log"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("EdDSA-signed access token (15 minutes); keys at /.well-known/jwks.json"))
                    .build(),
            ),
        );
        let scopes = Scopes::from_iter(domain::Scope::ALL.iter().map(|s| (s.as_str(), s.label_en())));
        components.add_security_scheme(
            "client_credentials",
            SecurityScheme::OAuth2(OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
                "/api/v1/oauth/token",
                scopes,
            ))])),
        );
    }
}

/// Paths answered without the database.
const STATIC_PATHS: &[&str] = &["/healthz", "/api/v1/meta/enums", "/.well-known/jwks.json"];

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
        .build()
}

/// Adds the problem+json responses an operation can give, by what it takes: a body (400, 413,
/// 415, 422), a path id (404), credentials (401, 403), a version (409, 412), and always 503.
pub fn add_standard_responses(openapi: &mut OpenApiDoc) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let operations: [(HttpMethod, &mut Option<Operation>); 4] = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation.as_mut() else { continue };
            if path == "/api/v1/oauth/token" {
                continue; // RFC 6749 §5.2 errors, documented on the operation itself.
            }
            let public = operation.security.as_ref().is_some_and(|s| s.iter().all(|r| r == &Default::default()));
            let has_body = operation.request_body.is_some();
            let json_body =
                operation.request_body.as_ref().is_some_and(|body| body.content.contains_key("application/json"));
            let has_id = path.contains('{');
            let mut add = |status: &str, description: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem_response(description).into());
            };
            add("400", "Malformed request: bad JSON, unknown field, wrong type, bad UUID or query parameter");
            let upload =
                operation.request_body.as_ref().is_some_and(|body| body.content.contains_key("multipart/form-data"));
            if json_body {
                add("408", "The JSON body did not arrive within 15 seconds (`body_timeout`)");
            }
            if upload {
                add("408", "The upload stalled for more than 30 seconds (`body_timeout`)");
            }
            if has_body {
                add("413", "Request body too large");
                add("415", "Content-Type is not application/json");
                add("422", "Validation failed (field `errors`) or a rule refused the change (`rules`)");
            }
            if !public {
                add("401", "Missing, invalid or expired bearer token");
                add("403", "The caller may see this but not do it");
            }
            if has_id {
                add("404", "Not found, or not visible to the caller");
            }
            if matches!(method, HttpMethod::Post | HttpMethod::Put | HttpMethod::Delete) && !public {
                add("409", "Conflicts with the current state or existing data, or an `Idempotency-Key` still in progress (`idempotency_key_in_progress`) or whose answer was lost in a crash after the change was made (`idempotency_key_answer_lost`)");
            }
            if matches!(method, HttpMethod::Post) && public {
                add("409", "An `Idempotency-Key` still in progress (`idempotency_key_in_progress`) or whose answer was lost in a crash after the change was made (`idempotency_key_answer_lost`), or the target no longer takes submissions");
            }
            let takes_if_match = operation
                .parameters
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.name.eq_ignore_ascii_case("if-match")));
            if takes_if_match {
                add("412", "If-Match does not match the current version");
            }
            if method == HttpMethod::Post {
                add("422", "Validation failed, or Idempotency-Key reused with a different body");
            }
            let takes_query = operation
                .parameters
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query));
            if takes_query {
                add("422", "A query parameter is out of range or names something unknown (field `errors`)");
            }
            if !STATIC_PATHS.contains(&path.as_str()) {
                add("503", "The database is unavailable; retry after `Retry-After` seconds");
            }
        }
    }
}

/// The document as served and committed.
pub fn document() -> OpenApiDoc {
    crate::app::contract()
}

pub fn to_yaml(doc: &OpenApiDoc) -> String {
    doc.to_yaml().unwrap_or_default()
}
