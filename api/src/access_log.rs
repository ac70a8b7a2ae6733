//! The access log (网络安全法 art. 21, 等级保护 security audit): one JSON line per request — time,
//! request id, client address, caller, method, path, status, duration — in one file per day
//! (`access-YYYY-MM-DD.jsonl`, Asia/Shanghai dates) under a directory of its own. Files older than
//! the retention (at least 180 days) are deleted when a day's file is opened. Lines are handed to
//! a writer thread (tracing-appender's non-blocking writer), so a slow disk holds a request only
//! once 64K lines are queued (lines are never dropped). The thread writes through a 64 KiB buffer
//! and flushes it whenever its queue is empty: lines reach the file as soon as the burst that made
//! them is written, and a crash loses at most what was queued or buffered (there is no fsync,
//! as before).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::Layer;

/// The `tracing` target of access events; only these reach the access log.
pub const TARGET: &str = "access";

const PREFIX: &str = "access-";
const SUFFIX: &str = ".jsonl";

fn file_name(day: NaiveDate) -> String {
    format!("{PREFIX}{}{SUFFIX}", day.format("%Y-%m-%d"))
}

fn day_of(name: &str) -> Option<NaiveDate> {
    let date = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

/// Deletes the day files in `dir` older than `retention_days` before `today`; other files stay.
/// Returns the days deleted.
pub fn prune(dir: &Path, retention_days: u32, today: NaiveDate) -> io::Result<Vec<NaiveDate>> {
    let oldest_kept = today - chrono::Duration::days(i64::from(retention_days));
    let mut deleted = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(day) = entry.file_name().to_str().and_then(day_of) else {
            continue;
        };
        if day < oldest_kept {
            fs::remove_file(entry.path())?;
            deleted.push(day);
        }
    }
    deleted.sort();
    Ok(deleted)
}

/// Appends to the file of the current day, opening the next one (and pruning) when the day turns.
pub struct DailyFiles {
    dir: PathBuf,
    retention_days: u32,
    today: fn() -> NaiveDate,
    /// Buffered: the writer thread flushes whenever its queue is empty, so a busy second costs a
    /// few writes instead of one a request.
    current: Option<(NaiveDate, BufWriter<File>)>,
}

fn shanghai_today() -> NaiveDate {
    crate::routes::documents::shanghai_today(Utc::now())
}

impl DailyFiles {
    /// Creates `dir` (mode 0700 when created here: the log names callers and addresses) and
    /// prunes it once. An existing directory keeps its permissions.
    pub fn open(dir: &Path, retention_days: u32) -> Result<DailyFiles, String> {
        Self::open_with(dir, retention_days, shanghai_today)
    }

    fn open_with(dir: &Path, retention_days: u32, today: fn() -> NaiveDate) -> Result<DailyFiles, String> {
        use std::os::unix::fs::PermissionsExt;
        if !dir.exists() {
            fs::create_dir_all(dir)
                .map_err(|e| format!("GONGKAI_ACCESS_LOG_DIR: cannot create {}: {e}", dir.display()))?;
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        }
        let mut files = DailyFiles { dir: dir.to_owned(), retention_days, today, current: None };
        files.file().map_err(|e| format!("GONGKAI_ACCESS_LOG_DIR: cannot write in {}: {e}", dir.display()))?;
        Ok(files)
    }

    fn file(&mut self) -> io::Result<&mut BufWriter<File>> {
        let today = (self.today)();
        if self.current.as_ref().is_none_or(|(day, _)| *day != today) {
            if let Some((day, mut previous)) = self.current.take() {
                // The new day's lines must still be written: the failure is reported, not returned
                // (the writer thread would drop the line that turned the day with the error).
                if let Err(err) = previous.flush() {
                    tracing::error!(error = %err, file = file_name(day), "could not write the end of an access log");
                }
            }
            let path = self.dir.join(file_name(today));
            let file = OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
            if let Err(err) = prune(&self.dir, self.retention_days, today) {
                tracing::warn!(error = %err, dir = %self.dir.display(), "could not delete old access logs");
            }
            self.current = Some((today, BufWriter::with_capacity(64 * 1024, file)));
        }
        Ok(&mut self.current.as_mut().expect("just opened").1)
    }
}

impl Write for DailyFiles {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

/// The layer that writes access events to the daily files; keep the guard for the process's
/// life (dropping it flushes what is queued).
pub fn layer<S>(
    dir: &Path,
    retention_days: u32,
) -> Result<(impl Layer<S>, tracing_appender::non_blocking::WorkerGuard), String>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let files = DailyFiles::open(dir, retention_days)?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(64 * 1024)
        // A line kept for the law is worth a request waiting when 64K lines are queued.
        .lossy(false)
        .finish(files);
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(writer)
        .with_filter(Targets::new().with_target(TARGET, Level::INFO));
    Ok((layer, guard))
}

/// The service's subscriber: its log filtered by `filter` (`GONGKAI_LOG`) to `stderr`, JSON or
/// text, and — whatever the filter says — the access log in `access` (directory, retention days).
pub fn service_subscriber<W>(
    filter: &str,
    json: bool,
    access: Option<(&Path, u32)>,
    stderr: W,
) -> Result<(tracing::Dispatch, Option<tracing_appender::non_blocking::WorkerGuard>), String>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;

    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let service_log = if json {
        tracing_subscriber::fmt::layer().json().flatten_event(true).with_writer(stderr).boxed()
    } else {
        tracing_subscriber::fmt::layer().with_writer(stderr).boxed()
    };
    let (access, guard) = match access {
        Some((dir, retention_days)) => {
            let (layer, guard) = layer(dir, retention_days)?;
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let subscriber = tracing_subscriber::registry().with(service_log.with_filter(filter)).with(access);
    Ok((tracing::Dispatch::new(subscriber), guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn files_older_than_the_retention_are_deleted_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "access-2026-05-30.jsonl",
            "access-2026-05-31.jsonl",
            "access-2026-06-01.jsonl",
            "access-2026-11-27.jsonl",
            "notes.txt",
            "access-garbage.jsonl",
        ] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        // 180 days before 2026-11-27 is 2026-05-31: that day is still kept.
        let deleted = prune(dir.path(), 180, day("2026-11-27")).unwrap();
        assert_eq!(deleted, vec![day("2026-05-30")]);
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            [
                "access-2026-05-31.jsonl",
                "access-2026-06-01.jsonl",
                "access-2026-11-27.jsonl",
                "access-garbage.jsonl",
                "notes.txt"
            ]
        );
    }

    #[test]
    fn each_day_has_its_own_file_and_a_new_day_prunes() {
        use std::sync::atomic::{AtomicU32, Ordering};
        static DAY_OFFSET: AtomicU32 = AtomicU32::new(0);
        fn moving_today() -> NaiveDate {
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
                + chrono::Duration::days(DAY_OFFSET.load(Ordering::SeqCst).into())
        }
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("access-2026-05-01.jsonl"), "old\n").unwrap();
        // 180 days before 2026-11-27 is kept at first; the next day it is older than that.
        fs::write(dir.path().join("access-2026-05-31.jsonl"), "edge\n").unwrap();
        let mut files = DailyFiles::open_with(dir.path(), 180, moving_today).unwrap();
        assert!(!dir.path().join("access-2026-05-01.jsonl").exists(), "pruned at start");
        assert!(dir.path().join("access-2026-05-31.jsonl").exists(), "still within 180 days");
        files.write_all(b"{\"n\":1}\n").unwrap();
        files.write_all(b"{\"n\":2}\n").unwrap();
        DAY_OFFSET.store(1, Ordering::SeqCst);
        files.write_all(b"{\"n\":3}\n").unwrap();
        files.flush().unwrap();
        assert!(!dir.path().join("access-2026-05-31.jsonl").exists(), "pruned when the day turned");
        let read = |name: &str| fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("access-2026-11-27.jsonl"), "{\"n\":1}\n{\"n\":2}\n");
        assert_eq!(read("access-2026-11-28.jsonl"), "{\"n\":3}\n");
    }

    #[test]
    fn the_service_log_filter_does_not_silence_the_access_log() {
        let dir = tempfile::tempdir().unwrap();
        let service_log = tempfile::NamedTempFile::new().unwrap();
        let service_file = service_log.reopen().unwrap();
        let (dispatch, guard) =
            service_subscriber("warn", true, Some((dir.path(), 180)), std::sync::Mutex::new(service_file)).unwrap();
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(target: "access", caller = "user:1", client = "10.0.0.7", status = 200, "request");
            tracing::info!(target: "api::routes", "an info line the filter drops");
            tracing::warn!(target: "api::routes", "a warning the filter keeps");
        });
        drop(guard);
        let access = fs::read_to_string(dir.path().join(file_name(shanghai_today()))).unwrap();
        assert_eq!(access.lines().count(), 1, "{access}");
        assert!(access.contains("\"caller\":\"user:1\"") && access.contains("\"client\":\"10.0.0.7\""), "{access}");
        let service = fs::read_to_string(service_log.path()).unwrap();
        assert!(service.contains("a warning the filter keeps"), "{service}");
        assert!(!service.contains("an info line the filter drops") && !service.contains("user:1"), "{service}");
    }

    /// The file is buffered, so a line reaches it only because the writer thread flushes once its
    /// queue is empty: with the guard still alive (the service running), the line must appear.
    #[test]
    fn a_line_reaches_the_file_while_the_service_runs() {
        use tracing_subscriber::layer::SubscriberExt;
        let dir = tempfile::tempdir().unwrap();
        let (layer, guard) = layer(dir.path(), 180).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "access", method = "GET", path = "/api/v1/public/documents", status = 200, "request");
        });
        let path = dir.path().join(file_name(shanghai_today()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut text = String::new();
        while std::time::Instant::now() < deadline {
            text = fs::read_to_string(&path).unwrap_or_default();
            if !text.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(text.contains("/api/v1/public/documents"), "not written while running: {text:?}");
        drop(guard);
    }

    #[test]
    fn the_layer_writes_access_events_only() {
        use tracing_subscriber::layer::SubscriberExt;
        let dir = tempfile::tempdir().unwrap();
        let (layer, guard) = layer(dir.path(), 180).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "access", method = "GET", path = "/healthz", status = 200, "request");
            tracing::info!(target: "api::other", "not an access event");
        });
        drop(guard);
        let text = fs::read_to_string(dir.path().join(file_name(shanghai_today()))).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 1, "{text}");
        assert_eq!(lines[0]["path"], "/healthz");
        assert_eq!(lines[0]["status"], 200);
        assert!(lines[0]["timestamp"].is_string());
    }
}
