//! The broker's background task: delivers delayed and timer messages and runs transaction
//! check rounds, ticking every 100 ms (Java's schedule service polls as often).
//!
//! The cluster starts one per master when it starts, on its `TaskTracker`: the task ends when
//! the cluster's token is cancelled (`shutdown()` or drop) and does nothing while its broker is
//! killed, as a dead Java broker delivers nothing; a restart resumes where it stopped.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{schedule, transaction, Broker};
use crate::server::Server;

/// How often the task looks for due work.
const TICK: Duration = Duration::from_millis(100);

/// Starts the background task of `broker`, which serves on `server`.
pub(crate) fn spawn(
    broker: Arc<Broker>,
    server: Server,
    tracker: &TaskTracker,
    token: CancellationToken,
) {
    tracker.spawn(background_task(broker, server, token));
}

async fn background_task(broker: Arc<Broker>, server: Server, token: CancellationToken) {
    // Delivery and check progress live here, owned by the one task that uses them.
    let mut schedule = schedule::Cursor::default();
    let mut checker = transaction::Checker::default();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if !server.is_running() {
            continue;
        }
        schedule::tick(&broker, &mut schedule);
        transaction::tick(&broker, &mut checker);
    }
}
