//! Latency recording for the benchmark tools in HdrHistograms: memory is fixed however many
//! messages a run sends (Java's tools keep sums and a max only; ours used to keep every RT in a
//! `Vec`). Values are microseconds with three significant digits, from 1 µs to one hour; a
//! larger value counts as one hour.

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// The largest latency told apart from longer ones: one hour, in microseconds.
const HIGHEST_US: u64 = 3_600_000_000;

/// What a histogram says about the latencies it holds, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// How many latencies were recorded.
    pub count: u64,
    /// Their mean.
    pub mean_ms: f64,
    /// The largest (to the histogram's precision).
    pub max_ms: f64,
    /// The median.
    pub p50_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
}

#[derive(Debug)]
struct Windows {
    /// Since the last [`Latencies::take_window`].
    window: Histogram<u64>,
    /// Since the start.
    total: Histogram<u64>,
}

/// Latencies of one run: the current report interval and the whole run, shared by the tasks
/// that send or consume.
///
/// ```
/// use std::time::Duration;
/// use rmq_tools::bench::latency::Latencies;
///
/// let latencies = Latencies::new();
/// for ms in 1..=100 {
///     latencies.record(Duration::from_millis(ms));
/// }
/// let window = latencies.take_window();
/// assert_eq!(window.count, 100);
/// assert!((window.p99_ms - 99.0).abs() < 0.1);
/// assert_eq!(latencies.take_window().count, 0);
/// assert_eq!(latencies.total().count, 100);
/// ```
#[derive(Debug)]
pub struct Latencies {
    inner: Mutex<Windows>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// Empty histograms (about 200 KiB each, allocated here once).
    pub fn new() -> Self {
        let histogram = || {
            Histogram::new_with_bounds(1, HIGHEST_US, 3)
                .expect("invariant: constant bounds 1..1h with 3 digits are valid")
        };
        Latencies {
            inner: Mutex::new(Windows {
                window: histogram(),
                total: histogram(),
            }),
        }
    }

    /// Records one latency; anything over an hour counts as an hour.
    pub fn record(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .min(HIGHEST_US);
        if let Ok(mut w) = self.inner.lock() {
            w.window.saturating_record(us);
            w.total.saturating_record(us);
        }
    }

    /// The summary of the current interval, which then starts over.
    pub fn take_window(&self) -> Summary {
        match self.inner.lock() {
            Ok(mut w) => {
                let summary = summarize(&w.window);
                w.window.reset();
                summary
            }
            Err(_) => Summary::default(),
        }
    }

    /// The summary of the whole run.
    pub fn total(&self) -> Summary {
        self.inner
            .lock()
            .map(|w| summarize(&w.total))
            .unwrap_or_default()
    }
}

fn summarize(h: &Histogram<u64>) -> Summary {
    if h.is_empty() {
        return Summary::default();
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Summary {
        count: h.len(),
        mean_ms: h.mean() / 1000.0,
        max_ms: ms(h.max()),
        p50_ms: ms(h.value_at_quantile(0.50)),
        p99_ms: ms(h.value_at_quantile(0.99)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        // Three significant digits: within 0.1 %.
        (a - b).abs() <= b.abs() * 0.001 + 0.001
    }

    #[test]
    fn summary_gives_nearest_rank_percentiles_mean_and_max() {
        let l = Latencies::new();
        for ms in 1..=1000 {
            l.record(Duration::from_millis(ms));
        }
        let s = l.take_window();
        assert_eq!(s.count, 1000);
        assert!(close(s.p50_ms, 500.0), "{s:?}");
        assert!(close(s.p99_ms, 990.0), "{s:?}");
        assert!(close(s.max_ms, 1000.0), "{s:?}");
        assert!(close(s.mean_ms, 500.5), "{s:?}");
    }

    #[test]
    fn an_empty_window_reports_zeros() {
        assert_eq!(Latencies::new().take_window(), Summary::default());
    }

    #[test]
    fn taking_a_window_keeps_the_run_total() {
        let l = Latencies::new();
        l.record(Duration::from_micros(250));
        l.record(Duration::ZERO);
        assert_eq!(l.take_window().count, 2);
        l.record(Duration::from_millis(3));
        let (window, total) = (l.take_window(), l.total());
        assert_eq!(window.count, 1);
        assert!(close(window.max_ms, 3.0), "{window:?}");
        assert_eq!(total.count, 3);
        assert!(close(total.max_ms, 3.0), "{total:?}");
    }

    #[test]
    fn latencies_past_an_hour_count_as_an_hour() {
        let l = Latencies::new();
        l.record(Duration::from_secs(86_400));
        l.record(Duration::MAX);
        let s = l.total();
        assert_eq!(s.count, 2);
        assert!(close(s.max_ms, 3_600_000.0), "{s:?}");
    }
}
