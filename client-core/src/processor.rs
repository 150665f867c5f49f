//! Requests brokers send to this client (Java's `ClientRemotingProcessor`), dispatched to the
//! registered producer or consumer. Unknown codes are answered REQUEST_CODE_NOT_SUPPORTED, never
//! dropped; oneway requests get no answer (the transport enforces that).

use std::sync::Weak;

use bytes::Bytes;
use rmq_protocol::body::{running_info_keys, GetConsumerStatusBody, JsonBody, ResetOffsetBody};
use rmq_protocol::header::{
    CheckTransactionStateRequestHeader, ConsumeMessageDirectlyRequestHeader,
    GetConsumerRunningInfoRequestHeader, GetConsumerStatusRequestHeader,
    NotifyConsumerIdsChangedRequestHeader, ReplyMessageRequestHeader, ResetOffsetRequestHeader,
};
use rmq_protocol::message::{decode_stored, property, DecodeOptions, Properties, StoredMessage};
use rmq_protocol::version::Version;
use rmq_protocol::{compression, Command, RequestCode, ResponseCode};
use rmq_remoting::{BoxFuture, RequestProcessor};
use tracing::{debug, info, warn};

use crate::instance::{ClientInstance, Inner};

/// The instance's processor; holds the instance weakly so it never keeps it alive.
pub(crate) struct Processor {
    pub(crate) instance: Weak<Inner>,
}

impl RequestProcessor for Processor {
    fn process<'a>(&'a self, addr: &'a str, request: Command) -> BoxFuture<'a, Option<Command>> {
        Box::pin(async move {
            let instance = ClientInstance::from_weak(&self.instance)?;
            Some(match dispatch(&instance, addr, &request).await {
                Ok(Some(response)) => response,
                Ok(None) => return None,
                Err(remark) => {
                    warn!(%addr, code = ?request.request_code(), %remark, "broker request failed");
                    Command::response(ResponseCode::SYSTEM_ERROR, Some(remark))
                }
            })
        })
    }
}

fn ok(body: Vec<u8>) -> Option<Command> {
    Some(Command::response(ResponseCode::SUCCESS, None).with_body(body))
}

fn one_message(body: &Bytes) -> Result<StoredMessage, String> {
    decode_stored(body.clone(), DecodeOptions::new())
        .map_err(|e| format!("bad message body: {e}"))?
        .into_iter()
        .next()
        .ok_or_else(|| "empty message body".to_owned())
}

async fn dispatch(
    i: &ClientInstance,
    addr: &str,
    req: &Command,
) -> Result<Option<Command>, String> {
    let code = req.request_code();
    match code {
        RequestCode::CHECK_TRANSACTION_STATE => {
            let header: CheckTransactionStateRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let message = one_message(&req.body)?;
            let group = message
                .property(property::PRODUCER_GROUP)
                .unwrap_or_default()
                .to_owned();
            match i.producer(&group) {
                Some(p) => {
                    p.check_transaction_state(addr.to_owned(), message, header)
                        .await
                }
                None => debug!(%group, "check transaction state for an unknown producer group"),
            }
            Ok(None)
        }
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED => {
            let header: Result<NotifyConsumerIdsChangedRequestHeader, _> = req.decode_header();
            info!(%addr, group = ?header.map(|h| h.consumer_group).ok(), "consumer ids changed; rebalancing now");
            i.rebalance_immediately();
            Ok(None)
        }
        RequestCode::RESET_CONSUMER_CLIENT_OFFSET => {
            let header: ResetOffsetRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let body = ResetOffsetBody::from_json(&req.body).map_err(|e| e.to_string())?;
            match i.consumer(&header.group) {
                Some(c) => c.reset_offset(&header.topic, body.offset_table).await,
                None => {
                    info!(group = %header.group, "reset offset for a consumer group not in this client")
                }
            }
            Ok(None)
        }
        RequestCode::GET_CONSUMER_STATUS_FROM_CLIENT => {
            let header: GetConsumerStatusRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let table = i
                .consumer(&header.group)
                .map(|c| c.consumer_status(&header.topic))
                .unwrap_or_default();
            let body = GetConsumerStatusBody {
                message_queue_table: table,
                ..Default::default()
            };
            Ok(ok(body.to_fastjson().map_err(|e| e.to_string())?))
        }
        RequestCode::GET_CONSUMER_RUNNING_INFO => {
            let header: GetConsumerRunningInfoRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let consumer = i.consumer(&header.consumer_group).ok_or_else(|| {
                format!(
                    "The Consumer Group <{}> not exist in this consumer",
                    header.consumer_group
                )
            })?;
            let mut info = consumer.running_info();
            let namesrv = i.api().remoting().namesrv().addrs().join(";");
            info.properties
                .insert(running_info_keys::NAMESERVER_ADDR.into(), namesrv);
            // Java writes the enum name, e.g. CONSUME_PASSIVELY: the serde name.
            let consume_type = serde_json::to_value(consumer.consume_type())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            info.properties
                .insert(running_info_keys::CONSUME_TYPE.into(), consume_type);
            info.properties.insert(
                running_info_keys::CLIENT_VERSION.into(),
                Version(rmq_protocol::CURRENT_VERSION)
                    .name()
                    .unwrap_or_default(),
            );
            for sub in &info.subscription_set {
                let status = i.stats().status(&header.consumer_group, &sub.topic);
                info.status_table.insert(sub.topic.clone(), status);
            }
            if header.jstack_enable {
                info.jstack = Some(String::new());
            }
            Ok(ok(info.to_fastjson().map_err(|e| e.to_string())?))
        }
        RequestCode::CONSUME_MESSAGE_DIRECTLY => {
            let header: ConsumeMessageDirectlyRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let message = one_message(&req.body)?;
            let consumer = i.consumer(&header.consumer_group).ok_or_else(|| {
                format!(
                    "The Consumer Group <{}> not exist in this consumer",
                    header.consumer_group
                )
            })?;
            let result = consumer
                .consume_message_directly(message, header.broker_name)
                .await;
            Ok(ok(result.to_json().map_err(|e| e.to_string())?))
        }
        RequestCode::PUSH_REPLY_MESSAGE_TO_CLIENT => {
            let header: ReplyMessageRequestHeader =
                req.decode_header().map_err(|e| e.to_string())?;
            let reply = reply_message(header, &req.body)?;
            let correlation = reply
                .property(property::CORRELATION_ID)
                .unwrap_or_default()
                .to_owned();
            if !i.replies().deliver(&correlation, reply) {
                debug!(%correlation, "reply for a request nobody waits for (timed out?)");
            }
            Ok(Some(Command::response(ResponseCode::SUCCESS, None)))
        }
        _ => Ok(Some(Command::response(
            ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
            Some(format!("{} request type {} not supported", addr, code.0)),
        ))),
    }
}

fn reply_message(h: ReplyMessageRequestHeader, body: &Bytes) -> Result<StoredMessage, String> {
    let sys_flag = h.sys_flag;
    let body = if rmq_protocol::message::sysflag::is_compressed(sys_flag) {
        let kind =
            compression::CompressionType::from_sys_flag(sys_flag).map_err(|e| e.to_string())?;
        Bytes::from(
            compression::decompress(kind, body, compression::DEFAULT_MAX_DECOMPRESSED)
                .map_err(|e| e.to_string())?,
        )
    } else {
        body.clone()
    };
    let parse_addr = |s: &str| s.parse().ok();
    Ok(StoredMessage {
        topic: h.topic,
        queue_id: h.queue_id,
        flag: h.flag,
        sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: parse_addr(&h.born_host).unwrap_or(StoredMessage::default().born_host),
        store_timestamp: h.store_timestamp,
        store_host: parse_addr(&h.store_host).unwrap_or(StoredMessage::default().store_host),
        reconsume_times: h.reconsume_times.unwrap_or(0),
        queue_offset: 0,
        properties: Properties::decode(h.properties.as_deref().unwrap_or("")),
        body,
        ..StoredMessage::default()
    })
}
