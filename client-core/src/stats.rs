//! Per group and topic consume statistics (Java's `ConsumerStatsManager`): pull and consume
//! throughput and response times, reported in GET_CONSUMER_RUNNING_INFO's `statusTable`.
//!
//! Each record is also handed to [`telemetry`](crate::telemetry), which exports it through the
//! `metrics` facade under OpenTelemetry's names when the `metrics` feature is on.
//!
//! Each counter keeps cumulative totals; a reading compares them with a sample taken at least
//! [`WINDOW`] earlier, so rates cover roughly the last minute, as Java's minute sampling does.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_protocol::body::ConsumeStatus;

/// How far back rates look.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    pulls: u64,
    pulled_msgs: u64,
    pull_rt_ms: u64,
    consume_ok: u64,
    consume_failed: u64,
    consume_rt_ms: u64,
    consume_batches: u64,
}

#[derive(Debug)]
struct Item {
    totals: Totals,
    samples: VecDeque<(Instant, Totals)>,
}

/// Consume statistics keyed by `(group, topic)`.
#[derive(Debug, Default)]
pub struct ConsumerStats {
    items: DashMap<(String, String), Mutex<Item>>,
}

impl ConsumerStats {
    fn update(&self, group: &str, topic: &str, f: impl FnOnce(&mut Totals)) {
        let key = (group.to_owned(), topic.to_owned());
        let entry = self.items.entry(key).or_insert_with(|| {
            Mutex::new(Item {
                totals: Totals::default(),
                samples: VecDeque::new(),
            })
        });
        let lock = entry.lock();
        if let Ok(mut item) = lock {
            // Sample the totals *before* this update, at most once a second, so a rate over
            // the window counts everything recorded inside it.
            let now = Instant::now();
            let due = item
                .samples
                .back()
                .is_none_or(|(t, _)| now.duration_since(*t) >= Duration::from_secs(1));
            if due {
                let totals = item.totals;
                item.samples.push_back((now, totals));
                while item.samples.len() > 2
                    && item
                        .samples
                        .get(1)
                        .is_some_and(|(t, _)| now.duration_since(*t) >= WINDOW)
                {
                    item.samples.pop_front();
                }
            }
            f(&mut item.totals);
        }
    }

    /// One pull that returned `msgs` messages after `rt`.
    pub fn record_pull(&self, group: &str, topic: &str, msgs: u64, rt: Duration) {
        crate::telemetry::record_receive(group, topic, msgs, rt);
        self.update(group, topic, |t| {
            t.pulls += 1;
            t.pulled_msgs += msgs;
            t.pull_rt_ms += rt.as_millis() as u64;
        });
    }

    /// One listener call over `ok + failed` messages that took `rt`.
    pub fn record_consume(&self, group: &str, topic: &str, ok: u64, failed: u64, rt: Duration) {
        crate::telemetry::record_process(group, topic, failed, rt);
        self.update(group, topic, |t| {
            t.consume_ok += ok;
            t.consume_failed += failed;
            t.consume_rt_ms += rt.as_millis() as u64;
            t.consume_batches += 1;
        });
    }

    /// The status of `(group, topic)` over the last [`WINDOW`].
    pub fn status(&self, group: &str, topic: &str) -> ConsumeStatus {
        let key = (group.to_owned(), topic.to_owned());
        let Some(entry) = self.items.get(&key) else {
            return ConsumeStatus::default();
        };
        let Ok(item) = entry.lock() else {
            return ConsumeStatus::default();
        };
        let now = item.totals;
        let (since, base) = item
            .samples
            .front()
            .copied()
            .unwrap_or((Instant::now(), Totals::default()));
        let secs = since.elapsed().as_secs_f64().max(1.0);
        let per = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
        let avg = |sum: u64, sum0: u64, n: u64, n0: u64| {
            let n = n.saturating_sub(n0);
            if n == 0 {
                0.0
            } else {
                sum.saturating_sub(sum0) as f64 / n as f64
            }
        };
        ConsumeStatus {
            pull_rt: avg(now.pull_rt_ms, base.pull_rt_ms, now.pulls, base.pulls),
            pull_tps: per(now.pulled_msgs, base.pulled_msgs),
            consume_rt: avg(
                now.consume_rt_ms,
                base.consume_rt_ms,
                now.consume_batches,
                base.consume_batches,
            ),
            consume_ok_tps: per(now.consume_ok, base.consume_ok),
            consume_failed_tps: per(now.consume_failed, base.consume_failed),
            consume_failed_msgs: now.consume_failed as i64,
        }
    }

    /// Forgets a group's statistics.
    pub fn remove_group(&self, group: &str) {
        self.items.retain(|(g, _), _| g != group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_averages_response_times_and_counts_failures() {
        let s = ConsumerStats::default();
        s.record_pull("g", "t", 32, Duration::from_millis(10));
        s.record_pull("g", "t", 0, Duration::from_millis(30));
        s.record_consume("g", "t", 3, 1, Duration::from_millis(8));
        let st = s.status("g", "t");
        assert_eq!(st.consume_failed_msgs, 1);
        assert!(st.consume_ok_tps > 0.0 && st.pull_tps > 0.0, "{st:?}");
        assert_eq!(s.status("g", "other"), ConsumeStatus::default());
        s.remove_group("g");
        assert_eq!(s.status("g", "t"), ConsumeStatus::default());
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn records_are_exported_through_the_metrics_facade() {
        use metrics_util::debugging::{DebugValue, DebuggingRecorder};

        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let s = ConsumerStats::default();
            s.record_pull("g", "t", 32, Duration::from_millis(10));
            s.record_consume("g", "t", 3, 0, Duration::from_millis(8));
        });
        let metrics: Vec<_> = snapshotter.snapshot().into_vec();
        let consumed = metrics
            .iter()
            .find(|(key, ..)| key.key().name() == "messaging.client.consumed.messages")
            .map(|(.., value)| value);
        assert_eq!(consumed, Some(&DebugValue::Counter(32)));
        assert!(metrics
            .iter()
            .any(|(key, ..)| key.key().name() == "messaging.process.duration"));
    }
}
