//! The end-to-end suite's own log: when `GONGKAI_TEST_LOG_DIR` is set, every server a test starts
//! logs (JSON lines, the service's crates at debug) into one file per test process there, so that
//! `.ci/test` can scan everything the suite made the service log for secrets and personal data
//! (see [`crate::log_scan`]).

use std::fs::{self, File};
use std::sync::{Mutex, Once};

pub const LOG_DIR_VARIABLE: &str = "GONGKAI_TEST_LOG_DIR";

/// Installs the capturing subscriber once per process; without the variable, nothing is logged.
pub fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let Some(dir) = std::env::var_os(LOG_DIR_VARIABLE).filter(|d| !d.is_empty()) else {
            return;
        };
        if let Err(err) = fs::create_dir_all(&dir) {
            panic!("{LOG_DIR_VARIABLE}: cannot create {}: {err}", dir.to_string_lossy());
        }
        let program = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "tests".into());
        let path = std::path::Path::new(&dir).join(format!("{program}-{}.jsonl", std::process::id()));
        let file = File::create(&path).unwrap_or_else(|err| panic!("cannot create {}: {err}", path.display()));
        let filter = tracing_subscriber::EnvFilter::new("info,api=debug,persistence=debug,gongkai=debug");
        let _ = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_env_filter(filter)
            .with_writer(Mutex::new(file))
            .try_init();
    });
}
