//! Embedded PostgreSQL launcher: runs a private cluster from the machine's own server
//! binaries, reachable only through a Unix socket in a 0700 directory.

use std::env;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tracing::{info, warn};

const SERVER_BINARIES: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
const SUPERUSER: &str = "postgres";
/// `sun_path` holds 108 bytes; PostgreSQL refuses paths close to that, so stay clearly below.
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Everything lives under it: `pgdata` (cluster), `run` (socket dir), `postgres.log`.
    pub root_dir: PathBuf,
    /// Only names the Unix socket file (`.s.PGSQL.<port>`); the server never listens on TCP.
    pub port: u16,
    /// `false` trades crash safety for speed (fsync, synchronous_commit, full_page_writes off).
    pub durable: bool,
    pub max_connections: u32,
    /// The server's `shared_buffers` in MB; 0 keeps PostgreSQL's own default (128 MB).
    pub shared_buffers_mb: u32,
}

const MIB: u64 = 1024 * 1024;

/// What the service gives its own server unless told otherwise: a quarter of the memory it may
/// use, PostgreSQL's advice for a dedicated server, kept between PostgreSQL's default of 128 MB and
/// 4 GB. With the default alone, a county's documents outgrow the cache: at 1,000,000 documents a
/// random get was 1.4-1.7 times slower than at 10,000 in the database itself.
pub fn default_shared_buffers_mb() -> u32 {
    shared_buffers_for(crate::memory_limit::memory_limit())
}

fn shared_buffers_for(memory_bytes: Option<u64>) -> u32 {
    memory_bytes.map_or(128, |bytes| u32::try_from((bytes / 4 / MIB).clamp(128, 4096)).unwrap_or(4096))
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on this machine: install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to an existing PostgreSQL server.")]
    BinariesNotFound,
    #[error("Running as root needs a `postgres` system user to own the embedded cluster: create one (useradd --system postgres) or run as an ordinary user.")]
    NoPostgresUser,
    #[error("The postgres user cannot reach {} (mode {mode:o}): choose a GONGKAI_DATA_DIR outside it or run chmod o+x {}.", dir.display(), dir.display())]
    Unreachable { dir: PathBuf, mode: u32 },
    #[error("The socket directory {} is not a private directory owned by this user: remove it and try again.", path.display())]
    UnsafeSocketDir { path: PathBuf },
    #[error("Could not {action}: {cause}.")]
    Io { action: String, cause: io::Error },
    #[error("Could not hand {} over to the postgres user ({detail}): check that root may chown files there.", dir.display())]
    Chown { dir: PathBuf, detail: String },
    #[error("initdb could not create a cluster in {} ({detail}): fix the cause, empty that directory and try again.", data_dir.display())]
    InitdbFailed { data_dir: PathBuf, detail: String },
    #[error("PostgreSQL did not start on {} ({detail}): see {} for the full log.", data_dir.display(), log.display())]
    StartFailed { data_dir: PathBuf, log: PathBuf, detail: String },
    #[error("PostgreSQL on {} did not stop ({detail}): stop it with pg_ctl stop -D {} or kill its postmaster.", data_dir.display(), data_dir.display())]
    StopFailed { data_dir: PathBuf, detail: String },
}

fn io_err(action: impl Into<String>) -> impl FnOnce(io::Error) -> EmbeddedError {
    let action = action.into();
    move |cause| EmbeddedError::Io { action, cause }
}

fn run(cmd: &mut Command, what: &str) -> Result<Output, EmbeddedError> {
    cmd.output().map_err(io_err(format!("run {what}")))
}

/// A started or reused cluster. Dropping it leaves the server running on purpose, so a later
/// process can reuse it; call `stop` or `stop_when_process_exits` to end it.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bindir: PathBuf,
    /// We are root, so the server binaries run through `runuser`: PostgreSQL refuses root.
    as_postgres: bool,
    root_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Finds the server binaries, runs initdb once if root_dir/pgdata has no PG_VERSION, and
    /// starts the server — or reuses it if `pg_ctl status` says it already runs on that data dir.
    pub fn start(opts: &EmbeddedOptions) -> Result<EmbeddedPostgres, EmbeddedError> {
        let bindir = find_server_binaries()?;
        let requested = opts.root_dir.display();
        fs::create_dir_all(&opts.root_dir).map_err(io_err(format!("create {requested}")))?;
        let root_dir = fs::canonicalize(&opts.root_dir).map_err(io_err(format!("resolve {requested}")))?;
        let as_postgres = effective_uid() == Some(0);
        let postgres_uid =
            as_postgres.then(|| uid_of(Some(SUPERUSER)).ok_or(EmbeddedError::NoPostgresUser)).transpose()?;
        if let Some(uid) = postgres_uid {
            check_reachable(&root_dir, uid)?;
        }
        let socket_dir = socket_dir_for(&root_dir, opts.port);
        prepare_socket_dir(&socket_dir, postgres_uid)?;
        if as_postgres {
            chown_to_postgres(&root_dir, &socket_dir)?;
        }

        let mut pg = EmbeddedPostgres {
            bindir,
            as_postgres,
            data_dir: root_dir.join("pgdata"),
            root_dir,
            socket_dir,
            port: opts.port,
            started_here: false,
        };
        if !pg.data_dir.join("PG_VERSION").exists() {
            pg.initdb(opts.durable)?;
        }
        if pg.is_running()? {
            // The running server may have been started with other settings; its pid file is
            // the truth about where it actually listens.
            if let Some((port, socket_dir)) = read_pid_file(&pg.data_dir) {
                (pg.port, pg.socket_dir) = (port, socket_dir);
            }
            info!(data_dir = %pg.data_dir.display(), socket_dir = %pg.socket_dir.display(), "reusing running PostgreSQL");
            pg.warn_if_cache_differs(opts.shared_buffers_mb);
        } else {
            pg.start_server(opts)?;
            pg.started_here = true;
        }
        Ok(pg)
    }

    /// true when this call started the server, false when it reused a running one.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// libpq key/value connection string for tokio-postgres.
    pub fn connection_string(&self, dbname: &str) -> String {
        let host = conninfo_value(&self.socket_dir.to_string_lossy());
        let dbname = conninfo_value(dbname);
        let port = self.port;
        format!("host={host} port={port} user={SUPERUSER} dbname={dbname}")
    }

    /// The socket directory (absolute).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// `pg_ctl stop -m fast -w`. Idempotent: Ok if already stopped.
    pub fn stop(&self) -> Result<(), EmbeddedError> {
        if !self.is_running()? {
            info!(data_dir = %self.data_dir.display(), "PostgreSQL already stopped");
            return Ok(());
        }
        info!(data_dir = %self.data_dir.display(), "stopping PostgreSQL");
        let out = run(self.pg_ctl("stop").args(["-m", "fast", "-w"]), "pg_ctl stop")?;
        // A concurrent stop makes pg_ctl fail although the goal is reached.
        if out.status.success() || !self.is_running()? {
            return Ok(());
        }
        let (data_dir, detail) = (self.data_dir.clone(), failure_detail(&out));
        Err(EmbeddedError::StopFailed { data_dir, detail })
    }

    /// Spawns a detached watchdog that stops the server when the current process exits, even by
    /// panic or SIGKILL; with `remove_dir` it then deletes root_dir.
    pub fn stop_when_process_exits(&self, remove_dir: bool) -> Result<(), EmbeddedError> {
        self.watch_pid(std::process::id(), remove_dir)
    }

    fn watch_pid(&self, pid: u32, remove_dir: bool) -> Result<(), EmbeddedError> {
        let mut stop = self.argv("pg_ctl");
        stop.extend(["stop", "-m", "immediate", "-w", "-D"].map(OsString::from));
        stop.push(self.data_dir.clone().into());
        // Reading the state from /proc instead of `kill -0` also ends the wait when the watched
        // process is a zombie its parent never reaps.
        let mut script = format!(
            "while s=$(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/{pid}/stat 2>/dev/null) \
             && [ -n \"$s\" ] && [ \"$s\" != Z ]; do sleep 0.5; done; {}",
            sh_join(&stop)
        );
        if remove_dir {
            script = format!("{script}; rm -rf {}", sh_quote(self.root_dir.as_os_str()));
            if !self.socket_dir.starts_with(&self.root_dir) {
                script = format!("{script} {}", sh_quote(self.socket_dir.as_os_str()));
            }
        }
        // setsid: a Ctrl-C or kill aimed at our process group must not take the watchdog along.
        // Null stdio: a test runner waiting for our stdout to close must not wait on it.
        let child = Command::new("setsid")
            .args(["sh", "-c", &script])
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io_err("start the PostgreSQL watchdog (setsid sh)"))?;
        info!(pid, remove_dir, "watchdog will stop PostgreSQL when the process exits");
        // Deliberately never waited for: it outlives us and is then reaped by init.
        drop(child);
        Ok(())
    }

    fn initdb(&self, durable: bool) -> Result<(), EmbeddedError> {
        info!(data_dir = %self.data_dir.display(), "creating a new PostgreSQL cluster with initdb");
        let mut detail = String::new();
        // Some minimal systems lack the C.UTF-8 locale; plain C works everywhere.
        for locale in ["C.UTF-8", "C"] {
            let mut cmd = self.command("initdb");
            cmd.arg("-D").arg(&self.data_dir);
            cmd.args(["-U", SUPERUSER, "--auth=trust", "-E", "UTF8"]);
            cmd.arg(format!("--locale={locale}"));
            if !durable {
                cmd.arg("--no-sync");
            }
            let out = run(&mut cmd, "initdb")?;
            if out.status.success() {
                return Ok(());
            }
            detail = failure_detail(&out);
            warn!(locale, %detail, "initdb failed");
        }
        let data_dir = self.data_dir.clone();
        Err(EmbeddedError::InitdbFailed { data_dir, detail })
    }

    /// Starts with the asked `shared_buffers`, and with PostgreSQL's default when the machine
    /// cannot give that much shared memory: a smaller cache is better than no server. Any other
    /// failure is reported as it is.
    fn start_server(&self, opts: &EmbeddedOptions) -> Result<(), EmbeddedError> {
        match self.start_server_with(opts, opts.shared_buffers_mb) {
            Err(EmbeddedError::StartFailed { detail, .. })
                if opts.shared_buffers_mb > 0 && detail.contains("shared memory") && !self.is_running()? =>
            {
                warn!(shared_buffers_mb = opts.shared_buffers_mb, %detail, "PostgreSQL did not start with this shared_buffers; starting it with its default");
                self.start_server_with(opts, 0)
            }
            result => result,
        }
    }

    /// A running server keeps the cache it was started with: says so when that is not the asked one.
    fn warn_if_cache_differs(&self, asked_mb: u32) {
        if asked_mb == 0 {
            return;
        }
        let started_with = fs::read_to_string(self.data_dir.join("postmaster.opts")).ok();
        let Some(running_mb) = started_with.as_deref().and_then(started_shared_buffers_mb) else {
            return;
        };
        if running_mb != u64::from(asked_mb) {
            warn!(
                data_dir = %self.data_dir.display(), running_shared_buffers_mb = running_mb, asked_shared_buffers_mb = asked_mb,
                "the reused PostgreSQL keeps the shared_buffers it was started with; stop it (pg_ctl stop -D <data dir>) for the asked size to apply"
            );
        }
    }

    /// The server's own log, which `pg_ctl start -l` appends to.
    fn log_file(&self) -> PathBuf {
        self.root_dir.join("postgres.log")
    }

    fn start_server_with(&self, opts: &EmbeddedOptions, shared_buffers_mb: u32) -> Result<(), EmbeddedError> {
        let log = self.log_file();
        // pg_ctl hands -o to /bin/sh, hence the quoting.
        let socket_dir = sh_quote(self.socket_dir.as_os_str());
        let mut server_opts = format!(
            "-c listen_addresses='' -k {socket_dir} -p {} -c max_connections={}",
            self.port, opts.max_connections
        );
        if !opts.durable {
            server_opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        if shared_buffers_mb > 0 {
            server_opts.push_str(&format!(" -c shared_buffers={shared_buffers_mb}MB"));
        }
        info!(data_dir = %self.data_dir.display(), socket_dir = %self.socket_dir.display(), "starting PostgreSQL");
        let mut cmd = self.pg_ctl("start");
        cmd.args(["-w", "-t", "60", "-l"]).arg(&log);
        cmd.arg("-o").arg(server_opts);
        let out = run(&mut cmd, "pg_ctl start")?;
        if out.status.success() {
            return Ok(());
        }
        let mut detail = tail(&fs::read_to_string(&log).unwrap_or_default(), 8);
        if detail.is_empty() {
            detail = failure_detail(&out);
        }
        let data_dir = self.data_dir.clone();
        Err(EmbeddedError::StartFailed { data_dir, log, detail })
    }

    fn is_running(&self) -> Result<bool, EmbeddedError> {
        // Exit status 0 = running, 3 = not running, 4 = no usable data directory.
        let out = run(&mut self.pg_ctl("status"), "pg_ctl status")?;
        Ok(out.status.success())
    }

    fn argv(&self, bin: &str) -> Vec<OsString> {
        let runuser: &[&str] = if self.as_postgres { &["runuser", "-u", SUPERUSER, "--"] } else { &[] };
        let exe = self.bindir.join(bin).into_os_string();
        runuser.iter().map(OsString::from).chain([exe]).collect()
    }

    fn command(&self, bin: &str) -> Command {
        let argv = self.argv(bin);
        let mut cmd = Command::new(&argv[0]);
        // "/" because the postgres user may not be able to enter our cwd, and the cluster
        // directory may already be gone when stop() runs.
        cmd.args(&argv[1..]).current_dir("/").stdin(Stdio::null());
        cmd
    }

    fn pg_ctl(&self, action: &str) -> Command {
        let mut cmd = self.command("pg_ctl");
        cmd.args([action, "-D"]).arg(&self.data_dir);
        cmd
    }
}

/// Whether PostgreSQL, run as the `postgres` user when we are root, can reach `dir`: every
/// existing ancestor must be traversable by others or owned by that user. Always true when not root.
pub fn server_user_can_reach(dir: &Path) -> bool {
    if effective_uid() != Some(0) {
        return true;
    }
    let Some(uid) = uid_of(Some(SUPERUSER)) else { return false };
    dir.ancestors()
        .skip(1)
        .filter_map(|a| fs::metadata(a).ok())
        .all(|meta| meta.mode() & 0o001 != 0 || meta.uid() == uid)
}

/// A place the `postgres` user can always reach for the cluster of `data_dir`, stable across
/// restarts, for data directories under a private parent (such as /root).
pub fn reachable_root_for(data_dir: &Path) -> PathBuf {
    PathBuf::from("/var/lib/gongkai").join(format!("cluster-{:016x}", fnv1a(data_dir.to_string_lossy().as_bytes())))
}

/// Where the binaries are: `GONGKAI_PG_BINDIR` when set, else `pg_config --bindir` if it has initdb+pg_ctl+postgres, else PATH,
/// else the highest /usr/lib/postgresql/*/bin.
pub fn find_server_binaries() -> Result<PathBuf, EmbeddedError> {
    // An operator with several PostgreSQL versions names the one to use; no guessing then.
    if let Some(chosen) = env::var_os("GONGKAI_PG_BINDIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(chosen);
        return if has_server_binaries(&dir) { Ok(dir) } else { Err(EmbeddedError::BinariesNotFound) };
    }
    candidate_bindirs().find(|dir| has_server_binaries(dir)).ok_or(EmbeddedError::BinariesNotFound)
}

/// Where PostgreSQL's programs may be, in order: `pg_config --bindir`, `PATH`, then the highest
/// `/usr/lib/postgresql/*/bin`.
pub(crate) fn candidate_bindirs() -> impl Iterator<Item = PathBuf> {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(OsStr::from_bytes(out.stdout.trim_ascii())));
    let from_path: Vec<PathBuf> = env::var_os("PATH").map(|path| env::split_paths(&path).collect()).unwrap_or_default();
    from_pg_config.into_iter().chain(from_path).chain(debian_bindirs())
}

fn has_server_binaries(dir: &Path) -> bool {
    SERVER_BINARIES.iter().all(|bin| fs::metadata(dir.join(bin)).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0))
}

/// Debian's versioned layout, newest major version first.
fn debian_bindirs() -> Vec<PathBuf> {
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name.to_str()?.split('.').map(|part| part.parse().ok()).collect::<Option<Vec<u32>>>()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// Without the libc crate: the effective uid is the second `Uid:` field of /proc/self/status.
fn effective_uid() -> Option<u32> {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let uids = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
            uids.split_whitespace().nth(1)?.parse().ok()
        })
        .or_else(|| uid_of(None))
}

fn uid_of(user: Option<&str>) -> Option<u32> {
    let out = Command::new("id").arg("-u").args(user).output().ok()?;
    out.status.success().then_some(())?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// The postgres user must traverse every ancestor, or initdb fails with a far vaguer message.
fn check_reachable(root_dir: &Path, postgres_uid: u32) -> Result<(), EmbeddedError> {
    for dir in root_dir.ancestors().skip(1) {
        let meta = fs::metadata(dir).map_err(io_err(format!("inspect {}", dir.display())))?;
        let mode = meta.mode() & 0o7777;
        if mode & 0o001 == 0 && meta.uid() != postgres_uid {
            let dir = dir.to_path_buf();
            return Err(EmbeddedError::Unreachable { dir, mode });
        }
    }
    Ok(())
}

fn socket_dir_for(root_dir: &Path, port: u16) -> PathBuf {
    let preferred = root_dir.join("run");
    let socket_file = preferred.join(format!(".s.PGSQL.{port}"));
    if socket_file.as_os_str().len() <= MAX_SOCKET_PATH {
        return preferred;
    }
    PathBuf::from(format!("/tmp/gongkai-pg-{:012x}", fnv1a(root_dir.as_os_str().as_bytes()) >> 16))
}

/// FNV-1a rather than DefaultHasher: names derived from it must stay stable across Rust releases
/// so that a later process finds the same socket and cluster.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3))
}

/// Trust authentication is only safe while nobody but us (or root) can enter the socket dir.
fn prepare_socket_dir(dir: &Path, postgres_uid: Option<u32>) -> Result<(), EmbeddedError> {
    fs::create_dir_all(dir).map_err(io_err(format!("create {}", dir.display())))?;
    let meta = fs::symlink_metadata(dir).map_err(io_err(format!("inspect {}", dir.display())))?;
    let ours = effective_uid().is_some_and(|uid| uid == meta.uid());
    if !meta.is_dir() || !(ours || postgres_uid == Some(meta.uid())) {
        let path = dir.to_path_buf();
        return Err(EmbeddedError::UnsafeSocketDir { path });
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io_err(format!("restrict {} to mode 0700", dir.display())))
}

fn chown_to_postgres(root_dir: &Path, socket_dir: &Path) -> Result<(), EmbeddedError> {
    let mut cmd = Command::new("chown");
    cmd.args(["-R", "postgres:postgres"]).arg(root_dir);
    if !socket_dir.starts_with(root_dir) {
        cmd.arg(socket_dir);
    }
    let out = run(&mut cmd, "chown")?;
    if out.status.success() {
        return Ok(());
    }
    let (dir, detail) = (root_dir.to_path_buf(), failure_detail(&out));
    Err(EmbeddedError::Chown { dir, detail })
}

/// The `shared_buffers` in MB a server was started with, from its `postmaster.opts` (its command
/// line, each argument in double quotes); `None` when it was started without one (its configured
/// value applies, which this cannot see) or with a value this does not read.
fn started_shared_buffers_mb(postmaster_opts: &str) -> Option<u64> {
    let (_, rest) = postmaster_opts.rsplit_once("shared_buffers=")?;
    let value: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\'').collect();
    let digits = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let number: u64 = value[..digits].parse().ok()?;
    // PostgreSQL's memory units; a bare number counts 8 kB pages.
    let kib = match &value[digits..] {
        "" => number.checked_mul(8)?,
        "kB" => number,
        "MB" => number.checked_mul(1024)?,
        "GB" => number.checked_mul(1024 * 1024)?,
        "TB" => number.checked_mul(1024 * 1024 * 1024)?,
        _ => return None,
    };
    Some(kib / 1024)
}

/// Lines 4 and 5 of postmaster.pid hold the port and the first socket directory.
fn read_pid_file(data_dir: &Path) -> Option<(u16, PathBuf)> {
    let text = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = text.lines().skip(3);
    let port = lines.next()?.trim().parse().ok()?;
    let socket_dir = lines.next()?.trim();
    (!socket_dir.is_empty()).then(|| (port, PathBuf::from(socket_dir)))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

fn failure_detail(out: &Output) -> String {
    match tail(&String::from_utf8_lossy(&out.stderr), 5) {
        stderr if stderr.is_empty() => out.status.to_string(),
        stderr => format!("{}: {stderr}", out.status),
    }
}

fn sh_quote(word: &OsStr) -> String {
    format!("'{}'", word.to_string_lossy().replace('\'', r"'\''"))
}

fn sh_join(argv: &[OsString]) -> String {
    let words: Vec<String> = argv.iter().map(|arg| sh_quote(arg)).collect();
    words.join(" ")
}

fn conninfo_value(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const PORT: u16 = 54329;

    /// A cluster root inside a tempdir the postgres user can traverse (tempdirs are 0700).
    fn fresh_root() -> (tempfile::TempDir, EmbeddedOptions) {
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let root_dir = tmp.path().join("pg");
        let opts = EmbeddedOptions { root_dir, port: PORT, durable: false, max_connections: 20, shared_buffers_mb: 0 };
        (tmp, opts)
    }

    /// Stops the cluster even when an assertion fails halfway through a test.
    struct Guard(EmbeddedPostgres);

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = self.0.stop();
        }
    }

    fn psql(pg: &EmbeddedPostgres, sql: &str) -> String {
        let out = Command::new("psql")
            .arg("-h")
            .arg(pg.socket_dir())
            .arg(format!("--port={}", pg.port))
            .args(["-U", "postgres", "-d", "postgres", "-XAtqc", sql])
            .output()
            .expect("psql runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "psql: {stderr}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn process_alive(pid: u32) -> bool {
        let state = |stat: String| stat.rsplit(") ").next().and_then(|s| s.chars().next());
        let state = fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(state);
        state.is_some_and(|s| s != 'Z' && s != 'X')
    }

    #[test]
    fn starts_reuses_and_restarts_with_data_intact() {
        let (_tmp, opts) = fresh_root();
        let first = Guard(EmbeddedPostgres::start(&opts).unwrap());
        assert!(first.0.started_here());
        assert_eq!(psql(&first.0, "select 1"), "1");
        psql(&first.0, "create table kept as select 7 as id");
        let dir = first.0.socket_dir().display();
        let expected = format!("host={dir} port={PORT} user=postgres dbname=app");
        assert_eq!(first.0.connection_string("app"), expected);

        let reused = EmbeddedPostgres::start(&opts).unwrap();
        assert!(!reused.started_here());
        assert_eq!(reused.connection_string("app"), expected);

        first.0.stop().unwrap();
        first.0.stop().unwrap();
        let restarted = Guard(EmbeddedPostgres::start(&opts).unwrap());
        assert!(restarted.0.started_here());
        assert_eq!(psql(&restarted.0, "select id from kept"), "7");
        restarted.0.stop().unwrap();
    }

    #[test]
    fn watchdog_stops_server_and_removes_dir_when_watched_process_exits() {
        let (_tmp, opts) = fresh_root();
        let pg = Guard(EmbeddedPostgres::start(&opts).unwrap());
        let pid_file = fs::read_to_string(pg.0.data_dir.join("postmaster.pid")).unwrap();
        let postmaster: u32 = pid_file.lines().next().unwrap().parse().unwrap();

        let mut watched = Command::new("sleep").arg("1").spawn().unwrap();
        pg.0.watch_pid(watched.id(), true).unwrap();
        assert!(process_alive(postmaster));
        watched.wait().unwrap();

        let deadline = Instant::now() + Duration::from_secs(15);
        while (opts.root_dir.exists() || process_alive(postmaster)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(!process_alive(postmaster), "the postmaster survived");
        assert!(!opts.root_dir.exists(), "the cluster directory survived");
    }

    #[test]
    fn the_server_gets_the_asked_shared_buffers() {
        let (_tmp, opts) = fresh_root();
        let pg = Guard(EmbeddedPostgres::start(&EmbeddedOptions { shared_buffers_mb: 160, ..opts }).unwrap());
        assert_eq!(psql(&pg.0, "show shared_buffers"), "160MB");
        let started_with = fs::read_to_string(pg.0.data_dir.join("postmaster.opts")).unwrap();
        assert_eq!(started_shared_buffers_mb(&started_with), Some(160), "{started_with}");
    }

    /// What a closure logged, as the service's text log would show it.
    fn logged_by<T>(run: impl FnOnce() -> T) -> (T, String) {
        #[derive(Clone, Default)]
        struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let result = tracing::subscriber::with_default(subscriber, run);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        (result, text)
    }

    #[test]
    fn reusing_a_server_started_with_another_shared_buffers_says_so_and_the_same_does_not() {
        let (_tmp, opts) = fresh_root();
        let first =
            Guard(EmbeddedPostgres::start(&EmbeddedOptions { shared_buffers_mb: 160, ..opts.clone() }).unwrap());
        let (same, quiet) =
            logged_by(|| EmbeddedPostgres::start(&EmbeddedOptions { shared_buffers_mb: 160, ..opts.clone() }));
        assert!(!same.unwrap().started_here());
        assert!(!quiet.contains("keeps the shared_buffers"), "{quiet}");
        let (other, warned) =
            logged_by(|| EmbeddedPostgres::start(&EmbeddedOptions { shared_buffers_mb: 192, ..opts.clone() }));
        assert!(!other.unwrap().started_here());
        assert!(warned.contains("WARN"), "{warned}");
        assert!(warned.contains("the reused PostgreSQL keeps the shared_buffers it was started with"), "{warned}");
        assert!(
            warned.contains("running_shared_buffers_mb=160") && warned.contains("asked_shared_buffers_mb=192"),
            "{warned}"
        );
        assert_eq!(psql(&first.0, "show shared_buffers"), "160MB", "the running server was left as it was");
    }

    #[test]
    fn a_shared_buffers_the_machine_cannot_give_falls_back_to_the_default() {
        // Only the kernel's heuristic overcommit refuses an anonymous mapping far beyond the
        // memory; other modes would grant it and the test would only measure the machine.
        if fs::read_to_string("/proc/sys/vm/overcommit_memory").map(|m| m.trim() != "0").unwrap_or(true) {
            return;
        }
        let (_tmp, opts) = fresh_root();
        let asked = EmbeddedOptions { shared_buffers_mb: 1024 * 1024, ..opts };
        let pg = Guard(EmbeddedPostgres::start(&asked).unwrap());
        assert!(pg.0.started_here());
        assert_eq!(psql(&pg.0, "show shared_buffers"), "128MB");
        let log = fs::read_to_string(pg.0.log_file()).unwrap();
        assert!(log.contains("could not map anonymous shared memory"), "{log}");
    }

    #[test]
    fn reads_the_cache_a_running_server_was_started_with() {
        let opts = r#"/usr/lib/postgresql/15/bin/postgres "-D" "/srv/g/pgdata" "-c" "listen_addresses=" "-c" "shared_buffers=4096MB""#;
        assert_eq!(started_shared_buffers_mb(opts), Some(4096));
        let twice = "postgres -c shared_buffers=1GB -c shared_buffers=2GB -c work_mem=4MB";
        assert_eq!(started_shared_buffers_mb(twice), Some(2048));
        assert_eq!(started_shared_buffers_mb("postgres -c shared_buffers=16384"), Some(128));
        assert_eq!(started_shared_buffers_mb("postgres -c shared_buffers=131072kB"), Some(128));
        assert_eq!(started_shared_buffers_mb("postgres -c shared_buffers=1XB"), None);
        assert_eq!(started_shared_buffers_mb(r#"postgres "-D" "/srv/g/pgdata""#), None);
    }

    #[test]
    fn the_default_shared_buffers_is_a_quarter_of_the_memory_within_bounds() {
        const GIB: u64 = 1024 * MIB;
        assert_eq!(shared_buffers_for(Some(24 * GIB)), 4096);
        assert_eq!(shared_buffers_for(Some(8 * GIB)), 2048);
        assert_eq!(shared_buffers_for(Some(2 * GIB)), 512);
        assert_eq!(shared_buffers_for(Some(256 * MIB)), 128);
        assert_eq!(shared_buffers_for(None), 128);
        assert!(default_shared_buffers_mb() >= 128);
    }

    #[test]
    fn finds_server_binaries() {
        let bindir = find_server_binaries().unwrap();
        assert!(bindir.is_absolute() && has_server_binaries(&bindir));
        let version = Command::new(bindir.join("postgres")).arg("-V").output();
        assert!(String::from_utf8_lossy(&version.unwrap().stdout).contains("PostgreSQL"));
    }

    #[test]
    fn long_roots_get_a_short_stable_socket_dir() {
        let short = socket_dir_for(Path::new("/srv/g"), PORT);
        assert_eq!(short, Path::new("/srv/g/run"));
        let long = PathBuf::from(format!("/srv/{}", "x".repeat(90)));
        let dir = socket_dir_for(&long, PORT);
        let name = dir.strip_prefix("/tmp").unwrap().to_str().unwrap();
        let hash = name.strip_prefix("gongkai-pg-").unwrap();
        assert!(hash.len() == 12 && hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(dir, socket_dir_for(&long, PORT));
        assert_ne!(dir, socket_dir_for(&long.join("y"), PORT));
    }

    #[test]
    fn root_refuses_dirs_the_postgres_user_cannot_reach() {
        if effective_uid() != Some(0) {
            return;
        }
        let (tmp, opts) = fresh_root();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let err = EmbeddedPostgres::start(&opts).unwrap_err();
        let hidden = fs::canonicalize(tmp.path()).unwrap();
        assert!(matches!(&err, EmbeddedError::Unreachable { dir, mode: 0o700 } if *dir == hidden));
        assert!(err.to_string().contains("(mode 700)"), "{err}");
    }

    #[test]
    fn conninfo_values_are_quoted_only_when_needed() {
        assert_eq!(conninfo_value("app"), "app");
        assert_eq!(conninfo_value("my db"), "'my db'");
        assert_eq!(conninfo_value(r"it's\"), r"'it\'s\\'");
        assert_eq!(conninfo_value(""), "''");
    }
}
