//! The instance's own send path (Java's inner `CLIENT_INNER_PRODUCER`): consumers use it to put a
//! message into `%RETRY%group` themselves when CONSUMER_SEND_MSG_BACK fails. Round-robin over the
//! topic's writable queues, avoiding the broker that just failed, within one deadline.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rmq_protocol::header::SendMessageRequest;
use rmq_protocol::message::{property, Message};
use rmq_protocol::{ids, naming, RequestCode};

use crate::api::SendResponse;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;
use crate::route::PublishInfo;

/// How many times the inner send tries (Java's `retryTimesWhenSendFailed` 2, plus the first).
const ATTEMPTS: usize = 3;

impl ClientInstance {
    /// The publish info of `topic`, refreshing the route when unknown; a topic the name server
    /// does not know yet uses the auto-create topic's route.
    ///
    /// Concurrent callers that find no route share one lookup and then re-read the route
    /// table, so a burst of sends on a fresh producer makes one name-server request.
    ///
    /// # Errors
    /// [`Error::RouteNotFound`] when neither route exists; [`Error::RouteLookup`] (naming the
    /// topic, with the cause as its source) when the lookup failed otherwise.
    ///
    /// # Cancel safety
    /// Dropping the future stops waiting; the shared lookup runs on for other callers.
    pub async fn publish_info(
        &self,
        topic: &str,
        default_queue_nums: i32,
    ) -> Result<Arc<PublishInfo>> {
        if self.routes().get(topic).is_none() {
            let owned = topic.to_owned();
            self.single_flight(format!("publish:{topic}"), move |instance| async move {
                instance
                    .fetch_publish_route(&owned, default_queue_nums)
                    .await
            })
            .await
            .map_err(|e| crate::single_flight::route_error(topic, e))?;
        }
        let route = self
            .routes()
            .get(topic)
            .ok_or_else(|| Error::RouteNotFound {
                topic: topic.to_owned(),
                reason: "route vanished while refreshing".into(),
            })?;
        Ok(Arc::new(PublishInfo::from_route(topic, route, true)))
    }

    /// The lookup of [`publish_info`](Self::publish_info): the topic's own route, else the
    /// auto-create topic's.
    async fn fetch_publish_route(&self, topic: &str, default_queue_nums: i32) -> Result<bool> {
        if self.routes().get(topic).is_some() {
            // Another flight filled it while this one was being started.
            return Ok(false);
        }
        match self.fetch_topic_route(topic).await {
            Err(Error::RouteNotFound { .. }) => {
                self.update_topic_route_from_default(
                    topic,
                    naming::AUTO_CREATE_TOPIC_KEY_TOPIC,
                    default_queue_nums,
                )
                .await
            }
            other => other,
        }
    }

    /// Sends `message` with the inner producer group, retrying other brokers within `timeout`.
    ///
    /// For `%RETRY%` topics the `RECONSUME_TIME` / `MAX_RECONSUME_TIMES` properties move into
    /// the header, as Java does, so the broker counts redeliveries.
    ///
    /// # Errors
    /// The last attempt's error when every attempt failed, or the route lookup's.
    pub async fn send_inner(&self, message: &Message, timeout: Duration) -> Result<SendResponse> {
        let started = Instant::now();
        let topic = message.topic().to_owned();
        let info = self.publish_info(&topic, 4).await?;
        let mut message = message.clone();
        if message.unique_key().is_none() {
            message = message.with_unique_key(ids::unique_id());
        }
        let mut reconsume_times = Some(0);
        let mut max_reconsume_times = None;
        if naming::is_retry_topic(&topic) {
            let props = message.properties_mut();
            reconsume_times = props
                .remove(property::RECONSUME_TIME)
                .and_then(|v| v.parse().ok())
                .or(Some(0));
            max_reconsume_times = props
                .remove(property::MAX_RECONSUME_TIMES)
                .and_then(|v| v.parse().ok());
        }
        let properties = message.properties().encode();
        let born = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut last_broker: Option<String> = None;
        let mut last_error = None;
        for _ in 0..ATTEMPTS {
            let Some(remaining) = timeout.checked_sub(started.elapsed()) else {
                break;
            };
            let Some(queue) = info.select_queue(last_broker.as_deref()).cloned() else {
                break;
            };
            let Some(addr) = self.brokers().master(&queue.broker_name) else {
                last_broker = Some(queue.broker_name.clone());
                last_error = Some(Error::BrokerNotFound {
                    broker_name: queue.broker_name,
                });
                continue;
            };
            let header = SendMessageRequest {
                producer_group: naming::CLIENT_INNER_PRODUCER_GROUP,
                topic: &topic,
                default_topic: naming::AUTO_CREATE_TOPIC_KEY_TOPIC,
                default_topic_queue_nums: 4,
                queue_id: queue.queue_id,
                sys_flag: 0,
                born_timestamp: born,
                flag: message.flag(),
                properties: Some(&properties),
                reconsume_times,
                unit_mode: false,
                batch: false,
                max_reconsume_times,
                broker_name: Some(&queue.broker_name),
            };
            let sent = self
                .api()
                .send_request(
                    &addr,
                    &queue.broker_name,
                    RequestCode::SEND_MESSAGE_V2,
                    &header,
                    message.body().clone(),
                    remaining,
                )
                .await
                .map(|(response, _)| response);
            match sent {
                Ok(response) => return Ok(response),
                Err(e) => {
                    last_broker = Some(queue.broker_name);
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| Error::RouteNotFound {
            topic,
            reason: format!(
                "no writable queue, or no time left after {:?}",
                started.elapsed()
            ),
        }))
    }
}
