//! Load that wrk cannot chain: the full document lifecycle (create → submit → approve → secrecy
//! review → publish, each an HTTP call and one transaction), the seeding of disclosure requests
//! through the public API, and the request bodies wrk posts in the burst scenario.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bench::Summary;
use clap::{Parser, Subcommand};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Documents through their whole lifecycle for `duration` seconds by `concurrency` workers.
    Lifecycle {
        #[arg(long)]
        base: String,
        #[arg(long)]
        token: String,
        /// The department that issues and drafts (the token's user must be its drafter, principal and openness officer).
        #[arg(long)]
        org: String,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        duration: u64,
    },
    /// Files `count` online disclosure requests, spreading them over source addresses
    /// 127.0.0.{first_source}… with at most `per_source` from each (the per-address hourly limit).
    Requests {
        #[arg(long)]
        base: String,
        #[arg(long)]
        count: u32,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 0)]
        serial_offset: u32,
        #[arg(long, default_value_t = 10)]
        first_source: u8,
        #[arg(long, default_value_t = 9000)]
        per_source: u32,
        /// Comma-separated organization ids.
        #[arg(long)]
        orgs: String,
    },
    /// Prints `count` request bodies, one JSON object a line, for wrk's burst script.
    Bodies {
        #[arg(long)]
        count: u32,
        #[arg(long, default_value_t = 2)]
        seed: u64,
        #[arg(long, default_value_t = 1_000_000)]
        serial_offset: u32,
        #[arg(long)]
        orgs: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    match cli.command {
        Cmd::Lifecycle { base, token, org, concurrency, duration } => {
            rt.block_on(lifecycle(base, token, org, concurrency, Duration::from_secs(duration)))
        }
        Cmd::Requests { base, count, concurrency, seed, serial_offset, first_source, per_source, orgs } => {
            rt.block_on(requests(base, count, concurrency, seed, serial_offset, first_source, per_source, split(&orgs)))
        }
        Cmd::Bodies { count, seed, serial_offset, orgs } => {
            let orgs = split(&orgs);
            let mut rng = StdRng::seed_from_u64(seed);
            for i in 0..count {
                println!("{}", bench::request_body(&mut rng, serial_offset + i, &orgs));
            }
        }
    }
}

/// Distinguishes the document numbers of successive runs against one database.
fn run_tag() -> u64 {
    static TAG: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TAG.get_or_init(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    })
}

fn split(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

struct Step {
    name: &'static str,
    samples: Mutex<Vec<Duration>>,
}

async fn call(
    client: &reqwest::Client,
    step: &Step,
    req: reqwest::RequestBuilder,
) -> Result<(Value, Option<String>), String> {
    let started = Instant::now();
    let response = req.send().await.map_err(|e| format!("{}: {e}", step.name))?;
    let status = response.status();
    let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = response.json().await.map_err(|e| format!("{}: {e}", step.name))?;
    step.samples.lock().unwrap().push(started.elapsed());
    let _ = client;
    if !status.is_success() {
        return Err(format!("{}: {status} {body}", step.name));
    }
    Ok((body, etag))
}

async fn lifecycle(base: String, token: String, org: String, concurrency: usize, duration: Duration) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
    let steps: Arc<Vec<Step>> = Arc::new(
        ["create", "submit", "approve", "secrecy_review", "publish"]
            .into_iter()
            .map(|name| Step { name, samples: Mutex::new(Vec::new()) })
            .collect(),
    );
    let totals = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, steps, totals, errors, first_error, stop) =
            (client.clone(), steps.clone(), totals.clone(), errors.clone(), first_error.clone(), stop.clone());
        let (base, token, org) = (base.clone(), token.clone(), org.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(worker as u64);
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let t0 = Instant::now();
                let result = one_document(&client, &steps, &base, &token, &org, &mut rng, worker, n).await;
                match result {
                    Ok(()) => totals.lock().unwrap().push(t0.elapsed()),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().unwrap().get_or_insert(e);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed();
    let mut per_step = serde_json::Map::new();
    for s in steps.iter() {
        let samples = std::mem::take(&mut *s.samples.lock().unwrap());
        per_step.insert(s.name.into(), Summary::of(samples, 0, elapsed).json(json!({})));
    }
    let totals = std::mem::take(&mut *totals.lock().unwrap());
    let summary = Summary::of(totals, errors.load(Ordering::Relaxed), elapsed);
    let first_error = first_error.lock().unwrap().clone();
    println!(
        "{}",
        summary.json(
            json!({"concurrency": concurrency, "steps": per_step, "first_error": first_error, "unit": "documents"})
        )
    );
}

#[allow(clippy::too_many_arguments)]
async fn one_document(
    client: &reqwest::Client,
    steps: &[Step],
    base: &str,
    token: &str,
    org: &str,
    rng: &mut StdRng,
    worker: usize,
    n: u32,
) -> Result<(), String> {
    let auth = format!("Bearer {token}");
    let body = json!({
        "doc_number": format!("元农发〔2026〕B{}-{worker}-{n}号", run_tag()),
        "title": format!("元谋县农业农村局关于做好{}高标准农田建设项目管护工作的通知", bench::request_description(rng).chars().take(12).collect::<String>()),
        "body": "各乡（镇）人民政府，县直有关部门：为巩固拓展脱贫攻坚成果，推进乡村振兴，现就高标准农田建设项目建后管护工作通知如下。一、明确管护责任。二、落实管护资金。三、加强监督检查。".repeat(6),
        "issuing_org_id": org,
        "issuing_authority": "department",
        "category": "execution",
        "disclosure": "proactive",
    });
    let (doc, _) = call(
        client,
        &steps[0],
        client.post(format!("{base}/api/v1/documents")).header("Authorization", &auth).json(&body),
    )
    .await?;
    let id = doc["id"].as_str().ok_or("create: no id")?.to_owned();
    let url = format!("{base}/api/v1/documents/{id}");
    let (submitted, etag) =
        call(client, &steps[1], client.post(format!("{url}/submit")).header("Authorization", &auth)).await?;
    if submitted["outcome"] != "submitted" {
        return Err(format!("submit: {submitted}"));
    }
    let (_, etag) = call(
        client,
        &steps[2],
        client
            .post(format!("{url}/approve"))
            .header("Authorization", &auth)
            .header("If-Match", etag.unwrap_or_default()),
    )
    .await?;
    let (_, etag2) = call(
        client,
        &steps[3],
        client
            .post(format!("{url}/secrecy-review"))
            .header("Authorization", &auth)
            .json(&json!({"passed": true, "comment": "未发现涉密内容"})),
    )
    .await?;
    let _ = etag;
    call(
        client,
        &steps[4],
        client
            .post(format!("{url}/publish"))
            .header("Authorization", &auth)
            .header("If-Match", etag2.unwrap_or_default()),
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn requests(
    base: String,
    count: u32,
    concurrency: usize,
    seed: u64,
    serial_offset: u32,
    first_source: u8,
    per_source: u32,
    orgs: Vec<String>,
) {
    let sources = count.div_ceil(per_source).max(1);
    let clients: Vec<reqwest::Client> = (0..sources)
        .map(|i| {
            let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, first_source + i as u8));
            reqwest::Client::builder().local_address(ip).build().expect("client")
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let bodies: Arc<Vec<Value>> =
        Arc::new((0..count).map(|i| bench::request_body(&mut rng, serial_offset + i, &orgs)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (clients, bodies, next, samples, errors, first_error, base) = (
            clients.clone(),
            bodies.clone(),
            next.clone(),
            samples.clone(),
            errors.clone(),
            first_error.clone(),
            base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= bodies.len() {
                    break;
                }
                let client = &clients[i / per_source as usize];
                let t0 = Instant::now();
                let result =
                    client.post(format!("{base}/api/v1/public/disclosure-requests")).json(&bodies[i]).send().await;
                match result {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        samples.lock().unwrap().push(t0.elapsed());
                    }
                    Ok(r) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        first_error.lock().unwrap().get_or_insert(format!("{status} {text}"));
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error.lock().unwrap().get_or_insert(e.to_string());
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let summary =
        Summary::of(std::mem::take(&mut *samples.lock().unwrap()), errors.load(Ordering::Relaxed), started.elapsed());
    let first_error = first_error.lock().unwrap().clone();
    println!("{}", summary.json(json!({"concurrency": concurrency, "first_error": first_error, "unit": "requests"})));
}
