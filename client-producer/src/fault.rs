//! Latency fault tolerance (Java's `MQFaultStrategy` + `LatencyFaultToleranceImpl`): a broker
//! whose sends were slow or failed is avoided for a while when choosing a queue.
//!
//! Off by default, as in Java. When off, queue choice is plain round-robin that skips the broker
//! which just failed. This module keeps the bookkeeping; it sends nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_client_core::PublishInfo;
use rmq_protocol::MessageQueue;

/// Java's `latencyMax` (ms): a send at least this slow...
const LATENCY_MAX_MS: [u64; 7] = [50, 100, 550, 1_000, 2_000, 3_000, 15_000];
/// ... makes its broker unavailable for this long (Java's `notAvailableDuration`, ms).
const NOT_AVAILABLE_MS: [u64; 7] = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000];
/// The latency Java charges a failed send with (`isolation ? 30000 : latency`).
const ISOLATION_LATENCY: Duration = Duration::from_millis(30_000);

/// How long a broker is avoided after a send that took `latency` (Java's
/// `computeNotAvailableDuration`).
pub fn not_available_duration(latency: Duration) -> Duration {
    let ms = latency.as_millis() as u64;
    LATENCY_MAX_MS
        .iter()
        .zip(NOT_AVAILABLE_MS)
        .rev()
        .find(|(max, _)| ms >= **max)
        .map_or(Duration::ZERO, |(_, na)| Duration::from_millis(na))
}

#[derive(Debug, Clone, Copy)]
struct FaultItem {
    latency: Duration,
    available_at: Instant,
}

/// Per-broker latency records and the queue choice that uses them.
#[derive(Debug)]
pub(crate) struct FaultStrategy {
    enabled: bool,
    items: DashMap<String, FaultItem>,
    which_worst: AtomicUsize,
}

impl FaultStrategy {
    pub(crate) fn new(enabled: bool) -> Self {
        FaultStrategy {
            enabled,
            items: DashMap::new(),
            which_worst: AtomicUsize::new(0),
        }
    }

    /// Records a send to `broker` that took `latency`; `isolation` marks a failed send.
    pub(crate) fn record(&self, broker: &str, latency: Duration, isolation: bool) {
        self.record_at(broker, latency, isolation, Instant::now());
    }

    fn record_at(&self, broker: &str, latency: Duration, isolation: bool, now: Instant) {
        if !self.enabled {
            return;
        }
        let charged = if isolation {
            ISOLATION_LATENCY
        } else {
            latency
        };
        let item = FaultItem {
            latency: charged,
            available_at: now + not_available_duration(charged),
        };
        self.items.insert(broker.to_owned(), item);
    }

    fn is_available_at(&self, broker: &str, now: Instant) -> bool {
        self.items
            .get(broker)
            .is_none_or(|item| now >= item.available_at)
    }

    /// Java's `pickOneAtLeast`: among recorded brokers, available ones first, then by latency;
    /// one of the better half, rotating.
    fn pick_one_at_least(&self, now: Instant) -> Option<String> {
        let mut items: Vec<(String, FaultItem)> = self
            .items
            .iter()
            .map(|e| (e.key().clone(), *e.value()))
            .collect();
        if items.is_empty() {
            return None;
        }
        items.sort_by_key(|(_, it)| (now < it.available_at, it.latency, it.available_at));
        let half = items.len() / 2;
        let i = if half == 0 {
            0
        } else {
            self.which_worst.fetch_add(1, Ordering::Relaxed) % half
        };
        Some(items.swap_remove(i).0)
    }

    /// The queue for the next attempt.
    ///
    /// Disabled: round-robin, skipping `last_broker` when another broker has a queue.
    /// Enabled: the next queue (round-robin) whose broker is available and is not
    /// `last_broker`, then any available one; when none is, a queue of the least bad broker.
    pub(crate) fn select(
        &self,
        info: &PublishInfo,
        last_broker: Option<&str>,
    ) -> Option<MessageQueue> {
        self.select_at(info, last_broker, Instant::now())
    }

    fn select_at(
        &self,
        info: &PublishInfo,
        last_broker: Option<&str>,
        now: Instant,
    ) -> Option<MessageQueue> {
        if !self.enabled {
            return info.select_queue(last_broker).cloned();
        }
        let n = info.queues.len();
        let mut fallback = None;
        for _ in 0..n {
            let q = info.select_queue(None)?;
            if self.is_available_at(&q.broker_name, now) {
                if Some(q.broker_name.as_str()) != last_broker {
                    return Some(q.clone());
                }
                fallback.get_or_insert_with(|| q.clone());
            }
        }
        if fallback.is_some() {
            return fallback;
        }
        if let Some(broker) = self.pick_one_at_least(now) {
            let of_broker: Vec<&MessageQueue> = info
                .queues
                .iter()
                .filter(|q| q.broker_name == broker)
                .collect();
            if of_broker.is_empty() {
                self.items.remove(&broker);
            } else {
                let q = info.select_queue(None)?;
                let i = (q.queue_id.unsigned_abs() as usize) % of_broker.len();
                return Some(of_broker[i].clone());
            }
        }
        info.select_queue(last_broker).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use rmq_protocol::body::{BrokerData, QueueData, TopicRouteData};

    fn info(brokers: &[&str]) -> PublishInfo {
        let route = TopicRouteData {
            broker_datas: brokers
                .iter()
                .map(|b| BrokerData {
                    broker_name: (*b).into(),
                    broker_addrs: [(0, format!("127.0.0.1:1{}", b.len()))].into(),
                    ..Default::default()
                })
                .collect(),
            queue_datas: brokers
                .iter()
                .map(|b| QueueData {
                    broker_name: (*b).into(),
                    perm: 6,
                    read_queue_nums: 2,
                    write_queue_nums: 2,
                    topic_sys_flag: 0,
                })
                .collect(),
            ..Default::default()
        };
        PublishInfo::from_route("T", Arc::new(route), true)
    }

    #[test]
    fn latency_thresholds_map_to_java_not_available_durations() {
        let ms = Duration::from_millis;
        assert_eq!(not_available_duration(ms(10)), Duration::ZERO);
        assert_eq!(not_available_duration(ms(100)), Duration::ZERO);
        assert_eq!(not_available_duration(ms(549)), Duration::ZERO);
        assert_eq!(not_available_duration(ms(550)), ms(30_000));
        assert_eq!(not_available_duration(ms(1_500)), ms(60_000));
        assert_eq!(not_available_duration(ms(2_000)), ms(120_000));
        assert_eq!(not_available_duration(ms(3_000)), ms(180_000));
        assert_eq!(not_available_duration(ms(30_000)), ms(600_000));
    }

    #[test]
    fn a_failed_broker_is_avoided_for_ten_minutes_when_enabled() {
        let s = FaultStrategy::new(true);
        let info = info(&["a", "b"]);
        let now = Instant::now();
        s.record_at("a", Duration::from_millis(5), true, now);
        for _ in 0..8 {
            assert_eq!(s.select_at(&info, None, now).expect("q").broker_name, "b");
        }
        let later = now + Duration::from_secs(601);
        let brokers: std::collections::BTreeSet<_> = (0..8)
            .map(|_| s.select_at(&info, None, later).expect("q").broker_name)
            .collect();
        assert_eq!(brokers.len(), 2, "a is back after 10 minutes");
    }

    #[test]
    fn fast_sends_keep_a_broker_available() {
        let s = FaultStrategy::new(true);
        let now = Instant::now();
        s.record_at("a", Duration::from_millis(40), false, now);
        assert!(s.is_available_at("a", now));
        s.record_at("a", Duration::from_millis(600), false, now);
        assert!(!s.is_available_at("a", now));
        assert!(s.is_available_at("a", now + Duration::from_secs(30)));
    }

    #[test]
    fn with_every_broker_faulty_the_least_bad_one_is_used() {
        let s = FaultStrategy::new(true);
        let info = info(&["a", "b"]);
        let now = Instant::now();
        s.record_at("a", Duration::from_millis(5), true, now);
        s.record_at("b", Duration::from_millis(700), false, now);
        for _ in 0..4 {
            assert_eq!(s.select_at(&info, None, now).expect("q").broker_name, "b");
        }
    }

    #[test]
    fn disabled_strategy_records_nothing_and_only_skips_the_last_broker() {
        let s = FaultStrategy::new(false);
        let info = info(&["a", "b"]);
        s.record("a", Duration::from_secs(10), true);
        assert!(s.items.is_empty());
        for _ in 0..6 {
            assert_eq!(s.select(&info, Some("b")).expect("q").broker_name, "a");
        }
    }
}
