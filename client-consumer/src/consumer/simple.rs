//! [`SimpleConsumer`]: POP consumption driven by the application (Java 5.x `SimpleConsumer`).
//! Each receive pops from one broker of one subscribed topic, in turn; the broker keeps the
//! offsets and hides popped messages for the invisible duration. A message not acked in time
//! comes back, through the group's POP retry topic, with one more reconsume time.
//!
//! Receives in flight are bounded (`max_in_flight_receives`); acks and changes of invisible
//! duration are single requests. The group is registered with the client instance, so it
//! heartbeats as a POP consumer and the instance stays up while the consumer lives.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use rmq_client_core::{ClientConfig, ClientInstance, ConsumerInner};
use rmq_protocol::body::{
    ConsumeDirectlyOutcome, ConsumeFromWhere, ConsumeMessageDirectlyResult, ConsumeType,
    ConsumerRunningInfo, MessageModel, SubscriptionData, MASTER_ID,
};
use rmq_protocol::header::{
    AckMessageRequestHeader, ChangeInvisibleTimeRequestHeader, PopHandle, PopMessageRequestHeader,
    INIT_MODE_MAX, MAX_POP_MESSAGES,
};
use rmq_protocol::message::property;
use rmq_protocol::{naming, perm, MessageQueue, StoredMessage};
use tokio::sync::Semaphore;

use super::simple_builder::{SimpleConsumerBuilder, MAX_AWAIT};
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::message::ReceivedMessage;

/// A consumer that receives, acks and hides messages on request (see the module docs).
///
/// Cheap to clone; clones share the consumer. Build it with [`SimpleConsumer::builder`].
#[derive(Debug, Clone)]
pub struct SimpleConsumer {
    pub(crate) inner: Arc<Inner>,
}

/// The consumer's shared state.
#[derive(Debug)]
pub(crate) struct Inner {
    instance: ClientInstance,
    /// The group as the broker names it (namespace included).
    wire_group: String,
    /// The group as the user named it.
    user_group: String,
    namespace: Option<String>,
    /// Subscriptions by wire topic.
    subs: Vec<SubscriptionData>,
    await_duration: Duration,
    receives: Semaphore,
    /// Round-robin position over topics and brokers.
    next: AtomicUsize,
    stopped: AtomicBool,
}

impl Inner {
    pub(crate) fn new(
        instance: ClientInstance,
        (user_group, wire_group): (String, String),
        namespace: Option<String>,
        subs: Vec<(String, Filter)>,
        await_duration: Duration,
        max_in_flight_receives: usize,
    ) -> Inner {
        let version = crate::consumer::builder::now_ms();
        Inner {
            instance,
            user_group,
            wire_group,
            namespace,
            subs: subs
                .iter()
                .map(|(topic, filter)| filter.to_subscription(topic, version))
                .collect(),
            await_duration,
            receives: Semaphore::new(max_in_flight_receives),
            next: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// The subscriptions, with wire topics.
    pub(crate) fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.subs.clone()
    }

    fn shut_down(&self) -> Error {
        Error::State {
            group: self.wire_group.clone(),
            state: "shut down",
        }
    }
}

impl SimpleConsumer {
    /// A builder; `group`, one `subscribe` and a name server are what most users set.
    pub fn builder() -> SimpleConsumerBuilder {
        SimpleConsumerBuilder::new()
    }

    /// The consumer group, as given to the builder (without namespace).
    pub fn group(&self) -> &str {
        &self.inner.user_group
    }

    /// Receives up to `max` messages (1..=32) from the next subscribed topic and broker in
    /// turn, waiting up to the await duration when there is none. Every message is hidden
    /// from other receives for `invisible_duration` unless acked.
    ///
    /// An empty vector means nothing arrived within the await duration (or the broker had too
    /// many waiting receives).
    ///
    /// # Errors
    /// [`Error::Config`] for `max` outside 1..=32 or a zero duration; [`Error::State`] after
    /// shutdown; route, broker and transport errors, which name the broker and its code.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the pop; messages the broker popped for it become visible
    /// again after `invisible_duration`.
    pub async fn receive(
        &self,
        max: usize,
        invisible_duration: Duration,
    ) -> Result<Vec<ReceivedMessage>> {
        let inner = &self.inner;
        let max_msgs = i32::try_from(max)
            .ok()
            .filter(|n| (1..=MAX_POP_MESSAGES).contains(n))
            .ok_or_else(|| Error::Config(format!("receive max {max} is not in 1..=32")))?;
        let invisible = millis(invisible_duration)?;
        if inner.stopped.load(Ordering::Acquire) {
            return Err(inner.shut_down());
        }
        let _permit = inner
            .receives
            .acquire()
            .await
            .map_err(|_| inner.shut_down())?;
        let (sub, broker_name, addr) = self.pick().await?;
        let header = PopMessageRequestHeader {
            consumer_group: inner.wire_group.clone(),
            topic: sub.topic.clone(),
            queue_id: -1,
            max_msg_nums: max_msgs,
            invisible_time: invisible,
            poll_time: millis(inner.await_duration).unwrap_or(0),
            born_time: crate::consumer::builder::now_ms(),
            init_mode: INIT_MODE_MAX,
            exp_type: Some(sub.expression_type.clone()),
            exp: Some(sub.sub_string.clone()),
            order: Some(false),
            attempt_id: None,
            broker_name: Some(broker_name.clone()),
        };
        let api = inner.instance.api();
        let timeout = inner.await_duration + api.default_timeout();
        let popped = api
            .pop_message(&addr, &broker_name, &header, timeout)
            .await?;
        Ok(popped
            .records
            .into_iter()
            .map(|r| {
                let topic = r.handle.real_topic(&sub.topic, &inner.wire_group);
                let queue = MessageQueue::new(topic, &broker_name, r.handle.queue_id);
                ReceivedMessage::new(
                    r.message,
                    queue,
                    &inner.wire_group,
                    inner.namespace.as_deref(),
                )
            })
            .collect())
    }

    /// Acks a received message: it will not be delivered again.
    ///
    /// # Errors
    /// [`Error::HandleExpired`] when its invisible duration has passed (the broker may have
    /// handed it to another consumer; it comes back unless that one acks it);
    /// [`Error::InvalidHandle`] for a message not received by a pop; the broker's refusal
    /// (`NO_MESSAGE` when the message left the queue) and transport errors.
    ///
    /// # Cancel safety
    /// Dropping the future abandons the ack; if it was already written, the broker may still
    /// apply it. Acking twice is harmless.
    pub async fn ack(&self, message: &ReceivedMessage) -> Result<()> {
        let (handle, addr) = self.usable_handle(message)?;
        let header = AckMessageRequestHeader {
            consumer_group: self.inner.wire_group.clone(),
            topic: handle.real_topic(&message.stored().topic, &self.inner.wire_group),
            queue_id: handle.queue_id,
            extra_info: handle.to_string(),
            offset: handle.queue_offset,
            broker_name: Some(handle.broker_name.clone()),
        };
        let api = self.inner.instance.api();
        api.ack_message(&addr, &header, api.default_timeout())
            .await?;
        Ok(())
    }

    /// Hides a received message for `duration` from now instead of its remaining invisible
    /// time. Returns the message with its new receipt handle: ack that one; the old handle
    /// no longer acks it.
    ///
    /// # Errors
    /// As [`ack`](Self::ack), and [`Error::Config`] for a zero duration.
    ///
    /// # Cancel safety
    /// Dropping the future loses the new handle; if the request was already written, the
    /// old handle may no longer ack the message, which then comes back after `duration`.
    pub async fn change_invisible_duration(
        &self,
        message: &ReceivedMessage,
        duration: Duration,
    ) -> Result<ReceivedMessage> {
        let invisible = millis(duration)?;
        let (handle, addr) = self.usable_handle(message)?;
        let inner = &self.inner;
        let header = ChangeInvisibleTimeRequestHeader {
            consumer_group: inner.wire_group.clone(),
            topic: handle.real_topic(&message.stored().topic, &inner.wire_group),
            queue_id: handle.queue_id,
            extra_info: handle.to_string(),
            offset: handle.queue_offset,
            invisible_time: invisible,
            broker_name: Some(handle.broker_name.clone()),
        };
        let api = inner.instance.api();
        let renewed = api
            .change_invisible_time(&addr, &header, api.default_timeout())
            .await?;
        let mut stored: StoredMessage = message.stored().clone();
        stored
            .properties
            .insert(property::POP_CK, renewed.to_string());
        Ok(ReceivedMessage::new(
            stored,
            message.wire_queue().clone(),
            &inner.wire_group,
            inner.namespace.as_deref(),
        ))
    }

    /// Stops receiving (waiting and later receives fail), unregisters the group and shuts the
    /// client instance down when nothing else uses it. Idempotent. Messages received and not
    /// acked come back to the group after their invisible duration.
    ///
    /// # Cancel safety
    /// Receiving stops at once; dropping the future may leave the group registered until the
    /// instance shuts down.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        if inner.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        inner.receives.close();
        inner.instance.unregister_consumer(&inner.wire_group).await;
        inner.instance.release_if_idle().await;
    }

    /// The next `(subscription, broker name, master address)` in turn.
    async fn pick(&self) -> Result<(SubscriptionData, String, String)> {
        let inner = &self.inner;
        let n = inner.next.fetch_add(1, Ordering::Relaxed);
        let sub = inner.subs[n % inner.subs.len()].clone();
        let mut brokers = readable_brokers(&inner.instance, &sub.topic);
        if brokers.is_empty() {
            inner.instance.update_topic_route(&sub.topic).await?;
            brokers = readable_brokers(&inner.instance, &sub.topic);
        }
        let Some(broker) = brokers.get((n / inner.subs.len()) % brokers.len().max(1)) else {
            return Err(rmq_client_core::Error::RouteNotFound {
                topic: sub.topic.clone(),
                reason: "no broker has a readable queue".into(),
            }
            .into());
        };
        let addr = master(&inner.instance, broker).await?;
        Ok((sub, broker.clone(), addr))
    }

    /// The message's handle if it may still be used, and its broker's master address.
    fn usable_handle(&self, message: &ReceivedMessage) -> Result<(PopHandle, String)> {
        let invalid = |reason: String| Error::InvalidHandle {
            msg_id: message.msg_id(),
            reason,
        };
        let text = message
            .property(property::POP_CK)
            .ok_or_else(|| invalid("it was not received by a pop".into()))?;
        let handle = PopHandle::parse(text).map_err(|e| invalid(e.to_string()))?;
        let now = SystemTime::now();
        if handle.is_expired_at(now) {
            let late = now
                .duration_since(handle.visible_again_at())
                .unwrap_or_default();
            return Err(Error::HandleExpired {
                msg_id: message.msg_id(),
                broker: handle.broker_name.clone(),
                late_ms: u64::try_from(late.as_millis()).unwrap_or(u64::MAX),
            });
        }
        let addr = self
            .inner
            .instance
            .brokers()
            .find_in_subscribe(&handle.broker_name, MASTER_ID, true)
            .map(|found| found.addr)
            .ok_or_else(|| rmq_client_core::Error::BrokerNotFound {
                broker_name: handle.broker_name.clone(),
            })?;
        Ok((handle, addr))
    }
}

impl SimpleConsumerBuilder {
    /// Validates, joins (or starts) the client instance and registers the group, which then
    /// heartbeats as a POP consumer.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing group or subscription, an await above 60 s or no
    /// receive allowed in flight; the instance's errors.
    ///
    /// # Cancel safety
    /// Dropping the future may leave the shared client instance started (it stops with its
    /// last user) and the group registered in it.
    pub async fn build(self) -> Result<SimpleConsumer> {
        if self.group.is_empty() {
            return Err(Error::Config("a consumer group is required".into()));
        }
        if self.subs.is_empty() {
            return Err(Error::Config("subscribe to at least one topic".into()));
        }
        if self.await_duration > MAX_AWAIT {
            return Err(Error::Config(format!(
                "await duration {:?} is above {MAX_AWAIT:?}",
                self.await_duration
            )));
        }
        if self.max_in_flight_receives == 0 || self.max_in_flight_receives > Semaphore::MAX_PERMITS
        {
            return Err(Error::Config(
                "max in-flight receives must be at least 1".into(),
            ));
        }
        let mut config = match (self.config, self.namesrv) {
            (Some(c), _) => c,
            (None, Some(ns)) => ClientConfig::builder().namesrv(ns).build()?,
            (None, None) => ClientConfig::builder().build()?,
        };
        config.resolve_instance_name();
        let namespace = config.namespace().map(str::to_owned);
        let ns = namespace.as_deref();
        let group = naming::wrap_namespace(ns, &self.group);
        let subs = self
            .subs
            .into_iter()
            .map(|(topic, filter)| (naming::wrap_namespace(ns, &topic), filter))
            .collect();
        let instance = ClientInstance::shared(config)?;
        instance.start().await?;
        let inner = Arc::new(Inner::new(
            instance.clone(),
            (self.group, group),
            namespace,
            subs,
            self.await_duration,
            self.max_in_flight_receives,
        ));
        if let Err(e) = instance.register_consumer(Arc::new(Registered(inner.clone()))) {
            instance.release_if_idle().await;
            return Err(e.into());
        }
        // Routes first, so the heartbeat reaches the topics' brokers: the group shows up there
        // at once, not at the next round. Failures here are retried by the instance's rounds.
        for sub in &inner.subscriptions() {
            let _ = instance.update_topic_route(&sub.topic).await;
        }
        let _ = instance.send_heartbeat_now().await;
        Ok(SimpleConsumer { inner })
    }
}

/// Names of the brokers with a readable queue of `topic`, from the cached route.
fn readable_brokers(instance: &ClientInstance, topic: &str) -> Vec<String> {
    let Some(route) = instance.routes().get(topic) else {
        return Vec::new();
    };
    let names: BTreeSet<String> = route
        .queue_datas
        .iter()
        .filter(|q| perm::is_readable(q.perm) && q.read_queue_nums > 0)
        .map(|q| q.broker_name.clone())
        .collect();
    names.into_iter().collect()
}

/// The master address of `broker`, refreshing routes once when unknown.
async fn master(instance: &ClientInstance, broker: &str) -> Result<String> {
    if let Some(addr) = instance.brokers().master(broker) {
        return Ok(addr);
    }
    instance.update_all_topic_routes().await;
    instance.brokers().master(broker).ok_or_else(|| {
        rmq_client_core::Error::BrokerNotFound {
            broker_name: broker.to_owned(),
        }
        .into()
    })
}

/// A duration in ms for the wire; zero or one above `i64::MAX` ms is refused.
fn millis(d: Duration) -> Result<i64> {
    i64::try_from(d.as_millis())
        .ok()
        .filter(|ms| *ms > 0)
        .ok_or_else(|| {
            Error::Config(format!(
                "duration {d:?} must be between 1 ms and i64::MAX ms"
            ))
        })
}

/// The face the client instance sees: a POP consumer group with its subscriptions; the
/// broker keeps its offsets and balances its queues, so the rest does nothing.
#[derive(Debug)]
pub(crate) struct Registered(pub(crate) Arc<Inner>);

impl ConsumerInner for Registered {
    fn group(&self) -> &str {
        &self.0.wire_group
    }

    fn message_model(&self) -> MessageModel {
        MessageModel::Clustering
    }

    fn consume_type(&self) -> ConsumeType {
        ConsumeType::Pop
    }

    fn consume_from_where(&self) -> ConsumeFromWhere {
        ConsumeFromWhere::ConsumeFromLastOffset
    }

    fn subscriptions(&self) -> Vec<SubscriptionData> {
        self.0.subs.clone()
    }

    fn update_topic_subscribe_info(&self, _topic: &str, _queues: &BTreeSet<MessageQueue>) {}

    fn is_subscribe_topic_need_update(&self, _topic: &str) -> bool {
        false
    }

    fn do_rebalance(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn persist_consumer_offset(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn running_info(&self) -> ConsumerRunningInfo {
        ConsumerRunningInfo::default()
    }

    fn reset_offset(
        &self,
        _topic: &str,
        _offsets: BTreeMap<MessageQueue, i64>,
    ) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn consumer_status(&self, _topic: &str) -> BTreeMap<MessageQueue, i64> {
        BTreeMap::new()
    }

    fn consume_message_directly(
        &self,
        _message: StoredMessage,
        _broker_name: Option<String>,
    ) -> BoxFuture<'_, ConsumeMessageDirectlyResult> {
        Box::pin(async {
            ConsumeMessageDirectlyResult {
                auto_commit: false,
                consume_result: Some(ConsumeDirectlyOutcome::ThrowException),
                order: false,
                remark: Some("a simple consumer has no listener to consume directly".into()),
                spent_time_mills: 0,
            }
        })
    }
}
