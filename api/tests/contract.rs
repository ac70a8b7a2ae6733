//! The committed contract is the generated one, and it documents what clients need.

use std::collections::HashSet;

use serde_json::Value;

fn generated() -> Value {
    serde_json::to_value(api::openapi::document()).expect("contract as JSON")
}

#[test]
fn committed_openapi_yaml_matches_the_code() {
    let generated = api::openapi::to_yaml(&api::openapi::document());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let committed = std::fs::read_to_string(path).expect("openapi.yaml at the repository root");
    assert!(
        committed == generated,
        "openapi.yaml differs from the code: regenerate it with `cargo run -q --bin gongkai -- openapi > openapi.yaml`"
    );
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.push((path.clone(), method.clone(), operation.clone()));
            }
        }
    }
    out
}

#[test]
fn is_openapi_3_1_with_unique_operation_ids() {
    let doc = generated();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut seen = HashSet::new();
    for (path, method, operation) in operations(&doc) {
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(seen.insert(id.to_owned()), "duplicate operationId {id}");
        assert!(
            operation["summary"].is_string() || operation["description"].is_string(),
            "{method} {path} is undocumented"
        );
    }
}

#[test]
fn every_error_response_is_problem_json_and_outages_are_documented() {
    let doc = generated();
    for (path, method, operation) in operations(&doc) {
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} documents no success");
        for (status, response) in responses {
            assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().expect("error content");
                let expected =
                    if path == "/api/v1/oauth/token" { "application/json" } else { "application/problem+json" };
                assert!(content.contains_key(expected), "{method} {path} {status} is not {expected}");
            }
        }
        if path != "/healthz" && path != "/api/v1/meta/enums" && path != "/.well-known/jwks.json" {
            assert!(responses.contains_key("503"), "{method} {path} does not document 503");
        }
        let public = operation["security"]
            .as_array()
            .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
        if !public && path != "/api/v1/oauth/token" {
            assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path} lacks 401/403");
        }
        if operation["requestBody"].is_object() && path != "/api/v1/oauth/token" {
            for status in ["400", "413", "415", "422"] {
                assert!(responses.contains_key(status), "{method} {path} lacks {status}");
            }
        }
    }
}

#[test]
fn declares_both_security_schemes_and_the_problem_schema() {
    let doc = generated();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["client_credentials"]["flows"]["clientCredentials"]["tokenUrl"], "/api/v1/oauth/token");
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["type", "title", "status", "detail", "code", "errors"] {
        assert!(problem[field].is_object(), "Problem lacks {field}");
    }
}

#[test]
fn list_limits_are_documented() {
    let doc = generated();
    let list = &doc["paths"]["/api/v1/organizations"]["get"]["parameters"];
    let limit = list.as_array().unwrap().iter().find(|p| p["name"] == "limit").expect("limit parameter");
    assert_eq!(limit["schema"]["maximum"], 200);
}

#[test]
fn enum_schemas_publish_the_wire_codes_of_meta_enums() {
    let doc = generated();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut checked = 0;
    for catalog in domain::enums::all_catalogs() {
        let marker = format!("`{}`", catalog.name);
        let codes: Vec<&str> = catalog.values.iter().map(|v| v.code).collect();
        for schema in schemas.values().filter(|s| s["description"].as_str().is_some_and(|d| d.starts_with(&marker))) {
            assert_eq!(schema["enum"], serde_json::json!(codes), "{}", catalog.name);
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} enum schemas found");
}

/// `(name, file)` of every type deriving `ToSchema` under `dir`, named as the contract names it
/// (`#[schema(as = …)]` when given).
fn schema_types(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            schema_types(&path, out);
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source file");
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if !(line.starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            let mut alias = None;
            for next in lines.by_ref() {
                if let Some(rest) = next.split("schema(as = ").nth(1) {
                    alias = rest.split([')', ',']).next().map(str::to_owned);
                }
                let item = next.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
                if let Some(rest) = item.strip_prefix("struct ").or_else(|| item.strip_prefix("enum ")) {
                    let name = rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default();
                    out.push((alias.unwrap_or_else(|| name.to_owned()), path.display().to_string()));
                    break;
                }
            }
        }
    }
}

/// utoipa names a component after its type, so two schema types of one name silently share one
/// component, and one of their operations documents the other's body.
#[test]
fn schema_type_names_are_unique() {
    let mut types = Vec::new();
    schema_types(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut types);
    assert!(types.len() > 100, "the scan finds the schema types");
    types.sort();
    let clashes: Vec<String> = types
        .windows(2)
        .filter(|pair| pair[0].0 == pair[1].0)
        .map(|pair| format!("{} in {} and {}", pair[0].0, pair[0].1, pair[1].1))
        .collect();
    assert!(clashes.is_empty(), "schema types sharing a name: {clashes:?}");
}
