//! The `gongkai` command: parses flags and environment, then serves, migrates, prints the
//! contract or runs an administration task. A library function, so that the end-to-end tests can
//! build the very same program as a binary of their own and run it as a separate process.

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::bootstrap::{self, Database};
use crate::config::{AdminCommand, Cli, Command, LogFormat, Settings};
use clap::Parser;
use persistence::{users, Actor};

/// Parses the command line and environment, runs the command, and says how it ended.
pub fn run() -> ExitCode {
    crate::allocator::configure();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => err.exit(),
        Err(err) => {
            // One clear line naming the variable or flag, not a usage screen.
            let rendered = err.to_string();
            eprintln!(
                "gongkai: {}",
                rendered.lines().next().unwrap_or("invalid configuration").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let _access_log = match init_logging(&cli.settings, matches!(command, Command::Serve)) {
        Ok(guard) => guard,
        Err(message) => {
            eprintln!("gongkai: {message}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        Command::Openapi => {
            print!("{}", crate::openapi::to_yaml(&crate::openapi::document()));
            Ok(())
        }
        Command::Serve => actix_web::rt::System::new().block_on(serve(cli.settings)),
        Command::Migrate => actix_web::rt::System::new().block_on(migrate(cli.settings)),
        Command::Admin { command: AdminCommand::Backup { to } } => {
            actix_web::rt::System::new().block_on(backup(cli.settings, to))
        }
        Command::Admin { command: AdminCommand::Restore { from, force } } => {
            actix_web::rt::System::new().block_on(restore(cli.settings, from, force))
        }
        Command::Admin { command } => actix_web::rt::System::new().block_on(admin(cli.settings, command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gongkai: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The service log on stderr (`GONGKAI_LOG`, `GONGKAI_LOG_FORMAT`) and, for `serve`, the access
/// log in its daily files whatever `GONGKAI_LOG` says. The guard flushes the access log when dropped.
fn init_logging(
    settings: &Settings,
    access_log: bool,
) -> Result<Option<tracing_appender::non_blocking::WorkerGuard>, String> {
    let access_dir = match (access_log, &settings.access_log.dir) {
        (false, _) => None,
        (true, Some(dir)) => Some(dir.clone()),
        (true, None) => Some(bootstrap::data_dir(settings)?.join("access-log")),
    };
    let (subscriber, guard) = crate::access_log::service_subscriber(
        &settings.log,
        matches!(settings.log_format, LogFormat::Json),
        access_dir.as_deref().map(|dir| (dir, settings.access_log.retention_days)),
        std::io::stderr,
    )?;
    tracing::dispatcher::set_global_default(subscriber).map_err(|e| e.to_string())?;
    Ok(guard)
}

/// Runs `work` against the database; `own_cluster` (the server) also stops an embedded cluster
/// it adopted from a crashed predecessor.
async fn with_database<T>(
    settings: &Settings,
    own_cluster: bool,
    work: impl AsyncFnOnce(&Database) -> Result<T, String>,
) -> Result<T, String> {
    let database = bootstrap::open_database(settings).await?;
    let result = work(&database).await;
    database.shutdown(own_cluster);
    result
}

async fn migrate(settings: Settings) -> Result<(), String> {
    with_database(&settings, false, async |db| {
        let applied = bootstrap::migrate(&db.url).await?;
        tracing::info!(count = applied.len(), ?applied, "migrations applied");
        Ok(())
    })
    .await
}

/// Connections for the work done outside requests besides the webhook deliveries (one each at a
/// time): housekeeping, audit sealing, the opinion sweeper and the webhook queue's pass.
const BACKGROUND_CONNECTIONS: usize = 4;

async fn serve(settings: Settings) -> Result<(), String> {
    let data_dir = bootstrap::data_dir(&settings)?;
    let keys = crate::auth::keys::TokenKeys::load_or_generate(settings.jwt_key_file.as_deref(), &data_dir)?;
    let sealer = bootstrap::personal_data_sealer(settings.personal_data_key_file.as_deref(), &data_dir)?;
    let listener = TcpListener::bind(settings.bind)
        .map_err(|e| format!("GONGKAI_BIND: cannot listen on {}: {e}", settings.bind))?;
    with_database(&settings, true, async |db| {
        bootstrap::migrate(&db.url).await?;
        // Requests are answered from the workers' own pools, which share `db_pool_size` out
        // (one connection each at least); this one serves the start-up and the background work,
        // every webhook delivery in flight recording its attempt on a connection of its own.
        let workers = settings.workers();
        let per_worker = |total: usize| persistence::PoolSpec::new(&db.url, (total / workers).max(1));
        let worker_pools = crate::app::WorkerPools {
            requests: per_worker(settings.db_pool_size()),
            public_reads: per_worker(settings.db_public_pool_size()),
        };
        let webhooks = settings.webhooks();
        let background = BACKGROUND_CONNECTIONS + webhooks.concurrency;
        let pool = persistence::build_pool(&db.url, background).map_err(|e| e.to_string())?;
        let mut conn = persistence::connection(&pool).await.map_err(|e| e.to_string())?;
        sealer.check_against(&mut conn).await?;
        drop(conn);
        bootstrap::ensure_initial_admin(&pool, &settings, &data_dir).await?;
        bootstrap::spawn_housekeeping(pool.clone());
        bootstrap::spawn_audit_sealer(pool.clone());
        let _sweeper = crate::opinion_sweeper::spawn(
            pool.clone(),
            crate::clock::Clock::system(),
            std::time::Duration::from_secs(30),
        );
        let sealer = std::sync::Arc::new(sealer);
        let _webhooks = crate::webhooks::spawn(pool.clone(), sealer.clone(), webhooks.clone())?;
        let state = bootstrap::app_state_configured(
            pool,
            keys,
            bootstrap::blob_store(&settings.s3, &data_dir)?,
            sealer,
            crate::clock::Clock::system(),
            webhooks,
            crate::state::AccountRules {
                password: settings.accounts.password_policy(),
                session: settings.accounts.session_policy(),
            },
        );
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let server = crate::app::serve(listener, state, settings.cors_origins.0.clone(), workers, Some(worker_pools))
            .map_err(|e| e.to_string())?;
        tracing::info!(%address, docs = %format!("http://{address}/docs/"), "Gongkai is serving");
        server.await.map_err(|e| e.to_string())?;
        tracing::info!("stopped accepting requests; in-flight requests finished");
        Ok(())
    })
    .await
}

/// Where the personal-data key is, configured or by default.
fn personal_data_key_path(settings: &Settings, data_dir: &Path) -> PathBuf {
    settings.personal_data_key_file.clone().unwrap_or_else(|| data_dir.join("keys").join("personal-data.key"))
}

/// `gongkai admin backup --to DIR`: no migrations first, the database is backed up as it is.
async fn backup(settings: Settings, to: PathBuf) -> Result<(), String> {
    let data_dir = bootstrap::data_dir(&settings)?;
    let blobs = bootstrap::blob_store(&settings.s3, &data_dir)?;
    with_database(&settings, false, async |db| {
        let manifest = crate::backup::backup(&db.url, blobs.as_ref(), &to).await?;
        let rows: i64 = manifest.database.tables.values().sum();
        eprintln!(
            "backed up {} tables ({rows} rows, {} migrations) and {} attachment objects into {}",
            manifest.database.tables.len(),
            manifest.database.migrations.len(),
            manifest.objects.len(),
            to.display()
        );
        eprintln!(
            "NOT IN THIS BACKUP: the personal-data key ({}) and the token-signing key. Keep a copy of the \
             personal-data key apart from the backups and as safely as them: without it the sealed identity numbers \
             and contacts cannot be read; with it, anyone holding a backup can read them.",
            personal_data_key_path(&settings, &data_dir).display()
        );
        Ok(())
    })
    .await
}

/// `gongkai admin restore --from DIR [--force]`: into an empty database; then says whether the
/// personal-data key in place is the one the restored data was sealed with.
async fn restore(settings: Settings, from: PathBuf, force: bool) -> Result<(), String> {
    let data_dir = bootstrap::data_dir(&settings)?;
    let blobs = bootstrap::blob_store(&settings.s3, &data_dir)?;
    with_database(&settings, false, async |db| {
        let manifest = crate::backup::restore(&db.url, blobs.as_ref(), &from, force).await?;
        eprintln!(
            "restored the backup of {} ({} tables, {} attachment objects, made by Gongkai {})",
            manifest.created_at.to_rfc3339(),
            manifest.database.tables.len(),
            manifest.objects.len(),
            manifest.gongkai_version
        );
        let key = personal_data_key_path(&settings, &data_dir);
        let check = match std::fs::read_to_string(&key) {
            Err(_) => Err(format!("there is no personal-data key at {}", key.display())),
            Ok(text) => match persistence::personal_data::Sealer::from_hex(&text) {
                Err(e) => Err(format!("the personal-data key {}: {e}", key.display())),
                Ok(sealer) => {
                    let pool = persistence::build_pool(&db.url, 1).map_err(|e| e.to_string())?;
                    let mut conn = persistence::connection(&pool).await.map_err(|e| e.to_string())?;
                    sealer.check_against(&mut conn).await
                }
            },
        };
        if let Err(problem) = check {
            eprintln!(
                "WARNING: {problem}: put the original personal-data key of the backed-up installation there before \
                 `gongkai serve` (it refuses to start with another key; sealed data cannot be read without it)"
            );
        }
        Ok(())
    })
    .await
}

fn read_password(password_stdin: bool, settings: &Settings) -> Result<(String, bool), String> {
    if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        return Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false));
    }
    if let Ok(password) = std::env::var("GONGKAI_NEW_PASSWORD") {
        return Ok((password, false));
    }
    Ok((crate::auth::secrets::generate_password(&settings.accounts.password_policy()), true))
}

async fn admin(settings: Settings, command: AdminCommand) -> Result<(), String> {
    with_database(&settings, false, async |db| {
        bootstrap::migrate(&db.url).await?;
        let pool = persistence::build_pool(&db.url, 2).map_err(|e| e.to_string())?;
        let mut conn = persistence::connection(&pool).await.map_err(|e| e.to_string())?;
        let actor = Actor::system(None);
        let (username, password_stdin) = match &command {
            AdminCommand::CreateUser { username, password_stdin, .. }
            | AdminCommand::ResetPassword { username, password_stdin } => (username.clone(), *password_stdin),
            AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => return Err("not an account command".into()),
        };
        let (password, generated) = read_password(password_stdin, &settings)?;
        domain::accounts::check_password(&settings.accounts.password_policy(), &username, &password)
            .map_err(|p| format!("the password is too weak ({p})"))?;
        let hash = crate::auth::secrets::hash_password(password.clone())
            .await
            .map_err(|_| "could not hash the password".to_owned())?;
        match command {
            AdminCommand::CreateUser { username, display_name, organization_id, roles, .. } => {
                if !domain::accounts::is_valid_username(&username) {
                    return Err("--username: use 3–64 lower-case letters, digits, '.', '_' or '-'".into());
                }
                let new = users::NewUser {
                    username: username.clone(),
                    password_hash: hash,
                    display_name,
                    organization_id,
                    roles,
                };
                users::create(&mut conn, &actor, new).await.map_err(|e| format!("could not create {username}: {e}"))?;
                eprintln!("created user {username}");
            }
            AdminCommand::ResetPassword { username, .. } => {
                let user = users::find_by_username(&mut conn, &username)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or(format!("no user named {username}"))?;
                users::set_password(&mut conn, &actor, user.id, &hash, users::PasswordChange::Reset)
                    .await
                    .map_err(|e| e.to_string())?;
                eprintln!("password of {username} reset; its sessions have ended");
            }
            AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => return Err("not an account command".into()),
        }
        if generated {
            // Asked for no password: print the generated one once, to the operator.
            if std::io::stdout().is_terminal() {
                println!("password: {password}");
            } else {
                println!("{password}");
            }
        }
        Ok(())
    })
    .await
}
