//! POP consumption (5.x brokers): POP_MESSAGE (200050) with its [`PopResponse`], ACK_MESSAGE
//! (200051), BATCH_ACK_MESSAGE (200151) and CHANGE_MESSAGE_INVISIBLETIME (200053).
//!
//! A pop answer is decoded here, and every message gets its receipt handle the way Java's
//! `MQClientAPIImpl#processPopResponse` builds it. Which broker to pop from, when to ack and
//! what an expired handle means to the user are the consumer's decisions.

use std::time::Duration;

use rmq_protocol::body::{BatchAck, BatchAckMessageRequestBody};
use rmq_protocol::header::{
    optional, parse_order_count_info, pop_handles, AckMessageRequestHeader,
    ChangeInvisibleTimeRequestHeader, ChangeInvisibleTimeResponseHeader, PopHandle,
    PopMessageRequestHeader, PopMessageResponseHeader, PopTopicKind, PoppedMessage,
};
use rmq_protocol::message::property as names;
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{Command, RequestCode, ResponseCode, StoredMessage};

use super::{to_json_body, ClientApi};
use crate::error::{Error, Result};

/// What a pop found (Java `PopStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PopStatus {
    /// `SUCCESS`: messages were popped.
    Found,
    /// `POLLING_FULL` (209): the broker holds too many long polls; try again later.
    PollingFull,
    /// `POLLING_TIMEOUT` (210) or `PULL_NOT_FOUND` (19): nothing to pop within the poll time.
    NoNewMsg,
}

impl PopStatus {
    /// The status for a response code, or `None` when the code is a failure.
    pub fn from_code(code: ResponseCode) -> Option<PopStatus> {
        match code {
            ResponseCode::SUCCESS => Some(PopStatus::Found),
            ResponseCode::POLLING_FULL => Some(PopStatus::PollingFull),
            ResponseCode::POLLING_TIMEOUT | ResponseCode::PULL_NOT_FOUND => {
                Some(PopStatus::NoNewMsg)
            }
            _ => None,
        }
    }
}

/// One popped message and its receipt handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopRecord {
    /// The message: its topic is the popped topic (also for a retried message), `POP_CK` holds
    /// the handle and `1ST_POP_TIME` the first pop's time.
    pub message: StoredMessage,
    /// The handle to ack it or change its invisible time with.
    pub handle: PopHandle,
}

/// A broker's answer to a pop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopResponse {
    /// What was found.
    pub status: PopStatus,
    /// Messages left behind in the queues read.
    pub rest_num: i64,
    /// The messages (empty unless [`PopStatus::Found`]).
    pub records: Vec<PopRecord>,
}

impl ClientApi {
    /// POP_MESSAGE: pops from the broker `broker_name` at `addr`.
    ///
    /// `timeout` must exceed the header's `poll_time` (the broker holds the request that long
    /// when nothing is there). Codes `SUCCESS`, `POLLING_FULL`, `POLLING_TIMEOUT` and
    /// `PULL_NOT_FOUND` are normal outcomes and become the [`PopResponse::status`].
    ///
    /// # Errors
    /// [`Error::Broker`] for any other code (`TOPIC_NOT_EXIST`, `SUBSCRIPTION_GROUP_NOT_EXIST`,
    /// `INVALID_PARAMETER`...); [`Error::Protocol`] for a malformed header, body or offset
    /// list; transport errors.
    pub async fn pop_message(
        &self,
        addr: &str,
        broker_name: &str,
        header: &PopMessageRequestHeader,
        timeout: Duration,
    ) -> Result<PopResponse> {
        let cmd = self.request_with(RequestCode::POP_MESSAGE, header);
        let response = self.call(addr, cmd, timeout).await?;
        pop_response(addr, broker_name, header, response)
    }

    /// ACK_MESSAGE: the message of `header.extra_info` is consumed.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (`NO_MESSAGE` when the offset is no longer in
    /// the queue, `MESSAGE_ILLEGAL` for a bad queue id); transport errors.
    pub async fn ack_message(
        &self,
        addr: &str,
        header: &AckMessageRequestHeader,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self.request_with(RequestCode::ACK_MESSAGE, header);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }

    /// BATCH_ACK_MESSAGE: acks several messages of one broker at once (see [`batch_acks`]).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (`NO_MESSAGE` for an empty batch); transport
    /// errors.
    pub async fn batch_ack_message(
        &self,
        addr: &str,
        body: &BatchAckMessageRequestBody,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::BATCH_ACK_MESSAGE)
            .with_body(to_json_body(body)?);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }

    /// CHANGE_MESSAGE_INVISIBLETIME: the message stays invisible for `header.invisible_time`
    /// ms from now. Returns its new handle; the old one no longer acks it.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (`NO_MESSAGE` when the offset is no longer in
    /// the queue); [`Error::Protocol`] when the request's handle or the answer is malformed;
    /// transport errors.
    pub async fn change_invisible_time(
        &self,
        addr: &str,
        header: &ChangeInvisibleTimeRequestHeader,
        timeout: Duration,
    ) -> Result<PopHandle> {
        let old = PopHandle::parse(&header.extra_info)?;
        let cmd = self.request_with(RequestCode::CHANGE_MESSAGE_INVISIBLETIME, header);
        let answer: ChangeInvisibleTimeResponseHeader =
            self.call_ok(addr, cmd, timeout).await?.decode_header()?;
        // Java: a new checkpoint that starts at the message's own offset.
        Ok(PopHandle {
            ck_offset: header.offset,
            pop_time: answer.pop_time,
            invisible_time: answer.invisible_time,
            revive_qid: answer.revive_qid,
            ..old
        })
    }
}

/// The batch-ack body for `handles` of messages of `topic` popped by `group` (Java
/// `MQClientAPIImpl#batchAckMessageAsync`): one entry per checkpoint, a bit per message.
///
/// Handles of other brokers than the first one's, and handles whose offset lies before their
/// checkpoint or too far after it, are returned unbatched for single acks.
pub fn batch_acks(
    topic: &str,
    group: &str,
    handles: &[PopHandle],
) -> (BatchAckMessageRequestBody, Vec<PopHandle>) {
    let mut body = BatchAckMessageRequestBody::default();
    let mut rest = Vec::new();
    let Some(first) = handles.first() else {
        return (body, rest);
    };
    body.broker_name = first.broker_name.clone();
    for handle in handles {
        let bit = u32::try_from(handle.queue_offset - handle.ck_offset)
            .ok()
            .filter(|bit| *bit < 1 << 16);
        let Some(bit) = bit.filter(|_| handle.broker_name == body.broker_name) else {
            rest.push(handle.clone());
            continue;
        };
        let existing = body.acks.iter_mut().find(|a| {
            a.retry == handle.kind.mark()
                && a.queue_id == handle.queue_id
                && a.start_offset == handle.ck_offset
                && a.pop_time == handle.pop_time
        });
        match existing {
            Some(ack) => ack.acked.push(bit),
            None => body.acks.push(BatchAck {
                acked: vec![bit],
                consumer_group: group.to_owned(),
                invisible_time: handle.invisible_time,
                pop_time: handle.pop_time,
                queue_id: handle.queue_id,
                retry: handle.kind.mark().to_owned(),
                revive_queue_id: handle.revive_qid,
                start_offset: handle.ck_offset,
                topic: topic.to_owned(),
            }),
        }
    }
    (body, rest)
}

/// Maps a pop answer to a status with its messages and handles, or the broker's error.
fn pop_response(
    addr: &str,
    broker_name: &str,
    request: &PopMessageRequestHeader,
    response: Command,
) -> Result<PopResponse> {
    let Some(status) = PopStatus::from_code(response.response_code()) else {
        return Err(Error::broker(addr, &response));
    };
    if status != PopStatus::Found {
        // The crates.io broker 1.0.0 sends no header fields with POLLING_TIMEOUT.
        let rest_num = optional::<i64>(&response.ext_fields, "restNum")?.unwrap_or(0);
        return Ok(PopResponse {
            status,
            rest_num,
            records: Vec::new(),
        });
    }
    let header: PopMessageResponseHeader = response.decode_header()?;
    let messages = decode_stored(response.body, DecodeOptions::new())?;
    let popped: Vec<PoppedMessage<'_>> = messages
        .iter()
        .map(|m| PoppedMessage {
            topic: &m.topic,
            queue_id: m.queue_id,
            queue_offset: m.queue_offset,
            pop_ck: m.property(names::POP_CK),
        })
        .collect();
    let handles = pop_handles(&header, broker_name, &popped)?;
    let order_counts = if request.order == Some(true) {
        parse_order_count_info(header.order_count_info.as_deref())?
    } else {
        Default::default()
    };
    let records = messages
        .into_iter()
        .zip(handles)
        .map(|(mut message, handle)| {
            if let Some(count) = order_count(&order_counts, &handle) {
                message.reconsume_times = count;
            }
            message.properties.insert(names::POP_CK, handle.to_string());
            if message.property(names::FIRST_POP_TIME).is_none() {
                message
                    .properties
                    .insert(names::FIRST_POP_TIME, header.pop_time.to_string());
            }
            message.topic = request.topic.clone();
            PopRecord { message, handle }
        })
        .collect();
    Ok(PopResponse {
        status,
        rest_num: header.rest_num,
        records,
    })
}

/// An order pop's delivery count for a message: by its offset, else by its queue (Java).
fn order_count(
    counts: &std::collections::BTreeMap<(PopTopicKind, String), i32>,
    handle: &PopHandle,
) -> Option<i32> {
    let by_offset = format!("qo{}%{}", handle.queue_id, handle.queue_offset);
    counts
        .get(&(handle.kind, by_offset))
        .or_else(|| counts.get(&(handle.kind, handle.queue_id.to_string())))
        .copied()
        .filter(|count| *count > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(text: &str) -> PopHandle {
        PopHandle::parse(text).expect("handle")
    }

    #[test]
    fn batch_acks_group_handles_by_checkpoint() {
        let handles = [
            handle("10 1000 30000 2 0 b 1 10"),
            handle("10 1000 30000 2 0 b 1 12"),
            handle("3 1000 30000 2 1 b 0 3"),
            handle("3 1000 30000 2 1 other 0 4"),
            handle("9 1000 30000 2 0 b 1 5"),
        ];
        let (body, rest) = batch_acks("T", "G", &handles);
        assert_eq!(body.broker_name, "b");
        assert_eq!(body.acks.len(), 2);
        assert_eq!(body.acks[0].acked, [0, 2]);
        assert_eq!(
            (body.acks[0].retry.as_str(), body.acks[0].start_offset),
            ("0", 10)
        );
        assert_eq!(body.acks[1].acked, [0]);
        assert_eq!(body.acks[1].retry, "1");
        assert_eq!(rest, [handles[3].clone(), handles[4].clone()]);
    }

    #[test]
    fn order_counts_prefer_the_message_key() {
        let h = handle("10 1000 30000 999 0 b 1 12");
        let mut counts = std::collections::BTreeMap::new();
        counts.insert((PopTopicKind::Normal, "1".to_owned()), 2);
        assert_eq!(order_count(&counts, &h), Some(2));
        counts.insert((PopTopicKind::Normal, "qo1%12".to_owned()), 5);
        assert_eq!(order_count(&counts, &h), Some(5));
        counts.clear();
        counts.insert((PopTopicKind::Normal, "1".to_owned()), 0);
        assert_eq!(order_count(&counts, &h), None);
    }
}
