//! Single flights: concurrent callers that need the same topic's route share one name-server
//! request instead of queueing on the name-server lock, each with its own lookup; concurrent
//! heartbeats to one broker share one request.
//!
//! A flight runs as a task of the instance, so a caller that gives up (its deadline passed, its
//! future was dropped) neither cancels the lookup for the others nor leaves it half-done with
//! the name-server lock held. It does not cache results: callers re-read the route table.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::{Error, Result};

/// What every caller of one flight receives: whether the route changed, or the shared error.
pub(crate) type Outcome = std::result::Result<bool, Arc<Error>>;

type Flight = Shared<BoxFuture<'static, Outcome>>;

/// The flights in progress, by key (`route:`, `publish:` plus the topic, `heartbeat:` plus
/// the address).
#[derive(Default)]
pub(crate) struct Flights {
    flights: Mutex<HashMap<String, (u64, Flight)>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Flights {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (u64, Flight)>> {
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self, key: &str, id: u64) {
        let mut flights = self.lock();
        if flights.get(key).is_some_and(|(current, _)| *current == id) {
            flights.remove(key);
        }
    }

    /// Joins the flight for `key`, starting `work` (built by `start`, called only when no
    /// flight is in progress) as a task of `tracker` otherwise, and waits for its outcome. The
    /// error is the flight's: every waiter sees the same cause. `token` cancels the flight
    /// (the instance shutting down); `client_id` names the instance in an abnormal ending.
    pub(crate) async fn join<F, Fut>(
        self: &Arc<Self>,
        key: String,
        start: F,
        tracker: &TaskTracker,
        token: &CancellationToken,
        client_id: &str,
    ) -> Outcome
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool>> + Send + 'static,
    {
        let flight = {
            let mut flights = self.lock();
            match flights.get(&key) {
                Some((_, flight)) => flight.clone(),
                None => {
                    let id = self
                        .next_id
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let work = start();
                    let weak: Weak<Flights> = Arc::downgrade(self);
                    let token = token.clone();
                    let task_key = key.clone();
                    let handle = tracker.spawn(async move {
                        let outcome = tokio::select! {
                            r = work => r.map_err(Arc::new),
                            () = token.cancelled() => Err(Arc::new(Error::Remoting(
                                rmq_remoting::Error::Shutdown,
                            ))),
                        };
                        if let Some(flights) = weak.upgrade() {
                            flights.finish(&task_key, id);
                        }
                        outcome
                    });
                    let client_id = client_id.to_owned();
                    let flight: Flight = async move {
                        // The task only ends early by panicking or by the runtime shutting
                        // down; either way the instance cannot go on.
                        handle.await.unwrap_or_else(|join| {
                            Err(Arc::new(Error::State {
                                client_id,
                                state: crate::state::ServiceState::ShutdownAlready,
                                message: format!("a shared lookup ended abnormally: {join}"),
                            }))
                        })
                    }
                    .boxed()
                    .shared();
                    flights.insert(key, (id, flight.clone()));
                    flight
                }
            }
        };
        flight.await
    }
}

/// The error a caller of a failed flight gets: "no route" stays [`Error::RouteNotFound`] (it
/// names the topic and callers branch on it), anything else is [`Error::RouteLookup`] naming
/// the topic with the flight's error as its source.
pub(crate) fn route_error(topic: &str, e: Arc<Error>) -> Error {
    match &*e {
        Error::RouteNotFound { topic, reason } => Error::RouteNotFound {
            topic: topic.clone(),
            reason: reason.clone(),
        },
        _ => Error::RouteLookup {
            topic: topic.to_owned(),
            source: e,
        },
    }
}
