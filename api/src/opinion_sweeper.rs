//! Acts on the instants the law counts to, when they pass, not when someone next looks: records a
//! missed public-opinion clock as a breach, and stores the close of a consultation whose period
//! has ended (so the change feed and webhooks carry it then). The sweeper sleeps until the soonest
//! such instant (or the poll interval, to notice new ones) and sweeps. Everything it needs is in
//! the database, so after a restart the first sweep catches up on what passed while the service
//! was down, dated at the instant itself.

use std::time::Duration;

use persistence::Pool;

use crate::clock::Clock;

/// How long until the next sweep: the next due instant, at most `poll`.
async fn sweep(pool: &Pool, clock: &Clock, poll: Duration) -> Duration {
    let Ok(mut conn) = persistence::connection(pool).await else {
        return poll;
    };
    let now = clock.now();
    match persistence::opinion_clocks::record_missed(&mut conn, now).await {
        Ok(0) => {}
        Ok(recorded) => tracing::info!(recorded, "public-opinion clocks ran out; breaches recorded"),
        Err(err) => {
            // Try again after the poll interval, not at once: the same failure would repeat.
            tracing::warn!(error = %err, "could not record missed public-opinion clocks");
            return poll;
        }
    }
    match persistence::consultation_periods::close_ended(&mut conn, now).await {
        Ok(0) => {}
        Ok(closed) => tracing::info!(closed, "consultation periods ended; closed"),
        Err(err) => {
            tracing::warn!(error = %err, "could not close ended consultations");
            return poll;
        }
    }
    let clock_due = persistence::opinion_clocks::next_due(&mut conn).await.ok().flatten();
    let close_due = persistence::consultation_periods::next_close(&mut conn).await.ok().flatten();
    match clock_due.into_iter().chain(close_due).min() {
        // A clock breaches once its due instant has passed: wake just after it.
        Some(due) => (due - now + chrono::Duration::milliseconds(1)).to_std().unwrap_or_default().min(poll),
        None => poll,
    }
}

/// Runs the sweeper for as long as the runtime lives (or until the handle aborts it).
pub fn spawn(pool: Pool, clock: Clock, poll: Duration) -> tokio::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        loop {
            let wait = sweep(&pool, &clock, poll).await;
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    })
}
