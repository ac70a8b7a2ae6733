//! A department that publishes documents through the real lifecycle (draft → submit → approve →
//! secrecy review → publish), for tests that need public records to appear.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::TestApp;

/// POSTs `body` with `token`; panics unless 2xx, and returns the answer.
pub async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app.http.post(app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// An organization's drafter, openness officer and principal, logged in.
pub struct Publisher {
    pub org: Uuid,
    pub drafter: String,
    pub officer: String,
    pub principal: String,
}

impl Publisher {
    /// Creates the three users `{prefix}.d`, `{prefix}.o`, `{prefix}.p` in `org`.
    pub async fn create(app: &TestApp, admin: &str, org: Uuid, prefix: &str) -> Publisher {
        for (role, name) in [("drafter", "d"), ("openness_officer", "o"), ("principal", "p")] {
            app.create_user(admin, &format!("{prefix}.{name}"), Some(org), &[role]).await;
        }
        Publisher {
            org,
            drafter: app.token_of(&format!("{prefix}.d")).await,
            officer: app.token_of(&format!("{prefix}.o")).await,
            principal: app.token_of(&format!("{prefix}.p")).await,
        }
    }

    /// Publishes a proactive service notice, the `n`th of this publisher; returns its id.
    pub async fn publish(&self, app: &TestApp, n: usize) -> String {
        let draft = json!({
            "doc_number": format!("元{}发〔2026〕{n}号", &self.org.to_string()[..4]),
            "title": format!("关于做好第{n}批城乡居民医保参保工作的通知"),
            "body": "各乡（镇）：现将有关事项通知如下。",
            "issuing_org_id": self.org,
            "issuing_authority": "department",
            "is_policy": false,
            "category": "service",
            "doc_kind": "other",
            "disclosure": "proactive",
        });
        let id = post_ok(app, &self.drafter, "/api/v1/documents", draft).await["id"].as_str().unwrap().to_owned();
        post_ok(app, &self.drafter, &format!("/api/v1/documents/{id}/submit"), json!({})).await;
        post_ok(app, &self.principal, &format!("/api/v1/documents/{id}/approve"), json!({})).await;
        post_ok(app, &self.officer, &format!("/api/v1/documents/{id}/secrecy-review"), json!({"passed": true})).await;
        post_ok(app, &self.officer, &format!("/api/v1/documents/{id}/publish"), json!({})).await;
        id
    }
}
