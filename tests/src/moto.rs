//! moto's S3-compatible server (PyPI `moto[server]`), started for a test on a free port of
//! 127.0.0.1 and stopped when the test ends. `.ci/test` (the README's test command, which CI runs)
//! installs a pinned moto into `.ci/venv` and points `GONGKAI_MOTO_SERVER` at it. When moto cannot
//! be started the test fails and says why: it never passes without a real S3 server.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use api::config::{S3Settings, Secret};

/// How long moto may take to start (Python imports on a busy 2-core machine).
const STARTUP: Duration = Duration::from_secs(90);

pub struct Moto {
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    child: Child,
}

/// Where moto_server is looked for: `GONGKAI_MOTO_SERVER`, the virtualenv `.ci/test` makes, then `PATH`.
fn candidates() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Some(path) = std::env::var_os("GONGKAI_MOTO_SERVER").filter(|p| !p.is_empty()) {
        found.push(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/venv/bin/moto_server");
    if venv.exists() {
        found.push(venv);
    }
    found.push(PathBuf::from("moto_server"));
    found
}

impl Moto {
    /// Starts moto's server; panics with what to do when it cannot be started.
    pub fn start() -> Moto {
        let mut failures = Vec::new();
        for program in candidates() {
            match Self::start_one(&program) {
                Ok(moto) => return moto,
                Err(why) => failures.push(format!("{}: {why}", program.display())),
            }
        }
        panic!(
            "moto's S3 server could not be started ({}). The S3 tests need it: run the tests with `.ci/test` \
             (it installs moto[server] into .ci/venv), or set GONGKAI_MOTO_SERVER to a moto_server executable.",
            failures.join("; ")
        );
    }

    fn start_one(program: &PathBuf) -> Result<Moto, String> {
        let mut child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (found, port) = mpsc::channel();
        // Werkzeug names the port it bound in its banner; the log is read to its end so that the
        // server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut early = Vec::new();
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(sender) = found.as_ref() {
                    if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1) {
                        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                        let _ = sender.send(Ok(digits));
                        found = None;
                    } else if early.len() < 20 {
                        early.push(line);
                    }
                }
            }
            if let Some(sender) = found {
                let _ = sender.send(Err(format!("exited before serving: {}", early.join(" | "))));
            }
        });
        match port.recv_timeout(STARTUP) {
            Ok(Ok(port)) if !port.is_empty() => Ok(Moto { endpoint: format!("http://127.0.0.1:{port}"), child }),
            outcome => {
                let _ = child.kill();
                let _ = child.wait();
                Err(match outcome {
                    Ok(Err(why)) => why,
                    Ok(Ok(_)) => "no port in its banner".into(),
                    Err(_) => format!("not serving after {} s", STARTUP.as_secs()),
                })
            }
        }
    }

    /// Creates `bucket` (moto takes unsigned requests).
    pub async fn create_bucket(&self, bucket: &str) {
        let response = reqwest::Client::new().put(format!("{}/{bucket}", self.endpoint)).send().await.expect("moto");
        assert!(response.status().is_success(), "create bucket {bucket}: {}", response.status());
    }

    /// The settings that keep attachments in `bucket` of this server.
    pub fn settings(&self, bucket: &str) -> S3Settings {
        S3Settings {
            bucket: Some(bucket.into()),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some(Secret::new("testing")),
            secret_access_key: Some(Secret::new("testing")),
            path_style: true,
            allow_http: true,
        }
    }

    /// The keys in `bucket` as the S3 API lists them (ListObjectsV2), read apart from Gongkai.
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let url = format!("{}/{bucket}?list-type=2", self.endpoint);
        let xml = reqwest::get(url).await.expect("moto").text().await.unwrap();
        xml.split("<Key>").skip(1).filter_map(|part| part.split("</Key>").next()).map(str::to_owned).collect()
    }

    /// The bytes of `key` in `bucket`, read by a client of its own (moto refuses unsigned reads of objects).
    pub async fn object(&self, bucket: &str, key: &str) -> Vec<u8> {
        use object_store::ObjectStoreExt;
        let store = api::bootstrap::blob_store(&self.settings(bucket), std::path::Path::new("/nonexistent"))
            .expect("an S3 client");
        let found =
            store.get(&object_store::path::Path::from(key)).await.unwrap_or_else(|e| panic!("object {key}: {e}"));
        found.bytes().await.expect("object bytes").to_vec()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
