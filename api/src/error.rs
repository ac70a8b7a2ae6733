//! One error type for the whole API, rendered as RFC 9457 problem+json in the caller's language.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::lang::{current_lang, Lang};
use crate::problems::title;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A text in both languages of the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Localized {
    pub zh: String,
    pub en: String,
}

impl Localized {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Localized { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Stable machine code, e.g. `length`, `required`, `invalid_enum`.
    pub code: String,
    /// Human-readable explanation in the caller's language.
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct FieldProblem {
    pub code: String,
    pub message: Localized,
}

/// The problem+json document (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:gongkai:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary in the caller's language (zh-CN by default, English with `Accept-Language: en`).
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code; clients branch on this, never on `title`.
    pub code: String,
    /// The request id (also in the `X-Request-Id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field name → problems, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<FieldError>>>,
    /// Every failed rule's code, for rule failures that report all of them at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
    /// Every bad cell of an imported sheet, by line (the header is line 1) and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowProblem>>,
}

/// One bad cell of an imported spreadsheet.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct RowProblem {
    /// The line in the sheet: the header is line 1, the first item line 2.
    pub line: usize,
    /// The column's header as printed on the sheet, e.g. `所属领域`.
    pub column: String,
    /// The item field the column fills.
    pub field: String,
    /// Stable code: `required`, `too_long`, `unknown_area`, `unknown_value`, `unknown_channel`,
    /// `missing_column`, `unknown_column`, `duplicate_column`, `no_rows`, `too_many_rows`.
    pub code: String,
    pub message: String,
    /// The refused value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<Localized>,
    pub errors: Option<BTreeMap<String, Vec<FieldProblem>>>,
    pub rules: Option<Vec<String>>,
    /// Bad cells of an imported sheet, with messages already in both languages.
    pub rows: Option<Vec<(RowProblem, Localized)>>,
    pub headers: Vec<(HeaderName, String)>,
    /// Set when the error is rendered outside its request's scope (by actix, after middleware).
    pub context: Option<(Lang, String)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        ApiError {
            status,
            code,
            detail: None,
            errors: None,
            rules: None,
            rows: None,
            headers: Vec::new(),
            context: None,
        }
    }

    /// Pins the language and request id, for errors that leave the request's scope.
    pub fn in_context(mut self, lang: Lang, request_id: &str) -> Self {
        self.headers.push((HeaderName::from_static("x-request-id"), request_id.to_owned()));
        self.context = Some((lang, request_id.to_owned()));
        self
    }

    pub fn detail(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.detail = Some(Localized::new(zh, en));
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn with_log(self, message: &str) -> Self {
        tracing::info!(request_id = current_lang().1, code = self.code, %message, "client input refused by the database");
        self
    }

    pub fn bad_request(code: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }

    pub fn conflict(code: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code)
    }

    pub fn unauthenticated(code: &'static str) -> Self {
        let challenge = if code == "invalid_token" { "Bearer error=\"invalid_token\"" } else { "Bearer" };
        Self::new(StatusCode::UNAUTHORIZED, code).header(header::WWW_AUTHENTICATE, challenge)
    }

    pub fn unavailable() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").header(header::RETRY_AFTER, "5")
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }

    /// Adds a problem on one more field to a validation failure.
    pub fn and_field(mut self, field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let problem = FieldProblem { code: code.to_owned(), message: Localized::new(zh, en) };
        self.errors.get_or_insert_with(BTreeMap::new).entry(field.to_owned()).or_default().push(problem);
        self
    }

    /// A validation failure on one field.
    pub fn field(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(field.to_owned(), vec![FieldProblem { code: code.to_owned(), message: Localized::new(zh, en) }]);
        ApiError { errors: Some(errors), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed") }
    }

    pub fn to_problem(&self, lang: Lang, request_id: Option<String>) -> Problem {
        Problem {
            type_uri: format!("urn:gongkai:problem:{}", self.code),
            title: title(self.code, lang).to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.as_ref().map(|d| d.get(lang).to_owned()),
            code: self.code.to_owned(),
            instance: request_id,
            errors: self.errors.as_ref().map(|errors| {
                errors
                    .iter()
                    .map(|(field, problems)| {
                        let list = problems
                            .iter()
                            .map(|p| FieldError { code: p.code.clone(), message: p.message.get(lang).to_owned() })
                            .collect();
                        (field.clone(), list)
                    })
                    .collect()
            }),
            rules: self.rules.clone(),
            rows: self.rows.as_ref().map(|rows| {
                rows.iter()
                    .map(|(row, message)| RowProblem { message: message.get(lang).to_owned(), ..row.clone() })
                    .collect()
            }),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let (lang, request_id) = match &self.context {
            Some((lang, request_id)) => (*lang, Some(request_id.clone())),
            None => current_lang(),
        };
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        response.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.insert_header((name.clone(), value));
            }
        }
        response.body(serde_json::to_vec(&self.to_problem(lang, request_id)).unwrap_or_default())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(message) => {
                tracing::warn!(request_id = current_lang().1, %message, "database unavailable");
                ApiError::unavailable()
            }
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden => ApiError::forbidden(),
            StoreError::StaleVersion => ApiError::new(StatusCode::PRECONDITION_FAILED, "stale_version"),
            StoreError::Conflict { constraint } => conflict_for_constraint(&constraint),
            StoreError::RulesFailed(failures) => {
                let codes: Vec<String> = failures.iter().map(|f| f.code.to_owned()).collect();
                let zh: Vec<&str> = failures.iter().map(|f| f.message_zh).collect();
                let en: Vec<&str> = failures.iter().map(|f| f.message_en).collect();
                ApiError { rules: Some(codes), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rules_failed") }
                    .detail(zh.join("；"), en.join("; "))
            }
            StoreError::Refused(code) => match code {
                "parent_not_found" => ApiError::field(
                    "parent_id",
                    "not_found",
                    "上级机关不存在",
                    "The parent organization does not exist",
                ),
                other => ApiError::conflict(other),
            },
            StoreError::InvalidField { field, code } => {
                let (zh, en) = crate::routes::requests::field_message(code);
                ApiError::field(field, code, zh, en)
            }
            StoreError::UnstorableText(message) => ApiError::bad_request("invalid_body")
                .detail(
                    "文本含有无法保存的字符（如 NUL）",
                    "The text holds characters that cannot be stored (such as NUL)",
                )
                .with_log(&message),
            StoreError::Other(message) => {
                tracing::error!(request_id = current_lang().1, %message, "storage error");
                ApiError::internal()
            }
        }
    }
}

/// Turns the name of the schema constraint that refused a change into the contract's code.
fn conflict_for_constraint(constraint: &str) -> ApiError {
    match constraint {
        "users_username_key" => {
            ApiError::conflict("username_taken").detail("用户名已被使用", "The username is already taken")
        }
        "organizations_name_under_parent_idx" => ApiError::conflict("organization_name_taken")
            .detail("同一上级下已有同名机关", "An organization with this name already exists under the same parent"),
        "organizations_parent_id_fkey"
        | "users_organization_id_fkey"
        | "oauth_clients_organization_id_fkey"
        | "work_priorities_organization_id_fkey"
        | "work_report_hearings_organization_id_fkey"
        | "training_plans_organization_id_fkey"
        | "evaluation_systems_county_id_fkey"
        | "evaluation_periods_county_id_fkey"
        | "evaluation_scores_organization_id_fkey" => ApiError::conflict("organization_in_use").detail(
            "该机关仍有下级机关、用户或客户端",
            "The organization still has child organizations, users or clients",
        ),
        "consultations_document_id_fkey" => {
            ApiError::field("document_id", "not_found", "所关联的公文不存在", "The linked document does not exist")
        }
        "consultations_organization_id_fkey" | "meetings_organization_id_fkey" => {
            ApiError::field("organization_id", "not_found", "机关不存在", "The organization does not exist")
        }
        // Two creations at once: the loser gets the code the check before the insert gives.
        "catalogs_organization_id_key" => ApiError::conflict("catalog_exists"),
        "self_inspections_organization_id_year_key" => ApiError::conflict("self_inspection_exists"),
        "annual_reports_org_year_key" => ApiError::conflict("annual_report_exists"),
        "annual_reports_published_immutable" => ApiError::conflict("annual_report_not_draft"),
        "legal_challenges_case_key" => ApiError::conflict("challenge_exists"),
        // An indicator deleted under a score being recorded at the same moment.
        "evaluation_scores_indicator_id_fkey" => ApiError::conflict("evaluation_system_frozen"),
        "catalog_areas_name_idx" => {
            ApiError::field("name", "area_exists", "该领域名称已在列表中", "An area of this name is already listed")
        }
        "meeting_topics_consultation_id_fkey" => ApiError::field(
            "topics",
            "consultation_not_found",
            "议题关联的征求意见不存在",
            "A topic's consultation does not exist",
        ),
        other => {
            tracing::warn!(request_id = current_lang().1, constraint = other, "unmapped constraint violation");
            ApiError::conflict("constraint_violation")
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
