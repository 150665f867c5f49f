//! Broker-side load balancing (5.x): QUERY_ASSIGNMENT (400) asks a broker which queues a client
//! of a group gets; SET_MESSAGE_REQUEST_MODE (401) switches a topic and group between PULL and
//! POP (Java `MQAdminExt#setMessageRequestMode`).
//!
//! Which broker to ask and what to do with the answer are the consumer's and the admin's
//! business.

use std::time::Duration;

use rmq_protocol::body::{
    MessageQueueAssignment, QueryAssignmentRequestBody, QueryAssignmentResponseBody,
    SetMessageRequestModeRequestBody,
};
use rmq_protocol::RequestCode;

use super::{json_body_or_default, to_json_body, ClientApi};
use crate::error::Result;

impl ClientApi {
    /// QUERY_ASSIGNMENT: the queues the broker at `addr` assigns to the client. A queue id of
    /// -1 stands for every queue of that broker (a POP group without `popShareQueueNum`).
    ///
    /// `None` is the broker's "no allocation" (Java: a null set, e.g. for an unknown strategy
    /// or a topic without route); a caller keeps the queues it has.
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code; transport and parse
    /// errors.
    pub async fn query_assignment(
        &self,
        addr: &str,
        body: &QueryAssignmentRequestBody,
        timeout: Duration,
    ) -> Result<Option<Vec<MessageQueueAssignment>>> {
        let cmd = self
            .request(RequestCode::QUERY_ASSIGNMENT)
            .with_body(to_json_body(body)?);
        let response = self.call_ok(addr, cmd, timeout).await?;
        let answer: QueryAssignmentResponseBody = json_body_or_default(&response)?;
        Ok(answer.message_queue_assignments)
    }

    /// SET_MESSAGE_REQUEST_MODE: how the broker at `addr` serves `body.topic` to
    /// `body.consumer_group` from now on (clients learn it through QUERY_ASSIGNMENT).
    ///
    /// # Errors
    /// [`Error::Broker`](crate::Error::Broker) for a non-success code (`TOPIC_NOT_EXIST`,
    /// `SUBSCRIPTION_GROUP_NOT_EXIST`, `NO_PERMISSION` for a retry topic); transport errors.
    pub async fn set_message_request_mode(
        &self,
        addr: &str,
        body: &SetMessageRequestModeRequestBody,
        timeout: Duration,
    ) -> Result<()> {
        let cmd = self
            .request(RequestCode::SET_MESSAGE_REQUEST_MODE)
            .with_body(to_json_body(body)?);
        self.call_ok(addr, cmd, timeout).await?;
        Ok(())
    }
}
