//! Abuse that costs the service: limits that must hold across several instances sharing one
//! database, JSON built to be expensive, and clients that send slowly.

use std::time::{Duration, Instant};

use e2e::{expect_problem, resident_id, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::requests::County;

const SUBMIT: &str = "/api/v1/public/disclosure-requests";

#[actix_web::test]
async fn submission_and_login_limits_hold_across_instances_sharing_the_database() {
    let county = County::new().await;
    let app = &county.app;
    let settings = json!({
        "fee_payment_working_days": 20, "pause_while_fee_unpaid": true,
        "submissions_per_address_per_hour": 4, "submissions_per_applicant_per_day": 50,
    });
    let response = app
        .http
        .put(app.url("/api/v1/disclosure-request-settings"))
        .bearer_auth(&county.admin)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let instances = [app.base.clone(), app.another_instance(), app.another_instance()];

    // Twelve submissions at once, spread over three instances: exactly the hourly four pass.
    let attempts = (0..12).map(|n| {
        let url = format!("{}{SUBMIT}", instances[n % 3]);
        let body = county.application(&resident_id(7000 + n as u32));
        let http = app.http.clone();
        async move { http.post(url).json(&body).send().await.unwrap().status().as_u16() }
    });
    let mut statuses = futures_util::future::join_all(attempts).await;
    statuses.sort();
    assert_eq!(statuses, [201, 201, 201, 201, 429, 429, 429, 429, 429, 429, 429, 429]);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 4);

    // Password guesses for one account, each to another instance: the lock is the account's.
    let org = county.civil_affairs;
    app.create_user(&county.admin, "shen.ba", Some(org), &["drafter"]).await;
    for n in 0..6 {
        let response = app
            .http
            .post(format!("{}/api/v1/auth/login", instances[n % 3]))
            .json(&json!({"username": "shen.ba", "password": format!("Wrong-guess-{n}")}))
            .send()
            .await
            .unwrap();
        if n < 5 {
            expect_problem(response, 401, "invalid_credentials").await;
        } else {
            // The sixth guess meets the lock, whichever instance takes it.
            expect_problem(response, 429, "login_locked").await;
        }
    }
    for base in &instances {
        let response = app
            .http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "shen.ba", "password": TestApp::password_of("shen.ba")}))
            .send()
            .await
            .unwrap();
        let problem = expect_problem(response, 429, "login_locked").await;
        assert!(problem["detail"].is_string(), "locked on {base} too: {problem}");
    }
}

async fn post_raw(app: &TestApp, path: &str, body: String) -> (reqwest::StatusCode, Value, Duration) {
    let started = Instant::now();
    let response =
        app.http.post(app.url(path)).header("content-type", "application/json").body(body).send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

#[actix_web::test]
async fn deep_wide_and_huge_json_is_refused_cheaply() {
    let app = TestApp::spawn().await;
    // 100,000 levels of nesting in 200 KB: serde's depth limit stops it at once.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, problem, took) = post_raw(&app, SUBMIT, deep).await;
    assert_eq!(status, 400, "{problem}");
    assert!(problem["code"] == "malformed_json" || problem["code"] == "invalid_body", "{problem}");
    assert!(took < Duration::from_secs(2), "refused in {took:?}");
    // The same nesting inside a field the schema expects to be text.
    let nested_field = format!("{{\"name\": {}{}}}", "{\"a\":".repeat(20_000), "1}".repeat(20_000));
    let (status, problem, took) = post_raw(&app, SUBMIT, nested_field).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "malformed_json", "past serde's depth limit it is not JSON to us");
    assert!(took < Duration::from_secs(2), "refused in {took:?}");
    // 15,000 unknown keys: the first one is enough to refuse.
    let wide: String = (0..15_000).map(|n| format!("\"k{n}\":{n}")).collect::<Vec<_>>().join(",");
    let (status, problem, took) = post_raw(&app, SUBMIT, format!("{{{wide}}}")).await;
    assert_eq!(status, 400, "{problem}");
    assert!(took < Duration::from_secs(2), "refused in {took:?}");
    // A long string and a 40,000-element array where short values are expected.
    let long_name = json!({"name": "张".repeat(80_000)}).to_string();
    let (status, problem, _) = post_raw(&app, SUBMIT, long_name).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["code"], "validation_failed");
    let long_array = format!("{{\"organization_id\": [{}]}}", vec!["0"; 40_000].join(","));
    let (status, _, _) = post_raw(&app, SUBMIT, long_array).await;
    assert_eq!(status, 400);
    // Past the limit: 413 from Content-Length, before the body is read.
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(300 * 1024));
    let (status, problem, _) = post_raw(&app, SUBMIT, huge).await;
    assert_eq!(status, 413, "{problem}");
    assert_eq!(problem["code"], "payload_too_large");
    assert_eq!(app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 0);
    // The service is still well.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
}

/// Reads what the server sends until it closes the connection or `limit` passes.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), started.elapsed())
}

#[actix_web::test]
async fn clients_that_send_slowly_are_cut_off() {
    let app = TestApp::spawn().await;
    let address = app.base.trim_start_matches("http://").to_owned();

    // Headers that never finish: actix-web's 10 s client request timeout ends the connection.
    let slow_headers = async {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(b"POST /api/v1/public/disclosure-requests HTTP/1.1\r\nHost: gongkai\r\n").await.unwrap();
        read_until_closed(&mut stream, Duration::from_secs(30)).await
    };
    // A body that stops after 20 of 2,000 bytes: 408 body_timeout after 15 s.
    let slow_body = async {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let head = "POST /api/v1/public/disclosure-requests HTTP/1.1\r\nHost: gongkai\r\n\
                    Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n";
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(b"{\"organization_id\": ").await.unwrap();
        read_until_closed(&mut stream, Duration::from_secs(40)).await
    };
    let ((headers_reply, headers_took), (body_reply, body_took)) = tokio::join!(slow_headers, slow_body);

    assert!(
        headers_took >= Duration::from_secs(9) && headers_took < Duration::from_secs(20),
        "slow headers cut after {headers_took:?}: {headers_reply:?}"
    );
    assert!(headers_reply.is_empty() || headers_reply.starts_with("HTTP/1.1 408"), "{headers_reply:?}");
    assert!(
        body_took >= Duration::from_secs(14) && body_took < Duration::from_secs(25),
        "slow body cut after {body_took:?}: {body_reply:?}"
    );
    assert!(body_reply.starts_with("HTTP/1.1 408"), "{body_reply:?}");
    assert!(body_reply.contains("application/problem+json") && body_reply.contains("body_timeout"), "{body_reply:?}");
    // Meanwhile and after, others are served.
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.scalar("SELECT count(*) AS n FROM disclosure_requests").await, 0);
}
