//! The pending table: opaque → the oneshot that delivers the response. Entries are removed by
//! a guard on drop, so a cancelled or timed-out request leaves nothing behind. The table does
//! not know about deadlines; callers put their own timeout around the receiver. It tells one
//! listener (the reader of a draining connection) when it becomes empty.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rmq_protocol::Command;
use tokio::sync::{oneshot, Notify};

/// Requests awaiting a response on one connection.
///
/// A `std` mutex is enough: it is never held across an `.await`, and every critical section is
/// a map operation.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    state: Mutex<State>,
    /// Signalled (one stored permit) whenever a removal leaves the table empty.
    emptied: Notify,
}

#[derive(Debug, Default)]
struct State {
    closed: bool,
    waiters: HashMap<i32, oneshot::Sender<Command>>,
}

/// Removes its entry from the table when dropped.
#[derive(Debug)]
pub(crate) struct PendingGuard {
    pending: Arc<Pending>,
    opaque: i32,
}

impl Pending {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the map inconsistent (single map
        // operations), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers `opaque`; `None` once the table was failed (the connection is closed).
    ///
    /// The receiver yields the response, or an error when the connection closes first.
    pub(crate) fn insert(
        self: &Arc<Self>,
        opaque: i32,
    ) -> Option<(PendingGuard, oneshot::Receiver<Command>)> {
        let (tx, rx) = oneshot::channel();
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.waiters.insert(opaque, tx);
        let guard = PendingGuard {
            pending: Arc::clone(self),
            opaque,
        };
        Some((guard, rx))
    }

    /// Hands `response` to its waiter; `false` when nobody waits (a late or unknown reply).
    pub(crate) fn complete(&self, response: Command) -> bool {
        let waiter = self.remove(response.opaque);
        match waiter {
            Some(tx) => tx.send(response).is_ok(),
            None => false,
        }
    }

    /// Closes the table: every waiter's receiver fails at once and later inserts are refused.
    pub(crate) fn fail_all(&self) {
        let waiters = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.waiters)
        };
        // Dropped outside the lock: waking receivers runs no user code, but there is no reason
        // to hold the lock while doing it.
        drop(waiters);
    }

    /// Removes `opaque`'s entry, signalling [`emptied`](Pending::emptied) if it was the last.
    fn remove(&self, opaque: i32) -> Option<oneshot::Sender<Command>> {
        let (waiter, now_empty) = {
            let mut state = self.lock();
            let waiter = state.waiters.remove(&opaque);
            (waiter, state.waiters.is_empty())
        };
        if waiter.is_some() && now_empty {
            self.emptied.notify_one();
        }
        waiter
    }

    /// Resolves after a removal left the table empty, possibly one that happened before the
    /// call (the signal is stored): re-check [`is_empty`](Pending::is_empty) after it. Meant
    /// for a single listener.
    ///
    /// # Cancel safety
    /// Cancel safe: a signal not consumed stays stored for the next call.
    pub(crate) async fn emptied(&self) {
        self.emptied.notified().await;
    }

    /// Number of requests awaiting a response.
    pub(crate) fn len(&self) -> usize {
        self.lock().waiters.len()
    }

    /// Whether no request awaits a response.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.pending.remove(self.opaque);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_protocol::{RequestCode, ResponseCode};
    use std::time::Duration;

    fn response(opaque: i32) -> Command {
        let mut req = Command::request(RequestCode::HEART_BEAT);
        req.opaque = opaque;
        Command::response_to(&req, ResponseCode::SUCCESS, None)
    }

    #[test]
    fn guard_drop_removes_entry() {
        let pending = Arc::new(Pending::default());
        let (guard, _rx) = pending.insert(7).expect("open");
        assert_eq!(pending.len(), 1);
        drop(guard);
        assert!(pending.is_empty());
        assert!(!pending.complete(response(7)), "late reply has no waiter");
    }

    #[tokio::test]
    async fn complete_delivers_to_matching_opaque() {
        let pending = Arc::new(Pending::default());
        let (_g1, rx1) = pending.insert(1).expect("open");
        let (_g2, rx2) = pending.insert(2).expect("open");
        assert!(pending.complete(response(2)));
        assert_eq!(rx2.await.expect("delivered").opaque, 2);
        assert_eq!(pending.len(), 1);
        drop(rx1);
    }

    #[tokio::test]
    async fn fail_all_wakes_every_waiter_and_refuses_new_entries() {
        let pending = Arc::new(Pending::default());
        let (_g1, rx1) = pending.insert(1).expect("open");
        let (_g2, rx2) = pending.insert(2).expect("open");
        pending.fail_all();
        assert!(rx1.await.is_err());
        assert!(rx2.await.is_err());
        assert!(pending.insert(3).is_none());
    }

    #[tokio::test]
    async fn emptied_signals_once_the_last_entry_leaves_by_reply_or_by_guard() {
        let pending = Arc::new(Pending::default());
        let (g1, _rx1) = pending.insert(1).expect("open");
        let (_g2, _rx2) = pending.insert(2).expect("open");
        drop(g1);
        let early = tokio::time::timeout(Duration::from_millis(50), pending.emptied()).await;
        assert!(early.is_err(), "one entry is still waiting");
        assert!(pending.complete(response(2)));
        tokio::time::timeout(Duration::from_secs(5), pending.emptied())
            .await
            .expect("the last reply empties the table");
        let (g3, _rx3) = pending.insert(3).expect("open");
        drop(g3);
        tokio::time::timeout(Duration::from_secs(5), pending.emptied())
            .await
            .expect("a dropped guard empties it too");
    }
}
