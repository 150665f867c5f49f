//! SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320), as Java's
//! `SendMessageProcessor`: topic check and auto-create from the default topic, queue id
//! check, store, and the response header with offset msg id and queue offset.

use rmq_protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
    RECALL_HANDLE_FIELD,
};
use rmq_protocol::message::{decode_batch, property};
use rmq_protocol::{naming, perm, Command, Properties, RequestCode, ResponseCode};

use super::put_rules;
use super::state::TOPIC_PUT_NUMS;
use super::{topic_config, Broker};
use crate::reply;
use crate::server::ClientConn;
use crate::store::{PutRequest, PutResult, StoreError};

/// Java `BrokerConfig#regionId`'s default, echoed in every send response.
const REGION: &str = "DefaultRegion";
/// Java's remark suffix pointing at the FAQ (`FAQUrl.suggestTodo(APPLY_TOPIC_URL)`).
const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// Serves a send of any of the three codes.
pub(crate) fn send(broker: &Broker, request: &Command, conn: &ClientConn) -> Command {
    if broker.is_slave() {
        return super::slave_refuses_put();
    }
    let header = match decode_header(request) {
        Ok(h) => h,
        Err(answer) => return answer,
    };
    // Java 4.9.7 refuses only order topics here; other topics leave a read-only broker through
    // the routes it registers without write permission.
    if !perm::is_writeable(broker.permission()) && broker.is_order_topic(&header.topic) {
        return broker.refuses_writes();
    }
    let config = match topic_for_send(broker, &header) {
        Ok(config) => config,
        Err(answer) => return answer,
    };
    let valid_ids = config.write_queue_nums.max(config.read_queue_nums);
    let queue_id = if header.queue_id < 0 {
        // Java: randomQueueId.
        broker.pick_queue(config.write_queue_nums)
    } else {
        header.queue_id
    };
    if queue_id >= valid_ids {
        return reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!(
                "request queueId[{queue_id}] is illegal, {} Producer: {}",
                java_topic_config(&config),
                conn.peer()
            ),
        );
    }
    let batch = request.request_code() == RequestCode::SEND_BATCH_MESSAGE;
    let puts = match build_puts(broker, &header, queue_id, request, conn, batch) {
        Ok(puts) => puts,
        Err(answer) => return answer,
    };
    let recall_handle = match puts.as_slice() {
        [put] if !batch => super::recall::handle_for(broker, request.request_code(), put),
        _ => None,
    };
    let stored = {
        let mut store = broker.store();
        if batch {
            store.put_batch(puts)
        } else {
            puts.into_iter()
                .next()
                .map(|p| store.put(p).map(|r| vec![r]))
                .unwrap_or(Ok(Vec::new()))
        }
    };
    match stored {
        Ok(results) if !results.is_empty() => {
            broker.messages_arrived();
            let n = results.len() as i64;
            broker
                .metadata()
                .state()
                .count(TOPIC_PUT_NUMS, header.topic.clone(), n);
            let answer = answer(&results, queue_id);
            match recall_handle {
                Some(handle) => answer.with_ext(RECALL_HANDLE_FIELD, handle),
                None => answer,
            }
        }
        Ok(_) => reply::error(ResponseCode::MESSAGE_ILLEGAL, "the batch is empty"),
        Err(e) => store_error(&e),
    }
}

/// Java `TopicConfig#toString`.
fn java_topic_config(c: &rmq_protocol::body::TopicConfig) -> String {
    format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}]",
        c.topic_name,
        c.read_queue_nums,
        c.write_queue_nums,
        perm::to_display(c.perm),
        c.topic_filter_type,
        c.topic_sys_flag,
        c.order
    )
}

fn decode_header(request: &Command) -> Result<SendMessageRequestHeader, Command> {
    // Java decodes V2 for SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE; a batch with a V1 header is
    // accepted too, as the field names tell them apart.
    let v2 = request.request_code() == RequestCode::SEND_MESSAGE_V2
        || (request.request_code() == RequestCode::SEND_BATCH_MESSAGE
            && request.ext_fields.get("a").is_some());
    if v2 {
        reply::header::<SendMessageRequestHeaderV2>(request).map(Into::into)
    } else {
        reply::header::<SendMessageRequestHeader>(request)
    }
}

/// The topic's config, created from the default topic when Java would (Java:
/// `AbstractSendMessageProcessor#msgCheck`, `TopicConfigManager#createTopicInSendMessageMethod`).
fn topic_for_send(
    broker: &Broker,
    header: &SendMessageRequestHeader,
) -> Result<rmq_protocol::body::TopicConfig, Command> {
    if let Err(e) = rmq_protocol::validate::broker_check_topic(&header.topic) {
        return Err(reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()));
    }
    if let Err(e) = rmq_protocol::validate::check_send_topic_allowed(&header.topic) {
        return Err(reply::error(ResponseCode::NO_PERMISSION, e.to_string()));
    }
    if let Some(config) = broker.state().topics.get(&header.topic) {
        return Ok(config.clone());
    }
    let default = broker.state().topics.get(&header.default_topic).cloned();
    let created = if header.topic.starts_with(naming::RETRY_GROUP_TOPIC_PREFIX) {
        // Java: createTopicInSendMessageBackMethod, one queue, read/write.
        Some(topic_config(&header.topic, 1, perm::READ_WRITE))
    } else {
        default.filter(|d| perm::is_inherited(d.perm)).map(|d| {
            let queues = header
                .default_topic_queue_nums
                .min(d.write_queue_nums)
                .max(1);
            topic_config(&header.topic, queues, d.perm & !perm::INHERIT)
        })
    };
    match created {
        Some(config) if broker.put_topic(config.clone()) => Ok(config),
        _ => Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!(
                "topic[{}] not exist, apply first please!{FAQ}",
                header.topic
            ),
        )),
    }
}

fn build_puts(
    broker: &Broker,
    header: &SendMessageRequestHeader,
    queue_id: i32,
    request: &Command,
    conn: &ClientConn,
    batch: bool,
) -> Result<Vec<PutRequest>, Command> {
    let base = PutRequest {
        topic: header.topic.clone(),
        queue_id,
        flag: header.flag,
        sys_flag: header.sys_flag,
        body: request.body.clone(),
        properties: Properties::decode(header.properties.as_deref().unwrap_or_default()),
        born_timestamp: header.born_timestamp,
        born_host: conn.peer(),
        reconsume_times: header.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    };
    if batch {
        put_rules::before_put_batch(&base.properties)?;
        let messages = decode_batch(&request.body, &header.topic).map_err(|e| {
            reply::error(
                ResponseCode::MESSAGE_ILLEGAL,
                format!("bad batch body: {e}"),
            )
        })?;
        let cluster = broker.config().cluster.as_str();
        return Ok(messages
            .into_iter()
            .map(|m| {
                let mut properties = m.properties().clone();
                // Java: SendMessageProcessor stamps the cluster name on every message.
                properties.insert(property::CLUSTER, cluster);
                PutRequest {
                    flag: m.flag(),
                    body: m.body().clone(),
                    properties,
                    ..base.clone()
                }
            })
            .collect());
    }
    let mut put = base;
    put.properties
        .insert(property::CLUSTER, broker.config().cluster.as_str());
    // Java 4.9.7 leaves WAIT out of the stored properties string to save bytes; a rewrite that
    // parks the message (delay, timer, half) writes the string again from the map, WAIT
    // included.
    let wait = put.properties.remove(property::WAIT_STORE_MSG_OK);
    let send = put_rules::SendContext {
        header,
        version: request.version,
    };
    put_rules::before_put(broker, send, &mut put)?;
    let parked = [
        naming::SCHEDULE_TOPIC,
        super::schedule::TIMER_TOPIC,
        naming::TRANS_HALF_TOPIC,
    ]
    .contains(&put.topic.as_str());
    if let (Some(wait), true) = (wait, parked) {
        put.properties.insert(property::WAIT_STORE_MSG_OK, wait);
    }
    Ok(vec![put])
}

fn answer(results: &[PutResult], queue_id: i32) -> Command {
    let msg_id = results
        .iter()
        .map(|r| r.msg_id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: results.first().map_or(0, |r| r.queue_offset),
        transaction_id: None,
        msg_region: Some(REGION.into()),
        trace_on: Some(true),
        batch_uniq_id: None,
    };
    reply::with_header(&header)
}

fn store_error(e: &StoreError) -> Command {
    match e {
        StoreError::TooLarge { .. } => reply::error(
            ResponseCode::MESSAGE_ILLEGAL,
            format!("message too large: {e}"),
        ),
        _ => reply::error(
            ResponseCode::MESSAGE_ILLEGAL,
            format!("the message is illegal: {e}"),
        ),
    }
}
