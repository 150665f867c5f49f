//! Requests about the client itself and its groups: HEART_BEAT (34), UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), LOCK/UNLOCK_BATCH_MQ (41/42), CONSUMER_SEND_MSG_BACK (36) and
//! CHECK_CLIENT_CONFIG (46).
//!
//! When to heartbeat, which queues to lock and when to send a message back are the instance's and
//! the consumer's decisions; this module only speaks the requests.

use std::collections::BTreeSet;
use std::time::Duration;

use rmq_protocol::body::{
    ConsumerListBody, HeartbeatData, LockBatchRequestBody, LockBatchResponseBody,
    UnlockBatchRequestBody,
};
use rmq_protocol::header::{
    ConsumerSendMsgBackRequestHeader, GetConsumerListByGroupRequestHeader,
    UnregisterClientRequestHeader,
};
use rmq_protocol::{MessageQueue, RequestCode, StoredMessage};

use super::bodies::CheckClientRequestBody;
use super::{json_body, json_body_or_default, to_json_body, ClientApi};
use crate::error::Result;

impl ClientApi {
    /// HEART_BEAT (34): registers the client's producer and consumer groups with the broker at
    /// `addr`. Returns the broker's version (the response's `version`, an MQVersion ordinal).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn heartbeat(
        &self,
        addr: &str,
        data: &HeartbeatData,
        timeout: Duration,
    ) -> Result<i32> {
        let cmd = self
            .request(RequestCode::HEART_BEAT)
            .with_body(to_json_body(data)?);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(response.version)
    }

    /// UNREGISTER_CLIENT (35): removes the client from a producer and/or consumer group.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport errors.
    pub async fn unregister_client(
        &self,
        addr: &str,
        client_id: &str,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
        timeout: Duration,
    ) -> Result<()> {
        let header = UnregisterClientRequestHeader {
            client_id: client_id.to_owned(),
            producer_group: producer_group.map(str::to_owned),
            consumer_group: consumer_group.map(str::to_owned),
        };
        let cmd = self.request_with(RequestCode::UNREGISTER_CLIENT, &header);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }

    /// GET_CONSUMER_LIST_BY_GROUP (38): client ids of the group's consumers connected to the
    /// broker.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (brokers answer
    /// `SYSTEM_ERROR` when the group has no consumer); transport and parse errors.
    pub async fn consumer_id_list(
        &self,
        addr: &str,
        group: &str,
        timeout: Duration,
    ) -> Result<Vec<String>> {
        let header = GetConsumerListByGroupRequestHeader {
            consumer_group: group.to_owned(),
        };
        let cmd = self.request_with(RequestCode::GET_CONSUMER_LIST_BY_GROUP, &header);
        let response = self.call_ok(addr, cmd, timeout).await?;
        Ok(json_body::<ConsumerListBody>(addr, &response)?.consumer_id_list)
    }

    /// LOCK_BATCH_MQ (41): locks queues for orderly consumption; returns those now locked by
    /// this client.
    ///
    /// Sends the 5.x body: `onlyThisBroker` is set to `false` when `body` leaves it unset (4.x
    /// brokers ignore it; some 5.x-style brokers reject the body without it).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn lock_batch_mq(
        &self,
        addr: &str,
        body: &LockBatchRequestBody,
        timeout: Duration,
    ) -> Result<BTreeSet<MessageQueue>> {
        let cmd = self
            .request(RequestCode::LOCK_BATCH_MQ)
            .with_body(to_json_body(&with_only_this_broker(body))?);
        let response = self.call_ok(addr, cmd, timeout).await?;
        let locked: LockBatchResponseBody = json_body_or_default(&response)?;
        Ok(locked.lock_ok_mq_set.into_iter().collect())
    }

    /// UNLOCK_BATCH_MQ (42): releases queue locks; oneway when `oneway` (as Java does on
    /// shutdown), else waits for the answer. Sends the 5.x body like
    /// [`lock_batch_mq`](Self::lock_batch_mq).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (not when oneway);
    /// transport errors.
    pub async fn unlock_batch_mq(
        &self,
        addr: &str,
        body: &UnlockBatchRequestBody,
        timeout: Duration,
        oneway: bool,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::UNLOCK_BATCH_MQ)
            .with_body(to_json_body(&with_only_this_broker(body))?);
        if oneway {
            self.oneway(addr, cmd, timeout).await
        } else {
            self.call_ok(addr, cmd, timeout).await.map(drop)
        }
    }

    /// CONSUMER_SEND_MSG_BACK (36): hands a message the consumer failed to process back to the
    /// broker, which stores it in the group's retry topic (or its DLQ).
    ///
    /// Sends `msg`'s commit-log offset, its id (UNIQ_KEY or offset id) as `originMsgId` and its
    /// topic as `originTopic`. `delay_level` 0 lets the broker pick `3 + reconsumeTimes`; a
    /// negative level sends it straight to the DLQ.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (Java then re-sends the
    /// message to the retry topic itself); transport errors.
    #[allow(clippy::too_many_arguments)] // One per wire field; a struct would only rename them.
    pub async fn consumer_send_msg_back(
        &self,
        addr: &str,
        broker_name: &str,
        msg: &StoredMessage,
        group: &str,
        delay_level: i32,
        max_reconsume_times: i32,
        timeout: Duration,
    ) -> Result<()> {
        let header = ConsumerSendMsgBackRequestHeader {
            offset: msg.commit_log_offset,
            group: group.to_owned(),
            delay_level,
            origin_msg_id: Some(msg.msg_id()),
            origin_topic: Some(msg.topic.clone()),
            unit_mode: false,
            max_reconsume_times: Some(max_reconsume_times),
            broker_name: Some(broker_name.to_owned()),
        };
        let cmd = self.request_with(RequestCode::CONSUMER_SEND_MSG_BACK, &header);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }

    /// CHECK_CLIENT_CONFIG (46): asks the broker whether it accepts `body`'s subscription (an
    /// SQL92 expression needs `enablePropertyFilter`).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) when the broker refuses it (the remark says
    /// why); transport errors.
    pub async fn check_client_in_broker(
        &self,
        addr: &str,
        body: &CheckClientRequestBody,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::CHECK_CLIENT_CONFIG)
            .with_body(to_json_body(body)?);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }
}

/// `body` with `onlyThisBroker` defaulted to `false`: the lock body every broker accepts.
fn with_only_this_broker(body: &LockBatchRequestBody) -> LockBatchRequestBody {
    let mut body = body.clone();
    body.only_this_broker.get_or_insert(false);
    body
}
