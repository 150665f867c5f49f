//! The broker's background task: delivers delayed and timer messages and runs transaction
//! check rounds, ticking every 100 ms (Java's schedule service polls as often).
//!
//! It starts with the broker's first request and holds the broker only weakly: when the
//! cluster drops its brokers, the task ends at its next tick.

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use super::{schedule, transaction, Broker};

/// How often the task looks for due work.
const TICK: Duration = Duration::from_millis(100);

/// Brokers whose task runs (dead entries are pruned on every call).
static RUNNING: Mutex<Vec<Weak<Broker>>> = Mutex::new(Vec::new());

/// Starts the broker's background task unless it runs already.
pub(crate) fn ensure_running(broker: &Arc<Broker>) {
    let mut running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    running.retain(|w| w.strong_count() > 0);
    if running
        .iter()
        .any(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(broker)))
    {
        return;
    }
    let weak = Arc::downgrade(broker);
    running.push(weak.clone());
    tokio::spawn(background_task(weak));
}

async fn background_task(broker: Weak<Broker>) {
    let mut schedule = schedule::Cursor::default();
    let mut checker = transaction::Checker::default();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(broker) = broker.upgrade() else {
            return;
        };
        schedule::tick(&broker, &mut schedule);
        transaction::tick(&broker, &mut checker);
    }
}
