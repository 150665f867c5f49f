//! Message lookup on one broker: VIEW_MESSAGE_BY_ID (33) by commit-log offset and QUERY_MESSAGE
//! (12) by key or unique key.
//!
//! Queue offsets by position or time are in `offset`; asking every broker of a topic and merging
//! the answers is the caller's job.

use std::time::Duration;

use rmq_protocol::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use rmq_protocol::message::{decode_stored, DecodeOptions};
use rmq_protocol::{RequestCode, ResponseCode, StoredMessage};

use super::{bad_answer, ClientApi};
use crate::error::{Error, Result};

impl ClientApi {
    /// VIEW_MESSAGE_BY_ID (33): the message stored at `commit_log_offset` on the broker at
    /// `addr` (the store host decoded from an offset message id). Its body is decompressed.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; [`Error::BadAnswer`] for an empty body;
    /// [`Error::Protocol`] for a record that does not decode; transport errors.
    pub async fn view_message(
        &self,
        addr: &str,
        commit_log_offset: i64,
        timeout: Duration,
    ) -> Result<StoredMessage> {
        let header = ViewMessageRequestHeader {
            offset: commit_log_offset,
            topic: None,
        };
        let cmd = self.request_with(RequestCode::VIEW_MESSAGE_BY_ID, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        let mut messages = decode_stored(response.body.clone(), DecodeOptions::new())?;
        if messages.is_empty() {
            return Err(bad_answer(addr, &response, "no message in the body"));
        }
        Ok(messages.swap_remove(0))
    }

    /// QUERY_MESSAGE (12): messages of `header.topic` whose key (or, when `unique_key_query`,
    /// UNIQ_KEY) is `header.key`, stored within the header's time range. Empty when the broker
    /// answers `QUERY_NOT_FOUND`. Bodies are decompressed.
    ///
    /// Sets the `_UNIQUE_KEY_QUERY` ext field from `unique_key_query`, whatever `header` says.
    ///
    /// # Errors
    /// [`Error::Broker`] for any other non-success code; [`Error::Protocol`] for a record that
    /// does not decode; transport errors.
    pub async fn query_message(
        &self,
        addr: &str,
        header: &QueryMessageRequestHeader,
        unique_key_query: bool,
        timeout: Duration,
    ) -> Result<Vec<StoredMessage>> {
        let header = QueryMessageRequestHeader {
            unique_key_query: Some(unique_key_query),
            ..header.clone()
        };
        let cmd = self.request_with(RequestCode::QUERY_MESSAGE, &header);
        let response = self.call(addr, cmd, timeout).await?;
        match response.response_code() {
            ResponseCode::SUCCESS => Ok(decode_stored(response.body, DecodeOptions::new())?),
            ResponseCode::QUERY_NOT_FOUND => Ok(Vec::new()),
            _ => Err(Error::broker(addr, &response)),
        }
    }
}
