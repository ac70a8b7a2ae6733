//! Extractors and their error handlers: every malformed input becomes problem+json with the
//! status of the contract (DOMAIN.md §10), never actix's plain-text default.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{HeaderMap, CONTENT_LENGTH};
use actix_web::http::StatusCode;
use actix_web::{mime, HttpMessage};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldProblem, Localized};

/// Largest JSON body accepted; larger ones are refused from Content-Length before being read.
pub const JSON_LIMIT_BYTES: usize = 256 * 1024;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(JSON_LIMIT_BYTES).error_handler(|err, _req| json_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| path_error(err).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| query_error(err).into())
}

pub fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .detail("请求体须为 application/json", "The request body must be application/json"),
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                .detail(format!("请求体不得超过 {limit} 字节"), format!("The body must not exceed {limit} bytes"))
        }
        JsonPayloadError::Deserialize(e) => {
            let message = e.to_string();
            if e.is_data() {
                ApiError::bad_request("invalid_body").detail(format!("请求体字段有误：{message}"), message)
            } else {
                ApiError::bad_request("malformed_json").detail(format!("JSON 解析失败：{message}"), message)
            }
        }
        other => ApiError::bad_request("malformed_json").detail("无法读取请求体", other.to_string()),
    }
}

fn path_error(err: PathError) -> ApiError {
    let message = err.to_string();
    ApiError::bad_request("invalid_path_parameter").detail(format!("路径参数无效：{message}"), message)
}

fn query_error(err: QueryPayloadError) -> ApiError {
    let message = err.to_string();
    ApiError::bad_request("invalid_query_parameter").detail(format!("查询参数无效：{message}"), message)
}

/// The longest an upload (multipart) may pause between two pieces of its body.
pub const UPLOAD_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The longest a client may take to send a JSON body (at most 256 KiB: 15 s allows a slow mobile
/// link); a client that trickles it holds a connection no longer.
pub const JSON_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Reads a whole JSON body, refusing it from `Content-Length` (or as soon as it grows) past the
/// limit, and with 408 `body_timeout` when it does not arrive within [`JSON_BODY_TIMEOUT`].
pub async fn read_limited<S>(headers: &HeaderMap, payload: &mut S) -> Result<web::Bytes, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    match tokio::time::timeout(JSON_BODY_TIMEOUT, read_limited_to(headers, payload, JSON_LIMIT_BYTES)).await {
        Ok(read) => read,
        Err(_) => Err(ApiError::new(StatusCode::REQUEST_TIMEOUT, "body_timeout")
            .detail("请求体未能在 15 秒内传完", "The request body did not arrive within 15 seconds")),
    }
}

/// Reads a whole body of at most `limit` bytes, refused from `Content-Length` or as soon as it grows past it.
pub async fn read_limited_to<S>(headers: &HeaderMap, payload: &mut S, limit: usize) -> Result<web::Bytes, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let too_large = || {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            .detail(format!("请求体不得超过 {limit} 字节"), format!("The body must not exceed {limit} bytes"))
    };
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::bad_request("malformed_json").detail("无法读取请求体", "The body could not be read")
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(mime) = req.mime_type().ok().flatten() else { return false };
    mime.type_() == mime::APPLICATION && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}

/// Parses JSON, telling a body that is not JSON at all (`malformed_json`) from JSON with a wrong,
/// missing or unknown field (`invalid_body`): serde reports some type errors as syntax errors, so
/// the distinction is made by checking whether the text is JSON at all.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(value) => {
            if contains_nul_escape(bytes) {
                return Err(ApiError::bad_request("invalid_body")
                    .detail("文本中不能含有 NUL 字符 (\\u0000)", "Text must not contain NUL characters (\\u0000)"));
            }
            Ok(value)
        }
        Err(err) => {
            let message = err.to_string();
            let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
            if let Some(field) = missing_field(&message).filter(|_| is_json) {
                return Err(ApiError::field(&field, "required", "必填", "required"));
            }
            if is_json {
                Err(ApiError::bad_request("invalid_body").detail(format!("请求体字段有误：{message}"), message))
            } else {
                Err(ApiError::bad_request("malformed_json").detail(format!("JSON 解析失败：{message}"), message))
            }
        }
    }
}

/// The field serde names in "missing field `x`": a required field left out is a validation failure.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// Whether the JSON text holds an escaped NUL (`\u0000`), which PostgreSQL text cannot store.
fn contains_nul_escape(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w[0] == b'\\' && w[1] == b'u' && w[2..].iter().all(|b| *b == b'0') && {
            // The backslash must itself be unescaped: an even number of backslashes before it.
            let preceding = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            preceding % 2 == 0
        }
    })
}

/// JSON that also passed its `validator` rules; a rule failure is 422 with field errors.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let headers = req.headers().clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                    .detail("请求体须为 application/json", "The request body must be application/json")
                    .into());
            }
            let bytes = read_limited(&headers, &mut payload).await?;
            let value: T = parse_json(&bytes)?;
            value.validate().map_err(validation_error)?;
            Ok(ValidJson(value))
        })
    }
}

pub fn validation_error(errors: ValidationErrors) -> ApiError {
    let mut fields = BTreeMap::new();
    flatten(&errors, "", &mut fields);
    ApiError { errors: Some(fields), ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed") }
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut BTreeMap<String, Vec<FieldProblem>>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    // A rule over several fields names the field it is about in its `field` param.
                    let target = match error.params.get("field").and_then(|v| v.as_str()) {
                        Some(field) if prefix.is_empty() => field.to_owned(),
                        Some(field) => format!("{prefix}.{field}"),
                        None => name.clone(),
                    };
                    let problem = FieldProblem { code: error.code.to_string(), message: describe(error) };
                    out.entry(target).or_default().push(problem);
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{name}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(error: &validator::ValidationError) -> Localized {
    let param = |key: &str| error.params.get(key).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => Localized::new(
                format!("长度须在 {min} 到 {max} 之间"),
                format!("length must be between {min} and {max}"),
            ),
            (Some(min), None) => {
                Localized::new(format!("长度不得少于 {min}"), format!("length must be at least {min}"))
            }
            (None, Some(max)) => Localized::new(format!("长度不得超过 {max}"), format!("length must be at most {max}")),
            _ => Localized::new("长度不符合要求", "length is out of range"),
        },
        "range" => Localized::new("数值超出允许范围", "value is out of range"),
        "password_too_short" => {
            let min = param("min").unwrap_or_else(|| "10".into());
            Localized::new(
                format!("密码至少 {min} 个字符"),
                format!("the password must have at least {min} characters"),
            )
        }
        "password_too_simple" => {
            let classes = param("classes").unwrap_or_else(|| "2".into());
            Localized::new(
                format!("密码须包含小写字母、大写字母、数字、其他字符中的至少 {classes} 类"),
                format!("the password must mix at least {classes} of lower-case letters, upper-case letters, digits and other characters"),
            )
        }
        "required" => Localized::new("必填", "required"),
        code => match (known_rule(code), &error.message) {
            (Some(known), _) => known,
            (None, Some(message)) => Localized::new(message.to_string(), message.to_string()),
            (None, None) => Localized::new(format!("不符合规则 {code}"), format!("does not satisfy rule {code}")),
        },
    }
}

/// Messages for the project's own validation rules.
fn known_rule(code: &str) -> Option<Localized> {
    let (zh, en) = match code {
        "blank" => ("不能为空白", "must not be blank"),
        "username_format" => (
            "用户名须为 3–64 位小写字母、数字或 . _ -，以字母或数字开头",
            "3–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
        "password_too_long" => ("密码至多 128 个字符", "the password must have at most 128 characters"),
        "password_equals_username" => ("密码不能与用户名相同", "the password must differ from the username"),
        "password_reused" => ("不能使用最近用过的密码", "the password must differ from the recent ones"),
        _ => return None,
    };
    Some(Localized::new(zh, en))
}
