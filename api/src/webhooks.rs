//! Webhook delivery: a background task that turns change-feed rows into deliveries and sends
//! them, signed, off the request path. A slow or failing receiver holds one delivery slot for
//! at most the timeout and never touches the API's own work.
//!
//! Signatures follow the Standard Webhooks scheme (<https://www.standardwebhooks.com>), so
//! receivers can use its libraries: headers `webhook-id`, `webhook-timestamp` (Unix seconds)
//! and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with
//! the bytes of the `whsec_…` secret.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use domain::webhooks::{AfterAttempt, AttemptResult, RetryPolicy};
use hmac::{Hmac, Mac};
use persistence::personal_data::Sealer;
use persistence::webhooks::{AttemptRecord, ClaimedDelivery, Fate};
use persistence::Pool;
use rand::RngCore;
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::Semaphore;
use uuid::Uuid;

/// The sealing context of signing secrets.
const SECRET_CONTEXT: &str = "webhook_secret";
const SECRET_PREFIX: &str = "whsec_";
/// Change-feed rows queued per subscription and pass.
const QUEUE_BATCH: i64 = 500;

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether receivers may be on loopback, private, link-local or other non-public addresses
    /// (an intranet deployment; tests). Off by default, against server-side request forgery.
    pub allow_private_targets: bool,
    /// How long a receiver has to answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// How often the dispatcher looks for new changes and due retries.
    pub poll: Duration,
    /// Deliveries in flight at once, per instance.
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private_targets: false,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            poll: Duration::from_secs(1),
            concurrency: 16,
        }
    }
}

/// A new signing secret: what the client is shown once, and its sealed form for the database.
pub fn new_secret(sealer: &Sealer) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let shown = format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes));
    (shown, sealer.seal_bytes(SECRET_CONTEXT, &bytes))
}

/// The `webhook-signature` header for a body sent as delivery `id` at `timestamp`.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Whether an address is reachable on the public internet (not loopback, private, link-local,
/// carrier-grade NAT, documentation, benchmarking, multicast, reserved or unspecified).
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            // Global unicast only (2000::/3), without the ranges that tunnel to IPv4 or are
            // reserved: Teredo and other 2001::/23 assignments, documentation, 6to4.
            let [first, second, ..] = v6.segments();
            (first & 0xe000) == 0x2000
                && !(first == 0x2001 && second < 0x0200)
                && first != 0x2002
                && !(first == 0x2001 && second == 0x0db8)
        }
    }
}

/// Resolves receivers' host names and drops addresses the service may not call, so a name
/// cannot point (or be re-pointed) at the internal network.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| allow_private || is_public_address(a.ip())).collect();
            if allowed.is_empty() {
                let refused = std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{host} resolves to no public address"),
                );
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why an address is refused before any connection, when the URL names it literally.
pub(crate) fn literal_target_refused(url: &reqwest::Url, allow_private: bool) -> Option<String> {
    let host = url.host_str()?;
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    (!allow_private && !is_public_address(ip)).then(|| format!("{ip} is not a public address"))
}

/// What a receiver gets: the change, thin. The record itself is read at `url`.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    id: Uuid,
    #[serde(rename = "type")]
    event: &'a str,
    seq: i64,
    occurred_at: chrono::DateTime<Utc>,
    data: PayloadData<'a>,
}

#[derive(Debug, Serialize)]
struct PayloadData<'a> {
    entity_type: &'a str,
    entity_id: Uuid,
    url: String,
}

struct Dispatcher {
    pool: Pool,
    sealer: Arc<Sealer>,
    settings: WebhookSettings,
    http: reqwest::Client,
    slots: Arc<Semaphore>,
    /// Rung when an attempt ends, so the next delivery of its subscription goes out at once.
    finished: tokio::sync::Notify,
    /// Whether the last pass failed on the database (to log an outage once, not every poll).
    failing: std::sync::atomic::AtomicBool,
}

/// Runs the dispatcher for as long as the runtime lives (or until the handle aborts it). Fails
/// only if the HTTP client cannot be built (e.g. no usable TLS roots).
pub fn spawn(
    pool: Pool,
    sealer: Arc<Sealer>,
    settings: WebhookSettings,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let http = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private_targets }))
        .user_agent(concat!("Gongkai-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let dispatcher = Arc::new(Dispatcher {
        pool,
        sealer,
        settings,
        http,
        slots,
        finished: tokio::sync::Notify::new(),
        failing: std::sync::atomic::AtomicBool::new(false),
    });
    Ok(actix_web::rt::spawn(async move {
        loop {
            let busy = dispatcher.clone().pass().await;
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(dispatcher.settings.poll) => {}
                    _ = dispatcher.finished.notified() => {}
                }
            }
        }
    }))
}

impl Dispatcher {
    /// Queues new changes and starts the due deliveries there are free slots for. Returns
    /// whether it filled every free slot (more may be due at once).
    async fn pass(self: Arc<Self>) -> bool {
        let mut conn = match persistence::connection(&self.pool).await {
            Ok(conn) => conn,
            Err(err) => {
                self.trouble(&err.to_string());
                return false;
            }
        };
        // Queueing and claiming are independent: retries go on even if queueing fails.
        let queued = persistence::webhooks::queue_changes(&mut conn, QUEUE_BATCH).await;
        let free = self.slots.available_permits();
        if free == 0 {
            return false;
        }
        // The lease outlives any attempt, so only a crashed instance's claims come due again.
        let lease_ms =
            i64::try_from((self.settings.timeout * 2 + Duration::from_secs(30)).as_millis()).unwrap_or(300_000);
        let claimed = persistence::webhooks::claim_due(&mut conn, lease_ms, free as i64).await;
        drop(conn);
        match (&queued, &claimed) {
            (Err(err), _) | (_, Err(err)) => self.trouble(&err.to_string()),
            _ => self.recovered(),
        }
        let Ok(claimed) = claimed else { return false };
        let filled = claimed.len() == free;
        for delivery in claimed {
            let Ok(permit) = self.slots.clone().acquire_owned().await else {
                return false;
            };
            let dispatcher = self.clone();
            actix_web::rt::spawn(async move {
                dispatcher.attempt(delivery).await;
                drop(permit);
                dispatcher.finished.notify_one();
            });
        }
        filled
    }

    fn trouble(&self, error: &str) {
        if !self.failing.swap(true, std::sync::atomic::Ordering::Relaxed) {
            tracing::warn!(error, "webhook delivery is held up by the database; retrying every poll");
        }
    }

    fn recovered(&self) {
        if self.failing.swap(false, std::sync::atomic::Ordering::Relaxed) {
            tracing::info!("webhook delivery is running again");
        }
    }

    async fn attempt(&self, delivery: ClaimedDelivery) {
        let started_at = Utc::now();
        let clock = Instant::now();
        let (result, error) = self.send(&delivery).await;
        let duration_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
        let attempt = u32::try_from(delivery.attempt).unwrap_or(u32::MAX);
        let fate = match self.settings.retry.after(attempt, result) {
            AfterAttempt::Delivered => Fate::Delivered,
            AfterAttempt::RetryAfter(wait) => Fate::RetryAfterMs(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX)),
            AfterAttempt::Dead => Fate::Dead,
        };
        let response_status = match result {
            AttemptResult::Answered(status) => Some(i32::from(status)),
            AttemptResult::NoAnswer => None,
        };
        let record = AttemptRecord { started_at, duration_ms, response_status, error };
        let recorded = match persistence::connection(&self.pool).await {
            Ok(mut conn) => persistence::webhooks::record_attempt(&mut conn, &delivery, record, fate).await,
            Err(err) => Err(err),
        };
        if let Err(err) = recorded {
            // The lease runs out and the delivery is tried again: at least once, never lost.
            tracing::warn!(error = %err, delivery = %delivery.id, "could not record a webhook attempt");
        }
    }

    /// Sends one delivery. The error text names what went wrong without the secret or the body.
    async fn send(&self, delivery: &ClaimedDelivery) -> (AttemptResult, Option<String>) {
        let url = match reqwest::Url::parse(&delivery.url) {
            Ok(url) => url,
            Err(err) => return (AttemptResult::NoAnswer, Some(format!("invalid URL: {err}"))),
        };
        if let Some(refused) = literal_target_refused(&url, self.settings.allow_private_targets) {
            return (AttemptResult::NoAnswer, Some(refused));
        }
        // A URL stored while plain http was allowed is not used once it no longer is.
        if url.scheme() != "https" && !self.settings.allow_private_targets {
            return (AttemptResult::NoAnswer, Some("the receiver must use https".into()));
        }
        let secret = match self.sealer.open_bytes(SECRET_CONTEXT, &delivery.secret_sealed) {
            Ok(secret) => secret,
            Err(_) => return (AttemptResult::NoAnswer, Some("the signing secret cannot be opened".into())),
        };
        let body = match self.body(delivery).await {
            Ok(body) => body,
            Err(err) => return (AttemptResult::NoAnswer, Some(err)),
        };
        let id = delivery.id.to_string();
        let timestamp = Utc::now().timestamp();
        let sent = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature(&secret, &id, timestamp, &body))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                (AttemptResult::Answered(response.status().as_u16()), None)
            }
            Ok(response) => {
                let status = response.status().as_u16();
                (AttemptResult::Answered(status), Some(format!("the receiver answered {status}")))
            }
            Err(err) => (AttemptResult::NoAnswer, Some(describe(&err))),
        }
    }

    async fn body(&self, delivery: &ClaimedDelivery) -> Result<Vec<u8>, String> {
        let document_of_interpretation = if delivery.entity_type == "interpretation" {
            let mut conn = persistence::connection(&self.pool).await.map_err(|e| e.to_string())?;
            persistence::interpretations::documents_of(&mut conn, &[delivery.entity_id])
                .await
                .map_err(|e| e.to_string())?
                .get(&delivery.entity_id)
                .copied()
        } else {
            None
        };
        let payload = Payload {
            id: delivery.id,
            event: &delivery.event,
            seq: delivery.outbox_seq,
            occurred_at: delivery.occurred_at,
            data: PayloadData {
                entity_type: &delivery.entity_type,
                entity_id: delivery.entity_id,
                url: crate::routes::sync::url_of(&delivery.entity_type, delivery.entity_id, document_of_interpretation),
            },
        };
        serde_json::to_vec(&payload).map_err(|e| e.to_string())
    }
}

/// A transport error in a few words (reqwest's own text may include the URL's query).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "the receiver did not answer in time".into()
    } else if err.is_connect() {
        let mut causes = std::iter::successors(std::error::Error::source(err), |e| e.source());
        if causes.any(|cause| cause.to_string().contains("no public address")) {
            "the receiver's host resolves to no public address".into()
        } else {
            "could not connect to the receiver".into()
        }
    } else {
        "the request to the receiver failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The example of the Standard Webhooks specification: its secret, id, timestamp and body.
        let secret = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "198.18.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public_address(private.parse().unwrap()), "{private}");
        }
        for tunnel in
            ["2001::1", "2002:7f00:1::1", "64:ff9b::7f00:1", "::7f00:1", "192.0.0.8", "2001:db8::1", "fec0::1"]
        {
            assert!(!is_public_address(tunnel.parse().unwrap()), "{tunnel}");
        }
        for public in ["8.8.8.8", "114.114.114.114", "2400:3200::1", "240e:1::1"] {
            assert!(is_public_address(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn literal_private_targets_are_refused_unless_allowed() {
        let url = reqwest::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(literal_target_refused(&url, false).is_some());
        assert!(literal_target_refused(&url, true).is_none());
        let named = reqwest::Url::parse("https://receiver.example.gov.cn/hook").unwrap();
        assert!(literal_target_refused(&named, false).is_none());
    }

    #[test]
    fn secrets_are_shown_once_and_sealed() {
        let sealer = Sealer::new(&[7u8; 32]);
        let (shown, sealed) = new_secret(&sealer);
        let bytes = STANDARD.decode(shown.strip_prefix(SECRET_PREFIX).unwrap()).unwrap();
        assert_eq!(bytes.len(), 32);
        assert_eq!(sealer.open_bytes(SECRET_CONTEXT, &sealed).unwrap(), bytes);
        assert!(!sealed.windows(32).any(|w| w == bytes.as_slice()));
    }
}
