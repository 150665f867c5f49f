//! Shared by client-core's instance tests: doubles of the instance's inner producer and
//! consumer traits that record what the instance asks of them, a config with short task
//! periods, polling, and a scripted peer for the exact-request tests.
#![allow(dead_code)]

mod fakes;
mod scripted;
pub use fakes::*;
// Not every test crate asserts exact requests.
#[allow(unused_imports)]
pub use scripted::*;

use std::sync::Arc;
use std::time::Duration;

use rmq_client_core::{ClientConfig, TaskSchedule};

/// A config for `namesrv` with short task periods.
pub fn config(namesrv: &str, instance: &str) -> ClientConfig {
    config_with(
        namesrv,
        instance,
        TaskSchedule {
            heartbeat_delay: Duration::from_millis(20),
            rebalance_period: Duration::from_millis(200),
            ..TaskSchedule::default()
        },
    )
}

/// A config for `namesrv`, on 127.0.0.1 with a 3 s shutdown budget, running its tasks on
/// `schedule`.
pub fn config_with(namesrv: &str, instance: &str, schedule: TaskSchedule) -> ClientConfig {
    ClientConfig::builder()
        .namesrv(namesrv)
        .client_ip("127.0.0.1")
        .instance_name(instance)
        .shutdown_timeout(Duration::from_secs(3))
        .schedule(schedule)
        .build()
        .expect("config")
}

/// A fake producer of `group` that publishes to `topics`.
pub fn fake_producer(group: &str, topics: &[&str]) -> Arc<FakeProducer> {
    Arc::new(FakeProducer {
        group: group.into(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    })
}

/// A fake consumer of `group` subscribed to `topic`.
pub fn fake_consumer(group: &str, topic: &str) -> Arc<FakeConsumer> {
    Arc::new(FakeConsumer {
        group: group.into(),
        topic: topic.into(),
        ..Default::default()
    })
}

/// Polls `cond` every 10 ms for up to `within`.
pub async fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}
