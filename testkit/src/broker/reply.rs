//! SEND_REPLY_MESSAGE (324) and SEND_REPLY_MESSAGE_V2 (325), as Java's
//! `ReplyMessageProcessor`: the reply is pushed with PUSH_REPLY_MESSAGE_TO_CLIENT (326) to the
//! producer connection whose client id is the message's REPLY_TO_CLIENT, the push's outcome
//! is the answer, and the reply is also stored (Java `storeReplyMessageEnable`).

use std::time::Duration;

use rmq_protocol::header::{
    ReplyMessageRequestHeader, SendMessageRequestHeader, SendMessageRequestHeaderV2,
    SendMessageResponseHeader,
};
use rmq_protocol::message::property;
use rmq_protocol::{Command, Properties, RequestCode, ResponseCode};

use super::{now_ms, Broker};
use crate::reply as answer;
use crate::server::ClientConn;
use crate::store::PutRequest;

/// Java `Broker2Client#callClient` waits this long for the client.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves SEND_REPLY_MESSAGE and SEND_REPLY_MESSAGE_V2.
pub(crate) async fn send_reply(broker: &Broker, request: &Command, conn: &ClientConn) -> Command {
    let header = if request.request_code() == RequestCode::SEND_REPLY_MESSAGE_V2 {
        answer::header::<SendMessageRequestHeaderV2>(request).map(SendMessageRequestHeader::from)
    } else {
        answer::header::<SendMessageRequestHeader>(request)
    };
    let header = match header {
        Ok(h) => h,
        Err(bad) => return bad,
    };
    let Some(queues) = broker
        .state()
        .topics
        .get(&header.topic)
        .map(|c| c.write_queue_nums.max(1))
    else {
        return answer::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!", header.topic),
        );
    };
    let queue_id = if header.queue_id < 0 {
        i32::try_from(now_ms().rem_euclid(i64::from(queues))).unwrap_or(0)
    } else {
        header.queue_id
    };
    let mut properties = Properties::decode(header.properties.as_deref().unwrap_or_default());
    let pushed = push(broker, &header, conn, &mut properties, request.body.clone()).await;
    let put = PutRequest {
        topic: header.topic.clone(),
        queue_id,
        flag: header.flag,
        sys_flag: header.sys_flag,
        body: request.body.clone(),
        properties,
        born_timestamp: header.born_timestamp,
        born_host: conn.peer(),
        reconsume_times: header.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    };
    if broker.store().put(put).is_ok() {
        broker.messages_arrived();
    }
    match pushed {
        Err(remark) => answer::error(ResponseCode::SYSTEM_ERROR, remark),
        // Java: "set to zero to avoid client decoding exception".
        Ok(()) => answer::with_header(&SendMessageResponseHeader {
            msg_id: "0".into(),
            queue_id,
            queue_offset: 0,
            transaction_id: None,
            msg_region: Some("DefaultRegion".into()),
            trace_on: Some(true),
            batch_uniq_id: None,
        }),
    }
}

/// Java `pushReplyMessage`: find the requester's connection and call it.
async fn push(
    broker: &Broker,
    header: &SendMessageRequestHeader,
    conn: &ClientConn,
    properties: &mut Properties,
    body: bytes::Bytes,
) -> Result<(), String> {
    let Some(sender) = properties
        .get(property::MESSAGE_REPLY_TO_CLIENT)
        .map(str::to_owned)
    else {
        return Err(format!(
            "reply message properties[{}] is null",
            property::MESSAGE_REPLY_TO_CLIENT
        ));
    };
    let target = broker.state().producers.values().find_map(|members| {
        members
            .values()
            .find(|c| c.client_id == sender && !c.conn.is_closed())
            .map(|c| c.conn.clone())
    });
    let Some(target) = target else {
        return Err(format!(
            "push reply message fail, channel of <{sender}> not found."
        ));
    };
    properties.insert(property::PUSH_REPLY_TIME, now_ms().to_string());
    let store_host = broker.addr();
    let push_header = ReplyMessageRequestHeader {
        producer_group: header.producer_group.clone(),
        topic: header.topic.clone(),
        default_topic: header.default_topic.clone(),
        default_topic_queue_nums: header.default_topic_queue_nums,
        queue_id: header.queue_id,
        sys_flag: header.sys_flag,
        born_timestamp: header.born_timestamp,
        flag: header.flag,
        properties: Some(properties.encode()),
        reconsume_times: header.reconsume_times,
        unit_mode: header.unit_mode,
        born_host: conn.peer().to_string(),
        store_host: store_host.to_string(),
        store_timestamp: now_ms(),
    };
    let request = Command::request(RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT)
        .with_header(&push_header)
        .with_body(body);
    let failed = || format!("push reply message to {sender}fail.");
    match target.request(request, PUSH_TIMEOUT).await {
        Ok(response) if response.response_code() == ResponseCode::SUCCESS => Ok(()),
        Ok(_) | Err(_) => Err(failed()),
    }
}
