//! PULL_MESSAGE (11): one long-polling pull and its [`PullResponse`].
//!
//! The body is returned raw: decoding the stored messages, re-filtering them by tag and moving
//! offsets are the consumer's job.

use std::time::Duration;

use bytes::Bytes;
use rmq_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_protocol::{Command, RequestCode, ResponseCode};

use super::ClientApi;
use crate::error::{Error, Result};

/// What a pull found (Java `PullStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// `SUCCESS` (0): the body holds messages.
    Found,
    /// `PULL_NOT_FOUND` (19): nothing new; the long poll expired.
    NoNewMsg,
    /// `PULL_RETRY_IMMEDIATELY` (20): nothing matched the filter (or the slave cannot serve).
    NoMatchedMsg,
    /// `PULL_OFFSET_MOVED` (21): the requested offset is invalid; use `next_begin_offset`.
    OffsetIllegal,
}

impl PullStatus {
    /// The status for a response code, or `None` when the code is a failure.
    pub fn from_code(code: ResponseCode) -> Option<PullStatus> {
        match code {
            ResponseCode::SUCCESS => Some(PullStatus::Found),
            ResponseCode::PULL_NOT_FOUND => Some(PullStatus::NoNewMsg),
            ResponseCode::PULL_RETRY_IMMEDIATELY => Some(PullStatus::NoMatchedMsg),
            ResponseCode::PULL_OFFSET_MOVED => Some(PullStatus::OffsetIllegal),
            _ => None,
        }
    }
}

/// A broker's answer to a pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullResponse {
    /// What was found.
    pub status: PullStatus,
    /// Offset to pull from next.
    pub next_begin_offset: i64,
    /// The queue's smallest offset.
    pub min_offset: i64,
    /// The queue's largest offset.
    pub max_offset: i64,
    /// Broker id (0 = master) to pull this queue from next time.
    pub suggest_which_broker_id: i64,
    /// Store-format records back to back (empty unless [`PullStatus::Found`]).
    pub body: Bytes,
}

impl ClientApi {
    /// Pulls from the broker at `addr`.
    ///
    /// `timeout` must exceed the header's `suspend_timeout_millis` (the broker holds the request
    /// that long when the queue is empty; Java uses 30 s against a 15 s suspend).
    ///
    /// Codes 0, 19, 20 and 21 are normal outcomes and become the [`PullResponse::status`].
    ///
    /// # Errors
    /// [`Error::Broker`] for any other code (`SUBSCRIPTION_NOT_EXIST`,
    /// `SUBSCRIPTION_NOT_LATEST`, `NO_PERMISSION`...); [`Error::Protocol`] when the answer
    /// lacks its offsets; transport errors.
    pub async fn pull_message(
        &self,
        addr: &str,
        header: &PullMessageRequestHeader,
        timeout: Duration,
    ) -> Result<PullResponse> {
        let cmd = self.request_with(RequestCode::PULL_MESSAGE, header);
        let response = self.call(addr, cmd, timeout).await?;
        pull_response(addr, response)
    }
}

/// Maps a pull answer to a status with offsets, or the broker's error.
fn pull_response(addr: &str, response: Command) -> Result<PullResponse> {
    let Some(status) = PullStatus::from_code(response.response_code()) else {
        return Err(Error::broker(addr, &response));
    };
    let header: PullMessageResponseHeader = response.decode_header()?;
    Ok(PullResponse {
        status,
        next_begin_offset: header.next_begin_offset,
        min_offset: header.min_offset,
        max_offset: header.max_offset,
        suggest_which_broker_id: header.suggest_which_broker_id,
        body: response.body,
    })
}
