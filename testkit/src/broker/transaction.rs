//! Transactions, as Java 4.9.7: a send with `TRAN_MSG=true` is stored as a half message in
//! `RMQ_SYS_TRANS_HALF_TOPIC` (`TransactionalMessageBridge#parseHalfMessageInner`);
//! END_TRANSACTION (37) commits it to its real topic or rolls it back, marking it done with an
//! op message (`EndTransactionProcessor`); half messages left open longer than the transaction
//! timeout are checked back with CHECK_TRANSACTION_STATE on a connection of the producer group,
//! at most `transactionCheckMax` times (`TransactionalMessageServiceImpl#check`).
//!
//! Timeout, check interval and maximum are the broker configs `transactionTimeOut` (ms, default
//! 6000), `transactionCheckInterval` (ms, default 60000) and `transactionCheckMax` (default 15),
//! changeable with UPDATE_BROKER_CONFIG. Checks run in the broker's background task.

use std::collections::HashSet;

use bytes::BytesMut;
use rmq_protocol::header::{
    CheckTransactionStateRequestHeader, EndTransactionRequestHeader, TRANSACTION_COMMIT,
    TRANSACTION_ROLLBACK,
};
use rmq_protocol::message::{property, sysflag};
use rmq_protocol::{naming, Command, RequestCode, ResponseCode, StoredMessage};

use super::{inner, now_ms, schedule, Broker};
use crate::reply;
use crate::store::PutRequest;

/// Java `TransactionalMessageUtil.REMOVETAG`: the tag of an op message.
const REMOVE_TAG: &str = "d";
const DEFAULT_TIMEOUT_MS: i64 = 6_000;
const DEFAULT_CHECK_INTERVAL_MS: i64 = 60_000;
const DEFAULT_CHECK_MAX: i32 = 15;
/// Most half messages one check round looks at.
const MAX_PER_ROUND: usize = 4096;

/// The send path's rule: a message with `TRAN_MSG=true` becomes a half message.
pub(crate) fn to_half_if_prepared(put: &mut PutRequest) {
    let prepared = put
        .properties
        .get(property::TRANSACTION_PREPARED)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !prepared {
        return;
    }
    put.properties
        .insert(property::REAL_TOPIC, put.topic.as_str());
    put.properties
        .insert(property::REAL_QUEUE_ID, put.queue_id.to_string());
    put.sys_flag = sysflag::with_transaction_type(put.sys_flag, sysflag::TRANSACTION_NOT_TYPE);
    put.topic = naming::TRANS_HALF_TOPIC.to_owned();
    put.queue_id = 0;
}

/// Serves END_TRANSACTION: commit or roll back the half message the header names.
pub(crate) fn end_transaction(broker: &Broker, request: &Command) -> Option<Command> {
    let header = match reply::header::<EndTransactionRequestHeader>(request) {
        Ok(h) => h,
        Err(answer) => return Some(answer),
    };
    let commit = match header.commit_or_rollback {
        TRANSACTION_COMMIT => true,
        TRANSACTION_ROLLBACK => false,
        // Java: an unknown state is only logged; nothing is answered.
        _ => return None,
    };
    let half = match prepared_message(broker, &header) {
        Ok(half) => half,
        Err(remark) => return Some(reply::error(ResponseCode::SYSTEM_ERROR, remark)),
    };
    if commit {
        let Some(mut put) = real_message(&half) else {
            return Some(reply::error(
                ResponseCode::SYSTEM_ERROR,
                "the half message has no real topic",
            ));
        };
        put.sys_flag = sysflag::with_transaction_type(half.sys_flag, TRANSACTION_COMMIT);
        put.prepared_transaction_offset = header.commit_log_offset;
        if let Err(e) = schedule::store_rewritten(broker, put) {
            return Some(reply::error(ResponseCode::SYSTEM_ERROR, e.to_string()));
        }
    }
    mark_done(broker, &half);
    Some(reply::ok())
}

/// Java `EndTransactionProcessor#checkPrepareMessage`.
fn prepared_message(
    broker: &Broker,
    header: &EndTransactionRequestHeader,
) -> Result<StoredMessage, &'static str> {
    let half = broker
        .store()
        .by_commit_log_offset(header.commit_log_offset)
        .filter(|m| m.topic == naming::TRANS_HALF_TOPIC)
        .ok_or("Find prepared transaction message failed")?;
    if half.property(property::PRODUCER_GROUP) != Some(header.producer_group.as_str()) {
        return Err("The producer group wrong");
    }
    if half.queue_offset != header.tran_state_table_offset {
        return Err("The transaction state table offset wrong");
    }
    Ok(half)
}

/// Java `endMessageTransaction`: the half message back in its real topic and queue.
///
/// Its properties stay as the half message's, TRAN_MSG, REAL_TOPIC and REAL_QID included:
/// Java clears those only in the map, after writing the properties string it stores, so
/// consumers of a Java broker see them.
fn real_message(half: &StoredMessage) -> Option<PutRequest> {
    let topic = half.property(property::REAL_TOPIC)?;
    let queue_id = half.property(property::REAL_QUEUE_ID)?.parse().ok()?;
    Some(inner::copy_of(half, topic, queue_id))
}

/// Java `deletePrepareMessage`: an op message whose body is the half's queue offset.
fn mark_done(broker: &Broker, half: &StoredMessage) {
    let mut put = inner::copy_of(half, naming::TRANS_OP_HALF_TOPIC, half.queue_id);
    put.body = half.queue_offset.to_string().into_bytes().into();
    put.sys_flag = 0;
    put.properties = [
        (property::TAGS, REMOVE_TAG),
        (property::WAIT_STORE_MSG_OK, "false"),
    ]
    .into_iter()
    .collect();
    // An op message that does not fit only means the half message may be checked again.
    let _ = broker.store().put(put);
}

/// Check-back progress, owned by the broker's background task (Java keeps it as the offset
/// of group `CID_RMQ_SYS_TRANS` on the half topic).
#[derive(Debug, Default)]
pub(crate) struct Checker {
    next_offset: i64,
    last_round_ms: i64,
}

/// Runs a check round when the check interval has passed.
pub(crate) fn tick(broker: &Broker, checker: &mut Checker) {
    let config = broker.config_entries();
    let get = |key: &str, default: i64| {
        config
            .get(key)
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(default)
    };
    let timeout = get("transactionTimeOut", DEFAULT_TIMEOUT_MS);
    let interval = get("transactionCheckInterval", DEFAULT_CHECK_INTERVAL_MS);
    let max_checks = i32::try_from(get("transactionCheckMax", i64::from(DEFAULT_CHECK_MAX)))
        .unwrap_or(DEFAULT_CHECK_MAX);
    let now = now_ms();
    if now - checker.last_round_ms < interval {
        return;
    }
    checker.last_round_ms = now;
    check_round(broker, checker, now, timeout, max_checks);
}

fn check_round(broker: &Broker, checker: &mut Checker, now: i64, timeout: i64, max_checks: i32) {
    let done = done_offsets(broker);
    let (min, max) = {
        let store = broker.store();
        let topic = naming::TRANS_HALF_TOPIC;
        (store.min_offset(topic, 0), store.max_offset(topic, 0))
    };
    let mut offset = checker.next_offset.max(min);
    let mut looked = 0;
    while offset < max && looked < MAX_PER_ROUND {
        looked += 1;
        let half = broker
            .store()
            .message_in_queue(naming::TRANS_HALF_TOPIC, 0, offset);
        let Some(half) = half.filter(|_| !done.contains(&offset)) else {
            offset += 1;
            continue;
        };
        let checks: i32 = half
            .property(property::TRANSACTION_CHECK_TIMES)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if checks >= max_checks {
            // Java 4.9.7 `resolveDiscardMsg`: given up on, only logged.
            offset += 1;
            continue;
        }
        let immunity = half
            .property(property::CHECK_IMMUNITY_TIME_IN_SECONDS)
            .and_then(|v| v.parse::<i64>().ok())
            .map_or(timeout, |s| s.saturating_mul(1000));
        if now.saturating_sub(half.born_timestamp) < immunity {
            break;
        }
        check_back(broker, &half, checks + 1);
        offset += 1;
    }
    checker.next_offset = offset;
}

/// Half-queue offsets with an op message (committed or rolled back).
fn done_offsets(broker: &Broker) -> HashSet<i64> {
    let store = broker.store();
    let topic = naming::TRANS_OP_HALF_TOPIC;
    (store.min_offset(topic, 0)..store.max_offset(topic, 0))
        .filter_map(|o| store.message_in_queue(topic, 0, o))
        .filter_map(|op| std::str::from_utf8(&op.body).ok()?.trim().parse().ok())
        .collect()
}

/// Java `putBackHalfMsgQueue` + `sendCheckMessage`: the half message is stored again with
/// its check count, and that copy is what the producer is asked about.
/// The old copy stays behind the check progress, as in Java.
fn check_back(broker: &Broker, half: &StoredMessage, checks: i32) {
    let mut put = inner::copy_of(half, naming::TRANS_HALF_TOPIC, 0);
    put.properties
        .insert(property::TRANSACTION_CHECK_TIMES, checks.to_string());
    let Ok(stored) = broker.store().put(put) else {
        return;
    };
    let Some(mut copy) = broker
        .store()
        .by_commit_log_offset(stored.commit_log_offset)
    else {
        return;
    };
    let Some(group) = copy.property(property::PRODUCER_GROUP).map(str::to_owned) else {
        return;
    };
    let conn = broker
        .state()
        .producers
        .get(&group)
        .and_then(|members| members.values().find(|c| !c.conn.is_closed()).cloned());
    let Some(channel) = conn else {
        return;
    };
    let uniq = copy
        .property(property::UNIQ_CLIENT_MESSAGE_ID_KEYIDX)
        .map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        tran_state_table_offset: copy.queue_offset,
        commit_log_offset: copy.commit_log_offset,
        msg_id: uniq.clone(),
        transaction_id: uniq,
        offset_msg_id: Some(copy.offset_msg_id()),
        broker_name: Some(broker.config().name.clone()),
    };
    // Java sends the message under its real topic and queue.
    if let Some(topic) = copy.property(property::REAL_TOPIC).map(str::to_owned) {
        copy.topic = topic;
    }
    if let Some(queue_id) = copy
        .property(property::REAL_QUEUE_ID)
        .and_then(|q| q.parse().ok())
    {
        copy.queue_id = queue_id;
    }
    let mut body = BytesMut::new();
    if copy.encode(&mut body).is_err() {
        return;
    }
    let request = Command::request(RequestCode::CHECK_TRANSACTION_STATE)
        .with_header(&header)
        .with_body(body.freeze());
    channel.conn.oneway(request);
}
