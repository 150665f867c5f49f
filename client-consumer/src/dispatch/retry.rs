//! Handing failed messages back (Java's `sendMessageBack`): CONSUMER_SEND_MSG_BACK to the
//! broker the message came from, and when that fails, a plain send to `%RETRY%group` through
//! the instance's inner producer. Only a message handed back successfully may leave the cache.

use std::time::Duration;

use rmq_protocol::message::{property, Message};
use rmq_protocol::naming;
use tracing::{debug, warn};

use crate::message::ReceivedMessage;
use crate::state::core::Core;

/// Java's send-back timeout.
const SEND_BACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `msg` back for redelivery after `delay_level`; returns whether the broker has it.
pub(crate) async fn send_back(
    core: &Core,
    msg: &ReceivedMessage,
    delay_level: i32,
    orderly: bool,
) -> bool {
    let max = core.opts.max_reconsume(orderly);
    let broker = &msg.wire_queue().broker_name;
    let addr = core.master_of(msg.wire_queue()).await.ok();
    if let Some(addr) = addr {
        let r = core
            .instance
            .api()
            .consumer_send_msg_back(
                &addr,
                broker,
                msg.stored(),
                core.group(),
                delay_level,
                max,
                SEND_BACK_TIMEOUT,
            )
            .await;
        match r {
            Ok(()) => {
                debug!(msg_id = %msg.msg_id(), delay_level, "message sent back");
                return true;
            }
            Err(e) => {
                warn!(msg_id = %msg.msg_id(), error = %rmq_remoting::Error::chain(&e), "send back failed; resending to the retry topic")
            }
        }
    }
    resend(
        core,
        msg,
        msg.reconsume_times() + 1,
        Some(3 + msg.reconsume_times()),
        max,
    )
    .await
}

/// Puts a copy of `msg` into `%RETRY%group` (Java's fallback in `sendMessageBack`, and the
/// orderly consumer's path to the DLQ once `reconsume_times` reached `max`).
pub(crate) async fn resend(
    core: &Core,
    msg: &ReceivedMessage,
    reconsume_times: i32,
    delay_level: Option<i32>,
    max: i32,
) -> bool {
    let origin_id = msg
        .property(property::ORIGIN_MESSAGE_ID)
        .map(str::to_owned)
        .unwrap_or_else(|| msg.msg_id());
    let mut props = msg.stored().properties.clone();
    props.remove(property::TRANSACTION_PREPARED);
    props.remove(property::MIN_OFFSET);
    props.remove(property::MAX_OFFSET);
    props.insert(property::ORIGIN_MESSAGE_ID, origin_id);
    // The broker's name of the topic (`ns%Topic`), as Java wraps it again before sending back.
    props.insert(property::RETRY_TOPIC, msg.stored().topic.clone());
    props.insert(property::RECONSUME_TIME, reconsume_times.to_string());
    props.insert(property::MAX_RECONSUME_TIMES, max.to_string());
    match delay_level {
        Some(level) => props.insert(property::DELAY_TIME_LEVEL, level.to_string()),
        None => {
            props.remove(property::DELAY_TIME_LEVEL);
        }
    }
    let retry = Message::new(naming::retry_topic(core.group()), msg.body().clone())
        .with_flag(msg.stored().flag)
        .with_properties(props);
    match core.instance.send_inner(&retry, SEND_BACK_TIMEOUT).await {
        Ok(_) => true,
        Err(e) => {
            warn!(msg_id = %msg.msg_id(), error = %rmq_remoting::Error::chain(&e), "resend to the retry topic failed; will consume it again");
            false
        }
    }
}
