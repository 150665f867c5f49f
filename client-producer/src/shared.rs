//! [`Shared`]: the state behind every clone of a producer handle (settings, client instance,
//! registration, fault strategy, the bounds of async sends, their task tracker), its start and
//! its close. The send path (`send.rs`) and the handles above (`producer.rs`,
//! `transaction.rs`, `request.rs`) build on it; it calls none of them.
//!
//! Async sends run on tasks tracked here; their number and bytes are bounded by two semaphores
//! that callers wait on within their send deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rmq_client_core::trace::{TraceDispatcher, TraceRole};
use rmq_client_core::{ClientInstance, PublishInfo};
use rmq_protocol::body::TopicRouteData;
use rmq_protocol::naming;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::task::TaskTracker;
use tracing::{debug, info};

use crate::budget::Budget;
use crate::checker::TransactionChecker;
use crate::error::{Error, Result};
use crate::fault::FaultStrategy;
use crate::inner::Registered;
use crate::settings::Settings;

/// What every clone of a producer handle shares.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) instance: ClientInstance,
    pub(crate) registered: Arc<Registered>,
    pub(crate) fault: FaultStrategy,
    inflight: Arc<Semaphore>,
    inflight_bytes: Arc<Semaphore>,
    pub(crate) tracker: TaskTracker,
    closed: AtomicBool,
    /// Message trace, when on (`trace.rs` appends to it).
    pub(crate) traces: Option<TraceDispatcher>,
}

impl Shared {
    /// Starts the instance, registers the group (Java keeps the auto-create topic in the
    /// publish table) and sends a first heartbeat.
    pub(crate) async fn start(
        settings: Settings,
        instance: ClientInstance,
        checker: Option<Arc<dyn TransactionChecker>>,
    ) -> Result<Shared> {
        instance.start().await?;
        let registered = Arc::new(Registered::new(
            settings.wire_group(),
            settings.namespace.clone(),
            checker,
            instance.api().clone(),
            settings.send_timeout,
        ));
        // Java keeps the auto-create topic in the publish table, so its route (and with it
        // every broker) is known and heartbeated even before the first send.
        let tbw = naming::AUTO_CREATE_TOPIC_KEY_TOPIC;
        let empty = PublishInfo::from_route(tbw, Arc::new(TopicRouteData::default()), false);
        registered.insert_publish_info(tbw, Arc::new(empty));
        if let Err(e) = instance.register_producer(registered.clone()) {
            instance.release_if_idle().await;
            return Err(e.into());
        }
        if let Err(e) = instance.update_topic_route(tbw).await {
            debug!(error = %rmq_remoting::Error::chain(&e), "no route for the auto-create topic yet");
        }
        if let Err(e) = instance.send_heartbeat_now().await {
            debug!(error = %rmq_remoting::Error::chain(&e), "first heartbeat failed; the periodic one retries");
        }
        let traces = trace_dispatcher(&settings, &instance)?;
        if let Some(traces) = &traces {
            registered.set_traces(traces.clone());
        }
        let shared = Shared {
            traces,
            inflight: Arc::new(Semaphore::new(settings.max_inflight_async)),
            inflight_bytes: Arc::new(Semaphore::new(settings.max_inflight_async_bytes)),
            fault: FaultStrategy::new(settings.latency_fault_tolerance),
            settings,
            instance,
            registered,
            tracker: TaskTracker::new(),
            closed: AtomicBool::new(false),
        };
        info!(group = %shared.settings.group, client_id = %shared.instance.client_id(), "producer started");
        Ok(shared)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::Shutdown)
        } else {
            Ok(())
        }
    }

    pub(crate) fn registered_group(&self) -> &str {
        rmq_client_core::ProducerInner::group(&*self.registered)
    }

    /// Waits (within `budget`) for room for one async send of `size` bytes.
    pub(crate) async fn acquire_inflight(
        &self,
        size: usize,
        budget: &Budget,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        // A message larger than the byte bound takes the whole bound rather than never fitting.
        let bytes = size.clamp(1, self.settings.max_inflight_async_bytes) as u32;
        let wait = async {
            let count = self.inflight.clone().acquire_owned().await;
            let bytes = self.inflight_bytes.clone().acquire_many_owned(bytes).await;
            (count, bytes)
        };
        match tokio::time::timeout_at(budget.tokio_deadline(), wait).await {
            Ok((Ok(count), Ok(bytes))) => Ok((count, bytes)),
            Ok(_) => Err(Error::Shutdown),
            Err(_) => Err(Error::Timeout {
                what: "waiting for async in-flight capacity".into(),
                after: budget.elapsed(),
            }),
        }
    }

    pub(crate) async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inflight.close();
        self.inflight_bytes.close();
        self.tracker.close();
        let deadline = self.instance.config().shutdown_timeout();
        if tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(group = %self.settings.group, "async sends did not finish before shutdown");
        }
        if let Some(traces) = &self.traces {
            traces.shutdown().await;
        }
        self.instance
            .unregister_producer(self.registered_group())
            .await;
        self.instance.release_if_idle().await;
        info!(group = %self.settings.group, "producer shut down");
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let instance = self.instance.clone();
        let group = self.registered_group().to_owned();
        handle.spawn(async move {
            instance.unregister_producer(&group).await;
            instance.release_if_idle().await;
        });
    }
}

/// The dispatcher of a producer whose settings turn trace on.
fn trace_dispatcher(
    settings: &Settings,
    instance: &ClientInstance,
) -> Result<Option<TraceDispatcher>> {
    let Some(topic) = &settings.trace_topic else {
        return Ok(None);
    };
    TraceDispatcher::builder(instance.clone(), &settings.group, TraceRole::Produce)
        .topic(topic.clone())
        .build()
        .map(Some)
        .map_err(|e| Error::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn shared(count: usize, bytes: usize) -> Shared {
        let config = rmq_client_core::ClientConfig::builder()
            .namesrv("127.0.0.1:1")
            .build()
            .expect("config");
        let instance = ClientInstance::new(config).expect("instance");
        let settings = Settings {
            max_inflight_async: count,
            max_inflight_async_bytes: bytes,
            ..Settings::default()
        };
        let registered = Arc::new(Registered::new(
            "g".into(),
            None,
            None,
            instance.api().clone(),
            Duration::from_secs(1),
        ));
        Shared {
            inflight: Arc::new(Semaphore::new(count)),
            inflight_bytes: Arc::new(Semaphore::new(bytes)),
            fault: FaultStrategy::new(false),
            settings,
            instance,
            registered,
            tracker: TaskTracker::new(),
            closed: AtomicBool::new(false),
            traces: None,
        }
    }

    #[tokio::test]
    async fn async_sends_wait_for_room_within_their_deadline() {
        let s = shared(1, 1024);
        let held = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("room");
        let e = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect_err("no room in time");
        assert_eq!(e.kind(), crate::ErrorKind::Timeout, "{e}");
        drop(held);
        let _again = s
            .acquire_inflight(10, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("room again once released");
    }

    #[tokio::test]
    async fn in_flight_bytes_are_bounded_and_huge_bodies_take_the_whole_bound() {
        let s = shared(10, 100);
        let a = s
            .acquire_inflight(60, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("60 of 100 bytes");
        assert!(s
            .acquire_inflight(60, &Budget::new(Duration::from_millis(30)))
            .await
            .is_err());
        drop(a);
        let whole = s
            .acquire_inflight(5_000, &Budget::new(Duration::from_millis(50)))
            .await
            .expect("a body over the bound takes all of it");
        assert_eq!(s.inflight_bytes.available_permits(), 0);
        drop(whole);
        assert_eq!(s.inflight_bytes.available_permits(), 100);
    }

    #[tokio::test]
    async fn a_closed_producer_refuses_new_sends() {
        let s = shared(1, 10);
        assert!(s.ensure_open().is_ok());
        s.closed.store(true, Ordering::Release);
        assert_eq!(
            s.ensure_open().expect_err("closed").kind(),
            crate::ErrorKind::Shutdown
        );
    }
}
