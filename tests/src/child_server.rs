//! `gongkai serve` as a separate operating-system process, for faults that only a real process
//! shows: `kill -9`, SIGTERM, a restart on the same database and data directory.
//!
//! The program is the test package's own binary `gongkai-under-test` (the same
//! `api::cli::run()` as `gongkai`, always built with the tests): pass
//! `env!("CARGO_BIN_EXE_gongkai-under-test")` from the integration test. It is configured the
//! way an operator would, by environment only, with a configured database (`DATABASE_URL`, never
//! the embedded one), a data directory the caller keeps across restarts (the token-signing and
//! personal-data keys live there) and a port of its own. Its log goes to a file whose text is shown
//! when it fails to start.

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::ADMIN_PASSWORD;

/// How long a start may take before the harness gives up (migrations are already applied).
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ChildServer {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    pub port: u16,
    program: PathBuf,
    database_url: String,
    data_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
    /// Processes started so far (the first start and every restart).
    pub starts: u32,
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

impl ChildServer {
    /// Starts `program serve` on `database_url` with `data_dir`, and waits until `/readyz` answers
    /// 200. The log is appended to `log_path`.
    pub async fn start(program: &Path, database_url: &str, data_dir: &Path, log_path: &Path) -> ChildServer {
        let mut server = ChildServer {
            base: String::new(),
            port: 0,
            program: program.to_owned(),
            database_url: database_url.to_owned(),
            data_dir: data_dir.to_owned(),
            log_path: log_path.to_owned(),
            child: None,
            starts: 0,
        };
        server.launch(free_port()).await;
        server
    }

    /// The running process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is not running").id()
    }

    fn command(&self, port: u16) -> Command {
        let mut command = Command::new(&self.program);
        // Nothing of the test process's own configuration leaks into the server's.
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(|n| n.starts_with("GONGKAI_") || n == "DATABASE_URL" || n == "RUST_LOG") {
                command.env_remove(name);
            }
        }
        let log = OpenOptions::new().create(true).append(true).open(&self.log_path).expect("server log file");
        // The child's access log joins the suite's captured logs, so the scan covers it too.
        if let Some(dir) = std::env::var_os(crate::logs::LOG_DIR_VARIABLE).filter(|d| !d.is_empty()) {
            command.env("GONGKAI_ACCESS_LOG_DIR", dir);
        }
        command
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("GONGKAI_BIND", format!("127.0.0.1:{port}"))
            .env("GONGKAI_DATA_DIR", &self.data_dir)
            .env("GONGKAI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("GONGKAI_LOG", "info")
            .env("GONGKAI_LOG_FORMAT", "text")
            .env("GONGKAI_WORKERS", "2")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log));
        // SAFETY: prctl(2) is async-signal-safe; it only asks the kernel to kill the server when
        // the thread that started it ends, so that a test that dies leaves no server behind.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        command
    }

    /// Spawns on `port` (on another one if that one is taken meanwhile) and waits until ready.
    async fn launch(&mut self, mut port: u16) {
        assert!(self.child.is_none(), "the previous process is still running");
        for attempt in 1..=3 {
            let child = self.command(port).spawn().expect("spawn the server");
            self.starts += 1;
            self.child = Some(child);
            self.port = port;
            self.base = format!("http://127.0.0.1:{port}");
            match self.wait_ready().await {
                Ok(()) => return,
                // Another process took the port between our look and the server's bind.
                Err(status) if attempt < 3 && self.log().contains("GONGKAI_BIND") => {
                    eprintln!("server could not bind port {port} ({status}); trying another");
                    port = free_port();
                }
                Err(status) => panic!("the server exited before it was ready ({status}); its log:\n{}", self.log()),
            }
        }
    }

    /// Polls `/readyz` until 200; `Err` with the exit status if the process ended first.
    async fn wait_ready(&mut self) -> Result<(), ExitStatus> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().expect("try_wait") {
                self.child = None;
                return Err(status);
            }
            if let Ok(response) = http.get(format!("{}/readyz", self.base)).send().await {
                if response.status() == 200 {
                    return Ok(());
                }
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "the server was not ready within {START_TIMEOUT:?}; its log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `kill -9`: the process dies at once, in whatever it was doing. Returns its exit status.
    pub fn kill_9(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is not running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap the killed server")
    }

    /// Sends SIGTERM, as `docker stop`, systemd or Kubernetes do before stopping a process.
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.pid()).expect("pid");
        // SAFETY: kill(2) with a pid this harness spawned and has not reaped yet, so it cannot
        // name another process.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM: {}", std::io::Error::last_os_error());
    }

    /// Waits up to `within` for the process to exit; its status, or `None` if it is still running.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().expect("the server is not running").try_wait().expect("try_wait")
            {
                self.child = None;
                return Some(status);
            }
            if started.elapsed() >= within {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the server again, on the same database, data directory and port, after the previous
    /// process ended (killed or stopped); waits until it is ready.
    pub async fn restart(&mut self) {
        self.launch(self.port).await;
    }

    /// Everything the server processes logged so far.
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The data directory the server keeps its keys (and local attachments) in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
