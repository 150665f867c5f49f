//! The rules a broker applies to a message between decoding a send and storing it (Java's
//! `SendMessageProcessor` and `CommitLog` rewrites): dead-lettering exhausted retries, half
//! messages, delay and timer rewrites, and the MESSAGE_ILLEGAL answer. The send processor calls
//! them; they call the feature modules, never the processor.

use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::message::property;
use rmq_protocol::{Command, Properties, ResponseCode, Version};

use super::{retry, schedule, transaction, Broker};
use crate::reply;
use crate::store::PutRequest;

/// Java `MessageStoreConfig#maxMessageSize`'s default, named in MESSAGE_ILLEGAL remarks.
const MAX_MESSAGE_SIZE: usize = 4 << 20;

/// Java's answer for `PutMessageStatus.MESSAGE_ILLEGAL` (`SendMessageProcessor`), with the
/// default `maxMessageSize`.
pub(crate) fn message_illegal() -> Command {
    reply::error(
        ResponseCode::MESSAGE_ILLEGAL,
        format!("the message is illegal, maybe msg body or properties length not matched. msg body length limit {MAX_MESSAGE_SIZE}B, msg properties length limit 32KB."),
    )
}

/// What [`before_put`] knows of the send a message came with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendContext<'a> {
    /// The send's header (V2 headers converted).
    pub header: &'a SendMessageRequestHeader,
    /// The request's `version` (the client's).
    pub version: i32,
}

impl SendContext<'_> {
    /// The header's `maxReconsumeTimes`, which Java honours from clients of V3_4_9 on.
    fn max_reconsume_times(&self) -> Option<i32> {
        (self.version >= Version::V3_4_9.0)
            .then_some(self.header.max_reconsume_times)
            .flatten()
    }
}

/// Called for every message of a single send (SEND_MESSAGE, SEND_MESSAGE_V2) before it is
/// stored, after the topic and queue are resolved: the send processor's and commit log's
/// rewrites, in Java's order. A `%RETRY%` message past its max reconsume times goes to the
/// `%DLQ%` topic (retry.rs, with the header's `maxReconsumeTimes`); a half message
/// (TRAN_MSG) to the half topic (transaction.rs); a delayed message (delay level or 5.x
/// delivery time) to the schedule or timer topic (schedule.rs).
///
/// # Errors
/// The answer refusing the message: a timer message beyond the max delay (MESSAGE_ILLEGAL),
/// an unknown retry group.
pub(crate) fn before_put(
    broker: &Broker,
    send: SendContext<'_>,
    put: &mut PutRequest,
) -> Result<(), Command> {
    retry::dead_letter_if_exhausted(broker, put, send.max_reconsume_times())?;
    transaction::to_half_if_prepared(put);
    schedule::check_timer(broker, put)?;
    schedule::rewrite_delayed(broker, put);
    Ok(())
}

/// Called once for a SEND_BATCH_MESSAGE before its messages are stored. Java's commit log
/// refuses a batch whose header properties carry a delay level (`CommitLog#asyncPutMessages`)
/// and leaves the properties of the messages inside a batch alone: no retry, half-message or
/// delay rewrite applies to them.
///
/// # Errors
/// Java's MESSAGE_ILLEGAL answer for a delayed batch.
pub(crate) fn before_put_batch(batch_properties: &Properties) -> Result<(), Command> {
    let level: i32 = batch_properties
        .get(property::DELAY_TIME_LEVEL)
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    if level > 0 {
        return Err(message_illegal());
    }
    Ok(())
}
