//! What one client instance knows about its brokers' heartbeat V2 support: which addresses
//! announced it, and the subscription fingerprint each acknowledged. A field of the instance,
//! dropped with it; the protocol itself lives in `heartbeat_v2.rs`.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Bound on remembered broker addresses per instance; past it the table starts over (every
/// broker then gets one full heartbeat again), which is always safe.
const MAX_ADDRS: usize = 4096;

/// The brokers' V2 support, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct V2State {
    inner: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// Addresses whose last answer announced V2.
    supported: HashSet<String>,
    /// The fingerprint each address acknowledged with full subscription data.
    acknowledged: HashMap<String, i32>,
}

impl V2State {
    fn lock(&self) -> MutexGuard<'_, Known> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `addr` announced heartbeat V2 in its last answer.
    pub(crate) fn supports(&self, addr: &str) -> bool {
        self.lock().supported.contains(addr)
    }

    /// Whether `addr` may get a light heartbeat: it serves V2 and acknowledged `fingerprint`.
    pub(crate) fn is_acknowledged(&self, addr: &str, fingerprint: i32) -> bool {
        let known = self.lock();
        known.supported.contains(addr) && known.acknowledged.get(addr) == Some(&fingerprint)
    }

    /// Forgets the fingerprint `addr` acknowledged, so its next heartbeat is a full one.
    pub(crate) fn forget(&self, addr: &str) {
        self.lock().acknowledged.remove(addr);
    }

    /// Records `addr`'s answer to a heartbeat carrying `fingerprint`.
    pub(crate) fn record(&self, addr: &str, fingerprint: i32, supports_v2: bool, sub_change: bool) {
        let mut known = self.lock();
        if known.supported.len() >= MAX_ADDRS && !known.supported.contains(addr) {
            *known = Known::default();
        }
        if supports_v2 {
            known.supported.insert(addr.to_owned());
        } else {
            known.supported.remove(addr);
        }
        if supports_v2 && !sub_change {
            known.acknowledged.insert(addr.to_owned(), fingerprint);
        } else {
            known.acknowledged.remove(addr);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_only_after_an_acknowledging_v2_answer() {
        let state = V2State::default();
        assert!(!state.is_acknowledged("a", 7));
        state.record("a", 7, true, false);
        assert!(state.supports("a") && state.is_acknowledged("a", 7));
        assert!(
            !state.is_acknowledged("a", 8),
            "another fingerprint is not acknowledged"
        );
        state.record("a", 7, true, true);
        assert!(
            !state.is_acknowledged("a", 7),
            "IS_SUB_CHANGE asks for the full data"
        );
        state.record("a", 7, true, false);
        state.forget("a");
        assert!(!state.is_acknowledged("a", 7));
        state.record("a", 7, false, false);
        assert!(
            !state.supports("a"),
            "a broker that stops announcing V2 gets V1"
        );
    }
}
