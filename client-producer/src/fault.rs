//! Latency fault tolerance (after Java's `MQFaultStrategy` + `LatencyFaultToleranceImpl`): a
//! broker whose sends were slow or failed is avoided for a while when choosing a queue, in
//! proportion to what it was seen to do, and never for more than [`MAX_AVOIDANCE`]:
//!
//! - a send that succeeded but took `latency` >= 550 ms: ten times that latency (Java: 30 s to
//!   10 min by a step table, which kept a recovered broker idle for up to 10 minutes);
//! - a failed send: 1 s, doubling with each failure in a row (Java: 10 min at once); a
//!   successful send clears the count.
//!
//! Off by default, as in Java. Either way, brokers the transport marked unreachable (a refused
//! connect) are skipped while another broker has a queue. When off, queue choice is plain
//! round-robin that also skips the broker which just failed. This module keeps the
//! bookkeeping; it sends nothing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rmq_client_core::PublishInfo;
use rmq_protocol::MessageQueue;

/// The longest time a broker is avoided: a recovered broker takes traffic again within it.
pub const MAX_AVOIDANCE: Duration = Duration::from_secs(30);
/// Sends faster than this never make a broker avoided (Java's first non-zero step).
const SLOW_SEND: Duration = Duration::from_millis(550);
/// A slow send's broker is avoided this many times its latency.
const SLOW_FACTOR: u32 = 10;
/// The avoidance after the first failed send in a row.
const FIRST_FAILURE_AVOIDANCE: Duration = Duration::from_secs(1);

/// How long a broker is avoided after a send that succeeded in `latency`: nothing under 550 ms,
/// else ten times the latency, at most 30 s.
pub fn not_available_duration(latency: Duration) -> Duration {
    if latency < SLOW_SEND {
        return Duration::ZERO;
    }
    latency.saturating_mul(SLOW_FACTOR).min(MAX_AVOIDANCE)
}

/// How long a broker is avoided after `failures` failed sends in a row: 1 s, 2 s, 4 s... at
/// most [`MAX_AVOIDANCE`].
fn failure_avoidance(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_FAILURE_AVOIDANCE
        .saturating_mul(1 << doublings)
        .min(MAX_AVOIDANCE)
}

#[derive(Debug, Clone, Copy)]
struct FaultItem {
    /// The last send's latency (a failed one counts as [`MAX_AVOIDANCE`], to rank it last).
    latency: Duration,
    available_at: Instant,
    /// Failed sends in a row.
    failures: u32,
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

    /// Records a send to `broker` that took `latency` and ended at `now`; `failed` marks a
    /// send that failed for the transport's reasons (not a broker's answer).
    pub(crate) fn record_at(&self, broker: &str, latency: Duration, failed: bool, now: Instant) {
        if !self.enabled {
            return;
        }
        let previous = self.items.get(broker).map_or(0, |item| item.failures);
        let item = if failed {
            let failures = previous.saturating_add(1);
            FaultItem {
                latency: MAX_AVOIDANCE,
                available_at: now + failure_avoidance(failures),
                failures,
            }
        } else {
            FaultItem {
                latency,
                available_at: now + not_available_duration(latency),
                failures: 0,
            }
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

    /// The queue for the next attempt. `unreachable` says which brokers the transport holds
    /// unreachable right now (a refused connect); they are skipped while another broker has a
    /// queue.
    ///
    /// Disabled: round-robin, skipping `last_broker` when another broker has a queue.
    /// Enabled: the next queue (round-robin) whose broker is available and is not
    /// `last_broker`, then any available one; when none is, a queue of the least bad broker.
    /// `now` is the attempt's start (availability is judged at that instant).
    pub(crate) fn select_at<'a>(
        &self,
        info: &'a PublishInfo,
        last_broker: Option<&str>,
        unreachable: &dyn Fn(&str) -> bool,
        now: Instant,
    ) -> Option<&'a MessageQueue> {
        let n = info.queues.len();
        if !self.enabled {
            let first = info.select_queue(last_broker)?;
            if !unreachable(&first.broker_name) {
                return Some(first);
            }
            for _ in 1..n {
                let q = info.select_queue(None)?;
                if !unreachable(&q.broker_name) && Some(q.broker_name.as_str()) != last_broker {
                    return Some(q);
                }
            }
            return Some(first);
        }
        let mut fallback = None;
        for _ in 0..n {
            let q = info.select_queue(None)?;
            if self.is_available_at(&q.broker_name, now) && !unreachable(&q.broker_name) {
                if Some(q.broker_name.as_str()) != last_broker {
                    return Some(q);
                }
                fallback.get_or_insert(q);
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
                return Some(of_broker[i]);
            }
        }
        info.select_queue(last_broker)
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

    fn reachable(_: &str) -> bool {
        false
    }

    #[test]
    fn slow_sends_are_avoided_ten_times_their_latency_up_to_thirty_seconds() {
        let ms = Duration::from_millis;
        assert_eq!(not_available_duration(ms(10)), Duration::ZERO);
        assert_eq!(not_available_duration(ms(549)), Duration::ZERO);
        assert_eq!(not_available_duration(ms(550)), ms(5_500));
        assert_eq!(not_available_duration(ms(1_500)), ms(15_000));
        assert_eq!(not_available_duration(ms(3_000)), ms(30_000));
        assert_eq!(not_available_duration(ms(30_000)), MAX_AVOIDANCE);
    }

    #[test]
    fn failures_in_a_row_double_the_avoidance_up_to_thirty_seconds() {
        let got: Vec<u64> = (1..=7).map(|n| failure_avoidance(n).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn a_failed_broker_is_avoided_briefly_and_takes_traffic_again_within_thirty_seconds() {
        let s = FaultStrategy::new(true);
        let info = info(&["a", "b"]);
        let now = Instant::now();
        for _ in 0..10 {
            s.record_at("a", Duration::from_millis(5), true, now);
        }
        for _ in 0..8 {
            let q = s.select_at(&info, None, &reachable, now).expect("q");
            assert_eq!(q.broker_name, "b");
        }
        let later = now + MAX_AVOIDANCE;
        let brokers: std::collections::BTreeSet<_> = (0..8)
            .map(|_| {
                s.select_at(&info, None, &reachable, later)
                    .expect("q")
                    .broker_name
                    .clone()
            })
            .collect();
        assert_eq!(
            brokers.len(),
            2,
            "a is back after 30 s, however often it failed"
        );
        s.record_at("a", Duration::from_millis(5), false, later);
        s.record_at("a", Duration::from_millis(5), true, later);
        assert!(
            s.is_available_at("a", later + Duration::from_millis(1001)),
            "a success reset the count: the next failure costs 1 s"
        );
    }

    #[test]
    fn fast_sends_keep_a_broker_available() {
        let s = FaultStrategy::new(true);
        let now = Instant::now();
        s.record_at("a", Duration::from_millis(40), false, now);
        assert!(s.is_available_at("a", now));
        s.record_at("a", Duration::from_millis(600), false, now);
        assert!(!s.is_available_at("a", now));
        assert!(s.is_available_at("a", now + Duration::from_secs(6)));
    }

    #[test]
    fn with_every_broker_faulty_the_least_bad_one_is_used() {
        let s = FaultStrategy::new(true);
        let info = info(&["a", "b"]);
        let now = Instant::now();
        s.record_at("a", Duration::from_millis(5), true, now);
        s.record_at("b", Duration::from_millis(700), false, now);
        for _ in 0..4 {
            let q = s.select_at(&info, None, &reachable, now).expect("q");
            assert_eq!(q.broker_name, "b");
        }
    }

    #[test]
    fn disabled_strategy_records_nothing_and_only_skips_the_last_broker() {
        let s = FaultStrategy::new(false);
        let info = info(&["a", "b"]);
        s.record_at("a", Duration::from_secs(10), true, Instant::now());
        assert!(s.items.is_empty());
        for _ in 0..6 {
            let q = s
                .select_at(&info, Some("b"), &reachable, Instant::now())
                .expect("q");
            assert_eq!(q.broker_name, "a");
        }
    }

    #[test]
    fn unreachable_brokers_are_skipped_while_another_has_a_queue() {
        let down = |b: &str| b == "a";
        for enabled in [false, true] {
            let s = FaultStrategy::new(enabled);
            let info = info(&["a", "b"]);
            for _ in 0..6 {
                assert_eq!(
                    s.select_at(&info, None, &down, Instant::now())
                        .expect("q")
                        .broker_name,
                    "b"
                );
            }
            let all_down = |_: &str| true;
            assert!(
                s.select_at(&info, None, &all_down, Instant::now())
                    .is_some(),
                "with every broker down a queue is still chosen (the send reports why)"
            );
        }
    }
}
