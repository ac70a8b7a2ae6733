//! The real binary, logging at debug level, handles a disclosure request from intake to the
//! officer's reading: the applicant's identity number, phone and query token never reach a log
//! line (DOMAIN.md §10, personal data).

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use persistence::test_databases::TestDatabase;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");
const IDENTITY_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13987654321";

#[tokio::test]
async fn personal_data_and_query_tokens_never_reach_the_log() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("gongkai.log");
    let log = File::create(&log_path).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .env("DATABASE_URL", &db.url)
        .env("GONGKAI_LOG", "debug")
        .env("GONGKAI_DATA_DIR", dir.path().join("var"))
        .env("GONGKAI_BIND", format!("127.0.0.1:{port}"))
        .env("GONGKAI_ADMIN_USERNAME", "admin")
        .env("GONGKAI_ADMIN_PASSWORD", "Admin-password-2026")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !matches!(http.get(format!("{base}/readyz")).send().await, Ok(r) if r.status() == 200) {
        assert!(started.elapsed() < Duration::from_secs(60), "gongkai did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let login = |username: &'static str, password: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let response = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": username, "password": password}))
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login("admin", "Admin-password-2026").await;
    let org: Value = http
        .post(format!("{base}/api/v1/organizations"))
        .bearer_auth(&admin)
        .json(&json!({"name": "元谋县民政局", "kind": "department"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = http
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&admin)
        .json(&json!({"username": "mz.officer", "display_name": "李四", "password": "Officer-password-2026",
            "organization_id": org["id"], "roles": ["openness_officer"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

    let application = json!({
        "organization_id": org["id"], "applicant_type": "natural_person", "name": "张三",
        "identity_document_type": "resident_identity_card", "identity_number": IDENTITY_NUMBER, "phone": PHONE,
        "description": "2026年城乡低保资金发放情况", "information_form": "electronic", "delivery_method": "online",
    });
    let submitted =
        http.post(format!("{base}/api/v1/public/disclosure-requests")).json(&application).send().await.unwrap();
    assert_eq!(submitted.status(), 201);
    let receipt: Value = submitted.json().await.unwrap();
    let token = receipt["query_token"].as_str().unwrap().to_owned();
    let status = http
        .get(format!("{base}/api/v1/public/disclosure-requests/{}", receipt["tracking_code"].as_str().unwrap()))
        .header("X-Query-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    // Refused input is logged as refused, never with its values.
    let mut wrong = application.clone();
    wrong["identity_number"] = json!("110105194912310021");
    let refused = http.post(format!("{base}/api/v1/public/disclosure-requests")).json(&wrong).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let officer = login("mz.officer", "Officer-password-2026").await;
    let read: Value = http
        .get(format!("{base}/api/v1/disclosure-requests/{}", receipt["id"].as_str().unwrap()))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["identity_number"], IDENTITY_NUMBER, "the handling officer reads it in clear");

    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("/api/v1/public/disclosure-requests"), "the requests were logged at all:\n{logged}");
    for secret in [IDENTITY_NUMBER, "19491231", PHONE, "110105194912310021", token.as_str()] {
        assert!(!logged.contains(secret), "{secret} appears in the log:\n{logged}");
    }
}
