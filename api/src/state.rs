use std::sync::Arc;

use persistence::Pool;

use crate::auth::keys::TokenKeys;

/// Limits that protect the login and token endpoints.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed logins (or client authentications) tolerated per client address per window.
    pub failures_per_address: i32,
    pub failure_window_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { failures_per_address: 30, failure_window_secs: 15 * 60 }
    }
}

/// What passwords must be and how long sessions last (configured, see `AccountSettings`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountRules {
    pub password: domain::accounts::PasswordPolicy,
    pub session: domain::accounts::SessionPolicy,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Anonymous public reads are answered from these connections, not `pool` (issue 11; see
    /// `Settings::db_public_pool_size`). The same pool as `pool` where no worker pools are opened.
    pub public_reads: Pool,
    /// Seals and opens applicants' personal data (key outside the database).
    pub sealer: Arc<persistence::personal_data::Sealer>,
    /// Attachment bytes (local filesystem under the data directory by default).
    pub blobs: Arc<dyn object_store::ObjectStore>,
    pub keys: Arc<TokenKeys>,
    pub limits: Limits,
    /// Password and session rules of the deployment.
    pub accounts: AccountRules,
    /// Now, for the wall-clock deadlines of public-opinion response (manual in tests).
    pub clock: crate::clock::Clock,
    /// Webhook delivery settings (the allowed receivers are checked at subscription too).
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Which searches the connections keep prepared (issue 11).
    pub search_plans: Arc<persistence::search_plans::HotSearches>,
}

impl AppState {
    /// Today in Asia/Shanghai by the app's clock (manual in tests), for day-based deadlines.
    pub fn today(&self) -> chrono::NaiveDate {
        crate::routes::documents::shanghai_today(self.clock.now())
    }
}
