//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310), SEND_BATCH_MESSAGE (320) and
//! SEND_REPLY_MESSAGE(_V2) (324/325): one request, one [`SendResponse`]; and the 5.x
//! RECALL_MESSAGE (370) of a timer message by the handle its send response carried.
//!
//! Picking the queue, retrying and compressing are the producer's job; this module only maps the
//! header to the code's wire form and the answer to a status.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::header::{
    RecallMessageRequestHeader, RecallMessageResponseHeader, SendMessageRequest,
    SendMessageRequestHeader, SendMessageResponseHeader, RECALL_HANDLE_FIELD,
};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::ClientApi;
use crate::error::{Error, Result};

/// The region a broker reports when it has none configured (`MixAll.DEFAULT_TRACE_REGION_ID`).
pub const DEFAULT_REGION: &str = "DefaultRegion";

/// How a stored message fared (Java `SendStatus`). Every status means the broker stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    /// `SUCCESS` (0).
    Ok,
    /// `FLUSH_DISK_TIMEOUT` (10): stored, not yet flushed (sync-flush brokers).
    FlushDiskTimeout,
    /// `FLUSH_SLAVE_TIMEOUT` (12): stored, the slave did not confirm in time (sync-master).
    FlushSlaveTimeout,
    /// `SLAVE_NOT_AVAILABLE` (11): stored, no slave to replicate to (sync-master).
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status for a response code, or `None` when the code is a failure.
    pub fn from_code(code: ResponseCode) -> Option<SendStatus> {
        match code {
            ResponseCode::SUCCESS => Some(SendStatus::Ok),
            ResponseCode::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            ResponseCode::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            ResponseCode::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }
}

/// A broker's answer to a send that stored the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResponse {
    /// How it was stored.
    pub status: SendStatus,
    /// The broker's offset message id(s), comma-joined for a batch (Java `offsetMsgId`).
    pub offset_msg_id: String,
    /// The queue the message went to.
    pub queue_id: i32,
    /// Its consume-queue offset (the first message's, for a batch).
    pub queue_offset: i64,
    /// Transaction id, when the broker sets one (4.9.7 brokers do not).
    pub transaction_id: Option<String>,
    /// The broker's region (`MSG_REGION`), [`DEFAULT_REGION`] when absent.
    pub region_id: String,
    /// Whether the broker has message tracing on (`TRACE_ON`; on unless it says `"false"`).
    pub trace_on: bool,
}

impl ClientApi {
    /// Sends one message (or a batch) to the broker at `addr`.
    ///
    /// `code` picks the wire form: `SEND_MESSAGE_V2`, `SEND_BATCH_MESSAGE` and
    /// `SEND_REPLY_MESSAGE_V2` carry `header` as the single-letter V2 header; `SEND_MESSAGE` and
    /// `SEND_REPLY_MESSAGE` as V1 names. `broker_name` is put into the header (`n` / `bname`)
    /// when it does not name one. `body` is sent as is (already compressed or batch-encoded).
    ///
    /// Codes 0, 10, 11 and 12 all mean the message was stored; they become the
    /// [`SendResponse::status`].
    ///
    /// # Errors
    /// [`Error::Broker`] for any other code (`SYSTEM_BUSY`, `TOPIC_NOT_EXIST`,
    /// `MESSAGE_ILLEGAL`...); [`Error::Protocol`] when the answer lacks its header fields;
    /// transport errors, including a timeout after which the message may still be stored.
    pub async fn send_message(
        &self,
        addr: &str,
        broker_name: &str,
        code: RequestCode,
        header: SendMessageRequestHeader,
        body: Bytes,
        timeout: Duration,
    ) -> Result<SendResponse> {
        self.send_message_with_recall_handle(addr, broker_name, code, header, body, timeout)
            .await
            .map(|(response, _)| response)
    }

    /// As [`send_message`](Self::send_message), also returning the recall handle a 5.x broker
    /// puts into the response of a message with a delivery time (ext field `recallHandle`).
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    pub async fn send_message_with_recall_handle(
        &self,
        addr: &str,
        broker_name: &str,
        code: RequestCode,
        header: SendMessageRequestHeader,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(SendResponse, Option<String>)> {
        self.send_request(addr, broker_name, code, &header.as_request(), body, timeout)
            .await
    }

    /// As [`send_message_with_recall_handle`](Self::send_message_with_recall_handle), with the
    /// header's fields borrowed: they are written into the request as it is built, with no
    /// owned copy of any string first (the producer's path, once per message).
    ///
    /// # Errors
    /// As [`send_message`](Self::send_message).
    pub async fn send_request(
        &self,
        addr: &str,
        broker_name: &str,
        code: RequestCode,
        header: &SendMessageRequest<'_>,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(SendResponse, Option<String>)> {
        let cmd = self.send_command(broker_name, code, header, body);
        let response = self.call(addr, cmd, timeout).await?;
        let handle = response
            .ext_fields
            .get(RECALL_HANDLE_FIELD)
            .filter(|h| !h.is_empty())
            .map(str::to_owned);
        Ok((send_response(addr, &response)?, handle))
    }

    /// RECALL_MESSAGE (370, 5.x): withdraws a timer message not yet delivered, by the handle
    /// its send response carried; answers the message's unique id (Java
    /// `MQClientAPIImpl#recallMessage`).
    ///
    /// # Errors
    /// [`Error::Broker`] for any code but success (an unknown handle, a message already
    /// delivered, `REQUEST_CODE_NOT_SUPPORTED` from a 4.x broker); transport errors.
    pub async fn recall_message(
        &self,
        addr: &str,
        header: &RecallMessageRequestHeader,
        timeout: Duration,
    ) -> Result<String> {
        let cmd = self.request_with(RequestCode::RECALL_MESSAGE, header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        let header: RecallMessageResponseHeader = response.decode_header()?;
        Ok(header.msg_id)
    }

    /// As [`send_message`](Self::send_message), oneway: nothing is awaited but the write.
    ///
    /// # Errors
    /// Transport errors only (dial, back-pressure within `timeout`, closed connection).
    pub async fn send_message_oneway(
        &self,
        addr: &str,
        broker_name: &str,
        code: RequestCode,
        header: SendMessageRequestHeader,
        body: Bytes,
        timeout: Duration,
    ) -> Result<()> {
        self.send_request_oneway(addr, broker_name, code, &header.as_request(), body, timeout)
            .await
    }

    /// As [`send_message_oneway`](Self::send_message_oneway), with the header's fields
    /// borrowed (see [`send_request`](Self::send_request)).
    ///
    /// # Errors
    /// As [`send_message_oneway`](Self::send_message_oneway).
    pub async fn send_request_oneway(
        &self,
        addr: &str,
        broker_name: &str,
        code: RequestCode,
        header: &SendMessageRequest<'_>,
        body: Bytes,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self.send_command(broker_name, code, header, body);
        self.oneway(addr, cmd, timeout).await
    }

    /// Builds the send request in the form `code` calls for (Java `sendSmartMsg`), writing the
    /// header's fields straight into the request's ext fields.
    fn send_command(
        &self,
        broker_name: &str,
        code: RequestCode,
        header: &SendMessageRequest<'_>,
        body: Bytes,
    ) -> Command {
        let header = SendMessageRequest {
            broker_name: header.broker_name.or(Some(broker_name)),
            ..*header
        };
        let mut cmd = self.request(code);
        match code {
            RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_BATCH_MESSAGE
            | RequestCode::SEND_REPLY_MESSAGE_V2 => header.write_v2(&mut cmd.ext_fields),
            _ => header.write_v1(&mut cmd.ext_fields),
        }
        cmd.with_body(body)
    }
}

/// Maps a send answer: a stored status with its header, or the broker's error.
fn send_response(addr: &str, response: &Command) -> Result<SendResponse> {
    let Some(status) = SendStatus::from_code(response.response_code()) else {
        return Err(Error::broker(addr, response));
    };
    let header: SendMessageResponseHeader = response.decode_header()?;
    Ok(SendResponse {
        status,
        offset_msg_id: header.msg_id,
        queue_id: header.queue_id,
        queue_offset: header.queue_offset,
        transaction_id: header.transaction_id,
        region_id: header
            .msg_region
            .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
        // Java: tracing stays on unless the broker says exactly "false".
        trace_on: response.ext_fields.get("TRACE_ON") != Some("false"),
    })
}
