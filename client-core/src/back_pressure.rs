//! Server back-pressure: which broker answers mean "busy, try elsewhere or later" (SYSTEM_BUSY,
//! FLOW_CONTROL, the "broker busy" / "system busy" remarks of a broker shedding load), and the
//! instance-wide counters of such answers. Reacting to them is the caller's: a send retries on
//! another broker, a pull is delayed.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use rmq_protocol::ResponseCode;

use crate::error::Error;

/// Whether a broker answer with `code` and `remark` is back-pressure.
pub fn is_back_pressure(code: ResponseCode, remark: Option<&str>) -> bool {
    code == ResponseCode::SYSTEM_BUSY
        || code == ResponseCode::FLOW_CONTROL
        || remark.is_some_and(|r| {
            let r = r.to_ascii_lowercase();
            r.contains("broker busy") || r.contains("system busy")
        })
}

impl Error {
    /// Whether this error is a broker's back-pressure answer (see [`is_back_pressure`]).
    pub fn is_back_pressure(&self) -> bool {
        match self {
            Error::Broker { code, remark, .. } => is_back_pressure(*code, remark.as_deref()),
            Error::RouteLookup { source, .. } | Error::Shared(source) => source.is_back_pressure(),
            _ => false,
        }
    }
}

/// How many back-pressure answers the instance's producers and consumers received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackPressureSnapshot {
    /// Sends refused as busy (each was retried on another broker when attempts were left).
    pub sends: u64,
    /// Pulls refused as busy (each queue pulled again after the exception delay).
    pub pulls: u64,
}

/// Live counters behind [`BackPressureSnapshot`].
#[derive(Debug, Default)]
pub(crate) struct BackPressure {
    sends: AtomicU64,
    pulls: AtomicU64,
}

impl crate::ClientInstance {
    /// Counts a send refused as busy.
    pub fn record_busy_send(&self) {
        self.inner.back_pressure.sends.fetch_add(1, Relaxed);
    }

    /// Counts a pull refused as busy.
    pub fn record_busy_pull(&self) {
        self.inner.back_pressure.pulls.fetch_add(1, Relaxed);
    }

    /// The back-pressure answers received so far.
    pub fn back_pressure(&self) -> BackPressureSnapshot {
        let c = &self.inner.back_pressure;
        BackPressureSnapshot {
            sends: c.sends.load(Relaxed),
            pulls: c.pulls.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_codes_and_remarks_are_back_pressure() {
        assert!(is_back_pressure(ResponseCode::SYSTEM_BUSY, None));
        assert!(is_back_pressure(ResponseCode::FLOW_CONTROL, None));
        assert!(is_back_pressure(
            ResponseCode::SYSTEM_ERROR,
            Some("[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while")
        ));
        assert!(!is_back_pressure(
            ResponseCode::SYSTEM_ERROR,
            Some("disk full")
        ));
        assert!(!is_back_pressure(ResponseCode::MESSAGE_ILLEGAL, None));
        let e = Error::Broker {
            addr: "a".into(),
            code: ResponseCode::SYSTEM_BUSY,
            remark: Some("[REJECTREQUEST]system busy".into()),
        };
        assert!(e.is_back_pressure());
    }
}
