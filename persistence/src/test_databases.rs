//! Throwaway databases for tests: one PostgreSQL per test process (the embedded launcher, or the
//! server named by `DATABASE_URL`), one migrated template per migration fingerprint, and a fresh
//! database cloned from it for every test, so tests run in parallel and never see each other's rows.

use std::sync::OnceLock;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::embedded::{EmbeddedOptions, EmbeddedPostgres};
use crate::pool::{run_migrations, MIGRATIONS_FINGERPRINT};

struct Server {
    /// Connection string of a maintenance database on the server.
    maintenance_url: String,
    _embedded: Option<EmbeddedPostgres>,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

fn server() -> &'static Server {
    let server = SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Ok(Server { maintenance_url: url, _embedded: None }),
        _ => {
            let root = std::env::temp_dir().join(format!(
                "gongkai-test-{}-{}",
                std::process::id(),
                &Uuid::new_v4().simple().to_string()[..8]
            ));
            let options = EmbeddedOptions {
                root_dir: root,
                port: 5432,
                durable: false,
                max_connections: 300,
                shared_buffers_mb: 0,
            };
            let embedded = EmbeddedPostgres::start(&options).map_err(|e| e.to_string())?;
            embedded.stop_when_process_exits(true).map_err(|e| e.to_string())?;
            Ok(Server { maintenance_url: embedded.connection_string("postgres"), _embedded: Some(embedded) })
        }
    });
    match server {
        Ok(server) => server,
        Err(message) => panic!("no PostgreSQL for tests: {message}"),
    }
}

/// The same server as `url`, database `name`. Handles both URL and key/value connection strings.
pub fn with_database(url: &str, name: &str) -> String {
    if let Some(rest) = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")) {
        let scheme = &url[..url.len() - rest.len()];
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let authority = before_query.split_once('/').map_or(before_query, |(a, _)| a);
        let mut out = format!("{scheme}{authority}/{name}");
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        out
    } else {
        format!("{url} dbname={name}")
    }
}

async fn execute(url: &str, sql: &str) -> Result<(), String> {
    let mut conn = AsyncPgConnection::establish(url).await.map_err(|e| e.to_string())?;
    diesel::sql_query(sql).execute(&mut conn).await.map_err(|e| format!("{sql}: {e}"))?;
    Ok(())
}

async fn template_name() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let server = server();
            let name = format!("gongkai_tpl_{MIGRATIONS_FINGERPRINT}");
            // Several test processes may share one server: an advisory lock on a dedicated
            // connection makes exactly one of them build the template.
            let mut lock_conn =
                AsyncPgConnection::establish(&server.maintenance_url).await.expect("connect to test server");
            diesel::sql_query("SELECT pg_advisory_lock(7243001)").execute(&mut lock_conn).await.expect("advisory lock");
            let exists: crate::CountRow = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&name)
                .get_result(&mut lock_conn)
                .await
                .expect("look up template");
            if exists.n == 0 {
                let building = format!("{name}_building");
                execute(&server.maintenance_url, &format!("DROP DATABASE IF EXISTS {building}"))
                    .await
                    .expect("drop stale template");
                execute(&server.maintenance_url, &format!("CREATE DATABASE {building}"))
                    .await
                    .expect("create template");
                run_migrations(&with_database(&server.maintenance_url, &building)).await.expect("migrate template");
                execute(&server.maintenance_url, &format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                    .expect("rename template");
            }
            diesel::sql_query("SELECT pg_advisory_unlock(7243001)")
                .execute(&mut lock_conn)
                .await
                .expect("advisory unlock");
            name
        })
        .await
}

/// A migrated database of its own, dropped when this value is dropped.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let template = template_name().await;
        TestDatabase::from_template(&format!("{template} STRATEGY FILE_COPY")).await
    }

    /// An empty database (from `template0`: no tables at all), as a restore needs.
    pub async fn create_empty() -> TestDatabase {
        TestDatabase::from_template("template0").await
    }

    async fn from_template(template: &str) -> TestDatabase {
        let server = server();
        let name = format!("t_{}", Uuid::new_v4().simple());
        execute(&server.maintenance_url, &format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .expect("create test database");
        TestDatabase { url: with_database(&server.maintenance_url, &name), name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's maintenance database, for tests that need to act on the server itself.
    pub fn maintenance_url() -> String {
        server().maintenance_url.clone()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let url = server().maintenance_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop runs inside the test's runtime, which must not be blocked on itself: use a thread
        // with its own runtime and wait for it, so no database outlives its test.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                let _ = rt.block_on(execute(&url, &sql));
            }
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_in_urls_and_key_value_strings() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/old?sslmode=disable", "new"),
            "postgres://u:p@h:5432/new?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://h", "new"), "postgresql://h/new");
        assert_eq!(
            with_database("host=/tmp/s port=5432 user=postgres dbname=x", "new"),
            "host=/tmp/s port=5432 user=postgres dbname=x dbname=new"
        );
    }
}
