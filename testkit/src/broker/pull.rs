//! PULL_MESSAGE (11) with long polling, as Java's `PullMessageProcessor` and
//! `PullRequestHoldService`: group, topic, queue and subscription checks; a store read through
//! the subscription's filter; and, when nothing is found and the request may be suspended,
//! a wait until a message arrives or `suspendTimeoutMillis` passes, then one more read.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rmq_protocol::body::{MessageModel, SubscriptionGroupConfig, EXPRESSION_TAG, MASTER_ID};
use rmq_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use rmq_protocol::message::PullSysFlag;
use rmq_protocol::{perm, Command, ResponseCode};
use tokio::time::Instant;

use super::state::GROUP_GET_NUMS;
use super::Broker;
use crate::filter::MessageFilter;
use crate::reply;
use crate::server::ClientConn;
use crate::store::GetStatus;

/// Java `shortPollingTimeMills`: how long a suspended pull waits when the client asks for no
/// particular time.
const SHORT_POLLING: Duration = Duration::from_secs(1);
/// Longest suspension honoured, whatever the client asks.
const MAX_SUSPEND: Duration = Duration::from_secs(60);
/// Java's FAQ pointer on subscription remarks (`FAQUrl.SAME_GROUP_DIFFERENT_TOPIC`).
const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// What the checks resolved for a pull.
struct Checked {
    header: PullMessageRequestHeader,
    filter: MessageFilter,
    group: SubscriptionGroupConfig,
}

/// Serves a pull, suspending it while nothing is found if the request allows.
pub(crate) async fn pull(
    broker: Arc<Broker>,
    request: Command,
    _conn: ClientConn,
) -> Option<Command> {
    let checked = match check(&broker, &request) {
        Ok(checked) => checked,
        Err(answer) => return Some(answer),
    };
    let flag = PullSysFlag::from_bits(checked.header.sys_flag);
    // Java commits the consumer's offset only on the first pass (brokerAllowSuspend), on a
    // master.
    if flag.commit_offset() && broker.config().id == 0 {
        let h = &checked.header;
        broker
            .state()
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }
    let mut arrivals = broker.arrivals();
    let wait = match u64::try_from(checked.header.suspend_timeout_millis) {
        Ok(0) | Err(_) => SHORT_POLLING,
        Ok(ms) => Duration::from_millis(ms).min(MAX_SUSPEND),
    };
    let deadline = Instant::now() + wait;
    loop {
        arrivals.borrow_and_update();
        let answer = read(&broker, &checked);
        let not_found = answer.response_code() == ResponseCode::PULL_NOT_FOUND;
        if !not_found || !flag.suspend() {
            return Some(answer);
        }
        match tokio::time::timeout_at(deadline, arrivals.changed()).await {
            Ok(Ok(())) => continue,
            // Timed out (or the broker is gone): one last read, as Java's hold service does.
            _ => return Some(read(&broker, &checked)),
        }
    }
}

/// Java's checks in its order; an `Err` is the answer.
fn check(broker: &Broker, request: &Command) -> Result<Checked, Command> {
    let header = reply::header::<PullMessageRequestHeader>(request)?;
    let flag = PullSysFlag::from_bits(header.sys_flag);
    // A slave reads topics and groups from its master; members are its own.
    let (group, topic) = {
        let mut meta = broker.metadata().state();
        let group = meta.group_config(&header.consumer_group);
        (group, meta.topics.get(&header.topic).cloned())
    };
    let group = group.ok_or_else(|| {
        reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group [{}] does not exist, {FAQ}",
                header.consumer_group
            ),
        )
    })?;
    if !group.consume_enable {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            format!(
                "subscription group no permission, {}",
                header.consumer_group
            ),
        ));
    }
    let Some(topic) = topic else {
        return Err(reply::error(
            ResponseCode::TOPIC_NOT_EXIST,
            format!(
                "topic[{}] not exist, apply first please! {FAQ}",
                header.topic
            ),
        ));
    };
    if !perm::is_readable(topic.perm) {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            format!("the topic[{}] pulling message is forbidden", header.topic),
        ));
    }
    if header.queue_id < 0 || header.queue_id >= topic.read_queue_nums {
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                header.queue_id, header.topic, topic.read_queue_nums, header.consumer_group
            ),
        ));
    }
    let from_request = flag.subscription();
    let (kind, expression) = if from_request {
        (
            header.expression_type.clone(),
            header.subscription.clone().unwrap_or_default(),
        )
    } else {
        let state = broker.state();
        let Some(info) = state.consumers.get(&header.consumer_group) else {
            return Err(reply::error(
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's group info not exist{FAQ}"),
            ));
        };
        if !group.consume_broadcast_enable && info.message_model == MessageModel::Broadcasting {
            return Err(reply::error(
                ResponseCode::NO_PERMISSION,
                format!(
                    "the consumer group[{}] can not consume by broadcast way",
                    header.consumer_group
                ),
            ));
        }
        let Some(sub) = info.subscriptions.get(&header.topic) else {
            return Err(reply::error(
                ResponseCode::SUBSCRIPTION_NOT_EXIST,
                format!("the consumer's subscription not exist{FAQ}"),
            ));
        };
        if sub.sub_version < header.sub_version {
            return Err(reply::error(
                ResponseCode::SUBSCRIPTION_NOT_LATEST,
                "the consumer's subscription not latest",
            ));
        }
        (Some(sub.expression_type.clone()), sub.sub_string.clone())
    };
    let kind = kind.filter(|k| !k.is_empty());
    let filter = MessageFilter::parse(Some(kind.as_deref().unwrap_or(EXPRESSION_TAG)), &expression)
        .map_err(|_| {
            if from_request {
                reply::error(
                    ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                    "parse the consumer's subscription failed",
                )
            } else {
                // Java compiles a heartbeat's SQL92 expression into filter data; one that does
                // not compile leaves none.
                reply::error(
                    ResponseCode::FILTER_DATA_NOT_EXIST,
                    "The broker's consumer filter data is not exist!Your expression may be wrong!",
                )
            }
        })?;
    Ok(Checked {
        header,
        filter,
        group,
    })
}

/// Java with its default `slaveReadEnable=false` always suggests the master; a test can make
/// a master behave as with `slaveReadEnable=true` and a lagging consumer, which suggests
/// `whichBrokerWhenConsumeSlowly`.
fn suggested_broker(broker: &Broker, group: &SubscriptionGroupConfig) -> i64 {
    if !broker.is_slave() && broker.suggest_slave() {
        group.which_broker_when_consume_slowly
    } else {
        MASTER_ID
    }
}

/// One store read mapped to Java's response codes.
fn read(broker: &Broker, checked: &Checked) -> Command {
    let h = &checked.header;
    let max = usize::try_from(h.max_msg_nums).unwrap_or(0);
    let result = broker
        .store()
        .get(&h.topic, h.queue_id, h.queue_offset, max, &|m| {
            checked.filter.matches(m)
        });
    let mut suggested = suggested_broker(broker, &checked.group);
    let mut code = match result.status {
        GetStatus::Found => ResponseCode::SUCCESS,
        GetStatus::NoMatched => ResponseCode::PULL_RETRY_IMMEDIATELY,
        GetStatus::NoMessageInQueue if h.queue_offset != 0 => ResponseCode::PULL_OFFSET_MOVED,
        GetStatus::NoMessageInQueue | GetStatus::OffsetFoundNull | GetStatus::OffsetOverflowOne => {
            ResponseCode::PULL_NOT_FOUND
        }
        GetStatus::OffsetOverflowBadly | GetStatus::OffsetTooSmall => {
            ResponseCode::PULL_OFFSET_MOVED
        }
    };
    // Java: a slave (offsetCheckInSlave=false) does not correct offsets; it retries.
    if code == ResponseCode::PULL_OFFSET_MOVED && broker.is_slave() {
        code = ResponseCode::PULL_RETRY_IMMEDIATELY;
        suggested = checked.group.broker_id;
    }
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggested,
        next_begin_offset: result.next_begin_offset,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        ..PullMessageResponseHeader::default()
    };
    // Java sets the store's status name as the remark.
    let mut answer =
        Command::response(code, Some(status_name(result.status).into())).with_header(&header);
    if code == ResponseCode::SUCCESS {
        let key = format!("{}@{}", h.topic, h.consumer_group);
        let n = result.records.len() as i64;
        broker.metadata().state().count(GROUP_GET_NUMS, key, n);
        let len = result.records.iter().map(|r| r.len()).sum();
        let mut body = BytesMut::with_capacity(len);
        for record in &result.records {
            body.extend_from_slice(record);
        }
        answer = answer.with_body(body.freeze());
    }
    answer
}

/// Java `GetMessageStatus` names.
fn status_name(status: GetStatus) -> &'static str {
    match status {
        GetStatus::Found => "FOUND",
        GetStatus::NoMatched => "NO_MATCHED_MESSAGE",
        GetStatus::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        GetStatus::OffsetFoundNull => "OFFSET_FOUND_NULL",
        GetStatus::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
        GetStatus::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
        GetStatus::OffsetTooSmall => "OFFSET_TOO_SMALL",
    }
}
