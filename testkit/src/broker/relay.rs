//! Admin requests the broker passes on to one consumer over that consumer's own connection
//! (Java `AdminBrokerProcessor#callConsumer`): GET_CONSUMER_RUNNING_INFO (307) and
//! CONSUME_MESSAGE_DIRECTLY (309), the latter with the message looked up by its offset id.

use std::sync::Arc;
use std::time::Duration;

use rmq_protocol::header::{
    ConsumeMessageDirectlyRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use rmq_protocol::{ids, Command, RequestCode, ResponseCode};

use super::Broker;
use crate::reply;
use crate::server::RequestError;

/// How long a relayed request waits for the client.
const RELAY_TIMEOUT: Duration = Duration::from_secs(5);

/// GET_CONSUMER_RUNNING_INFO: the named client's answer.
pub(crate) async fn consumer_running_info(broker: Arc<Broker>, request: Command) -> Command {
    match reply::header::<GetConsumerRunningInfoRequestHeader>(&request) {
        Ok(h) => call_consumer(&broker, request, &h.consumer_group, &h.client_id).await,
        Err(answer) => answer,
    }
}

/// CONSUME_MESSAGE_DIRECTLY: the message with the header's offset msg id goes to the named
/// client as the body, and the client's answer comes back.
pub(crate) async fn consume_message_directly(broker: Arc<Broker>, mut request: Command) -> Command {
    let h = match reply::header::<ConsumeMessageDirectlyRequestHeader>(&request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    request
        .ext_fields
        .insert("brokerName", broker.config().name.as_str());
    // Java leaves the body empty when the id does not decode or names no message.
    let record = h
        .msg_id
        .as_deref()
        .and_then(|id| ids::decode_offset_msg_id(id).ok())
        .and_then(|id| broker.store().record_at(id.commit_log_offset));
    if let Some(record) = record {
        request.body = record;
    }
    let client_id = h.client_id.unwrap_or_default();
    call_consumer(&broker, request, &h.consumer_group, &client_id).await
}

/// Sends `request` (same code, ext fields and body) to `client_id` of `group` and returns its
/// answer, or Java's error when the client is not online or does not answer in time.
async fn call_consumer(broker: &Broker, request: Command, group: &str, client_id: &str) -> Command {
    let channel = broker.state().consumers.get(group).and_then(|g| {
        g.channels
            .values()
            .find(|c| c.client_id == client_id)
            .cloned()
    });
    let Some(channel) = channel else {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("The Consumer <{group}> <{client_id}> not online"),
        );
    };
    let mut relayed = Command::request(RequestCode(request.code));
    relayed.ext_fields = request.ext_fields;
    relayed.body = request.body;
    match channel.conn.request(relayed, RELAY_TIMEOUT).await {
        Ok(mut answer) => {
            answer.flag = 0;
            answer
        }
        Err(RequestError::Timeout(after)) => reply::error(
            ResponseCode::CONSUME_MSG_TIMEOUT,
            format!("consumer <{group}> <{client_id}> Timeout: {after:?}"),
        ),
        Err(e) => reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!("invoke consumer <{group}> <{client_id}> Exception: {e}"),
        ),
    }
}
