//! Start-up: find or start the database, migrate, create the first administrator, load keys.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use domain::Role;
use persistence::embedded::{self, EmbeddedOptions, EmbeddedPostgres};
use persistence::personal_data::Sealer;
use persistence::users::{self, NewUser};
use persistence::{Actor, Pool, StoreError};

use crate::auth::keys::TokenKeys;
use crate::auth::secrets::{generate_password, hash_password};
use crate::config::{S3Settings, Settings};
use crate::state::{AccountRules, AppState, Limits};

pub const EMBEDDED_DATABASE: &str = "gongkai";

/// The database in use: a configured server, or the embedded one this process may have started.
pub struct Database {
    pub url: String,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// Stops the embedded server if this process started it — or, for the server itself
    /// (`own_cluster`), also one left running by a crashed predecessor, which it adopted.
    pub fn shutdown(&self, own_cluster: bool) {
        if let Some(embedded) = self.embedded.as_ref().filter(|e| e.started_here() || own_cluster) {
            match embedded.stop() {
                Ok(()) => tracing::info!("embedded PostgreSQL stopped"),
                Err(err) => tracing::error!(error = %err, "could not stop the embedded PostgreSQL"),
            }
        }
    }
}

pub fn data_dir(settings: &Settings) -> Result<PathBuf, String> {
    fs::create_dir_all(&settings.data_dir)
        .map_err(|e| format!("GONGKAI_DATA_DIR: cannot create {}: {e}", settings.data_dir.display()))?;
    settings.data_dir.canonicalize().map_err(|e| format!("GONGKAI_DATA_DIR: {}: {e}", settings.data_dir.display()))
}

/// Uses `DATABASE_URL` when set; otherwise starts (or reuses) PostgreSQL under the data directory.
pub async fn open_database(settings: &Settings) -> Result<Database, String> {
    if let Some(url) = settings.database_url.as_ref().filter(|u| !u.trim().is_empty()) {
        return Ok(Database { url: url.clone(), embedded: None });
    }
    let data_dir = data_dir(settings)?;
    let mut root = data_dir.join("postgres");
    if !embedded::server_user_can_reach(&root) {
        // PostgreSQL refuses to run as root and its own user cannot enter a private directory such
        // as /root: keep the cluster where it can, at a place stable for this data directory.
        root = embedded::reachable_root_for(&data_dir);
        tracing::warn!(data_dir = %data_dir.display(), cluster = %root.display(), "the postgres user cannot reach the data directory; keeping the embedded cluster elsewhere");
    }
    let options = EmbeddedOptions {
        root_dir: root,
        port: 5432,
        durable: true,
        max_connections: 200,
        shared_buffers_mb: settings.db_embedded_shared_buffers_mb(),
    };
    let embedded = web::block(move || EmbeddedPostgres::start(&options))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    persistence::pool::ensure_database(&embedded.connection_string("postgres"), EMBEDDED_DATABASE)
        .await
        .map_err(|e| format!("cannot prepare the embedded database: {e}"))?;
    Ok(Database { url: embedded.connection_string(EMBEDDED_DATABASE), embedded: Some(embedded) })
}

/// Migrates, retrying for a while when the server is not up yet (containers start in any order).
pub async fn migrate(url: &str) -> Result<Vec<String>, String> {
    let mut attempts = 0;
    loop {
        match persistence::run_migrations(url).await {
            Ok(applied) => return Ok(applied),
            Err(StoreError::Unavailable(message)) if attempts < 30 => {
                attempts += 1;
                tracing::warn!(%message, attempt = attempts, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(err) => return Err(format!("DATABASE_URL: migrations failed: {err}")),
        }
    }
}

/// On first start, creates the deployment-wide system_admin. A generated password is written to
/// `initial-admin-password` (mode 0600); the log says where, never what.
pub async fn ensure_initial_admin(pool: &Pool, settings: &Settings, data_dir: &Path) -> Result<(), String> {
    let mut conn = persistence::connection(pool).await.map_err(|e| e.to_string())?;
    if users::any_system_admin(&mut conn).await.map_err(|e| e.to_string())? {
        return Ok(());
    }
    let (password, generated) = match settings.admin_password.as_ref().filter(|p| !p.is_empty()) {
        Some(password) => {
            let policy = settings.accounts.password_policy();
            domain::accounts::check_password(&policy, &settings.admin_username, password).map_err(|p| {
                format!(
                    "GONGKAI_ADMIN_PASSWORD is too weak ({p}): use at least {} characters mixing {} of lower-case, upper-case, digits and symbols",
                    policy.min_chars, policy.min_classes
                )
            })?;
            (password.clone(), false)
        }
        None => (generate_password(&settings.accounts.password_policy()), true),
    };
    let password_hash =
        hash_password(password.clone()).await.map_err(|_| "could not hash the admin password".to_owned())?;
    // The password file is written before the account exists, so that no account ever exists
    // whose generated password was lost.
    let path = data_dir.join("initial-admin-password");
    let pending = data_dir.join("initial-admin-password.pending");
    if generated {
        let _ = fs::remove_file(&pending);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&pending)
            .map_err(|e| format!("cannot write {}: {e}", pending.display()))?;
        writeln!(file, "{password}").and_then(|_| file.sync_all()).map_err(|e| e.to_string())?;
    }
    let new = NewUser {
        username: settings.admin_username.clone(),
        password_hash,
        display_name: "系统管理员".into(),
        organization_id: None,
        roles: vec![Role::SystemAdmin],
    };
    match users::create(&mut conn, &Actor::system(None), new).await {
        Ok(_) => {}
        // Another instance starting at the same moment created it first.
        Err(StoreError::Conflict { .. }) if users::any_system_admin(&mut conn).await.unwrap_or(false) => {
            let _ = fs::remove_file(&pending);
            return Ok(());
        }
        Err(err) => {
            let _ = fs::remove_file(&pending);
            return Err(format!("could not create the initial administrator: {err}"));
        }
    }
    if generated {
        fs::rename(&pending, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        tracing::info!(username = %settings.admin_username, path = %path.display(), "created the initial system administrator; the password is in the file");
    } else {
        tracing::info!(username = %settings.admin_username, "created the initial system administrator with GONGKAI_ADMIN_PASSWORD");
    }
    Ok(())
}

/// The attachment store: the S3-compatible bucket of `s3` when one is set, otherwise a directory
/// under the data directory. A setting that cannot work stops start-up with a line naming it; the
/// credentials are never part of a message.
pub fn blob_store(s3: &S3Settings, data_dir: &Path) -> Result<Arc<dyn object_store::ObjectStore>, String> {
    if let Some(bucket) = s3.bucket.as_deref() {
        return s3_store(s3, bucket);
    }
    if let Some(name) = s3.stray() {
        return Err(format!(
            "{name} is set but GONGKAI_S3_BUCKET is not: set the bucket to keep attachments in S3, or unset {name}"
        ));
    }
    let dir = data_dir.join("attachments");
    fs::create_dir_all(&dir).map_err(|e| format!("GONGKAI_DATA_DIR: cannot create {}: {e}", dir.display()))?;
    // Synced to disk before an upload is acknowledged, as its record is by PostgreSQL: a machine
    // that loses power must not keep a record whose bytes were still in the page cache.
    let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
        .map_err(|e| format!("GONGKAI_DATA_DIR: {e}"))?
        .with_fsync(true);
    Ok(Arc::new(store))
}

fn s3_store(s3: &S3Settings, bucket: &str) -> Result<Arc<dyn object_store::ObjectStore>, String> {
    let (Some(key_id), Some(secret)) = (&s3.access_key_id, &s3.secret_access_key) else {
        let missing =
            if s3.access_key_id.is_none() { "GONGKAI_S3_ACCESS_KEY_ID" } else { "GONGKAI_S3_SECRET_ACCESS_KEY" };
        return Err(format!("{missing} is required with GONGKAI_S3_BUCKET"));
    };
    if s3.region.trim().is_empty() {
        return Err("GONGKAI_S3_REGION must not be empty".into());
    }
    let mut builder = object_store::aws::AmazonS3Builder::new()
        // Set first: the client options also hold `allow_http`, set below.
        // A 50 MiB upload over a slow provincial link takes minutes: the 30 s default would fail it
        // and then retry for 3 minutes. Connecting is quick or not at all.
        .with_client_options(
            object_store::ClientOptions::new()
                .with_timeout(std::time::Duration::from_secs(300))
                .with_connect_timeout(std::time::Duration::from_secs(10)),
        )
        .with_retry(object_store::RetryConfig {
            retry_timeout: std::time::Duration::from_secs(60),
            ..Default::default()
        })
        .with_bucket_name(bucket)
        .with_region(s3.region.trim())
        .with_access_key_id(key_id.expose())
        .with_secret_access_key(secret.expose())
        .with_allow_http(s3.allow_http)
        .with_virtual_hosted_style_request(!s3.path_style);
    if let Some(endpoint) = &s3.endpoint {
        if endpoint.starts_with("http://") && !s3.allow_http {
            return Err(format!(
                "GONGKAI_S3_ENDPOINT: {endpoint} is plain HTTP; set GONGKAI_S3_ALLOW_HTTP=true for a server on this host or a private network, or use https://"
            ));
        }
        builder = builder.with_endpoint(bucket_endpoint(endpoint, bucket, s3.path_style));
    }
    let store = builder.build().map_err(|e| format!("GONGKAI_S3_BUCKET: cannot configure the S3 store: {e}"))?;
    tracing::info!(
        bucket,
        endpoint = s3.endpoint.as_deref().unwrap_or("AWS"),
        path_style = s3.path_style,
        "attachments are kept in S3"
    );
    Ok(Arc::new(store))
}

/// The endpoint requests go to: the service's own for path-style requests, the bucket's host
/// (`scheme://bucket.host`) for virtual-hosted ones.
fn bucket_endpoint(endpoint: &str, bucket: &str, path_style: bool) -> String {
    match endpoint.split_once("://") {
        Some((scheme, host)) if !path_style && !host.starts_with(&format!("{bucket}.")) => {
            format!("{scheme}://{bucket}.{host}")
        }
        _ => endpoint.to_owned(),
    }
}

pub fn app_state(
    pool: Pool,
    keys: TokenKeys,
    blobs: Arc<dyn object_store::ObjectStore>,
    sealer: Sealer,
) -> web::Data<AppState> {
    app_state_with_clock(pool, keys, blobs, sealer, crate::clock::Clock::system())
}

/// [`app_state`] with the clock the opinion deadlines read (a manual one in tests).
pub fn app_state_with_clock(
    pool: Pool,
    keys: TokenKeys,
    blobs: Arc<dyn object_store::ObjectStore>,
    sealer: Sealer,
    clock: crate::clock::Clock,
) -> web::Data<AppState> {
    app_state_configured(
        pool,
        keys,
        blobs,
        Arc::new(sealer),
        clock,
        crate::webhooks::WebhookSettings::default(),
        AccountRules::default(),
    )
}

/// [`app_state_with_clock`] with the webhook settings of the configuration.
pub fn app_state_configured(
    pool: Pool,
    keys: TokenKeys,
    blobs: Arc<dyn object_store::ObjectStore>,
    sealer: Arc<Sealer>,
    clock: crate::clock::Clock,
    webhooks: crate::webhooks::WebhookSettings,
    accounts: AccountRules,
) -> web::Data<AppState> {
    web::Data::new(AppState {
        public_reads: pool.clone(),
        pool,
        blobs,
        sealer,
        keys: Arc::new(keys),
        limits: Limits::default(),
        accounts,
        clock,
        webhooks,
        search_plans: Default::default(),
    })
}

/// The key that seals personal data: from `key_file`, or generated once into the data directory
/// (mode 0600). Losing it makes sealed identity numbers and contacts unreadable: back it up.
pub fn personal_data_sealer(key_file: Option<&Path>, data_dir: &Path) -> Result<Sealer, String> {
    let path = match key_file {
        Some(path) => path.to_owned(),
        None => data_dir.join("keys").join("personal-data.key"),
    };
    if !path.exists() {
        if key_file.is_some() {
            return Err(format!("GONGKAI_PERSONAL_DATA_KEY_FILE: {} does not exist", path.display()));
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        write_private(&path, Sealer::generate_key_hex().as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new personal-data key; back it up");
    }
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read the personal-data key {}: {e}", path.display()))?;
    Sealer::from_hex(&text).map_err(|e| format!("the personal-data key {}: {e}", path.display()))
}

/// Creates `path` (mode 0600; never over an existing file) holding `bytes`, synced to disk.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Every hour: records breaches whose due date has passed (each once), and clears expired
/// idempotency keys and rate-limit windows. Safe on several instances: every statement is an
/// idempotent insert-once or delete.
/// Seals new audit rows into the hash chain every second, off the writers' path.
pub fn spawn_audit_sealer(pool: Pool) {
    actix_web::rt::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            interval.tick().await;
            let sealed = match persistence::connection(&pool).await {
                Ok(mut conn) => persistence::audit::seal(&mut conn, crate::routes::meta::AUDIT_SEAL_BATCH)
                    .await
                    .map_err(|e| e.to_string()),
                Err(err) => Err(err.to_string()),
            };
            // One warning per outage, not one a second.
            match sealed {
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "could not seal the audit log; retrying every second");
                }
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("sealing the audit log again");
                }
                _ => {}
            }
        }
    });
}

pub fn spawn_housekeeping(pool: Pool) {
    actix_web::rt::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(3600));
        loop {
            interval.tick().await;
            if let Ok(mut conn) = persistence::connection(&pool).await {
                // Lateness is recorded as soon as a due date has passed, not only when someone acts.
                let today = crate::routes::documents::shanghai_today(chrono::Utc::now());
                if let Err(err) = persistence::documents::record_overdue(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record overdue documents");
                }
                if let Err(err) = persistence::interpretations::record_late_plans(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record late interpretation plans");
                }
                if let Err(err) = persistence::rectifications::record_overdue(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record overdue rectifications");
                }
                let system = persistence::Actor::system(None);
                if let Err(err) = persistence::request_acts::close_lapsed(&mut conn, &system, today).await {
                    tracing::warn!(error = %err, "could not close lapsed disclosure requests");
                }
                if let Err(err) = persistence::request_acts::record_overdue(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record overdue disclosure requests");
                }
                let results_days =
                    persistence::consultations::settings(&mut conn).await.map(|s| s.results_working_days);
                if let Ok(days) = results_days {
                    let now = chrono::Utc::now();
                    let days = u32::try_from(days).unwrap_or(15);
                    if let Err(err) = persistence::consultations::record_late_results(&mut conn, now, today, days).await
                    {
                        tracing::warn!(error = %err, "could not record late consultation results");
                    }
                }
                if let Err(err) = persistence::reposts::record_missing(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record missing reposts");
                }
                if let Err(err) = persistence::annual_report_deadlines::record_late(&mut conn, today).await {
                    tracing::warn!(error = %err, "could not record late annual reports");
                }
                let _ = persistence::idempotency::purge_expired(&mut conn).await;
                let _ = persistence::users::purge_unknown_login_attempts(
                    &mut conn,
                    chrono::Utc::now() - chrono::Duration::days(1),
                )
                .await;
                let _ =
                    persistence::rate_limit::purge_before(&mut conn, chrono::Utc::now() - chrono::Duration::days(1))
                        .await;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_hosted_requests_put_the_bucket_in_the_host() {
        let oss = "https://oss-cn-hangzhou.aliyuncs.com";
        assert_eq!(bucket_endpoint(oss, "gongkai", false), "https://gongkai.oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(
            bucket_endpoint("https://gongkai.cos.ap-guangzhou.myqcloud.com", "gongkai", false),
            "https://gongkai.cos.ap-guangzhou.myqcloud.com"
        );
        assert_eq!(bucket_endpoint("http://127.0.0.1:9000", "gongkai", true), "http://127.0.0.1:9000");
    }

    fn s3(args: &[&str]) -> Result<Arc<dyn object_store::ObjectStore>, String> {
        use clap::Parser;
        let cli = crate::config::Cli::try_parse_from(std::iter::once("gongkai").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        blob_store(&cli.settings.s3, Path::new("/nonexistent"))
    }

    #[test]
    fn s3_settings_that_cannot_work_name_their_variable_and_never_the_secret() {
        let keys = ["--s3-access-key-id", "AKIDEXAMPLE", "--s3-secret-access-key", "very-secret-value"];
        let err = s3(&[&["--s3-endpoint", "http://127.0.0.1:9000"], &keys[..]].concat()).err().unwrap();
        assert!(err.starts_with("GONGKAI_S3_ENDPOINT is set but GONGKAI_S3_BUCKET is not"), "{err}");
        let err = s3(&["--s3-bucket", "gongkai", "--s3-access-key-id", "AKIDEXAMPLE"]).err().unwrap();
        assert_eq!(err, "GONGKAI_S3_SECRET_ACCESS_KEY is required with GONGKAI_S3_BUCKET");
        let err = s3(&[&["--s3-bucket", "gongkai", "--s3-endpoint", "http://127.0.0.1:9000"], &keys[..]].concat())
            .err()
            .unwrap();
        assert!(err.starts_with("GONGKAI_S3_ENDPOINT: http://127.0.0.1:9000 is plain HTTP"), "{err}");
        assert!(!err.contains("very-secret-value"));
        let err = s3(&["--s3-bucket", "Not_A_Bucket"]).err().unwrap();
        assert!(err.contains("GONGKAI_S3_BUCKET"), "{err}");
        let err = s3(&["--s3-bucket", "gongkai", "--s3-endpoint", "oss-cn-hangzhou.aliyuncs.com"]).err().unwrap();
        assert!(err.contains("GONGKAI_S3_ENDPOINT"), "{err}");
        let args = [&["--s3-bucket", "gongkai", "--s3-endpoint", "http://127.0.0.1:9000"], &keys[..]].concat();
        let ok = s3(&[&args[..], &["--s3-allow-http", "true", "--s3-path-style", "true"]].concat());
        let store = ok.expect("a working configuration");
        assert!(!format!("{store:?}").contains("very-secret-value"));
    }
}
