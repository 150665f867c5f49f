//! The attempt loop (Java's `sendDefaultImpl` / `sendKernelImpl`): one deadline for the whole
//! send, route lookup included; round-robin over writable queues avoiding the broker that just
//! failed, brokers the transport holds unreachable (or the fault strategy's choice); retries on
//! the codes Java retries on; every attempt recorded for the error.
//!
//! Unlike Java, an attempt that may be followed by one on another broker gets a share of the
//! remaining time, not all of it, so a frozen broker leaves time for the retry.
//!
//! It does not validate or compress (see `message.rs`) and spawns nothing.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rmq_client_core::api::{SendResponse, SendStatus};
use rmq_client_core::PublishInfo;
use rmq_protocol::header::SendMessageRequest;
use rmq_protocol::{naming, Message, MessageQueue, RequestCode};

use crate::budget::Budget;
use crate::error::{is_retry_code, Attempt, Error, Result};
use crate::id::MessageId;
use crate::message::Outgoing;
use crate::receipt::SendReceipt;
use crate::selector::QueueSelector;
use crate::shared::Shared;

/// Whether an attempt that failed with `e` may be followed by another one: transport errors,
/// unknown broker addresses, the retry codes and back-pressure (SYSTEM_BUSY, FLOW_CONTROL,
/// "broker busy": the next attempt goes to another broker).
pub(crate) fn is_retriable_attempt(e: &rmq_client_core::Error) -> bool {
    match e {
        rmq_client_core::Error::Broker { code, .. } => is_retry_code(*code) || e.is_back_pressure(),
        rmq_client_core::Error::Remoting(_) | rmq_client_core::Error::BrokerNotFound { .. } => true,
        _ => false,
    }
}

/// The timeout of one attempt with `remaining` time and `attempts_left` attempts (this one
/// included): an equal share when a later attempt can go to another broker, else everything.
pub(crate) fn attempt_timeout(
    remaining: Duration,
    attempts_left: u32,
    other_brokers: bool,
) -> Duration {
    if attempts_left <= 1 || !other_brokers {
        return remaining;
    }
    remaining / attempts_left
}

/// Where a send may go.
pub(crate) enum Route<'a> {
    /// Any writable queue; up to this many attempts.
    Any { attempts: u32 },
    /// Exactly this queue (topic as the user named it); one attempt.
    Queue(&'a MessageQueue),
    /// The selector's choice among the writable queues; one attempt.
    Selected(&'a dyn QueueSelector, &'a Message),
}

pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Shared {
    /// The publish info of `topic` (wire name): the producer's own table, else the route from
    /// the name server (or the auto-create topic's), within the budget.
    pub(crate) async fn publish_info(
        &self,
        topic: &str,
        budget: &Budget,
    ) -> Result<Arc<PublishInfo>> {
        if let Some(info) = self.registered.publish_info(topic) {
            return Ok(info);
        }
        let lookup = self
            .instance
            .publish_info(topic, self.settings.default_topic_queue_nums);
        let info = tokio::time::timeout_at(budget.tokio_deadline(), lookup)
            .await
            .map_err(|_| Error::Timeout {
                what: format!("route lookup for topic {topic}"),
                after: budget.elapsed(),
            })??;
        if !info.is_ok() {
            return Err(Error::Client(rmq_client_core::Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: "the route has no writable queue with a master".into(),
            }));
        }
        self.registered.insert_publish_info(topic, info.clone());
        Ok(info)
    }

    /// The send header, borrowed from the message and queue (written into the request
    /// without owned copies).
    fn header<'a>(&'a self, out: &'a Outgoing, queue: &'a MessageQueue) -> SendMessageRequest<'a> {
        SendMessageRequest {
            producer_group: self.registered_group(),
            topic: &out.topic,
            default_topic: naming::AUTO_CREATE_TOPIC_KEY_TOPIC,
            default_topic_queue_nums: self.settings.default_topic_queue_nums,
            queue_id: queue.queue_id,
            sys_flag: out.sys_flag,
            born_timestamp: now_millis(),
            flag: out.flag,
            properties: Some(&out.wire_properties),
            reconsume_times: out.reconsume_times,
            unit_mode: false,
            batch: out.batch,
            max_reconsume_times: out.max_reconsume_times,
            broker_name: Some(&queue.broker_name),
        }
    }

    fn code(out: &Outgoing) -> RequestCode {
        if out.batch {
            RequestCode::SEND_BATCH_MESSAGE
        } else if out.reply {
            RequestCode::SEND_REPLY_MESSAGE_V2
        } else {
            RequestCode::SEND_MESSAGE_V2
        }
    }

    /// The master address of `broker`, refreshing `topic`'s route once when it is unknown
    /// (Java's `findBrokerAddressInPublish` then `tryToFindTopicPublishInfo`).
    async fn master_addr(&self, topic: &str, broker: &str, budget: &Budget) -> Option<String> {
        if let Some(addr) = self.instance.brokers().master(broker) {
            return Some(addr);
        }
        let refresh = self.instance.update_topic_route(topic);
        let _ = tokio::time::timeout_at(budget.tokio_deadline(), refresh).await;
        self.instance.brokers().master(broker)
    }

    /// Whether the transport holds `broker`'s master unreachable right now (a refused
    /// connect, in backoff).
    fn unreachable(&self, broker: &str) -> bool {
        let remoting = self.instance.api().remoting();
        self.instance
            .brokers()
            .with_master(broker, |addr| !remoting.is_available(addr))
            .unwrap_or(false)
    }

    /// The queue a routed send starts with.
    async fn first_queue(
        &self,
        out: &Outgoing,
        route: &Route<'_>,
        budget: &Budget,
    ) -> Result<Option<(Arc<PublishInfo>, MessageQueue)>> {
        match route {
            Route::Queue(q) => {
                if naming::wrap_namespace(self.settings.namespace.as_deref(), &q.topic) != out.topic
                {
                    return Err(Error::InvalidMessage(format!(
                        "message topic {} differs from the queue's topic {}",
                        out.user_topic(),
                        q.topic
                    )));
                }
                Ok(None)
            }
            Route::Any { .. } => Ok(None),
            Route::Selected(selector, msg) => {
                let info = self.publish_info(&out.topic, budget).await?;
                // Java hands the selector the queues with the namespace removed.
                let queues: Vec<MessageQueue> = info
                    .queues
                    .iter()
                    .map(|q| MessageQueue::new(out.user_topic(), &q.broker_name, q.queue_id))
                    .collect();
                let i = selector
                    .select(&queues, msg)
                    .filter(|i| *i < queues.len())
                    .ok_or_else(|| {
                        Error::InvalidMessage(format!(
                            "the selector chose no queue among {} of topic {}",
                            queues.len(),
                            out.user_topic()
                        ))
                    })?;
                let q = info.queues[i].clone();
                Ok(Some((info, q)))
            }
        }
    }

    /// Sends `out` along `route` within `budget`, retrying as Java does.
    pub(crate) async fn send_outgoing(
        &self,
        out: &Outgoing,
        route: Route<'_>,
        budget: Budget,
    ) -> Result<SendReceipt> {
        let selected = self.first_queue(out, &route, &budget).await?;
        let (info, total) = match (&route, &selected) {
            (Route::Any { attempts }, _) => (
                Some(self.publish_info(&out.topic, &budget).await?),
                *attempts,
            ),
            _ => (None, 1),
        };
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut last_broker: Option<String> = None;
        let mut not_ok: Option<SendReceipt> = None;
        let mut deadline_passed = false;
        let total = total.max(1);
        let other_brokers = info.as_ref().is_some_and(|info| {
            info.queues
                .iter()
                .any(|q| q.broker_name != info.queues[0].broker_name)
        });
        let unreachable = |broker: &str| self.unreachable(broker);
        for attempt in 0..total {
            // One clock read serves the attempt's start: its deadline check, the fault
            // strategy's selection and the attempt's start time.
            let t0 = Instant::now();
            let Some(remaining) = budget.remaining_at(t0) else {
                deadline_passed = true;
                break;
            };
            // Borrowed from the route's queues (no copy per attempt) unless the user named it.
            let queue: Cow<'_, MessageQueue> = match (&route, &selected, &info) {
                (Route::Queue(q), _, _) => {
                    Cow::Owned(MessageQueue::new(&out.topic, &q.broker_name, q.queue_id))
                }
                (_, Some((_, q)), _) => Cow::Borrowed(q),
                (_, None, Some(info)) => {
                    match self
                        .fault
                        .select_at(info, last_broker.as_deref(), &unreachable, t0)
                    {
                        Some(q) => Cow::Borrowed(q),
                        None => break,
                    }
                }
                _ => break,
            };
            let started = budget.elapsed_at(t0);
            let Some(addr) = self
                .master_addr(&out.topic, &queue.broker_name, &budget)
                .await
            else {
                attempts.push(Attempt {
                    broker_name: queue.broker_name.clone(),
                    addr: None,
                    queue_id: queue.queue_id,
                    started,
                    elapsed: t0.elapsed(),
                    error: rmq_client_core::Error::BrokerNotFound {
                        broker_name: queue.broker_name.clone(),
                    },
                });
                last_broker = Some(queue.broker_name.clone());
                continue;
            };
            self.check_timer_support(out, &queue.broker_name, &addr)?;
            let remaining = budget.remaining().unwrap_or(remaining);
            let timeout = attempt_timeout(remaining, total - attempt, other_brokers);
            let header = self.header(out, &queue);
            let sent = rmq_client_core::telemetry::observe_send(
                out.user_topic(),
                &addr,
                out.msg_ids.len(),
                self.instance.api().send_request(
                    &addr,
                    &queue.broker_name,
                    Self::code(out),
                    &header,
                    out.body.clone(),
                    timeout,
                ),
            )
            .await;
            let done = Instant::now();
            let elapsed = done.saturating_duration_since(t0);
            match sent {
                Ok((response, recall_handle)) => {
                    self.fault
                        .record_at(&queue.broker_name, elapsed, false, done);
                    let mut receipt = self.receipt(out, &queue, response);
                    receipt.recall_handle = recall_handle;
                    if receipt.status != SendStatus::Ok
                        && self.settings.retry_another_broker_when_not_store_ok
                    {
                        last_broker = Some(queue.broker_name.clone());
                        not_ok = Some(receipt);
                        continue;
                    }
                    return Ok(receipt);
                }
                Err(error) => {
                    let busy = error.is_back_pressure();
                    if busy {
                        self.instance.record_busy_send();
                    }
                    let isolation = busy || !matches!(error, rmq_client_core::Error::Broker { .. });
                    self.fault
                        .record_at(&queue.broker_name, elapsed, isolation, done);
                    let retriable = is_retriable_attempt(&error);
                    tracing::debug!(topic = %out.user_topic(), broker = %queue.broker_name, %addr, ?elapsed, %error, "send attempt failed");
                    attempts.push(Attempt {
                        broker_name: queue.broker_name.clone(),
                        addr: Some(addr),
                        queue_id: queue.queue_id,
                        started,
                        elapsed,
                        error,
                    });
                    last_broker = Some(queue.broker_name.clone());
                    if !retriable {
                        break;
                    }
                }
            }
        }
        if let Some(receipt) = not_ok {
            return Ok(receipt);
        }
        if !deadline_passed && budget.remaining().is_none() {
            deadline_passed = true;
        }
        Err(Error::Send {
            topic: out.user_topic().to_owned(),
            attempts,
            elapsed: budget.elapsed(),
            deadline_passed,
        })
    }

    /// Sends `out` oneway to one queue (Java: oneway sends are not retried).
    pub(crate) async fn send_outgoing_oneway(&self, out: &Outgoing, budget: Budget) -> Result<()> {
        let info = self.publish_info(&out.topic, &budget).await?;
        let unreachable = |broker: &str| self.unreachable(broker);
        let t0 = Instant::now();
        let queue = self
            .fault
            .select_at(&info, None, &unreachable, t0)
            .ok_or_else(|| Error::Send {
                topic: out.user_topic().to_owned(),
                attempts: Vec::new(),
                elapsed: budget.elapsed(),
                deadline_passed: false,
            })?;
        let started = budget.elapsed_at(t0);
        let fail = |addr: Option<String>, error| Error::Send {
            topic: out.user_topic().to_owned(),
            attempts: vec![Attempt {
                broker_name: queue.broker_name.clone(),
                addr,
                queue_id: queue.queue_id,
                started,
                elapsed: t0.elapsed(),
                error,
            }],
            elapsed: budget.elapsed(),
            deadline_passed: budget.remaining().is_none(),
        };
        let Some(addr) = self
            .master_addr(&out.topic, &queue.broker_name, &budget)
            .await
        else {
            let error = rmq_client_core::Error::BrokerNotFound {
                broker_name: queue.broker_name.clone(),
            };
            return Err(fail(None, error));
        };
        self.check_timer_support(out, &queue.broker_name, &addr)?;
        let remaining = budget.remaining().unwrap_or(Duration::from_millis(1));
        let header = self.header(out, queue);
        let sent = self
            .instance
            .api()
            .send_request_oneway(
                &addr,
                &queue.broker_name,
                Self::code(out),
                &header,
                out.body.clone(),
                remaining,
            )
            .await;
        sent.map_err(|e| fail(Some(addr), e))
    }

    fn receipt(&self, out: &Outgoing, queue: &MessageQueue, r: SendResponse) -> SendReceipt {
        SendReceipt {
            status: r.status,
            msg_ids: out.msg_ids.clone(),
            offset_msg_ids: MessageId::split(&r.offset_msg_id),
            queue: MessageQueue::new(
                naming::without_namespace_in(&out.topic, self.settings.namespace.as_deref()),
                &queue.broker_name,
                r.queue_id,
            ),
            queue_offset: r.queue_offset,
            transaction_id: r.transaction_id,
            region_id: r.region_id,
            trace_on: r.trace_on,
            recall_handle: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use rmq_protocol::ResponseCode;

    use super::*;

    #[test]
    fn java_retry_codes_are_retried_and_others_are_not() {
        for code in [
            ResponseCode::TOPIC_NOT_EXIST,
            ResponseCode::SERVICE_NOT_AVAILABLE,
            ResponseCode::SYSTEM_ERROR,
            ResponseCode::NO_PERMISSION,
            ResponseCode::NO_BUYER_ID,
            ResponseCode::NOT_IN_CURRENT_UNIT,
        ] {
            assert!(is_retry_code(code), "{code:?}");
        }
        let illegal = rmq_client_core::Error::Broker {
            addr: "a".into(),
            code: ResponseCode::MESSAGE_ILLEGAL,
            remark: None,
        };
        assert!(!is_retry_code(ResponseCode::MESSAGE_ILLEGAL));
        assert!(!is_retriable_attempt(&illegal));
        for (code, remark) in [
            (ResponseCode::SYSTEM_BUSY, "[REJECTREQUEST]system busy"),
            (ResponseCode::FLOW_CONTROL, "flow control"),
        ] {
            let busy = rmq_client_core::Error::Broker {
                addr: "a".into(),
                code,
                remark: Some(remark.into()),
            };
            assert!(
                is_retriable_attempt(&busy),
                "back-pressure moves on: {code:?}"
            );
        }
        let gone = rmq_client_core::Error::BrokerNotFound {
            broker_name: "b".into(),
        };
        assert!(is_retriable_attempt(&gone));
    }

    #[test]
    fn an_attempt_gets_a_share_of_the_time_only_when_a_retry_can_go_elsewhere() {
        let three = Duration::from_secs(3);
        assert_eq!(attempt_timeout(three, 3, true), Duration::from_secs(1));
        assert_eq!(
            attempt_timeout(Duration::from_secs(2), 2, true),
            Duration::from_secs(1)
        );
        assert_eq!(
            attempt_timeout(three, 1, true),
            three,
            "the last attempt gets the rest"
        );
        assert_eq!(
            attempt_timeout(three, 3, false),
            three,
            "one broker: no point splitting"
        );
    }
}
