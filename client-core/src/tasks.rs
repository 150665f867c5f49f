//! The one way client-core runs periodic work: [`spawn_periodic`], an interval task with an
//! initial delay that logs a failed tick and keeps going, and stops when the instance's token
//! is cancelled.

use std::future::Future;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn, Instrument};

/// Spawns `job` into `tracker`: first run after `delay`, then every `period`, until `token` is
/// cancelled. A tick never overlaps the previous one (missed ticks are delayed, not bunched).
pub fn spawn_periodic<F, Fut, E>(
    tracker: &TaskTracker,
    token: &CancellationToken,
    name: &'static str,
    delay: Duration,
    period: Duration,
    mut job: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    let token = token.clone();
    let span = tracing::debug_span!("periodic", task = name);
    tracker.spawn(
        async move {
            let start = tokio::time::Instant::now() + delay;
            let mut ticks = tokio::time::interval_at(start, period.max(Duration::from_millis(1)));
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    () = token.cancelled() => break,
                    _ = ticks.tick() => {}
                }
                let outcome = tokio::select! {
                    biased;
                    () = token.cancelled() => break,
                    r = job() => r,
                };
                if let Err(e) = outcome {
                    warn!(task = name, error = %e, "scheduled task failed; it keeps running");
                }
            }
            debug!(task = name, "scheduled task stopped");
        }
        .instrument(span),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn runs_after_delay_then_every_period_and_survives_errors() {
        let tracker = TaskTracker::new();
        let token = CancellationToken::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        spawn_periodic(
            &tracker,
            &token,
            "t",
            Duration::from_secs(10),
            Duration::from_secs(5),
            move || {
                let r = r.clone();
                async move {
                    let n = r.fetch_add(1, Ordering::SeqCst);
                    if n == 0 {
                        Err("first tick fails")
                    } else {
                        Ok(())
                    }
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(9_900)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            3,
            "errors do not stop the task"
        );
        token.cancel();
        tracker.close();
        tracker.wait().await;
        assert!(tracker.is_empty());
    }
}
