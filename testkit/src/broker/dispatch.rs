//! Request code to processor: the broker's one routing table (Java registers processors per
//! code in `BrokerController#registerProcessor`). Codes without a processor get Java's
//! REQUEST_CODE_NOT_SUPPORTED answer.

use std::sync::Arc;

use rmq_protocol::{Command, RequestCode};

use super::{acl, query, reset, retry, transaction};
use super::{admin, client, lock, offset, pull, relay, send, Broker};
use crate::reply;
use crate::server::ClientConn;

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
