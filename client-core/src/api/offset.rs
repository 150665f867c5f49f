//! Offsets on a broker: a group's committed offsets (QUERY/UPDATE_CONSUMER_OFFSET 14/15) and a
//! queue's offsets by position or time (GET_MAX/MIN_OFFSET 30/31, GET_EARLIEST_MSG_STORETIME 32,
//! SEARCH_OFFSET_BY_TIMESTAMP 29).
//!
//! Timestamps are milliseconds since the Unix epoch, as on the wire.

use std::time::Duration;

use rmq_protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use rmq_protocol::{RequestCode, ResponseCode};

use super::ClientApi;
use crate::error::{Error, Result};

impl ClientApi {
    /// QUERY_CONSUMER_OFFSET (14): the group's committed offset for one queue, or `None` when
    /// the broker answers `QUERY_NOT_FOUND` (the group never committed one).
    ///
    /// # Errors
    /// [`Error::Broker`] for any other non-success code; transport errors.
    pub async fn query_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        queue_id: i32,
        timeout: Duration,
    ) -> Result<Option<i64>> {
        let header = QueryConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id,
            ..Default::default()
        };
        let cmd = self.request_with(RequestCode::QUERY_CONSUMER_OFFSET, &header);
        let response = self.call(addr, cmd, timeout).await?;
        match response.response_code() {
            ResponseCode::SUCCESS => {
                let header: QueryConsumerOffsetResponseHeader = response.decode_header()?;
                Ok(Some(header.offset))
            }
            ResponseCode::QUERY_NOT_FOUND => Ok(None),
            _ => Err(Error::broker(addr, &response)),
        }
    }

    /// UPDATE_CONSUMER_OFFSET (15), waiting for the broker's answer.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn update_consumer_offset(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        timeout: Duration,
    ) -> Result<()> {
        let header = update_header(group, topic, queue_id, offset);
        let cmd = self.request_with(RequestCode::UPDATE_CONSUMER_OFFSET, &header);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }

    /// UPDATE_CONSUMER_OFFSET (15) oneway, as Java's offset store sends it.
    ///
    /// # Errors
    /// Transport errors only.
    pub async fn update_consumer_offset_oneway(
        &self,
        addr: &str,
        group: &str,
        topic: &str,
        queue_id: i32,
        offset: i64,
        timeout: Duration,
    ) -> Result<()> {
        let header = update_header(group, topic, queue_id, offset);
        let cmd = self.request_with(RequestCode::UPDATE_CONSUMER_OFFSET, &header);
        self.oneway(addr, cmd, timeout).await
    }

    /// GET_MAX_OFFSET (30): the offset after the queue's last message.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn max_offset(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timeout: Duration,
    ) -> Result<i64> {
        let header = GetMaxOffsetRequestHeader {
            topic: topic.to_owned(),
            queue_id,
            ..Default::default()
        };
        let response: GetMaxOffsetResponseHeader = self
            .call_header(addr, RequestCode::GET_MAX_OFFSET, &header, timeout)
            .await?;
        Ok(response.offset)
    }

    /// GET_MIN_OFFSET (31): the queue's first offset still stored.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn min_offset(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timeout: Duration,
    ) -> Result<i64> {
        let header = GetMinOffsetRequestHeader {
            topic: topic.to_owned(),
            queue_id,
            broker_name: None,
        };
        let response: GetMinOffsetResponseHeader = self
            .call_header(addr, RequestCode::GET_MIN_OFFSET, &header, timeout)
            .await?;
        Ok(response.offset)
    }

    /// GET_EARLIEST_MSG_STORETIME (32): store time (ms) of the queue's oldest message.
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code (e.g. an empty queue); transport errors.
    pub async fn earliest_msg_store_time(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timeout: Duration,
    ) -> Result<i64> {
        let header = GetEarliestMsgStoretimeRequestHeader {
            topic: topic.to_owned(),
            queue_id,
            broker_name: None,
        };
        let response: GetEarliestMsgStoretimeResponseHeader = self
            .call_header(
                addr,
                RequestCode::GET_EARLIEST_MSG_STORETIME,
                &header,
                timeout,
            )
            .await?;
        Ok(response.timestamp)
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (29): the offset of the first message stored at or after
    /// `timestamp` (ms).
    ///
    /// # Errors
    /// [`Error::Broker`] for a non-success code; transport errors.
    pub async fn search_offset(
        &self,
        addr: &str,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        timeout: Duration,
    ) -> Result<i64> {
        let header = SearchOffsetRequestHeader {
            topic: topic.to_owned(),
            queue_id,
            timestamp,
            ..Default::default()
        };
        let response: SearchOffsetResponseHeader = self
            .call_header(
                addr,
                RequestCode::SEARCH_OFFSET_BY_TIMESTAMP,
                &header,
                timeout,
            )
            .await?;
        Ok(response.offset)
    }
}

/// The UPDATE_CONSUMER_OFFSET header.
fn update_header(
    group: &str,
    topic: &str,
    queue_id: i32,
    offset: i64,
) -> UpdateConsumerOffsetRequestHeader {
    UpdateConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: topic.to_owned(),
        queue_id,
        commit_offset: offset,
        broker_name: None,
    }
}
