//! Transport counters and gauges, exposed as a typed [`MetricsSnapshot`] that applications can
//! export however they like. Nothing here logs or aggregates over time.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// A point-in-time copy of a client's (or one connection's) transport metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Open connections.
    pub connections: usize,
    /// Requests awaiting a response (plus oneways awaiting their write).
    pub in_flight_requests: usize,
    /// Frame bytes of those requests.
    pub in_flight_bytes: usize,
    /// Requests and oneways sent.
    pub requests: u64,
    /// Requests whose deadline passed, waiting for capacity or for the response.
    pub timeouts: u64,
    /// Frames written to sockets.
    pub frames_written: u64,
    /// Bytes written to sockets.
    pub bytes_written: u64,
    /// Writer flushes; `frames_written / flushes` is the write-coalescing factor.
    pub flushes: u64,
    /// Frames read from sockets.
    pub frames_read: u64,
    /// Responses that arrived after their request had given up.
    pub late_responses: u64,
    /// Server-initiated requests received.
    pub inbound_requests: u64,
    /// Server-initiated requests answered `SYSTEM_BUSY` because the processor queue was full.
    pub inbound_rejected: u64,
    /// Successful dials.
    pub connects: u64,
    /// Failed dials.
    pub connect_failures: u64,
}

/// Live counters; a connection's counters forward every update to its client's.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    parent: Option<Arc<Counters>>,
    pub(crate) connections: AtomicUsize,
    pub(crate) in_flight_requests: AtomicUsize,
    pub(crate) in_flight_bytes: AtomicUsize,
    pub(crate) requests: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) frames_written: AtomicU64,
    pub(crate) bytes_written: AtomicU64,
    pub(crate) flushes: AtomicU64,
    pub(crate) frames_read: AtomicU64,
    pub(crate) late_responses: AtomicU64,
    pub(crate) inbound_requests: AtomicU64,
    pub(crate) inbound_rejected: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connect_failures: AtomicU64,
}

impl Counters {
    /// Counters that also update `parent`.
    pub(crate) fn child_of(parent: Option<Arc<Counters>>) -> Self {
        Counters {
            parent,
            ..Counters::default()
        }
    }

    /// Applies `f` to these counters and to the parent's.
    pub(crate) fn each(&self, f: impl Fn(&Counters)) {
        f(self);
        if let Some(parent) = &self.parent {
            f(parent);
        }
    }

    /// Adds one to a counter here and in the parent.
    pub(crate) fn incr(&self, field: fn(&Counters) -> &AtomicU64) {
        self.each(|c| {
            field(c).fetch_add(1, Relaxed);
        });
    }

    pub(crate) fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            connections: self.connections.load(Relaxed),
            in_flight_requests: self.in_flight_requests.load(Relaxed),
            in_flight_bytes: self.in_flight_bytes.load(Relaxed),
            requests: self.requests.load(Relaxed),
            timeouts: self.timeouts.load(Relaxed),
            frames_written: self.frames_written.load(Relaxed),
            bytes_written: self.bytes_written.load(Relaxed),
            flushes: self.flushes.load(Relaxed),
            frames_read: self.frames_read.load(Relaxed),
            late_responses: self.late_responses.load(Relaxed),
            inbound_requests: self.inbound_requests.load(Relaxed),
            inbound_rejected: self.inbound_rejected.load(Relaxed),
            connects: self.connects.load(Relaxed),
            connect_failures: self.connect_failures.load(Relaxed),
        }
    }
}

/// Tracks one request's share of the in-flight gauges; undoes it on drop.
#[derive(Debug)]
pub(crate) struct InFlight {
    counters: Arc<Counters>,
    bytes: usize,
}

impl InFlight {
    pub(crate) fn new(counters: &Arc<Counters>, bytes: usize) -> Self {
        counters.each(|c| {
            c.in_flight_requests.fetch_add(1, Relaxed);
            c.in_flight_bytes.fetch_add(bytes, Relaxed);
        });
        InFlight {
            counters: Arc::clone(counters),
            bytes,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let bytes = self.bytes;
        self.counters.each(|c| {
            c.in_flight_requests.fetch_sub(1, Relaxed);
            c.in_flight_bytes.fetch_sub(bytes, Relaxed);
        });
    }
}
