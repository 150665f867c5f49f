//! Sending one trace message: the batch's body to a writable queue of the trace topic, keyed
//! by every traced message id and key (so the broker's index finds it by id), with at most
//! [`ATTEMPTS`] tries on different brokers within the send timeout.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::{ids, naming, Message, RequestCode};

use super::batch::Batch;
use super::Settings;
use crate::error::{Error, Result};
use crate::instance::ClientInstance;

/// Tries per trace message (Java's async send: 1 + `retryTimesWhenSendAsyncFailed` 2).
const ATTEMPTS: usize = 3;

/// Queues a fresh trace topic gets when the broker creates it from the auto-create template.
const DEFAULT_QUEUES: i32 = 4;

/// Sends `batch` as one message of the trace topic.
///
/// # Errors
/// The last attempt's error, or the route lookup's.
pub(super) async fn send_batch(
    instance: &ClientInstance,
    settings: &Settings,
    batch: Batch,
) -> Result<()> {
    let started = Instant::now();
    let topic = settings.topic.as_str();
    let message = Message::new(topic, batch.body.into_bytes())
        .with_keys(batch.keys)
        .with_unique_key(ids::unique_id());
    let info = instance.publish_info(topic, DEFAULT_QUEUES).await?;
    let born = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut avoid: Option<String> = None;
    let mut last_error = None;
    for _ in 0..ATTEMPTS {
        let Some(remaining) = settings.send_timeout.checked_sub(started.elapsed()) else {
            break;
        };
        let Some(queue) = info.select_queue(avoid.as_deref()).cloned() else {
            break;
        };
        let Some(addr) = instance.brokers().master(&queue.broker_name) else {
            last_error = Some(Error::BrokerNotFound {
                broker_name: queue.broker_name.clone(),
            });
            avoid = Some(queue.broker_name);
            continue;
        };
        let header = SendMessageRequestHeader {
            producer_group: settings.producer_group.clone(),
            topic: topic.to_owned(),
            default_topic: naming::AUTO_CREATE_TOPIC_KEY_TOPIC.to_owned(),
            default_topic_queue_nums: DEFAULT_QUEUES,
            queue_id: queue.queue_id,
            born_timestamp: born,
            flag: message.flag(),
            properties: Some(message.properties().encode()),
            reconsume_times: Some(0),
            broker_name: Some(queue.broker_name.clone()),
            ..Default::default()
        };
        let sent = instance
            .api()
            .send_message(
                &addr,
                &queue.broker_name,
                RequestCode::SEND_MESSAGE_V2,
                header,
                message.body().clone(),
                remaining,
            )
            .await;
        match sent {
            Ok(_) => return Ok(()),
            Err(e) => {
                avoid = Some(queue.broker_name);
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| Error::RouteNotFound {
        topic: topic.to_owned(),
        reason: format!(
            "no writable queue, or no time left after {:?}",
            started.elapsed()
        ),
    }))
}
