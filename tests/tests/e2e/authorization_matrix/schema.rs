//! Minimal inputs made from the contract: a body (and required query parameters) for each
//! operation, with every required field filled from its schema, so that a write gets past
//! deserialization and, where the schema says enough, past validation to the handler's checks.

use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Values the generator puts in fields it cannot otherwise fill meaningfully.
pub struct Fill {
    /// Every `uuid` field: the owning organization (most such fields name an organization).
    pub uuid: Uuid,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The non-null type of `schema`, whether written as a string or a list.
fn type_of(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// A value of `schema` for a field named `name`, with every required property filled.
pub fn value(doc: &Value, schema: &Value, name: &str, fill: &Fill) -> Value {
    let schema = resolve(doc, schema);
    for alternatives in ["oneOf", "anyOf"] {
        if let Some(options) = schema[alternatives].as_array() {
            let chosen = options.iter().find(|o| type_of(resolve(doc, o)) != Some("null")).unwrap_or(&options[0]);
            return value(doc, chosen, name, fill);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(object) = value(doc, part, name, fill) {
                merged.extend(object);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.iter().find(|v| !v.is_null())) {
        return first.clone();
    }
    match type_of(schema) {
        Some("string") => string(schema, name, fill),
        Some("integer") => {
            if name.contains("year") {
                json!(2026)
            } else {
                json!(schema["minimum"].as_i64().unwrap_or(0).max(1))
            }
        }
        Some("number") => json!(schema["minimum"].as_f64().unwrap_or(0.0).max(1.0)),
        Some("boolean") => json!(false),
        Some("array") => {
            let n = schema["minItems"].as_u64().unwrap_or(0);
            Value::Array((0..n).map(|_| value(doc, &schema["items"], name, fill)).collect())
        }
        _ => object(doc, schema, fill),
    }
}

fn object(doc: &Value, schema: &Value, fill: &Fill) -> Value {
    let mut out = Map::new();
    for field in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let property = &schema["properties"][field];
        out.insert(field.to_owned(), value(doc, property, field, fill));
    }
    Value::Object(out)
}

fn string(schema: &Value, name: &str, fill: &Fill) -> Value {
    let soon = chrono::Utc::now() + chrono::Duration::days(2);
    match schema["format"].as_str() {
        Some("uuid") => json!(fill.uuid),
        Some("date") => json!(soon.date_naive()),
        Some("date-time") => json!(soon.to_rfc3339()),
        Some("email") => json!("matrix@example.gov.cn"),
        Some("uri") => json!("https://matrix.example.gov.cn/"),
        _ if name.contains("url") => json!("https://matrix.example.gov.cn/"),
        _ => {
            let min = schema["minLength"].as_u64().unwrap_or(1) as usize;
            let max = schema["maxLength"].as_u64().unwrap_or(64) as usize;
            json!("矩阵测试".repeat(min.div_ceil(4).max(1)).chars().take(max.max(1)).collect::<String>())
        }
    }
}

/// The JSON body of `operation`, if it takes one.
pub fn body(doc: &Value, operation: &Value, fill: &Fill) -> Option<Value> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    (!schema.is_null()).then(|| value(doc, schema, "", fill))
}

/// `?name=value&…` for the required query parameters of `operation` (empty if none).
pub fn query(doc: &Value, operation: &Value, fill: &Fill) -> String {
    let pairs: Vec<String> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| {
            let name = p["name"].as_str().unwrap();
            let v = value(doc, &p["schema"], name, fill);
            format!("{name}={}", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}
