//! POP_MESSAGE (200050), as Java 5.3.3's `PopMessageProcessor` with its defaults: checks in
//! Java's order, a read of the topic's queues (queue id -1: all of them from a rotating start)
//! and of the group's POP retry topic `%RETRY%{group}_{topic}` (first on about one pop in five,
//! else when the topic left room), one checkpoint per queue read, and a long poll of `pollTime`
//! when nothing is found.
//!
//! A checkpoint not acked within its invisible time is revived as Java's `PopReviveService`
//! does: its unacked messages are copied to the retry topic (queue 0, reconsume times + 1,
//! `1ST_POP_TIME` kept). Revival runs when the group next pops the topic (a waiting pop wakes
//! for it), which is when a client can tell. Order (FIFO) pops are not served.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rmq_protocol::body::TopicConfig;
use rmq_protocol::header::{
    pop_retry_topic, PopHandle, PopMessageRequestHeader, PopMessageResponseHeader, PopOffsetInfo,
    PopTopicKind, INIT_MODE_MIN, MAX_POP_MESSAGES,
};
use rmq_protocol::message::{decode_stored, property, DecodeOptions};
use rmq_protocol::{naming, perm, Command, ResponseCode, StoredMessage};
use tokio::time::Instant;

use super::pop_state::{Checkpoint, PopKey, MAX_POLLING};
use super::{inner, now_ms, topic_config, Broker};
use crate::filter::MessageFilter;
use crate::reply;
use crate::store::GetStatus;

/// Java `PopMessageRequestHeader#isTimeoutTooMuch`: a pop that already waited its poll time
/// and this much more is answered POLLING_TIMEOUT at once.
const TOO_LATE_MS: i64 = 500;
/// Longest poll honoured, whatever the client asks.
const MAX_POLL: Duration = Duration::from_secs(60);
/// In how many draws of 100 a pop reads the retry topic first (Java `popFromRetryProbability`).
const RETRY_FIRST_PERCENT: u64 = 20;
/// Java's FAQ pointer on topic and group errors.
const FAQ: &str = "\nSee http://rocketmq.apache.org/docs/faq/ for further details.";

/// What the checks resolved for a pop.
struct Checked {
    header: PopMessageRequestHeader,
    filter: MessageFilter,
    topic: TopicConfig,
}

/// One pop's growing answer.
#[derive(Default)]
struct Popped {
    records: Vec<Bytes>,
    start_info: String,
    msg_info: String,
    rest: i64,
}

/// Serves a pop, polling while nothing is found.
pub(crate) async fn pop(broker: Arc<Broker>, request: Command) -> Command {
    let checked = match check(&broker, &request) {
        Ok(checked) => checked,
        Err(answer) => return answer,
    };
    let h = &checked.header;
    if now_ms()
        .saturating_sub(h.born_time)
        .saturating_sub(h.poll_time)
        > TOO_LATE_MS
    {
        return reply::error(
            ResponseCode::POLLING_TIMEOUT,
            format!(
                "the broker[{}] pop message is timeout too much",
                broker.addr().ip()
            ),
        );
    }
    let retry_topic = pop_retry_topic(&h.topic, &h.consumer_group);
    let topics = [h.topic.as_str(), retry_topic.as_str()];
    let wait = Duration::from_millis(u64::try_from(h.poll_time).unwrap_or(0)).min(MAX_POLL);
    let deadline = Instant::now() + wait;
    let mut arrivals = broker.arrivals();
    let mut guard: Option<PollGuard<'_>> = None;
    loop {
        arrivals.borrow_and_update();
        revive(&broker, &h.consumer_group, &topics);
        let (revive_qid, draw) = broker.metadata().state().pop.next_pop();
        let pop_time = now_ms();
        let popped = read(&broker, &checked, &retry_topic, revive_qid, draw, pop_time);
        if !popped.records.is_empty() {
            return answer(ResponseCode::SUCCESS, h, popped, pop_time, revive_qid);
        }
        if Instant::now() >= deadline {
            return answer(
                ResponseCode::POLLING_TIMEOUT,
                h,
                popped,
                pop_time,
                revive_qid,
            );
        }
        if guard.is_none() {
            match PollGuard::enter(&broker) {
                Some(g) => guard = Some(g),
                None => return answer(ResponseCode::POLLING_FULL, h, popped, pop_time, revive_qid),
            }
        }
        // Wake for a new message, for a checkpoint falling due, or at the deadline.
        let next_revive = broker
            .metadata()
            .state()
            .pop
            .next_revive(&h.consumer_group, &topics);
        let wake = next_revive.map_or(deadline, |at| {
            let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
            deadline.min(Instant::now() + Duration::from_millis(ms))
        });
        let _ = tokio::time::timeout_at(wake, arrivals.changed()).await;
    }
}

/// Counts a waiting pop; `None` when too many wait (POLLING_FULL).
struct PollGuard<'a>(&'a Broker);

impl<'a> PollGuard<'a> {
    fn enter(broker: &'a Broker) -> Option<PollGuard<'a>> {
        let mut state = broker.metadata().state();
        if state.pop.polling >= MAX_POLLING {
            return None;
        }
        state.pop.polling += 1;
        Some(PollGuard(broker))
    }
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.0.metadata().state();
        state.pop.polling = state.pop.polling.saturating_sub(1);
    }
}

/// The response: Java's header fields and, on success, the records back to back.
fn answer(
    code: ResponseCode,
    h: &PopMessageRequestHeader,
    popped: Popped,
    pop_time: i64,
    revive_qid: i32,
) -> Command {
    let header = PopMessageResponseHeader {
        pop_time,
        invisible_time: h.invisible_time,
        revive_qid,
        rest_num: popped.rest,
        start_offset_info: Some(popped.start_info),
        msg_offset_info: Some(popped.msg_info),
        order_count_info: None,
    };
    let remark = if code == ResponseCode::SUCCESS {
        "FOUND"
    } else {
        "NO_MESSAGE_IN_QUEUE"
    };
    let mut cmd = Command::response(code, Some(remark.into())).with_header(&header);
    if code == ResponseCode::SUCCESS {
        let mut body = BytesMut::new();
        for record in &popped.records {
            body.extend_from_slice(record);
        }
        cmd = cmd.with_body(body.freeze());
    }
    cmd
}

/// Java's checks in its order; an `Err` is the answer.
fn check(broker: &Broker, request: &Command) -> Result<Checked, Command> {
    let header = reply::header::<PopMessageRequestHeader>(request)?;
    let ip = broker.addr().ip();
    if !perm::is_readable(broker.permission()) {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            format!("the broker[{ip}] pop message is forbidden"),
        ));
    }
    if header.max_msg_nums > MAX_POP_MESSAGES {
        return Err(reply::error(
            ResponseCode::INVALID_PARAMETER,
            format!("the broker[{ip}] pop message's num is greater than 32"),
        ));
    }
    if header.order == Some(true) {
        // Not served: a client of the testkit must not believe it got FIFO semantics.
        return Err(reply::error(
            ResponseCode::SYSTEM_ERROR,
            "order pop is not served by the testkit",
        ));
    }
    let (topic, group) = {
        let mut meta = broker.metadata().state();
        let topic = meta.topics.get(&header.topic).cloned();
        (topic, meta.group_config(&header.consumer_group))
    };
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
            format!("the topic[{}] peeking message is forbidden", header.topic),
        ));
    }
    if header.queue_id >= topic.read_queue_nums {
        return Err(reply::error(
            ResponseCode::INVALID_PARAMETER,
            format!(
                "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                header.queue_id, header.topic, topic.read_queue_nums, header.consumer_group
            ),
        ));
    }
    let Some(group) = group else {
        return Err(reply::error(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!(
                "subscription group [{}] does not exist, {FAQ}",
                header.consumer_group
            ),
        ));
    };
    if !group.consume_enable {
        return Err(reply::error(
            ResponseCode::NO_PERMISSION,
            format!(
                "subscription group no permission, {}",
                header.consumer_group
            ),
        ));
    }
    let expression = header.exp.clone().unwrap_or_default();
    let filter = MessageFilter::parse(header.exp_type.as_deref(), &expression).map_err(|_| {
        reply::error(
            ResponseCode::SUBSCRIPTION_PARSE_FAILED,
            "parse the consumer's subscription failed",
        )
    })?;
    Ok(Checked {
        header,
        filter,
        topic,
    })
}

/// Reads the topic and its retry topic in Java's order until `maxMsgNums` are found.
fn read(
    broker: &Broker,
    checked: &Checked,
    retry_topic: &str,
    revive_qid: i32,
    draw: u64,
    pop_time: i64,
) -> Popped {
    let mut popped = Popped::default();
    let retry_first = draw < RETRY_FIRST_PERCENT;
    let retry_queues = broker
        .metadata()
        .state()
        .topics
        .get(retry_topic)
        .map_or(0, |c| c.read_queue_nums);
    let read_retry = |popped: &mut Popped| {
        for i in 0..retry_queues {
            let queue_id = rotate(draw, i, retry_queues);
            let q = QueueRead {
                topic: retry_topic,
                queue_id,
                retry: true,
            };
            pop_queue(broker, checked, q, revive_qid, pop_time, popped);
        }
    };
    if retry_first {
        read_retry(&mut popped);
    }
    let h = &checked.header;
    if h.queue_id < 0 {
        let n = checked.topic.read_queue_nums;
        for i in 0..n {
            let q = QueueRead {
                topic: &h.topic,
                queue_id: rotate(draw, i, n),
                retry: false,
            };
            pop_queue(broker, checked, q, revive_qid, pop_time, &mut popped);
        }
    } else {
        let q = QueueRead {
            topic: &h.topic,
            queue_id: h.queue_id,
            retry: false,
        };
        pop_queue(broker, checked, q, revive_qid, pop_time, &mut popped);
    }
    if !retry_first {
        read_retry(&mut popped);
    }
    popped
}

/// The `i`-th queue of `n` from a start chosen by `draw` (Java `(randomQ + i) % n`).
fn rotate(draw: u64, i: i32, n: i32) -> i32 {
    let n = i64::from(n.max(1));
    i32::try_from((i64::try_from(draw).unwrap_or(0) + i64::from(i)) % n).unwrap_or(0)
}

/// One queue to read.
#[derive(Clone, Copy)]
struct QueueRead<'a> {
    topic: &'a str,
    queue_id: i32,
    retry: bool,
}

/// Java `popMsgFromQueue`: reads one queue from the group's pop position and, if it found
/// messages, records a checkpoint for them.
fn pop_queue(
    broker: &Broker,
    checked: &Checked,
    q: QueueRead<'_>,
    revive_qid: i32,
    pop_time: i64,
    popped: &mut Popped,
) {
    let h = &checked.header;
    let key: PopKey = (q.topic.to_owned(), h.consumer_group.clone(), q.queue_id);
    let room = usize::try_from(h.max_msg_nums)
        .unwrap_or(0)
        .saturating_sub(popped.records.len());
    let offset = {
        let mut meta = broker.metadata().state();
        let offset = meta
            .pop
            .pop_offset(&key)
            .or_else(|| meta.offset(&h.consumer_group, q.topic, q.queue_id));
        let reserved = room > 0 && meta.pop.has_room() && meta.pop.try_reserve(&key);
        if !reserved {
            drop(meta);
            let max = broker.store().max_offset(q.topic, q.queue_id);
            popped.rest += (max - offset.unwrap_or(max)).max(0);
            return;
        }
        offset
    };
    let offset =
        offset.unwrap_or_else(|| init_offset(broker, q.topic, q.queue_id, h.init_mode, q.retry));
    let all = MessageFilter::All;
    let filter = if q.retry { &all } else { &checked.filter };
    let mut result = broker
        .store()
        .get(q.topic, q.queue_id, offset, room, &|m| filter.matches(m));
    let mut start = offset;
    if matches!(
        result.status,
        GetStatus::OffsetTooSmall | GetStatus::OffsetOverflowBadly
    ) {
        // Java: the stored offset is wrong; start again where the store says.
        start = result.next_begin_offset;
        result = broker
            .store()
            .get(q.topic, q.queue_id, start, room, &|m| filter.matches(m));
    }
    let messages = decode_stored(
        Bytes::from(result.records.concat()),
        DecodeOptions::new().with_decompress(false),
    )
    .unwrap_or_default();
    let offsets: Vec<i64> = messages.iter().map(|m| m.queue_offset).collect();
    {
        let mut meta = broker.metadata().state();
        let pop = &mut meta.pop;
        pop.set_pop_offset(key.clone(), result.next_begin_offset.max(start));
        pop.add(Checkpoint {
            topic: q.topic.to_owned(),
            group: h.consumer_group.clone(),
            queue_id: q.queue_id,
            start_offset: start,
            pop_time,
            invisible_time: h.invisible_time.max(0),
            revive_qid,
            pending: offsets.iter().copied().collect(),
        });
        pop.release(&key);
        let consumed = pop.consumed_offset(&key);
        if let Some(consumed) = consumed {
            meta.commit(&h.consumer_group, q.topic, q.queue_id, consumed);
        }
    }
    popped.rest += (result.max_offset - result.next_begin_offset).max(0);
    if messages.is_empty() {
        return;
    }
    let kind = PopTopicKind::of_topic(q.topic);
    let list: Vec<String> = offsets.iter().map(i64::to_string).collect();
    PopOffsetInfo::push_entry(&mut popped.start_info, kind, q.queue_id, &start.to_string());
    PopOffsetInfo::push_entry(&mut popped.msg_info, kind, q.queue_id, &list.join(","));
    if !q.retry {
        popped.records.extend(result.records);
        return;
    }
    // Java (popResponseReturnActualRetryTopic=false): a retried message is re-encoded under
    // the subscribed topic, its handle in POP_CK.
    for mut msg in messages {
        let handle = PopHandle {
            ck_offset: start,
            pop_time,
            invisible_time: h.invisible_time,
            revive_qid,
            kind,
            broker_name: broker.config().name.clone(),
            queue_id: q.queue_id,
            queue_offset: msg.queue_offset,
        };
        if !msg.properties.contains(property::POP_CK) {
            msg.properties.insert(property::POP_CK, handle.to_string());
        }
        msg.topic = h.topic.clone();
        let mut buf = BytesMut::new();
        if msg.encode(&mut buf).is_ok() {
            popped.records.push(buf.freeze());
        }
    }
}

/// Java `getInitOffset` with `initPopOffsetByCheckMsgInMem=true` (every message is in memory
/// here): a retry topic or MIN mode starts at the first message, MAX mode at the last one,
/// or at 0 while the queue still holds its first message.
fn init_offset(broker: &Broker, topic: &str, queue_id: i32, init_mode: i32, retry: bool) -> i64 {
    let store = broker.store();
    let (min, max) = (
        store.min_offset(topic, queue_id),
        store.max_offset(topic, queue_id),
    );
    if init_mode == INIT_MODE_MIN || retry || min <= 0 {
        min
    } else {
        (max - 1).max(0)
    }
}

/// Java `PopReviveService#reviveRetry` for every checkpoint of `group` on `topics` that is due:
/// its unacked messages go to the group's POP retry topic.
fn revive(broker: &Broker, group: &str, topics: &[&str]) {
    let due = broker
        .metadata()
        .state()
        .pop
        .take_due(group, topics, now_ms());
    for ck in due {
        let retry_topic = if ck.topic.starts_with(naming::RETRY_GROUP_TOPIC_PREFIX) {
            ck.topic.clone()
        } else {
            pop_retry_topic(&ck.topic, group)
        };
        if !ensure_retry_topic(broker, &retry_topic) {
            continue;
        }
        for offset in &ck.pending {
            let found = broker
                .store()
                .message_in_queue(&ck.topic, ck.queue_id, *offset);
            if let Some(msg) = found {
                // A failed put loses the retry, as a failed Java put does (it logs).
                let _ = inner::store_as_is(broker, revived(&msg, &retry_topic, ck.pop_time));
            }
        }
    }
}

/// The copy of `msg` that goes to the retry topic.
fn revived(msg: &StoredMessage, retry_topic: &str, pop_time: i64) -> crate::store::PutRequest {
    let mut put = inner::copy_of(msg, retry_topic, 0);
    put.reconsume_times = msg.reconsume_times.saturating_add(1);
    put.properties.remove(property::POP_CK);
    if msg.reconsume_times == 0 || msg.property(property::FIRST_POP_TIME).is_none() {
        put.properties
            .insert(property::FIRST_POP_TIME, pop_time.to_string());
    }
    put
}

/// Java `addRetryTopicIfNotExist`: one read/write queue.
fn ensure_retry_topic(broker: &Broker, topic: &str) -> bool {
    if broker.metadata().state().topics.contains_key(topic) {
        return true;
    }
    broker
        .metadata()
        .put_topic(topic_config(topic, 1, perm::READ_WRITE))
}
