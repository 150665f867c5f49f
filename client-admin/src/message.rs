//! Messages: query by key, by unique key and by offset id, view, read by queue offset, pull a
//! range of a queue, send one, and queue offsets (min, max, by time).
//!
//! Queries ask every master of the topic and merge; reading uses PULL_MESSAGE with the tools
//! group (`TOOLS_CONSUMER`) and commits nothing.

use std::time::Duration;

use rmq_client_core::api::{PullStatus, SendStatus};
use rmq_protocol::header::{
    PullMessageRequestHeader, QueryMessageRequestHeader, SendMessageRequestHeader,
};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{ids, naming, Message, MessageQueue, RequestCode, StoredMessage};
use serde::Serialize;

use crate::admin::{now_ms, route_masters, Admin};
use crate::error::{Context, Error, Result};

/// Java's default `maxNum` of a key query (`queryMsgByKey -c`).
pub const DEFAULT_QUERY_MAX: i32 = 64;

/// One pull of a queue by [`Admin::pull`].
#[derive(Debug, Clone)]
pub struct PullBatch {
    /// What the broker found.
    pub status: PullStatus,
    /// Offset to read from next.
    pub next_offset: i64,
    /// The queue's min offset.
    pub min_offset: i64,
    /// The queue's max offset.
    pub max_offset: i64,
    /// The messages (empty unless found).
    pub messages: Vec<StoredMessage>,
}

/// Where [`Admin::send_message`] stored a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// Broker group name (empty when the storing broker is not in the cluster table).
    pub broker_name: String,
    /// Queue id.
    pub queue_id: i32,
    /// Consume-queue offset.
    pub queue_offset: i64,
    /// `SEND_OK`, `FLUSH_DISK_TIMEOUT`, `FLUSH_SLAVE_TIMEOUT` or `SLAVE_NOT_AVAILABLE`.
    pub status: String,
    /// The unique id (UNIQ_KEY) users see.
    pub msg_id: String,
    /// The broker's offset message id.
    pub offset_msg_id: String,
}

impl Admin {
    /// Messages of `topic` whose keys contain `key`, stored between `begin` and `end` (ms),
    /// at most `max_num` (`queryMessage`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic; the first broker that fails, named.
    pub async fn query_msg_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
    ) -> Result<Vec<StoredMessage>> {
        let mut found = self.query(topic, key, max_num, begin, end, false).await?;
        found.retain(|m| m.keys().any(|k| k == key));
        found.truncate(usize::try_from(max_num.max(0)).unwrap_or(0));
        Ok(found)
    }

    /// The message of `topic` whose unique id (UNIQ_KEY) is `msg_id` (`queryMessageByUniqKey`);
    /// every copy when it was stored more than once.
    ///
    /// # Errors
    /// [`Error::NotFound`] when no broker has it; [`Error::InvalidArgument`] for an id that is
    /// not a unique id.
    pub async fn query_msg_by_unique_key(
        &self,
        topic: &str,
        msg_id: &str,
    ) -> Result<Vec<StoredMessage>> {
        let parts = ids::decode_unique_id(msg_id)
            .map_err(|e| Error::InvalidArgument(format!("message id {msg_id:?}: {e}")))?;
        let begin = parts.nearly_time_ms(now_ms()) - 1000;
        let mut found = self
            .query(topic, msg_id, 32, begin.max(0), i64::MAX, true)
            .await?;
        found.retain(|m| m.msg_id() == msg_id);
        if found.is_empty() {
            return Err(Error::not_found(
                format!("message {msg_id} of topic {topic}"),
                None,
            ));
        }
        Ok(found)
    }

    async fn query(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin: i64,
        end: i64,
        unique: bool,
    ) -> Result<Vec<StoredMessage>> {
        let route = self.route_of(topic).await?;
        let header = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num,
            begin_timestamp: begin,
            end_timestamp: end,
            unique_key_query: Some(unique),
        };
        let mut found = Vec::new();
        for (name, addr) in route_masters(&route) {
            found.extend(
                self.api()
                    .query_message(&addr, &header, unique, self.timeout())
                    .await
                    .context(|| {
                        format!("query messages of {topic} by key {key} on broker {name} ({addr})")
                    })?,
            );
        }
        found.sort_by_key(|m| (m.store_timestamp, m.queue_id, m.queue_offset));
        Ok(found)
    }

    /// The message whose offset message id is `offset_msg_id` (`viewMessage`): the id names
    /// the broker and commit-log offset.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an id that does not decode; the broker's error, named.
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<StoredMessage> {
        let id = ids::decode_offset_msg_id(offset_msg_id).map_err(|e| {
            Error::InvalidArgument(format!("offset message id {offset_msg_id:?}: {e}"))
        })?;
        let addr = id.store_host.to_string();
        self.api()
            .view_message(&addr, id.commit_log_offset, self.timeout())
            .await
            .context(|| format!("view message {offset_msg_id} on broker {addr}"))
    }

    /// Reads up to `max` messages of `queue` from `offset` (no filter, nothing committed).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown broker; the broker's error, named.
    pub async fn pull(&self, queue: &MessageQueue, offset: i64, max: i32) -> Result<PullBatch> {
        let addr = self.master_of(&queue.broker_name).await?;
        let header = PullMessageRequestHeader {
            consumer_group: naming::TOOLS_CONSUMER_GROUP.to_owned(),
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            queue_offset: offset,
            max_msg_nums: max,
            // Java PullSysFlag: subscription bit only (no commit, no suspend).
            sys_flag: 0x4,
            commit_offset: 0,
            suspend_timeout_millis: 0,
            subscription: Some("*".to_owned()),
            sub_version: 0,
            expression_type: Some("TAG".to_owned()),
            max_msg_bytes: None,
            broker_name: Some(queue.broker_name.clone()),
        };
        let response = self
            .api()
            .pull_message(&addr, &header, self.timeout() + Duration::from_secs(1))
            .await
            .context(|| {
                format!(
                    "pull {}:{}:{} at offset {offset} from broker {addr}",
                    queue.topic, queue.broker_name, queue.queue_id
                )
            })?;
        let messages = if response.status == PullStatus::Found {
            decode_stored(response.body, DecodeOptions::new())
                .context(|| format!("messages pulled from {addr}"))?
        } else {
            Vec::new()
        };
        Ok(PullBatch {
            status: response.status,
            next_offset: response.next_begin_offset,
            min_offset: response.min_offset,
            max_offset: response.max_offset,
            messages,
        })
    }

    /// The message at `offset` of a queue (`queryMsgByOffset`).
    ///
    /// # Errors
    /// [`Error::NotFound`] when the queue has no message there.
    pub async fn query_msg_by_offset(
        &self,
        queue: &MessageQueue,
        offset: i64,
    ) -> Result<StoredMessage> {
        let batch = self.pull(queue, offset, 1).await?;
        batch.messages.into_iter().next().ok_or_else(|| {
            Error::not_found(
                format!(
                    "message at offset {offset} of {}:{}:{}",
                    queue.topic, queue.broker_name, queue.queue_id
                ),
                Some(format!(
                    "queue offsets {}..{}",
                    batch.min_offset, batch.max_offset
                )),
            )
        })
    }

    /// The queues of `topic` readable on its brokers, in broker and id order.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown topic.
    pub async fn topic_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        let route = self.route_of(topic).await?;
        let mut queues: Vec<MessageQueue> = route
            .queue_datas
            .iter()
            .flat_map(|q| {
                (0..q.read_queue_nums).map(|id| MessageQueue::new(topic, &q.broker_name, id))
            })
            .collect();
        queues.sort();
        Ok(queues)
    }

    /// The offset after the queue's last message.
    ///
    /// # Errors
    /// The broker's error, named.
    pub async fn max_offset(&self, queue: &MessageQueue) -> Result<i64> {
        let addr = self.master_of(&queue.broker_name).await?;
        self.api()
            .max_offset(&addr, &queue.topic, queue.queue_id, self.timeout())
            .await
            .context(|| {
                format!(
                    "get the max offset of {}:{} from {addr}",
                    queue.topic, queue.queue_id
                )
            })
    }

    /// The queue's first offset still stored.
    ///
    /// # Errors
    /// The broker's error, named.
    pub async fn min_offset(&self, queue: &MessageQueue) -> Result<i64> {
        let addr = self.master_of(&queue.broker_name).await?;
        self.api()
            .min_offset(&addr, &queue.topic, queue.queue_id, self.timeout())
            .await
            .context(|| {
                format!(
                    "get the min offset of {}:{} from {addr}",
                    queue.topic, queue.queue_id
                )
            })
    }

    /// The offset of the first message stored at or after `timestamp` (ms).
    ///
    /// # Errors
    /// The broker's error, named.
    pub async fn search_offset(&self, queue: &MessageQueue, timestamp: i64) -> Result<i64> {
        let addr = self.master_of(&queue.broker_name).await?;
        self.api()
            .search_offset(
                &addr,
                &queue.topic,
                queue.queue_id,
                timestamp,
                self.timeout(),
            )
            .await
            .context(|| {
                format!(
                    "search the offset of {}:{} at {timestamp} on {addr}",
                    queue.topic, queue.queue_id
                )
            })
    }

    /// Sends one message (`sendMessage`): to `queue` when given, else to a queue the client
    /// instance picks. A unique id is set when the message has none.
    ///
    /// # Errors
    /// The broker's refusal or the route lookup's error, named.
    pub async fn send_message(
        &self,
        message: Message,
        queue: Option<&MessageQueue>,
    ) -> Result<SentMessage> {
        let message = match message.unique_key() {
            Some(_) => message,
            None => message.with_unique_key(ids::unique_id()),
        };
        let msg_id = message.unique_key().unwrap_or_default().to_owned();
        let topic = message.topic().to_owned();
        let response = match queue {
            None => self
                .instance()
                .send_inner(&message, self.timeout())
                .await
                .context(|| format!("send a message to topic {topic}"))?,
            Some(q) => {
                let addr = self.master_of(&q.broker_name).await?;
                let header = SendMessageRequestHeader {
                    producer_group: naming::CLIENT_INNER_PRODUCER_GROUP.to_owned(),
                    topic: topic.clone(),
                    default_topic: naming::AUTO_CREATE_TOPIC_KEY_TOPIC.to_owned(),
                    default_topic_queue_nums: 4,
                    queue_id: q.queue_id,
                    born_timestamp: now_ms(),
                    flag: message.flag(),
                    properties: Some(message.properties().encode()),
                    reconsume_times: Some(0),
                    broker_name: Some(q.broker_name.clone()),
                    ..Default::default()
                };
                self.api()
                    .send_message(
                        &addr,
                        &q.broker_name,
                        RequestCode::SEND_MESSAGE_V2,
                        header,
                        message.body().clone(),
                        self.timeout(),
                    )
                    .await
                    .context(|| {
                        format!(
                            "send a message to {topic}:{}:{} on broker {addr}",
                            q.broker_name, q.queue_id
                        )
                    })?
            }
        };
        let broker_name = match queue {
            Some(q) => q.broker_name.clone(),
            None => self.broker_name_of_msg(&response.offset_msg_id).await,
        };
        Ok(SentMessage {
            broker_name,
            queue_id: response.queue_id,
            queue_offset: response.queue_offset,
            status: status_name(response.status).to_owned(),
            msg_id,
            offset_msg_id: response.offset_msg_id,
        })
    }

    /// The broker group holding `offset_msg_id`'s store host, or `""`.
    async fn broker_name_of_msg(&self, offset_msg_id: &str) -> String {
        let Ok(id) = ids::decode_offset_msg_id(offset_msg_id) else {
            return String::new();
        };
        let host = id.store_host.to_string();
        let Ok(info) = self.cluster().await else {
            return String::new();
        };
        info.broker_addr_table
            .values()
            .find(|b| b.broker_addrs.values().any(|a| *a == host))
            .map(|b| b.broker_name.clone())
            .unwrap_or_default()
    }
}

/// Java's `SendStatus` name.
fn status_name(status: SendStatus) -> &'static str {
    match status {
        SendStatus::Ok => "SEND_OK",
        SendStatus::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
        SendStatus::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
        SendStatus::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
    }
}
