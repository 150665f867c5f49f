//! Per-address reachability for the pool: a refused (or reset, or unreachable) dial marks the
//! address unavailable for a backoff that starts at [`BACKOFF_START`] and doubles to
//! [`BACKOFF_MAX`]; a successful dial clears it. While an address is in backoff, callers fail
//! at once without dialing; once the backoff ends, one dial probes it (the pool shares dials
//! per address), so probes come at most once per backoff.
//!
//! It also remembers which addresses were connected before, so the pool can tell a reconnect
//! from a first connect. It does not judge latency (the producer's fault strategy does).

use std::collections::HashMap;
use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// The first backoff after a refused dial.
pub(crate) const BACKOFF_START: Duration = Duration::from_secs(1);
/// The longest backoff. It bounds how late a broker that comes back is noticed (a restart
/// takes seconds; at 30 s a consumer would resume up to 30 s after the broker did), while one
/// probe per 10 s per address is no load.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// How many addresses are remembered; beyond it, healthy entries are forgotten first.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Default)]
struct Entry {
    /// A dial to this address succeeded at some point.
    connected_before: bool,
    /// Refused dials in a row.
    failures: u32,
    /// Unavailable until then.
    down_until: Option<Instant>,
    /// The last refused dial's error text, for the fail-fast error.
    last_error: Option<String>,
}

/// Reachability by address.
#[derive(Debug, Default)]
pub(crate) struct Health {
    entries: Mutex<HashMap<String, Entry>>,
}

/// Whether a dial error means the peer is down (as opposed to slow): refused, reset, or no
/// route. A connect timeout does not mark the address; the caller's deadline covers it.
pub(crate) fn means_down(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable
    )
}

impl Health {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The error to fail with when `addr` is in backoff at `now`, without dialing.
    pub(crate) fn check(&self, addr: &str, now: Instant) -> Option<io::Error> {
        let entries = self.lock();
        let entry = entries.get(addr)?;
        let until = entry.down_until.filter(|until| *until > now)?;
        Some(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!(
                "marked unavailable for another {:?} after {} refused connect(s), last: {}",
                until - now,
                entry.failures,
                entry.last_error.as_deref().unwrap_or("refused")
            ),
        ))
    }

    /// Records a successful dial; returns whether `addr` was connected before (a reconnect).
    pub(crate) fn connected(&self, addr: &str) -> bool {
        let mut entries = self.lock();
        make_room(&mut entries);
        let entry = entries.entry(addr.to_owned()).or_default();
        let before = entry.connected_before;
        *entry = Entry {
            connected_before: true,
            ..Entry::default()
        };
        before
    }

    /// Records a failed dial at `now`; a dial error that [`means_down`] starts or doubles the
    /// backoff. Returns the backoff, when one started.
    pub(crate) fn failed(&self, addr: &str, error: &io::Error, now: Instant) -> Option<Duration> {
        if !means_down(error) {
            return None;
        }
        let mut entries = self.lock();
        make_room(&mut entries);
        let entry = entries.entry(addr.to_owned()).or_default();
        entry.failures = entry.failures.saturating_add(1);
        let backoff = backoff(entry.failures);
        entry.down_until = Some(now + backoff);
        entry.last_error = Some(error.to_string());
        Some(backoff)
    }

    /// Whether `addr` is out of backoff at `now` (unknown addresses are).
    pub(crate) fn is_available(&self, addr: &str, now: Instant) -> bool {
        self.lock()
            .get(addr)
            .and_then(|e| e.down_until)
            .is_none_or(|until| until <= now)
    }
}

/// The backoff after `failures` refused dials in a row: 1 s, 2 s, 4 s, 8 s, then 10 s.
pub(crate) fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    BACKOFF_START
        .saturating_mul(1 << doublings)
        .min(BACKOFF_MAX)
}

/// Keeps the table bounded: forgets addresses not in backoff first, then any.
fn make_room(entries: &mut HashMap<String, Entry>) {
    if entries.len() < MAX_ENTRIES {
        return;
    }
    entries.retain(|_, e| e.down_until.is_some());
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> io::Error {
        io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused")
    }

    #[test]
    fn backoff_doubles_from_one_second_to_ten() {
        let got: Vec<u64> = (1..=6).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 10, 10]);
        assert_eq!(backoff(u32::MAX), BACKOFF_MAX);
    }

    #[test]
    fn a_refused_dial_marks_the_address_down_until_the_backoff_ends() {
        let health = Health::default();
        let t0 = Instant::now();
        assert_eq!(
            health.failed("a", &refused(), t0),
            Some(Duration::from_secs(1))
        );
        let err = health.check("a", t0).expect("in backoff");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        assert!(err.to_string().contains("connection refused"), "{err}");
        assert!(!health.is_available("a", t0));
        assert!(
            health.is_available("b", t0),
            "other addresses are unaffected"
        );
        let later = t0 + Duration::from_millis(1001);
        assert!(health.check("a", later).is_none(), "a probe is allowed");
        assert_eq!(
            health.failed("a", &refused(), later),
            Some(Duration::from_secs(2)),
            "the probe failed: the backoff doubles"
        );
        assert!(!health.connected("a"), "first successful connect");
        assert!(
            health.is_available("a", later),
            "a success clears the backoff"
        );
        health.failed("a", &refused(), later);
        assert_eq!(
            health.check("a", later).map(|e| e.kind()),
            Some(io::ErrorKind::ConnectionRefused)
        );
        assert!(health.connected("a"), "connected before: a reconnect");
    }

    #[test]
    fn a_connect_timeout_does_not_mark_the_address() {
        let health = Health::default();
        let slow = io::Error::new(io::ErrorKind::TimedOut, "connect timed out");
        assert_eq!(health.failed("a", &slow, Instant::now()), None);
        assert!(health.check("a", Instant::now()).is_none());
    }
}
