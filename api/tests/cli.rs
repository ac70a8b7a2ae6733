//! The `gongkai` binary as an operator uses it: configuration errors, migrations, admin commands,
//! and serving on the embedded database across a restart.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use persistence::test_databases::TestDatabase;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

fn gongkai() -> Command {
    let mut command = Command::new(BIN);
    command.env_remove("DATABASE_URL").env("GONGKAI_LOG", "warn");
    command
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let output = gongkai().env("GONGKAI_BIND", "not-an-address").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("GONGKAI_BIND"), "{stderr}");

    let output = gongkai().env("GONGKAI_CORS_ORIGINS", "portal.example.gov.cn").arg("openapi").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("GONGKAI_CORS_ORIGINS"));
}

#[test]
fn openapi_prints_the_committed_contract() {
    let output = gongkai().arg("openapi").output().unwrap();
    assert!(output.status.success());
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), committed);
}

#[tokio::test]
async fn migrate_and_admin_commands_work_against_database_url() {
    let db = TestDatabase::create().await;
    let migrate = gongkai().env("DATABASE_URL", &db.url).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let mut create = gongkai()
        .env("DATABASE_URL", &db.url)
        .args(["admin", "create-user", "--username", "zhang.san", "--display-name", "张三"])
        .args(["--roles", "system_admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    create.stdin.take().unwrap().write_all(b"Zhangsan-Password-1\n").unwrap();
    let output = create.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty(), "a given password is never printed");

    let weak = gongkai()
        .env("DATABASE_URL", &db.url)
        .env("GONGKAI_NEW_PASSWORD", "short")
        .args(["admin", "reset-password", "--username", "zhang.san"])
        .output()
        .unwrap();
    assert!(!weak.status.success());

    let reset = gongkai()
        .env("DATABASE_URL", &db.url)
        .env_remove("GONGKAI_NEW_PASSWORD")
        .args(["admin", "reset-password", "--username", "zhang.san"])
        .output()
        .unwrap();
    assert!(reset.status.success(), "{}", String::from_utf8_lossy(&reset.stderr));
    let generated = String::from_utf8(reset.stdout).unwrap().trim().to_owned();
    assert!(generated.len() >= 20, "a generated password is printed once");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(data_dir: &Path) -> Served {
    serve_with(data_dir, &[]).await
}

async fn serve_with(data_dir: &Path, settings: &[(&str, &str)]) -> Served {
    let port = free_port();
    let child = gongkai()
        .envs(settings.iter().copied())
        .env("GONGKAI_DATA_DIR", data_dir)
        .env("GONGKAI_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let served = Served { child, base: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    loop {
        if let Ok(response) = reqwest::get(format!("{}/readyz", served.base)).await {
            if response.status() == 200 {
                return served;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "gongkai did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The embedded server's `shared_buffers` in MB, asked through its socket.
fn embedded_shared_buffers_mb(data_dir: &Path) -> u64 {
    let output = Command::new("psql")
        .arg("-h")
        .arg(data_dir.join("postgres/run"))
        .args(["-p", "5432", "-U", "postgres", "-d", "gongkai", "-XAtqc"])
        .arg("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
        .output()
        .unwrap();
    assert!(output.status.success(), "psql: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap()
}

fn terminate(mut served: Served) {
    let pid = served.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = served.child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[tokio::test]
async fn serves_on_the_embedded_database_and_keeps_data_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded PostgreSQL runs as the postgres user when we are root: it must reach the dir.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data_dir = dir.path().join("var");
    let http = reqwest::Client::new();

    let first = serve(&data_dir).await;
    let password_file = data_dir.join("initial-admin-password");
    let mode = std::fs::metadata(&password_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let password = std::fs::read_to_string(&password_file).unwrap().trim().to_owned();
    let login = |base: String, password: String| {
        let http = http.clone();
        async move {
            let response = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": "admin", "password": password}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let token = login(first.base.clone(), password.clone()).await;
    let created = http
        .post(format!("{}/api/v1/organizations", first.base))
        .bearer_auth(&token)
        .json(&json!({"name": "元谋县人民政府", "kind": "county_government"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let docs = http.get(format!("{}/docs/", first.base)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    // A machine with strict overcommit (vm.overcommit_memory = 2) may refuse a quarter of its
    // memory as shared memory: the service then starts its server with PostgreSQL's default, and
    // the server's log says why (the fallback has tests of its own in persistence::embedded).
    let server_log = std::fs::read_to_string(data_dir.join("postgres/postgres.log")).unwrap_or_default();
    let expected = if server_log.contains("could not map anonymous shared memory") {
        128
    } else {
        u64::from(persistence::embedded::default_shared_buffers_mb())
    };
    assert_eq!(
        embedded_shared_buffers_mb(&data_dir),
        expected,
        "the automatic size, or PostgreSQL's default after a refusal"
    );
    terminate(first);

    let second = serve_with(&data_dir, &[("GONGKAI_DB_EMBEDDED_SHARED_BUFFERS_MB", "144")]).await;
    assert_eq!(embedded_shared_buffers_mb(&data_dir), 144, "the setting reaches the embedded server");
    let token = login(second.base.clone(), password).await;
    let list: Value = http
        .get(format!("{}/api/v1/organizations", second.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["name"], "元谋县人民政府", "data survives a restart");
    terminate(second);
    let pid_file = data_dir.join("postgres/pgdata/postmaster.pid");
    assert!(!pid_file.exists(), "the embedded PostgreSQL is stopped when gongkai stops");
}

/// SIGTERM while a request is being received: the request is still answered, then the process exits 0.
#[tokio::test]
async fn graceful_shutdown_finishes_a_request_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let served = serve(&dir.path().join("var")).await;
    let address = served.base.trim_start_matches("http://").to_owned();
    let body = br#"{"username": "admin", "password": "Not-the-password-1"}"#;
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let pid = served.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "the in-flight request is answered: {answer}");
    assert!(answer.contains("invalid_credentials"));

    let mut served = served;
    let status = served.child.wait().unwrap();
    assert!(status.success(), "exits 0 after draining, got {status}");
}

#[test]
fn without_postgresql_binaries_it_says_how_to_get_them_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let output = gongkai()
        .env("GONGKAI_DATA_DIR", dir.path().join("var"))
        .env("GONGKAI_PG_BINDIR", dir.path().join("no-postgres-here"))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let last = stderr.trim().lines().last().unwrap_or_default().to_owned();
    assert!(last.contains("apt-get install postgresql") && last.contains("DATABASE_URL"), "{stderr}");
}
