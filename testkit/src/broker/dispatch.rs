//! Request code to processor: the broker's one routing table (Java registers processors per
//! code in `BrokerController#registerProcessor`). Codes without a processor get Java's
//! REQUEST_CODE_NOT_SUPPORTED answer.

use std::sync::Arc;

use rmq_protocol::header::SendMessageRequestHeader;
use rmq_protocol::message::property;
use rmq_protocol::{Command, Properties, RequestCode, Version};

use super::{acl, query, reset, retry, schedule, transaction};
use super::{admin, client, lock, offset, pull, relay, send, Broker};
use crate::reply;
use crate::server::ClientConn;
use crate::store::PutRequest;

/// Serves one request; `None` sends no answer.
pub(crate) async fn dispatch(
    broker: Arc<Broker>,
    request: Command,
    conn: ClientConn,
) -> Option<Command> {
    if let Some(refusal) = acl::check(&broker, &request) {
        return Some(refusal);
    }
    let b = &*broker;
    let answer = match request.request_code() {
        RequestCode::SEND_MESSAGE
        | RequestCode::SEND_MESSAGE_V2
        | RequestCode::SEND_BATCH_MESSAGE => send::send(b, &request, &conn),
        // Java 5.x serves LITE_PULL_MESSAGE with the pull processor (`litePullMessageEnable`).
        RequestCode::PULL_MESSAGE | RequestCode::LITE_PULL_MESSAGE => {
            return pull::pull(broker, request, conn).await
        }
        RequestCode::QUERY_CONSUMER_OFFSET => offset::query_consumer_offset(b, &request),
        RequestCode::UPDATE_CONSUMER_OFFSET => offset::update_consumer_offset(b, &request),
        RequestCode::GET_MIN_OFFSET => offset::min_offset(b, &request),
        RequestCode::GET_MAX_OFFSET => offset::max_offset(b, &request),
        RequestCode::SEARCH_OFFSET_BY_TIMESTAMP => offset::search_offset(b, &request),
        RequestCode::GET_EARLIEST_MSG_STORETIME => offset::earliest_store_time(b, &request),
        RequestCode::GET_ALL_CONSUMER_OFFSET => offset::all_consumer_offsets(b),
        RequestCode::HEART_BEAT => client::heartbeat(b, &request, &conn),
        RequestCode::UNREGISTER_CLIENT => client::unregister(b, &request, &conn),
        RequestCode::GET_CONSUMER_LIST_BY_GROUP => client::consumer_list(b, &request),
        RequestCode::CHECK_CLIENT_CONFIG => client::check_client_config(&request),
        RequestCode::LOCK_BATCH_MQ => lock::lock_batch(b, &request),
        RequestCode::UNLOCK_BATCH_MQ => lock::unlock_batch(b, &request),
        RequestCode::CONSUME_MESSAGE_DIRECTLY => {
            return Some(relay::consume_message_directly(broker, request).await)
        }
        RequestCode::GET_CONSUMER_RUNNING_INFO => {
            return Some(relay::consumer_running_info(broker, request).await)
        }
        RequestCode::CONSUMER_SEND_MSG_BACK => retry::consumer_send_msg_back(b, &request),
        RequestCode::END_TRANSACTION => return transaction::end_transaction(b, &request),
        RequestCode::QUERY_MESSAGE => query::query_message(b, &request),
        RequestCode::VIEW_MESSAGE_BY_ID => query::view_message_by_id(b, &request),
        RequestCode::SEND_REPLY_MESSAGE | RequestCode::SEND_REPLY_MESSAGE_V2 => {
            super::reply::send_reply(b, &request, &conn).await
        }
        RequestCode::INVOKE_BROKER_TO_RESET_OFFSET => reset::reset_offset(b, &request),
        RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS => {
            reset::consumer_status(b, &request).await
        }
        RequestCode::UPDATE_AND_CREATE_ACL_CONFIG => acl::update_acl_config(b, &request),
        RequestCode::DELETE_ACL_CONFIG => acl::delete_acl_config(b, &request),
        RequestCode::POP_MESSAGE => return Some(super::pop::pop(broker, request).await),
        RequestCode::ACK_MESSAGE => super::pop_ack::ack(b, &request),
        RequestCode::BATCH_ACK_MESSAGE => super::pop_ack::batch_ack(b, &request),
        RequestCode::CHANGE_MESSAGE_INVISIBLETIME => {
            super::pop_ack::change_invisible_time(b, &request)
        }
        RequestCode::RECALL_MESSAGE => super::recall::recall(b, &request, &conn),
        RequestCode::QUERY_ASSIGNMENT => super::assignment::query_assignment(b, &request),
        RequestCode::SET_MESSAGE_REQUEST_MODE => {
            super::assignment::set_message_request_mode(b, &request)
        }
        code if admin::serves(code) => admin::serve(b, &request),
        code if super::admin5::serves(code) => super::admin5::serve(b, &request),
        _ => reply::not_supported(request.code),
    };
    Some(answer)
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
        return Err(super::send::message_illegal());
    }
    Ok(())
}
