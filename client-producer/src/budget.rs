//! [`Budget`]: one send's deadline, counted from the call; every wait inside the send (route
//! lookup, in-flight room, each attempt, a reply) takes what is left of it. Plain arithmetic
//! on `Instant`s, below everything that waits.

use std::time::{Duration, Instant};

/// One send's time budget: every wait inside the send takes what is left of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) started: Instant,
    pub(crate) deadline: Instant,
}

impl Budget {
    pub(crate) fn new(timeout: Duration) -> Self {
        let started = Instant::now();
        Budget {
            started,
            deadline: started + timeout,
        }
    }

    /// Time left, `None` once the deadline has passed.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.remaining_at(Instant::now())
    }

    /// Time left at `now` (for a caller that already read the clock).
    pub(crate) fn remaining_at(&self, now: Instant) -> Option<Duration> {
        self.deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.elapsed_at(Instant::now())
    }

    /// Time spent by `now` (for a caller that already read the clock).
    pub(crate) fn elapsed_at(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    pub(crate) fn tokio_deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_counts_down_from_one_deadline() {
        let b = Budget::new(Duration::from_millis(200));
        let left = b.remaining().expect("time left");
        assert!(left <= Duration::from_millis(200));
        std::thread::sleep(Duration::from_millis(60));
        let later = b.remaining().expect("time left");
        assert!(
            later <= left - Duration::from_millis(50),
            "{later:?} vs {left:?}"
        );
        assert!(b.elapsed() >= Duration::from_millis(60));
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(b.remaining(), None, "no time left after the deadline");
    }
}
