//! Configuration from the environment, with the same names as flags. A bad value stops start-up
//! with one line that names the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use domain::Role;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "gongkai", version, about = "Gongkai 公开: the government-affairs openness API")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI contract as YAML.
    Openapi,
    /// Administration tasks that need no running server.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff account. The password comes from --password-stdin, GONGKAI_NEW_PASSWORD, or is generated and printed.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long)]
        organization_id: Option<Uuid>,
        /// Comma-separated roles, e.g. `openness_officer,drafter`.
        #[arg(long, value_delimiter = ',', value_parser = parse_role)]
        roles: Vec<Role>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (and unlock the account). Same password sources as create-user.
    ResetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Back up the database (one snapshot) and every attachment object into a new directory.
    /// Keys are NOT included: keep the personal-data key apart, as safely as the backups.
    Backup {
        /// A directory that does not exist yet, or is empty.
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into an empty database and the configured attachment store.
    Restore {
        /// A directory written by `gongkai admin backup`.
        #[arg(long)]
        from: PathBuf,
        /// Drop everything in a database that is not empty first.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long = "bind",
        env = "GONGKAI_BIND",
        value_name = "GONGKAI_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Where the embedded database, generated keys and the initial admin password live.
    #[arg(
        long = "data-dir",
        env = "GONGKAI_DATA_DIR",
        value_name = "GONGKAI_DATA_DIR",
        default_value = "./var",
        global = true
    )]
    pub data_dir: PathBuf,
    /// An existing PostgreSQL server; without it Gongkai runs its own under the data directory.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        value_name = "DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_url: Option<String>,
    /// Log filter, e.g. `info` or `gongkai=debug,actix_web=info`.
    #[arg(long = "log", env = "GONGKAI_LOG", value_name = "GONGKAI_LOG", default_value = "info", value_parser = parse_log_filter, global = true)]
    pub log: String,
    #[arg(
        long = "log-format",
        env = "GONGKAI_LOG_FORMAT",
        value_name = "GONGKAI_LOG_FORMAT",
        default_value = "json",
        global = true
    )]
    pub log_format: LogFormat,
    /// Comma-separated browser origins allowed by CORS, e.g. `https://gk.example.gov.cn`.
    #[arg(long = "cors-origins", env = "GONGKAI_CORS_ORIGINS", value_name = "GONGKAI_CORS_ORIGINS", default_value = "", value_parser = parse_origins, global = true)]
    pub cors_origins: Origins,
    /// Username of the first system administrator, created on first start.
    #[arg(long = "admin-username", env = "GONGKAI_ADMIN_USERNAME", value_name = "GONGKAI_ADMIN_USERNAME", default_value = "admin", value_parser = parse_username, global = true)]
    pub admin_username: String,
    /// Password of the first system administrator; generated into the data directory when unset.
    #[arg(
        long = "admin-password",
        env = "GONGKAI_ADMIN_PASSWORD",
        value_name = "GONGKAI_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub admin_password: Option<String>,
    /// A PKCS#8 PEM Ed25519 key for signing tokens; generated into the data directory when unset.
    #[arg(long = "jwt-key-file", env = "GONGKAI_JWT_KEY_FILE", value_name = "GONGKAI_JWT_KEY_FILE", global = true)]
    pub jwt_key_file: Option<PathBuf>,
    /// A file holding the 32-byte key (64 hex digits) that seals applicants' personal data;
    /// generated into the data directory when unset. Back it up: without it sealed data is lost.
    #[arg(
        long = "personal-data-key-file",
        env = "GONGKAI_PERSONAL_DATA_KEY_FILE",
        value_name = "GONGKAI_PERSONAL_DATA_KEY_FILE",
        global = true
    )]
    pub personal_data_key_file: Option<PathBuf>,
    /// HTTP worker threads (0: one per core).
    #[arg(
        long = "workers",
        env = "GONGKAI_WORKERS",
        value_name = "GONGKAI_WORKERS",
        default_value_t = 0,
        global = true
    )]
    pub workers: usize,
    /// Database connections for requests other than the public reads per instance, shared out
    /// among the workers (0: four per core, at least 4 and at most 16); background work has its own few.
    #[arg(long = "db-pool-size", env = "GONGKAI_DB_POOL_SIZE", value_name = "GONGKAI_DB_POOL_SIZE", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000), global = true)]
    pub db_pool_size: u16,
    /// Database connections for the anonymous public reads per instance (every public GET but an
    /// applicant's own request, and the feed), apart from the others and shared out among the
    /// workers (0: two per core, at least 2 and at most 8).
    #[arg(long = "db-public-pool-size", env = "GONGKAI_DB_PUBLIC_POOL_SIZE", value_name = "GONGKAI_DB_PUBLIC_POOL_SIZE", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1000), global = true)]
    pub db_public_pool_size: u16,
    /// `shared_buffers` in MB of the PostgreSQL the service starts itself when no DATABASE_URL is
    /// set (0: a quarter of the memory, at least 128 and at most 4096); ignored with DATABASE_URL.
    #[arg(long = "db-embedded-shared-buffers-mb", env = "GONGKAI_DB_EMBEDDED_SHARED_BUFFERS_MB", value_name = "GONGKAI_DB_EMBEDDED_SHARED_BUFFERS_MB", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_048_576), global = true)]
    pub db_embedded_shared_buffers_mb: u32,
    /// Allow webhook receivers on loopback, private and other non-public addresses, over plain
    /// `http` too (an intranet such as 政务外网). Off: receivers must be public `https` URLs.
    #[arg(long = "webhook-private-targets", env = "GONGKAI_WEBHOOK_PRIVATE_TARGETS", value_name = "GONGKAI_WEBHOOK_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_private_targets: bool,
    /// Seconds a webhook receiver has to answer, 1–60.
    #[arg(long = "webhook-timeout", env = "GONGKAI_WEBHOOK_TIMEOUT_SECS", value_name = "GONGKAI_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60), global = true)]
    pub webhook_timeout_secs: u64,
    #[command(flatten)]
    pub s3: S3Settings,
    #[command(flatten)]
    pub accounts: AccountSettings,
    #[command(flatten)]
    pub access_log: AccessLogSettings,
}

/// Password and session rules. The defaults suit a county office; 等级保护 level 3 is usually
/// met with `GONGKAI_PASSWORD_MIN_CLASSES=3`, `GONGKAI_PASSWORD_MAX_AGE_DAYS=90`,
/// `GONGKAI_PASSWORD_HISTORY=5` and `GONGKAI_SESSION_IDLE_MINUTES` of 30 or less.
#[derive(Debug, Clone, Args)]
pub struct AccountSettings {
    /// The shortest password accepted, 8–64 characters.
    #[arg(long = "password-min-length", env = "GONGKAI_PASSWORD_MIN_LENGTH", value_name = "GONGKAI_PASSWORD_MIN_LENGTH", default_value_t = 10, value_parser = clap::value_parser!(u16).range(8..=64), global = true)]
    pub password_min_length: u16,
    /// How many of lower-case, upper-case, digits and other characters a password mixes, 2–4.
    #[arg(long = "password-min-classes", env = "GONGKAI_PASSWORD_MIN_CLASSES", value_name = "GONGKAI_PASSWORD_MIN_CLASSES", default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=4), global = true)]
    pub password_min_classes: u8,
    /// Days after which a password must be changed before the next login; 0: never.
    #[arg(long = "password-max-age-days", env = "GONGKAI_PASSWORD_MAX_AGE_DAYS", value_name = "GONGKAI_PASSWORD_MAX_AGE_DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=3650), global = true)]
    pub password_max_age_days: u32,
    /// A new password may not repeat any of this many recent ones (the current included), 0–24.
    #[arg(long = "password-history", env = "GONGKAI_PASSWORD_HISTORY", value_name = "GONGKAI_PASSWORD_HISTORY", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=24), global = true)]
    pub password_history: u8,
    /// Minutes without a token refresh after which a login session ends (access tokens live at
    /// most half of it); 0: no idle limit, at most 1440.
    #[arg(long = "session-idle-minutes", env = "GONGKAI_SESSION_IDLE_MINUTES", value_name = "GONGKAI_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=1440), global = true)]
    pub session_idle_minutes: u32,
    /// Days a login session lasts at most from its login, however often refreshed, 1–90.
    #[arg(long = "session-days", env = "GONGKAI_SESSION_DAYS", value_name = "GONGKAI_SESSION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=90), global = true)]
    pub session_days: u32,
}

impl AccountSettings {
    pub fn password_policy(&self) -> domain::accounts::PasswordPolicy {
        domain::accounts::PasswordPolicy {
            min_chars: usize::from(self.password_min_length),
            min_classes: self.password_min_classes,
            max_age_days: self.password_max_age_days,
            history: self.password_history,
        }
    }

    pub fn session_policy(&self) -> domain::accounts::SessionPolicy {
        domain::accounts::SessionPolicy { idle_minutes: self.session_idle_minutes, refresh_days: self.session_days }
    }
}

/// The access log: one JSON line per request in a file per day (Asia/Shanghai), kept at least
/// six months as 网络安全法 art. 21 asks; older files are deleted by the service.
#[derive(Debug, Clone, Args)]
pub struct AccessLogSettings {
    /// Where the daily files go; default: `access-log` under the data directory.
    #[arg(
        long = "access-log-dir",
        env = "GONGKAI_ACCESS_LOG_DIR",
        value_name = "GONGKAI_ACCESS_LOG_DIR",
        global = true
    )]
    pub dir: Option<PathBuf>,
    /// Days a file is kept, 180 (six months, the legal minimum) to 3650.
    #[arg(long = "access-log-retention-days", env = "GONGKAI_ACCESS_LOG_RETENTION_DAYS", value_name = "GONGKAI_ACCESS_LOG_RETENTION_DAYS", default_value_t = 180, value_parser = clap::value_parser!(u32).range(180..=3650), global = true)]
    pub retention_days: u32,
}

/// Where attachments are kept: an S3-compatible bucket (MinIO, Aliyun OSS, Tencent COS, AWS S3)
/// when `GONGKAI_S3_BUCKET` is set, otherwise files under the data directory.
#[derive(Debug, Clone, Args)]
pub struct S3Settings {
    /// The bucket attachments are kept in; without it they are kept under the data directory.
    #[arg(long = "s3-bucket", env = "GONGKAI_S3_BUCKET", value_name = "GONGKAI_S3_BUCKET", value_parser = parse_bucket, global = true)]
    pub bucket: Option<String>,
    /// The service's endpoint without the bucket, e.g. `https://oss-cn-hangzhou.aliyuncs.com`,
    /// `https://cos.ap-guangzhou.myqcloud.com` or `http://127.0.0.1:9000`; AWS S3 when unset.
    #[arg(long = "s3-endpoint", env = "GONGKAI_S3_ENDPOINT", value_name = "GONGKAI_S3_ENDPOINT", value_parser = parse_endpoint, global = true)]
    pub endpoint: Option<String>,
    /// The region requests are signed for (e.g. `oss-cn-hangzhou`, `ap-guangzhou`).
    #[arg(
        long = "s3-region",
        env = "GONGKAI_S3_REGION",
        value_name = "GONGKAI_S3_REGION",
        default_value = "us-east-1",
        global = true
    )]
    pub region: String,
    #[arg(
        long = "s3-access-key-id",
        value_parser = parse_secret,
        env = "GONGKAI_S3_ACCESS_KEY_ID",
        value_name = "GONGKAI_S3_ACCESS_KEY_ID",
        hide_env_values = true,
        global = true
    )]
    pub access_key_id: Option<Secret>,
    #[arg(
        long = "s3-secret-access-key",
        value_parser = parse_secret,
        env = "GONGKAI_S3_SECRET_ACCESS_KEY",
        value_name = "GONGKAI_S3_SECRET_ACCESS_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_access_key: Option<Secret>,
    /// `true`: the bucket goes in the path (`endpoint/bucket/key`), as MinIO wants by default;
    /// `false`: in the host name (`bucket.endpoint/key`), as OSS and COS want.
    #[arg(long = "s3-path-style", env = "GONGKAI_S3_PATH_STYLE", value_name = "GONGKAI_S3_PATH_STYLE", action = clap::ArgAction::Set, default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    pub path_style: bool,
    /// Allow an `http://` endpoint (a server on this host or a private network only).
    #[arg(long = "s3-allow-http", env = "GONGKAI_S3_ALLOW_HTTP", value_name = "GONGKAI_S3_ALLOW_HTTP", action = clap::ArgAction::Set, default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), global = true)]
    pub allow_http: bool,
}

impl S3Settings {
    /// No bucket: attachments stay under the data directory.
    pub fn local() -> S3Settings {
        S3Settings {
            bucket: None,
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            path_style: false,
            allow_http: false,
        }
    }

    /// The first S3 setting given without a bucket, which would otherwise be silently ignored.
    pub fn stray(&self) -> Option<&'static str> {
        [
            (self.endpoint.is_some(), "GONGKAI_S3_ENDPOINT"),
            (self.access_key_id.is_some(), "GONGKAI_S3_ACCESS_KEY_ID"),
            (self.secret_access_key.is_some(), "GONGKAI_S3_SECRET_ACCESS_KEY"),
            (self.path_style, "GONGKAI_S3_PATH_STYLE"),
            (self.allow_http, "GONGKAI_S3_ALLOW_HTTP"),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }
}

/// A credential: never printed (`Debug` shows `[redacted]`).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

fn parse_secret(value: &str) -> Result<Secret, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(Secret(value.to_owned()))
    }
}

/// S3 bucket names: 3–63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.
fn parse_bucket(value: &str) -> Result<String, String> {
    let name = value.trim();
    let allowed = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let edges = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if (3..=63).contains(&name.len()) && allowed && edges(name.as_bytes().first()) && edges(name.as_bytes().last()) {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not a bucket name (3–63 lower-case letters, digits, '.' or '-')"))
    }
}

fn parse_endpoint(value: &str) -> Result<String, String> {
    let endpoint = value.trim().trim_end_matches('/');
    let rest = endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', ' ', '?', '#', '@']) => Ok(endpoint.to_owned()),
        _ => Err(format!(
            "`{endpoint}` is not an endpoint like https://oss-cn-hangzhou.aliyuncs.com (scheme and host, no path)"
        )),
    }
}

#[derive(Debug, Clone, Default)]
pub struct Origins(pub Vec<String>);

fn parse_origins(value: &str) -> Result<Origins, String> {
    let mut origins = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| !host.is_empty() && !host.contains('/') && !host.contains(' '));
        if !valid {
            return Err(format!("`{origin}` is not an origin like https://example.gov.cn"));
        }
        origins.push(origin.to_owned());
    }
    Ok(Origins(origins))
}

fn parse_log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value).map(|_| value.to_owned()).map_err(|e| e.to_string())
}

fn parse_username(value: &str) -> Result<String, String> {
    if domain::accounts::is_valid_username(value) {
        Ok(value.to_owned())
    } else {
        Err("use 3–64 lower-case letters, digits, '.', '_' or '-'".into())
    }
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.trim().parse::<Role>().map_err(|e| e.to_string())
}

/// The CPU cores this process may use (2 when the system does not say), which the defaults of
/// the workers and pools follow.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

impl Settings {
    pub fn webhooks(&self) -> crate::webhooks::WebhookSettings {
        crate::webhooks::WebhookSettings {
            allow_private_targets: self.webhook_private_targets,
            timeout: std::time::Duration::from_secs(self.webhook_timeout_secs),
            ..Default::default()
        }
    }

    /// The pool's size. Issue 11: with PostgreSQL on the same two cores, 16 connections let 16
    /// backends crowd out the server's own threads, and the tail grew (search at 32 connections:
    /// p95 82 ms with 16, 17 ms with 8; get p99 11–14 ms against 9.5–10.5; lifecycle unchanged).
    pub fn db_pool_size(&self) -> usize {
        match self.db_pool_size {
            0 => (4 * cores()).clamp(4, 16),
            size => usize::from(size),
        }
    }

    /// The public reads' pool size. Issue 11: they are CPU work for PostgreSQL on the same cores,
    /// where more connections than about two a core only lengthen the tail (first list page at 32
    /// connections, p99 11–16 ms with 8, 7–10 ms with 4, the same throughput); writes wait on the
    /// disk instead and want more (token refresh −20%, request burst −18% with 4), so the public
    /// reads have connections of their own. A flood of them also cannot take the staff's.
    pub fn db_public_pool_size(&self) -> usize {
        match self.db_public_pool_size {
            0 => (2 * cores()).clamp(2, 8),
            size => usize::from(size),
        }
    }

    /// The embedded server's cache; see `persistence::embedded::default_shared_buffers_mb`.
    pub fn db_embedded_shared_buffers_mb(&self) -> u32 {
        match self.db_embedded_shared_buffers_mb {
            0 => persistence::embedded::default_shared_buffers_mb(),
            size => size,
        }
    }

    pub fn workers(&self) -> usize {
        if self.workers == 0 {
            cores()
        } else {
            self.workers
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The service's command line, blind to the environment: a `GONGKAI_*` variable set where the
    /// tests run must not change the defaults they check.
    fn command_without_environment() -> clap::Command {
        <Cli as clap::CommandFactory>::command().mut_args(|arg| arg.env(None::<&str>))
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = command_without_environment()
            .try_get_matches_from(std::iter::once("gongkai").chain(args.iter().copied()))?;
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
    }

    #[test]
    fn the_tests_parse_without_the_environment_the_service_reads() {
        let service = <Cli as clap::CommandFactory>::command();
        let bound: Vec<_> = service.get_arguments().filter_map(|a| a.get_env()).collect();
        assert!(bound.len() > 20, "{bound:?}");
        assert!(command_without_environment().get_arguments().all(|a| a.get_env().is_none()));
    }

    #[test]
    fn defaults_serve_on_localhost() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.settings.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(cli.settings.admin_username, "admin");
    }

    #[test]
    fn the_pool_has_four_connections_a_core_unless_told() {
        let cores = cores();
        assert_eq!(parse(&[]).unwrap().settings.db_pool_size(), (4 * cores).clamp(4, 16));
        assert_eq!(parse(&["--db-pool-size", "3"]).unwrap().settings.db_pool_size(), 3);
        assert_eq!(parse(&["--db-pool-size", "40"]).unwrap().settings.db_pool_size(), 40);
        assert_eq!(parse(&[]).unwrap().settings.db_public_pool_size(), (2 * cores).clamp(2, 8));
        assert_eq!(parse(&["--db-public-pool-size", "3"]).unwrap().settings.db_public_pool_size(), 3);
    }

    #[test]
    fn the_embedded_server_caches_a_quarter_of_the_memory_unless_told() {
        let automatic = parse(&[]).unwrap().settings.db_embedded_shared_buffers_mb();
        assert_eq!(automatic, persistence::embedded::default_shared_buffers_mb());
        assert!((128..=4096).contains(&automatic), "{automatic}");
        let told = parse(&["--db-embedded-shared-buffers-mb", "512"]).unwrap().settings;
        assert_eq!(told.db_embedded_shared_buffers_mb(), 512);
        let err = parse(&["--db-embedded-shared-buffers-mb", "lots"]).unwrap_err().to_string();
        assert!(err.lines().next().unwrap().contains("GONGKAI_DB_EMBEDDED_SHARED_BUFFERS_MB"), "{err}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = parse(&["--bind", "nowhere"]).unwrap_err().to_string();
        assert!(err.lines().next().unwrap().contains("GONGKAI_BIND"), "{err}");
        let err = parse(&["--cors-origins", "example.org"]).unwrap_err().to_string();
        assert!(err.lines().next().unwrap().contains("GONGKAI_CORS_ORIGINS"), "{err}");
        let err = parse(&["--log", "=="]).unwrap_err().to_string();
        assert!(err.lines().next().unwrap().contains("GONGKAI_LOG"), "{err}");
    }

    #[test]
    fn account_rules_and_log_retention_are_bounded() {
        let defaults = parse(&[]).unwrap().settings;
        assert_eq!(defaults.accounts.password_policy(), domain::accounts::PasswordPolicy::default());
        assert_eq!(defaults.accounts.session_policy(), domain::accounts::SessionPolicy::default());
        assert_eq!(defaults.access_log.retention_days, 180);
        let level_three = parse(&[
            "--password-min-length",
            "8",
            "--password-min-classes",
            "3",
            "--password-max-age-days",
            "90",
            "--password-history",
            "5",
            "--session-idle-minutes",
            "15",
        ])
        .unwrap()
        .settings;
        assert_eq!(level_three.accounts.password_policy(), domain::accounts::PasswordPolicy::LEVEL_THREE);
        assert_eq!(level_three.accounts.session_policy().access_token_seconds(), 450);
        for (flag, value, variable) in [
            ("--password-min-length", "6", "GONGKAI_PASSWORD_MIN_LENGTH"),
            ("--password-min-classes", "1", "GONGKAI_PASSWORD_MIN_CLASSES"),
            ("--password-history", "25", "GONGKAI_PASSWORD_HISTORY"),
            ("--access-log-retention-days", "90", "GONGKAI_ACCESS_LOG_RETENTION_DAYS"),
        ] {
            let err = parse(&[flag, value]).unwrap_err().to_string();
            assert!(err.lines().next().unwrap().contains(variable), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn origins_are_parsed() {
        let cli = parse(&["--cors-origins", "https://a.gov.cn, http://localhost:3000"]).unwrap();
        assert_eq!(cli.settings.cors_origins.0, vec!["https://a.gov.cn", "http://localhost:3000"]);
    }
}
